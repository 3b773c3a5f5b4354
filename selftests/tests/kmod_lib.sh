# SPDX-License-Identifier: GPL-2.0
# Helpers for the kmod_* selftests: drvbox.ko with the fake VMM
# (selftests/ctl/fake_vmm.c) and the dbxctl client.  Source after common.sh.

FAKE_VMM="$SELFTEST_BIN/fake_vmm"
DBXCTL="$SELFTEST_BIN/dbxctl"
FAKE_MODE="$SELFTEST_BIN/fake_vmm.mode"
FAKE_LOG="$SELFTEST_BIN/fake_vmm.log"

# Usermode helpers run with kthreadd's root.  In the test host that is the
# initramfs (busybox, the build machine's / under /mnt), not the chroot the
# tests run in, and a dynamically linked fake_vmm cannot run there.  Then
# the VMM path is a small script that re-enters the chroot.
fake_vmm_path() {
	local wrap="$SELFTEST_BIN/fake_vmm-umh"
	if [ -x "/proc/2/root$FAKE_VMM" ] || [ ! -d "/proc/2/root/mnt$SELFTEST_BIN" ]; then
		echo "$FAKE_VMM"
		return
	fi
	printf '#!/bin/sh\nexec chroot /mnt %s "$@"\n' "$FAKE_VMM" > "$wrap"
	chmod 755 "$wrap"
	echo "/mnt$wrap"
}

kmod_setup() {
	[ -x "$FAKE_VMM" ] && [ -x "$DBXCTL" ] || fail "selftest binaries not built (make selftests-bins)"
	drvbox_loaded && destroy_all
	unload_drvbox
	trap kmod_cleanup EXIT
	: > "$FAKE_LOG"
	fake_mode ok
	load_drvbox vmm_path="$(fake_vmm_path)" "$@"
	dmesg_mark
}

fake_mode() { echo "$1" > "$FAKE_MODE"; }

dbx() { "$DBXCTL" "$@"; }

# st NAME KEY: one field of dbxctl status
st() { "$DBXCTL" status "$1" | sed -n "s/^$2=//p"; }

# wait_until SECS CMD...: poll CMD every 0.2 s
wait_until() {
	local secs=$1 i
	shift
	for i in $(seq 1 $((secs * 5))); do
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}

# wait_state NAME STATE SECS [MIN-INCARNATION]
wait_state() { "$DBXCTL" wait "$@" | sed 's/^/# /'; return "${PIPESTATUS[0]}"; }

st_is() { [ "$(st "$1" "$2")" = "$3" ]; }
st_ge() { local v; v="$(st "$1" "$2")"; [ -n "$v" ] && [ "$v" -ge "$3" ]; }

# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"; }

fake_vmm_count() {
	local c n=0
	for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = fake_vmm ] && n=$((n + 1))
	done
	echo "$n"
}

no_fake_vmm_left() { [ "$(fake_vmm_count)" = 0 ]; }

mem_available_kib() { sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo; }

destroy_all() {
	local n
	for n in $(dbx list 2>/dev/null); do dbx destroy "$n" >/dev/null; done
}

kmod_teardown() {
	destroy_all
	wait_until 5 no_fake_vmm_left || fail "fake_vmm processes left: $(fake_vmm_count)"
	unload_drvbox
	dmesg_check_clean "$1"
}

# On any exit: leave no domain and no module behind for the next test.
kmod_cleanup() {
	drvbox_loaded || return 0
	destroy_all
	rmmod drvbox 2>/dev/null || true
}
