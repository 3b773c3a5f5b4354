// SPDX-License-Identifier: GPL-2.0
/* drvbox stop NAME: DRVBOX_DESTROY. */
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
DRVBOX_RUN_DIR "/NAME/console.log.\n");
}

int cmd_stop(int argc, char **argv)
{
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
	ret = ctl_ref(fd, DRVBOX_DESTROY, "DRVBOX_DESTROY", name);
	close(fd);
	if (ret < 0)
		return EXIT_FAIL;
	/* Its PCI functions, if any, go back to their host drivers. */
	ret = passthrough_release(name);
	printf("%s: stopped\n", name);
	return ret < 0 ? EXIT_FAIL : EXIT_OK;
}
