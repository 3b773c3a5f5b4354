// SPDX-License-Identifier: GPL-2.0
/*
 * fake_vmm: stands in for drvbox-vmm in the kmod_* selftests, without KVM.
 *
 * Started by drvbox.ko (insmod drvbox.ko vmm_path=.../fake_vmm) as
 *	fake_vmm --domain NAME --incarnation N
 * it attaches, mmaps guest RAM and the shared area, hands over a doorbell
 * eventfd and an irqfd, and then plays the guest stub itself: it writes the
 * guest page (module results from the spec's module= entries, RUNNING,
 * heartbeats) and rings the doorbell.  Host commands (DRVBOX_CRASH) arrive
 * on the irqfd as they would on MSI-X.
 *
 * The usermode helper gets a minimal environment and runs with kthreadd's
 * root (in the test host: the initramfs, not the chroot the tests run in),
 * so the behaviour comes from a file next to this executable, which both
 * views share: the first word of fake_vmm.mode (default "ok"):
 *   ok            boot in ~200 ms, heartbeat every heartbeat_ms
 *   start-error   DRVBOX_VMM_REPORT START_ERROR "fake: no kernel image", exit 1
 *   exit-early    exit with status 3 before attaching
 *   no-heartbeat  reach RUNNING, never bump the heartbeat (but answer
 *                 the host's commands, its pings included)
 *   silent        reach RUNNING, never bump the heartbeat nor answer
 *   garbage       reach RUNNING, then write nonsense (state, counts,
 *                 unterminated strings) and ring the doorbell
 *   report-panic  reach RUNNING, then report GUEST_EXIT "guest panic: fake" and exit
 *   module-fail   report the first module as failed with -ENOEXEC
 *   slow-boot     never reach RUNNING (heartbeats go on)
 *   no-attach     never attach, live on (a selftest attaches in its place)
 * Block exports (blk_* selftests): "blk PATH" serves every blk export the
 * host asks for from the file PATH (its size is the capacity), through the
 * queue rings and slots in guest RAM, as the guest stub would.  Variants
 * (second word PATH in every case) misbehave in incarnation 1 only, after
 * a few requests, and behave from incarnation 2 on:
 *   blk-stall     answer READY, never complete anything
 *   blk-bad-id    complete an id that was never posted
 *   blk-dup       complete the same request twice
 *   blk-len       claim more bytes than the request had
 *   blk-index     move cq_prod far beyond the ring
 *   blk-status    complete with status 12345
 *   blk-slot      publish a slot outside guest RAM
 *   blk-storm     ring the queue doorbells 200000 times, complete nothing
 *                 bogus, then behave (no violation expected)
 *   blk-exit      exit (VMM crash) after 200 requests, with requests in flight
 *   blk-resize    from incarnation 2 on, announce half the file's size
 * Net exports (net_* selftests): "net TAP" serves every net export with
 * MAC 52:54:00:db:10:NN (NN = export index), MTU 1500 and link up, from
 * the persistent tap device TAP (ip tuntap add TAP mode tap): TX slots are
 * written to the tap, frames read from it go into the RX slots, as the
 * guest stub does with its netdev.  Variants (second word TAP in every case):
 * In every net mode the link follows the file fake_vmm.link next to this
 * executable: "down" while it says so, up otherwise.
 *   net-rx-len    incarnation 1, tick 10: an RX entry longer than a slot
 *   net-rx-hdr    incarnation 1, tick 10: an RX header asking for GSO
 *                 of a frame that is no TCP frame at all
 *   net-rx-chain  incarnation 1, tick 10: an RX entry with MORE, and no
 *                 entry after it
 *   net-rx-gso    incarnation 1, tick 10: a two-slot GSO TCPV4 frame whose
 *                 IPv4 header says UDP
 *   net-rx-mss    incarnation 1, tick 10: the same frame as TCP, with a
 *                 gso_size of 1 (tens of thousands of segments)
 *   net-rx-long   incarnation 1, tick 10: a two-slot frame, no GSO, longer
 *                 than the MTU range announced (1500) allows
 *   net-tx-cons   incarnation 1, tick 10: tx_cons far beyond tx_prod
 *   net-queues    incarnation 1: answer one queue more than offered
 *   net-mac       from incarnation 2 on, announce another MAC
 *   net-stall     incarnation 1: never consume TX, never post RX
 * Each incarnation appends "NAME N pid ram-zero=0|1" to fake_vmm.log next
 * to this executable; ram-zero says whether guest RAM and the guest
 * page came up zeroed (the previous incarnation scribbled over both).
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "drvbox.h"
#include "drvbox_guest.h"

static char mode_file[4096], log_file[4096], link_file[4096];

/* fake_vmm.mode and fake_vmm.log live next to the executable. */
static void find_files(void)
{
	char exe[4000];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n < 0)
		n = 0;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(mode_file, sizeof(mode_file), "%s/fake_vmm.mode", exe);
	snprintf(log_file, sizeof(log_file), "%s/fake_vmm.log", exe);
	snprintf(link_file, sizeof(link_file), "%s/fake_vmm.link", exe);
}

