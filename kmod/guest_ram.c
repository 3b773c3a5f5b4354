// SPDX-License-Identifier: GPL-2.0
/*
 * An incarnation's guest RAM: pages allocated, zeroed, at first touch.
 *
 * Every incarnation gets fresh RAM, none of which may show what was there
 * before.  Allocating all of it at attach was most of a restart from the
 * boot image (1.5-1.9 s of 3.2-4.1 s for 256 MiB under nested TCG, with
 * or without zeroing: the page allocations themselves), while a restored
 * guest touches a quarter of it.  So @ram_pages starts empty and a page is
 * allocated, zeroed, on the first fault of the VMM's mapping (which is
 * also how KVM and VFIO reach guest RAM, through get_user_pages()), or
 * when drvbox.ko itself copies to or from it (guest_ram_write(),
 * guest_ram_read(), for the block slots the guest names).
 *
 * A domain with a passed-through device is different: VFIO pins all of
 * its RAM at start, one fault per page.  Page by page, pinning 512 MiB
 * took 5.0-5.5 s under nested TCG, most of an nvme domain's restart.
 * Its RAM is allocated GUEST_RAM_RUN_ORDER at a time instead (split into
 * single pages, so nothing else changes): physically contiguous runs,
 * which VFIO maps into the IOMMU in few large pieces, and one zeroing
 * allocation for 512 faults.  A run that cannot be had falls back to a
 * page.
 *
 * Guest RAM is allocated with I/O reclaim off (memalloc_noio): a first
 * touch happens in a vCPU's fault, and the guest may be the very driver
 * that reclaim would wait on (swap or dirty pages on an isolated disk).
 *
 * A page, once set in @ram_pages, stays until guest_ram_free(); setting
 * one is serialized by @ram_lock, and a set pointer is read without it
 * (the page's zeroes are visible before its pointer: the release pairs
 * with READ_ONCE()'s address dependency).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>

#include "compat.h"
#include "drvbox.h"

/* 2 MiB: a huge page's worth, a run of the IOMMU's larger page size */
#define GUEST_RAM_RUN_ORDER	9
#define GUEST_RAM_RUN_PAGES	(1UL << GUEST_RAM_RUN_ORDER)

int guest_ram_alloc(struct drvbox_inc *inc, u64 bytes, bool runs)
{
	inc->ram_bytes = bytes;
	inc->ram_runs = runs;
	mutex_init(&inc->ram_lock);
	inc->ram_pages = kvcalloc(bytes >> PAGE_SHIFT, sizeof(*inc->ram_pages),
				  GFP_KERNEL);
	return inc->ram_pages ? 0 : -ENOMEM;
}

void guest_ram_free(struct drvbox_inc *inc)
{
	unsigned long pg;

	if (!inc->ram_pages)
		return;
	/*
	 * Ours alone: kept for the next incarnation's restore (ram_pool.c).
	 * A page someone still holds (a pin) goes when they let go.
	 */
	for (pg = 0; pg < inc->ram_bytes >> PAGE_SHIFT; pg++) {
		struct page *page = inc->ram_pages[pg];

		if (page && !ram_pool_give(&inc->dom->ram_pool, page))
			put_page(page);
	}
	kvfree(inc->ram_pages);
	inc->ram_pages = NULL;
}

/*
 * The whole empty run around page @pg, allocated and zeroed at once;
 * false if it is not whole, not empty, or not to be had.  ram_lock held.
 */
static bool guest_ram_fill_run(struct drvbox_inc *inc, unsigned long pg)
{
	unsigned long first = pg & ~(GUEST_RAM_RUN_PAGES - 1), i;
	struct page *run;

	lockdep_assert_held(&inc->ram_lock);

	if (first + GUEST_RAM_RUN_PAGES > inc->ram_bytes >> PAGE_SHIFT)
		return false;
	for (i = 0; i < GUEST_RAM_RUN_PAGES; i++)
		if (inc->ram_pages[first + i])
			return false;
	run = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN | __GFP_NORETRY,
			  GUEST_RAM_RUN_ORDER);
	if (!run)
		return false;
	split_page(run, GUEST_RAM_RUN_ORDER);
	for (i = 0; i < GUEST_RAM_RUN_PAGES; i++)
		smp_store_release(&inc->ram_pages[first + i], run + i);
	return true;
}

/* Page @pg of the RAM, allocated and zeroed if it was not; NULL: no memory. */
static struct page *guest_ram_page(struct drvbox_inc *inc, unsigned long pg)
{
	struct page *page = READ_ONCE(inc->ram_pages[pg]);
	unsigned int noio;

