#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tier: long (make check runs it on the newest kernel only; see selftests/check)
# timeout: 900
# Streams through an isolated e1000e must move data from their first
# second, every time and both ways: 4 short iperf3 TCP runs (3 s) in each
# direction and 4 UDP runs from the wire to the host, alternating, each
# checked second by second.  A lost RX or TX-room notification shows as a
# run that connects and then carries nothing until something else kicks
# the mediator (a make bench run once measured 0.000 Mbit/s for a whole
# TCP run).  TCP's ACKs make the host transmit, and every host
# transmission kicks the mediator, which hides a lost RX event; a UDP
# stream to the host has no such help, so it is the sharper check.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
. "$(dirname "$0")/net_lib.sh"
cli_need_domains
command -v iperf3 >/dev/null || skip "iperf3 is not installed (scripts/install-deps)"
host_module virtio_net || skip "virtio_net not available"

RUNS=${NET_TCP_RUNS:-4}	# more to hunt a rare stall
SECS=3
nic_pair
NS=drvbox-ntc
D=nt0

nic_isolated_up $D $NS 10.213.9

# short_run N DIR [UDP...]: one iperf3 run (DIR "" host -> wire, "-R"
# wire -> host; UDP: "-u -b RATE"); fails unless every one-second
# interval moved data.
short_run() {
	local out=/tmp/$D.iperf.$1$2${3:+u} verdict
	ip netns exec $NS iperf3 -s -D -1 >/dev/null 2>&1 ||
		fail "run $1$2: iperf3 server did not start"
	sleep 0.3
	iperf3 -c 10.213.9.2 -t $SECS -i 1 ${2:-} ${3:-} -J >"$out" 2>&1 ||
		{ tail -n 20 "$out" | sed 's/^/# iperf3: /'; fail "run $1$2: iperf3 failed"; }
	verdict=$(python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
iv = [i["sum"]["bytes"] for i in r["intervals"]]
end = r["end"]
mbit = (end.get("sum_received") or end["sum"])["bits_per_second"] / 1e6
empty = [n + 1 for n, b in enumerate(iv) if b == 0]
print("%s %.2f Mbit/s, per second %s" % ("bad" if empty or not iv else "ok",
      mbit, " ".join(str(b // 1024) + "K" for b in iv)))
PY
) || fail "run $1$2: cannot read iperf3's result"
	log "run $1 ${3:+UDP }${2:-(to the wire)}: ${verdict#* }"
	if [ "${verdict%% *}" != ok ]; then
		log "run $1${2:+ $2}: a second without data: ${verdict#* } ($(net_exports $D))"
		crash_verdict
		fail "run $1${2:+ $2}: a second without data, the domain alive throughout"
	fi
}

# crash_verdict: if the domain crashed, say how and end the test.  A
# missed heartbeat is inconclusive (a guest the test host starved of CPU:
# nested TCG, both of its CPUs carrying the streams) only if nothing
# points at the guest: no oops, warning or RCU stall in its log, and no
# vCPU the hang report caught spinning with interrupts off.
crash_verdict() {
	local why console
	[ "$(status_field $D crashes)" != 0 ] || return 0
	why=$(status_field $D last_crash_reason)
	console=$("$DRVBOX" logs $D | sed -n '/=== drvbox: .* incarnation 1 /,/=== drvbox: .* incarnation 2 /p')
	log "the crashed incarnation's console, last lines:"
	echo "$console" | tail -n 15 | sed 's/^/#   /'
	if [ "$why" = "heartbeat lost" ] &&
	   ! echo "$console" | grep -qE 'interrupts off: rip' &&
	   ! echo "$console" | grep -v 'hang report:' |
		grep -qE 'BUG|WARNING|Oops|panic|stall|lockup|blocked for more'; then
		inconclusive "the domain missed its heartbeat during the runs, and its console shows no fault of its own"
	fi
	fail "the domain crashed during the runs: $why"
}

for i in $(seq $RUNS); do
	short_run "$i" ""
	short_run "$i" -R
	short_run "$i" -R "-u -b 40M"
done
log "after the runs: $(net_exports $D)"
crash_verdict
"$DRVBOX" stop $D >/dev/null || fail "drvbox stop $D failed"
nic_returned
dmesg_check_clean
exit 0