static int dev_fd = -1;

static void die(const char *what)
{
	fprintf(stderr, "fake_vmm: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void report(uint32_t kind, const char *msg)
{
	struct drvbox_vmm_report r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	snprintf(r.message, sizeof(r.message), "%s", msg);
	if (ioctl(dev_fd, DRVBOX_VMM_REPORT, &r))
		die("DRVBOX_VMM_REPORT");
}

static void read_mode(char *mode, size_t len)
{
	FILE *f = fopen(mode_file, "r");

	snprintf(mode, len, "ok");
	if (!f)
		return;
	if (fscanf(f, "%63s", mode) != 1)
		snprintf(mode, len, "ok");
	fclose(f);
}

static int blk_misbehave(const char *mode, unsigned long inc);

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void ring(int db)
{
	uint64_t one = 1;

	if (write(db, &one, sizeof(one)) != sizeof(one))
		die("doorbell write");
}


/* ---- block exports --------------------------------------------------- */

#define SLOT_TABLE_GPA	0x100000ULL
#define SLOTS_GPA	0x200000ULL

struct fq {			/* one served queue */
	struct drvbox_queue_rings *rings;
	struct drvbox_blk_req *sq;
	struct drvbox_blk_cpl *cq;
	uint64_t *slot_gpa;
	int irq, db;
	uint32_t sq_cons, cq_prod;
};

static struct fq fqs[DRVBOX_MAX_DOORBELLS];
static int nr_fq, disk_fd = -1;
static uint64_t disk_bytes;
static unsigned char *g_ram;
static unsigned long nr_served;

/* Answer every blk export request; returns the number of queues served. */
static int blk_setup(struct drvbox_shared_host *host, struct drvbox_shared_guest *g,
		     unsigned char *shared, uint64_t mem_bytes, const char *path,
		     const char *mode, unsigned long inc, int *irqs, int *dbs)
{
	uint64_t *table = (uint64_t *)(g_ram + SLOT_TABLE_GPA);
	uint64_t next = SLOTS_GPA;
	uint32_t e, q, i;

	disk_fd = open(path, O_RDWR | O_CLOEXEC);
	if (disk_fd < 0)
		die(path);
	disk_bytes = lseek(disk_fd, 0, SEEK_END);
	for (e = 0; e < host->nr_exports && e < DRVBOX_SHARED_MAX_EXPORTS; e++) {
		struct drvbox_export_req *r = &host->exports[e];
		struct drvbox_export_state *st = &g->exports[e];

		if (r->type != DRVBOX_GUEST_DEV_BLK)
			continue;
		st->slots_gpa = (uint64_t)((unsigned char *)table - g_ram);
		for (q = 0; q < r->nr_queues; q++) {
			struct fq *f = &fqs[nr_fq++];

			f->rings = (void *)(shared + r->ring_offset + q * r->ring_stride);
			f->sq = (void *)(f->rings + 1);
			f->cq = (void *)(f->sq + r->queue_depth);
			f->slot_gpa = table;
			f->irq = irqs[r->first_queue_index + q];
			f->db = dbs[r->first_queue_index + q];
			for (i = 0; i < r->queue_depth; i++) {
				*table++ = next;
				next += r->slot_size;
			}
		}
		if (next > mem_bytes)
			die("guest RAM too small for the slots");
		if (inc == 1 && !strcmp(mode, "blk-slot"))
			table[-1] = mem_bytes + 0x1000;
		st->nr_queues = r->nr_queues;
		st->flags = DRVBOX_EXPORT_F_FLUSH | DRVBOX_EXPORT_F_DISCARD |
			    DRVBOX_EXPORT_F_WRITE_ZEROES;
		st->capacity = disk_bytes;
		if (inc >= 2 && !strcmp(mode, "blk-resize"))
			st->capacity = disk_bytes / 2;
		st->logical_block_size = 512;
		st->physical_block_size = 4096;
		st->max_discard_sectors = 65536;
		st->max_write_zeroes_sectors = 65536;
		st->discard_granularity = 4096;
		__atomic_store_n(&st->state, DRVBOX_EXPORT_READY, __ATOMIC_RELEASE);
	}
	return nr_fq;
}

static int32_t blk_do(const struct drvbox_blk_req *r, unsigned char *slot,
		      uint32_t *len)
{
	uint64_t off = r->sector * 512;
	static unsigned char zero[128 * 1024];

	*len = 0;
	if (off > disk_bytes || r->len > disk_bytes - off)
		return -EIO;
	switch (r->op) {
	case DRVBOX_BLK_OP_READ:
		if (pread(disk_fd, slot, r->len, off) != (ssize_t)r->len)
			return -EIO;
		*len = r->len;
		return 0;
	case DRVBOX_BLK_OP_WRITE:
		if (pwrite(disk_fd, slot, r->len, off) != (ssize_t)r->len)
			return -EIO;
		*len = r->len;
		return 0;
	case DRVBOX_BLK_OP_FLUSH:
		return fdatasync(disk_fd) ? -EIO : 0;
	case DRVBOX_BLK_OP_DISCARD:
	case DRVBOX_BLK_OP_WRITE_ZEROES: {
		uint64_t done = 0;

		while (done < r->len) {
			uint64_t n = r->len - done > sizeof(zero) ? sizeof(zero) : r->len - done;

			if (pwrite(disk_fd, zero, n, off + done) != (ssize_t)n)
				return -EIO;
			done += n;
		}
		return 0;
	}
	}
	return -EOPNOTSUPP;
}

/* Serve queue f: every posted request, then one doorbell. */
static void blk_serve(struct fq *f, const char *mode, unsigned long inc)
{
	uint32_t prod = __atomic_load_n(&f->rings->sq_prod.val, __ATOMIC_ACQUIRE);
	int bad = inc == 1 && nr_served > 50 ? blk_misbehave(mode, inc) : 0;

	if (bad == 1)	/* stall */
		return;
	while (f->sq_cons != prod) {
		struct drvbox_blk_req r = f->sq[f->sq_cons % DRVBOX_BLK_QUEUE_DEPTH];
		struct drvbox_blk_cpl c = { .id = r.id };
		unsigned char *slot = g_ram + f->slot_gpa[r.id & 0xffff];

		f->sq_cons++;
		__atomic_store_n(&f->rings->sq_cons.val, f->sq_cons, __ATOMIC_RELEASE);
		c.status = blk_do(&r, slot, &c.len);
		nr_served++;
		if (bad == 2)
			c.id = 999;
		if (bad == 4)
			c.len = r.len + 4096;
		if (bad == 6)
			c.status = 12345;
		f->cq[f->cq_prod % DRVBOX_BLK_QUEUE_DEPTH] = c;
		f->cq_prod++;
		if (bad == 3) {		/* the same completion again */
			f->cq[f->cq_prod % DRVBOX_BLK_QUEUE_DEPTH] = c;
			f->cq_prod++;
		}
		if (bad == 5)
			f->cq_prod += 1000;
		if (bad == 7 && nr_served > 200)
			exit(0);
		if (bad)
			break;
	}
	__atomic_store_n(&f->rings->cq_prod.val, f->cq_prod, __ATOMIC_RELEASE);
	/* a signal at the next request; what comes meanwhile, the next poll
	 * (every 10 ms) serves.  The doorbell below also when the host did
	 * not ask: allowed. */
	__atomic_store_n(&f->rings->sq_event.val, f->sq_cons, __ATOMIC_SEQ_CST);
	ring(f->db);
	if (bad == 8) {
		int i;

		for (i = 0; i < 200000; i++)
			ring(f->db);
	}
}

static int blk_misbehave(const char *mode, unsigned long inc)
{
	static const char *const kinds[] = { "blk", "blk-stall", "blk-bad-id",
		"blk-dup", "blk-len", "blk-index", "blk-status", "blk-exit",
		"blk-storm" };
	static int stormed;
	unsigned int i;

	(void)inc;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(mode, kinds[i]))
			continue;
		if (i == 8) {
			if (stormed)
				return 0;
			stormed = 1;
		}
		return i;
	}
	return 0;
}

