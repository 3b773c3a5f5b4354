/* SPDX-License-Identifier: GPL-2.0 */
/* drvbox CLI: shared declarations between the command files. */
#ifndef DRVBOX_CLI_H
#define DRVBOX_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "drvbox.h"

/* Exit statuses (docs/cli.md, EXIT STATUS). */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

#define DRVBOX_RUN_DIR		"/run/drvbox"
#define DRVBOX_DEFAULT_TIMEOUT_S	180

/* ctl.c: /dev/drvbox */
int ctl_open(void);
int ctl_check_version(int fd);
int ctl_open_checked(void);
void ctl_perror(const char *ioctl_name, const char *name);
int ctl_status(int fd, const char *name, struct drvbox_domain_status *st);
int ctl_open_domain(const char *name, struct drvbox_domain_status *st);
int ctl_ref(int fd, unsigned long req, const char *req_name,
	    const char *name);
int ctl_list(int fd, char (**names)[DRVBOX_NAME_LEN], unsigned int *count);

/* spec.c: the domain spec ("key=value\0" strings back to back) */
struct spec {
	char *buf;
	size_t len;
};

int spec_add(struct spec *s, const char *key, const char *value);
int check_driver(const char *drv, struct spec *spec);
int check_param(const char *p, struct spec *spec);
bool ends_with(const char *s, const char *suffix);
bool chars_in(const char *s, const char *extra);
ssize_t read_head(const char *what, const char *path, void *buf, size_t len);
int existing_file(const char *what, const char *path, char *abs);

/* util.c */
bool name_valid(const char *name);
int check_name(const char *name);
const char *state_name(unsigned int state);
int parse_uint(const char *s, unsigned long max, unsigned long *out);
void status_sanitize(struct drvbox_domain_status *st);
void json_string(FILE *out, const char *s);
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool is_help(const char *arg);
void sleep_ms(unsigned int ms);
void catch_interrupts(void);
extern volatile int interrupted;
/* what wait_running() saw; < 0 if the status ioctl failed (said why) */
enum wait_result {
	WAIT_RUNNING,		/* RUNNING at min_incarnation or later */
	WAIT_FAILED,		/* FAILED */
	WAIT_TIMEOUT,		/* neither within the time given */
	WAIT_INTERRUPTED,	/* SIGINT or SIGTERM */
};

int wait_running(int fd, const char *name, unsigned int min_incarnation,
		 unsigned int timeout_s, struct drvbox_domain_status *st);
int restart_wait(int fd, const char *name, unsigned int old,
		 unsigned long timeout_s, struct drvbox_domain_status *st);
void print_failure(const char *name, const struct drvbox_domain_status *st);

/* passthrough.c */
int passthrough_check(int fd, const char *name, const char *bdf);
int passthrough_bind(const char *name, const char *const *bdfs,
		     unsigned int n);
int passthrough_release(const char *name);

/* cmd_ls.c */
void json_exports(const struct drvbox_domain_status *st);

/* cmd_*.c: each returns the process exit status */
int cmd_version(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_crash(int argc, char **argv);
int cmd_upgrade(int argc, char **argv);

#endif
