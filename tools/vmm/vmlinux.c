// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: booting the kernel without its decompressor.
 *
 * A bzImage carries the kernel as a compressed ELF file (vmlinux.bin, its
 * relocations appended, then the uncompressed size as 4 little-endian
 * bytes) that the image's own decompressor unpacks at every boot.  Under
 * nested TCG that is most of a domain's boot: 6.1's xz payload took ~13 s
 * of a 23 s boot to /init.  So the VMM unpacks the payload once, with the
 * system's own decompressor program (xz, zstd, gzip, ...; no library
 * linked), into CACHE_DIR/vmlinux-KVER-SIZE-MTIME, and for every boot
 * copies that ELF file's PT_LOAD segments to their physical addresses and
 * starts the vCPU at its entry point (startup_64) with the same zero page,
 * identity map and GDT as for the bzImage's 64-bit entry.  The kernel then
 * runs where it was linked (no KASLR, which the decompressor would do).
 *
 * Anything unexpected (no such program, a failed unpack, an ELF file that
 * does not fit) is logged and the caller boots the bzImage as before.
 */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm.h"

#define CACHE_PARENT	"/var/cache"
#define CACHE_DIR	CACHE_PARENT "/drvbox"

extern char **environ;

struct unpacker {
	const uint8_t magic[6];
	size_t magic_len;
	const char *argv[4];
};

/* The payload formats Kbuild can produce, by their first bytes. */
static const struct unpacker unpackers[] = {
	{ { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6, { "xz", "-dcq", NULL } },
	{ { 0x28, 0xb5, 0x2f, 0xfd }, 4, { "zstd", "-dcq", NULL } },
	{ { 0x1f, 0x8b }, 2, { "gzip", "-dcq", NULL } },
	{ { 'B', 'Z', 'h' }, 3, { "bzip2", "-dcq", NULL } },
	{ { 0x5d, 0x00, 0x00 }, 3, { "xz", "--format=lzma", "-dcq", NULL } },
	{ { 0x02, 0x21, 0x4c, 0x18 }, 4, { "lz4", "-dcq", NULL } },
	{ { 0x89, 'L', 'Z', 'O' }, 4, { "lzop", "-dcq", NULL } },
};

static const struct unpacker *vmlinux__unpacker(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(unpackers) / sizeof(unpackers[0]); i++)
		if (len > unpackers[i].magic_len &&
		    !memcmp(p, unpackers[i].magic, unpackers[i].magic_len))
			return &unpackers[i];
	return NULL;
}

/*
 * Run u's program with @in on its stdin and @out_fd as its stdout.
 * Returns 0 or a reason in @why.
 */
