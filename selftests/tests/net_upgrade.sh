#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 900 (about 2 minutes normally)
# drvbox upgrade of an isolated e1000e while an iperf3 TCP stream runs
# through it: the connection survives both an upgrade (e1000e with
# InterruptThrottleRate=4000, loaded so by the new incarnation) and a
# rolled-back one (a parameter e1000e refuses); the host interface,
# its ifindex and its MAC stay the same throughout.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
. "$(dirname "$0")/net_lib.sh"
cli_need_domains
command -v iperf3 >/dev/null || skip "iperf3 is not installed (scripts/install-deps)"
host_module virtio_net || skip "virtio_net not available"

nic_pair
NS=drvbox-nup
D=nu0

nic_isolated_up $D $NS 10.213.10
ifindex=$(cat /sys/class/net/$NET_DEV/ifindex)
mac=$(cat /sys/class/net/$NET_DEV/address)

# loaded_with PARAMS: the current incarnation's log loads e1000e so
loaded_with() {
	inc_log $D | grep -qE "drvbox-init: loaded e1000e\.ko[.a-z]* $1 \("
}

# across WHAT CMD...: one iperf3 TCP connection of 30 s to the wire while
# CMD runs (5 s in); fails unless iperf3 completes, and says what moved.
# CMD's status is in $across_rc, its output in /tmp/$D.cmd.{out,err}.
across() {
	local what=$1 t0 ipid
	shift
	ip netns exec $NS iperf3 -s -D -1 >/dev/null 2>&1 || fail "$what: iperf3 server"
	sleep 0.5
	iperf3 -c 10.213.10.2 -t 30 -i 1 -J >/tmp/$D.iperf.$what 2>&1 &
	ipid=$!
	sleep 5
	t0=$(ms_now)
	"$@" >/tmp/$D.cmd.out 2>/tmp/$D.cmd.err
	across_rc=$?
	log "$what: '$*' exited $across_rc after $(($(ms_now) - t0)) ms: $(cat /tmp/$D.cmd.out /tmp/$D.cmd.err | tr '\n' ' ')"
	wait $ipid ||
		{ tail -n 20 /tmp/$D.iperf.$what | sed 's/^/# iperf3: /'; fail "$what: the TCP connection did not survive"; }
	log "$what: iperf3 $(python3 - /tmp/$D.iperf.$what <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
iv = [i["sum"]["bytes"] for i in r["intervals"]]
empty = sum(1 for b in iv if b == 0)
e = r["end"]
print("%.1f Mbit/s received over 30 s, %d seconds without data" %
      (e["sum_received"]["bits_per_second"] / 1e6, empty))
PY
)"
}

same_interface() {
	expect_eq "$1: host interface" "$(net_host_dev $D)" "$NET_DEV"
	expect_eq "$1: ifindex" "$(cat /sys/class/net/$NET_DEV/ifindex)" "$ifindex"
	expect_eq "$1: MAC" "$(cat /sys/class/net/$NET_DEV/address)" "$mac"
	wait_until 60 carrier || fail "$1: no carrier: $(net_exports $D)"
	busybox ping -4 -c 3 -W 5 10.213.10.2 >/dev/null 2>&1 ||
		fail "$1: no ping reply over $NET_DEV"
}

across upgrade "$DRVBOX" upgrade $D --driver e1000e \
	--param e1000e.InterruptThrottleRate=4000 --timeout 400
[ "$across_rc" = 0 ] || fail "upgrade: exit status $across_rc"
expect_eq "upgrade: upgrades" "$(status_field $D upgrades)" 1
loaded_with "InterruptThrottleRate=4000" ||
	{ "$DRVBOX" logs $D | tail -n 30 | sed 's/^/# log: /'; fail "upgrade: e1000e not loaded with InterruptThrottleRate=4000"; }
same_interface upgrade

across rollback "$DRVBOX" upgrade $D --driver e1000e \
	--param e1000e.InterruptThrottleRate=fast --timeout 400
expect_eq "rollback: exit status" "$across_rc" 1
grep -q "the upgrade of $D failed: module e1000e.ko[.a-z]*: " /tmp/$D.cmd.err ||
	fail "rollback: no reason naming e1000e: $(cat /tmp/$D.cmd.err)"
expect_eq "rollback: rollbacks" "$(status_field $D rollbacks)" 1
loaded_with "InterruptThrottleRate=4000" ||
	fail "rollback: not back on InterruptThrottleRate=4000"
same_interface rollback
expect_eq "crashes" "$(status_field $D crashes)" 0
log "$(net_exports $D)"

"$DRVBOX" stop $D >/dev/null || fail "drvbox stop $D failed"
nic_returned
dmesg_check_clean
exit 0
