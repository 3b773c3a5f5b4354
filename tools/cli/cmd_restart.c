// SPDX-License-Identifier: GPL-2.0
/* drvbox restart NAME: DRVBOX_RESTART, then wait for the next incarnation. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

static void restart_usage(FILE *out)
{
	fprintf(out,
"Usage: drvbox restart NAME [--graceful] [--timeout S]\n"
"\n"
"Restart a driver domain: end the current incarnation (the VMM is killed)\n"
"and start a fresh one, with fresh memory, then wait until it is running.\n"
"In-flight I/O of the exports is replayed to the new incarnation.\n"
"\n"
"  --graceful    drain first: hold new block requests on the host and let\n"
"                the driver finish the ones it has (at most drvbox.ko's\n"
"                drain_timeout_ms), so that only held requests move over\n"
"  --timeout S   how long to wait for running (default %d)\n"
"\n"
"Exit status: 0 running again, 1 failed, 2 usage.\n",
		DRVBOX_DEFAULT_TIMEOUT_S);
}

/**
 * restart_wait() - wait for the incarnation after @old and say how it went
 * @fd: /dev/drvbox
 * @name: the domain
 * @old: its incarnation before the restart
 * @timeout_s: how long to wait
 * @st: out: its last status
 *
 * Return: WAIT_RUNNING or an error already reported.
 */
int restart_wait(int fd, const char *name, unsigned int old,
		 unsigned long timeout_s, struct drvbox_domain_status *st)
{
	int ret;

	catch_interrupts();
	ret = wait_running(fd, name, old + 1, timeout_s, st);
	switch (ret) {
	case WAIT_RUNNING:
		break;
	case WAIT_FAILED:
		print_failure(name, st);
		break;
	case WAIT_TIMEOUT:
		fprintf(stderr, "drvbox: %s did not come back within %lu s "
			"(state %s); see %s/%s/console.log\n", name, timeout_s,
			state_name(st->state), DRVBOX_RUN_DIR, name);
		break;
	case WAIT_INTERRUPTED:
		fprintf(stderr, "drvbox: interrupted; %s is %s and keeps "
			"restarting\n", name, state_name(st->state));
		break;
	default:
		break;	/* the status ioctl failed, already said why */
	}
	return ret;
}

int cmd_restart(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "graceful", no_argument, NULL, 'g' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct drvbox_domain_status st;
	struct drvbox_domain_ref ref;
	unsigned long timeout_s = DRVBOX_DEFAULT_TIMEOUT_S;
	const char *name;
	unsigned int old;
	bool graceful = false;
	int c, fd, ret = EXIT_FAIL;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'g':
			graceful = true;
			break;
		case 't':
			if (parse_uint(optarg, 86400 * 365, &timeout_s) < 0 ||
			    !timeout_s)
				return usage_error("restart", "--timeout %s: "
						   "not a number of seconds",
						   optarg);
			break;
		case 'h':
			restart_usage(stdout);
			return EXIT_OK;
		case ':':
			return usage_error("restart", "%s needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("restart", "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind == argc)
		return usage_error("restart", "which domain? (drvbox ls lists them)");
	if (optind + 1 < argc)
		return usage_error("restart", "unexpected argument '%s'",
				   argv[optind + 1]);
	name = argv[optind];
	fd = ctl_open_domain(name, &st);
	if (fd < 0)
		return EXIT_FAIL;
	old = st.incarnation;
	memset(&ref, 0, sizeof(ref));
	snprintf(ref.name, sizeof(ref.name), "%s", name);
	if (graceful)
		ref.flags = DRVBOX_RESTART_F_GRACEFUL;
	if (ioctl(fd, DRVBOX_RESTART, &ref) < 0) {
		if (errno == EBUSY)
			fprintf(stderr, "drvbox: %s is being stopped\n", name);
		else
			ctl_perror("DRVBOX_RESTART", name);
		goto out;
	}
	if (restart_wait(fd, name, old, timeout_s, &st) == WAIT_RUNNING) {
		printf("%s: running (boot %u ms, incarnation %u)\n", name,
		       st.boot_ms, st.incarnation);
		ret = EXIT_OK;
	}
out:
	close(fd);
	return ret;
}
