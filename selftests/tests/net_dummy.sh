#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A real domain exports the guest's dummy0 (the dummy driver, loaded in the
# domain) through drvbox_stub.ko: the host gets a virtio_net interface with
# dummy0's MAC (as the guest reports it), MTU 1500 and carrier up; 300
# frames sent from the host all reach the guest (more than the 64-entry TX
# ring holds, so the stub consumed them), none dropped; no protocol error;
# stop removes the interface; EVENT_IDX negotiated; the host log stays
# clean.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/net_lib.sh"
cli_need_domains
host_module virtio_net || skip "virtio_net not available"

D=nd0
trap '"$DRVBOX" stop $D >/dev/null 2>&1; ip netns del $NET_NS 2>/dev/null; unload_drvbox' EXIT
unload_drvbox
load_drvbox vmm_path="$(cli_vmm_path)"
dmesg_mark

net_domain_logs() {
	"$DRVBOX" logs "$1" 2>&1 | tail -n 40 | sed 's/^/# log: /'
	dmesg | tail -n 20 | sed 's/^/# dmesg: /'
}
"$DRVBOX" run --name $D --driver dummy --export net:dummy0 >/tmp/$D.out 2>/tmp/$D.err ||
	{ sed 's/^/# run: /' /tmp/$D.err; net_domain_logs $D; fail "drvbox run $D failed"; }
wait_until 30 net_has_dev $D || { net_domain_logs $D; fail "no host interface: $(net_exports $D)"; }
NET_DEV=$(net_host_dev $D)
log "$D: $(net_exports $D | cut -d' ' -f1-7)"

guest_mac=$("$DRVBOX" status $D | sed -n 's/^ *net *dummy0 *\([0-9a-f:]*\).*/\1/p')
[ -n "$guest_mac" ] || { "$DRVBOX" status $D | sed 's/^/# status: /'; fail "the guest did not report dummy0"; }
expect_eq "host interface MAC" "$(cat /sys/class/net/$NET_DEV/address)" "$guest_mac"
expect_eq "MTU" "$(cat /sys/class/net/$NET_DEV/mtu)" 1500
# virtio_net took event indexes (bit 29): notifications only when asked
expect_eq "EVENT_IDX negotiated" "$(cut -c30 /sys/class/net/$NET_DEV/device/features)" 1
dmesg_since_mark | grep -q "domain $D: net:dummy0 ready in incarnation 1: MAC $guest_mac, MTU 1500, 1 queue(s), link up" ||
	fail "the host log does not show the export ready with link up"

ip netns add $NET_NS || fail "netns add"
ip link set "$NET_DEV" netns $NET_NS || fail "cannot move $NET_DEV to netns $NET_NS"
ip -n $NET_NS addr add 10.88.0.2/24 dev "$NET_DEV" || fail "address"
ip -n $NET_NS link set "$NET_DEV" up || fail "$NET_DEV up"
wait_until 10 net_carrier_is up || fail "no carrier: $(ip -n $NET_NS link show $NET_DEV)"
# nobody answers behind dummy0: a static neighbour makes every ping a frame
ip -n $NET_NS neigh add 10.88.0.1 lladdr 02:00:00:00:00:01 dev "$NET_DEV" || fail "neigh"
tx0=$(net_stat $D tx_packets)
ip netns exec $NET_NS busybox ping -4 -q -c 300 -i 0.01 -w 20 10.88.0.1 >/dev/null 2>&1
wait_until 10 eval '[ $(($(net_stat $D tx_packets) - tx0)) -ge 300 ]' ||
	fail "frames did not reach the guest: $(net_exports $D)"
expect_eq tx_dropped "$(net_stat $D tx_dropped)" 0
expect_eq protocol_errors "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
log "$(net_exports $D)"

"$DRVBOX" stop $D >/dev/null || fail "drvbox stop $D failed"
wait_until 10 eval '! ip -n $NET_NS link show "$NET_DEV" >/dev/null 2>&1' ||
	fail "$NET_DEV still there after stop"
ip netns del $NET_NS
trap 'unload_drvbox' EXIT
dmesg_check_clean "$D"
