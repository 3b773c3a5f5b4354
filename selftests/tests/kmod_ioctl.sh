#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every bad input to the domain and VMM ioctls gets its exact errno
# (selftests/ctl/domain_ioctl.c, which also attaches as the VMM of a
# domain whose fake VMM never does).  Then: the report it sent is the
# crash reason, the domain restarts, and destroy leaves nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/kmod_lib.sh"

kmod_setup
fake_mode no-attach
"$SELFTEST_BIN/domain_ioctl" | sed 's/^/  /'
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || fail "domain_ioctl failed"
D=ioctl-test
wait_until 10 st_ge $D incarnation 2 || fail "no relaunch after the test's file closed"
expect_eq reason "$(st $D last_crash_reason)" "guest panic: from domain_ioctl"
expect_eq crashes "$(st $D crashes)" 1
out=$(dbx create bad/name 2>&1)
expect_eq "dbxctl create bad/name" "$out" "dbxctl: create: errno 22 (Invalid argument)"
kmod_teardown kmod_ioctl
