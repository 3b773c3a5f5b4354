# SPDX-License-Identifier: GPL-2.0
# Helpers for the cli_* tests that run real domains (not a test itself:
# not executable).  Source after ../lib/common.sh.

DRVBOX="$TOOLS/drvbox"
VMM="${DRVBOX_TEST_VMM:-$TOOLS/drvbox-vmm}"

# cli_need_domains: skip unless the VMM, /dev/kvm and a drvbox.ko that
# launches VMMs are there.
cli_need_domains() {
	[ -x "$DRVBOX" ] || fail "$DRVBOX not built (make tools)"
	[ -x "$VMM" ] || skip "$VMM not built"
	[ -e /dev/kvm ] || skip "no /dev/kvm in the test host"
	modinfo -p "$DRVBOX_KO" 2>/dev/null | grep -q '^vmm_path:' ||
		skip "this drvbox.ko has no vmm_path parameter (no domains yet)"
}

# cli_vmm_path: the vmm_path to give drvbox.ko.  It starts the VMM with
# call_usermodehelper, which resolves the path in init's root; the test
# host runs us chrooted in /mnt, so then the VMM is started through a
# wrapper that enters the same root.
cli_vmm_path() {
	local wrap
	if [ ! -e "/proc/1/root$VMM" ] && [ -e "/proc/1/root/mnt$VMM" ]; then
		wrap="$DRVBOX_TREE/build/selftests/vmm-chroot-wrap"
		mkdir -p "$(dirname "$wrap")"
		# write-then-rename: the other kernel's test host may run it now
		printf '#!/bin/sh\nexec /bin/busybox chroot /mnt %s "$@"\n' "$VMM" >"$wrap.$$"
		chmod +x "$wrap.$$"
		mv -f "$wrap.$$" "$wrap"
		echo "/mnt$wrap"
	else
		echo "$VMM"
	fi
}

# status_field NAME FIELD: one value of drvbox status NAME --json.
status_field() {
	"$DRVBOX" status "$1" --json | /usr/bin/python3 -c \
		'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

# inc_log NAME [N]: NAME's console log from incarnation N (default: the
# current one) on
inc_log() {
	"$DRVBOX" logs "$1" |
		sed -n "/=== drvbox: $1 incarnation ${2:-$(status_field "$1" incarnation)} /,\$p"
}

# wait_incarnation NAME N TIMEOUT_S: wait until incarnation N is running.
wait_incarnation() {
	local i inc
	for i in $(seq $(($3 * 2))); do
		inc=$(status_field "$1" incarnation)
		[ "$inc" = "$2" ] && [ "$(status_field "$1" state)" = running ] && return 0
		# past it: an end nobody asked for (fail() says if it was a bare
		# triple fault), not worth waiting out the timeout for
		[ "${inc:-0}" -gt "$2" ] 2>/dev/null &&
			fail "$1: waiting for incarnation $2, but it is at $inc already (last end: $(status_field "$1" last_crash_reason))"
		sleep 0.5
	done
	"$DRVBOX" status "$1" | sed 's/^/# status: /'
	fail "$1: incarnation $2 not running after $3 s"
}
