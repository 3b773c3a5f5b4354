// SPDX-License-Identifier: GPL-2.0
/*
 * flaky_blk - a block driver that misbehaves on request.
 *
 * A test fixture for drvbox: an ordinary out-of-tree blk-mq driver, the kind
 * of module an operator would rather not load into the host.  One disk,
 * "flakyb0", either a RAM disk (size_mb) or a pass-through over a lower block
 * device (lower=/dev/...), with faults injected after a number of requests:
 *
 *   none    behave
 *   panic   panic()
 *   oops    write through a wild (non-canonical) pointer
 *   bug     unlink one list entry twice, which CONFIG_DEBUG_LIST with
 *           CONFIG_BUG_ON_DATA_CORRUPTION (both set in Debian's 6.1 and 6.12
 *           kernels) turns into a kernel BUG; see flaky_inject_bug()
 *   hang    spin with interrupts off, forever
 *   ioerr   complete every further request with BLK_STS_IOERR
 *   slow    delay every further completion by slow_ms
 *
 * Module parameters set the state at load; /sys/kernel/debug/flaky_blk/
 * changes it at run time.  See docs/flaky_blk.md.
 *
 * Lifetimes: there is one struct flaky_dev per loaded module, created in
 * flaky_init() and freed in flaky_exit().  The module parameters are only
 * read at load.  The fault state (fault, fault_after, the request count) is
 * written by debugfs and read by queue_rq without a lock: each field is one
 * word, read once per request; a request racing with a re-arm sees either
 * the old or the new state, which is all a fault injector needs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/blkdev.h>
#include <linux/blk-mq.h>
#include <linux/bio.h>
#include <linux/debugfs.h>
#include <linux/hrtimer.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/string.h>
#include <linux/version.h>
#include <linux/workqueue.h>
#include <linux/delay.h>
#include <linux/jiffies.h>

#define FLAKY_NAME		"flakyb0"
#define FLAKY_QUEUE_DEPTH	64
#define FLAKY_MAX_SIZE_MB	4096

enum flaky_fault {
	FLAKY_FAULT_NONE,
	FLAKY_FAULT_PANIC,
	FLAKY_FAULT_OOPS,
	FLAKY_FAULT_BUG,
	FLAKY_FAULT_HANG,
	FLAKY_FAULT_IOERR,
	FLAKY_FAULT_SLOW,
	FLAKY_FAULT_COUNT,
};

static const char * const flaky_fault_names[FLAKY_FAULT_COUNT] = {
	[FLAKY_FAULT_NONE]	= "none",
	[FLAKY_FAULT_PANIC]	= "panic",
	[FLAKY_FAULT_OOPS]	= "oops",
	[FLAKY_FAULT_BUG]	= "bug",
	[FLAKY_FAULT_HANG]	= "hang",
	[FLAKY_FAULT_IOERR]	= "ioerr",
	[FLAKY_FAULT_SLOW]	= "slow",
};

/* ===================== module parameters (read at load) ===================== */

static unsigned int g_size_mb = 64;
module_param_named(size_mb, g_size_mb, uint, 0444);
MODULE_PARM_DESC(size_mb, "RAM disk size in MiB, 1-4096 (default: 64; ignored with lower=)");

static char *g_lower;
module_param_named(lower, g_lower, charp, 0444);
MODULE_PARM_DESC(lower, "Pass I/O through to this block device instead of RAM (default: none, RAM disk)");

static unsigned int g_lower_wait_ms;
module_param_named(lower_wait_ms, g_lower_wait_ms, uint, 0444);
MODULE_PARM_DESC(lower_wait_ms, "Wait up to this many ms for the lower device to appear, e.g. a disk whose driver probes asynchronously (default: 0)");

static bool g_ro;
module_param_named(ro, g_ro, bool, 0444);
MODULE_PARM_DESC(ro, "Make the disk read-only (default: no)");

static int g_fault = FLAKY_FAULT_NONE;

static int flaky_fault_param_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(flaky_fault_names, val);

	if (i < 0)
		return -EINVAL;
	*(int *)kp->arg = i;
	return 0;
}

static int flaky_fault_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", flaky_fault_names[*(int *)kp->arg]);
}

