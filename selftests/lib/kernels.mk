# SPDX-License-Identifier: GPL-2.0
# KVER: the kernel to build for.  Default: the running kernel if its headers
# are installed, else the newest kernel with headers and an image (this
# build machine runs a kernel drvbox cannot load modules into).
ifeq ($(origin KVER),command line)
KVER_SET := 1
else ifeq ($(origin KVER),environment)
KVER_SET := 1
else
KVER := $(shell k=$$(uname -r); if [ -d /lib/modules/$$k/build ]; then echo $$k; \
	else . selftests/lib/kernels.sh; drvbox_kernels | tail -n1; fi)
endif
