// SPDX-License-Identifier: GPL-2.0
/*
 * Net exports, the host vrings: chains taken from virtio_net's RX and TX
 * vrings (each descriptor of one direction, bounds-checked by vdev_walk()
 * of virtio_transport.c) and bytes written across a frame's receive
 * buffers.  net->lock held throughout.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/string.h>

#include "net.h"

/*
 * Take the next chain of host vring @q: every descriptor device-readable
 * (TX, @writable false) or device-writable (RX).  Returns 1 with @c
 * filled, 0 when the ring is empty, -EINVAL for a chain we cannot use
 * (already given back with length 0).
 */
int net_pop(struct drvbox_net *net, unsigned int q, bool writable,
	    struct net_chain *c)
{
	int n;
	u32 i;

	if (!vdev_pop_head(&net->vd, q, &c->head))
		return 0;
	c->nr = 0;
	c->total = 0;
	n = vdev_walk(&net->vd, q, c->head, c->segs, ARRAY_SIZE(c->segs));
	if (n < 0)
		goto bad;
	c->nr = n;
	for (i = 0; i < c->nr; i++) {
		const struct vdev_seg *s = &c->segs[i];

		if (s->writable != writable || s->len > U32_MAX - c->total)
			goto bad;
		c->total += s->len;
	}
	return 1;
bad:
	pr_warn_ratelimited("%s: bad %s chain at %u\n",
			    dev_name(&net->vd.vdev.dev),
			    writable ? "rx" : "tx", c->head);
	vdev_discard(&net->vd, q, c->head);
	return -EINVAL;
}

/*
 * Write @len bytes of @src at byte @off of the (writable) chains @c, @nr
 * of them, taken as one buffer.
 */
void net_to_chains(const struct net_chain *c, u32 nr, u32 off, const u8 *src,
		   u32 len)
{
	u32 k, i, n;

	for (k = 0; k < nr && len; k++) {
		if (off >= c[k].total) {
			off -= c[k].total;
			continue;
		}
		for (i = 0; i < c[k].nr && len; i++) {
			if (off >= c[k].segs[i].len) {
				off -= c[k].segs[i].len;
				continue;
			}
			n = min(len, c[k].segs[i].len - off);
			memcpy((u8 *)c[k].segs[i].addr + off, src, n);
			src += n;
			len -= n;
			off = 0;
		}
	}
}
