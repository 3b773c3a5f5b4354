# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the demo's steps inside the test host (not executable;
# source after selftests/lib/common.sh).  Every claim a step prints is
# checked first; a false one ends the demo with "DEMO FAILED: why".

say() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
show() { echo "\$ $*"; "$@"; }
die() { echo "DEMO FAILED: $*"; exit 1; }

# The copy both block steps make, and the fault that interrupts it.
DEMO_COPY_MIB=64
DEMO_MNT=/tmp/demo-mnt
# Where inside.sh leaves its figures for demo.sh's summary (build/ is the
# one directory the test host writes back to the build machine).
DEMO_RESULTS="$DRVBOX_TREE/build/demo/$KVER/results"

secs_now() { date +%s.%N | cut -c1-14; }
# secs_since T0: seconds since T0 (from secs_now), one decimal
secs_since() { awk -v a="$1" -v b="$(secs_now)" 'BEGIN { printf "%.1f", b - a }'; }

# demo_source_file: a file of random data in the test host's RAM and its
# checksum, the original the copies are compared against.
demo_source_file() {
	head -c $((DEMO_COPY_MIB << 20)) /dev/urandom > /tmp/demo-src ||
		die "cannot write /tmp/demo-src"
	(cd /tmp && sha256sum demo-src) > /tmp/demo-src.sha256 ||
		die "sha256sum /tmp/demo-src failed"
	note "source: /tmp/demo-src, $DEMO_COPY_MIB MiB of random data, sha256 $(cut -c1-16 /tmp/demo-src.sha256)..."
}

# demo_mkfs_mount DEV: a fresh ext4 on DEV, mounted on $DEMO_MNT.  Inode
# tables and journal are written now (not lazily by a kernel thread later),
# so the requests the copy makes are the copy's.
demo_mkfs_mount() {
	show mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0,nodiscard "/dev/$1" ||
		die "mkfs.ext4 /dev/$1 failed"
	mkdir -p "$DEMO_MNT"
	show mount "/dev/$1" "$DEMO_MNT" || die "mount /dev/$1 failed"
}

# demo_copy_start: copy the source into the file system in the background,
# 128 KiB writes with O_DIRECT, one at a time (each goes to the disk while
# we watch, not into the page cache, and is exactly one request all the way
# down: nothing to merge), then fsync.  Sets COPY_PID.
demo_copy_start() {
	rm -f /tmp/demo-dd.err
	dd if=/tmp/demo-src of="$DEMO_MNT/demo-src" bs=128k oflag=direct conv=fsync \
		status=none 2>/tmp/demo-dd.err &
	COPY_PID=$!
}

# demo_copied_mib: how far the copy got (the file grows as writes complete)
demo_copied_mib() {
	local b
	b=$(stat -c %s "$DEMO_MNT/demo-src" 2>/dev/null || echo 0)
	echo $((b >> 20))
}
