# SPDX-License-Identifier: GPL-2.0
#
# drvbox top-level Makefile.
#
#   make                  modules for KVER + the userspace tools
#   make KVER=<version>   modules for another installed kernel
#   make W=1 C=1          extra warnings and sparse (passed to kbuild)
#   make unit             unit tests of VMM code on this machine (no KVM)
#   make check            make unit, build for every installed kernel, run the
#                         selftests in the QEMU test host (KVER=, TESTS=)
#   make demo             the narrated demo in the QEMU test host
#   make bench            isolated vs native, measured in the test host
#                         (QUICK=1: under 10 minutes; KVER= picks the kernel)
#   make install-deps     install the Debian packages drvbox needs
#   make install          install modules (for KVER) and tools; DESTDIR honoured
#   make uninstall        remove what install put there
#
# Module objects go to build/<KVER>/ so builds for several kernels coexist;
# tools go to build/tools/.

SHELL := /bin/bash
TREE := $(CURDIR)

include selftests/lib/kernels.mk

BUILD := $(TREE)/build
KBUILD_OUT := $(BUILD)/$(KVER)
KDIR := /lib/modules/$(KVER)/build

CC ?= cc
USER_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
	-I$(TREE)/uapi $(EXTRA_CFLAGS)

TOOLS := $(BUILD)/tools/drvbox $(BUILD)/tools/drvbox-vmm $(BUILD)/tools/drvbox-init
CLI_SRCS := $(wildcard tools/cli/*.c)
CLI_HDRS := $(wildcard tools/cli/*.h) $(wildcard uapi/*.h)
VMM_SRCS := $(wildcard tools/vmm/*.c)
VMM_HDRS := $(wildcard tools/vmm/*.h) $(wildcard uapi/*.h)
VMM_LIBS := -llzma -lzstd -lz
INIT_SRCS := $(wildcard guest-stub/init/*.c)
INIT_HDRS := $(wildcard guest-stub/init/*.h) $(wildcard uapi/*.h)

SELFTEST_BINS := $(patsubst selftests/ctl/%.c,$(BUILD)/selftests/%, \
	$(wildcard selftests/ctl/*.c))

.PHONY: all modules tools selftests-bins unit check demo bench install-deps install uninstall clean help

all: modules tools selftests-bins

help:
	@sed -n '3,20p' Makefile | sed 's/^# \{0,1\}//'

# Kbuild builds in a shadow tree of symlinks under build/<KVER>/ so that
# objects for different kernels never mix and the source tree stays clean.
modules:
	@test -d "$(KDIR)" || { echo "drvbox: no kernel headers at $(KDIR)" \
		"(apt-get install linux-headers-$(KVER))" >&2; exit 1; }
	@mkdir -p $(KBUILD_OUT)
	@cd $(KBUILD_OUT) && for d in kmod guest-stub uapi selftests/drivers; do \
		mkdir -p $$d; \
		for f in $(TREE)/$$d/*; do ln -sf $$f $$d/; done; \
		find $$d -xtype l -delete; \
	done; ln -sf $(TREE)/Kbuild Kbuild
	$(MAKE) -C $(KDIR) M=$(KBUILD_OUT) modules
	@echo "drvbox: built $(KBUILD_OUT)/kmod/drvbox.ko $(KBUILD_OUT)/guest-stub/drvbox_stub.ko" \
		"$(KBUILD_OUT)/selftests/drivers/flaky_blk.ko"

tools: $(TOOLS)

$(BUILD)/tools/drvbox: $(CLI_SRCS) $(CLI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -o $@ $(CLI_SRCS)

# The VMM: started by drvbox.ko (module parameter vmm_path) for each domain.
$(BUILD)/tools/drvbox-vmm: $(VMM_SRCS) $(VMM_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -pthread -o $@ $(VMM_SRCS) $(VMM_LIBS)

# The driver domain's /init: static, it runs alone in the guest's initramfs.
$(BUILD)/tools/drvbox-init: $(INIT_SRCS) $(INIT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -static -o $@ $(INIT_SRCS)

selftests-bins: $(SELFTEST_BINS)

$(BUILD)/selftests/%: selftests/ctl/%.c selftests/lib/tap.h $(wildcard uapi/*.h)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -I$(TREE)/selftests/lib -o $@ $<

# Unit tests (selftests/unit): each *_test.c is linked with the one
# tools/vmm file it names and stubs.c (kmod_*_test.c: see below), under ASan and UBSan so that an
# access past a buffer fails the test where it happens.  Where the
# compiler cannot link them (no libasan), the tests' canaries still check.
UNIT_BINS := $(patsubst selftests/unit/%.c,$(BUILD)/unit/%, \
	$(wildcard selftests/unit/*_test.c))
UNIT_SAN = $(shell mkdir -p $(BUILD)/unit && echo 'int main(void) { return 0; }' | \
	$(CC) -fsanitize=address,undefined -x c - -o $(BUILD)/unit/.san 2>/dev/null && \
	echo -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)

unit: $(UNIT_BINS)
	@selftests/unit/run $(UNIT_BINS)

$(BUILD)/unit/%_test: selftests/unit/%_test.c tools/vmm/%.c selftests/unit/stubs.c \
		selftests/unit/unit.h $(VMM_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(UNIT_SAN) -I$(TREE)/tools/vmm -pthread -o $@ $< \
		tools/vmm/$*.c selftests/unit/stubs.c $(VMM_LIBS)

# kmod code that holds no kernel state (kmod/spec.c), compiled for
# userspace: selftests/unit/kshim maps the few kernel calls it makes.
$(BUILD)/unit/kmod_spec_test: selftests/unit/kmod_spec_test.c kmod/spec.c \
		kmod/spec.h selftests/unit/unit.h uapi/drvbox.h \
		$(wildcard selftests/unit/kshim/linux/*.h)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(UNIT_SAN) -I$(TREE)/selftests/unit/kshim \
		-I$(TREE)/kmod -o $@ $< kmod/spec.c

check: install-deps
	@selftests/check $(if $(KVER_SET),--kernel $(KVER)) $(if $(TESTS),--tests '$(TESTS)')

demo: install-deps
	@demo/demo.sh $(if $(KVER_SET),--kernel $(KVER))

bench: install-deps
	@scripts/install-deps --bench
	@QUICK=$(or $(QUICK),0) bench/run $(if $(KVER_SET),--kernel $(KVER))

install-deps:
	@scripts/install-deps

# Installed layout (docs/domains.md "Files and paths"): drvbox.ko's default
# vmm_path is $(LIBEXECDIR)/drvbox-vmm, which finds drvbox-init next to
# itself and drvbox_stub.ko in the guest kernel's extra/ directory.
PREFIX ?= /usr/local
SBINDIR := $(PREFIX)/sbin
LIBEXECDIR := $(PREFIX)/libexec/drvbox
MODDIR := /lib/modules/$(KVER)/extra

install: modules tools
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MODDIR)
	install -m 0755 $(BUILD)/tools/drvbox $(DESTDIR)$(SBINDIR)/drvbox
	install -m 0755 $(BUILD)/tools/drvbox-vmm $(DESTDIR)$(LIBEXECDIR)/drvbox-vmm
	install -m 0755 $(BUILD)/tools/drvbox-init $(DESTDIR)$(LIBEXECDIR)/drvbox-init
	install -m 0644 $(KBUILD_OUT)/kmod/drvbox.ko $(KBUILD_OUT)/guest-stub/drvbox_stub.ko \
		$(DESTDIR)$(MODDIR)/
	$(if $(DESTDIR),,depmod -a $(KVER))
	@echo "drvbox: installed; load with: modprobe drvbox"

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/drvbox $(DESTDIR)$(LIBEXECDIR)/drvbox-vmm \
		$(DESTDIR)$(LIBEXECDIR)/drvbox-init $(DESTDIR)$(MODDIR)/drvbox.ko \
		$(DESTDIR)$(MODDIR)/drvbox_stub.ko
	-rmdir $(DESTDIR)$(LIBEXECDIR)
	$(if $(DESTDIR),,depmod -a $(KVER))

clean:
	rm -rf $(BUILD)