/* ---- net exports ----------------------------------------------------- */

struct fnet {			/* one served net export */
	struct drvbox_net_rings *rings;
	struct drvbox_net_desc *txd, *rxd;
	unsigned char *tx_slots, *rx_slots;
	struct drvbox_net_export_state *st;
	uint32_t depth, slot_size, tx_cons, rx_prod;
	int irq, db;
};

static struct fnet fnets[DRVBOX_SHARED_MAX_EXPORTS];
static int nr_fnet, tap_fd = -1;

static int net_setup(struct drvbox_shared_host *host, struct drvbox_shared_guest *g,
		     unsigned char *shared, const char *tap, const char *mode,
		     unsigned long inc, int *irqs, int *dbs)
{
	struct ifreq ifr;
	int hdr_len;
	uint32_t e;

	tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tap_fd < 0)
		die("open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	/*
	 * Frames go through the tap with their virtio_net_hdr, as a guest
	 * NIC would take them: the tap applies a TX header's NEEDS_CSUM (the
	 * host offers checksum offload) and says DATA_VALID on RX as a NIC
	 * that checked the checksum would.
	 */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	if (ioctl(tap_fd, TUNSETIFF, &ifr))
		die("TUNSETIFF");
	hdr_len = DRVBOX_NET_HDR_LEN;
	if (ioctl(tap_fd, TUNSETVNETHDRSZ, &hdr_len))
		die("TUNSETVNETHDRSZ");
	for (e = 0; e < host->nr_exports && e < DRVBOX_SHARED_MAX_EXPORTS; e++) {
		struct drvbox_export_req *r = &host->exports[e];
		struct drvbox_net_export_state *st = (void *)&g->exports[e];
		struct fnet *f;
		unsigned char *q;

		if (r->type != DRVBOX_GUEST_DEV_NET)
			continue;
		f = &fnets[nr_fnet++];
		q = shared + r->ring_offset;
		f->rings = (void *)q;
		f->txd = (void *)(f->rings + 1);
		f->rxd = f->txd + r->queue_depth;
		f->tx_slots = q + DRVBOX_NET_SLOTS_OFFSET;
		f->rx_slots = f->tx_slots + (size_t)r->queue_depth * r->slot_size;
		f->depth = r->queue_depth;
		f->slot_size = r->slot_size;
		f->irq = irqs[r->first_queue_index];
		f->db = dbs[r->first_queue_index];
		f->st = st;
		/* queue 0 only: the host maps every pair onto it */
		st->nr_queues = 1;
		if (inc == 1 && !strcmp(mode, "net-queues"))
			st->nr_queues = r->nr_queues + 1;
		st->flags = DRVBOX_NET_F_LINK_UP;
		memcpy(st->mac, "\x52\x54\x00\xdb\x10", 5);
		st->mac[5] = (unsigned char)e;
		if (inc >= 2 && !strcmp(mode, "net-mac"))
			st->mac[4] = 0x77;
		st->mtu = 1500;
		st->max_mtu = 1500;	/* settings from the host are not applied */
		__atomic_store_n(&st->state, DRVBOX_EXPORT_READY, __ATOMIC_RELEASE);
	}
	return nr_fnet;
}

