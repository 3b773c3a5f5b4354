// SPDX-License-Identifier: GPL-2.0
/* drvbox restart NAME: DRVBOX_RESTART, then wait for the next incarnation. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

static void restart_usage(FILE *out)
{
	fprintf(out,
"Usage: drvbox restart NAME [--timeout S]\n"
"\n"
"Restart a driver domain: end the current incarnation (the VMM is killed)\n"
"and start a fresh one, with fresh memory, then wait until it is running.\n"
"In-flight I/O of the exports is replayed to the new incarnation.\n"
"\n"
"  --timeout S   how long to wait for running (default %d)\n",
		DRVBOX_DEFAULT_TIMEOUT_S);
}

int cmd_restart(int argc, char **argv)
{
	struct drvbox_domain_status st;
	struct drvbox_domain_ref ref;
	unsigned long timeout_s = DRVBOX_DEFAULT_TIMEOUT_S;
	const char *name = NULL;
	unsigned int old;
	int i, fd, ret = EXIT_FAIL;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			restart_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--timeout")) {
			if (++i == argc)
				return usage_error("restart", "--timeout needs a value");
			if (parse_uint(argv[i], 86400 * 365, &timeout_s) < 0 ||
			    !timeout_s)
				return usage_error("restart", "--timeout %s: "
						   "not a number of seconds",
						   argv[i]);
		} else if (argv[i][0] == '-') {
			return usage_error("restart", "unknown option '%s'",
					   argv[i]);
		} else if (name) {
			return usage_error("restart", "unexpected argument '%s'",
					   argv[i]);
		} else {
			name = argv[i];
		}
	}
	if (!name)
		return usage_error("restart", "which domain? (drvbox ls lists them)");
	fd = ctl_open_domain(name, &st);
	if (fd < 0)
		return EXIT_FAIL;
	old = st.incarnation;
	memset(&ref, 0, sizeof(ref));
	snprintf(ref.name, sizeof(ref.name), "%s", name);
	if (ioctl(fd, DRVBOX_RESTART, &ref) < 0) {
		if (errno == EBUSY)
			fprintf(stderr, "drvbox: %s is being stopped\n", name);
		else
			ctl_perror("DRVBOX_RESTART", name);
		goto out;
	}

	catch_interrupts();
	switch (wait_running(fd, name, old + 1, timeout_s, &st)) {
	case 0:
		printf("%s: running (boot %u ms, incarnation %u)\n", name,
		       st.boot_ms, st.incarnation);
		ret = EXIT_OK;
		break;
	case 1:
		print_failure(name, &st);
		break;
	case 2:
		fprintf(stderr, "drvbox: %s did not come back within %lu s "
			"(state %s); see %s/%s/console.log\n", name, timeout_s,
			state_name(st.state), DRVBOX_RUN_DIR, name);
		break;
	case 3:
		fprintf(stderr, "drvbox: interrupted; %s is %s and keeps "
			"restarting\n", name, state_name(st.state));
		break;
	default:
		break;
	}
out:
	close(fd);
	return ret;
}
