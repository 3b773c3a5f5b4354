// SPDX-License-Identifier: GPL-2.0
/* drvbox status NAME: everything drvbox.ko knows about one domain. */
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void status_usage(FILE *out)
{
	fprintf(out,
"Usage: drvbox status NAME [--json]\n"
"\n"
"Show a domain: state, incarnation, restarts, crashes, boot time, memory,\n"
"vCPUs, the VMM's pid, why the last incarnation ended, why the domain\n"
"failed, each module with its load result in the guest, the guest's block\n"
"and network devices, and the exports.\n"
"\n"
"  --json   print it as one JSON object\n");
}

static const char *module_state_name(unsigned int state)
{
	switch (state) {
	case DRVBOX_MODULE_PENDING:	return "pending";
	case DRVBOX_MODULE_LOADED:	return "loaded";
	case DRVBOX_MODULE_FAILED:	return "failed";
	default:			return "unknown";
	}
}

static void format_mac(char *buf, size_t len, const unsigned char *mac)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static void status_text(const struct drvbox_domain_status *st)
{
	unsigned int i;
	char mac[18];

	printf("name:          %s\n", st->name);
	printf("state:         %s\n", state_name(st->state));
	printf("incarnation:   %u\n", st->incarnation);
	printf("restarts:      %u\n", st->restarts);
	printf("crashes:       %u\n", st->crashes);
	printf("upgrades:      %u (%u rolled back)\n", st->upgrades,
	       st->rollbacks);
	if (st->boot_ms)
		printf("boot time:     %u ms\n", st->boot_ms);
	else
		printf("boot time:     -\n");
	if (st->state == DRVBOX_STATE_RUNNING)
		printf("uptime:        %llu.%01llu s\n",
		       (unsigned long long)st->uptime_ms / 1000,
		       (unsigned long long)(st->uptime_ms % 1000) / 100);
	printf("memory:        %u MiB guest RAM, %u KiB held by drvbox.ko\n",
	       st->mem_mib, st->mem_kib);
	printf("vCPUs:         %u\n", st->vcpus);
	if (st->vmm_pid > 0)
		printf("VMM pid:       %d\n", st->vmm_pid);
	else
		printf("VMM pid:       -\n");
	printf("restart:       %s\n", st->flags & DRVBOX_CREATE_F_NO_RESTART ?
	       "never (--no-restart)" : "on crash");
	printf("last crash:    %s\n",
	       st->last_crash_reason[0] ? st->last_crash_reason : "-");
	printf("last error:    %s\n", st->last_error[0] ? st->last_error : "-");

	printf("modules:%s\n", st->nr_modules ? "" : "       -");
	for (i = 0; i < st->nr_modules; i++) {
		const struct drvbox_module_status *m = &st->modules[i];

		printf("  %-40s %s", m->name, module_state_name(m->state));
		if (m->state == DRVBOX_MODULE_FAILED)
			printf(": %s (error %d)", strerror(-m->error), m->error);
		printf("\n");
	}
	printf("guest devices:%s\n", st->nr_guest_devs ? "" : " -");
	for (i = 0; i < st->nr_guest_devs; i++) {
		const struct drvbox_guest_dev *d = &st->guest_devs[i];

		if (d->type == DRVBOX_GUEST_DEV_BLK) {
			printf("  blk %-16s %llu bytes\n", d->name,
			       (unsigned long long)d->size);
		} else if (d->type == DRVBOX_GUEST_DEV_NET) {
			format_mac(mac, sizeof(mac), d->mac);
			printf("  net %-16s %s\n", d->name, mac);
		} else {
			printf("  ?   %-16s type %u\n", d->name, d->type);
		}
	}
	printf("exports:%s\n", st->nr_exports ? "" : "       -");
	for (i = 0; i < st->nr_exports; i++)
		printf("  %-24s -> %s\n", st->exports[i].spec,
		       st->exports[i].host_dev[0] ? st->exports[i].host_dev :
		       "(not yet)");
}

static void status_json(const struct drvbox_domain_status *st)
{
	unsigned int i;
	char mac[18];

	printf("{\"name\": ");
	json_string(stdout, st->name);
	printf(", \"state\": \"%s\", \"incarnation\": %u, \"restarts\": %u, "
	       "\"crashes\": %u, \"upgrades\": %u, \"rollbacks\": %u, "
	       "\"boot_ms\": %u, \"uptime_ms\": %llu, "
	       "\"mem_mib\": %u, \"mem_kib\": %u, \"vcpus\": %u, "
	       "\"vmm_pid\": %d, \"no_restart\": %s, \"last_crash_reason\": ",
	       state_name(st->state), st->incarnation, st->restarts,
	       st->crashes, st->upgrades, st->rollbacks, st->boot_ms, (unsigned long long)st->uptime_ms,
	       st->mem_mib, st->mem_kib, st->vcpus, st->vmm_pid,
	       st->flags & DRVBOX_CREATE_F_NO_RESTART ? "true" : "false");
	json_string(stdout, st->last_crash_reason);
	printf(", \"last_error\": ");
	json_string(stdout, st->last_error);
	printf(", \"modules\": [");
	for (i = 0; i < st->nr_modules; i++) {
		const struct drvbox_module_status *m = &st->modules[i];

		printf("%s{\"name\": ", i ? ", " : "");
		json_string(stdout, m->name);
		printf(", \"state\": \"%s\", \"error\": %d}",
		       module_state_name(m->state), m->error);
	}
	printf("], \"guest_devs\": [");
	for (i = 0; i < st->nr_guest_devs; i++) {
		const struct drvbox_guest_dev *d = &st->guest_devs[i];

		printf("%s{\"type\": \"%s\", \"name\": ", i ? ", " : "",
		       d->type == DRVBOX_GUEST_DEV_BLK ? "blk" :
		       d->type == DRVBOX_GUEST_DEV_NET ? "net" : "unknown");
		json_string(stdout, d->name);
		if (d->type == DRVBOX_GUEST_DEV_NET) {
			format_mac(mac, sizeof(mac), d->mac);
			printf(", \"mac\": \"%s\"}", mac);
		} else {
			printf(", \"bytes\": %llu}", (unsigned long long)d->size);
		}
	}
	printf("], \"exports\": ");
	json_exports(st);
	printf("}\n");
}

int cmd_status(int argc, char **argv)
{
	struct drvbox_domain_status st;
	const char *name = NULL;
	bool json = false;
	int i, fd;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			status_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (argv[i][0] == '-') {
			return usage_error("status", "unknown option '%s'",
					   argv[i]);
		} else if (name) {
			return usage_error("status", "unexpected argument '%s'",
					   argv[i]);
		} else {
			name = argv[i];
		}
	}
	if (!name)
		return usage_error("status", "which domain? (drvbox ls lists them)");
	fd = ctl_open_domain(name, &st);
	if (fd < 0)
		return EXIT_FAIL;
	close(fd);
	if (json)
		status_json(&st);
	else
		status_text(&st);
	return fflush(stdout) == EOF ? EXIT_FAIL : EXIT_OK;
}
