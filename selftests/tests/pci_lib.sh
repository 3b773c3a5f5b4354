# SPDX-License-Identifier: GPL-2.0
# Helpers for the pci_* passthrough tests (not a test itself: not
# executable).  Source after ../lib/common.sh and cli_lib.sh.  Functions
# are found by nvme serial or NIC MAC, never by a fixed BDF.

# nvme_bdf SERIAL: the PCI function of the nvme controller with SERIAL.
nvme_bdf() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[ "$(tr -d ' ' <"$c/serial" 2>/dev/null)" = "$1" ] &&
			basename "$(readlink -f "$c/device")" && return 0
	done
	return 1
}

# nvme_ctrl SERIAL: the host's controller (nvmeN) with SERIAL.
nvme_ctrl() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[ "$(tr -d ' ' <"$c/serial" 2>/dev/null)" = "$1" ] &&
			basename "$c" && return 0
	done
	return 1
}

# nvme_ns CTRL: the block device of CTRL's first namespace (the multipath
# head nvmeSn1 when the path is nvmeScCn1).
nvme_ns() {
	ls "/sys/class/nvme/$1/" 2>/dev/null | grep -E '^nvme[0-9]+(c[0-9]+)?n1$' |
		head -n1 | sed 's/c[0-9]*n/n/'
}