static int vmlinux__run(const struct unpacker *u, const uint8_t *in,
			size_t in_len, int out_fd, char *why, size_t why_len)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	int p[2], err, status;
	size_t off = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(why, why_len, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	err = posix_spawnp(&pid, u->argv[0], &fa, &attr,
			   (char *const *)u->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(p[0]);
	if (err) {
		close(p[1]);
		snprintf(why, why_len, "cannot run %s: %s", u->argv[0],
			 strerror(err));
		return -1;
	}
	while (off < in_len) {	/* SIGPIPE is ignored: EPIPE if it quits */
		ssize_t n = write(p[1], in + off, in_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
	}
	close(p[1]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, why_len, "waitpid %s: %s", u->argv[0],
				 strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, why_len, "%s %s %d", u->argv[0],
			 WIFEXITED(status) ? "exited with status" : "killed by signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	if (off < in_len) {
		snprintf(why, why_len, "%s stopped reading its input", u->argv[0]);
		return -1;
	}
	return 0;
}

/*
 * Unpack @payload (with its 4-byte size trailer) into @path, through a
 * temporary file renamed into place, so that a VMM starting at the same
 * time reads either nothing or the whole file.
 */
static int vmlinux__unpack(const uint8_t *payload, size_t len,
			   const char *path, char *why, size_t why_len)
{
	const struct unpacker *u = vmlinux__unpacker(payload, len);
	char tmp[sizeof(CACHE_DIR) + 32];
	uint32_t want;
	struct stat st;
	int fd;

	if (!u || len < 16) {
		snprintf(why, why_len, "payload format %02x %02x %02x %02x not known",
			 payload[0], payload[1], payload[2], payload[3]);
		return -1;
	}
	memcpy(&want, payload + len - 4, 4);	/* x86: little-endian */
	if ((mkdir(CACHE_PARENT, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(CACHE_DIR, 0700) < 0 && errno != EEXIST)) {
		snprintf(why, why_len, "mkdir %s: %s", CACHE_DIR, strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/.vmlinux.XXXXXX", CACHE_DIR);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_len, "mkstemp in %s: %s", CACHE_DIR, strerror(errno));
		return -1;
	}
	if (vmlinux__run(u, payload, len - 4, fd, why, why_len))
		goto fail;
	if (fstat(fd, &st) < 0 || (uint32_t)st.st_size != want) {
		snprintf(why, why_len, "%s gave %lld bytes, the image says %u",
			 u->argv[0], (long long)st.st_size, want);
		goto fail;
	}
	if (fsync(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(why, why_len, "storing it: %s", strerror(errno));
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	unlink(tmp);
	return -1;
}

/*
 * Remove what earlier builds of the same kernel version left in the cache
 * (another size or mtime of /boot/vmlinuz-KVER): only @keep stays.
 */
static void vmlinux__prune(const char *keep)
{
	char prefix[sizeof(vmm.kver) + 16];
	struct dirent *e;
	DIR *dir;

	snprintf(prefix, sizeof(prefix), "vmlinux-%s-", vmm.kver);
	dir = opendir(CACHE_DIR);
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		const char *rest = e->d_name + strlen(prefix);

		/* vmlinux-KVER-SIZE-MTIME: digits and one dash after the prefix */
		if (strncmp(e->d_name, prefix, strlen(prefix)) ||
		    !strcmp(e->d_name, keep) ||
		    strspn(rest, "0123456789-") != strlen(rest))
			continue;
		if (unlinkat(dirfd(dir), e->d_name, 0) == 0)
			vmm__log("removed %s/%s, an earlier build of %s",
				 CACHE_DIR, e->d_name, vmm.kver);
	}
	closedir(dir);
}

/*
 * Copy the ELF file's PT_LOAD segments into guest RAM at their physical
 * addresses; *entry: its entry point (physical), *end: the end of the
 * highest segment.  Nothing is written unless the whole file checks out.
 */
static int vmlinux__load_elf(const uint8_t *f, size_t size, uint64_t *entry,
			     uint64_t *end, char *why, size_t why_len)
{
	const Elf64_Ehdr *eh = (const void *)f;
	uint64_t lo = UINT64_MAX, hi = 0;
	const Elf64_Phdr *ph;
	int pass, i;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(*ph) || !eh->e_phnum ||
	    eh->e_phoff > size || size - eh->e_phoff < eh->e_phnum * sizeof(*ph)) {
		snprintf(why, why_len, "not an x86-64 ELF kernel");
		return -1;
	}
	ph = (const void *)(f + eh->e_phoff);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < eh->e_phnum; i++) {
			const Elf64_Phdr *p = &ph[i];

			if (p->p_type != PT_LOAD || !p->p_memsz)
				continue;
			if (!pass) {
				if (p->p_filesz > p->p_memsz || p->p_offset > size ||
				    size - p->p_offset < p->p_filesz ||
				    p->p_paddr < GPA_HIMEM ||
				    p->p_paddr > vmm.ram_low ||
				    vmm.ram_low - p->p_paddr < p->p_memsz) {
					snprintf(why, why_len,
						 "segment %d (%#llx+%#llx) does not fit %llu MiB",
						 i, (unsigned long long)p->p_paddr,
						 (unsigned long long)p->p_memsz,
						 (unsigned long long)(vmm.ram_low >> 20));
					return -1;
				}
				if (p->p_paddr < lo)
					lo = p->p_paddr;
				if (p->p_paddr + p->p_memsz > hi)
					hi = p->p_paddr + p->p_memsz;
				continue;
			}
			memcpy(vmm__gpa(p->p_paddr, p->p_memsz), f + p->p_offset,
			       p->p_filesz);
			memset(vmm__gpa(p->p_paddr + p->p_filesz,
					p->p_memsz - p->p_filesz), 0,
			       p->p_memsz - p->p_filesz);
		}
		if (!pass && (eh->e_entry < lo || eh->e_entry >= hi)) {
			snprintf(why, why_len, "entry %#llx outside its segments",
				 (unsigned long long)eh->e_entry);
			return -1;
		}
	}
	*entry = eh->e_entry;
	*end = hi;
	return 0;
}

/**
 * vmlinux__load() - boot the unpacked kernel instead of the bzImage's
 * @payload: the bzImage's compressed payload (setup header payload_offset
 *	and payload_length)
 * @len: its length
 * @entry: where the vCPU starts (physical)
 * @end: end of the kernel in guest RAM
 *
 * Return: true if the kernel is in guest RAM; false (logged) if the caller
 * should load the bzImage.
 */
bool vmlinux__load(const uint8_t *payload, size_t len, uint64_t *entry,
		   uint64_t *end)
{
	char path[sizeof(CACHE_DIR) + 200], why[512];
	uint64_t t0 = vmm__now_ns();
	bool unpacked = false;
	struct stat st;
	uint8_t *f;
	int fd, ret;

	if (stat(vmm.cfg.kernel, &st) < 0) {
		vmm__log("kernel %s: %s; booting the bzImage", vmm.cfg.kernel,
			 strerror(errno));
		return false;
	}
	snprintf(path, sizeof(path), "%s/vmlinux-%s-%lld-%lld", CACHE_DIR,
		 vmm.kver, (long long)st.st_size, (long long)st.st_mtime);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (vmlinux__unpack(payload, len, path, why, sizeof(why))) {
			vmm__log("cannot unpack the kernel (%s); booting the bzImage and its decompressor",
				 why);
			return false;
		}
		unpacked = true;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		vmm__log("%s: %s; booting the bzImage", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	f = st.st_size ? mmap(NULL, st.st_size, PROT_READ,
			      MAP_PRIVATE | MAP_POPULATE, fd, 0) :
			 MAP_FAILED;
	close(fd);
	if (f == MAP_FAILED) {
		vmm__log("mmap %s: %s; booting the bzImage", path,
			 st.st_size ? strerror(errno) : "empty file");
		return false;
	}
	ret = vmlinux__load_elf(f, st.st_size, entry, end, why, sizeof(why));
	munmap(f, st.st_size);
	if (ret) {
		vmm__log("%s: %s; booting the bzImage (and removing that file)",
			 path, why);
		unlink(path);
		return false;
	}
	if (unpacked) {
		vmm__log("unpacked the kernel into %s in %llu ms", path,
			 (unsigned long long)((vmm__now_ns() - t0) / 1000000));
		vmlinux__prune(strrchr(path, '/') + 1);
	}
	return true;
}
