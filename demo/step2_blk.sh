#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Demo step 2, inside the test host (run by inside.sh with drvbox.ko
# loaded): the same flaky_blk, isolated in a driver domain and stacked over
# the nvme drvbox-nvme0 passed through with VFIO.  /dev/vdX appears on the
# host; ext4 on it; the panic fires part way through the copy; the domain
# restarts, the copy finishes; drvbox upgrade then replaces flaky_blk by
# one without the fault under the mounted file system while the file is
# read back; after stop the nvme is the host's again and the file on it
# has the source's checksum.  Figures go to $DEMO_RESULTS.
#
#   demo/step2_blk.sh [FAULT_AFTER]   (0: no fault, for calibration)
set -uo pipefail
. "$(dirname "$0")/../selftests/lib/common.sh"
. "$DRVBOX_TREE/selftests/tests/cli_lib.sh"
. "$DRVBOX_TREE/selftests/tests/kmod_lib.sh"
. "$DRVBOX_TREE/selftests/tests/blk_lib.sh"
. "$DRVBOX_TREE/selftests/tests/pci_lib.sh"
. "$(dirname "$0")/lib.sh"

# The copy is 512 requests of 128 KiB (one at a time, so the guest sees
# exactly those).  mkfs + mount make up to ~270 requests before it (the
# host counted 266 on 6.12; the guest may merge some into fewer).  Armed
# at load, the panic fires after FAULT_AFTER requests in every incarnation:
# 522 is 256-420 requests into the copy in the first, and the second has
# fewer than 522 left to do.
fault_after=${1:-522}
D=demo-blk
FLAKY_KO="$KBUILD/selftests/drivers/flaky_blk.ko"
[ -r "$FLAKY_KO" ] || die "$FLAKY_KO not built"
host_module virtio_blk || die "no virtio_blk module"
bdf=$(nvme_bdf drvbox-nvme0) || die "no nvme controller with serial drvbox-nvme0"
[ -e "/sys/bus/pci/devices/$bdf/iommu_group" ] || die "$bdf has no IOMMU group (no IOMMU)"
sysd=/sys/kernel/drvbox/domains/$D
trap 'umount $DEMO_MNT 2>/dev/null; "$DRVBOX" stop $D >/dev/null 2>&1' EXIT
dmesg_mark

say "Step 2: the same driver isolated by drvbox, over the nvme $bdf passed through with VFIO"
note "The guest gets the nvme controller (its stock nvme driver) and flaky_blk.ko stacked on"
note "it, armed with fault=panic fault_after=$fault_after: the same panic, part way"
note "through the copy.  The host only sees /dev/vdX, made by its stock virtio_blk."
params=(--param flaky_blk.lower=/dev/nvme0n1 --param flaky_blk.lower_wait_ms=60000)
[ "$fault_after" = 0 ] ||
	params+=(--param flaky_blk.fault=panic --param flaky_blk.fault_after="$fault_after")
t0=$(secs_now)
(
	while sleep 10; do note "... still booting the domain ($(secs_since "$t0") s)"; done
) &
ticker=$!
show "$DRVBOX" run --name $D --driver nvme --driver "$FLAKY_KO" --pci "$bdf" \
	"${params[@]}" --export blk:flakyb0 --mem 512 --restart-limit 5 \
	--restart-window 3600 --timeout 600
rc=$?
kill $ticker 2>/dev/null
wait $ticker 2>/dev/null
[ $rc = 0 ] || { "$DRVBOX" logs $D | tail -n 30; die "drvbox run $D failed"; }
wait_until 60 blk_has_dev $D || die "no host disk for blk:flakyb0: $(blk_exports $D)"
dev=$(blk_host_dev $D)
[ -b "/dev/$dev" ] || mknod_blk "$dev"
note "domain up in $(secs_since "$t0") s; the host's disk is /dev/$dev:"
show "$DRVBOX" ls
"$DRVBOX" logs $D | grep -m1 'flaky_blk: flakyb0: /dev/nvme0n1' ||
	die "the domain's log does not show flakyb0 over nvme0n1"