	if (page)
		return page;
	mutex_lock(&inc->ram_lock);
	noio = memalloc_noio_save();
	page = inc->ram_pages[pg];
	if (!page && inc->ram_runs && guest_ram_fill_run(inc, pg))
		page = inc->ram_pages[pg];
	if (!page) {
		page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (page)
			smp_store_release(&inc->ram_pages[pg], page);
	}
	memalloc_noio_restore(noio);
	mutex_unlock(&inc->ram_lock);
	return page;
}

/**
 * guest_ram_populate() - make sure [@off, @off + @len) has its pages
 * @inc: the incarnation
 * @off: offset in its RAM
 * @len: bytes; the range lies inside the RAM (the caller checked)
 *
 * For ranges drvbox.ko copies to and from later, where failing is not an
 * option (the block slots).  Return: 0, or -ENOMEM.
 */
int guest_ram_populate(struct drvbox_inc *inc, u64 off, u64 len)
{
	unsigned long pg, last;

	if (!len)
		return 0;
	last = (off + len - 1) >> PAGE_SHIFT;
	for (pg = off >> PAGE_SHIFT; pg <= last; pg++)
		if (!guest_ram_page(inc, pg))
			return -ENOMEM;
	return 0;
}

/* pages read from a file at once by guest_ram_load(): a run's worth */
#define GUEST_RAM_LOAD_BATCH	GUEST_RAM_RUN_PAGES

/*
 * Read @n pages of @file at *@pos into pages @pg.. of the RAM.  A missing
 * page comes from the domain's pool (an earlier incarnation's) or the
 * allocator, and is not zeroed for it: every byte of it is written before
 * it is set in @ram_pages (read, or zeroed past the file's end), so
 * nothing earlier can show.  @bv: room for @n.  ram_lock held.
 */
static int guest_ram_load_batch(struct drvbox_inc *inc, struct file *file,
				loff_t *pos, unsigned long pg, unsigned int n,
				struct bio_vec *bv)
{
	struct iov_iter iter;
	unsigned int i;
	ssize_t got;
	size_t done;
	int ret = 0;

	lockdep_assert_held(&inc->ram_lock);

	for (i = 0; i < n; i++) {
		struct page *page = inc->ram_pages[pg + i];

		if (!page)
			page = ram_pool_take(&inc->dom->ram_pool);
		if (!page)
			page = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!page) {
			ret = -ENOMEM;
			break;
		}
		bvec_set_page(&bv[i], page, PAGE_SIZE, 0);
	}
	n = i;
	iov_iter_bvec(&iter, ITER_DEST, bv, n, (size_t)n << PAGE_SHIFT);
	got = n ? vfs_iter_read(file, &iter, pos, 0) : 0;
	if (got < 0)
		ret = got;
	done = got > 0 ? got : 0;
	for (i = 0; i < n; i++) {
		size_t in = (size_t)i << PAGE_SHIFT;

		/* past the file's end, or a failed read: zeroes */
		if (done <= in)
			memzero_page(bv[i].bv_page, 0, PAGE_SIZE);
		else if (done < in + PAGE_SIZE)
			memzero_page(bv[i].bv_page, done - in,
				     in + PAGE_SIZE - done);
		if (!inc->ram_pages[pg + i])
			smp_store_release(&inc->ram_pages[pg + i],
					  bv[i].bv_page);
	}
	return ret;
}

/**
 * guest_ram_load() - fill RAM from a file, without zeroing it first
 * @inc: the incarnation
 * @file: a regular file open for reading
 * @pos: where in @file
 * @off: page-aligned offset in the RAM
 * @len: page-aligned bytes, inside the RAM (the caller checked)
 *
 * The file's bytes are the first thing the pages get: no zeroing for
 * them, with pages of the domain's pool (see ram_pool.c for what that
 * saves).
 *
 * Return: 0, -ENOMEM, -EINTR (a fatal signal), or the read's error.
 */
int guest_ram_load(struct drvbox_inc *inc, struct file *file, loff_t pos,
		   u64 off, u64 len)
{
	unsigned long pg = off >> PAGE_SHIFT, end = (off + len) >> PAGE_SHIFT;
	struct bio_vec *bv;
	unsigned int noio;
	int ret = 0;

	bv = kmalloc_array(GUEST_RAM_LOAD_BATCH, sizeof(*bv), GFP_KERNEL);
	if (!bv)
		return -ENOMEM;
	while (pg < end && !ret) {
		unsigned int n = min(end - pg, GUEST_RAM_LOAD_BATCH);

		if (mutex_lock_killable(&inc->ram_lock)) {
			ret = -EINTR;
			break;
		}
		noio = memalloc_noio_save();
		ret = guest_ram_load_batch(inc, file, &pos, pg, n, bv);
		memalloc_noio_restore(noio);
		mutex_unlock(&inc->ram_lock);
		pg += n;
		cond_resched();
	}
	kfree(bv);
	return ret;
}

/*
 * Copy between guest RAM [@off, @off + @len) (inside the RAM: the caller
 * checked) and @buf, page by page: the RAM is not contiguous in the host.
 * Return: 0, or -ENOMEM when a page could not be had.
 */
