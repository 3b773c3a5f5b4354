# SPDX-License-Identifier: GPL-2.0
# Helpers for the blk_* selftests: drvbox.ko with the fake VMM serving the
# domain's block export from a file (fake_vmm.c "blk" modes), and the host's
# stock virtio_blk making /dev/vdX of it.  Source after kmod_lib.sh.

# blk_start NAME MODE SIZE_MIB [dbxctl create args...]: create the domain,
# wait until its export has a host disk; sets BLK_DEV (vdX) and BLK_DISK.
blk_start() {
	local name=$1 mode=$2 size=$3
	shift 3
	host_module virtio_blk || skip "virtio_blk not available"
	BLK_DISK=/tmp/blk-$name.img
	rm -f "$BLK_DISK"
	truncate -s "${size}M" "$BLK_DISK" || fail "cannot create $BLK_DISK"
	echo "$mode $BLK_DISK" > "$FAKE_MODE"
	dbx create "$name" "$@" kernel=/boot/vmlinuz-fake export=blk:fakeblk0 ||
		fail "create $name"
	wait_state "$name" running 30 || fail "$name not running"
	wait_until 20 blk_has_dev "$name" || fail "no host disk: $(blk_exports "$name")"
	BLK_DEV=$(blk_host_dev "$name")
	[ -b /dev/"$BLK_DEV" ] || mknod_blk "$BLK_DEV"
	log "$name: blk:fakeblk0 is /dev/$BLK_DEV ($(cat /sys/block/"$BLK_DEV"/size) sectors)"
}

blk_exports() { cat /sys/kernel/drvbox/domains/"$1"/exports 2>/dev/null; }
blk_host_dev() { blk_exports "$1" | sed -n 's/.* host_dev=\([^ ]*\).*/\1/p' | head -n1; }
blk_has_dev() { local d; d=$(blk_host_dev "$1"); [ -n "$d" ] && [ "$d" != - ]; }
# blk_stat NAME KEY: one counter of the export line
blk_stat() { blk_exports "$1" | sed -n "s/.* $2=\([^ ]*\).*/\1/p" | head -n1; }

# No udev in the test host: make the node from sysfs if devtmpfs lacks it.
mknod_blk() {
	local mm
	mm=$(cat /sys/block/"$1"/dev) || fail "no /sys/block/$1"
	mknod /dev/"$1" b "${mm%%:*}" "${mm##*:}" || fail "mknod /dev/$1"
}

# fio_verify NAME DEV ARGS...: a short fio run with crc32c verification
fio_verify() {
	local name=$1 dev=$2 out
	shift 2
	out=$(fio --name="$name" --filename=/dev/"$dev" --direct=1 \
		--ioengine=libaio --verify=crc32c --verify_fatal=1 \
		--do_verify=1 --output-format=terse --terse-version=3 "$@" 2>&1)
	local rc=$?
	# terse v3: field 5 = total errors
	if [ $rc -ne 0 ] || [ "$(echo "$out" | tail -n1 | cut -d';' -f5)" != 0 ]; then
		echo "$out" | sed 's/^/# fio: /' | tail -n 20
		return 1
	fi
	return 0
}

blk_teardown() {
	local name=$1
	dbx destroy "$name" || fail "destroy $name"
	wait_until 5 test ! -e /sys/block/"$BLK_DEV" || fail "/dev/$BLK_DEV still there after destroy"
	kmod_teardown "$name"
	rm -f "$BLK_DISK"
}

# ext4_roundtrip DEV TAG: mkfs.ext4 on /dev/DEV, write a tree of 20 files
# and their checksums, umount, fsck -f clean, remount, the checksums match,
# umount.  Mounts on /tmp/TAG-mnt (a test's EXIT trap may umount that).
ext4_roundtrip() {
	local dev=$1 mnt=/tmp/$2-mnt sums=/tmp/$2.sum i
	mkfs.ext4 -q -F /dev/$dev || fail "mkfs.ext4"
	mkdir -p $mnt
	mount /dev/$dev $mnt || fail "mount"
	for i in $(seq 1 20); do
		mkdir -p $mnt/d$((i % 4))
		head -c $((i * 37 * 1024)) /dev/urandom > $mnt/d$((i % 4))/f$i
	done
	(cd $mnt && find . -type f | sort | xargs sha256sum) > $sums
	umount $mnt || fail "umount"
	echo 3 > /proc/sys/vm/drop_caches
	fsck.ext4 -f -n /dev/$dev > /tmp/$2.fsck 2>&1 ||
		{ sed 's/^/# /' /tmp/$2.fsck; fail "fsck"; }
	mount /dev/$dev $mnt || fail "mount again"
	(cd $mnt && sha256sum -c --quiet $sums) || fail "checksums differ after remount"
	umount $mnt || fail "umount"
}
