// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM's side of /dev/drvbox: a file bound to one incarnation with
 * DRVBOX_VMM_ATTACH.
 *
 * The file owns the incarnation (struct drvbox_inc): fresh guest RAM
 * (guest_ram.c, zeroed as it is first touched) and a zeroed shared area
 * (vmalloc_user()), which mmap gives the VMM as pages it can register as a
 * KVM memslot and DMA-map for VFIO; the doorbell eventfds we
 * wait on and the irqfds we signal.  Releasing the file ends the
 * incarnation: we stop listening, detach it from the domain under d->lock
 * (after which nobody else can reach it), tell the supervisor, and free.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "blk.h"
#include "drvbox.h"
#include "net.h"

static bool vmm_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static struct drvbox_inc *vmm_inc(struct file *file)
{
	/* pairs with the cmpxchg() that publishes a fully set up inc */
	return smp_load_acquire((struct drvbox_inc **)&file->private_data);
}

/* ---- doorbells ---------------------------------------------------- */

static void vmm_doorbell_work(struct work_struct *work)
{
	struct drvbox_inc *inc = container_of(work, struct drvbox_inc,
					      doorbell_work);
	struct drvbox_domain *d = inc->dom;

	mutex_lock(&d->lock);
	if (d->inc == inc)
		guest_sync(d, inc);
	mutex_unlock(&d->lock);
}

/* Called under the eventfd's wait queue lock, maybe in hard irq context. */
static int vmm_doorbell_wake(wait_queue_entry_t *wait, unsigned int mode,
			     int sync, void *key)
{
	struct drvbox_doorbell *db = container_of(wait, struct drvbox_doorbell,
						  wait);
	__poll_t mask = key_to_poll(key);

	unsigned int index = db - db->inc->doorbells;

	if (mask && !(mask & EPOLLIN))
		return 0;
	if (index == DRVBOX_DB_CONTROL)
		queue_work(drvbox_io_wq, &db->inc->doorbell_work);
	else {
		blk_doorbell(db->inc->dom, index);
		net_doorbell(db->inc->dom, index);
	}
	return 0;
}

static void vmm_doorbell_queue(struct file *file, wait_queue_head_t *wqh,
			       poll_table *pt)
{
	struct drvbox_doorbell *db = container_of(pt, struct drvbox_doorbell, pt);

	add_wait_queue(wqh, &db->wait);
}

/* Take a reference on eventfd @fd and start waiting on it. */
static int vmm_doorbell_start(struct drvbox_inc *inc, struct drvbox_doorbell *db,
			      int fd)
{
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t mask;

	file = fget(fd);
	if (!file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		fput(file);
		return PTR_ERR(ctx);
	}
	db->ctx = ctx;
	db->inc = inc;
	init_waitqueue_func_entry(&db->wait, vmm_doorbell_wake);
	init_poll_funcptr(&db->pt, vmm_doorbell_queue);
	mask = vfs_poll(file, &db->pt);
	fput(file);	/* the ctx reference keeps the wait queue alive */
	if (mask & EPOLLIN) {
		if (db == &inc->doorbells[DRVBOX_DB_CONTROL])
			queue_work(drvbox_io_wq, &inc->doorbell_work);
		else {
			blk_doorbell(inc->dom, db - inc->doorbells);
			net_doorbell(inc->dom, db - inc->doorbells);
		}
	}
	return 0;
}

static void vmm_doorbell_stop(struct drvbox_doorbell *db)
{
	u64 cnt;

	eventfd_ctx_remove_wait_queue(db->ctx, &db->wait, &cnt);
}

/* ---- ioctls ------------------------------------------------------- */

