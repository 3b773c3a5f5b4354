// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: which module files go into the guest, in load order.
 *
 * A module is named either by path (an out-of-tree build, ./flaky.ko) or by
 * name (null_blk), looked up in /lib/modules/KVER/modules.dep of the guest
 * kernel.  Dependencies come from modules.dep (for names) or from the
 * file's .modinfo "depends=" (for plain .ko paths) and are loaded first,
 * each once.  Compressed files (.ko.xz, .ko.zst, .ko.gz) are unpacked on
 * the host (unpack.c): the guest loads plain ELF.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm.h"

struct dep_entry {
	char *path;		/* relative to /lib/modules/KVER */
	char *deps;		/* space-separated, may be empty */
	char name[64];		/* normalized module name */
};

static struct dep_entry *dep_table;
static size_t dep_count;
static bool dep_loaded;
static int dep_errno;

static struct vmm_module *out;
static unsigned int out_nr, out_max;

/* "kernel/x/null-blk.ko.xz" -> "null_blk" */
static void module_name(const char *path, char *name, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i < len - 1 && base[i] && strncmp(base + i, ".ko", 3); i++)
		name[i] = base[i] == '-' ? '_' : base[i];
	name[i] = '\0';
}

static bool is_module_path(const char *arg)
{
	size_t n = strlen(arg);

	return strchr(arg, '/') || (n > 3 && !strcmp(arg + n - 3, ".ko")) ||
	       strstr(arg, ".ko.");
}

static void modules__load_dep(void)
{
	char path[256];
	uint8_t *data;
	size_t len, cap = 0;
	char *p, *end;

	if (dep_loaded)
		return;
	dep_loaded = true;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", vmm.kver);
	dep_errno = vmm__read_file(path, &data, &len);
	if (dep_errno)
		return;
	p = (char *)data;
	end = p + len;
	while (p < end) {
		char *nl = memchr(p, '\n', end - p), *colon;
		struct dep_entry *e;

		if (!nl)
			nl = end;
		*nl = '\0';
		colon = strchr(p, ':');
		if (colon) {
			if (dep_count == cap) {
				cap = cap ? cap * 2 : 4096;
				dep_table = realloc(dep_table, cap * sizeof(*dep_table));
				if (!dep_table)
					vmm__die_vmm("out of memory");
			}
			e = &dep_table[dep_count++];
			*colon = '\0';
			e->path = p;
			e->deps = colon + 1;
			module_name(p, e->name, sizeof(e->name));
		}
		p = nl + 1;
	}
	/* data stays: the table points into it */
}

static struct dep_entry *modules__find_dep(const char *key, bool by_path)
{
	char name[64];
	size_t i;

	if (!by_path)
		module_name(key, name, sizeof(name));
	for (i = 0; i < dep_count; i++)
		if (by_path ? !strcmp(dep_table[i].path, key) :
			      !strcmp(dep_table[i].name, name))
			return &dep_table[i];
	return NULL;
}

static bool modules__builtin(const char *arg)
{
	char path[256], line[512], name[64], n2[64];
	bool found = false;
	FILE *f;

	module_name(arg, name, sizeof(name));
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin", vmm.kver);
	f = fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		module_name(line, n2, sizeof(n2));
		found = !strcmp(name, n2);
	}
	if (f)
		fclose(f);
	return found;
}

static struct vmm_module *modules__add(const char *host_path, bool requested)
{
	const char *base = strrchr(host_path, '/');
	unsigned int i;

	base = base ? base + 1 : host_path;
	for (i = 0; i < out_nr; i++) {
		if (!strcmp(out[i].host_path, host_path)) {
			out[i].requested |= requested;
			return &out[i];
		}
		if (!strcmp(out[i].file, base))
			vmm__die_start("modules %s and %s have the same file name",
				       out[i].host_path, host_path);
	}
	if (out_nr == out_max)
		vmm__die_start("too many modules (with dependencies, more than %u)",
			       out_max);
	out[out_nr].host_path = vmm__xstrdup(host_path);
	out[out_nr].file = vmm__xstrdup(base);
	out[out_nr].requested = requested;
	return &out[out_nr++];
}