static const struct kernel_param_ops flaky_fault_param_ops = {
	.set = flaky_fault_param_set,
	.get = flaky_fault_param_get,
};
module_param_cb(fault, &flaky_fault_param_ops, &g_fault, 0444);
MODULE_PARM_DESC(fault, "Fault to inject: none|panic|oops|bug|hang|ioerr|slow (default: none)");

static unsigned long long g_fault_after;
module_param_named(fault_after, g_fault_after, ullong, 0444);
MODULE_PARM_DESC(fault_after, "Requests served normally before the fault fires, counted from when the disk is live (default: 0)");

static unsigned int g_slow_ms = 100;
module_param_named(slow_ms, g_slow_ms, uint, 0444);
MODULE_PARM_DESC(slow_ms, "Completion delay of the slow fault in ms (default: 100)");

/* ============================== the device ============================== */

enum flaky_stat {
	FLAKY_STAT_READS,
	FLAKY_STAT_WRITES,
	FLAKY_STAT_FLUSHES,
	FLAKY_STAT_FUA,
	FLAKY_STAT_DISCARDS,
	FLAKY_STAT_WRITE_ZEROES,
	FLAKY_STAT_ERRORS,
	FLAKY_STAT_INJECTED,
	FLAKY_STAT_COUNT,
};

static const char * const flaky_stat_names[FLAKY_STAT_COUNT] = {
	[FLAKY_STAT_READS]		= "reads",
	[FLAKY_STAT_WRITES]		= "writes",
	[FLAKY_STAT_FLUSHES]		= "flushes",
	[FLAKY_STAT_FUA]		= "fua",
	[FLAKY_STAT_DISCARDS]		= "discards",
	[FLAKY_STAT_WRITE_ZEROES]	= "write_zeroes",
	[FLAKY_STAT_ERRORS]		= "errors",
	[FLAKY_STAT_INJECTED]		= "injected",
};

struct flaky_lower {
	struct block_device *bdev;
	void *handle;		/* what the compat close needs back */
};

struct flaky_dev {
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	sector_t capacity;

	u8 *ram;			/* RAM mode: capacity << 9 bytes */
	struct flaky_lower lower;	/* lower mode: the claimed bdev */
	struct bio_set bioset;		/* lower mode: clones */
	struct workqueue_struct *wq;	/* lower mode: submits the clones */

	/* Fault state; see the comment at the top of the file. */
	int fault;
	u64 fault_after;
	u32 slow_ms;
	bool live;			/* count requests only once the disk is added */
	atomic64_t requests;		/* since the disk went live or the last re-arm */
	atomic_t fired;			/* the pr_info for this arming was written */
	atomic64_t stats[FLAKY_STAT_COUNT];

	/* Two entries for the bug fault; only touched by flaky_inject_bug(). */
	struct list_head bug_list;
	struct list_head bug_entry;

	struct dentry *debugfs;
};

/* Per-request data (blk-mq pdu). */
struct flaky_cmd {
	struct hrtimer timer;	/* slow fault: delayed completion */
	struct work_struct work; /* lower mode: clone and submit */
	blk_status_t status;
	bool slow;
	atomic_t pending;	/* lower mode: clones in flight, plus one bias */
	blk_status_t lower_status;
};

/* ================== compat: 6.1 vs 6.12 block layer APIs ================== */

/* What flaky_blk wants of its queue; applied by flaky_alloc_disk(). */
struct flaky_limits {
	unsigned int logical_block_size;
	unsigned int physical_block_size;
	unsigned int max_hw_sectors;
	unsigned int max_discard_sectors;
	unsigned int discard_granularity;
	unsigned int max_write_zeroes_sectors;
	bool write_cache;
	bool fua;
};

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
static struct gendisk *flaky_alloc_disk(struct flaky_dev *dev,
					const struct flaky_limits *fl)
{
	struct queue_limits lim = {
		.logical_block_size	= fl->logical_block_size,
		.physical_block_size	= fl->physical_block_size,
		.max_hw_sectors		= fl->max_hw_sectors,
		.max_hw_discard_sectors	= fl->max_discard_sectors,
		.discard_granularity	= fl->discard_granularity,
		.max_write_zeroes_sectors = fl->max_write_zeroes_sectors,
	};

	if (fl->write_cache)
		lim.features |= BLK_FEAT_WRITE_CACHE;
	if (fl->fua)
		lim.features |= BLK_FEAT_FUA;
	return blk_mq_alloc_disk(&dev->tag_set, &lim, dev);
}

