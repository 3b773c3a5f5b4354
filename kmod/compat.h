/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where drvbox.ko copes with kernel API differences between
 * the kernels it supports (Debian 12: 6.1 and 6.12).  Every version check
 * lives here, as a small wrapper named for what it does; the rest of the
 * module calls the wrapper.
 */
#ifndef _DRVBOX_COMPAT_H
#define _DRVBOX_COMPAT_H

#include <linux/eventfd.h>
#include <linux/mm.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "drvbox needs Linux 6.1 or newer"
#endif

/* Add one to an eventfd (an irqfd: interrupts the guest).  6.8 dropped @n. */
static inline void drvbox_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx, 1);
#else
	eventfd_signal(ctx);
#endif
}

/*
 * virtio_config_ops.find_vqs: 6.11 passes one struct virtqueue_info per
 * queue instead of parallel callbacks[]/names[]/ctx[] arrays.  The
 * transport declares its parameters with DRVBOX_FIND_VQS_PARAMS and reads
 * queue i with drvbox_vq_name(i) / drvbox_vq_callback(i) / drvbox_vq_ctx(i).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define DRVBOX_FIND_VQS_PARAMS						\
	struct virtqueue_info vqs_info[], struct irq_affinity *desc
#define drvbox_vq_name(i)	(vqs_info[i].name)
#define drvbox_vq_callback(i)	(vqs_info[i].callback)
#define drvbox_vq_ctx(i)	(vqs_info[i].ctx)
#else
#define DRVBOX_FIND_VQS_PARAMS						\
	vq_callback_t *callbacks[], const char * const names[],		\
	const bool *ctx, struct irq_affinity *desc
#define drvbox_vq_name(i)	(names[i])
#define drvbox_vq_callback(i)	(callbacks[i])
#define drvbox_vq_ctx(i)	(ctx ? ctx[i] : false)
#endif

/* vm_flags_set() came with 6.3; before, the flags were written directly. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void drvbox_vm_flags_set(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#else
#define drvbox_vm_flags_set	vm_flags_set
#endif

#endif /* _DRVBOX_COMPAT_H */
