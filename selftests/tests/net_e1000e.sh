#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tier: long (make check runs it on the newest kernel only; see selftests/check)
# An isolated e1000e: the NIC is passed through (VFIO) to a domain whose
# stock e1000e driver runs it; the domain exports eth0, the host gets a
# virtio_net interface with the NIC's MAC.  Against the other, native
# e1000e in a netns over the test host's private hub: 1000 pings each way
# over IPv4 and IPv6 with no loss, iperf3 TCP for 20 s and UDP for 10 s
# each way (checksum offload used both ways, TSO frames down over slot
# chains, the guest's GRO-merged frames up over them, several receive
# buffers each); what the
# host sets on its interface taking effect on the wire: a new MAC,
# promiscuous mode, a multicast group and all-multicast past 32 groups,
# MTU 9000, link down/up; then a guest panic during iperf3: the carrier
# goes down and comes back, iperf3 finishes, the new incarnation has the
# host's MAC.
# Last, after stop, the same pings and iperf3 over the NIC on the host's
# own e1000e: the native figures of the same run.  Host log clean.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
. "$(dirname "$0")/net_lib.sh"
cli_need_domains
command -v iperf3 >/dev/null || skip "iperf3 is not installed (scripts/install-deps)"
host_module virtio_net || skip "virtio_net not available"

nic_pair
NS=drvbox-nat
D=ne0

nic_wire_setup $D $NS 10.213.8.2/24
ip -n $NS addr add fd88::2/64 dev "$NATIF" nodad
ip netns exec $NS iperf3 -s -D -1 >/dev/null 2>&1 || fail "iperf3 server"

t0=$(date +%s)
"$DRVBOX" run --name $D --driver e1000e --pci "$ISO" --export net:eth0 \
	--timeout 420 >/tmp/$D.out 2>/tmp/$D.err ||
	fail "drvbox run $D failed: $(cat /tmp/$D.err)"
wait_until 120 net_has_dev $D ||
	{ "$DRVBOX" logs $D | tail -n 30 | sed 's/^/# log: /'; fail "no host interface: $(net_exports $D)"; }
NET_DEV=$(net_host_dev $D)
expect_eq "MAC of $NET_DEV" "$(cat /sys/class/net/$NET_DEV/address)" $MAC_ISO
ifindex=$(cat /sys/class/net/$NET_DEV/ifindex)
ip addr add 10.213.8.1/24 dev "$NET_DEV"
ip addr add fd88::1/64 dev "$NET_DEV" nodad
ip link set "$NET_DEV" up
carrier() { [ "$(cat /sys/class/net/$NET_DEV/carrier 2>/dev/null)" = "$1" ]; }
wait_until 60 carrier 1 || fail "no carrier on $NET_DEV: $(net_exports $D)"
log "$D: $NET_DEV up $(($(date +%s) - t0)) s after run; $(net_exports $D | cut -d' ' -f1-7)"

# ping_both LABEL: 1000 pings each way, IPv4 and IPv6
ping_both() {
	local r
	r=$(busybox ping -4 -A -q -c 1000 -W 5 10.213.8.2 2>&1) &&
		echo "$r" | grep -q "1000 packets received" ||
		{ echo "$r" | sed 's/^/# /'; fail "$1: IPv4 pings lost"; }
	log "$1 IPv4 out: $(echo "$r" | sed -n 's/^round-trip //p')"
	r=$(ip netns exec $NS busybox ping -4 -A -q -c 1000 -W 5 10.213.8.1 2>&1) &&
		echo "$r" | grep -q "1000 packets received" ||
		{ echo "$r" | sed 's/^/# /'; fail "$1: IPv4 pings back lost"; }
	log "$1 IPv4 back: $(echo "$r" | sed -n 's/^round-trip //p')"
	r=$(busybox ping -6 -A -q -c 1000 -W 5 fd88::2 2>&1) &&
		echo "$r" | grep -q "1000 packets received" ||
		{ echo "$r" | sed 's/^/# /'; fail "$1: IPv6 pings lost"; }
	log "$1 IPv6 out: $(echo "$r" | sed -n 's/^round-trip //p')"
	r=$(ip netns exec $NS busybox ping -6 -A -q -c 1000 -W 5 fd88::1 2>&1) &&
		echo "$r" | grep -q "1000 packets received" ||
		{ echo "$r" | sed 's/^/# /'; fail "$1: IPv6 pings back lost"; }
	log "$1 IPv6 back: $(echo "$r" | sed -n 's/^round-trip //p')"
}

