// SPDX-License-Identifier: GPL-2.0
/* drvbox ls: one line per domain, or a JSON array. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void ls_usage(FILE *out)
{
	fprintf(out,
"Usage: drvbox ls [--json]\n"
"\n"
"List the driver domains, sorted by name: a table with the columns\n"
"NAME STATE RESTARTS BOOT_MS MEM EXPORTS (MEM is the guest RAM; EXPORTS\n"
"is SPEC->HOST_DEV for each export, '-' if none).\n"
"\n"
"  --json   print one JSON array with an object per domain: name, state,\n"
"           incarnation, restarts, crashes, boot_ms, mem_mib, mem_kib,\n"
"           vcpus, vmm_pid, exports (each {spec, host_dev})\n");
}

static void ls_exports_text(const struct drvbox_domain_status *st)
{
	unsigned int i;

	if (!st->nr_exports) {
		printf("-");
		return;
	}
	for (i = 0; i < st->nr_exports; i++)
		printf("%s%s->%s", i ? "," : "", st->exports[i].spec,
		       st->exports[i].host_dev[0] ? st->exports[i].host_dev : "?");
}

/* Also used by drvbox status --json. */
void json_exports(const struct drvbox_domain_status *st)
{
	unsigned int i;

	printf("[");
	for (i = 0; i < st->nr_exports; i++) {
		printf("%s{\"spec\": ", i ? ", " : "");
		json_string(stdout, st->exports[i].spec);
		printf(", \"host_dev\": ");
		json_string(stdout, st->exports[i].host_dev);
		printf("}");
	}
	printf("]");
}

static void ls_json_one(const struct drvbox_domain_status *st, bool first)
{
	printf("%s  {\"name\": ", first ? "" : ",\n");
	json_string(stdout, st->name);
	printf(", \"state\": \"%s\", \"incarnation\": %u, \"restarts\": %u, "
	       "\"crashes\": %u, \"boot_ms\": %u, \"mem_mib\": %u, "
	       "\"mem_kib\": %u, \"vcpus\": %u, \"vmm_pid\": %d, \"exports\": ",
	       state_name(st->state), st->incarnation, st->restarts,
	       st->crashes, st->boot_ms, st->mem_mib, st->mem_kib, st->vcpus,
	       st->vmm_pid);
	json_exports(st);
	printf("}");
}

int cmd_ls(int argc, char **argv)
{
	char (*names)[DRVBOX_NAME_LEN] = NULL;
	struct drvbox_domain_status st;
	unsigned int i, count, shown = 0;
	bool json = false;
	int fd, ret = EXIT_OK;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (is_help(argv[i])) {
			ls_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			return usage_error("ls", "unexpected argument '%s'",
					   argv[i]);
		}
	}
	fd = ctl_open_checked();
	if (fd < 0)
		return EXIT_FAIL;
	if (ctl_list(fd, &names, &count) < 0) {
		close(fd);
		return EXIT_FAIL;
	}
	if (json)
		printf("[\n");
	else
		printf("%-31s %-10s %8s %8s %6s  %s\n", "NAME", "STATE",
		       "RESTARTS", "BOOT_MS", "MEM", "EXPORTS");
	for (i = 0; i < count; i++) {
		if (ctl_status(fd, names[i], &st) < 0) {
			if (errno == ENOENT)
				continue;	/* destroyed meanwhile */
			ctl_perror("DRVBOX_DOMAIN_STATUS", names[i]);
			ret = EXIT_FAIL;
			continue;
		}
		if (json) {
			ls_json_one(&st, !shown);
		} else {
			printf("%-31s %-10s %8u %8u %5uM  ", st.name,
			       state_name(st.state), st.restarts, st.boot_ms,
			       st.mem_mib);
			ls_exports_text(&st);
			printf("\n");
		}
		shown++;
	}
	if (json)
		printf("%s]\n", shown ? "\n" : "");
	free(names);
	close(fd);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "drvbox: writing the list: %s\n",
			strerror(errno));
		return EXIT_FAIL;
	}
	return ret;
}
