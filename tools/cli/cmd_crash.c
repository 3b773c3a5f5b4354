// SPDX-License-Identifier: GPL-2.0
/* drvbox crash NAME --how ...: fault injection for testing recovery. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

static const struct {
	const char *name;
	unsigned int how;
	const char *what;
} crash_kinds[] = {
	{ "panic",	DRVBOX_CRASH_PANIC,	"the guest kernel panics" },
	{ "oops",	DRVBOX_CRASH_OOPS,	"the guest kernel writes through a wild pointer (oops, then panic)" },
	{ "hang",	DRVBOX_CRASH_HANG,	"every guest vCPU spins with interrupts off (heartbeat lost)" },
	{ "vmm-kill",	DRVBOX_CRASH_VMM_KILL,	"the VMM process gets SIGKILL" },
};

static void crash_usage(FILE *out)
{
	size_t i;

	fprintf(out,
"Usage: drvbox crash NAME --how panic|oops|hang|vmm-kill\n"
"\n"
"Crash a running domain on purpose, to see drvbox recover from it (or, with\n"
"--no-restart, fail).  It returns at once; watch with drvbox status/logs.\n"
"\n");
	for (i = 0; i < sizeof(crash_kinds) / sizeof(crash_kinds[0]); i++)
		fprintf(out, "  --how %-9s %s\n", crash_kinds[i].name,
			crash_kinds[i].what);
}

int cmd_crash(int argc, char **argv)
{
	struct drvbox_crash cr;
	const char *name = NULL, *how = NULL;
	size_t k, nk = sizeof(crash_kinds) / sizeof(crash_kinds[0]);
	int i, fd, ret = EXIT_OK;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			crash_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--how")) {
			if (++i == argc)
				return usage_error("crash", "--how needs a value");
			how = argv[i];
		} else if (!strncmp(argv[i], "--how=", 6)) {
			how = argv[i] + 6;
		} else if (argv[i][0] == '-') {
			return usage_error("crash", "unknown option '%s'", argv[i]);
		} else if (name) {
			return usage_error("crash", "unexpected argument '%s'",
					   argv[i]);
		} else {
			name = argv[i];
		}
	}
	if (!name)
		return usage_error("crash", "which domain? (drvbox ls lists them)");
	if (!how)
		return usage_error("crash", "--how is required");
	for (k = 0; k < nk; k++)
		if (!strcmp(how, crash_kinds[k].name))
			break;
	if (k == nk)
		return usage_error("crash", "--how %s: expected panic, oops, "
				   "hang or vmm-kill", how);
	if (check_name(name) < 0)
		return EXIT_FAIL;

	fd = ctl_open_checked();
	if (fd < 0)
		return EXIT_FAIL;
	memset(&cr, 0, sizeof(cr));
	snprintf(cr.name, sizeof(cr.name), "%s", name);
	cr.how = crash_kinds[k].how;
	if (ioctl(fd, DRVBOX_CRASH, &cr) < 0) {
		struct drvbox_domain_status st;

		if (errno == EAGAIN && ctl_status(fd, name, &st) == 0)
			fprintf(stderr, "drvbox: %s is %s: only a running "
				"domain can be crashed\n", name,
				state_name(st.state));
		else
			ctl_perror("DRVBOX_CRASH", name);
		ret = EXIT_FAIL;
	} else {
		printf("%s: %s injected\n", name, how);
	}
	close(fd);
	return ret;
}
