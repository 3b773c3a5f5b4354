# SPDX-License-Identifier: GPL-2.0
# Shared by the bench cases (inside the test host).  A case writes one JSON
# object to $BENCH_OUT/<case>.json; bench/report.py merges them.
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$BENCH_DIR/../selftests/lib/common.sh"
. "$BENCH_DIR/../selftests/lib/domain.sh"
. "$BENCH_DIR/../selftests/tests/blk_lib.sh"

: "${BENCH_OUT:?BENCH_OUT must name the results directory}"
: "${QUICK:=0}"
FIO_RUNTIME=${FIO_RUNTIME:-$([ "$QUICK" = 1 ] && echo 4 || echo 10)}

# quick_or FULL QUICK: the value for this run's size.
quick_or() { if [ "$QUICK" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# Busy and total jiffies of all CPUs, from /proc/stat ("busy total").
cpu_jiffies() {
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i;
		print t - $5 - $6, t; exit }' /proc/stat
}

# cpu_busy_pct SECONDS: host CPU used over the next SECONDS, in percent of
# one CPU (100 = one CPU fully busy).
cpu_busy_pct() {
	local b0 t0 b1 t1 ncpu
	ncpu=$(nproc)
	read -r b0 t0 < <(cpu_jiffies)
	sleep "$1"
	read -r b1 t1 < <(cpu_jiffies)
	awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v n="$ncpu" \
		'BEGIN { printf "%.3f\n", (t ? 100 * n * b / t : 0) }'
}

# Milliseconds since the epoch.
now_ms() { date +%s%3N; }

# bench_domain_up NAME [drvbox run args...]: start a domain, wait for running.
bench_domain_up() {
	local name=$1
	shift
	"$DRVBOX" run --name "$name" --timeout 600 "$@" >/dev/null ||
		fail "drvbox run $name $* failed"
	wait_until 300 "$name running" dom_state_is "$name" running
}

# blk_export_summary NAME: how domain NAME's first block export went, for
# the log: the slowest request (waiting in the host before it was posted,
# and in the guest), the notifications per request each way (doorbells
# the guest rang, irqs we injected, host_irqs: virtio_blk callbacks), and
# how often the request table was full.
blk_export_summary() {
	awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		n = v["reads"] + v["writes"] + v["flushes"] + v["discards"]
		printf "max_queue_ms=%s max_guest_ms=%s requests=%d doorbells=%s (%.2f per request) irqs=%s (%.2f per request) host_irqs=%s (%.2f per request) table_full=%s\n",
			v["max_queue_ms"], v["max_guest_ms"], n,
			v["doorbells"], n ? v["doorbells"] / n : 0,
			v["irqs"], n ? v["irqs"] / n : 0,
			v["host_irqs"], n ? v["host_irqs"] / n : 0,
			v["table_full"]; exit }' \
		"/sys/kernel/drvbox/domains/$1/exports"
}

# bench_wire NS NET: the far NIC (NATIF, from nic_pair) native in netns NS
# at NET.2/24 (nic_wire_ns, selftests/tests/pci_lib.sh, which the net cases
# source), the cleanup trap for it and the domains; sets WIRE_NET.
# Then wire_up DEV: NET.1/24 on DEV, link up, carrier, and a first
# exchange (it teaches the hub and ARP; not measured).
bench_wire() {
	WIRE_NS=$1
	WIRE_NET=$2
	trap 'stop_all_domains; ip netns pids $WIRE_NS 2>/dev/null | xargs -r kill; ip netns del $WIRE_NS 2>/dev/null; rmmod drvbox 2>/dev/null' EXIT
	nic_wire_ns "$WIRE_NS" "$WIRE_NET.2/24"
}
wire_up() {
	ip addr add "$WIRE_NET.1/24" dev "$1" || fail "address on $1"
	ip link set "$1" up || fail "$1 up"
	wait_until 60 "carrier on $1" eval "[ \"\$(cat /sys/class/net/$1/carrier 2>/dev/null)\" = 1 ]"
	busybox ping -4 -q -c 5 -W 5 "$WIRE_NET.2" >/dev/null 2>&1 || fail "no ping over $1"
}

# A JSON array from the arguments (numbers).
json_array() { local IFS=,; echo "[$*]"; }

bench_start() {
	mkdir -p "$BENCH_OUT"
	# without virtio_blk no /dev/vdX ever appears (no udev to load it)
	host_module virtio_blk || fail "virtio_blk not available"
	# a 30 s heartbeat timeout: two busy nested domains on 2 emulated CPUs
	# starve a guest's heartbeat for over 5 s, and a restart nobody asked
	# for would spoil the figures (the bench measures I/O, not supervision)
	# shellcheck disable=SC2086 # BENCH_KMOD_PARAMS: words, e.g. poll_us=50
	load_drvbox_real restart_limit=1000 boot_timeout_ms=600000 \
		heartbeat_timeout_ms=30000 ${BENCH_KMOD_PARAMS:-}
	trap 'stop_all_domains; rmmod drvbox 2>/dev/null' EXIT
}

# export_host_dev NAME: the host device of domain NAME's first export
# (blk_host_dev from the selftests), waiting up to 180 s for it: the guest
# driver may probe after the domain is running (nvme), and the stub answers
# once the device exists.
export_host_dev() {
	local i dev
	for i in $(seq 1 180); do
		if blk_has_dev "$1"; then
			dev=$(blk_host_dev "$1")
			[ -e "/sys/class/block/$dev" ] || [ -e "/sys/class/net/$dev" ] &&
				{ echo "$dev"; return 0; }
		fi
		sleep 1
	done
	return 1
}