static long vmm_attach(struct file *file, void __user *argp)
{
	struct drvbox_vmm_attach a;
	struct drvbox_domain *d;
	struct drvbox_shared_host *host;
	struct drvbox_inc *inc;
	long ret;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	if (a.padding || a.padding2 || !vmm_zero(a.reserved, sizeof(a.reserved)) ||
	    !domain_name_valid(a.name))
		return -EINVAL;
	if (vmm_inc(file))
		return -EBUSY;

	d = domain_get(a.name);
	if (!d)
		return -ENOENT;

	ret = -ENOMEM;
	inc = kzalloc(sizeof(*inc), GFP_KERNEL);
	if (!inc)
		goto err_put;
	inc->dom = d;
	inc->number = a.incarnation;
	INIT_WORK(&inc->doorbell_work, vmm_doorbell_work);
	if (guest_ram_alloc(inc, (u64)d->mem_mib << 20, d->passthrough))
		goto err_free;
	inc->shared = vmalloc_user(d->shared_bytes);
	if (!inc->shared)
		goto err_free;

	a.padding = 0;
	a.padding2 = 0;
	memset(a.reserved, 0, sizeof(a.reserved));
	a.mem_bytes = inc->ram_bytes;
	a.shared_offset = inc->ram_bytes;	/* page aligned: whole MiB */
	a.shared_bytes = d->shared_bytes;
	a.vcpus = d->vcpus;
	a.spec_len = d->spec_len;
	a.nr_doorbells = d->nr_doorbells;	/* control + block queues */
	a.nr_vectors = d->nr_doorbells;
	ret = -EFAULT;
	if (copy_to_user(argp, &a, sizeof(a)))
		goto err_free;

	host = inc->shared + DRVBOX_SHARED_HOST_OFFSET;
	host->magic = DRVBOX_SHARED_MAGIC;
	host->proto_version = DRVBOX_GUEST_PROTO_VERSION;
	host->incarnation = a.incarnation;
	host->heartbeat_ms = clamp(READ_ONCE(heartbeat_ms), 10U, 60000U);
	blk_fill_host_page(d, inc);
	net_fill_host_page(d, inc);

	mutex_lock(&d->lock);
	if (d->incarnation != a.incarnation || d->stop_requested) {
		ret = -ESTALE;
	} else if (d->vmm == VMM_ATTACHED) {
		ret = -EBUSY;
	} else if (d->vmm != VMM_LAUNCHING) {
		ret = -ESTALE;
	} else if (cmpxchg((struct drvbox_inc **)&file->private_data, NULL, inc)) {
		ret = -EBUSY;	/* this file attached meanwhile */
	} else {
		d->inc = inc;
		d->vmm = VMM_ATTACHED;
		d->heartbeat_jiffies = jiffies;
		ret = 0;
	}
	mutex_unlock(&d->lock);
	if (ret)
		goto err_free;
	return 0;

err_free:
	vfree(inc->shared);
	guest_ram_free(inc);
	kfree(inc);
err_put:
	domain_put(d);
	return ret;
}

static long vmm_get_spec(struct drvbox_inc *inc, void __user *argp)
{
	struct drvbox_domain *d = inc->dom;
	struct drvbox_vmm_spec s;
	char *spec;
	long ret;
	u32 len;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (s.padding || !vmm_zero(s.reserved, sizeof(s.reserved)))
		return -EINVAL;
	/* a copy: an upgrade may replace d->spec meanwhile */
	mutex_lock(&d->lock);
	len = d->spec_len;
	spec = kvmalloc(len, GFP_KERNEL);
	if (spec)
		memcpy(spec, d->spec, len);
	mutex_unlock(&d->lock);
	if (!spec)
		return -ENOMEM;
	ret = -ERANGE;
	if (s.len < len)
		goto out;
	ret = -EFAULT;
	if (copy_to_user(u64_to_user_ptr(s.ptr), spec, len))
		goto out;
	s.len = len;
	if (copy_to_user(argp, &s, sizeof(s)))
		goto out;
	ret = 0;
out:
	kvfree(spec);
	return ret;
}

static void vmm_put_eventfds(struct drvbox_inc *inc)
{
	unsigned int i;

	for (i = 0; i < inc->nr_doorbells; i++)
		eventfd_ctx_put(inc->doorbells[i].ctx);
	for (i = 0; i < inc->nr_irqs; i++)
		eventfd_ctx_put(inc->irqs[i]);
	inc->nr_doorbells = 0;
	inc->nr_irqs = 0;
}