# iperf_run LABEL SECONDS [-R]: TCP to the native side (-R: from it);
# prints Mbit/s
iperf_run() {
	ip netns exec $NS iperf3 -s -D -1 >/dev/null 2>&1
	sleep 0.5
	iperf3 -c 10.213.8.2 -t "$2" ${3:-} -J >/tmp/$D.iperf 2>&1 ||
		{ tail -n 20 /tmp/$D.iperf | sed 's/^/# iperf3: /'; fail "$1: iperf3 failed"; }
	python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]; print("%.2f Mbit/s, %d retransmits" % (e["sum_received"]["bits_per_second"]/1e6, e["sum_sent"].get("retransmits", 0)))' /tmp/$D.iperf
}

# udp_once [-R]: 10 s of UDP, 1400-byte datagrams at 10 Mbit/s to the
# native side (-R: from it); prints what was delivered; false if 10 % or
# more were lost
udp_once() {
	ip netns exec $NS iperf3 -s -D -1 >/dev/null 2>&1
	sleep 0.5
	iperf3 -c 10.213.8.2 -u -b 10M -l 1400 -t 10 ${1:-} -J >/tmp/$D.udp 2>&1 ||
		{ tail -n 20 /tmp/$D.udp | sed 's/^/# iperf3: /'; echo "iperf3 UDP failed"; return 1; }
	python3 - /tmp/$D.udp <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["end"]["sum"]
got = s["bits_per_second"] * (1 - s["lost_percent"] / 100) / 1e6
print("%.2f Mbit/s delivered, %.2f %% lost" % (got, s["lost_percent"]))
sys.exit(0 if got > 0 and s["lost_percent"] < 10 else 1)
PY
}
# udp_run LABEL [-R]: udp_once (a rate both paths carry here; make bench
# measures the most they carry), once more if 10 % or more were lost (a
# 6.12 run lost 73 % of one 10 s run from the native side, with nothing
# dropped by the stub or the mediator: in the nested guest's NIC or the
# emulator); fails the test if the second run loses as much
udp_run() {
	local r
	r=$(udp_once "${2:-}") && { echo "$r"; return 0; }
	log "$1: UDP: $r; once more"
	r=$(udp_once "${2:-}") || fail "$1: UDP through the interface: $r"
	echo "$r (second run)"
}

ping_both isolated
# checksum offload both ways: virtio_net offers it, and after the TCP run
# the export has passed frames with NEEDS_CSUM down to the e1000e and
# frames the e1000e verified (DATA_VALID) up to the host
for f in tx-checksumming rx-checksumming tcp-segmentation-offload; do
	ethtool -k "$NET_DEV" | grep -q "^$f: on" ||
		fail "$f is not on: $(ethtool -k "$NET_DEV" | grep -E 'checksumming|scatter')"