[ "$(pci_driver "$bdf")" = vfio-pci ] || die "$bdf is on '$(pci_driver "$bdf")', not vfio-pci"

say "mkfs.ext4 and mount /dev/$dev on the host"
demo_source_file
demo_mkfs_mount "$dev"
# req: requests the host's disk completed (one read of the counters)
req() {
	blk_exports $D | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(reads|writes|flushes|discards)=/) { split($i, kv, "="); n += kv[2] } } END { print n + 0 }'
}
note "requests so far: $(req) (the panic is armed for request $((fault_after + 1)) in the guest)"

say "Copy $DEMO_COPY_MIB MiB onto /dev/$dev; flaky_blk will panic the guest part way"
inc0=$(cat $sysd/incarnation)
demo_copy_start
t0=$(secs_now)
last_mib=0 last_t=$t0 stall=0 t_down="" t_up="" prev_state=running
while kill -0 "$COPY_PID" 2>/dev/null; do
	now=$(secs_now)
	mib=$(demo_copied_mib)
	state=$(cat $sysd/state)
	inc=$(cat $sysd/incarnation)
	if [ "$mib" != "$last_mib" ]; then
		last_mib=$mib last_t=$now
	else
		s=$(awk -v a="$last_t" -v b="$now" 'BEGIN { printf "%d", b - a }')
		[ "$s" -le "$stall" ] || stall=$s
	fi
	if [ "$state" != running ] && [ -z "$t_down" ]; then
		t_down=$now
		note "$(secs_since "$t0") s: the domain is $state: $(cat $sysd/last_crash_reason)"
	fi
	if [ -n "$t_down" ] && [ -z "$t_up" ] && [ "$state" = running ] && [ "$inc" -gt "$inc0" ]; then
		t_up=$now
		note "$(secs_since "$t0") s: incarnation $inc running, replaying what was in flight"
	fi
	[ "$state" = "$prev_state" ] || note "$(secs_since "$t0") s: state $state"
	prev_state=$state
	note "$(secs_since "$t0") s: $mib MiB copied, domain $state (incarnation $inc), requests $(req)"
	sleep 2
done
wait "$COPY_PID"
rc=$?
copy_s=$(secs_since "$t0")
[ $rc = 0 ] || die "the copy failed (dd exit $rc): $(cat /tmp/demo-dd.err)"
[ -s /tmp/demo-dd.err ] && die "dd reported: $(cat /tmp/demo-dd.err)"
note "copy finished in $copy_s s, dd exit 0, no error"
restarts=$(cat $sysd/restarts)
if [ "$fault_after" != 0 ]; then
	[ "$restarts" -ge 1 ] || die "the domain never restarted: the fault did not fire during the copy"
	grep -q 'guest panic: flaky_blk: injected panic after' <<<"$(cat $sysd/last_crash_reason)" ||
		die "last crash was not flaky_blk's panic: $(cat $sysd/last_crash_reason)"
	note "the guest's console shows the same panic as step 1:"
	"$DRVBOX" logs $D | grep -m2 -E 'flaky_blk: injecting panic|Kernel panic - not syncing' | sed 's/^/      /'
	[ -n "$t_up" ] || t_up=$(secs_now)
	outage=$(awk -v a="$t_down" -v b="$t_up" 'BEGIN { printf "%.0f", b - a }')
	note "domain restarts: $restarts; down for ~$outage s; the copy paused at most $stall s"
else
	outage=0
fi

say "Ship the fixed driver without unmounting: drvbox upgrade to flaky_blk without the fault"
note "The domain drains (the guest finishes what it has, new requests wait on the host),"
note "restarts from its boot image with the new drivers, and gets what waited; /dev/$dev"
note "and the mount stay.  Meanwhile the host reads the whole file back."
sync
echo 3 > /proc/sys/vm/drop_caches
t0=$(secs_now)
(cd $DEMO_MNT && sha256sum demo-src > /tmp/demo-up.sha256) &
read_pid=$!
inc0=$(cat $sysd/incarnation)
show "$DRVBOX" upgrade $D --driver nvme --driver "$FLAKY_KO" \
	--param flaky_blk.lower=/dev/nvme0n1 --param flaky_blk.lower_wait_ms=60000 \
	--timeout 600 || { "$DRVBOX" logs $D | tail -n 30; die "drvbox upgrade failed"; }
