#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
# Boot images (docs/recovery.md): the first incarnation of a configuration
# boots cold and saves an image; after a panic the next one starts from
# it, and a marker the crashed incarnation wrote into its RAM (null_blk's
# memory-backed pages) is gone; a second domain of the same configuration
# starts from the same image; a damaged image is dropped with a log line
# and the incarnation boots cold; another configuration gets its own
# image, while other drivers use the same one (they are not in it); with
# boot_image=0 nothing is restored.  A compressed null_blk is unpacked
# once and kept in the module cache.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/cli_lib.sh"
. "$(dirname "$0")/kmod_lib.sh"
. "$(dirname "$0")/blk_lib.sh"
. "$(dirname "$0")/blk_domain_lib.sh"
blk_domain_need

IMAGES=/var/cache/drvbox/images
D=im0
trap '"$DRVBOX" stop $D >/dev/null 2>&1; "$DRVBOX" stop im1 >/dev/null 2>&1; unload_drvbox' EXIT
# Guest RAM sizes no other test uses: this test's images are its own
# (drivers and their parameters are not part of an image).
MEM=264
MEM2=280
PARAMS=(--param null_blk.gb=1 --param null_blk.memory_backed=1
	--param null_blk.bs=4096)
blk_domain_load
dmesg_mark
# An earlier attempt of this test (run again after an inconclusive one)
# left its image of these sizes; the cache may go at any time.
rm -f "$IMAGES"/*.img

images() { ls "$IMAGES"/*.img 2>/dev/null | sort; }
# log_has NAME INCARNATION TEXT: that incarnation's part of the log shows TEXT
log_has() {
	"$DRVBOX" logs "$1" | awk -v inc="$2" '
		/^=== drvbox: .* incarnation [0-9]+ started/ { cur = $5 }
		cur == inc' | grep -q -- "$3"
}
# crash_and_wait NAME: panic it, wait for the next incarnation running
crash_and_wait() {
	local inc
	inc=$(status_field "$1" incarnation)
	"$DRVBOX" crash "$1" --how panic >/dev/null || fail "crash $1 failed"
	wait_incarnation "$1" $((inc + 1)) 300
	wait_until 30 blk_has_dev "$1" || fail "$1: no host disk after the restart"
}

before=$(images)
blk_domain_start $D --driver null_blk "${PARAMS[@]}" --export blk:nullb0 --mem $MEM
log_has $D 1 "boot image saved: $IMAGES/" ||
	{ blk_domain_logs $D; fail "incarnation 1 saved no boot image"; }
new=$(comm -13 <(echo "$before") <(images))
[ "$(echo "$new" | grep -c .)" = 1 ] || fail "expected one new image, got: $new"
img=$new
log "cold boot $(status_field $D boot_ms) ms, image $img ($(stat -c %s "$img") bytes)"

# A marker in the guest's RAM (null_blk keeps the disk in guest pages).
marker="drvbox-image-marker-$$-$RANDOM"
printf '%s' "$marker" | dd of=/dev/"$BLK_DEV" bs=4096 conv=sync,fsync status=none ||
	fail "writing the marker failed"
dd if=/dev/"$BLK_DEV" bs=4096 count=1 status=none | grep -q "$marker" ||
	fail "the marker does not read back before the crash"

crash_and_wait $D
log_has $D 2 "started from boot image $img" ||
	{ blk_domain_logs $D; fail "incarnation 2 did not start from $img"; }
log "incarnation 2 from the image: boot_ms $(status_field $D boot_ms)"
# Compressed modules were unpacked once, by the first VMM, and kept.
nb=$(modinfo -k "$KVER" -n null_blk) || fail "no null_blk module for $KVER"
case "$nb" in
*.ko.xz | *.ko.zst | *.ko.gz)
	grep -lqs "^drvbox-module-cache 1 $nb " /var/cache/drvbox/modules/*.ko ||
		fail "$nb is not in the module cache: $(ls /var/cache/drvbox/modules 2>&1)"
	log_has $D 2 "drvbox-init: loaded null_blk.ko gb=1" ||
		fail "incarnation 2 did not load null_blk.ko unpacked"
	;;
esac
BLK_DEV=$(blk_host_dev $D)
dd if=/dev/"$BLK_DEV" bs=4096 count=1 status=none | grep -q "$marker" &&
	fail "incarnation 2 still has what incarnation 1 wrote into its RAM"
# and the disk works: a write reads back
printf 'second' | dd of=/dev/"$BLK_DEV" bs=4096 conv=sync,fsync status=none ||
	fail "write after the restore failed"
dd if=/dev/"$BLK_DEV" bs=4096 count=1 status=none | grep -q second ||
	fail "read-back after the restore failed"
[ "$(status_field $D crashes)" = 1 ] || fail "crashes $(status_field $D crashes), expected 1"

# Another domain, same shape, other driver parameters: the same image,
# and its own parameters.
blk_domain_start im1 --driver null_blk --param null_blk.gb=2 \
	--param null_blk.bs=512 --export blk:nullb0 --mem $MEM
log_has im1 1 "started from boot image $img" ||
	{ blk_domain_logs im1; fail "im1 did not start from $img"; }
log_has im1 1 "loaded null_blk.ko[.a-z]* gb=2 bs=512 " ||
	{ blk_domain_logs im1; fail "im1 did not load null_blk with its own parameters"; }
expect_eq "im1's capacity" "$(blk_stat im1 capacity)" $((2 << 30))
log "a second domain from the image: boot_ms $(status_field im1 boot_ms)"
blk_domain_stop im1

# A damaged image: dropped with a log line, a cold boot, a new image.
printf 'garbage!' | dd of="$img" bs=1 seek=0 conv=notrunc status=none
crash_and_wait $D
log_has $D 3 "boot image $img: not a drvbox boot image; booting and saving a new one" ||
	{ blk_domain_logs $D; fail "incarnation 3 did not reject the damaged image"; }
log_has $D 3 "boot image saved: $img" ||
	{ blk_domain_logs $D; fail "incarnation 3 did not save a new image"; }
# A truncated one, the same.
truncate -s 4096 "$img"
crash_and_wait $D
log_has $D 4 "boot image $img: .*; booting and saving a new one" ||
	{ blk_domain_logs $D; fail "incarnation 4 did not reject the truncated image"; }
crash_and_wait $D
log_has $D 5 "started from boot image $img" ||
	{ blk_domain_logs $D; fail "incarnation 5 did not start from the new image"; }
blk_domain_stop $D

# Another shape: another image.
before=$(images)
blk_domain_start $D --driver null_blk "${PARAMS[@]}" --export blk:nullb0 --mem $MEM2
log_has $D 1 "boot image saved: " || fail "the new configuration saved no image"
new=$(comm -13 <(echo "$before") <(images))
[ -n "$new" ] && [ "$new" != "$img" ] ||
	fail "the new configuration did not get an image of its own ($new)"
blk_domain_stop $D

# boot_image=0: every incarnation boots.
echo N > /sys/module/drvbox/parameters/boot_image
blk_domain_start $D --driver null_blk "${PARAMS[@]}" --export blk:nullb0 --mem $MEM
echo Y > /sys/module/drvbox/parameters/boot_image
"$DRVBOX" logs $D | grep -q "boot image" &&
	{ blk_domain_logs $D; fail "boot_image=0, yet the log mentions a boot image"; }
blk_domain_stop $D
dmesg_check_clean
exit 0
