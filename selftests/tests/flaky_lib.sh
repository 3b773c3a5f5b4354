# SPDX-License-Identifier: GPL-2.0
# Helpers for the flaky_* selftests: flaky_blk.ko loaded natively in the test
# host (docs/flaky_blk.md).  Source after lib/common.sh.

FLAKY_KO="$KBUILD/selftests/drivers/flaky_blk.ko"
FLAKY_DBG=/sys/kernel/debug/flaky_blk
FLAKY_DEV=/dev/flakyb0
FLAKY_MNT=/tmp/flaky-mnt

flaky_loaded() { [ -d /sys/module/flaky_blk ]; }

# flaky_load PARAMS...: insmod; fail unless flakyb0 and its debugfs appear
flaky_load() {
	[ -r "$FLAKY_KO" ] || fail "$FLAKY_KO not built (make KVER=$KVER)"
	insmod "$FLAKY_KO" "$@" || fail "insmod flaky_blk $*"
	[ -e /sys/block/flakyb0 ] || fail "no /sys/block/flakyb0 after insmod $*"
	if [ ! -b $FLAKY_DEV ]; then
		local mm
		mm=$(cat /sys/block/flakyb0/dev)
		mknod $FLAKY_DEV b "${mm%%:*}" "${mm##*:}" || fail "mknod $FLAKY_DEV"
	fi
	[ -d $FLAKY_DBG ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	[ -w $FLAKY_DBG/fault ] || fail "no $FLAKY_DBG/fault"
}

flaky_unload() {
	rmmod flaky_blk || fail "rmmod flaky_blk"
	[ ! -e /sys/block/flakyb0 ] || fail "/sys/block/flakyb0 still there after rmmod"
}

# flaky_stat NAME: one counter of debugfs stats
flaky_stat() { sed -n "s/^$1 //p" $FLAKY_DBG/stats; }

# flaky_set FILE VALUE: write a debugfs control
flaky_set() { echo "$2" > $FLAKY_DBG/"$1" || fail "write $2 to $FLAKY_DBG/$1"; }

# flaky_insmod_fails PARAMS...: insmod must fail and leave nothing behind
flaky_insmod_fails() {
	if insmod "$FLAKY_KO" "$@" 2>/tmp/flaky-insmod.err; then
		rmmod flaky_blk
		fail "insmod flaky_blk $* succeeded; expected it to fail"
	fi
	[ ! -e /sys/block/flakyb0 ] || fail "insmod $* failed but left flakyb0"
	log "insmod $* refused: $(tail -n1 /tmp/flaky-insmod.err)"
}

flaky_cleanup() {
	mountpoint -q $FLAKY_MNT 2>/dev/null && umount $FLAKY_MNT
	flaky_loaded && rmmod flaky_blk
	return 0
}
trap flaky_cleanup EXIT

# now_ms: monotonic-enough wall clock in milliseconds
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# nonzero_bytes DEV OFFSET_MIB COUNT_MIB: bytes that are not zero there
nonzero_bytes() {
	dd if="$1" bs=1M skip="$2" count="$3" iflag=direct status=none | tr -d '\0' | wc -c
}

# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"; }

# nvme_by_serial SERIAL: the namespace (nvmeXn1) whose controller has SERIAL
nvme_by_serial() {
	local d s
	for d in /sys/block/nvme*; do
		# a multipath path (nvmeXcYnZ, "hidden": no /dev node); its
		# namespace head nvmeXnZ is the disk.  QEMU 10's nvme reports
		# a multi-controller subsystem, so Linux makes both.
		[ "$(cat "$d/hidden" 2>/dev/null)" = 1 ] && continue
		[ -e "$d/device/serial" ] || continue
		s=$(tr -d ' ' < "$d/device/serial")
		[ "$s" = "$1" ] && { basename "$d"; return 0; }
	done
	return 1
}
