// SPDX-License-Identifier: GPL-2.0
/*
 * The domain and VMM ioctls of /dev/drvbox: every bad input gets its exact
 * errno.  Run by selftests/tests/kmod_ioctl.sh with drvbox.ko loaded with
 * vmm_path=fake_vmm and the fake VMM in mode "no-attach", so that this
 * program can attach to the domain's incarnation itself.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "drvbox.h"
#include "drvbox_guest.h"
#include "tap.h"

#define DOM	"ioctl-test"

static int fd;
static char spec[] = "kernel=/boot/vmlinuz-x\0module=m.ko";

static void base_create(struct drvbox_create *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->mem_mib = 128;
	c->vcpus = 1;
	c->spec_ptr = (uintptr_t)spec;
	c->spec_len = sizeof(spec);
}

static int create_spec(const char *s, size_t len)
{
	struct drvbox_create c;

	base_create(&c, "bad-spec");
	c.spec_ptr = (uintptr_t)s;
	c.spec_len = len;
	return ioctl(fd, DRVBOX_CREATE, &c);
}

static void test_create(void)
{
	static char big[DRVBOX_SPEC_MAX + 1];
	struct drvbox_create c;

#define BAD_CREATE(name, stmt) do {					\
		base_create(&c, "bad");					\
		stmt;							\
		TAP_EXPECT_ERRNO(name, ioctl(fd, DRVBOX_CREATE, &c), EINVAL); \
	} while (0)
	BAD_CREATE("create_name_empty", c.name[0] = 0);
	BAD_CREATE("create_name_slash", strcpy(c.name, "a/b"));
	BAD_CREATE("create_name_dash_first", strcpy(c.name, "-ab"));
	BAD_CREATE("create_name_space", strcpy(c.name, "a b"));
	BAD_CREATE("create_name_no_nul", memset(c.name, 'a', sizeof(c.name)));
	BAD_CREATE("create_mem_low", c.mem_mib = DRVBOX_MIN_MEM_MIB - 1);
	BAD_CREATE("create_mem_high", c.mem_mib = DRVBOX_MAX_MEM_MIB + 1);
	BAD_CREATE("create_vcpus_0", c.vcpus = 0);
	BAD_CREATE("create_vcpus_high", c.vcpus = DRVBOX_MAX_VCPUS + 1);
	BAD_CREATE("create_flags_unknown", c.flags = 2);
	BAD_CREATE("create_reserved", c.reserved[3] = 1);
	BAD_CREATE("create_spec_len_0", c.spec_len = 0);
	BAD_CREATE("create_spec_len_big", (c.spec_ptr = (uintptr_t)big,
					    c.spec_len = sizeof(big)));
#undef BAD_CREATE
	TAP_EXPECT_ERRNO("spec_no_final_nul", create_spec("kernel=/k", 9), EINVAL);
	TAP_EXPECT_ERRNO("spec_empty_entry", create_spec("kernel=/k\0\0", 11), EINVAL);
	TAP_EXPECT_ERRNO("spec_unknown_key", create_spec("kernel=/k\0foo=1", 16), EINVAL);
	TAP_EXPECT_ERRNO("spec_no_kernel", create_spec("module=m.ko", 12), EINVAL);
	TAP_EXPECT_ERRNO("spec_two_kernels", create_spec("kernel=/a\0kernel=/b", 20), EINVAL);
	TAP_EXPECT_ERRNO("spec_empty_value", create_spec("kernel=", 8), EINVAL);
	TAP_EXPECT_ERRNO("spec_unprintable", create_spec("kernel=/k\tx", 12), EINVAL);
	TAP_EXPECT_ERRNO("spec_export_too_long",
			 create_spec("kernel=/k\0export=blk:0123456789012345678901234567890123456789012345", 69),
			 EINVAL);

	base_create(&c, "bad-ptr");
	c.spec_ptr = 16;
	TAP_EXPECT_ERRNO("create_spec_bad_pointer", ioctl(fd, DRVBOX_CREATE, &c), EFAULT);
	TAP_EXPECT_ERRNO("create_bad_pointer", ioctl(fd, DRVBOX_CREATE, (void *)16), EFAULT);

	base_create(&c, DOM);
	tap_result(ioctl(fd, DRVBOX_CREATE, &c) == 0, "create_ok", "create: %s",
		   strerror(errno));
	TAP_EXPECT_ERRNO("create_duplicate", ioctl(fd, DRVBOX_CREATE, &c), EEXIST);
}

static void test_refs(void)
{
	struct drvbox_domain_ref r;
	struct drvbox_domain_status st;
	struct drvbox_crash cr;
	struct drvbox_list l;
	char names[1][DRVBOX_NAME_LEN];

	memset(&r, 0, sizeof(r));
	strcpy(r.name, "no-such-domain");
	TAP_EXPECT_ERRNO("destroy_unknown", ioctl(fd, DRVBOX_DESTROY, &r), ENOENT);
	TAP_EXPECT_ERRNO("restart_unknown", ioctl(fd, DRVBOX_RESTART, &r), ENOENT);
	strcpy(r.name, DOM);
	r.flags = 1;
	TAP_EXPECT_ERRNO("destroy_flags", ioctl(fd, DRVBOX_DESTROY, &r), EINVAL);
	r.flags = 0;
	r.padding = 1;
	TAP_EXPECT_ERRNO("restart_padding", ioctl(fd, DRVBOX_RESTART, &r), EINVAL);
	r.padding = 0;
	r.flags = DRVBOX_RESTART_F_GRACEFUL;
	TAP_EXPECT_ERRNO("destroy_graceful", ioctl(fd, DRVBOX_DESTROY, &r), EINVAL);
	r.flags = DRVBOX_RESTART_F_ALL + 1;
	TAP_EXPECT_ERRNO("restart_unknown_flag", ioctl(fd, DRVBOX_RESTART, &r), EINVAL);
	r.flags = 0;
	r.reserved[1] = 1;
	TAP_EXPECT_ERRNO("destroy_reserved", ioctl(fd, DRVBOX_DESTROY, &r), EINVAL);

	memset(&st, 0, sizeof(st));
	strcpy(st.name, "no-such-domain");
	TAP_EXPECT_ERRNO("status_unknown", ioctl(fd, DRVBOX_DOMAIN_STATUS, &st), ENOENT);
	strcpy(st.name, DOM);
	st.reserved[6] = 1;
	TAP_EXPECT_ERRNO("status_reserved", ioctl(fd, DRVBOX_DOMAIN_STATUS, &st), EINVAL);
	st.reserved[6] = 0;
	strcpy(st.name, "a\x01");
	TAP_EXPECT_ERRNO("status_bad_name", ioctl(fd, DRVBOX_DOMAIN_STATUS, &st), EINVAL);

	memset(&cr, 0, sizeof(cr));
	strcpy(cr.name, DOM);
	TAP_EXPECT_ERRNO("crash_how_0", ioctl(fd, DRVBOX_CRASH, &cr), EINVAL);
	cr.how = 5;
	TAP_EXPECT_ERRNO("crash_how_5", ioctl(fd, DRVBOX_CRASH, &cr), EINVAL);
	cr.how = DRVBOX_CRASH_PANIC;
	cr.flags = 1;
	TAP_EXPECT_ERRNO("crash_flags", ioctl(fd, DRVBOX_CRASH, &cr), EINVAL);
	cr.flags = 0;
	TAP_EXPECT_ERRNO("crash_not_running", ioctl(fd, DRVBOX_CRASH, &cr), EAGAIN);
	strcpy(cr.name, "no-such-domain");
	TAP_EXPECT_ERRNO("crash_unknown", ioctl(fd, DRVBOX_CRASH, &cr), ENOENT);

	memset(&l, 0, sizeof(l));
	l.padding = 1;
	TAP_EXPECT_ERRNO("list_padding", ioctl(fd, DRVBOX_LIST, &l), EINVAL);
	l.padding = 0;
	l.count = 1;
	l.names_ptr = 16;
	TAP_EXPECT_ERRNO("list_bad_pointer", ioctl(fd, DRVBOX_LIST, &l), EFAULT);
	l.names_ptr = (uintptr_t)names;
	tap_result(ioctl(fd, DRVBOX_LIST, &l) == 0 && l.count >= 1 &&
		   !strcmp(names[0], DOM), "list_one",
		   "expected count >= 1 and %s first, got count %u name %.32s",
		   DOM, l.count, names[0]);
}

/* DRVBOX_UPGRADE of DOM (never RUNNING here) with the spec @spec (@len). */
static int upgrade(const char *name, const void *spec, unsigned int len)
{
	struct drvbox_upgrade u;

	memset(&u, 0, sizeof(u));
	strcpy(u.name, name);
	u.spec_len = len;
	u.spec_ptr = (uintptr_t)spec;
	return ioctl(fd, DRVBOX_UPGRADE, &u);
}

