# SPDX-License-Identifier: GPL-2.0
# Helpers for the net_* selftests.  Fake-guest tests: drvbox.ko with the
# fake VMM serving the domain's net export from a persistent tap device
# (fake_vmm.c "net" modes); the host's stock virtio_net makes an interface
# of it, which the test moves into the netns "iso", so that traffic between
# iso (10.77.0.2, fd77::2) and the tap in the root netns (10.77.0.1,
# fd77::1) crosses the whole host path: virtio_net, the host vrings, the
# mediator, the TX/RX rings and slots in the shared area.  Source after
# kmod_lib.sh.

NET_TAP=dbxtap0
NET_NS=iso
NET_MAC0=52:54:00:db:10:00

net_exports() { cat /sys/kernel/drvbox/domains/"$1"/exports 2>/dev/null; }
net_host_dev() { net_exports "$1" | sed -n 's/^net:[^ ]* host_dev=\([^ ]*\).*/\1/p' | head -n1; }
net_has_dev() { local d; d=$(net_host_dev "$1"); [ -n "$d" ] && [ "$d" != - ]; }
# net_stat NAME KEY: one field of the net export line
net_stat() { net_exports "$1" | sed -n "s/^net:.* $2=\([^ ]*\).*/\1/p" | head -n1; }

# "up" or "down": the carrier of the isolated interface, as the host sees it
net_carrier() {
	if ip -n $NET_NS link show "$NET_DEV" 2>/dev/null | grep -q 'LOWER_UP'; then
		echo up
	else
		echo down
	fi
}
net_carrier_is() { [ "$(net_carrier)" = "$1" ]; }

# net_start NAME MODE: tap + domain + interface in the netns; sets NET_DEV
net_start() {
	local name=$1 mode=$2
	modprobe tun 2>/dev/null || [ -c /dev/net/tun ] || skip "tun not available"
	host_module virtio_net || skip "virtio_net not available"
	ip netns del $NET_NS 2>/dev/null
	ip link del $NET_TAP 2>/dev/null
	ip tuntap add dev $NET_TAP mode tap || fail "cannot create tap $NET_TAP"
	ip addr add 10.77.0.1/24 dev $NET_TAP || fail "tap address"
	ip addr add fd77::1/64 dev $NET_TAP nodad || fail "tap IPv6 address"
	ip link set $NET_TAP up || fail "tap up"
	echo "$mode $NET_TAP" > "$FAKE_MODE"
	dbx create "$name" kernel=/boot/vmlinuz-fake export=net:fakeeth0 ||
		fail "create $name"
	wait_state "$name" running 30 || fail "$name not running"
	wait_until 20 net_has_dev "$name" || fail "no host interface: $(net_exports "$name")"
	NET_DEV=$(net_host_dev "$name")
	ip netns add $NET_NS || fail "netns add"
	ip link set "$NET_DEV" netns $NET_NS || fail "cannot move $NET_DEV to netns $NET_NS"
	ip -n $NET_NS addr add 10.77.0.2/24 dev "$NET_DEV" || fail "address"
	ip -n $NET_NS addr add fd77::2/64 dev "$NET_DEV" nodad || fail "IPv6 address"
	ip -n $NET_NS link set "$NET_DEV" up || fail "$NET_DEV up"
	ip -n $NET_NS link set lo up
	log "$name: net:fakeeth0 is $NET_DEV: $(ip -n $NET_NS -br link show "$NET_DEV")"
}

# net_ping FAMILY DST COUNT [ns]: adaptive ping from the netns (or the root
# netns with "root"); fails unless every reply came back.  Prints the RTT.
net_ping() {
	local fam=$1 dst=$2 count=$3 where=${4:-ns} out
	if [ "$where" = root ]; then
		out=$(busybox ping "-$fam" -A -q -c "$count" -W 5 "$dst" 2>&1)
	else
		out=$(ip netns exec $NET_NS busybox ping "-$fam" -A -q -c "$count" -W 5 "$dst" 2>&1)
	fi
	if ! echo "$out" | grep -q "$count packets transmitted, $count packets received"; then
		echo "$out" | sed 's/^/# ping: /'
		return 1
	fi
	echo "$out" | sed -n 's/^round-trip /rtt /p'
}

net_teardown() {
	local name=$1
	dbx destroy "$name" || fail "destroy $name"
	wait_until 5 eval '! ip -n $NET_NS link show "$NET_DEV" >/dev/null 2>&1' ||
		fail "$NET_DEV still there after destroy"
	ip netns del $NET_NS 2>/dev/null
	ip link del $NET_TAP 2>/dev/null
	kmod_teardown "$name"
}

# nic_isolated_up NAME NS NET: the NIC pair's isolated e1000e in domain
# NAME exporting eth0, its far end native in netns NS at NET.2/24
# (nic_wire_setup); the host interface at NET.1/24, up, with carrier and
# a first ping answered.  Sets NET_DEV; defines carrier().
nic_isolated_up() {
	local name=$1 ns=$2 net=$3
	nic_wire_setup "$name" "$ns" "$net.2/24"
	"$DRVBOX" run --name "$name" --driver e1000e --pci "$ISO" --export net:eth0 \
		--timeout 420 >/tmp/"$name".out 2>/tmp/"$name".err ||
		fail "drvbox run $name failed: $(cat /tmp/"$name".err)"
	wait_until 120 net_has_dev "$name" ||
		{ "$DRVBOX" logs "$name" | tail -n 30 | sed 's/^/# log: /'
		  fail "no host interface: $(net_exports "$name")"; }
	NET_DEV=$(net_host_dev "$name")
	ip addr add "$net.1/24" dev "$NET_DEV"
	ip link set "$NET_DEV" up
	carrier() { [ "$(cat /sys/class/net/$NET_DEV/carrier 2>/dev/null)" = 1 ]; }
	wait_until 60 carrier || fail "no carrier on $NET_DEV: $(net_exports "$name")"
	# ARP and the first frames of the wire settle before anything measured
	busybox ping -4 -c 3 -W 5 "$net.2" >/dev/null 2>&1 ||
		fail "no ping reply over $NET_DEV"
}
