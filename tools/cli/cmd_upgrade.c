// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox upgrade NAME --driver ...: new drivers for a running domain
 * (DRVBOX_UPGRADE), then wait until it runs them or has gone back to the
 * old ones.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define UPGRADE_MAX_PARAMS	64

static void upgrade_usage(FILE *out)
{
	fprintf(out,
"Usage: drvbox upgrade NAME --driver KO|MODULE [--driver ...]\n"
"                      [--param MODULE.KEY=VALUE ...] [--timeout S]\n"
"\n"
"Replace the drivers of a running domain without an I/O error.  The domain\n"
"drains (new block requests wait on the host while the driver finishes the\n"
"ones it has, at most drvbox.ko's drain_timeout_ms), then restarts with the\n"
"new drivers, and what waited is replayed to them.  The host's block devices\n"
"and interfaces stay as they are.  The new --driver and --param list\n"
"replaces the old one in full: give everything the domain needs.\n"
"\n"
"If the new drivers do not come up (a module that does not load, a driver\n"
"that crashes, or no export before drvbox.ko's boot_timeout_ms), the domain\n"
"goes back to the drivers it had, and this command fails saying why.\n"
"\n"
"  --driver KO|MODULE   a driver, as for run (repeatable, in load order)\n"
"  --param M.K=V        a module parameter, as for run (repeatable)\n"
"  --timeout S          how long to wait for running (default %d)\n"
"\n"
"Exit status: 0 running the new drivers, 1 failed (nothing changed, or\n"
"rolled back), 2 usage.\n",
		DRVBOX_DEFAULT_TIMEOUT_S);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* DRVBOX_UPGRADE; false with a message. */
static bool upgrade_request(int fd, const char *name, const struct spec *spec,
			    const struct drvbox_domain_status *st)
{
	struct drvbox_upgrade u;

	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "%s", name);
	u.spec_len = spec->len;
	u.spec_ptr = (uint64_t)(uintptr_t)spec->buf;
	if (ioctl(fd, DRVBOX_UPGRADE, &u) == 0)
		return true;
	switch (errno) {
	case EAGAIN:
		fprintf(stderr, "drvbox: %s is %s: only a running domain can "
			"be upgraded\n", name, state_name(st->state));
		break;
	case EBUSY:
		fprintf(stderr, "drvbox: %s is being stopped, drained or "
			"upgraded already\n", name);
		break;
	case EINVAL:
		fprintf(stderr, "drvbox: %s: the new configuration is too long "
			"or has more than %d modules\n", name,
			DRVBOX_MAX_MODULES);
		break;
	default:
		ctl_perror("DRVBOX_UPGRADE", name);
	}
	return false;
}

int cmd_upgrade(int argc, char **argv)
{
	enum { O_DRIVER = 256, O_PARAM, O_TIMEOUT };
	static const struct option opts[] = {
		{ "driver", required_argument, NULL, O_DRIVER },
		{ "param", required_argument, NULL, O_PARAM },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *drivers[DRVBOX_MAX_MODULES], *params[UPGRADE_MAX_PARAMS];
	unsigned int nr_drivers = 0, nr_params = 0, i, old, rollbacks;
	unsigned long timeout_s = DRVBOX_DEFAULT_TIMEOUT_S;
	struct drvbox_domain_status st;
	struct spec spec = { NULL, 0 };
	int c, fd = -1, ret = EXIT_FAIL;
	const char *name;
	long long t0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case O_DRIVER:
			if (nr_drivers == DRVBOX_MAX_MODULES)
				return usage_error("upgrade", "at most %d --driver",
						   DRVBOX_MAX_MODULES);
			drivers[nr_drivers++] = optarg;
			break;
		case O_PARAM:
			if (nr_params == UPGRADE_MAX_PARAMS)
				return usage_error("upgrade", "at most %d --param",
						   UPGRADE_MAX_PARAMS);
			params[nr_params++] = optarg;
			break;
		case O_TIMEOUT:
			if (parse_uint(optarg, 86400 * 365, &timeout_s) < 0 ||
			    !timeout_s)
				return usage_error("upgrade", "--timeout %s: "
						   "not a number of seconds",
						   optarg);
			break;
		case 'h':
			upgrade_usage(stdout);
			return EXIT_OK;
		case ':':
			return usage_error("upgrade", "%s needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("upgrade", "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind == argc)
		return usage_error("upgrade", "which domain? (drvbox ls lists them)");
	if (optind + 1 < argc)
		return usage_error("upgrade", "unexpected argument '%s'",
				   argv[optind + 1]);
	if (!nr_drivers)
		return usage_error("upgrade", "at least one --driver is required");
	name = argv[optind];
	if (check_name(name) < 0)
		return EXIT_USAGE;

	for (i = 0; i < nr_drivers; i++)
		if (check_driver(drivers[i], &spec) < 0)
			goto out;
	for (i = 0; i < nr_params; i++)
		if (check_param(params[i], &spec) < 0)
			goto out;
	fd = ctl_open_domain(name, &st);
	if (fd < 0)
		goto out;
	old = st.incarnation;
	rollbacks = st.rollbacks;
	t0 = mono_ms();
	if (!upgrade_request(fd, name, &spec, &st))
		goto out;
	if (restart_wait(fd, name, old, timeout_s, &st) != WAIT_RUNNING)
		goto out;
	if (st.rollbacks != rollbacks) {
		fprintf(stderr, "drvbox: the upgrade of %s failed: %s\n", name,
			st.last_crash_reason[0] ? st.last_crash_reason :
			"no reason given");
		fprintf(stderr, "drvbox: %s is back on its previous drivers "
			"(incarnation %u, running); guest console: %s/%s/console.log\n",
			name, st.incarnation, DRVBOX_RUN_DIR, name);
		goto out;
	}
	printf("%s: upgraded, running the new drivers (incarnation %u, "
	       "%lld ms after the request)\n", name, st.incarnation,
	       mono_ms() - t0);
	ret = EXIT_OK;
out:
	if (fd >= 0)
		close(fd);
	free(spec.buf);
	return ret;
}