# nic_bdf MAC: the PCI function of the host interface with MAC.
nic_bdf() {
	local n
	for n in /sys/class/net/*; do
		[ "$(cat "$n/address")" = "$1" ] && [ -e "$n/device" ] &&
			basename "$(readlink -f "$n/device")" && return 0
	done
	return 1
}

# nic_name BDF: the host interface of a NIC function.
nic_name() { ls "/sys/bus/pci/devices/$1/net" 2>/dev/null | head -n1; }

# pci_driver BDF: the driver bound to BDF, empty if none.
pci_driver() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

# pci_need BDF WHAT: skip unless BDF was found and has an IOMMU group.
pci_need() {
	[ -n "$1" ] || skip "no $2 in the test host"
	[ -e "/sys/bus/pci/devices/$1/iommu_group" ] || skip "$1 has no IOMMU group (no IOMMU)"
}

# vfio_msix_count BDF: interrupts the host took on BDF's vfio-msix vectors.
vfio_msix_count() {
	awk -v dev="($1)" 'index($0, "vfio-msix") && index($0, dev) {
		for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' \
		/proc/interrupts
}

# wait_log NAME TEXT TIMEOUT_S: wait until drvbox logs NAME shows TEXT.
wait_log() {
	local i
	for i in $(seq "$3"); do
		"$DRVBOX" logs "$1" 2>/dev/null | grep -qF -- "$2" && return 0
		sleep 1
	done
	"$DRVBOX" logs "$1" 2>&1 | tail -n 40 | sed 's/^/# log: /'
	fail "$1: the log does not show '$2' after $3 s"
}

# wait_guest_dev NAME REGEX TIMEOUT_S: wait until drvbox status NAME
# lists a guest device line matching REGEX.
wait_guest_dev() {
	local i
	for i in $(seq "$3"); do
		"$DRVBOX" status "$1" 2>/dev/null | grep -qE -- "$2" && return 0
		sleep 1
	done
	"$DRVBOX" status "$1" 2>&1 | sed 's/^/# status: /'
	fail "$1: no guest device matching '$2' after $3 s"
}

# wait_driver BDF DRIVER TIMEOUT_S
wait_driver() {
	local i
	for i in $(seq $(($3 * 2))); do
		[ "$(pci_driver "$1")" = "$2" ] && return 0
		sleep 0.5
	done
	fail "$1 is on '$(pci_driver "$1")', expected $2 after $3 s"
}

# nvme_host_ns SERIAL BDF: once BDF is back on the host's nvme driver, the
# block device of its first namespace (the driver within 30 s, then the
# namespace within 30 s); prints nothing if none came.
nvme_host_ns() {
	local ctrl ns
	(wait_driver "$2" nvme 30) >/dev/null || return 0
	for _ in $(seq 60); do
		ctrl=$(nvme_ctrl "$1") && ns=$(nvme_ns "$ctrl") &&
			[ -n "$ns" ] && [ -e "/dev/$ns" ] && { echo "$ns"; return 0; }
		sleep 0.5
	done
}

# nvme_host_holds BDF FILE MIB: after a domain let go of drvbox-nvme0
# (BDF), the host's own namespace holds FILE at MiB offset MIB.
nvme_host_holds() {
	local ns mib
	ns=$(nvme_host_ns drvbox-nvme0 "$1")
	[ -n "$ns" ] || fail "drvbox-nvme0 ($1: $(pci_driver "$1")) has no namespace on the host after stop"
	mib=$(( $(stat -c %s "$2") >> 20 ))
	dd if="/dev/$ns" bs=1M skip="$3" count="$mib" iflag=direct status=none | cmp - "$2" ||
		fail "the host's /dev/$ns does not hold what was written through the domain"
	log "after stop: /dev/$ns on the host holds the $mib MiB written through the domain"
}

# The test host's NIC pairs, by MAC: one to isolate, one that stays native
# (the far end of the wire).  Two e1000e (single queue) on one hub, two
# igb (82576, multi-queue) on another.
MAC_ISO=52:54:00:db:00:01
MAC_NAT=52:54:00:db:00:02
MAC_IGB_ISO=52:54:00:db:00:11
MAC_IGB_NAT=52:54:00:db:00:12

# nic_pair [igb]: set ISO/ISOIF and NAT/NATIF (BDF and interface) of the
# e1000e pair (or the igb pair) or skip, and NIC_DRIVER, MAC_ISO and
# MAC_NAT to the pair's; the isolated NIC's interface is taken down and
# flushed, ready to pass through.
nic_pair() {
	NIC_DRIVER=e1000e
	if [ "${1:-}" = igb ]; then
		NIC_DRIVER=igb
		MAC_ISO=$MAC_IGB_ISO
		MAC_NAT=$MAC_IGB_NAT
	fi
	ISO=$(nic_bdf $MAC_ISO)
	NAT=$(nic_bdf $MAC_NAT)
	pci_need "$ISO" "$NIC_DRIVER with MAC $MAC_ISO"
	[ -n "$NAT" ] || skip "no $NIC_DRIVER with MAC $MAC_NAT"
	[ "$(pci_driver "$ISO")" = $NIC_DRIVER ] || skip "$ISO is on '$(pci_driver "$ISO")', not $NIC_DRIVER"
	ISOIF=$(nic_name "$ISO")
	NATIF=$(nic_name "$NAT")
	log "isolated: $ISO ($ISOIF), native: $NAT ($NATIF)"
	ip addr flush dev "$ISOIF"
	ip link set "$ISOIF" down
}

# nic_wire_setup DOMAIN NS ADDR/LEN: for a test that isolates ISO in domain
# DOMAIN against NAT native in netns NS (with ADDR on it and lo up): a
# cleanup trap that stops the domain and removes the netns, drvbox.ko
# loaded with the real VMM, and the kernel log marked.
nic_wire_setup() {
	NIC_DOM=$1
	NIC_NS=$2
	trap nic_wire_cleanup EXIT
	unload_drvbox
	load_drvbox vmm_path="$(cli_vmm_path)" boot_timeout_ms=400000
	dmesg_mark
	nic_wire_ns "$NIC_NS" "$3"
}
# nic_wire_ns NS ADDR/LEN: the native side, NATIF, in its own netns NS
# with ADDR (and lo up), so traffic must cross the hub
nic_wire_ns() {
	ip netns add "$1" || fail "ip netns add $1"
	ip link set "$NATIF" netns "$1" || fail "moving $NATIF to $1"
	ip -n "$1" addr add "$2" dev "$NATIF"
	ip -n "$1" link set "$NATIF" up
	ip -n "$1" link set lo up
}
nic_wire_cleanup() {
	"$DRVBOX" stop "$NIC_DOM" >/dev/null 2>&1
	ip netns pids "$NIC_NS" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del "$NIC_NS" 2>/dev/null
	unload_drvbox
}

# nic_returned: after drvbox stop, the isolated NIC is on the host's
# driver (NIC_DRIVER) again and has its interface (ISOIF, re-read: the
# name may change) with its own MAC.
nic_returned() {
	local i
	wait_driver "$ISO" "$NIC_DRIVER" 30
	for i in $(seq 20); do
		ISOIF=$(nic_name "$ISO")
		[ -n "$ISOIF" ] && break
		sleep 0.5
	done
	[ -n "$ISOIF" ] || fail "no host interface for $ISO after stop"
	[ "$(cat "/sys/class/net/$ISOIF/address")" = $MAC_ISO ] || fail "$ISOIF has another MAC"
}

# nic_back_on_host: after drvbox stop, the isolated NIC is on the host's
# e1000e again with its MAC and carries pings to the native NIC (moved
# into netns drvbox-pci, so the traffic must cross the wire).  Leaves both
# as it found them.
nic_back_on_host() {
	local ping="ping" i
	command -v ping >/dev/null || ping="/bin/busybox ping"
	nic_returned
	ip netns add drvbox-pci || fail "ip netns add failed"
	ip link set "$NATIF" netns drvbox-pci || fail "moving $NATIF to the netns failed"
	ip -n drvbox-pci addr add 10.213.7.2/24 dev "$NATIF"
	ip -n drvbox-pci link set "$NATIF" up
	ip addr add 10.213.7.1/24 dev "$ISOIF"
	ip link set "$ISOIF" up
	for i in $(seq 40); do
		[ "$(cat "/sys/class/net/$ISOIF/carrier" 2>/dev/null)" = 1 ] && break
		sleep 0.5
	done
	[ "$(cat "/sys/class/net/$ISOIF/carrier" 2>/dev/null)" = 1 ] ||
		fail "no carrier on $ISOIF after stop"
	$ping -c 3 -W 3 -I "$ISOIF" 10.213.7.2 >/tmp/nic.ping 2>&1 ||
		{ sed 's/^/# ping: /' /tmp/nic.ping; fail "no ping from $ISOIF to the native NIC"; }
	log "after stop: $ISO on e1000e, $ISOIF carrier up, $(grep -oE '[0-9]+ (packets )?received' /tmp/nic.ping) of 3 pings"
	ip addr flush dev "$ISOIF"
	ip link set "$ISOIF" down
	ip netns del drvbox-pci
}