done
r=$(iperf_run isolated 20) || fail "isolated iperf3 TCP 20 s: $r"
log "isolated iperf3 TCP 20 s: $r"
tx_csum=$(net_stat $D tx_csum)
rx_csum=$(net_stat $D rx_csum_valid)
[ "${tx_csum:-0}" -gt 0 ] || fail "no frame left with checksum offload: $(net_exports $D)"
[ "${rx_csum:-0}" -gt 0 ] || fail "no frame came with a verified checksum: $(net_exports $D)"
log "checksum offload: $tx_csum frames sent with NEEDS_CSUM, $rx_csum received with DATA_VALID"
# TSO: frames of up to 64 KiB go to the guest over several TX slots, and
# the guest's e1000e (or its stack) cuts them into MTU-sized segments
tx_gso=$(net_stat $D tx_gso)
[ "${tx_gso:-0}" -gt 0 ] || fail "no frame left for segmentation (TSO): $(net_exports $D)"
log "TSO: $tx_gso frames sent for segmentation, $(( $(net_stat $D tx_bytes) / $(net_stat $D tx_packets) )) bytes per frame on average"
# every frame the host posted left the stub (a TSO frame it could not
# rebuild would be counted here, and TCP would crawl on retransmits)
expect_eq "stub TX errors" "$(net_stat $D guest_tx_errors)" 0
r=$(iperf_run isolated-rx 20 -R) || fail "isolated iperf3 TCP 20 s from the native side: $r"
log "isolated iperf3 TCP 20 s from the native side: $r"
# the guest's GRO merged the stream's frames, which crossed over chains of
# RX slots as GSO frames
rx_gso=$(net_stat $D rx_gso)
[ "${rx_gso:-0}" -gt 0 ] || fail "no GRO-merged frame came up (rx_gso 0): $(net_exports $D)"
log "GRO: $rx_gso merged frames up, $(( $(net_stat $D rx_bytes) / $(net_stat $D rx_packets) )) bytes per frame on average"
# virtio_net took mergeable receive buffers (feature bit 15), and the
# merged frames went up over several of them
expect_eq "MRG_RXBUF negotiated" "$(cut -c16 /sys/class/net/$NET_DEV/device/features)" 1
rx_merged=$(net_stat $D rx_merged)
[ "${rx_merged:-0}" -gt 0 ] || fail "no frame went up over several receive buffers: $(net_exports $D)"
log "MRG_RXBUF: $rx_merged frames over several receive buffers"
r=$(udp_run isolated) || fail "isolated iperf3 UDP 10 s: $r"
log "isolated iperf3 UDP 10 s: $r"
r=$(udp_run isolated-rx -R) || fail "isolated iperf3 UDP 10 s from the native side: $r"
log "isolated iperf3 UDP 10 s from the native side: $r"
# no frame too big for a slot that was not a GSO frame
"$DRVBOX" logs $D | grep 'larger than a slot' | head -n 3 | sed 's/^/# log: /'
"$DRVBOX" logs $D | grep -q 'larger than a slot' && fail "the stub dropped frames larger than a slot"
expect_eq protocol_errors "$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)" 0

# ---- what the host asks of the NIC: MAC, filters, MTU, up/down -------
# (virtio_net's control queue and the interface's own events, applied by
# the stub to the guest's e1000e; settings_ack reaches settings_seq)
settled() {
	local seq
	seq=$(net_stat $D settings_seq)
	[ "${seq:-0}" -gt 0 ] && [ "$(net_stat $D settings_ack)" = "$seq" ]
}
wait_settled() {
	wait_until 30 settled ||
		fail "$1: the guest did not apply the host's settings: $(net_exports $D)"
	expect_eq "$1: settings_error" "$(net_stat $D settings_error)" 0
}
# pings from the native side: COUNT SIZE
pings_back() {
	ip netns exec $NS busybox ping -4 -A -q -c "$1" -s "$2" -W 5 10.213.8.1 2>&1 |
		grep -q "$1 packets received"
}
wait_settled "interface up"

# a new MAC: the native side learns it, and the guest NIC (no longer
# promiscuous) takes frames sent to it
NEWMAC=52:54:00:db:00:99
ip link set "$NET_DEV" address $NEWMAC || fail "ip link set address"
wait_settled "MAC $NEWMAC"
ip -n $NS neigh flush dev "$NATIF"
pings_back 20 56 || fail "no pings back after the MAC change"
expect_eq "the native side's neighbour entry" \
	"$(ip -n $NS neigh show 10.213.8.1 dev "$NATIF" | awk '{print $3}')" $NEWMAC
log "MAC $NEWMAC: the native side sees it, 20 pings back"

# promiscuous: frames for another MAC reach the host only when asked
ip -n $NS neigh replace 10.213.8.77 lladdr 52:54:00:aa:bb:cc dev "$NATIF"
# other_frames: rx_packets that came up while 100 pings went to that MAC
other_frames() {
	local r0
	r0=$(net_stat $D rx_packets)
	ip netns exec $NS busybox ping -4 -q -c 100 -i 0.02 -w 5 10.213.8.77 >/dev/null 2>&1
	sleep 1
	echo $(( $(net_stat $D rx_packets) - r0 ))
}
n_off=$(other_frames)
ip link set "$NET_DEV" promisc on || fail "promisc on"
wait_settled "promisc on"
n_on=$(other_frames)
ip link set "$NET_DEV" promisc off || fail "promisc off"
wait_settled "promisc off"
log "frames for another MAC that came up: $n_off not promiscuous, $n_on promiscuous"
[ "$n_off" -lt 20 ] || fail "the NIC passed frames for another MAC without promisc ($n_off)"
[ "$n_on" -ge 90 ] || fail "promisc on, but only $n_on of 100 frames for another MAC came up"