up_s=$(secs_since "$t0")
reading=no
kill -0 $read_pid 2>/dev/null && reading=yes
wait $read_pid || die "reading the file back across the upgrade failed"
[ "$(cut -d' ' -f1 /tmp/demo-up.sha256)" = "$(cut -d' ' -f1 /tmp/demo-src.sha256)" ] ||
	die "the file read across the upgrade differs from the source"
[ "$(cat $sysd/incarnation)" -gt "$inc0" ] || die "the upgrade did not start a new incarnation"
inc_log $D |
	grep -q 'flaky_blk: flakyb0: /dev/nvme0n1, .* fault none' ||
	die "the new incarnation's flaky_blk is not the one without the fault"
note "upgraded in $up_s s (the read was $([ $reading = yes ] && echo "still running" || echo "done") by then); the file read back"
note "across it has the source's sha256; the new flaky_blk has no fault armed"

say "Unmount, stop the domain: the nvme goes back to the host's own nvme driver"
show umount $DEMO_MNT || die "umount failed"
exp=$(blk_exports $D)
note "drvbox's counters for blk:flakyb0: $(echo "$exp" | cut -d' ' -f5-)"
bytes=$(blk_stat $D bytes)
errors=$(( $(blk_stat $D errors) + $(blk_stat $D timeouts) + $(cat $sysd/protocol_errors) ))
replayed=$(blk_stat $D replayed)
[ "$errors" = 0 ] || die "errors counted: $exp, protocol_errors $(cat $sysd/protocol_errors)"
show "$DRVBOX" stop $D || die "drvbox stop failed"
trap - EXIT
ns=$(nvme_host_ns drvbox-nvme0 "$bdf")
[ -n "$ns" ] || die "drvbox-nvme0 ($bdf: $(pci_driver "$bdf")) has no namespace on the host after stop"

say "Check the copy on the real disk, now the host's /dev/$ns"
show mount -o ro "/dev/$ns" $DEMO_MNT || die "mounting /dev/$ns failed"
(cd $DEMO_MNT && sha256sum demo-src) | tee /tmp/demo-dst.sha256 | sed 's/^/      /'
umount $DEMO_MNT || die "umount /dev/$ns failed"
cmp -s /tmp/demo-src.sha256 /tmp/demo-dst.sha256 ||
	die "checksums differ: source $(cat /tmp/demo-src.sha256), on the nvme $(cat /tmp/demo-dst.sha256)"
note "sha256 matches the source: every byte arrived, across the crash"
fsck.ext4 -f -n "/dev/$ns" > /tmp/demo-fsck 2>&1 || { cat /tmp/demo-fsck; die "fsck.ext4 -f found problems"; }
note "fsck.ext4 -f: clean"
(dmesg_check_clean demo-step2) >/tmp/demo-dmesg 2>&1 || { cat /tmp/demo-dmesg; die "the host's kernel log shows a problem"; }
ioerr=$(dmesg_since_mark | grep -E 'I/O error|EXT4-fs error|Buffer I/O' || true)
[ -z "$ioerr" ] || { echo "$ioerr" | head -n 5; die "the host's kernel log shows I/O errors"; }
note "the host's kernel log has no oops, warning, BUG, hung task or I/O error"

mkdir -p "$DEMO_RESULTS"
printf '2|flaky_blk over nvme, isolated|%s|%s s (copy paused %s s)|%s MiB (%s replayed)|%s\n' \
	"$restarts" "$outage" "$stall" "$((bytes >> 20))" "$replayed" "$errors" > "$DEMO_RESULTS/step2"