/* Host frames to the tap, tap frames to the host. */
static void net_serve(struct fnet *f, const char *mode, unsigned long inc)
{
	uint32_t prod = __atomic_load_n(&f->rings->tx_prod.val, __ATOMIC_ACQUIRE);
	static unsigned char buf[DRVBOX_NET_MAX_FRAME];
	int rung = 0;

	if (inc == 1 && !strcmp(mode, "net-stall"))
		return;
again:
	while (f->tx_cons != prod) {
		/* a frame: its entries' slots in order (MORE on all but the last) */
		uint32_t len = 0, flags, e;
		int ok = 1;

		do {
			uint32_t i = f->tx_cons & (f->depth - 1);

			e = f->txd[i].len;
			flags = f->txd[i].flags;
			if (e > f->slot_size || len + e > sizeof(buf))
				ok = 0;
			else
				memcpy(buf + len, f->tx_slots + (size_t)i * f->slot_size, e);
			len += e;
			f->tx_cons++;
		} while ((flags & DRVBOX_NET_DESC_F_MORE) && f->tx_cons != prod);
		if (ok && len > DRVBOX_NET_HDR_LEN && write(tap_fd, buf, len) < 0 &&
		    errno != EAGAIN && errno != EIO && errno != EINVAL)
			die("tap write");
		rung = 1;
	}
	__atomic_store_n(&f->rings->tx_cons.val, f->tx_cons, __ATOMIC_RELEASE);
	/* a signal at the next TX entry, then one more look (EVENT_IDX) */
	__atomic_store_n(&f->rings->tx_event.val, f->tx_cons, __ATOMIC_SEQ_CST);
	prod = __atomic_load_n(&f->rings->tx_prod.val, __ATOMIC_SEQ_CST);
	if (prod != f->tx_cons)
		goto again;
	/* the doorbell below also when the host did not ask: allowed */
	for (;;) {
		uint32_t cons = __atomic_load_n(&f->rings->rx_cons.val, __ATOMIC_ACQUIRE);
		uint32_t i = f->rx_prod & (f->depth - 1);
		unsigned char *slot = f->rx_slots + (size_t)i * f->slot_size;
		ssize_t n;

		if (f->rx_prod - cons >= f->depth)
			break;	/* full: the stub would drop */
		n = read(tap_fd, buf, f->slot_size);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			die("tap read");
		}
		if (n <= DRVBOX_NET_HDR_LEN)
			continue;
		memcpy(slot, buf, n);
		f->rxd[i].len = n;
		f->rxd[i].flags = 0;
		f->rxd[i].reserved = 0;
		f->rx_prod++;
		rung = 1;
	}
	__atomic_store_n(&f->rings->rx_prod.val, f->rx_prod, __ATOMIC_RELEASE);
	if (rung)
		ring(f->db);
}