# multicast filters (virtio_net's MAC table): a group the host joined
# comes up, another does not; past 32 groups the guest NIC takes every
# multicast frame (all-multicast), as NICs with short filters do
ip -n $NS route add 224.0.0.0/4 dev "$NATIF" || fail "multicast route"
# group_frames GROUP: rx_packets that came up while 100 pings went to GROUP
group_frames() {
	local r0
	r0=$(net_stat $D rx_packets)
	ip netns exec $NS busybox ping -4 -q -c 100 -i 0.02 -w 5 "$1" >/dev/null 2>&1
	sleep 1
	echo $(( $(net_stat $D rx_packets) - r0 ))
}
ip maddr add 01:00:5e:01:02:03 dev "$NET_DEV" || fail "ip maddr add"
wait_settled "one multicast group"
n_in=$(group_frames 239.1.2.3)
n_out=$(group_frames 239.1.2.4)
for i in $(seq 10 50); do
	ip maddr add "01:00:5e:01:03:$(printf %02x "$i")" dev "$NET_DEV" ||
		fail "ip maddr add ($i)"
done
wait_settled "42 multicast groups"
n_all=$(group_frames 239.1.2.4)
for i in $(seq 10 50); do
	ip maddr del "01:00:5e:01:03:$(printf %02x "$i")" dev "$NET_DEV"
done
ip maddr del 01:00:5e:01:02:03 dev "$NET_DEV"
wait_settled "multicast groups left"
log "multicast frames that came up: $n_in for the group joined, $n_out for another, $n_all for it with 42 groups joined"
[ "$n_in" -ge 90 ] || fail "only $n_in of 100 frames for a joined group came up"
[ "$n_out" -lt 20 ] || fail "$n_out frames for a group not joined came up"
[ "$n_all" -ge 90 ] || fail "42 groups joined (all-multicast), but only $n_all of 100 frames came up"

# jumbo frames, if the guest's e1000e takes them
max_mtu=$(net_stat $D max_mtu)
expect_eq "interface max MTU" "$(ip -d link show "$NET_DEV" | sed -n 's/.* maxmtu \([0-9]*\).*/\1/p')" "$max_mtu"
if [ "$max_mtu" -ge 9000 ]; then
	ip link set "$NET_DEV" mtu 9000 || fail "mtu 9000"
	ip -n $NS link set "$NATIF" mtu 9000 || fail "native mtu 9000"
	wait_settled "MTU 9000"
	expect_eq "export MTU" "$(net_stat $D mtu)" 9000
	# e1000e resets itself for a new MTU: its link comes back first
	wait_until 60 carrier 1 || fail "no carrier after MTU 9000"
	wait_until 30 pings_back 1 8972 || fail "no 8972-byte ping back at MTU 9000"
	r0=$(net_stat $D rx_bytes)
	pings_back 20 8972 || fail "8972-byte pings back lost at MTU 9000"
	r=$(busybox ping -4 -A -q -c 20 -s 8972 -W 5 10.213.8.2 2>&1)
	echo "$r" | grep -q "20 packets received" ||
		{ echo "$r" | sed 's/^/# /'; fail "8972-byte pings lost at MTU 9000"; }
	# 40 frames of 9014 bytes came up whole (no IP fragments)
	rx=$(( $(net_stat $D rx_bytes) - r0 ))
	[ "$rx" -ge $((40 * 9000)) ] || fail "only $rx bytes came up for 40 jumbo frames"
	log "MTU 9000: 20 8972-byte pings each way, $(echo "$r" | sed -n 's/^round-trip //p')"
	ip link set "$NET_DEV" mtu 1500 && ip -n $NS link set "$NATIF" mtu 1500 ||
		fail "mtu 1500"
	wait_settled "MTU 1500"
	wait_until 60 carrier 1 || fail "no carrier after MTU 1500"
	wait_until 30 pings_back 1 56 || fail "no pings back at MTU 1500"
