#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The /dev/drvbox ioctl boundary (selftests/ctl/ctl_ioctl.c).
. "$(dirname "$0")/../lib/common.sh"

load_drvbox
dmesg_mark
"$SELFTEST_BIN/ctl_ioctl" | sed 's/^/  /'
rc=${PIPESTATUS[0]}
dmesg_check_clean ctl_ioctl
"$TOOLS/drvbox" version || fail "drvbox version failed"
unload_drvbox
exit "$rc"
