/* SPDX-License-Identifier: GPL-2.0 */
/* drvbox-init: what its files share. */
#ifndef DRVBOX_INIT_H
#define DRVBOX_INIT_H

#include <stdbool.h>

void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define MODULES_DIR	"/lib/modules"
#define STUB_FILE	"drvbox_stub.ko"

long now_ms(void);
int load_module(const char *file, const char *params);

bool load_driver(const char *file, const char *params);
void driver_failed(const char *file, int err);

/* drivers.c */
void drivers_load(int stub_fd, unsigned int *loaded, unsigned int *failed);

/* stub_load.c */
bool stub_load(void);
bool stub_bind(bool loaded);

/* uevent.c */
int uevent_open(void);
void uevent_wait(int fd);

/* boot_image.c */
void boot_image_point(void);
void boot_image_reseed(void);

#endif /* DRVBOX_INIT_H */
