# SPDX-License-Identifier: GPL-2.0
# drvbox_kernels: print the installed kernel versions that have an image,
# modules and build headers (what drvbox can build for and test on),
# oldest first.
drvbox_kernels() {
	local d k
	for d in /lib/modules/*/; do
		k="$(basename "$d")"
		[ -r "/boot/vmlinuz-$k" ] && [ -d "/lib/modules/$k/build" ] && echo "$k"
	done | sort -V
}
