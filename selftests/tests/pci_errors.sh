#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox-vmm's passthrough start errors: a malformed address, a function
# that does not exist, one named twice, one still on its host driver, and
# (when the test host has such a group) a function whose IOMMU group is not
# viable.  Each is one clear message and exit status 1 before any guest
# runs; through drvbox.ko the same text becomes the domain's last_error.
# The host keeps its device: same driver, namespace still readable, no new
# VFIO group.  (The CLI's own checks are in cli_pci.)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/pci_lib.sh"
cli_need_domains
DBXCTL="$SELFTEST_BIN/dbxctl"
[ -x "$DBXCTL" ] || fail "$DBXCTL not built (make selftests-bins)"
KERNEL="/boot/vmlinuz-$KVER"

busy=$(nvme_bdf drvbox-nvme1)
pci_need "$busy" "nvme controller with serial drvbox-nvme1"
[ "$(pci_driver "$busy")" = nvme ] || skip "$busy is not on the host's nvme driver"
ns=$(nvme_ns "$(nvme_ctrl drvbox-nvme1)")
[ -n "$ns" ] || fail "no namespace for drvbox-nvme1"
group=$(basename "$(readlink "/sys/bus/pci/devices/$busy/iommu_group")")
missing=
for s in 1e 1d 1c 1b 1a; do
	[ -e "/sys/bus/pci/devices/0000:00:$s.0" ] || { missing="0000:00:$s.0"; break; }
done
tmp="$(mktemp -d)"
restore=
cleanup() {
	"$DBXCTL" destroy pe0 >/dev/null 2>&1
	[ -n "$restore" ] && eval "$restore"
	unload_drvbox
	rm -rf "$tmp"
}
trap cleanup EXIT

# expect_error WANT ARGS...: drvbox-vmm --standalone ARGS exits 1, says WANT
expect_error() {
	local want="$1" out rc
	shift
	out="$("$VMM" --standalone --log "$tmp/console.log" --kernel "$KERNEL" \
		--module null_blk "$@" 2>&1)"
	rc=$?
	[ $rc = 1 ] || fail "drvbox-vmm $*: exit status $rc, expected 1 (output: $out)"
	grep -qF -- "drvbox-vmm: $want" <<<"$out" ||
		fail "drvbox-vmm $*: expected \"$want\", got: $out"
	grep -qF -- "ended: $want" "$tmp/console.log" ||
		fail "drvbox-vmm $*: no end marker with the error in the console log"
	log "ok: $want"
}

if [ ! -e /dev/vfio/vfio ]; then
	expect_error "cannot open /dev/vfio/vfio: No such file or directory (is the vfio-pci module loaded?)" \
		--pci "$busy"
fi
modprobe vfio-pci || fail "modprobe vfio-pci failed"
vfio_before=$(ls /dev/vfio | tr '\n' ' ')
dmesg_mark

expect_error 'pci "00:03.0": not a PCI address (DDDD:BB:DD.F, lower-case hex)' --pci 00:03.0
expect_error 'pci "../../../sys": not a PCI address (DDDD:BB:DD.F, lower-case hex)' --pci ../../../sys
expect_error "pci $busy: given twice" --pci "$busy" --pci "$busy"
if [ -n "$missing" ]; then
	expect_error "pci $missing: no such PCI device (/sys/bus/pci/devices/$missing: No such file or directory)" \
		--pci "$missing"
fi
want="pci $busy: cannot open /dev/vfio/$group: No such file or directory (the device is on nvme, not vfio-pci)"
expect_error "$want" --pci "$busy"

# The same through drvbox.ko: START_ERROR, the domain fails with the text.
load_drvbox vmm_path="$(cli_vmm_path)"
"$DBXCTL" create pe0 "kernel=$KERNEL" module=null_blk "pci=$busy" >/dev/null ||
	fail "dbxctl create pe0 failed"
