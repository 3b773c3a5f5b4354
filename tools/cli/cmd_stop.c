// SPDX-License-Identifier: GPL-2.0
/* drvbox stop NAME: DRVBOX_DESTROY. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void stop_usage(FILE *out)
{
	fprintf(out,
"Usage: drvbox stop NAME\n"
"\n"
"Stop a driver domain and remove it: its VMM is killed, its memory freed,\n"
"its exported devices go away, and the PCI functions it was given go back\n"
"to the host drivers they had.  The console log stays in\n"
DRVBOX_RUN_DIR "/NAME/console.log.  Returns once the VMM process has\n"
"exited (at most 10 s more), so rmmod drvbox can follow at once.\n");
}

/* How long stop waits for the VMM process to be gone, and how often it looks. */
#define STOP_VMM_WAIT_MS	10000
#define STOP_VMM_POLL_MS	20

/* pid is gone, or a zombie (its files are closed); false while it runs */
static bool vmm_gone(pid_t pid)
{
	char path[64], buf[512], *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT || errno == ESRCH;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, the state follows the last ')' */
	p = strrchr(buf, ')');
	return !n || (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

/*
 * DRVBOX_DESTROY returns once drvbox.ko has let go of the domain, which
 * happens when the VMM's domain file is released; the exiting VMM may then
 * still be closing its other files, each of which holds drvbox.ko, and
 * `drvbox stop NAME && rmmod drvbox` would find the module in use.  Wait
 * until the process has gone (it does within milliseconds; under TCG a
 * CI run caught the gap).
 */
static void stop_wait_vmm(const char *name, pid_t pid)
{
	unsigned int waited;

	for (waited = 0; waited < STOP_VMM_WAIT_MS; waited += STOP_VMM_POLL_MS) {
		if (vmm_gone(pid) || interrupted)
			return;
		sleep_ms(STOP_VMM_POLL_MS);
	}
	fprintf(stderr, "drvbox: %s: its VMM (pid %d) is still exiting after %u s\n",
		name, (int)pid, STOP_VMM_WAIT_MS / 1000);
}

int cmd_stop(int argc, char **argv)
{
	struct drvbox_domain_status st;
	const char *name = NULL;
	int i, fd, ret;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			stop_usage(stdout);
			return EXIT_OK;
		} else if (argv[i][0] == '-') {
			return usage_error("stop", "unknown option '%s'", argv[i]);
		} else if (name) {
			return usage_error("stop", "unexpected argument '%s'",
					   argv[i]);
		}
		name = argv[i];
	}
	if (!name)
		return usage_error("stop", "which domain? (drvbox ls lists them)");
	if (check_name(name) < 0)
		return EXIT_FAIL;
	fd = ctl_open_checked();
	if (fd < 0)
		return EXIT_FAIL;
	/* the VMM now; after the destroy its pid is gone from the status */
	if (ctl_status(fd, name, &st) < 0)
		st.vmm_pid = 0;
	ret = ctl_ref(fd, DRVBOX_DESTROY, "DRVBOX_DESTROY", name);
	close(fd);
	if (ret < 0)
		return EXIT_FAIL;
	if (st.vmm_pid > 0)
		stop_wait_vmm(name, st.vmm_pid);
	/* Its PCI functions, if any, go back to their host drivers. */
	ret = passthrough_release(name);
	printf("%s: stopped\n", name);
	return ret < 0 ? EXIT_FAIL : EXIT_OK;
}
