// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox logs NAME [--follow]: the domain's console log.
 *
 * The VMM appends each incarnation's serial console to
 * /run/drvbox/NAME/console.log and, at the start of an incarnation, renames
 * a file over 4 MiB to console.log.1 and starts a new one.  --follow
 * therefore watches the path, not just the open file: when the path names
 * another file, we finish the old one and continue with the new.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define LOGS_POLL_MS	200

static void logs_usage(FILE *out)
{
	fprintf(out,
"Usage: drvbox logs NAME [--follow]\n"
"\n"
"Print the domain's guest console, " DRVBOX_RUN_DIR "/NAME/console.log: every\n"
"incarnation's boot log, between '=== drvbox: NAME incarnation N ...' lines,\n"
"so the oops of a crashed incarnation is right above the next boot.\n"
"\n"
"  -f, --follow   keep printing as the log grows, across restarts and log\n"
"                 rotation, until interrupted (Ctrl-C)\n");
}

static int write_all(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "drvbox: writing the log: %s\n",
				strerror(errno));
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* Copy from @fd to stdout until EOF; -1 on error (message printed). */
static int logs_drain(int fd, const char *path)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR) {
				if (interrupted)
					return 0;
				continue;
			}
			fprintf(stderr, "drvbox: reading %s: %s\n", path,
				strerror(errno));
			return -1;
		}
		if (write_all(buf, n) < 0)
			return -1;
	}
}

static int logs_follow(int fd, const char *path)
{
	struct stat cur, now;

	catch_interrupts();
	while (!interrupted) {
		if (logs_drain(fd, path) < 0)
			goto fail;
		sleep_ms(LOGS_POLL_MS);
		if (fstat(fd, &cur) < 0) {
			fprintf(stderr, "drvbox: %s: fstat: %s\n", path,
				strerror(errno));
			goto fail;
		}
		if (stat(path, &now) < 0) {
			if (errno == ENOENT)
				continue;	/* between rename and create */
			fprintf(stderr, "drvbox: %s: %s\n", path, strerror(errno));
			goto fail;
		}
		if (now.st_ino != cur.st_ino || now.st_dev != cur.st_dev) {
			/* Rotated: the rest of the old file, then the new. */
			int nfd = open(path, O_RDONLY | O_CLOEXEC);

			if (nfd < 0)
				continue;	/* try again next round */
			if (logs_drain(fd, path) < 0) {
				close(nfd);
				goto fail;
			}
			close(fd);
			fd = nfd;
		} else if (lseek(fd, 0, SEEK_CUR) > cur.st_size) {
			lseek(fd, 0, SEEK_SET);	/* truncated */
		}
	}
	close(fd);
	return EXIT_OK;
fail:
	close(fd);
	return EXIT_FAIL;
}

int cmd_logs(int argc, char **argv)
{
	const char *name = NULL;
	char path[PATH_MAX];
	bool follow = false;
	int i, fd, ret;

	for (i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			logs_usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--follow") || !strcmp(argv[i], "-f")) {
			follow = true;
		} else if (argv[i][0] == '-') {
			return usage_error("logs", "unknown option '%s'", argv[i]);
		} else if (name) {
			return usage_error("logs", "unexpected argument '%s'",
					   argv[i]);
		} else {
			name = argv[i];
		}
	}
	if (!name)
		return usage_error("logs", "which domain? (drvbox ls lists them)");
	if (check_name(name) < 0)
		return EXIT_FAIL;
	snprintf(path, sizeof(path), "%s/%s/console.log", DRVBOX_RUN_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "drvbox: no console log for %s (%s: %s)\n",
			name, path, strerror(errno));
		return EXIT_FAIL;
	}
	if (follow)
		return logs_follow(fd, path);
	ret = logs_drain(fd, path) < 0 ? EXIT_FAIL : EXIT_OK;
	close(fd);
	return ret;
}
