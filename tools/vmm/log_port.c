// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: the console log port (uapi/drvbox_guest.h).
 *
 * The stub names a page of guest RAM, then tells us how many bytes of it
 * to log, one exit per message instead of one per byte at the 8250.  The
 * guest may change the page while we read it (another vCPU) or name any
 * frame it likes: the bytes are copied out once, the frame must lie in
 * guest RAM and the count within the page; anything else is ignored,
 * and said once.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "drvbox_guest.h"
#include "vmm.h"

/* The guest's page, or NULL.  Only vCPU threads touch it, in an exit. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const uint8_t *log_page;

static void log_port__refuse(const char *what, uint32_t v)
{
	static bool said;

	if (!said) {
		said = true;
		vmm__log("log port: %s %#x ignored (said once)", what, v);
	}
}

bool log_port__io(uint16_t port, bool write, uint8_t *data, uint32_t len)
{
	uint8_t buf[DRVBOX_LOG_PAGE];
	uint32_t v;

	if (port != DRVBOX_LOG_PFN_PORT && port != DRVBOX_LOG_LEN_PORT)
		return false;
	if (!write || len != sizeof(v)) {
		if (!write)
			memset(data, 0xff, len);
		return true;
	}
	memcpy(&v, data, sizeof(v));
	pthread_mutex_lock(&log_lock);
	if (port == DRVBOX_LOG_PFN_PORT) {
		log_page = vmm__gpa((uint64_t)v * DRVBOX_LOG_PAGE,
				    DRVBOX_LOG_PAGE);
		pthread_mutex_unlock(&log_lock);
		if (log_page)
			vmm__log("the guest's console is on the log port now");
		else
			log_port__refuse("frame outside guest RAM", v);
		return true;
	}
	if (!log_page || v > DRVBOX_LOG_PAGE) {
		log_port__refuse(log_page ? "count" : "count without a page", v);
		pthread_mutex_unlock(&log_lock);
		return true;
	}
	memcpy(buf, log_page, v);	/* once: the guest may be writing it */
	pthread_mutex_unlock(&log_lock);
	console__puts(buf, v);
	return true;
}
