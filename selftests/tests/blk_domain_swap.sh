#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Swap on an isolated disk under memory pressure.  A domain exports
# null_blk (memory-backed); the test host swaps onto its /dev/vdX while a
# process (memhog) writes 384 MiB, page after page, for 60 s, in a memory
# cgroup limited to 256 MiB: its own reclaim has to swap out and back in
# through the isolated disk the whole time.  (A limit rather than the
# whole host's memory: each page swapped to a RAM-backed guest disk
# takes a page of guest RAM on the same host, so global pressure would
# never ease.)  No hung task (the detector set to 20 s), no I/O error or
# timeout, swap written and read back, memhog's pages intact, the domain
# still in its first incarnation with the same VMM, whose pages are
# locked in RAM and whose threads never reclaim through I/O.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
blk_domain_need
MEMHOG="$SELFTEST_BIN/memhog"
[ -x "$MEMHOG" ] || fail "$MEMHOG not built"
command -v mkswap >/dev/null && command -v swapon >/dev/null ||
	skip "mkswap/swapon not installed"

D=bs0
SWAP_MIB=256
HOG_MIB=384
LIMIT_MIB=256
HOG_SECONDS=60
CG=/sys/fs/cgroup/drvbox-swap-test
hung=/proc/sys/kernel/hung_task_timeout_secs
hung_was=$(cat $hung 2>/dev/null || echo)
bs0_cleanup() {
	rmdir $CG 2>/dev/null
	swapoff /dev/"$BLK_DEV" 2>/dev/null
	[ -z "$hung_was" ] || echo "$hung_was" > $hung
	"$DRVBOX" stop $D >/dev/null 2>&1
	unload_drvbox
	kvm_pin_stop
}
trap bs0_cleanup EXIT
[ -z "$(swapon --show --noheadings)" ] ||
	skip "the test host already swaps: $(swapon --show --noheadings)"
if [ ! -e /sys/fs/cgroup/cgroup.controllers ]; then
	mount -t cgroup2 none /sys/fs/cgroup || fail "mount cgroup2 on /sys/fs/cgroup"
fi
grep -qw memory /sys/fs/cgroup/cgroup.controllers || skip "no memory controller"
echo +memory > /sys/fs/cgroup/cgroup.subtree_control || fail "enable the memory controller"
blk_domain_load
kvm_pin_start
dmesg_mark

blk_domain_start $D --driver null_blk "${BLK_DOMAIN_NULL_PARAMS[@]}" \
	--export blk:nullb0 --mem 512 --cpus 2
mkswap /dev/"$BLK_DEV" $((SWAP_MIB * 1024)) >/dev/null || fail "mkswap /dev/$BLK_DEV"
swapon /dev/"$BLK_DEV" || fail "swapon /dev/$BLK_DEV"
[ -z "$hung_was" ] || echo 20 > $hung

vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
out0=$(vmstat pswpout)
in0=$(vmstat pswpin)
vmm=$(status_field $D vmm_pid)
# the VMM keeps its pages in RAM (a vCPU thread must never wait for one
# swapped out to the disk its guest serves)
locked=$(awk '/^VmLck:/ { print $2 }' /proc/"$vmm"/status)
[ "${locked:-0}" -gt 0 ] || fail "the VMM has no locked memory (VmLck '$locked')"
# PR_SET_IO_FLUSHER: PF_MEMALLOC_NOIO (0x80000) in every thread's flags,
# field 9 of stat (the name in field 2 has no spaces: "(drvbox-vmm)")
for t in /proc/"$vmm"/task/*; do
	f=$(awk '{ print $9 }' "$t"/stat)
	[ $(( f & 0x80000 )) -ne 0 ] ||
		fail "VMM thread ${t##*/} may reclaim through I/O (flags $(printf %#x "$f"), no PF_MEMALLOC_NOIO)"
done
mkdir $CG || fail "mkdir $CG"
echo $((LIMIT_MIB << 20)) > $CG/memory.max || fail "memory.max"
log "memhog $HOG_MIB MiB for ${HOG_SECONDS} s in a cgroup limited to $LIMIT_MIB MiB"
rc=0
res=$(sh -c "echo \$\$ > $CG/cgroup.procs && exec $MEMHOG $HOG_MIB $HOG_SECONDS" 2>&1) || rc=$?
[ $rc = 0 ] || null_blk_fail $D "memhog: $res (exit $rc)"
out=$(( $(vmstat pswpout) - out0 ))
in=$(( $(vmstat pswpin) - in0 ))
log "memhog: $res; pages swapped out $out, in $in: $(blk_exports $D)"
[ "$out" -gt 0 ] && [ "$in" -gt 0 ] ||
	fail "no swapping happened (out $out, in $in): the test proves nothing"
swapoff /dev/"$BLK_DEV" || fail "swapoff /dev/$BLK_DEV"

for k in errors timeouts; do
	[ "$(blk_stat $D $k)" = 0 ] || null_blk_fail $D "$k counted: $(blk_exports $D)"
done
expect_eq incarnation "$(status_field $D incarnation)" 1
expect_eq "VMM pid" "$(status_field $D vmm_pid)" "$vmm"
dmesg_since_mark | grep -iE "blocked for more than|hung_task|out of memory" &&
	fail "the host logged a hung task or an OOM kill"
blk_domain_stop $D
trap - EXIT
bs0_cleanup
dmesg_check_clean blk_domain_swap
