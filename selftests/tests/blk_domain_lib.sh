# SPDX-License-Identifier: GPL-2.0
# Helpers for the blk_domain_* tests: a real domain (drvbox-vmm, the guest
# kernel, drvbox_stub.ko) exports a guest block device; the host's stock
# virtio_blk makes /dev/vdX of it.  Not a test itself (not executable).
# Source after common.sh, cli_lib.sh, kmod_lib.sh (wait_until, expect_eq)
# and blk_lib.sh (fio_verify, blk_exports, blk_stat, mknod_blk).

# null_blk in the guest: memory-backed so data reads back, 1 GiB (pages
# are allocated only when written), 4 KiB blocks, discard, a write cache
# (flush and FUA), two submission queues.
BLK_DOMAIN_NULL_PARAMS=(--param null_blk.gb=1 --param null_blk.memory_backed=1
	--param null_blk.bs=4096 --param null_blk.discard=1
	--param null_blk.cache_size=16 --param null_blk.submit_queues=2)

blk_domain_need() {
	cli_need_domains
	command -v fio >/dev/null || skip "fio is not installed (scripts/install-deps)"
	host_module virtio_blk || skip "virtio_blk not available"
}

# blk_domain_logs NAME: the domain's console, for a failure
blk_domain_logs() {
	"$DRVBOX" logs "$1" 2>&1 | tail -n 40 | sed 's/^/# log: /'
	dmesg | tail -n 20 | sed 's/^/# dmesg: /'
}

# blk_domain_load [PARAM=VALUE...]: drvbox.ko with patient timeouts.  On
# the 2-core build machine, with other test hosts running, a nested boot
# took 80-120 s and a guest was starved of its 200 ms heartbeat for > 5 s;
# these tests are about the block path, not the supervisor's timeouts.
blk_domain_load() {
	unload_drvbox
	load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000 \
		heartbeat_timeout_ms=30000 "$@"
}

# blk_domain_start NAME DRVBOX-RUN-ARGS...: run the domain, wait for its
# export's host disk; sets BLK_DEV (vdX).
blk_domain_start() {
	local name=$1
	shift
	"$DRVBOX" run --name "$name" --timeout 450 "$@" >/tmp/"$name".out 2>/tmp/"$name".err ||
		{ sed 's/^/# run: /' /tmp/"$name".err; blk_domain_logs "$name"
		  fail "drvbox run $name failed"; }
	wait_until 30 blk_has_dev "$name" ||
		{ blk_domain_logs "$name"; fail "no host disk: $(blk_exports "$name")"; }
	BLK_DEV=$(blk_host_dev "$name")
	[ -b /dev/"$BLK_DEV" ] || mknod_blk "$BLK_DEV"
	log "$name: $(blk_exports "$name" | cut -d' ' -f1-4)"
}

# blk_domain_stop NAME: stop it; the host disk goes with it.
blk_domain_stop() {
	"$DRVBOX" stop "$1" >/dev/null || fail "drvbox stop $1 failed"
	wait_until 10 test ! -e /sys/block/"$BLK_DEV" ||
		fail "/dev/$BLK_DEV still there after stop"
}


# blk_domain_diag NAME: what the host and the guest said, for a failure
blk_domain_diag() {
	# a guest oops of an earlier incarnation first (its console keeps it)
	"$DRVBOX" logs "$1" 2>&1 | awk '/(BUG:|Oops|Kernel panic|general protection|RIP:|Call Trace)/ && !n { n = NR }
		{ l[NR] = $0 } END { if (n) for (i = n > 5 ? n - 5 : 1; i <= NR && i < n + 45; i++) print l[i] }' |
		sed 's/^/# oops: /'
	"$DRVBOX" logs "$1" 2>&1 | tail -n 60 | sed 's/^/# log: /'
	dmesg_since_mark | grep -v 'io_u error' | tail -n 40 | sed 's/^/# dmesg: /'
	"$DRVBOX" status "$1" 2>&1 | sed 's/^/# status: /'
}

# null_blk keeps its data in the guest's RAM: a restart loses it, so say so
# rather than leave a verify error unexplained.  (A restart after a bare
# triple fault nobody injected makes fail() call the run inconclusive.)
# null_blk_lost NAME: log it if NAME is past its first incarnation.
null_blk_lost() {
	[ "$(status_field "$1" incarnation)" = 1 ] && return 0
	log "the domain restarted ($(status_field "$1" last_crash_reason)): null_blk's RAM disk was lost with it"
}

# null_blk_fail NAME WHY: a null_blk domain's test failed: that, why
# its data may be gone, and what the host and the guest said.
null_blk_fail() {
	null_blk_lost "$1"
	blk_domain_diag "$1"
	fail "$2"
}

# The test host runs under TCG, whose handling of cross-modifying code
# loses the race with the kernel's int3-based text patching: when the last
# KVM VM goes away (a domain crashing or stopping) KVM drops the
# preempt-notifier static key, the scheduler's code is patched live, and
# the test host oopses ("Oops: int3" in __schedule or finish_task_switch).
# Holding one empty VM for the whole test keeps the key enabled, so domain
# crashes and restarts patch nothing.  kvm_pin_start / kvm_pin_stop.
kvm_pin_start() {
	rm -f /tmp/kvm-pin.ready
	/usr/bin/python3 -c '
import fcntl, os, signal
kvm = os.open("/dev/kvm", os.O_RDWR)
vm = fcntl.ioctl(kvm, 0xAE01, 0)	# KVM_CREATE_VM
open("/tmp/kvm-pin.ready", "w").close()
signal.pause()' &
	KVM_PIN=$!
	wait_until 10 test -e /tmp/kvm-pin.ready || fail "cannot hold a KVM VM open"
}
kvm_pin_stop() {
	[ -n "${KVM_PIN:-}" ] || return 0
	kill "$KVM_PIN" 2>/dev/null
	wait "$KVM_PIN" 2>/dev/null
	KVM_PIN=
}
