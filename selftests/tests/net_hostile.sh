#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tier: long (make check runs it on the newest kernel only; see selftests/check)
# A hostile guest on the net rings: an RX entry longer than its slot, an
# RX header asking for GSO of a frame that is not TCP, an RX chain that
# ends past the last entry posted, a chained frame without GSO longer
# than the MTU range allows, a chained GSO frame whose headers are UDP, a
# TCP one with a gso_size of 1, a tx_cons index beyond what was posted, an answer with more queues than
# offered.  Each is one protocol error and
# restarts the domain; the interface stays and carries traffic again in incarnation 2;
# the host log stays clean (no WARN/BUG).  A guest that announces another
# MAC after a restart is not attached (state=error, carrier down).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/net_lib.sh"

echo up > "$SELFTEST_BIN/fake_vmm.link"
for mode in net-rx-len net-rx-hdr net-rx-chain net-rx-long net-rx-gso net-rx-mss net-tx-cons net-queues; do
	kmod_setup heartbeat_timeout_ms=3000
	D=nethostile
	net_start $D $mode
	if [ $mode = net-tx-cons ]; then
		# the host reads tx_cons before it posts the next frame
		ip netns exec $NET_NS busybox ping -4 -c 100 -i 0.02 -W 1 10.77.0.1 >/dev/null 2>&1
	fi
	wait_state $D running 30 2 || fail "$mode: domain not restarted"
	pe=$(cat /sys/kernel/drvbox/domains/$D/protocol_errors)
	expect_eq "$mode protocol_errors" "$pe" 1
	dmesg_since_mark | grep -q "guest protocol violation: .* (net:fakeeth0)" ||
		fail "$mode: violation not logged"
	wait_until 10 net_carrier_is up || fail "$mode: no carrier in incarnation 2"
	r=$(net_ping 4 10.77.0.1 50) || fail "$mode: no traffic in incarnation 2"
	log "$mode: $(dmesg_since_mark | grep -o 'guest protocol violation: [^,]*' | head -n1); then $r"
	net_teardown $D
done

kmod_setup heartbeat_timeout_ms=3000
D=netmac
net_start $D net-mac
dbx crash $D panic || fail "crash panic"
wait_state $D running 30 2 || fail "no incarnation 2"
wait_until 10 eval '[ "$(net_stat $D state)" = error ]' ||
	fail "another MAC was accepted: $(net_exports $D)"
net_carrier_is down || fail "carrier up with another MAC"
dmesg_since_mark | grep -q "announced MAC 52:54:00:db:77:00" || fail "MAC change not logged"
log "$(net_exports $D)"
net_teardown $D
