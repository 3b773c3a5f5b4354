# SPDX-License-Identifier: GPL-2.0
# Shared helpers for drvbox selftests running inside the test host.
# Source it; it sets DRVBOX_TREE, KVER, KBUILD, TOOLS and defines helpers.

DRVBOX_TREE="${DRVBOX_TREE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
KVER="$(uname -r)"
KBUILD="$DRVBOX_TREE/build/$KVER"
TOOLS="$DRVBOX_TREE/build/tools"
SELFTEST_BIN="$DRVBOX_TREE/build/selftests"
DRVBOX_KO="$KBUILD/kmod/drvbox.ko"
STUB_KO="$KBUILD/guest-stub/drvbox_stub.ko"
export DRVBOX_TREE KVER KBUILD TOOLS

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

log() { echo "# $*"; }
# ms_now: wall clock in milliseconds
ms_now() { echo $(($(date +%s%N) / 1000000)); }
# fail WHY: the test failed.  Unless a domain ended in a bare triple fault
# since the test began (see emulator_faults): then the run is inconclusive.
fail() {
	local tf
	echo "# FAIL: $*"
	tf=$(emulator_faults)
	[ -z "$tf" ] || inconclusive "a domain nobody crashed ended in a bare triple fault during this test ($tf); the failure above may follow from it"
	fail_diag
	exit $KSFT_FAIL
}

# emulator_faults: the domains that ended in a bare triple fault since this
# test began (selftests/run writes "drvbox-selftest: begin TEST" into the
# kernel log and exports it as SELFTEST_BEGIN), as "NAME incarnation N, ...".
# drvbox's guests never end that way on purpose: a guest panic ends in a
# write to the reset port (reboot=p) which the VMM names, a hang is a
# missed heartbeat, vmm-kill a killed VMM.  Seen under TCG's nested SVM in
# domains nobody touched (docs/testing.md, "Inconclusive runs").
emulator_faults() {
	[ -n "${SELFTEST_BEGIN:-}" ] || return 0
	dmesg | awk -v m="$SELFTEST_BEGIN" '
		index($0, m) { on = 1; next }
		on && /drvbox: domain .*: incarnation [0-9]+ ended: guest shut down \(triple fault\)/ {
			sub(/.*drvbox: domain /, "")
			sub(/: incarnation/, " incarnation"); sub(/ ended:.*/, "")
			printf "%s%s", sep, $0; sep = ", " }'
}

# fail_diag: on a failure while domains exist, what each domain and each
# VMM process is doing, and the host's blocked tasks (sysrq w): enough to
# tell a slow nested boot from a stuck supervisor, VMM or device reset in
# a CI log.  Every read is bounded in time, so a stuck lock cannot hang it.
fail_diag() {
	local d p t n
	[ -d /sys/kernel/drvbox/domains ] || return 0
	[ -n "$(ls /sys/kernel/drvbox/domains 2>/dev/null)" ] || return 0
	[ -n "${FAIL_DIAG_DONE:-}" ] && return 0
	FAIL_DIAG_DONE=1
	for d in /sys/kernel/drvbox/domains/*/; do
		n=$(basename "$d")
		echo "# diag: domain $n:$(for a in state incarnation restarts boot_ms last_crash_reason last_error; do
			printf ' %s=%s' $a "$(timeout 5 cat "$d$a" 2>/dev/null | tr -d '\n')"; done)"
		# how earlier incarnations ended, with a hung one's vCPUs
		[ -r "/run/drvbox/$n/console.log" ] &&
			timeout 5 grep -aE 'hang report:|=== drvbox: .* ended' "/run/drvbox/$n/console.log" |
			tail -n 12 | sed 's/^/# diag:   /'
	done
	for p in $(pgrep -x drvbox-vmm); do
		echo "# diag: drvbox-vmm $p: $(timeout 5 tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null)"
		for t in /proc/$p/task/*; do
			echo "# diag:   thread ${t##*/} $(awk '/^State/ { print $2 $3 }' $t/status 2>/dev/null) wchan=$(cat $t/wchan 2>/dev/null)"
			timeout 5 cat $t/stack 2>/dev/null | head -n 8 | sed 's/^/# diag:     /'
		done
	done
	if [ -w /proc/sysrq-trigger ]; then
		echo w > /proc/sysrq-trigger
		dmesg | awk '/sysrq: Show Blocked State/ { n = NR } { l[NR] = $0 }
			END { if (n) for (i = n; i <= NR && i < n + 60; i++) print l[i] }' |
			sed 's/^/# diag: /'
	fi
	return 0
}
skip() { echo "# SKIP: $*"; exit $KSFT_SKIP; }
# inconclusive WHY: the emulated machine broke this run in a way the test
# can name and that is not drvbox's doing (say, a domain nobody crashed
# ended in a triple fault with no guest panic: TCG's nested SVM); selftests/run
# runs the test once more, and a second inconclusive run fails.  Never for
# anything drvbox decides or reports.
KSFT_INCONCLUSIVE=3
inconclusive() { echo "# INCONCLUSIVE: $*"; fail_diag; exit $KSFT_INCONCLUSIVE; }