static int flaky_lower_open(struct flaky_lower *lower, const char *path,
			    void *holder)
{
	struct file *file;

	file = bdev_file_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
				      holder, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	lower->handle = file;
	lower->bdev = file_bdev(file);
	return 0;
}

static void flaky_lower_close(struct flaky_lower *lower, void *holder)
{
	fput(lower->handle);
}
#else
static struct gendisk *flaky_alloc_disk(struct flaky_dev *dev,
					const struct flaky_limits *fl)
{
	struct gendisk *disk;
	struct request_queue *q;

	disk = blk_mq_alloc_disk(&dev->tag_set, dev);
	if (IS_ERR(disk))
		return disk;
	q = disk->queue;
	blk_queue_logical_block_size(q, fl->logical_block_size);
	blk_queue_physical_block_size(q, fl->physical_block_size);
	blk_queue_max_hw_sectors(q, fl->max_hw_sectors);
	blk_queue_max_discard_sectors(q, fl->max_discard_sectors);
	q->limits.discard_granularity = fl->discard_granularity;
	blk_queue_max_write_zeroes_sectors(q, fl->max_write_zeroes_sectors);
	blk_queue_write_cache(q, fl->write_cache, fl->fua);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	return disk;
}

#define FLAKY_LOWER_MODE (FMODE_READ | FMODE_WRITE | FMODE_EXCL)

static int flaky_lower_open(struct flaky_lower *lower, const char *path,
			    void *holder)
{
	struct block_device *bdev;

	bdev = blkdev_get_by_path(path, FLAKY_LOWER_MODE, holder);
	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	lower->handle = NULL;
	lower->bdev = bdev;
	return 0;
}

static void flaky_lower_close(struct flaky_lower *lower, void *holder)
{
	blkdev_put(lower->bdev, FLAKY_LOWER_MODE);
}
#endif

/* ============================ fault injection ============================ */

/*
 * The bug fault: a double release.  A real kfree() twice is only caught by
 * SLAB_FREELIST_HARDENED's naive check while the object is still the head
 * of this CPU's freelist (an interrupt allocating from the same cache in
 * between hides it) and KFENCE-sampled objects are reported without a BUG,
 * so it is not reliable.  Unlinking the same list entry twice is: the first
 * list_del() poisons the entry and the second finds LIST_POISON1, which
 * CONFIG_DEBUG_LIST reports and CONFIG_BUG_ON_DATA_CORRUPTION makes a BUG.
 * On a kernel without those options the BUG() below does the same job.
 */
static void flaky_inject_bug(struct flaky_dev *dev)
{
	list_add(&dev->bug_entry, &dev->bug_list);
	list_del(&dev->bug_entry);
	list_del(&dev->bug_entry);
	BUG();
}

/*
 * The oops fault: a store through a pointer nothing maps.  The address is
 * hidden from the compiler so the store is really emitted.
 */
static void flaky_inject_oops(void)
{
	unsigned long addr = 0xdead00000000beefUL;	/* non-canonical: #GP */
	unsigned long *wild;

	OPTIMIZER_HIDE_VAR(addr);
	wild = (unsigned long *)addr;
	WRITE_ONCE(*wild, 0x666);
}

static void __noreturn flaky_inject_hang(void)
{
	local_irq_disable();
	for (;;)
		cpu_relax();
}

/*
 * Count a request and return the fault it gets: FLAKY_FAULT_NONE, ioerr or
 * slow.  The crashing faults do not return.
 */
static int flaky_fault_check(struct flaky_dev *dev)
{
	int fault = READ_ONCE(dev->fault);
	u64 after = READ_ONCE(dev->fault_after);
	u64 nr;

	if (!READ_ONCE(dev->live))
		return FLAKY_FAULT_NONE;
	nr = atomic64_inc_return(&dev->requests);
	if (fault == FLAKY_FAULT_NONE || nr <= after)
		return FLAKY_FAULT_NONE;

	atomic64_inc(&dev->stats[FLAKY_STAT_INJECTED]);
	if (!atomic_xchg(&dev->fired, 1))
		pr_info("injecting %s after %llu requests\n",
			flaky_fault_names[fault], after);

	switch (fault) {
	case FLAKY_FAULT_PANIC:
		panic(KBUILD_MODNAME ": injected panic after %llu requests\n",
		      after);
	case FLAKY_FAULT_OOPS:
		flaky_inject_oops();
		break;
	case FLAKY_FAULT_BUG:
		flaky_inject_bug(dev);
		break;
	case FLAKY_FAULT_HANG:
		flaky_inject_hang();
	default:
		break;
	}
	return fault;
}