/* Publish @n more RX entries (already filled) and ring the doorbell. */
static void net_post_rx(struct fnet *f, uint32_t n)
{
	f->rx_prod += n;
	__atomic_store_n(&f->rings->rx_prod.val, f->rx_prod, __ATOMIC_RELEASE);
	ring(f->db);
}

/* Incarnation 1 of a misbehaving mode, at tick @tick. */
static void net_misbehave(const char *mode, unsigned long inc, int tick, int db)
{
	struct fnet *f = &fnets[0];
	uint32_t i;

	FILE *lf;
	char word[16] = "up";
	uint32_t want;

	if (!nr_fnet)
		return;
	lf = fopen(link_file, "r");
	if (lf) {
		if (fscanf(lf, "%15s", word) != 1)
			word[0] = '\0';
		fclose(lf);
	}
	want = strcmp(word, "down") ? DRVBOX_NET_F_LINK_UP : 0;
	if (__atomic_load_n(&f->st->flags, __ATOMIC_RELAXED) != want) {
		__atomic_store_n(&f->st->flags, want, __ATOMIC_RELEASE);
		ring(db);
	}
	if (inc != 1 || tick != 10)
		return;
	i = f->rx_prod & (f->depth - 1);
	if (!strcmp(mode, "net-rx-len") || !strcmp(mode, "net-rx-hdr")) {
		unsigned char *slot = f->rx_slots + (size_t)i * f->slot_size;

		memset(slot, 0, 64);
		f->rxd[i].len = 64;
		if (!strcmp(mode, "net-rx-len"))
			f->rxd[i].len = f->slot_size + 1;
		else
			slot[1] = 1;	/* gso_type TCPV4 */
		net_post_rx(f, 1);
	}
	if (!strcmp(mode, "net-rx-chain") || !strcmp(mode, "net-rx-long")) {
		/*
		 * A frame that goes on (MORE) past the last entry posted, or
		 * (rx-long) ends in a second slot: 2148 bytes, not GSO.
		 */
		unsigned char *slot = f->rx_slots + (size_t)i * f->slot_size;
		uint32_t j = (f->rx_prod + 1) & (f->depth - 1);
		int n = strcmp(mode, "net-rx-long") ? 1 : 2;

		memset(slot, 0, f->slot_size);
		slot[DRVBOX_NET_HDR_LEN + 12] = 0x08;	/* ETH_P_IP */
		f->rxd[i].len = f->slot_size;
		f->rxd[i].flags = DRVBOX_NET_DESC_F_MORE;
		f->rxd[i].reserved = 0;
		f->rxd[j].len = 100;
		f->rxd[j].flags = 0;
		f->rxd[j].reserved = 0;
		net_post_rx(f, n);
	}
	if (!strcmp(mode, "net-rx-gso") || !strcmp(mode, "net-rx-mss")) {
		/*
		 * Two slots announced as a GRO-merged TCP/IPv4 frame whose IP
		 * header says UDP: the host parses the headers itself.  Or
		 * (rx-mss) a TCP frame in order but for its gso_size of 1.
		 */
		bool mss = !strcmp(mode, "net-rx-mss");
		unsigned char *s0 = f->rx_slots + (size_t)i * f->slot_size;
		uint32_t j = (f->rx_prod + 1) & (f->depth - 1);
		unsigned char *p = s0 + DRVBOX_NET_HDR_LEN;

		memset(s0, 0, f->slot_size);
		memset(f->rx_slots + (size_t)j * f->slot_size, 0, 100);
		s0[0] = 1;			/* flags NEEDS_CSUM */
		s0[1] = 1;			/* gso_type TCPV4 */
		s0[4] = mss ? 1 : 1400 & 0xff;	/* gso_size */
		s0[5] = mss ? 0 : 1400 >> 8;
		s0[6] = 14 + 20;		/* csum_start: after IPv4 */
		s0[8] = 16;			/* csum_offset: TCP check */
		p[12] = 0x08;			/* ETH_P_IP */
		p[14] = 0x45;			/* IPv4, 20 bytes */
		p[14 + 9] = mss ? 6 : 17;	/* TCP or UDP */
		p[14 + 20 + 12] = 5 << 4;	/* TCP data offset: 20 bytes */
		f->rxd[i].len = f->slot_size;
		f->rxd[i].flags = DRVBOX_NET_DESC_F_MORE;
		f->rxd[i].reserved = 0;
		f->rxd[j].len = 100;
		f->rxd[j].flags = 0;
		f->rxd[j].reserved = 0;
		net_post_rx(f, 2);
	}
	if (!strcmp(mode, "net-tx-cons")) {	/* checked at the next TX frame */
		__atomic_store_n(&f->rings->tx_cons.val, f->tx_cons + 100000,
				 __ATOMIC_RELEASE);
		ring(f->db);
		f->depth = 0;	/* serve nothing more */
	}
}

