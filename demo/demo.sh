#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo/demo.sh - what `make demo` runs: builds drvbox, boots a stock Debian
# kernel in the QEMU test host and shows drvbox there, narrating each step.
# Fails loudly if anything it claims is not true.
set -euo pipefail
cd "$(dirname "$0")/.."
. selftests/lib/kernels.sh

kver=""
case "${1:-}" in
--kernel) kver="$2" ;;
-h|--help) echo "Usage: demo/demo.sh [--kernel KVER]"; exit 0 ;;
esac
[ -n "$kver" ] || kver="$(drvbox_kernels | tail -n1)"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

say "Building drvbox for $kver (drvbox.ko, drvbox_stub.ko, tools)"
make -s KVER="$kver" modules tools

say "Booting $kver in the QEMU test host (TCG, nested KVM; about a minute in all)"
selftests/testhost --kernel "$kver" -- demo/inside.sh
say "Demo finished: every step above checked what it showed."