/* Re-arm: the fault fires after fault_after more requests. */
static void flaky_fault_arm(struct flaky_dev *dev, int fault)
{
	WRITE_ONCE(dev->fault, fault);
	atomic64_set(&dev->requests, 0);
	atomic_set(&dev->fired, 0);
}

/* ============================== completion ============================== */

static enum hrtimer_restart flaky_slow_timer_fn(struct hrtimer *timer)
{
	struct flaky_cmd *cmd = container_of(timer, struct flaky_cmd, timer);

	blk_mq_end_request(blk_mq_rq_from_pdu(cmd), cmd->status);
	return HRTIMER_NORESTART;
}

static void flaky_complete(struct flaky_dev *dev, struct request *rq,
			   blk_status_t status)
{
	struct flaky_cmd *cmd = blk_mq_rq_to_pdu(rq);

	if (status != BLK_STS_OK)
		atomic64_inc(&dev->stats[FLAKY_STAT_ERRORS]);
	if (cmd->slow) {
		cmd->status = status;
		hrtimer_start(&cmd->timer, ms_to_ktime(READ_ONCE(dev->slow_ms)),
			      HRTIMER_MODE_REL);
		return;
	}
	blk_mq_end_request(rq, status);
}

/* ================================ RAM mode ================================ */

static blk_status_t flaky_ram_rq(struct flaky_dev *dev, struct request *rq)
{
	sector_t sector = blk_rq_pos(rq);
	unsigned int bytes = blk_rq_bytes(rq);
	struct req_iterator iter;
	struct bio_vec bvec;
	u8 *pos;

	/* A flush has no position (its sector is -1 on some kernels). */
	if (req_op(rq) == REQ_OP_FLUSH)
		return BLK_STS_OK;	/* RAM: nothing is cached */
	if (sector > dev->capacity ||
	    (bytes >> SECTOR_SHIFT) > dev->capacity - sector)
		return BLK_STS_IOERR;
	pos = dev->ram + ((size_t)sector << SECTOR_SHIFT);

	switch (req_op(rq)) {
	case REQ_OP_READ:
		rq_for_each_segment(bvec, rq, iter) {
			memcpy_to_bvec(&bvec, pos);
			pos += bvec.bv_len;
		}
		return BLK_STS_OK;
	case REQ_OP_WRITE:
		rq_for_each_segment(bvec, rq, iter) {
			memcpy_from_bvec(pos, &bvec);
			pos += bvec.bv_len;
		}
		return BLK_STS_OK;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		memset(pos, 0, bytes);	/* discarded sectors read back as zeroes */
		return BLK_STS_OK;
	default:
		return BLK_STS_NOTSUPP;
	}
}

/* ============================== lower mode ============================== */

static void flaky_lower_put(struct request *rq)
{
	struct flaky_cmd *cmd = blk_mq_rq_to_pdu(rq);

	if (atomic_dec_and_test(&cmd->pending))
		flaky_complete(rq->q->queuedata, rq, cmd->lower_status);
}

static void flaky_lower_end_io(struct bio *clone)
{
	struct request *rq = clone->bi_private;
	struct flaky_cmd *cmd = blk_mq_rq_to_pdu(rq);

	if (clone->bi_status)
		cmd->lower_status = clone->bi_status;
	bio_put(clone);
	flaky_lower_put(rq);
}

/*
 * Clone each bio of the request onto the lower device (the clones share the
 * original's pages) and complete the request when the last clone ends.  A
 * flush request carries no bio: it becomes an empty preflush.
 *
 * This runs from dev->wq, not from queue_rq: queue_rq may be called while
 * the submitter's plug is being flushed, and a bio submitted there would be
 * added to the very plug list being walked.  The worker has no plug and no
 * current->bio_list of its own, so GFP_NOIO may wait on the bioset's pool.
 */
