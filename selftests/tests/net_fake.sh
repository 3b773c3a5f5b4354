#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The host half of an isolated interface, against a fake guest (fake_vmm
# "net" modes, a tap device standing in for the guest's NIC): virtio_net
# makes an interface with the guest NIC's MAC, MTU and carrier; 500 pings
# each over IPv4 and IPv6 with no loss; the counters match; TCP with
# checksum offload (NEEDS_CSUM, filled in by the tap); the guest's
# carrier going down and up is followed; when the domain dies the carrier
# drops, what is sent meanwhile is dropped and counted, and the next
# incarnation brings the carrier and the traffic back on the same
# interface; destroy removes the interface.  Host log clean.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/net_lib.sh"

kmod_setup heartbeat_timeout_ms=3000
D=netfake
echo up > "$SELFTEST_BIN/fake_vmm.link"
net_start $D net

expect_eq "MAC" "$(ip netns exec $NET_NS cat /sys/class/net/$NET_DEV/address)" $NET_MAC0
expect_eq "MTU" "$(ip netns exec $NET_NS cat /sys/class/net/$NET_DEV/mtu)" 1500

# the guest NIC loses its carrier, then gets it back
wait_until 10 net_carrier_is up || fail "no carrier at start"
echo down > "$SELFTEST_BIN/fake_vmm.link"
wait_until 10 net_carrier_is down || fail "carrier did not follow the guest link down"
log "guest link down -> $NET_DEV $(net_carrier)"
echo up > "$SELFTEST_BIN/fake_vmm.link"
wait_until 10 net_carrier_is up || fail "carrier did not come back"
log "guest link up -> $NET_DEV $(net_carrier)"
[ "$(net_stat $D carrier_changes)" -ge 3 ] || fail "carrier_changes: $(net_exports $D)"

# ip -s link on the host interface, TX and RX packets
link_stats() {
	ip -n $NET_NS -j -s link show "$NET_DEV" |
		python3 -c 'import json,sys; s=json.load(sys.stdin)[0]["stats64"]; print(s["tx"]["packets"], s["rx"]["packets"])'
}
read -r ltx0 lrx0 <<<"$(link_stats)"
tx0=$(net_stat $D tx_packets)
rx0=$(net_stat $D rx_packets)
# frames the tap sent before virtio_net was up were dropped; none after
rxd0=$(net_stat $D rx_dropped)
r4=$(net_ping 4 10.77.0.1 500) || fail "IPv4 ping lost packets"
log "IPv4 500 pings: $r4"
r6=$(net_ping 6 fd77::1 500) || fail "IPv6 ping lost packets"
log "IPv6 500 pings: $r6"
r4=$(net_ping 4 10.77.0.2 200 root) || fail "IPv4 ping from the tap side lost packets"
log "IPv4 200 pings the other way: $r4"
tx=$(( $(net_stat $D tx_packets) - tx0 ))
rx=$(( $(net_stat $D rx_packets) - rx0 ))
[ $tx -ge 1200 ] && [ $rx -ge 1200 ] || fail "counters: tx +$tx rx +$rx: $(net_exports $D)"
# what ip -s link counted is what crossed the export, once the last
# frames have crossed (IPv6 router and listener reports come and go on
# their own timers: a few frames of difference are those)
sleep 2
read -r ltx lrx <<<"$(link_stats)"
tx=$(( $(net_stat $D tx_packets) - tx0 ))
rx=$(( $(net_stat $D rx_packets) - rx0 ))
ltx=$((ltx - ltx0)) lrx=$((lrx - lrx0))
log "ip -s link: tx +$ltx rx +$lrx; export: tx +$tx rx +$rx"
[ $((ltx - tx)) -le 4 ] && [ $((tx - ltx)) -le 4 ] &&
	[ $((lrx - rx)) -le 4 ] && [ $((rx - lrx)) -le 4 ] ||
	fail "ip -s link (tx +$ltx rx +$lrx) does not match the export (tx +$tx rx +$rx)"
expect_eq "rx_dropped during the pings" "$(net_stat $D rx_dropped)" "$rxd0"
expect_eq "protocol_errors" "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0
log "$(net_exports $D)"

# TCP out of the interface: virtio_net leaves the checksums to the "NIC"
# (NEEDS_CSUM), the tap fills them in; a frame the export got wrong would
# be dropped by the receiving TCP
command -v iperf3 >/dev/null || fail "iperf3 is not installed (scripts/install-deps)"
csum0=$(net_stat $D tx_csum)
gso0=$(net_stat $D tx_gso)
iperf3 -s -1 -B 10.77.0.1 -D >/dev/null 2>&1 || fail "iperf3 server"
sleep 0.5
ip netns exec $NET_NS iperf3 -c 10.77.0.1 -t 2 -J >/tmp/netfake.iperf 2>&1 ||
	{ tail -n 20 /tmp/netfake.iperf | sed 's/^/# iperf3: /'; fail "iperf3 TCP through the export failed"; }
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"])' /tmp/netfake.iperf)
[ "${got:-0}" -gt 0 ] || fail "iperf3 received nothing"
csum=$(( $(net_stat $D tx_csum) - csum0 ))
[ "$csum" -gt 0 ] || fail "no frame was sent with checksum offload: $(net_exports $D)"
# TSO: virtio_net hands the export frames of up to 64 KiB, which span
# several TX slots; the tap segments them (a lost or garbled piece would
# stall or corrupt the TCP stream above)
ip netns exec $NET_NS ethtool -k "$NET_DEV" | grep -q "^tcp-segmentation-offload: on" ||
	fail "TSO is not on: $(ip netns exec $NET_NS ethtool -k "$NET_DEV" | grep -i segmentation)"
gso=$(( $(net_stat $D tx_gso) - gso0 ))
[ "$gso" -gt 0 ] || fail "no frame was sent for segmentation (TSO): $(net_exports $D)"
log "TCP 2 s: $got bytes received, $csum frames sent with NEEDS_CSUM, $gso for TSO"

# The domain dies: carrier off, TX dropped and counted, then back.
drop0=$(net_stat $D tx_dropped)
dbx crash $D panic || fail "crash panic"
wait_until 10 net_carrier_is down || fail "carrier still up after the crash"
ip netns exec $NET_NS busybox ping -4 -c 3 -W 1 10.77.0.1 >/dev/null 2>&1
wait_state $D running 30 2 || fail "no incarnation 2"
wait_until 10 net_carrier_is up || fail "carrier not back in incarnation 2"
[ "$(net_stat $D tx_dropped)" -gt "$drop0" ] || log "note: nothing sent while the domain was away"
r4=$(net_ping 4 10.77.0.1 200) || fail "no traffic in incarnation 2"
log "after the crash: $r4; $(net_exports $D)"
expect_eq "same interface" "$(net_host_dev $D)" "$NET_DEV"
net_teardown $D