static int guest_ram_copy(struct drvbox_inc *inc, u64 off, void *buf,
			  size_t len, bool to_guest)
{
	while (len) {
		size_t in = offset_in_page(off);
		size_t n = min_t(size_t, len, PAGE_SIZE - in);
		struct page *page = guest_ram_page(inc, off >> PAGE_SHIFT);
		void *p;

		if (!page)
			return -ENOMEM;
		p = page_address(page) + in;	/* GFP_KERNEL: in the direct map */
		if (to_guest)
			memcpy(p, buf, n);
		else
			memcpy(buf, p, n);
		off += n;
		buf += n;
		len -= n;
	}
	return 0;
}

int guest_ram_write(struct drvbox_inc *inc, u64 off, const void *buf,
		    size_t len)
{
	return guest_ram_copy(inc, off, (void *)buf, len, true);
}

int guest_ram_read(struct drvbox_inc *inc, void *buf, u64 off, size_t len)
{
	return guest_ram_copy(inc, off, buf, len, false);
}

/* The VMM's mapping: each page on its first touch. */
static vm_fault_t guest_ram_fault(struct vm_fault *vmf)
{
	struct drvbox_inc *inc = vmf->vma->vm_private_data;
	struct page *page;

	if (vmf->pgoff >= inc->ram_bytes >> PAGE_SHIFT)
		return VM_FAULT_SIGBUS;
	page = guest_ram_page(inc, vmf->pgoff);
	if (!page)
		return VM_FAULT_OOM;
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct guest_ram_vm_ops = {
	.fault = guest_ram_fault,
};

/*
 * Put the pages of [@off, @off + @len) in @vma's page tables, skipping
 * any already there (-EBUSY for that one page).  Under the mmap lock (or
 * in .mmap): @vma has VM_MIXEDMAP, so vm_insert_pages() may run with it
 * held for read.
 */
static int guest_ram_insert(struct drvbox_inc *inc, struct vm_area_struct *vma,
			    unsigned long off, unsigned long len)
{
	unsigned long pg = off >> PAGE_SHIFT, end = (off + len) >> PAGE_SHIFT;
	unsigned long n, want;
	int ret;

	while (pg < end) {
		want = min(end - pg, GUEST_RAM_RUN_PAGES);
		n = want;
		ret = vm_insert_pages(vma, vma->vm_start + (pg << PAGE_SHIFT),
				      &inc->ram_pages[pg], &n);
		/* n: pages it did not get to */
		pg += want - n;
		if (ret == -EBUSY)
			pg++;		/* mapped already: keep it */
		else if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

/**
 * guest_ram_map_range() - pages for a range, mapped in the VMM at once
 * @inc: the incarnation
 * @addr: the start of the caller's mapping of the RAM
 * @off: page-aligned offset in the RAM
 * @len: page-aligned bytes, inside the RAM (the caller checked)
 *
 * A fault per page costs more than the page under nested TCG: restoring
 * a boot image's 66 MiB took 1.6-3.0 s into first-touch RAM, 0.3-0.6 s
 * into RAM mapped ahead.
 *
 * Return: 0, -EINVAL if @addr is not the start of a mapping of this RAM,
 * -ENOMEM.
 */
int guest_ram_map_range(struct drvbox_inc *inc, unsigned long addr, u64 off,
			u64 len)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int ret;

	ret = guest_ram_populate(inc, off, len);
	if (ret || !len)
		return ret;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (!vma || vma->vm_start != addr || vma->vm_ops != &guest_ram_vm_ops ||
	    vma->vm_private_data != inc || vma->vm_pgoff ||
	    vma->vm_end - vma->vm_start != inc->ram_bytes)
		ret = -EINVAL;
	else
		ret = guest_ram_insert(inc, vma, off, len);
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Map the RAM into @vma (offset 0, the whole RAM, MAP_SHARED: checked by
 * the caller).  The mapping holds the file, so guest_ram_free() cannot
 * run while it exists.  VM_MIXEDMAP: pages may be put in it ahead of
 * faults (guest_ram_map_range()).  A passthrough domain's RAM goes in
 * whole now: VFIO is about to pin every page (512 MiB took 4.2-5.6 s,
 * a fault each, under nested TCG).
 */
int guest_ram_mmap(struct drvbox_inc *inc, struct vm_area_struct *vma)
{
	int ret;

	drvbox_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_MIXEDMAP);
	vma->vm_private_data = inc;
	vma->vm_ops = &guest_ram_vm_ops;
	if (!inc->ram_runs)
		return 0;
	ret = guest_ram_populate(inc, 0, inc->ram_bytes);
	return ret ? ret : guest_ram_insert(inc, vma, 0, inc->ram_bytes);
}
