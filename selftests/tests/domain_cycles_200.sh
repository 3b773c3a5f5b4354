#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tier: full (only with CHECK_FULL=1; see selftests/check)
# timeout: 3600 (about 3 s a cycle under nested TCG)
# domain_cycles.sh with 200 crash/restart cycles from the boot image:
# MemAvailable and open files as flat as after 10.
CYCLES=200 exec bash "$(dirname "$0")/domain_cycles.sh"
