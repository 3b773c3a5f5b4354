// SPDX-License-Identifier: GPL-2.0
/*
 * A domain's RAM pool: the pages an ended incarnation leaves to the next
 * one's boot image restore.
 *
 * Debian's kernels zero every page they hand out (init_on_alloc=1).
 * Restoring a boot image writes some 62 MiB into pages zeroed for it, and
 * under nested TCG the zeroing took 1.0-1.7 s of a 1.5-2.5 s restore
 * (0.4-0.6 s with init_on_alloc=0).  So the pages of an ended incarnation
 * nobody else holds go to its domain's pool instead of back to the
 * allocator, and guest_ram_load() takes them for RAM the image fills:
 * every byte of such a page is overwritten (read from the image, or
 * zeroed past its end) before the new guest can see it, so nothing the
 * old incarnation wrote survives.  Only the same domain's pages are ever
 * reused, and nothing else takes from the pool.
 *
 * The pool holds at most the domain's RAM.  It is emptied when the next
 * incarnation runs (what its restore did not take), when the domain
 * fails, and when the domain goes.  Pages are linked through page->lru:
 * they are ours alone (one reference, not on an LRU, unmapped).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/list.h>
#include <linux/mm.h>
#include <linux/spinlock.h>

#include "drvbox.h"

void ram_pool_init(struct drvbox_ram_pool *p, unsigned long max_pages)
{
	spin_lock_init(&p->lock);
	INIT_LIST_HEAD(&p->pages);
	p->nr = 0;
	p->max = max_pages;
}

/*
 * Keep @page, whose one reference the caller gives up, for the next
 * incarnation.  False if it is not ours alone or the pool is full: the
 * caller puts it.
 */
bool ram_pool_give(struct drvbox_ram_pool *p, struct page *page)
{
	bool kept = false;

	if (page_ref_count(page) != 1 || page_mapped(page))
		return false;
	spin_lock(&p->lock);
	if (p->nr < p->max) {
		list_add(&page->lru, &p->pages);
		p->nr++;
		kept = true;
	}
	spin_unlock(&p->lock);
	return kept;
}

/* A page of an earlier incarnation, to be overwritten whole; or NULL. */
struct page *ram_pool_take(struct drvbox_ram_pool *p)
{
	struct page *page;

	spin_lock(&p->lock);
	page = list_first_entry_or_null(&p->pages, struct page, lru);
	if (page) {
		list_del_init(&page->lru);
		p->nr--;
	}
	spin_unlock(&p->lock);
	return page;
}

/* Give every page back to the allocator.  Any context that may sleep. */
void ram_pool_drain(struct drvbox_ram_pool *p)
{
	struct page *page, *tmp;
	LIST_HEAD(pages);

	spin_lock(&p->lock);
	list_splice_init(&p->pages, &pages);
	p->nr = 0;
	spin_unlock(&p->lock);
	list_for_each_entry_safe(page, tmp, &pages, lru) {
		list_del_init(&page->lru);
		put_page(page);
		cond_resched();
	}
}
