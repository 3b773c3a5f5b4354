// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: messages, errors and the one way out of the process.
 *
 * Every message goes to stderr (nobody reads it when drvbox.ko launched us)
 * and into the console log, so that `drvbox logs` shows why a VMM gave up.
 * The first error or guest exit wins: vmm__end() reports it to drvbox.ko,
 * writes the end marker and exits; other threads die with the process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "drvbox.h"
#include "vmm.h"

struct vmm vmm;

static pthread_mutex_t end_lock = PTHREAD_MUTEX_INITIALIZER;

void console__log_line(const char *line);

static void vmm__vlog(const char *fmt, va_list ap, char *out, size_t outlen)
{
	char buf[DRVBOX_MSG_LEN * 2];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fprintf(stderr, VMM_NAME ": %s\n", buf);
	console__log_line(buf);
	if (out) {
		size_t n = strnlen(buf, outlen - 1);

		memcpy(out, buf, n);
		out[n] = '\0';
	}
}

void vmm__log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmm__vlog(fmt, ap, NULL, 0);
	va_end(ap);
}

void vmm__die_start(const char *fmt, ...)
{
	char msg[DRVBOX_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vmm__vlog(fmt, ap, msg, sizeof(msg));
	va_end(ap);
	vmm__end(DRVBOX_VMM_START_ERROR, VMM_EXIT_ERROR, msg);
}

void vmm__die_vmm(const char *fmt, ...)
{
	char msg[DRVBOX_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vmm__vlog(fmt, ap, msg, sizeof(msg));
	va_end(ap);
	vmm__end(DRVBOX_VMM_VMM_ERROR, VMM_EXIT_ERROR, msg);
}

/* kind 0: nothing to report (a requested stop). */
void vmm__end(int kind, int code, const char *reason)
{
	pthread_mutex_lock(&end_lock);	/* never unlocked: one way out */
	if (kind)
		supervisor__report(kind, reason);
	console__end_marker(reason);
	exit(code);
}

static uint64_t resident_kib(void *addr, uint64_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t pages = (len + page - 1) / page, i, n = 0;
	unsigned char *vec = malloc(pages);

	if (!vec || mincore(addr, len, vec) < 0) {
		free(vec);
		return 0;
	}
	for (i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n * (page / 1024);
}

/*
 * VmRSS counts the guest RAM that has been touched (standalone, and
 * drvbox.ko's too, which gets its pages at first touch); the VMM's own
 * cost is the rest.
 */
void vmm__report_memory(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long rss = 0;
	uint64_t guest;
	char l[128];

	while (f && fgets(l, sizeof(l), f))
		if (!strncmp(l, "VmRSS:", 6))
			rss = strtoull(l + 6, NULL, 10);
	if (f)
		fclose(f);
	guest = resident_kib(vmm.ram, vmm.ram_bytes) +
		resident_kib(vmm.shared, vmm.shared_bytes);
	fprintf(stderr, VMM_NAME ": VmRSS %llu KiB = guest memory %llu KiB + VMM %llu KiB\n",
		rss, (unsigned long long)guest,
		rss > guest ? rss - guest : 0ULL);
}

uint64_t vmm__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void *vmm__xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		vmm__die_vmm("out of memory (%zu bytes)", n);
	return p;
}

char *vmm__xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		vmm__die_vmm("out of memory");
	return p;
}

/*
 * Read @len bytes of @fd from @off into @buf, or up to its end; returns
 * the bytes read or a negative errno.
 */
ssize_t vmm__pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *b = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, b + done, len - done, off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

/* Read a whole file; returns 0 or a positive errno. */
int vmm__read_file(const char *path, uint8_t **data, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? EISDIR : errno ? errno : EINVAL;
		close(fd);
		return err;
	}
	buf = vmm__xmalloc(st.st_size);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return err;
		}
		done += n;
	}
	close(fd);
	*data = buf;
	*len = done;
	return 0;
}

/* Host pointer for guest RAM [gpa, gpa+len); NULL if not all RAM. */
void *vmm__gpa(uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa)
		return NULL;
	if (gpa + len <= vmm.ram_low)
		return vmm.ram + gpa;
	if (gpa >= GPA_4G && gpa - GPA_4G + len <= vmm.ram_bytes - vmm.ram_low)
		return vmm.ram + vmm.ram_low + (gpa - GPA_4G);
	return NULL;
}

/*
 * Keep this process's own pages in RAM.  An isolated disk may hold swap or
 * dirty pages, and the guest serving it stops whenever a vCPU thread
 * faults on a page of ours that was swapped out to that very disk.
 * MCL_ONFAULT locks pages as they are touched, nothing is populated ahead.
 *
 * Guest RAM and the shared area must be mapped while MCL_FUTURE is off:
 * mlock leaves drvbox.ko's special mappings unlocked, but mmap() under
 * MCL_FUTURE still populates every page of a mapping it could not lock,
 * which would allocate all of guest RAM (seconds under nested TCG).  So
 * supervisor__attach() turns MCL_FUTURE off around those two mmap()s.
 * A failure is logged once; the VMM runs on.
 */
void vmm__mlock(int flags)
{
	static bool said;

	if (mlockall(flags | MCL_ONFAULT) && !said) {
		said = true;
		vmm__log("mlockall: %s: this VMM's pages may be swapped out; do not put swap on this domain's disks",
			 strerror(errno));
	}
}

/*
 * Mark this process as one that I/O depends on (PR_SET_IO_FLUSHER): its
 * allocations, and the kernel's on its behalf (a vCPU's first touch of
 * guest RAM, a page table), do not start I/O to reclaim memory, and it
 * is not throttled behind dirty pages.  The disk it would wait on may be
 * the one its guest serves.  Inherited by the vCPU threads created later.
 * Needs CAP_SYS_RESOURCE; a failure is logged and the VMM runs on.
 */
void vmm__io_flusher(void)
{
	if (prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0))
		vmm__log("prctl(PR_SET_IO_FLUSHER): %s: this VMM's allocations may wait on I/O to its own domain's disks",
			 strerror(errno));
}

/* 64-bit words, then the tail; fast enough for tens of MiB under TCG. */
uint64_t vmm__hash(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* Keeps the newest @max files of @dir whose names end in @suffix. */
void vmm__prune_dir(const char *dir, const char *suffix, unsigned int max)
{
	size_t sl = strlen(suffix);
	DIR *d = opendir(dir);
	struct dirent *e;
	char oldest[512];

	if (!d)
		return;
	for (;;) {
		struct timespec old = { 0 };
		unsigned int count = 0;
		struct stat st;
		char p[512];

		rewinddir(d);
		oldest[0] = '\0';
		while ((e = readdir(d))) {
			size_t n = strlen(e->d_name);

			if (n <= sl || strcmp(e->d_name + n - sl, suffix))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			if (stat(p, &st) < 0)
				continue;
			count++;
			if (!oldest[0] || st.st_mtim.tv_sec < old.tv_sec ||
			    (st.st_mtim.tv_sec == old.tv_sec &&
			     st.st_mtim.tv_nsec < old.tv_nsec)) {
				old = st.st_mtim;
				snprintf(oldest, sizeof(oldest), "%s", p);
			}
		}
		if (count <= max || !oldest[0] || unlink(oldest) < 0)
			break;
	}
	closedir(d);
}
