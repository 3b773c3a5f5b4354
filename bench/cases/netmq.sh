#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# How the isolated NIC scales with queue pairs: the test host's two igb
# (82576, multi-queue) share their own wire; the far one is native in a
# netns (iperf3 servers).  The near one first on the test host's igb
# (native), then passed through to a domain with 2 vCPUs running the stock
# igb, whose eth0 the host gets back as a virtio_net interface with 2
# queue pairs (isolated).  On both, with 1 and then 2 combined channels
# (`ethtool -L`): 8 TCP streams from the far side (-R: RX, spread by the
# igb's RSS) and 8 to it (TX), Mbit/s.
. "$(dirname "$0")/../lib.sh"
. "$BENCH_DIR/../selftests/tests/pci_lib.sh"
. "$BENCH_DIR/../selftests/tests/net_lib.sh"

command -v iperf3 >/dev/null || fail "iperf3 is not installed (make install-deps)"
host_module virtio_net || fail "no virtio_net"
secs=$(quick_or 10 4)
NS=bench-mq
nic_pair igb
bench_start
bench_wire $NS 10.213.10

# streams8 [-R]: 8 TCP streams for $secs s; Mbit/s received
streams8() {
	ip netns exec $NS iperf3 -s -D -1 >/dev/null 2>&1 || fail "iperf3 server"
	sleep 0.5
	iperf3 -c 10.213.10.2 -P 8 -t "$secs" ${1:-} -J | python3 -c '
import json, sys
print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))'
}

# pairs DEV P: '{"rx_mbit": ..., "tx_mbit": ...}' with P queue pairs
pairs() {
	local rx tx
	ethtool -L "$1" combined "$2" || fail "ethtool -L $1 combined $2"
	sleep 2	# the driver re-creates its queues (igb: a reset)
	wait_until 60 "carrier on $1" eval "[ \"\$(cat /sys/class/net/$1/carrier 2>/dev/null)\" = 1 ]"
	rx=$(streams8 -R) || fail "iperf3 -R over $1 ($2 pairs) failed"
	tx=$(streams8) || fail "iperf3 over $1 ($2 pairs) failed"
	log "$1, $2 queue pair(s): RX $rx Mbit/s, TX $tx Mbit/s" >&2
	echo "{\"rx_mbit\": $rx, \"tx_mbit\": $tx}"
}

# measure DEV [DOMAIN]: '"pairs_1": {...}, "pairs_2": {...}' of this side;
# with the DOMAIN that exports DEV, each with its counters (bench/lib.sh)
measure() {
	local p r out=""
	for p in 1 2; do
		r=$(counted "${2:-}" pairs "$1" "$p") || { echo "$r"; return 1; }
		out="$out${out:+, }\"pairs_$p\": $r"
	done
	echo "$out"
}

wire_up "$ISOIF"
native=$(measure "$ISOIF") || fail "native: $(echo "$native" | grep -m1 FAIL)"
ethtool -L "$ISOIF" combined 2 >/dev/null 2>&1
ip addr flush dev "$ISOIF"
ip link set "$ISOIF" down

bench_domain_up bmq --driver igb --pci "$ISO" --export net:eth0 --cpus 2
wait_until 120 "bmq's host interface" net_has_dev bmq
dev=$(net_host_dev bmq)
wire_up "$dev"
isolated=$(measure "$dev" bmq) || fail "isolated: $(echo "$isolated" | grep -m1 FAIL)"
log "bmq: $(net_exports bmq | grep -o 'queues=.*')" >&2
"$DRVBOX" stop bmq >/dev/null || fail "stop bmq failed"
python3 - "$BENCH_OUT/netmq.json" "$secs" "{$native}" "{$isolated}" <<'PY'
import json, sys
nat, iso = json.loads(sys.argv[3]), json.loads(sys.argv[4])
out = {"seconds": int(sys.argv[2]), "streams": 8}
for p in nat:
    out[p] = {"native": nat[p], "isolated": iso[p]}
json.dump(out, open(sys.argv[1], "w"))
PY
