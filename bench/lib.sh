# SPDX-License-Identifier: GPL-2.0
# Shared by the bench cases (inside the test host).  A case writes one JSON
# object to $BENCH_OUT/<case>.json; bench/report.py merges them.
. "$(dirname "${BASH_SOURCE[0]}")/../selftests/lib/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../selftests/lib/domain.sh"

: "${BENCH_OUT:?BENCH_OUT must name the results directory}"
: "${QUICK:=0}"

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
	"$DRVBOX" run --name "$name" "$@" >/dev/null ||
		fail "drvbox run $name $* failed"
	wait_until 300 "$name running" dom_state_is "$name" running
}

# A JSON array from the arguments (numbers).
json_array() { local IFS=,; echo "[$*]"; }

bench_start() {
	mkdir -p "$BENCH_OUT"
	load_drvbox_real restart_limit=1000
	trap 'stop_all_domains; rmmod drvbox 2>/dev/null' EXIT
}