static long vmm_set_eventfds(struct drvbox_inc *inc, void __user *argp)
{
	struct drvbox_domain *d = inc->dom;
	struct drvbox_vmm_eventfds e;
	struct eventfd_ctx *ctx;
	unsigned int i;
	long ret;

	if (copy_from_user(&e, argp, sizeof(e)))
		return -EFAULT;
	if (!vmm_zero(e.reserved, sizeof(e.reserved)) ||
	    e.nr_doorbells != d->nr_doorbells ||
	    e.nr_vectors != d->nr_doorbells)
		return -EINVAL;

	/*
	 * d->lock serializes against a second SET_EVENTFDS and against the
	 * users of inc->irqs; the doorbell callbacks only queue work.
	 */
	mutex_lock(&d->lock);
	ret = -EBUSY;
	if (inc->eventfds_set)
		goto out;
	for (i = 0; i < e.nr_vectors; i++) {
		ctx = eventfd_ctx_fdget(e.irq_fds[i]);
		if (IS_ERR(ctx)) {
			ret = PTR_ERR(ctx);
			goto err;
		}
		inc->irqs[inc->nr_irqs++] = ctx;
	}
	for (i = 0; i < e.nr_doorbells; i++) {
		ret = vmm_doorbell_start(inc, &inc->doorbells[i], e.doorbell_fds[i]);
		if (ret)
			goto err;
		inc->nr_doorbells++;
	}
	inc->eventfds_set = true;
	ret = 0;
	goto out;

err:
	for (i = 0; i < inc->nr_doorbells; i++)
		vmm_doorbell_stop(&inc->doorbells[i]);
	for (i = 0; i < inc->nr_irqs; i++)
		eventfd_ctx_put(inc->irqs[i]);
	inc->nr_irqs = 0;
	mutex_unlock(&d->lock);
	/* a doorbell may have fired already; the work takes d->lock */
	cancel_work_sync(&inc->doorbell_work);
	vmm_put_eventfds(inc);
	return ret;
out:
	mutex_unlock(&d->lock);
	return ret;
}

static long vmm_report(struct drvbox_inc *inc, void __user *argp)
{
	struct drvbox_domain *d = inc->dom;
	struct drvbox_vmm_report r;
	size_t i, len;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (r.flags || !vmm_zero(r.reserved, sizeof(r.reserved)) ||
	    r.kind < DRVBOX_VMM_START_ERROR || r.kind > DRVBOX_VMM_VMM_ERROR)
		return -EINVAL;
	len = strnlen(r.message, sizeof(r.message));
	if (len == 0 || len == sizeof(r.message))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (r.message[i] < 0x20 || r.message[i] >= 0x7f)
			r.message[i] = '?';

	mutex_lock(&d->lock);
	inc->report_kind = r.kind;
	strscpy(inc->report, r.message, sizeof(inc->report));
	if (r.kind == DRVBOX_VMM_START_ERROR && d->inc == inc &&
	    !d->stop_requested && !d->restart_requested &&
	    d->state != DRVBOX_STATE_FAILED)
		supervisor_fail(d, "%s", r.message);
	mutex_unlock(&d->lock);
	return 0;
}

/* [@off, @off + @len): page-aligned and inside the incarnation's RAM */
static bool vmm_ram_range_ok(const struct drvbox_inc *inc, u64 off, u64 len)
{
	return PAGE_ALIGNED(off) && PAGE_ALIGNED(len) &&
	       off <= inc->ram_bytes && len <= inc->ram_bytes - off;
}

static long vmm_populate(struct drvbox_inc *inc, void __user *argp)
{
	struct drvbox_vmm_populate p;

	if (copy_from_user(&p, argp, sizeof(p)))
		return -EFAULT;
	if (!vmm_zero(p.reserved, sizeof(p.reserved)) ||
	    !PAGE_ALIGNED(p.addr) || !vmm_ram_range_ok(inc, p.offset, p.len))
		return -EINVAL;
	return guest_ram_map_range(inc, p.addr, p.offset, p.len);
}

