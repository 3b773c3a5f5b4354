#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tier: long (make check runs it on the newest kernel only; see selftests/check)
# timeout: 420 (about 80 s normally; a stuck run says why before it is killed)
# Recovery with real data, the hang case of blk_recovery_flaky.sh, as a test
# of its own (its own timeout and TAP line).
RECOV_CASES=hang exec bash "$(dirname "$0")/blk_recovery_flaky.sh"