static void flaky_lower_work(struct work_struct *work)
{
	struct flaky_cmd *cmd = container_of(work, struct flaky_cmd, work);
	struct request *rq = blk_mq_rq_from_pdu(cmd);
	struct flaky_dev *dev = rq->q->queuedata;
	struct block_device *lower = dev->lower.bdev;
	struct bio *bio, *clone;
	struct blk_plug plug;

	atomic_set(&cmd->pending, 1);
	cmd->lower_status = BLK_STS_OK;
	blk_start_plug(&plug);

	if (req_op(rq) == REQ_OP_FLUSH) {
		clone = bio_alloc_bioset(lower, 0, REQ_OP_WRITE | REQ_PREFLUSH,
					 GFP_NOIO, &dev->bioset);
		clone->bi_end_io = flaky_lower_end_io;
		clone->bi_private = rq;
		atomic_inc(&cmd->pending);
		submit_bio(clone);
	}

	__rq_for_each_bio(bio, rq) {
		clone = bio_alloc_clone(lower, bio, GFP_NOIO, &dev->bioset);
		if (!clone) {
			cmd->lower_status = BLK_STS_RESOURCE;
			break;
		}
		/* The flush machinery already sent the preflush on its own. */
		clone->bi_opf &= ~(REQ_PREFLUSH | REQ_FUA);
		clone->bi_opf |= rq->cmd_flags & REQ_FUA;
		clone->bi_end_io = flaky_lower_end_io;
		clone->bi_private = rq;
		atomic_inc(&cmd->pending);
		submit_bio(clone);
	}
	blk_finish_plug(&plug);
	flaky_lower_put(rq);
}

/* ================================ blk-mq ================================ */

static void flaky_count(struct flaky_dev *dev, struct request *rq)
{
	int stat;

	switch (req_op(rq)) {
	case REQ_OP_READ:
		stat = FLAKY_STAT_READS;
		break;
	case REQ_OP_WRITE:
		stat = FLAKY_STAT_WRITES;
		break;
	case REQ_OP_FLUSH:
		stat = FLAKY_STAT_FLUSHES;
		break;
	case REQ_OP_DISCARD:
		stat = FLAKY_STAT_DISCARDS;
		break;
	case REQ_OP_WRITE_ZEROES:
		stat = FLAKY_STAT_WRITE_ZEROES;
		break;
	default:
		return;
	}
	atomic64_inc(&dev->stats[stat]);
	if (rq->cmd_flags & REQ_FUA)
		atomic64_inc(&dev->stats[FLAKY_STAT_FUA]);
}

static blk_status_t flaky_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct flaky_dev *dev = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	struct flaky_cmd *cmd = blk_mq_rq_to_pdu(rq);
	int fault;

	blk_mq_start_request(rq);
	flaky_count(dev, rq);
	fault = flaky_fault_check(dev);
	cmd->slow = fault == FLAKY_FAULT_SLOW;
	if (fault == FLAKY_FAULT_IOERR) {
		flaky_complete(dev, rq, BLK_STS_IOERR);
		return BLK_STS_OK;
	}
	if (dev->lower.bdev) {
		queue_work(dev->wq, &cmd->work);
		return BLK_STS_OK;
	}
	flaky_complete(dev, rq, flaky_ram_rq(dev, rq));
	return BLK_STS_OK;
}

/*
 * Every request completes on its own (RAM at once, slow after slow_ms, lower
 * when the lower device answers), so a timeout only means "not yet".
 */
static enum blk_eh_timer_return flaky_timeout(struct request *rq)
{
	return BLK_EH_RESET_TIMER;
}