# fio_job DEV RW BS IODEPTH: one job's summary (bench/fio_summary.py)
fio_job() {
	local out
	out=$(mktemp)
	fio --name=b --filename="$1" --direct=1 --ioengine=libaio --rw="$2" \
		--bs="$3" --iodepth="$4" --numjobs=1 --time_based \
		--runtime="$FIO_RUNTIME" --ramp_time=1 --output-format=json \
		--output="$out" >/dev/null || fail "fio $* failed"
	python3 "$BENCH_DIR/fio_summary.py" "$out"
	rm -f "$out"
}

# export_counters NAME: domain NAME's first export line (key=value ...),
# plus its restarts and, in clock ticks, the CPU its VMM used outside
# guest mode (utime + stime - guest_time of all its threads: exits,
# device emulation, the KVM run loop) and in guest mode (guest_time: the
# domain's vCPUs running its kernel and driver).
export_counters() {
	local pid ticks="0 0"
	pid=$(dom_attr "$1" vmm_pid)
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] &&
		ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 - $41, $41 }' \
			"/proc/$pid/stat")
	echo "$(head -n1 "/sys/kernel/drvbox/domains/$1/exports")" \
		"restarts=$(dom_attr "$1" restarts)" "vmm_ticks=${ticks% *}" \
		"guest_ticks=${ticks#* }"
}

# counters_json BEFORE AFTER: what one isolated run cost, per request (blk)
# or per frame (net), from two export_counters lines.  host_cpu_us adds
# the mediator's passes (kmod) and the VMM's CPU outside the guest.
counters_json() {
	awk -v hz="$(getconf CLK_TCK)" '
	function parse(line, v,   i, f, kv) {
		n = split(line, f, " ")
		for (i = 2; i <= n; i++) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
	}
	function d(k) { return a[k] - b[k] }
	BEGIN { getline lb; getline la; parse(lb, b); parse(la, a)
		blk = ("reads" in a)
		if (blk) {
			req = d("reads") + d("writes") + d("flushes") + d("discards")
			bytes = d("bytes")
		} else {
			req = d("tx_packets") + d("rx_packets")
			bytes = d("tx_bytes") + d("rx_bytes")
		}
		r = req ? req : 1; by = bytes ? bytes : 1
		vmm_us = d("vmm_ticks") * 1e6 / hz
		guest_cpu_us = d("guest_ticks") * 1e6 / hz
		printf "{\"%s\": %d, \"restarts\": %d, ", blk ? "requests" : "frames", req, d("restarts")
		if (blk)
			printf "\"replayed\": %d, \"table_full\": %d, \"guest_us_per_req\": %.1f, \"polls\": %d, \"poll_misses\": %d, ", d("replayed"), d("table_full"), d("guest_us") / r, d("polls"), d("poll_misses")
		if ("host_irqs" in a)
			printf "\"host_irqs_per_req\": %.3f, ", d("host_irqs") / r
		if ("host_notifies" in a)
			printf "\"host_notifies_per_req\": %.3f, ", d("host_notifies") / r
		printf "\"doorbells_per_req\": %.3f, \"irqs_per_req\": %.3f, ", d("doorbells") / r, d("irqs") / r
		printf "\"mediator_us_per_req\": %.2f, \"vmm_cpu_us_per_req\": %.2f, \"guest_cpu_us_per_req\": %.2f, ", d("mediator_us") / r, vmm_us / r, guest_cpu_us / r
		printf "\"host_cpu_us_per_req\": %.2f, \"copied_bytes_per_byte\": %.3f}\n", (d("mediator_us") + vmm_us) / r, d("copied") / by
	}' <<< "$1
$2"
}

# counted NAME COMMAND...: run COMMAND (it prints one JSON object) against
# domain NAME's first export and add "counters" (counters_json) to it.  A
# run during which the domain restarted without being asked (a bare
# triple fault of the emulator) is rerun once; if that one restarts too,
# its restarts stay in the counters and bench/report.py keeps it out of
# the ratios.  With NAME empty (a native run) only COMMAND runs.
counted() {
	local name=$1 before after out cj try r0
	shift
	[ -n "$name" ] || { "$@"; return; }
	for try in 1 2; do
		r0=$(dom_attr "$name" restarts)
		before=$(export_counters "$name")
		out=$("$@") || { echo "$out"; return 1; }
		after=$(export_counters "$name")
		cj=$(counters_json "$before" "$after")
		[ "$(dom_attr "$name" restarts)" = "$r0" ] && break
		log "$name restarted during '$*' (run $try): $(dom_attr "$name" last_crash_reason)" >&2
		[ "$try" = 1 ] && wait_until 300 "$name running" dom_state_is "$name" running
	done
	echo "${out%\}}, \"counters\": $cj, \"rerun\": $([ "$try" = 2 ] && echo true || echo false)}"
}

# fio_suite DEV [NAME]: every workload on DEV as one JSON object; with the
# domain NAME that exports DEV, each job also carries its counters.
fio_suite() {
	local dev=$1 name=${2:-} sep="" spec job rw bs qd
	echo -n "{"
	for spec in randread4k_qd1:randread:4k:1 randread4k_qd32:randread:4k:32 \
		    randwrite4k_qd1:randwrite:4k:1 randwrite4k_qd32:randwrite:4k:32 \
		    seqread128k:read:128k:8 seqwrite128k:write:128k:8; do
		IFS=: read -r job rw bs qd <<< "$spec"
		log "fio $job on $dev" >&2
		echo -n "$sep\"$job\": $(counted "$name" fio_job "$dev" "$rw" "$bs" "$qd")"
		sep=", "
	done
	echo "}"
}