drvbox_loaded() { [ -d /sys/module/drvbox ]; }

# host_module MOD: MOD is in the kernel, loaded now if it was not (there is
# no udev in the test host to load virtio_blk/virtio_net for drvbox's
# devices); the caller says what its absence means (skip or fail).
host_module() { modprobe "$1" 2>/dev/null || [ -d "/sys/module/$1" ]; }

load_drvbox() {
	[ -r "$DRVBOX_KO" ] || fail "$DRVBOX_KO not built (make KVER=$KVER)"
	drvbox_loaded || insmod "$DRVBOX_KO" "$@" || fail "insmod $DRVBOX_KO failed"
}

unload_drvbox() {
	drvbox_loaded || return 0
	rmmod_drvbox || fail "rmmod drvbox failed"
}

# rmmod_drvbox: unload drvbox.ko once its domains are stopped.  A stopped
# domain's VMM can hold the module a moment after the process is gone:
# its guest RAM mapping goes with the last reference to its mm, which KVM's
# async page-fault work or a /proc reader may drop later, and that file is
# then released from a workqueue.  So rmmod gets 10 s; a retry is logged,
# and a module still held after that is a failure, with its holders.
rmmod_drvbox() {
	local i
	for i in $(seq 50); do
		if rmmod drvbox 2>/dev/null; then
			[ "$i" = 1 ] || log "rmmod drvbox: in use for $(( (i - 1) * 200 )) ms after the last stop"
			return 0
		fi
		drvbox_loaded || return 0
		sleep 0.2
	done
	rmmod drvbox 2>&1 | sed 's/^/# /'
	drvbox_holders
	return 1
}

# drvbox_holders: who holds drvbox.ko (for a failed rmmod)
drvbox_holders() {
	local p
	log "drvbox refcnt $(cat /sys/module/drvbox/refcnt 2>/dev/null); domains: $(ls /sys/kernel/drvbox/domains 2>/dev/null | tr '\n' ' ')"
	for p in /proc/[0-9]*; do
		ls -l "$p/fd" 2>/dev/null | grep -q -E 'drvbox' &&
			log "holder: ${p#/proc/} $(tr '\0' ' ' < "$p/cmdline" 2>/dev/null) state $(awk '{ print $3 }' "$p/stat" 2>/dev/null): $(ls -l "$p/fd" 2>/dev/null | grep -o -E '(/dev/drvbox|anon_inode:[^ ]*drvbox[^ ]*)' | sort | uniq -c | tr -s ' ' | tr '\n' ' ')"
	done
	pgrep -a drvbox-vmm | sed 's/^/# vmm: /'
}

# Things that must never appear in the host's kernel log because of drvbox.
DMESG_BAD='WARNING:|BUG:|Oops|general protection|Call Trace|hung_task|blocked for more than|UBSAN|KASAN|kmemleak|refcount_t:|list_add corruption|list_del corruption|double free|use-after-free|RCU stall|soft lockup'

# dmesg_mark: write a unique line into the kernel log; dmesg_since_mark
# prints what came after it; dmesg_check_clean NAME: fail if anything bad
# was logged since the mark.  A marker, not a line count: once the ring
# buffer is full (late in a long run) its line count stops growing.  Should
# the marker itself have been overwritten, everything still there counts.
dmesg_mark() {
	DMESG_MARK="drvbox-selftest: mark $$.$RANDOM.$(date +%s%N)"
	echo "$DMESG_MARK" > /dev/kmsg
}
dmesg_since_mark() {
	dmesg | awk -v m="${DMESG_MARK:-}" '
		{ line[NR] = $0 }
		m != "" && index($0, m) { start = NR }
		END { for (i = start + 1; i <= NR; i++) print line[i] }'
}
dmesg_check_clean() {
	local bad
	bad="$(dmesg_since_mark | grep -E "$DMESG_BAD" || true)"
	if [ -n "$bad" ]; then
		dmesg_since_mark | sed 's/^/# dmesg: /' | tail -n 60
		fail "${1:-test}: kernel log shows problems: $(echo "$bad" | head -n1)"
	fi
}
