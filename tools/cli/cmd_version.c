// SPDX-License-Identifier: GPL-2.0
/* drvbox version: the tool's and the loaded module's API versions. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void version_usage(FILE *out)
{
	fprintf(out,
		"Usage: drvbox version\n"
		"\n"
		"Print the API version this tool speaks and the one the loaded\n"
		"drvbox.ko speaks.  Exits 1 if the module is not loaded or the\n"
		"versions differ.\n");
}

int cmd_version(int argc, char **argv)
{
	int fd, v;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		version_usage(stdout);
		return 0;
	}
	if (argc > 1) {
		version_usage(stderr);
		return 2;
	}
	printf("drvbox tool: api %u\n", DRVBOX_API_VERSION);
	fd = ctl_open();
	if (fd < 0)
		return 1;
	v = ctl_check_version(fd);
	close(fd);
	if (v < 0)
		return 1;
	printf("drvbox.ko:   api %d\n", v);
	return 0;
}