"$DBXCTL" wait pe0 failed 120 >/dev/null || fail "pe0 did not fail: $("$DBXCTL" status pe0 | tr '\n' ' ')"
err=$("$DBXCTL" status pe0 | sed -n 's/^last_error=//p')
[ "$err" = "$want" ] || fail "last_error '$err', expected '$want'"
"$DBXCTL" destroy pe0 >/dev/null || fail "dbxctl destroy pe0 failed"
log "ok: through drvbox.ko, last_error: $err"

# Host state unchanged.
[ "$(pci_driver "$busy")" = nvme ] || fail "$busy moved to '$(pci_driver "$busy")'"
[ "$(nvme_ns "$(nvme_ctrl drvbox-nvme1)")" = "$ns" ] || fail "the host lost $ns"
dd if="/dev/$ns" of=/dev/null bs=4096 count=16 iflag=direct 2>/dev/null || fail "/dev/$ns no longer reads"
[ "$(ls /dev/vfio | tr '\n' ' ')" = "$vfio_before" ] || fail "/dev/vfio changed: '$vfio_before' -> '$(ls /dev/vfio | tr '\n' ' ')'"
log "host state unchanged: $busy on nvme, /dev/$ns reads"

# A group that is not viable: one member on vfio-pci, another on a host
# driver.  Only a multi-device group gives that (q35's 00:1f.x functions
# share one when the IOMMU cannot isolate them); take a member that has
# no driver or only i2c_i801, never one the host needs.
victim=
for d in /sys/bus/pci/devices/*; do
	g=$(readlink "$d/iommu_group") || continue
	[ "$(ls "$d/iommu_group/devices" | wc -l)" -gt 1 ] || continue
	drv=$(pci_driver "$(basename "$d")")
	case $drv in ""|i801_smbus) ;; *) continue ;; esac
	for o in "$d"/iommu_group/devices/*; do
		od=$(pci_driver "$(basename "$o")")
		[ "$(basename "$o")" != "$(basename "$d")" ] && [ -n "$od" ] &&
			[ "$od" != vfio-pci ] && [ "$od" != pcieport ] &&
			{ victim=$(basename "$d"); vdrv=$drv; other="$(basename "$o") ($od)"; }
	done
	[ -n "$victim" ] && break
done
if [ -z "$victim" ]; then
	log "no multi-device IOMMU group with a spare member: 'not viable' not tested"
else
	vg=$(basename "$(readlink "/sys/bus/pci/devices/$victim/iommu_group")")
	restore="echo > /sys/bus/pci/devices/$victim/driver_override;
		echo $victim > /sys/bus/pci/drivers/vfio-pci/unbind 2>/dev/null;
		echo $victim > /sys/bus/pci/drivers_probe; restore="
	[ -n "$vdrv" ] && echo "$victim" > "/sys/bus/pci/devices/$victim/driver/unbind"
	echo vfio-pci > "/sys/bus/pci/devices/$victim/driver_override"
	echo "$victim" > /sys/bus/pci/drivers_probe
	[ "$(pci_driver "$victim")" = vfio-pci ] || fail "could not bind $victim to vfio-pci"
	out="$("$VMM" --standalone --log "$tmp/console.log" --kernel "$KERNEL" \
		--module null_blk --pci "$victim" 2>&1)"
	rc=$?
	eval "$restore"
	[ "$(pci_driver "$victim")" = "$vdrv" ] || fail "$victim did not go back to '$vdrv'"
	[ $rc = 1 ] || fail "not viable: exit status $rc (output: $out)"
	grep -qF "drvbox-vmm: pci $victim: IOMMU group $vg is not viable: " <<<"$out" &&
		grep -qF "bound to host drivers" <<<"$out" ||
		fail "not viable: got: $out"
	log "ok: $(grep -o "pci $victim: IOMMU group.*" <<<"$out" | head -n1) (other member: $other)"
fi
unload_drvbox
trap - EXIT
rm -rf "$tmp"
dmesg_check_clean pci_errors
