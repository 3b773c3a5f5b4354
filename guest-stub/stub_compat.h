/* SPDX-License-Identifier: GPL-2.0 */
/*
 * drvbox_stub: the one place for kernel version differences (6.1 vs 6.12).
 */
#ifndef DRVBOX_STUB_COMPAT_H
#define DRVBOX_STUB_COMPAT_H

#include <linux/blkdev.h>
#include <linux/console.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/timer.h>
#include <linux/version.h>

/* timer_delete_sync() replaced del_timer_sync() in 6.2. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define timer_delete_sync(t)	del_timer_sync(t)
#endif

/* Walking the console list: console_list_lock() since 6.2. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define stub_console_list_lock()	console_lock()
#define stub_console_list_unlock()	console_unlock()
#else
#define stub_console_list_lock()	console_list_lock()
#define stub_console_list_unlock()	console_list_unlock()
#endif

/* from_timer() became timer_container_of() in 6.16. */
#ifndef from_timer
#define from_timer(var, timer, field)	timer_container_of(var, timer, field)
#endif

/*
 * Opening a block device exclusively by path.  6.1: blkdev_get_by_path()
 * with FMODE_EXCL and a holder, blkdev_put() with the same mode.  Since
 * 6.9: bdev_file_open_by_path() (a non-NULL holder makes it exclusive)
 * returns a file; bdev_fput() gives the claim back at once.  The 6.5-6.8
 * interfaces in between are not supported.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
struct stub_bdev {
	struct block_device *bdev;
	fmode_t mode;
};

static inline int stub_bdev_open(struct stub_bdev *sb, const char *path,
				 bool write, void *holder)
{
	fmode_t mode = FMODE_READ | FMODE_EXCL | (write ? FMODE_WRITE : 0);
	struct block_device *bdev = blkdev_get_by_path(path, mode, holder);

	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	sb->bdev = bdev;
	sb->mode = mode;
	return 0;
}

static inline void stub_bdev_close(struct stub_bdev *sb)
{
	blkdev_put(sb->bdev, sb->mode);
}
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
struct stub_bdev {
	struct block_device *bdev;
	struct file *file;
};

static inline int stub_bdev_open(struct stub_bdev *sb, const char *path,
				 bool write, void *holder)
{
	blk_mode_t mode = BLK_OPEN_READ | (write ? BLK_OPEN_WRITE : 0);
	struct file *file = bdev_file_open_by_path(path, mode, holder, NULL);

	if (IS_ERR(file))
		return PTR_ERR(file);
	sb->file = file;
	sb->bdev = file_bdev(file);
	return 0;
}

static inline void stub_bdev_close(struct stub_bdev *sb)
{
	bdev_fput(sb->file);
}
#else
#error "drvbox_stub: block device open for kernels 6.5-6.8 is not written"
#endif

#endif /* DRVBOX_STUB_COMPAT_H */
