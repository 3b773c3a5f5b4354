#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A real (QEMU-emulated) nvme controller, isolated vs native, in one run:
# the test host has two identical controllers; drvbox-nvme0 is passed
# through to a domain running the stock nvme driver and comes back as
# /dev/vdX, drvbox-nvme1 stays on the test host's nvme driver.  Same fio
# workloads as the blk case, on the raw disks (scratch images).
. "$(dirname "$0")/../lib.sh"
. "$BENCH_DIR/../selftests/tests/pci_lib.sh"

command -v fio >/dev/null || fail "fio is not installed (make install-deps)"
iso_bdf=$(nvme_bdf drvbox-nvme0) || fail "no nvme with serial drvbox-nvme0"
nat_ctrl=$(nvme_ctrl drvbox-nvme1) || fail "no nvme with serial drvbox-nvme1"
nat_dev=$(nvme_ns "$nat_ctrl")
[ -b "/dev/$nat_dev" ] || fail "no namespace on $nat_ctrl"
bench_start

native=$(fio_suite "/dev/$nat_dev") || fail "native fio: $(echo "$native" | grep -m1 FAIL)"
t0=$(now_ms)
bench_domain_up bnvme --driver nvme --pci "$iso_bdf" --export blk:nvme0n1 \
	--cpus 2 --mem 512
boot=$(( $(now_ms) - t0 ))
vd=$(export_host_dev bnvme)
[ -b "/dev/$vd" ] || fail "no host disk for bnvme's export (got '$vd')"
isolated=$(fio_suite "/dev/$vd" bnvme) || fail "isolated fio: $(echo "$isolated" | grep -m1 FAIL)"
log "bnvme: $(blk_export_summary bnvme)"
"$DRVBOX" stop bnvme >/dev/null || fail "stop bnvme failed"
cat > "$BENCH_OUT/nvme.json" <<JSON
{"fio_runtime_s": $FIO_RUNTIME, "boot_with_nvme_ms": $boot,
 "nvme": {"native": $native, "isolated": $isolated}}
JSON
