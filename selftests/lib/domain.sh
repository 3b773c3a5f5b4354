# SPDX-License-Identifier: GPL-2.0
# Helpers for tests that run real driver domains (drvbox.ko + drvbox-vmm +
# the guest stub).  Source after common.sh.

DRVBOX="$TOOLS/drvbox"
VMM="${DRVBOX_TEST_VMM:-$TOOLS/drvbox-vmm}"

# load_drvbox_real [PARAMS...]: drvbox.ko launching the real VMM.
load_drvbox_real() {
	[ -c /dev/kvm ] || skip "no /dev/kvm in the test host"
	[ -x "$VMM" ] || fail "$VMM not built"
	load_drvbox vmm_path="$VMM" "$@"
}

# dom_attr NAME ATTR: a sysfs attribute of a domain ("" if absent).
dom_attr() { cat "/sys/kernel/drvbox/domains/$1/$2" 2>/dev/null || true; }

# wait_until TIMEOUT_S DESCRIPTION COMMAND...: poll COMMAND every 0.2 s.
wait_until() {
	local limit=$(( $(date +%s) + $1 )) what="$2"
	shift 2
	until "$@"; do
		[ "$(date +%s)" -lt "$limit" ] || fail "timed out waiting for $what"
		sleep 0.2
	done
}

dom_state_is() { [ "$(dom_attr "$1" state)" = "$2" ]; }
# dom_attr_gt NAME ATTR VALUE: the attribute (read now) is greater than VALUE.
dom_attr_gt() { [ "$(dom_attr "$1" "$2")" -gt "$3" ] 2>/dev/null; }
# uninjected_ends NAME: how many incarnations of domain NAME ended on their
# own since dmesg_mark, in a bare triple fault or stuck in their boot past
# boot_timeout_ms.  Nested TCG does both now and then to a domain nobody
# touched (docs/testing.md, "Inconclusive runs"); the supervisor restarts
# it like any other crash, so a test counting restarts adds these.
uninjected_ends() {
	dmesg_since_mark | grep -cE "domain $1: incarnation [0-9]+ ended: (guest shut down \(triple fault\)|boot timeout)"
}

# stop_all_domains: stop every domain (for cleanup).
stop_all_domains() {
	local d
	for d in /sys/kernel/drvbox/domains/*; do
		[ -d "$d" ] && "$DRVBOX" stop "$(basename "$d")" >/dev/null 2>&1
	done
	return 0
}

# Count of eventfd files open by any process.
count_eventfds() {
	find /proc/[0-9]*/fd -lname 'anon_inode:\[eventfd\]' 2>/dev/null | wc -l
}

# A drvbox-vmm process exists.  Matches the process name, not the command
# line: `pgrep -f drvbox-vmm` inside `sh -c '...'` would find that shell.
vmm_running() { pgrep -x drvbox-vmm >/dev/null; }

# mem_available_kib: MemAvailable plus the free pages the allocator keeps
# on its per-CPU lists, which MemFree leaves out.  Those lists grow and
# shrink on their own (6.12 tunes their size by load; drop_caches does not
# drain them): between two readings a test host moved them by 28-68 MiB
# with nothing allocated, more than the leaks the tests look for.
pcp_free_kib() {
	awk -v pk="$(($(getconf PAGESIZE) / 1024))" '$1 == "count:" { s += $2 } END { print s * pk }' /proc/zoneinfo
}
mem_available_kib() {
	echo $(( $(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) + $(pcp_free_kib) ))
}