/* A modules.dep entry and, before it, everything it needs. */
static void modules__add_dep_entry(struct dep_entry *e, bool requested,
				   unsigned int depth)
{
	char full[512], *deps, *tok, *save;

	if (depth > 32)
		vmm__die_start("module %s: dependency loop in modules.dep", e->name);
	deps = vmm__xstrdup(e->deps);
	for (tok = strtok_r(deps, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		struct dep_entry *d = modules__find_dep(tok, true);

		if (!d)
			vmm__die_start("module %s: dependency %s missing from modules.dep",
				       e->name, tok);
		modules__add_dep_entry(d, false, depth + 1);
	}
	free(deps);
	snprintf(full, sizeof(full), "/lib/modules/%s/%s", vmm.kver, e->path);
	if (access(full, R_OK) < 0)
		vmm__die_start("module %s: %s: %s", e->name, full, strerror(errno));
	modules__add(full, requested);
}

static void modules__add_by_name(const char *name, bool requested,
				 const char *for_path)
{
	struct dep_entry *e;

	modules__load_dep();
	if (dep_errno)
		vmm__die_start("module %s: cannot read /lib/modules/%s/modules.dep: %s",
			       name, vmm.kver, strerror(dep_errno));
	e = modules__find_dep(name, false);
	if (!e) {
		if (modules__builtin(name)) {
			vmm__log("module %s is built into %s; nothing to load",
				 name, vmm.kver);
			return;
		}
		if (for_path)
			vmm__die_start("module %s: dependency %s not found in /lib/modules/%s (modules.dep)",
				       for_path, name, vmm.kver);
		vmm__die_start("module %s: not found in /lib/modules/%s (modules.dep)",
			       name, vmm.kver);
	}
	modules__add_dep_entry(e, requested, 0);
}

/* "depends=a,b" from the .modinfo section of an ELF .ko. */
static char *modules__modinfo_depends(const uint8_t *f, size_t len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
	const Elf64_Shdr *sh, *strtab;
	unsigned int i;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shoff > len ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shnum > (len - eh->e_shoff) / sizeof(Elf64_Shdr) ||
	    eh->e_shstrndx >= eh->e_shnum)
		return NULL;
	sh = (const Elf64_Shdr *)(f + eh->e_shoff);
	strtab = &sh[eh->e_shstrndx];
	if (strtab->sh_offset > len || strtab->sh_size > len - strtab->sh_offset)
		return NULL;
	for (i = 0; i < eh->e_shnum; i++) {
		const char *p, *end;

		if (sh[i].sh_name >= strtab->sh_size ||
		    strncmp((const char *)f + strtab->sh_offset + sh[i].sh_name,
			    ".modinfo", strtab->sh_size - sh[i].sh_name) ||
		    sh[i].sh_offset > len || sh[i].sh_size > len - sh[i].sh_offset)
			continue;
		p = (const char *)f + sh[i].sh_offset;
		end = p + sh[i].sh_size;
		while (p < end) {
			size_t n = strnlen(p, end - p);

			if (n > 8 && !strncmp(p, "depends=", 8) && p + n < end)
				return vmm__xstrdup(p + 8);
			p += n + 1;
		}
	}
	return NULL;
}

static void modules__add_path(const char *path)
{
	char *depends, *tok, *save;
	uint8_t *data;
	size_t len;

	struct vmm_module *m;

	unpack__module(path, &data, &len);
	depends = modules__modinfo_depends(data, len);
	for (tok = depends ? strtok_r(depends, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save))
		modules__add_by_name(tok, false, path);
	free(depends);
	m = modules__add(path, true);
	/* read once: drivers__build() takes it from here */
	if (!m->data) {
		m->data = data;
		m->len = len;
	} else {
		free(data);
	}
}

static void modules__apply_param(const char *arg)
{
	char mod[64], name[64];
	const char *dot = strchr(arg, '.');
	unsigned int i;

	if (!dot || dot == arg || !strchr(dot, '=') || (size_t)(dot - arg) >= sizeof(mod))
		vmm__die_start("module parameter \"%s\": expected MODULE.KEY=VALUE", arg);
	if (strpbrk(dot + 1, " \t\n"))
		vmm__die_start("module parameter \"%s\": no spaces allowed", arg);
	snprintf(mod, sizeof(mod), "%.*s", (int)(dot - arg), arg);
	module_name(mod, mod, sizeof(mod));
	for (i = 0; i < out_nr; i++) {
		module_name(out[i].file, name, sizeof(name));
		if (strcmp(name, mod))
			continue;
		if (out[i].params) {
			char *p = vmm__xmalloc(strlen(out[i].params) + strlen(dot) + 2);

			sprintf(p, "%s %s", out[i].params, dot + 1);
			free(out[i].params);
			out[i].params = p;
		} else {
			out[i].params = vmm__xstrdup(dot + 1);
		}
		return;
	}
	vmm__die_start("module parameter \"%s\": module %s is not loaded in the guest",
		       arg, mod);
}

unsigned int modules__resolve(struct vmm_module *mods, unsigned int max)
{
	unsigned int i;

	out = mods;
	out_max = max;
	out_nr = 0;
	for (i = 0; i < vmm.cfg.nr_module_args; i++) {
		const char *arg = vmm.cfg.module_args[i];

		if (is_module_path(arg))
			modules__add_path(arg);
		else
			modules__add_by_name(arg, true, NULL);
	}
	for (i = 0; i < vmm.cfg.nr_param_args; i++)
		modules__apply_param(vmm.cfg.param_args[i]);
	return out_nr;
}
