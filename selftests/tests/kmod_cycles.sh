#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tier: full (only with CHECK_FULL=1; make check has domain_cycles with real
# domains and kmod_lifecycle; see selftests/check)
# 50 crash/restart cycles of one domain (VMM killed, guest panic, requested
# restart in turn): every incarnation gets fresh zeroed memory, and after
# destroy the host has its memory back (MemAvailable within 8 MiB) and no
# VMM is left.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/kmod_lib.sh"

kmod_setup
D=cyc
# Warm up caches, kworkers and slabs with a few cycles, then measure.
dbx create warm --limit 0xffffffff || fail "create warm"
for i in 1 2 3 4 5 6; do
	wait_state warm running 30 $i || fail "warm: not running"
	dbx crash warm vmm-kill || fail "warm: crash"
done
wait_state warm running 30 7 || fail "warm: not running"
dbx destroy warm || fail "destroy warm"
sync; echo 3 > /proc/sys/vm/drop_caches
grep -E "MemAvailable|Slab|SUnreclaim|VmallocUsed|KernelStack|Percpu" /proc/meminfo > /run/kmod_cycles.before
before=$(mem_available_kib)

dbx create $D --limit 0xffffffff --mem 256 || fail "create"
wait_state $D running 30 1 || fail "not running"
for i in $(seq 1 50); do
	case $((i % 3)) in
	0) dbx crash $D vmm-kill || fail "cycle $i: crash" ;;
	1) dbx crash $D panic || fail "cycle $i: crash" ;;
	2) dbx restart $D || fail "cycle $i: restart" ;;
	esac
	wait_state $D running 30 $((i + 1)) || fail "cycle $i: not running again"
done
expect_eq restarts "$(st $D restarts)" 50
expect_eq crashes "$(st $D crashes)" 33
dbx destroy $D || fail "destroy"
wait_until 5 no_fake_vmm_left || fail "fake_vmm left: $(fake_vmm_count)"
grep -q "ram-zero=0" "$FAKE_LOG" && fail "an incarnation saw non-zero memory"
expect_eq incarnations "$(grep -c "^$D " "$FAKE_LOG")" 51

sync; echo 3 > /proc/sys/vm/drop_caches
after=$(mem_available_kib)
grep -E "MemAvailable|Slab|SUnreclaim|VmallocUsed|KernelStack|Percpu" /proc/meminfo |
	paste /run/kmod_cycles.before - | sed 's/^/# before|after: /'
log "MemAvailable before $before kB, after $after kB"
[ $((before - after)) -le 8192 ] || fail "lost $((before - after)) kB over 50 cycles"
kmod_teardown kmod_cycles
