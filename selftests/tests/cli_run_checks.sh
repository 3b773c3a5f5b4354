#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# drvbox run refuses bad requests before DRVBOX_CREATE: each with its exact
# message and exit 1, and no domain is created.
. "$(dirname "$0")/../lib/common.sh"

DRVBOX="$TOOLS/drvbox"
[ -x "$DRVBOX" ] || fail "$DRVBOX not built (make tools)"
KVM_HIDDEN=/dev/kvm.cli-test-hidden
cleanup() {
	[ -e "$KVM_HIDDEN" ] && mv "$KVM_HIDDEN" /dev/kvm
	unload_drvbox
}
trap cleanup EXIT

W=/tmp/cli-run-checks
rm -rf "$W"; mkdir -p "$W"

# refused MESSAGE ARGS...: drvbox run ARGS exits 1 with exactly MESSAGE as
# the first line on stderr, and creates no domain.
refused() {
	local want="$1" rc
	shift
	"$DRVBOX" run "$@" >"$W/out" 2>"$W/err"
	rc=$?
	[ "$rc" = 1 ] || { sed 's/^/# err: /' "$W/err"; fail "run $*: exit $rc, expected 1"; }
	[ "$(head -n1 "$W/err")" = "$want" ] ||
		fail "run $*: message '$(head -n1 "$W/err")', expected '$want'"
	no_domains "run $*"
}

# no_domains WHAT: nothing was created (sysfs and, if supported, ls).
no_domains() {
	if [ -d /sys/kernel/drvbox/domains ] &&
	   [ -n "$(ls -A /sys/kernel/drvbox/domains)" ]; then
		fail "$1: a domain exists: $(ls /sys/kernel/drvbox/domains)"
	fi
	if drvbox_loaded && "$DRVBOX" ls >"$W/ls" 2>/dev/null; then
		[ "$(wc -l <"$W/ls")" = 1 ] || fail "$1: ls shows a domain: $(cat "$W/ls")"
	fi
}

OK=(--name ok0 --driver null_blk)

# Not root: setpriv drops to nobody.
unload_drvbox
load_drvbox
refused_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$DRVBOX" run "${OK[@]}" \
		>"$W/out" 2>"$W/err"
	[ $? = 1 ] || fail "run as nobody did not exit 1"
	[ "$(head -n1 "$W/err")" = "drvbox: must be run as root" ] ||
		fail "run as nobody: '$(head -n1 "$W/err")'"
}
refused_nobody
no_domains "run as nobody"

# drvbox.ko not loaded.
unload_drvbox
refused "drvbox: drvbox.ko is not loaded (/dev/drvbox: No such file or directory); load it with: insmod build/\$(uname -r)/kmod/drvbox.ko" "${OK[@]}"
load_drvbox

NAME_MSG="use 1-31 characters from [A-Za-z0-9_.-], starting with a letter or digit"
for n in -lead .dot "sp ace" 'sl/ash' "$(printf 'a%.0s' $(seq 32))" ""; do
	refused "drvbox: invalid domain name '$n': $NAME_MSG" --name "$n" --driver null_blk
done
log "invalid names refused"

for m in 64 127 16385 abc -1 ""; do
	refused "drvbox: --mem $m: must be between 128 and 16384 MiB" "${OK[@]}" --mem "$m"
done
for c in 0 9 x ""; do
	refused "drvbox: --cpus $c: must be between 1 and 8" "${OK[@]}" --cpus "$c"
done
log "--mem and --cpus ranges checked"

if [ -e /dev/kvm ]; then
	mv /dev/kvm "$KVM_HIDDEN"
	refused "drvbox: /dev/kvm: No such file or directory: KVM is not available (modprobe kvm_intel or kvm_amd; in a VM, enable nested virtualization)" "${OK[@]}"
	mv "$KVM_HIDDEN" /dev/kvm
else
	log "no /dev/kvm here: the /dev/kvm check is tested by everything below failing on it"
	refused "drvbox: /dev/kvm: No such file or directory: KVM is not available (modprobe kvm_intel or kvm_amd; in a VM, enable nested virtualization)" "${OK[@]}"
	skip "no /dev/kvm in the test host: the later checks cannot be reached"
fi

refused "drvbox: kernel image /nonexistent/vmlinuz: No such file or directory" "${OK[@]}" --kernel /nonexistent/vmlinuz
echo "not a kernel" >"$W/vmlinuz"
refused "drvbox: kernel image $W/vmlinuz: not a bzImage (no HdrS boot header)" "${OK[@]}" --kernel "$W/vmlinuz"
refused "drvbox: kernel image /boot: not a regular file" "${OK[@]}" --kernel /boot

refused "drvbox: --driver ./missing.ko: No such file or directory" --name ok0 --driver ./missing.ko
refused "drvbox: --driver /nonexistent/x.ko.xz: No such file or directory" --name ok0 --driver /nonexistent/x.ko.xz
echo "plain text" >"$W/text.ko"
refused "drvbox: --driver $W/text.ko: not a kernel module (expected an ELF .ko, or a .ko.xz, .ko.zst or .ko.gz of one)" --name ok0 --driver "$W/text.ko"
cp "$W/text.ko" "$W/text.ko.xz"
refused "drvbox: --driver $W/text.ko.xz: not a kernel module (expected an ELF .ko, or a .ko.xz, .ko.zst or .ko.gz of one)" --name ok0 --driver "$W/text.ko.xz"
cp "$W/text.ko" "$W/text.ko.zst"
refused "drvbox: --driver $W/text.ko.zst: not a kernel module (expected an ELF .ko, or a .ko.xz, .ko.zst or .ko.gz of one)" --name ok0 --driver "$W/text.ko.zst"
cp /bin/true "$W/true.ko"	# ELF, but an executable, not a module
refused "drvbox: --driver $W/true.ko: not a kernel module (expected an ELF .ko, or a .ko.xz, .ko.zst or .ko.gz of one)" --name ok0 --driver "$W/true.ko"
refused "drvbox: --driver bad name: neither a module name nor a path to a .ko file" --name ok0 --driver "bad name"
log "kernel image and --driver checks"

refused "drvbox: --pci 0000:ff:1f.7: no such PCI device (/sys/bus/pci/devices/0000:ff:1f.7: No such file or directory)" "${OK[@]}" --pci 0000:ff:1f.7
refused "drvbox: --pci ff:1f.7: no such PCI device (/sys/bus/pci/devices/0000:ff:1f.7: No such file or directory)" "${OK[@]}" --pci ff:1f.7
for p in zz 0000:00:20.0 0000:00:01.8 "0000:00:01.0 "; do
	refused "drvbox: malformed --pci '$p': expected a PCI address [DDDD:]BB:DD.F" "${OK[@]}" --pci "$p"
done
for p in null_blk nb=1 .nr=1 null_blk.=1 null_blk.nr "null_blk.x=a b"; do
	refused "drvbox: malformed --param '$p': expected MODULE.KEY=VALUE (no spaces)" "${OK[@]}" --param "$p"
done
for e in nvme0n1 blk: net: foo:x "blk:a b" net:averyveryverylongname; do
	refused "drvbox: malformed --export '$e': expected blk:DEVICE or net:INTERFACE" "${OK[@]}" --export "$e"
done
log "--pci, --param, --export checks"

no_domains "the end"
log "every refused run left no domain behind"
