#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The e1000e, isolated vs native, in one run: the test host's two e1000e
# NICs share a wire (QEMU hub).  The far end is the native NIC with MAC :02
# in its own netns (iperf3 server).  The near end is the NIC with MAC :01:
# first on the test host's own e1000e (native), then passed through to a
# domain running the stock e1000e whose eth0 the host gets back as a
# virtio_net interface (isolated).  Same measurements on both: ping RTT
# p50/p99 (adaptive pings, one at a time), iperf3 TCP and UDP throughput,
# and the 64-byte frame rate of dpdk-testpmd (txonly over af_packet).
. "$(dirname "$0")/../lib.sh"
. "$BENCH_DIR/../selftests/tests/pci_lib.sh"
. "$BENCH_DIR/../selftests/tests/net_lib.sh"

command -v iperf3 >/dev/null || fail "iperf3 is not installed (make install-deps)"
host_module virtio_net || fail "no virtio_net"
secs=$(quick_or 20 5)
pings=$(quick_or 1000 200)
NS=bench-nat
nic_pair
bench_start
bench_wire $NS 10.213.9

# pps DEV: small-packet rate, as '"pps_64b": N, "pps_tx": M': dpdk-testpmd
# (txonly, 64-byte UDP frames to the far NIC's MAC) on DEV through DPDK's
# af_packet PMD, counted where they arrive (the far NIC's rx_packets, over
# $secs s once frames flow); pps_tx is what testpmd itself handed to DEV.
# Empty when dpdk-testpmd is not installed (scripts/install-deps --bench).
pps() {
	local dev=$1 peer out pid r0 r1 i
	command -v dpdk-testpmd >/dev/null || return 0
	# Opt-in: testpmd at full rate over af_packet on the test host's own
	# e1000e (native, no drvbox) took the TCG test host down with a double
	# fault in packet_sendmsg (garbage EFLAGS: the emulator), 2026-11-26.
	[ "${BENCH_PPS:-0}" = 1 ] || { log "pps: skipped (BENCH_PPS=1 runs dpdk-testpmd; see docs/performance.md)" >&2; return 0; }
	# EAL keeps its runtime files in /var/run/dpdk (for root, always)
	[ -e /var/run ] || ln -s /run /var/run || fail "no /var/run for DPDK"
	peer=$(ip netns exec $NS cat "/sys/class/net/$NATIF/address")
	out=$(mktemp)
	timeout -k 10 -s INT $((secs + 40)) dpdk-testpmd -l 0,1 --no-huge -m 128 \
		--no-pci --file-prefix=drvbox-bench \
		--vdev "net_af_packet0,iface=$dev" -- --forward-mode=txonly \
		--txpkts=64 --eth-peer=0,"$peer" --nb-cores=1 \
		--total-num-mbufs=8192 --auto-start --stats-period=1 \
		</dev/null >"$out" 2>&1 &
	pid=$!
	rx() { ip netns exec $NS cat "/sys/class/net/$NATIF/statistics/rx_packets"; }
	r0=$(rx)
	for i in $(seq 60); do
		sleep 0.5
		[ "$(rx)" -gt $((r0 + 1000)) ] && break
		kill -0 $pid 2>/dev/null || break
	done
	r0=$(rx)
	sleep "$secs"
	r1=$(rx)
	kill -INT $pid 2>/dev/null
	wait $pid
	python3 - "$out" "$secs" "$((r1 - r0))" <<'PY' || { sed 's/^/# testpmd: /' "$out" | tail -n 20 >&2; rm -f "$out"; fail "dpdk-testpmd on $dev"; }
import re, sys
text, secs, got = open(sys.argv[1]).read(), float(sys.argv[2]), int(sys.argv[3])
tx = [int(m) for m in re.findall(r"Tx-pps:\s+(\d+)", text) if int(m)]
if got <= 0 or not tx:
    sys.exit(1)
tx = sorted(tx)[len(tx) // 2]
print('"pps_64b": %d, "pps_tx": %d' % (got / secs, tx))
PY
	rm -f "$out"
}

# measure DEV: one JSON object of this side's figures
measure() {
	local rtt tcp udp rate
	rtt=$(busybox ping -4 -A -c "$pings" -W 5 10.213.9.2 2>&1 | python3 -c '
import re, sys
t = sorted(float(m.group(1)) for m in re.finditer(r"time=([0-9.]+) ms", sys.stdin.read()))
if not t:
    sys.exit("no ping replies")
p = lambda q: t[min(len(t) - 1, int(round(q * (len(t) - 1))))]
print("\"ping_p50_ms\": %.3f, \"ping_p99_ms\": %.3f, \"ping_replies\": %d" % (p(0.5), p(0.99), len(t)))') ||
		fail "ping over $1 failed"
	log "$1: $rtt" >&2
	ip netns exec $NS iperf3 -s -D -1 >/dev/null 2>&1 || fail "iperf3 server"
	sleep 0.5
	tcp=$(iperf3 -c 10.213.9.2 -t "$secs" -J | python3 -c '
import json, sys
e = json.load(sys.stdin)["end"]
print("%.3f" % (e["sum_received"]["bits_per_second"] / 1e6))') || fail "iperf3 TCP over $1 failed"
	log "$1: TCP $tcp Mbit/s" >&2
	ip netns exec $NS iperf3 -s -D -1 >/dev/null 2>&1 || fail "iperf3 server"
	sleep 0.5
	udp=$(iperf3 -c 10.213.9.2 -u -b 1G -l 1400 -t "$secs" -J | python3 -c '
import json, sys
s = json.load(sys.stdin)["end"]["sum"]
print("%.3f, \"udp_lost_pct\": %.2f" % (s["bits_per_second"] * (1 - s["lost_percent"] / 100) / 1e6, s["lost_percent"]))') ||
		fail "iperf3 UDP over $1 failed"
	log "$1: UDP ${udp%%,*} Mbit/s delivered" >&2
	rate=$(pps "$1") || fail "$1: $(echo "$rate" | grep -m1 FAIL)"
	[ -z "$rate" ] || { log "$1: 64-byte frames: $rate" >&2; rate=", $rate"; }
	echo "{$rtt, \"tcp_mbit\": $tcp, \"udp_mbit\": $udp$rate}"
}

wire_up "$ISOIF"
native=$(measure "$ISOIF") || fail "native: $(echo "$native" | grep -m1 FAIL)"
ip addr flush dev "$ISOIF"
ip link set "$ISOIF" down

t0=$(now_ms)
bench_domain_up bnet --driver e1000e --pci "$ISO" --export net:eth0
wait_until 120 "bnet's host interface" net_has_dev bnet
dev=$(net_host_dev bnet)
wire_up "$dev"
boot=$(( $(now_ms) - t0 ))
isolated=$(counted bnet measure "$dev") || fail "isolated: $(echo "$isolated" | grep -m1 FAIL)"

# carrier_is VALUE: the host interface's carrier (0 while the domain is away)
carrier_is() { [ "$(cat /sys/class/net/$dev/carrier 2>/dev/null)" = "$1" ]; }
# A guest panic: the host interface's carrier from down to up again
# (the new incarnation's e1000e has probed and seen its link).
outages=()
for i in $(seq 1 "$(quick_or 5 2)"); do
	t0=$(now_ms)
	"$DRVBOX" crash bnet --how panic >/dev/null || fail "crash bnet failed"
	wait_until 60 "carrier down" carrier_is 0
	t_down=$(now_ms)
	wait_until 300 "carrier up" carrier_is 1
	outages+=("$(( $(now_ms) - t_down ))")
	log "panic $i: carrier down after $((t_down - t0)) ms, up $(( $(now_ms) - t_down )) ms later"
done
"$DRVBOX" stop bnet >/dev/null || fail "stop bnet failed"
cat > "$BENCH_OUT/net.json" <<JSON
{"seconds": $secs, "pings": $pings, "boot_with_e1000e_to_carrier_ms": $boot,
 "carrier_outage_ms": $(json_array "${outages[@]}"),
 "net": {"native": $native, "isolated": $isolated}}
JSON