static int flaky_init_request(struct blk_mq_tag_set *set, struct request *rq,
			      unsigned int hctx_idx, unsigned int numa_node)
{
	struct flaky_cmd *cmd = blk_mq_rq_to_pdu(rq);

	hrtimer_init(&cmd->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	cmd->timer.function = flaky_slow_timer_fn;
	INIT_WORK(&cmd->work, flaky_lower_work);
	return 0;
}

static const struct blk_mq_ops flaky_mq_ops = {
	.queue_rq	= flaky_queue_rq,
	.timeout	= flaky_timeout,
	.init_request	= flaky_init_request,
};

/* ================================ debugfs ================================ */

static ssize_t flaky_fault_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct flaky_dev *dev = file->private_data;
	char buf[16];
	int len;

	len = scnprintf(buf, sizeof(buf), "%s\n",
			flaky_fault_names[READ_ONCE(dev->fault)]);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

/* Writing a fault name (re-)arms it: it fires after fault_after requests. */
static ssize_t flaky_fault_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct flaky_dev *dev = file->private_data;
	char buf[16] = {};
	int fault;

	if (*ppos || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	fault = sysfs_match_string(flaky_fault_names, buf);
	if (fault < 0)
		return -EINVAL;
	flaky_fault_arm(dev, fault);
	return count;
}

static const struct file_operations flaky_fault_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= flaky_fault_read,
	.write	= flaky_fault_write,
	.llseek	= default_llseek,
};