static void test_upgrade(void)
{
	static const char good[] = "module=e1000e\0param=e1000e.IntMode=1";
	static const char no_module[] = "param=e1000e.IntMode=1";
	static const char kernel[] = "module=e1000e\0kernel=/boot/vmlinuz";
	static const char export[] = "module=e1000e\0export=net:eth0";
	static const char unknown[] = "module=e1000e\0colour=blue";
	struct drvbox_upgrade u;

	TAP_EXPECT_ERRNO("upgrade_unknown", upgrade("no-such-domain", good, sizeof(good)), ENOENT);
	TAP_EXPECT_ERRNO("upgrade_not_running", upgrade(DOM, good, sizeof(good)), EAGAIN);
	TAP_EXPECT_ERRNO("upgrade_len_0", upgrade(DOM, good, 0), EINVAL);
	TAP_EXPECT_ERRNO("upgrade_len_max", upgrade(DOM, good, DRVBOX_SPEC_MAX + 1), EINVAL);
	TAP_EXPECT_ERRNO("upgrade_unterminated", upgrade(DOM, good, sizeof(good) - 1), EINVAL);
	TAP_EXPECT_ERRNO("upgrade_no_module", upgrade(DOM, no_module, sizeof(no_module)), EINVAL);
	TAP_EXPECT_ERRNO("upgrade_kernel", upgrade(DOM, kernel, sizeof(kernel)), EINVAL);
	TAP_EXPECT_ERRNO("upgrade_export", upgrade(DOM, export, sizeof(export)), EINVAL);
	TAP_EXPECT_ERRNO("upgrade_unknown_key", upgrade(DOM, unknown, sizeof(unknown)), EINVAL);
	TAP_EXPECT_ERRNO("upgrade_bad_pointer", upgrade(DOM, (void *)16, 8), EFAULT);
	memset(&u, 0, sizeof(u));
	strcpy(u.name, DOM);
	u.spec_len = sizeof(good);
	u.spec_ptr = (uintptr_t)good;
	u.flags = 1;
	TAP_EXPECT_ERRNO("upgrade_flags", ioctl(fd, DRVBOX_UPGRADE, &u), EINVAL);
	u.flags = 0;
	u.reserved[1] = 1;
	TAP_EXPECT_ERRNO("upgrade_reserved", ioctl(fd, DRVBOX_UPGRADE, &u), EINVAL);
	u.reserved[1] = 0;
	strcpy(u.name, "a b");
	TAP_EXPECT_ERRNO("upgrade_bad_name", ioctl(fd, DRVBOX_UPGRADE, &u), EINVAL);
}

