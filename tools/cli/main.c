// SPDX-License-Identifier: GPL-2.0
/* drvbox: command-line front end for drvbox.ko driver domains. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run",	cmd_run,	"start a driver domain and wait until it runs" },
	{ "ls",		cmd_ls,		"list the driver domains" },
	{ "status",	cmd_status,	"show everything about one domain" },
	{ "logs",	cmd_logs,	"print (or follow) a domain's guest console" },
	{ "stop",	cmd_stop,	"stop and remove a domain" },
	{ "restart",	cmd_restart,	"restart a domain and wait until it runs" },
	{ "upgrade",	cmd_upgrade,	"replace a running domain's drivers, no I/O lost" },
	{ "crash",	cmd_crash,	"crash a domain on purpose (testing recovery)" },
	{ "version",	cmd_version,	"show the tool's and drvbox.ko's API versions" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "Usage: drvbox COMMAND [ARGS...]\n\n"
		"Run untrusted device drivers isolated in KVM driver domains.\n\n"
		"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\n'drvbox COMMAND --help' describes a command; "
		"docs/cli.md has the details.\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "drvbox: unknown command '%s' (see drvbox --help)\n",
		argv[1]);
	return 2;
}