static long vmm_load_ram(struct drvbox_inc *inc, void __user *argp)
{
	struct drvbox_vmm_load_ram l;
	struct file *file;
	long ret;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (l.flags || !vmm_zero(l.reserved, sizeof(l.reserved)) ||
	    !vmm_ram_range_ok(inc, l.offset, l.len) ||
	    l.file_offset > LLONG_MAX)
		return -EINVAL;
	file = fget(l.fd);
	if (!file)
		return -EBADF;
	if (!S_ISREG(file_inode(file)->i_mode))
		ret = -EINVAL;
	else if (!(file->f_mode & FMODE_READ))
		ret = -EBADF;
	else
		ret = guest_ram_load(inc, file, l.file_offset, l.offset, l.len);
	fput(file);
	return ret;
}

/**
 * vmm_ioctl() - the ioctls of the VMM side
 * @file: a /dev/drvbox file
 * @cmd: DRVBOX_VMM_*
 * @argp: user argument
 *
 * Return: as each ioctl documents; -ENOTCONN for anything but ATTACH on a
 * file that is not attached.
 */
long vmm_ioctl(struct file *file, unsigned int cmd, void __user *argp)
{
	struct drvbox_inc *inc;

	if (cmd == DRVBOX_VMM_ATTACH)
		return vmm_attach(file, argp);
	inc = vmm_inc(file);
	if (!inc)
		return -ENOTCONN;
	switch (cmd) {
	case DRVBOX_VMM_GET_SPEC:
		return vmm_get_spec(inc, argp);
	case DRVBOX_VMM_SET_EVENTFDS:
		return vmm_set_eventfds(inc, argp);
	case DRVBOX_VMM_REPORT:
		return vmm_report(inc, argp);
	case DRVBOX_VMM_POPULATE:
		return vmm_populate(inc, argp);
	case DRVBOX_VMM_LOAD_RAM:
		return vmm_load_ram(inc, argp);
	}
	return -ENOIOCTLCMD;
}

/**
 * vmm_mmap() - map guest RAM (offset 0) or the shared area (shared_offset)
 * @file: an attached /dev/drvbox file
 * @vma: must be MAP_SHARED and cover exactly one of the two
 *
 * Return: 0, -ENOTCONN if not attached, -EINVAL for any other shape.
 */
int vmm_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct drvbox_inc *inc = vmm_inc(file);
	unsigned long len = vma->vm_end - vma->vm_start;

	if (!inc)
		return -ENOTCONN;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff == 0 && len == inc->ram_bytes)
		return guest_ram_mmap(inc, vma);
	if (vma->vm_pgoff == inc->ram_bytes >> PAGE_SHIFT &&
	    len == inc->dom->shared_bytes)
		return remap_vmalloc_range(vma, inc->shared, 0);
	return -EINVAL;
}

/* The last reference to an attached file is gone: the incarnation ends. */
int vmm_release(struct file *file)
{
	struct drvbox_inc *inc = file->private_data;
	struct drvbox_domain *d;
	unsigned int i;

	if (!inc)
		return 0;
	d = inc->dom;

	for (i = 0; i < inc->nr_doorbells; i++)
		vmm_doorbell_stop(&inc->doorbells[i]);
	cancel_work_sync(&inc->doorbell_work);

	mutex_lock(&d->lock);
	if (d->inc == inc) {
		blk_incarnation_end(d, inc);	/* before its memory goes */
		net_incarnation_end(d, inc);
		d->inc = NULL;
		supervisor_incarnation_end(d, inc);
	}
	mutex_unlock(&d->lock);

	vmm_put_eventfds(inc);
	vfree(inc->shared);
	guest_ram_free(inc);
	kfree(inc);
	domain_put(d);
	return 0;
}