/* Wait until the domain's VMM has been launched; returns its incarnation. */
static unsigned int wait_launched(void)
{
	struct drvbox_domain_status st;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i;

	for (i = 0; i < 200; i++) {
		memset(&st, 0, sizeof(st));
		strcpy(st.name, DOM);
		if (!ioctl(fd, DRVBOX_DOMAIN_STATUS, &st) && st.vmm_pid > 0)
			return st.incarnation;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* DRVBOX_VMM_POPULATE on an attached file whose RAM is @ram bytes. */
static void test_populate(int vfd, unsigned long long ram)
{
	struct drvbox_vmm_populate pp;
	unsigned char *p;

	p = mmap(NULL, ram, PROT_READ | PROT_WRITE, MAP_SHARED, vfd, 0);
	if (p == MAP_FAILED) {
		tap_result(0, "populate_mmap", "mmap RAM: %s", strerror(errno));
		return;
	}
	memset(&pp, 0, sizeof(pp));
	pp.addr = (uintptr_t)p;
	pp.offset = 4096;
	pp.len = 1;
	TAP_EXPECT_ERRNO("populate_unaligned", ioctl(vfd, DRVBOX_VMM_POPULATE, &pp), EINVAL);
	pp.len = ram;
	TAP_EXPECT_ERRNO("populate_past_ram", ioctl(vfd, DRVBOX_VMM_POPULATE, &pp), EINVAL);
	pp.len = 8192;
	pp.addr = (uintptr_t)p + 4096;
	TAP_EXPECT_ERRNO("populate_not_the_mapping", ioctl(vfd, DRVBOX_VMM_POPULATE, &pp), EINVAL);
	pp.addr = (uintptr_t)p;
	pp.reserved[0] = 1;
	TAP_EXPECT_ERRNO("populate_reserved", ioctl(vfd, DRVBOX_VMM_POPULATE, &pp), EINVAL);
	pp.reserved[0] = 0;
	p[4096 + 8] = 0x5a;	/* a page the fault gave: kept as it is */
	tap_result(ioctl(vfd, DRVBOX_VMM_POPULATE, &pp) == 0 && p[4096 + 8] == 0x5a &&
		   p[8192 + 8] == 0, "populate_ok", "populate: %s, bytes %#x %#x",
		   strerror(errno), p[4096 + 8], p[8192 + 8]);
	munmap(p, ram);
}

/*
 * DRVBOX_VMM_LOAD_RAM on an attached file whose RAM is @ram bytes: a file
 * of a page and 100 bytes, loaded over three pages from page 4 (fresh)
 * and over page 1 (the populate test wrote there).
 */
static void test_load_ram(int vfd, unsigned long long ram)
{
	char path[] = "/tmp/drvbox-load-ram.XXXXXX";
	struct drvbox_vmm_load_ram l;
	unsigned char buf[4096 + 100], *p;
	int fd, wfd, efd, ok;
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = 0x80 | (i % 127);
	fd = mkstemp(path);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
		tap_result(0, "load_ram_file", "a file to load: %s", strerror(errno));
		return;
	}
	wfd = open(path, O_WRONLY);
	unlink(path);
	efd = eventfd(0, 0);
	memset(&l, 0, sizeof(l));
	l.fd = fd;
	l.offset = 4 * 4096;
	l.len = 4096 + 1;
	TAP_EXPECT_ERRNO("load_ram_unaligned", ioctl(vfd, DRVBOX_VMM_LOAD_RAM, &l), EINVAL);
	l.len = ram;
	TAP_EXPECT_ERRNO("load_ram_past_ram", ioctl(vfd, DRVBOX_VMM_LOAD_RAM, &l), EINVAL);
	l.len = 3 * 4096;
	l.flags = 1;
	TAP_EXPECT_ERRNO("load_ram_flags", ioctl(vfd, DRVBOX_VMM_LOAD_RAM, &l), EINVAL);
	l.flags = 0;
	l.reserved[1] = 1;
	TAP_EXPECT_ERRNO("load_ram_reserved", ioctl(vfd, DRVBOX_VMM_LOAD_RAM, &l), EINVAL);
	l.reserved[1] = 0;
	l.fd = -1;
	TAP_EXPECT_ERRNO("load_ram_bad_fd", ioctl(vfd, DRVBOX_VMM_LOAD_RAM, &l), EBADF);
	l.fd = efd;
	TAP_EXPECT_ERRNO("load_ram_not_a_file", ioctl(vfd, DRVBOX_VMM_LOAD_RAM, &l), EINVAL);
	l.fd = wfd;
	TAP_EXPECT_ERRNO("load_ram_write_only", ioctl(vfd, DRVBOX_VMM_LOAD_RAM, &l), EBADF);
	l.fd = fd;
	l.file_offset = 1ULL << 63;
	TAP_EXPECT_ERRNO("load_ram_file_offset", ioctl(vfd, DRVBOX_VMM_LOAD_RAM, &l), EINVAL);
	l.file_offset = 0;
	ok = ioctl(vfd, DRVBOX_VMM_LOAD_RAM, &l) == 0;
	l.offset = 4096;
	l.len = 4096;
	l.file_offset = 100;
	ok = ok && ioctl(vfd, DRVBOX_VMM_LOAD_RAM, &l) == 0;
	tap_result(ok, "load_ram_ok", "load: %s", strerror(errno));
	p = mmap(NULL, ram, PROT_READ, MAP_SHARED, vfd, 0);
	if (p == MAP_FAILED) {
		tap_result(0, "load_ram_bytes", "mmap RAM: %s", strerror(errno));
	} else {
		ok = !memcmp(p + 4 * 4096, buf, sizeof(buf)) &&
		     !memcmp(p + 4096, buf + 100, 4096);
		for (i = 4 * 4096 + sizeof(buf); ok && i < 7 * 4096; i++)
			ok = !p[i];
		tap_result(ok, "load_ram_bytes",
			   "the file's bytes, then zeroes: byte %zu is %#x", i, p[i]);
		munmap(p, ram);
	}
	close(efd);
	close(wfd);
	close(fd);
}

static void test_vmm(void)
{
	struct drvbox_vmm_attach a;
	struct drvbox_vmm_eventfds e;
	struct drvbox_vmm_report rep;
	struct drvbox_vmm_spec s;
	char buf[256];
	unsigned int inc;
	int vfd, vfd2, db, irq;
	void *p;

	vfd = open(DRVBOX_DEV_PATH, O_RDWR);
	memset(&s, 0, sizeof(s));
	TAP_EXPECT_ERRNO("spec_unattached", ioctl(vfd, DRVBOX_VMM_GET_SPEC, &s), ENOTCONN);
	memset(&rep, 0, sizeof(rep));
	TAP_EXPECT_ERRNO("report_unattached", ioctl(vfd, DRVBOX_VMM_REPORT, &rep), ENOTCONN);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, vfd, 0);
	tap_result(p == MAP_FAILED && errno == ENOTCONN, "mmap_unattached",
		   "expected ENOTCONN, got %s", p == MAP_FAILED ? strerror(errno) : "a mapping");

	inc = wait_launched();
	tap_result(inc > 0, "vmm_launched", "no VMM pid for %s", DOM);

	memset(&a, 0, sizeof(a));
	strcpy(a.name, "no-such-domain");
	a.incarnation = inc;
	TAP_EXPECT_ERRNO("attach_unknown", ioctl(vfd, DRVBOX_VMM_ATTACH, &a), ENOENT);
	strcpy(a.name, DOM);
	a.incarnation = inc + 1;
	TAP_EXPECT_ERRNO("attach_wrong_incarnation", ioctl(vfd, DRVBOX_VMM_ATTACH, &a), ESTALE);
	a.incarnation = inc;
	a.reserved[0] = 1;
	TAP_EXPECT_ERRNO("attach_reserved", ioctl(vfd, DRVBOX_VMM_ATTACH, &a), EINVAL);
	a.reserved[0] = 0;
	tap_result(ioctl(vfd, DRVBOX_VMM_ATTACH, &a) == 0 && a.mem_bytes == 128 << 20 &&
		   a.shared_offset == a.mem_bytes && a.shared_bytes >= DRVBOX_SHARED_MIN_SIZE &&
		   a.spec_len == sizeof(spec) && a.nr_doorbells >= 1 && a.nr_vectors >= 1,
		   "attach_ok", "attach: %s, mem %llu shared %llu+%u spec %u",
		   strerror(errno), (unsigned long long)a.mem_bytes,
		   (unsigned long long)a.shared_offset, a.shared_bytes, a.spec_len);
	TAP_EXPECT_ERRNO("attach_same_file_again", ioctl(vfd, DRVBOX_VMM_ATTACH, &a), EBUSY);
	vfd2 = open(DRVBOX_DEV_PATH, O_RDWR);
	TAP_EXPECT_ERRNO("attach_second_file", ioctl(vfd2, DRVBOX_VMM_ATTACH, &a), EBUSY);
	close(vfd2);

	p = mmap(NULL, a.mem_bytes - 4096, PROT_READ, MAP_SHARED, vfd, 0);
	tap_result(p == MAP_FAILED && errno == EINVAL, "mmap_short_ram",
		   "expected EINVAL, got %s", p == MAP_FAILED ? strerror(errno) : "a mapping");
	p = mmap(NULL, a.mem_bytes, PROT_READ, MAP_PRIVATE, vfd, 0);
	tap_result(p == MAP_FAILED && errno == EINVAL, "mmap_private",
		   "expected EINVAL, got %s", p == MAP_FAILED ? strerror(errno) : "a mapping");
	p = mmap(NULL, a.shared_bytes, PROT_READ, MAP_SHARED, vfd, a.shared_offset + 4096);
	tap_result(p == MAP_FAILED && errno == EINVAL, "mmap_shared_offset",
		   "expected EINVAL, got %s", p == MAP_FAILED ? strerror(errno) : "a mapping");
	p = mmap(NULL, a.shared_bytes, PROT_READ, MAP_SHARED, vfd, a.shared_offset);
	tap_result(p != MAP_FAILED &&
		   ((struct drvbox_shared_host *)p)->magic == DRVBOX_SHARED_MAGIC &&
		   ((struct drvbox_shared_host *)p)->incarnation == inc,
		   "mmap_shared_host_page", "mmap: %s", strerror(errno));
	if (p != MAP_FAILED)
		munmap(p, a.shared_bytes);
	test_populate(vfd, a.mem_bytes);
	test_load_ram(vfd, a.mem_bytes);

	memset(&s, 0, sizeof(s));
	s.ptr = (uintptr_t)buf;
	s.len = a.spec_len - 1;
	TAP_EXPECT_ERRNO("spec_short_buffer", ioctl(vfd, DRVBOX_VMM_GET_SPEC, &s), ERANGE);
	s.len = sizeof(buf);
	tap_result(ioctl(vfd, DRVBOX_VMM_GET_SPEC, &s) == 0 && s.len == sizeof(spec) &&
		   !memcmp(buf, spec, sizeof(spec)), "spec_ok", "get spec: %s",
		   strerror(errno));

	db = eventfd(0, 0);
	irq = eventfd(0, 0);
	memset(&e, 0, sizeof(e));
	e.nr_doorbells = a.nr_doorbells + 1;
	e.nr_vectors = a.nr_vectors;
	TAP_EXPECT_ERRNO("eventfds_count", ioctl(vfd, DRVBOX_VMM_SET_EVENTFDS, &e), EINVAL);
	e.nr_doorbells = a.nr_doorbells;
	e.doorbell_fds[0] = 9999;
	e.irq_fds[0] = irq;
	TAP_EXPECT_ERRNO("eventfds_bad_fd", ioctl(vfd, DRVBOX_VMM_SET_EVENTFDS, &e), EBADF);
	e.doorbell_fds[0] = vfd;
	TAP_EXPECT_ERRNO("eventfds_not_eventfd", ioctl(vfd, DRVBOX_VMM_SET_EVENTFDS, &e), EINVAL);
	e.doorbell_fds[0] = db;
	tap_result(ioctl(vfd, DRVBOX_VMM_SET_EVENTFDS, &e) == 0, "eventfds_ok",
		   "set eventfds: %s", strerror(errno));
	TAP_EXPECT_ERRNO("eventfds_twice", ioctl(vfd, DRVBOX_VMM_SET_EVENTFDS, &e), EBUSY);
	close(db);	/* the module keeps its own references */
	close(irq);

	memset(&rep, 0, sizeof(rep));
	strcpy(rep.message, "x");
	TAP_EXPECT_ERRNO("report_kind_0", ioctl(vfd, DRVBOX_VMM_REPORT, &rep), EINVAL);
	rep.kind = DRVBOX_VMM_GUEST_EXIT;
	memset(rep.message, 'a', sizeof(rep.message));
	TAP_EXPECT_ERRNO("report_unterminated", ioctl(vfd, DRVBOX_VMM_REPORT, &rep), EINVAL);
	strcpy(rep.message, "guest panic: from domain_ioctl");
	tap_result(ioctl(vfd, DRVBOX_VMM_REPORT, &rep) == 0, "report_ok",
		   "report: %s", strerror(errno));
	close(vfd);	/* ends the incarnation */
}

int main(void)
{
	printf("TAP version 13\n");
	fd = open(DRVBOX_DEV_PATH, O_RDWR);
	if (fd < 0) {
		printf("Bail out! open %s: %s\n", DRVBOX_DEV_PATH, strerror(errno));
		return 1;
	}
	test_create();
	test_refs();
	test_upgrade();
	test_vmm();
	printf("1..%d\n", tap_n);	/* plan at the end: counted as run */
	return tap_exit();
}