static int flaky_stats_show(struct seq_file *m, void *unused)
{
	struct flaky_dev *dev = m->private;
	int i;

	seq_printf(m, "requests %lld\n", atomic64_read(&dev->requests));
	for (i = 0; i < FLAKY_STAT_COUNT; i++)
		seq_printf(m, "%s %lld\n", flaky_stat_names[i],
			   atomic64_read(&dev->stats[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(flaky_stats);

static void flaky_debugfs_init(struct flaky_dev *dev)
{
	struct dentry *dir = debugfs_create_dir(KBUILD_MODNAME, NULL);

	dev->debugfs = dir;
	debugfs_create_file("fault", 0600, dir, dev, &flaky_fault_fops);
	debugfs_create_u64("fault_after", 0600, dir, &dev->fault_after);
	debugfs_create_u32("slow_ms", 0600, dir, &dev->slow_ms);
	debugfs_create_file("stats", 0400, dir, dev, &flaky_stats_fops);
}

/* =============================== load/unload =============================== */

static struct flaky_dev *flaky_dev;

static const struct block_device_operations flaky_fops = {
	.owner	= THIS_MODULE,
};

static int flaky_limits_ram(struct flaky_dev *dev, struct flaky_limits *fl)
{
	if (!g_size_mb || g_size_mb > FLAKY_MAX_SIZE_MB) {
		pr_err("size_mb=%u: must be 1-%u\n", g_size_mb,
		       FLAKY_MAX_SIZE_MB);
		return -EINVAL;
	}
	dev->capacity = (sector_t)g_size_mb << (20 - SECTOR_SHIFT);
	dev->ram = vzalloc((size_t)g_size_mb << 20);
	if (!dev->ram) {
		pr_err("cannot allocate %u MiB of RAM disk\n", g_size_mb);
		return -ENOMEM;
	}
	*fl = (struct flaky_limits) {
		.logical_block_size	= 512,
		.physical_block_size	= PAGE_SIZE,
		.max_hw_sectors		= 1024,
		.max_discard_sectors	= UINT_MAX >> SECTOR_SHIFT,
		.discard_granularity	= PAGE_SIZE,
		.max_write_zeroes_sectors = UINT_MAX >> SECTOR_SHIFT,
		.write_cache		= true,
		.fua			= true,
	};
	return 0;
}

/*
 * Open the lower device, waiting up to lower_wait_ms for it to appear (a
 * disk whose driver was loaded just before and scans asynchronously, as
 * nvme does).
 */
static int flaky_lower_wait_open(struct flaky_dev *dev)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(g_lower_wait_ms);
	int ret;

	for (;;) {
		ret = flaky_lower_open(&dev->lower, g_lower, dev);
		if (ret != -ENOENT && ret != -ENXIO && ret != -ENODEV)
			return ret;
		if (time_after(jiffies, deadline))
			return ret;
		msleep(100);
	}
}

/* Lower mode offers what the lower device offers, no more. */
static int flaky_limits_lower(struct flaky_dev *dev, struct flaky_limits *fl)
{
	struct block_device *lower;
	int ret;

	/* In the I/O path, so it must make progress under memory pressure. */
	dev->wq = alloc_workqueue(KBUILD_MODNAME, WQ_MEM_RECLAIM | WQ_HIGHPRI, 0);
	if (!dev->wq)
		return -ENOMEM;
	ret = bioset_init(&dev->bioset, BIO_POOL_SIZE, 0, 0);
	if (ret)
		goto err_destroy_wq;
	ret = flaky_lower_wait_open(dev);
	if (ret) {
		pr_err("cannot open lower device %s: error %d\n", g_lower, ret);
		goto err_bioset_exit;
	}
	lower = dev->lower.bdev;
	dev->capacity = bdev_nr_sectors(lower);
	*fl = (struct flaky_limits) {
		.logical_block_size	= bdev_logical_block_size(lower),
		.physical_block_size	= bdev_physical_block_size(lower),
		.max_hw_sectors		= 1024,
		.max_discard_sectors	= bdev_max_discard_sectors(lower),
		.discard_granularity	= bdev_discard_granularity(lower),
		.max_write_zeroes_sectors = bdev_write_zeroes_sectors(lower),
		.write_cache		= bdev_write_cache(lower),
		.fua			= bdev_fua(lower),
	};
	return 0;

err_bioset_exit:
	bioset_exit(&dev->bioset);
err_destroy_wq:
	destroy_workqueue(dev->wq);
	return ret;
}

static void flaky_backing_free(struct flaky_dev *dev)
{
	if (dev->lower.bdev) {
		flaky_lower_close(&dev->lower, dev);
		bioset_exit(&dev->bioset);
		destroy_workqueue(dev->wq);
	}
	vfree(dev->ram);
}

static int __init flaky_init(void)
{
	struct flaky_limits fl;
	struct flaky_dev *dev;
	struct gendisk *disk;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->fault = g_fault;
	dev->fault_after = g_fault_after;
	dev->slow_ms = g_slow_ms;
	INIT_LIST_HEAD(&dev->bug_list);

	if (g_lower && *g_lower)
		ret = flaky_limits_lower(dev, &fl);
	else
		ret = flaky_limits_ram(dev, &fl);
	if (ret)
		goto err_free_dev;

	dev->tag_set.ops = &flaky_mq_ops;
	dev->tag_set.nr_hw_queues = 1;
	dev->tag_set.queue_depth = FLAKY_QUEUE_DEPTH;
	dev->tag_set.numa_node = NUMA_NO_NODE;
	dev->tag_set.cmd_size = sizeof(struct flaky_cmd);
	dev->tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	dev->tag_set.driver_data = dev;
	ret = blk_mq_alloc_tag_set(&dev->tag_set);
	if (ret)
		goto err_free_backing;

	disk = flaky_alloc_disk(dev, &fl);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto err_free_tag_set;
	}
	dev->disk = disk;
	strscpy(disk->disk_name, FLAKY_NAME, sizeof(disk->disk_name));
	disk->fops = &flaky_fops;
	disk->private_data = dev;
	set_capacity(disk, dev->capacity);
	set_disk_ro(disk, g_ro);

	ret = add_disk(disk);
	if (ret)
		goto err_put_disk;
	/* The partition scan inside add_disk() is not counted. */
	WRITE_ONCE(dev->live, true);

	flaky_debugfs_init(dev);
	flaky_dev = dev;
	pr_info("%s: %s, %llu sectors, fault %s after %llu requests, slow_ms %u\n",
		FLAKY_NAME, dev->lower.bdev ? g_lower : "RAM",
		(unsigned long long)dev->capacity, flaky_fault_names[dev->fault],
		dev->fault_after, dev->slow_ms);
	return 0;

err_put_disk:
	put_disk(disk);
err_free_tag_set:
	blk_mq_free_tag_set(&dev->tag_set);
err_free_backing:
	flaky_backing_free(dev);
err_free_dev:
	kfree(dev);
	return ret;
}

static void __exit flaky_exit(void)
{
	struct flaky_dev *dev = flaky_dev;

	debugfs_remove_recursive(dev->debugfs);
	del_gendisk(dev->disk);		/* waits for requests, slow ones too */
	put_disk(dev->disk);
	blk_mq_free_tag_set(&dev->tag_set);
	flaky_backing_free(dev);
	kfree(dev);
}

module_init(flaky_init);
module_exit(flaky_exit);

MODULE_DESCRIPTION("drvbox test fixture: a blk-mq RAM or pass-through disk with fault injection");
MODULE_AUTHOR("drvbox");
MODULE_LICENSE("GPL");