else
	log "the guest e1000e takes MTU $max_mtu at most: no jumbo frames"
fi

# down on the host closes the guest NIC (its carrier goes), up opens it
ip link set "$NET_DEV" down || fail "link down"
wait_settled "link down"
wait_until 10 eval '[ "$(net_stat $D link)" = down ]' ||
	fail "the guest NIC still has carrier with the interface down: $(net_exports $D)"
ip link set "$NET_DEV" up || fail "link up"
wait_settled "link up"
wait_until 60 carrier 1 || fail "no carrier after link up: $(net_exports $D)"
wait_until 20 pings_back 5 56 || fail "no pings back after link down/up"
log "link down/up from the host: the guest NIC followed"

# a guest panic during iperf3
ip netns exec $NS iperf3 -s -D -1 >/dev/null 2>&1
sleep 0.5
iperf3 -c 10.213.8.2 -t 60 -J >/tmp/$D.iperf-crash 2>&1 &
ipid=$!
sleep 5
t_panic=$(date +%s%N)
"$DRVBOX" crash $D --how panic >/dev/null || fail "drvbox crash failed"
wait_until 30 carrier 0 || fail "carrier still up after the panic"
log "panic: $NET_DEV carrier down $(( ($(date +%s%N) - t_panic) / 1000000 )) ms after the crash request"
wait_until 180 carrier 1 || fail "carrier not back: $(net_exports $D)"
log "incarnation $(status_field $D incarnation): $NET_DEV carrier up again; outage (crash request to carrier up) $(( ($(date +%s%N) - t_panic) / 1000000 )) ms"
wait $ipid || { tail -n 20 /tmp/$D.iperf-crash | sed 's/^/# iperf3: /'; fail "iperf3 failed across the panic"; }
log "iperf3 across the panic: $(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]; print("sent %d bytes, received %d bytes in 60 s" % (e["sum_sent"]["bytes"], e["sum_received"]["bytes"]))' /tmp/$D.iperf-crash)"
r=$(busybox ping -4 -A -q -c 20 -W 5 10.213.8.2 2>&1) && echo "$r" | grep -q "20 packets received" ||
	{ echo "$r" | sed 's/^/# /'; fail "no traffic after the panic"; }
log "after the panic: 20 pings, $(echo "$r" | sed -n 's/^round-trip //p')"
log "$(net_exports $D)"
expect_eq "same interface" "$(net_host_dev $D)" "$NET_DEV"
# the new incarnation applied the host's settings before it answered: the
# replies to the pings above went to $NEWMAC, which only the settings gave
# the new e1000e (it is not promiscuous)
settled || fail "settings not applied after the restart: $(net_exports $D)"
expect_eq "settings_error after the restart" "$(net_stat $D settings_error)" 0

"$DRVBOX" stop $D >/dev/null || fail "drvbox stop failed"
# the NIC's own interface may come back with the same name: go by ifindex
gone() { ! ip -o link show | grep -q "^$ifindex: "; }
wait_until 10 gone || fail "$NET_DEV (ifindex $ifindex) still there after stop"

# native: the same NIC on the host's e1000e
nic_returned
NET_DEV=$ISOIF
ip addr add 10.213.8.1/24 dev "$NET_DEV"
ip addr add fd88::1/64 dev "$NET_DEV" nodad
ip link set "$NET_DEV" up
wait_until 60 carrier 1 || fail "no carrier on the native $NET_DEV"
ping_both native
r=$(iperf_run native 20) || fail "native iperf3 TCP 20 s: $r"
log "native iperf3 TCP 20 s: $r"
r=$(iperf_run native-rx 20 -R) || fail "native iperf3 TCP 20 s from the other side: $r"
log "native iperf3 TCP 20 s from the other side: $r"
r=$(udp_run native) || fail "native iperf3 UDP 10 s: $r"
log "native iperf3 UDP 10 s: $r"
r=$(udp_run native-rx -R) || fail "native iperf3 UDP 10 s from the other side: $r"
log "native iperf3 UDP 10 s from the other side: $r"
ip addr flush dev "$NET_DEV"
ip link set "$NET_DEV" down
nic_wire_cleanup
trap - EXIT
dmesg_check_clean net_e1000e