/* The modules of the spec, as the guest would report them. */
static void fill_modules(struct drvbox_shared_guest *g, const char *spec,
			 uint32_t len, int fail_first)
{
	const char *p = spec;
	uint32_t n = 0;

	for (; p < spec + len; p += strlen(p) + 1) {
		const char *base;

		if (strncmp(p, "module=", 7) || n >= DRVBOX_SHARED_MAX_MODULES)
			continue;
		base = strrchr(p, '/');
		base = base ? base + 1 : p + 7;
		snprintf(g->modules[n].name, sizeof(g->modules[n].name), "%s", base);
		if (fail_first && n == 0) {
			g->modules[n].error = -ENOEXEC;
			g->modules[n].state = DRVBOX_MODULE_FAILED;
		} else {
			g->modules[n].state = DRVBOX_MODULE_LOADED;
		}
		n++;
	}
	g->nr_modules = n;
}

int main(int argc, char **argv)
{
	struct drvbox_vmm_attach a;
	struct drvbox_vmm_eventfds e;
	struct drvbox_vmm_spec s;
	struct drvbox_shared_host *host;
	struct drvbox_shared_guest *g;
	const char *name = NULL;
	unsigned long inc = 0, i;
	unsigned char *ram, *shared;
	char mode[64], *spec;
	uint32_t seen_seq = 0;
	int db, irq, zero, hang = 0, running = 0, tick, blk = 0, served = 0;
	int net = 0;
	int dbs[DRVBOX_MAX_DOORBELLS], irqs[DRVBOX_MAX_VECTORS];
	char blk_path[4096] = "";
	FILE *log;

	for (i = 1; i + 1 < (unsigned long)argc; i += 2) {
		if (!strcmp(argv[i], "--domain"))
			name = argv[i + 1];
		else if (!strcmp(argv[i], "--incarnation"))
			inc = strtoul(argv[i + 1], NULL, 10);
	}
	if (!name || !inc) {
		fprintf(stderr, "usage: fake_vmm --domain NAME --incarnation N\n");
		return 2;
	}
	find_files();
	read_mode(mode, sizeof(mode));
	if (!strncmp(mode, "blk", 3)) {
		FILE *f = fopen(mode_file, "r");

		if (!f || fscanf(f, "%*s %4095s", blk_path) != 1)
			die("blk mode needs a disk path");
		fclose(f);
		blk = 1;
	}
	if (!strncmp(mode, "net", 3)) {
		FILE *f = fopen(mode_file, "r");

		if (!f || fscanf(f, "%*s %4095s", blk_path) != 1)
			die("net mode needs a tap device name");
		fclose(f);
		net = 1;
	}
	if (!strcmp(mode, "exit-early"))
		return 3;
	if (!strcmp(mode, "no-attach"))	/* a selftest attaches instead */
		for (;;)
			pause();

	dev_fd = open(DRVBOX_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (dev_fd < 0)
		die("open " DRVBOX_DEV_PATH);
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", name);
	a.incarnation = inc;
	if (ioctl(dev_fd, DRVBOX_VMM_ATTACH, &a))
		die("DRVBOX_VMM_ATTACH");
	if (!strcmp(mode, "start-error")) {
		report(DRVBOX_VMM_START_ERROR, "fake: no kernel image");
		return 1;
	}

	spec = calloc(1, a.spec_len);
	if (!spec)
		die("calloc");
	memset(&s, 0, sizeof(s));
	s.ptr = (uintptr_t)spec;
	s.len = a.spec_len;
	if (ioctl(dev_fd, DRVBOX_VMM_GET_SPEC, &s))
		die("DRVBOX_VMM_GET_SPEC");

	ram = mmap(NULL, a.mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, dev_fd, 0);
	if (ram == MAP_FAILED)
		die("mmap guest RAM");
	shared = mmap(NULL, a.shared_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		      dev_fd, a.shared_offset);
	if (shared == MAP_FAILED)
		die("mmap shared area");
	host = (void *)(shared + DRVBOX_SHARED_HOST_OFFSET);
	g = (void *)(shared + DRVBOX_SHARED_GUEST_OFFSET);

	/* Fresh memory must be zero; scribble on it for the next one. */
	zero = 1;
	for (i = 0; i < a.mem_bytes; i += 4096 * 61)
		if (ram[i] || ram[a.mem_bytes - 1 - i])
			zero = 0;
	if (g->state || g->heartbeat || g->nr_modules)
		zero = 0;
	for (i = 0; i < a.mem_bytes; i += 4096 * 61)
		ram[i] = ram[a.mem_bytes - 1 - i] = 0xa5;
	log = fopen(log_file, "a");
	if (log) {
		fprintf(log, "%s %lu %d ram-zero=%d\n", name, inc, (int)getpid(), zero);
		fclose(log);
	}
	if (host->magic != DRVBOX_SHARED_MAGIC || host->incarnation != inc) {
		report(DRVBOX_VMM_VMM_ERROR, "fake: bad host page");
		return 1;
	}

	memset(&e, 0, sizeof(e));
	for (i = 0; i < a.nr_doorbells || i < a.nr_vectors; i++) {
		dbs[i] = eventfd(0, EFD_CLOEXEC);
		irqs[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (dbs[i] < 0 || irqs[i] < 0)
			die("eventfd");
		e.doorbell_fds[i] = dbs[i];
		e.irq_fds[i] = irqs[i];
	}
	db = dbs[0];
	irq = irqs[0];
	e.nr_doorbells = a.nr_doorbells;
	e.nr_vectors = a.nr_vectors;
	if (ioctl(dev_fd, DRVBOX_VMM_SET_EVENTFDS, &e))
		die("DRVBOX_VMM_SET_EVENTFDS");

	/* "Boot": BOOTING, then the module results. */
	g->state = DRVBOX_GUEST_BOOTING;
	ring(db);
	sleep_ms(200);
	fill_modules(g, spec, a.spec_len, !strcmp(mode, "module-fail"));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (!strcmp(mode, "module-fail"))
		g->state = DRVBOX_GUEST_MODULE_FAILED;
	else if (strcmp(mode, "slow-boot"))
		g->state = DRVBOX_GUEST_RUNNING;
	ring(db);
	g_ram = ram;

	for (tick = 0;; tick++) {
		unsigned int hb = host->heartbeat_ms ? host->heartbeat_ms : 200;
		uint64_t cnt;

		if (blk && running && !served) {
			served = blk_setup(host, g, shared, a.mem_bytes, blk_path,
					   mode, inc, irqs, dbs);
			ring(db);
		}
		if (net && running && !served) {
			served = net_setup(host, g, shared, blk_path, mode, inc,
					   irqs, dbs);
			ring(db);
		}
		if (net && served) {
			struct timespec t0, t1;
			struct pollfd pfd[DRVBOX_MAX_VECTORS + 1];
			int q;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			do {
				for (q = 0; q < nr_fnet; q++) {
					pfd[q].fd = fnets[q].irq;
					pfd[q].events = POLLIN;
				}
				pfd[q].fd = tap_fd;
				pfd[q].events = POLLIN;
				poll(pfd, nr_fnet + 1, 10);
				for (q = 0; q < nr_fnet; q++) {
					if (read(fnets[q].irq, &cnt, sizeof(cnt)) < 0 &&
					    errno != EAGAIN)
						die("irqfd read");
					if (!hang && fnets[q].depth)
						net_serve(&fnets[q], mode, inc);
				}
				clock_gettime(CLOCK_MONOTONIC, &t1);
			} while ((t1.tv_sec - t0.tv_sec) * 1000 +
				 (t1.tv_nsec - t0.tv_nsec) / 1000000 < hb);
			if (!hang)
				net_misbehave(mode, inc, tick, db);
		} else if (served) {
			struct timespec t0, t1;
			struct pollfd pfd[DRVBOX_MAX_VECTORS];
			int q;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			do {
				for (q = 0; q < nr_fq; q++) {
					pfd[q].fd = fqs[q].irq;
					pfd[q].events = POLLIN;
				}
				poll(pfd, nr_fq, 10);
				for (q = 0; q < nr_fq; q++) {
					if (read(fqs[q].irq, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
						die("irqfd read");
					if (!hang)
						blk_serve(&fqs[q], mode, inc);
				}
				clock_gettime(CLOCK_MONOTONIC, &t1);
			} while ((t1.tv_sec - t0.tv_sec) * 1000 +
				 (t1.tv_nsec - t0.tv_nsec) / 1000000 < hb);
		} else {
			sleep_ms(hb);
		}
		if (!hang && strcmp(mode, "no-heartbeat") && strcmp(mode, "silent"))
			__atomic_fetch_add(&g->heartbeat, 1, __ATOMIC_RELAXED);
		running = g->state == DRVBOX_GUEST_RUNNING;

		/* a hung or silent guest answers nothing, pings included */
		if (!hang && strcmp(mode, "silent") &&
		    read(irq, &cnt, sizeof(cnt)) == sizeof(cnt) &&
		    host->command_seq != seen_seq) {
			seen_seq = host->command_seq;
			g->command_ack = seen_seq;
			switch (host->command) {
			case DRVBOX_CMD_PANIC:
				report(DRVBOX_VMM_GUEST_EXIT, "guest panic: fake panic command");
				return 0;
			case DRVBOX_CMD_OOPS:
				report(DRVBOX_VMM_GUEST_EXIT, "guest panic: Fatal exception (fake oops)");
				return 0;
			case DRVBOX_CMD_HANG:
				hang = 1;
				break;
			}
		}
		if (running && tick == 5 && !strcmp(mode, "report-panic")) {
			report(DRVBOX_VMM_GUEST_EXIT, "guest panic: fake");
			return 0;
		}
		/* first what the host clamps, then what it cannot accept */
		if (running && tick == 3 && !strcmp(mode, "garbage")) {
			g->nr_modules = 100000;
			memset(g->modules[0].name, 0xff, sizeof(g->modules[0].name));
			memset(g->message, 0xff, sizeof(g->message));
			ring(db);
		}
		if (running && tick == 8 && !strcmp(mode, "garbage")) {
			g->nr_devs = 0xffffffff;
			g->state = 77;
			ring(db);
		}
	}
}
