// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: a read-only MC146818 CMOS clock at ports 0x70/0x71.
 *
 * Linux reads the wall clock from it at boot; without it every register
 * reads 0xff ("update in progress" forever).  Registers hold the host's
 * UTC time in BCD; writes are ignored; no alarms, no periodic interrupt.
 */
#include <time.h>

#include "vmm.h"

static uint8_t rtc_index;

static uint8_t bcd(int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t rtc__read(uint8_t reg)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (reg) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return bcd(tm.tm_wday + 1);
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x32: return bcd((tm.tm_year + 1900) / 100);
	case 0x0a: return 0x26;		/* 32.768 kHz, no update in progress */
	case 0x0b: return 0x02;		/* 24 h, BCD */
	case 0x0c: return 0x00;
	case 0x0d: return 0x80;		/* battery good */
	default:   return 0x00;
	}
}

bool rtc__io(uint16_t port, bool write, uint8_t *data)
{
	if (port == 0x70) {
		if (write)
			rtc_index = *data & 0x7f;	/* bit 7: NMI mask */
		else
			*data = rtc_index;
		return true;
	}
	if (port == 0x71) {
		if (!write)
			*data = rtc__read(rtc_index);
		return true;
	}
	return false;
}

void rtc__save(struct dev_state *s)
{
	s->rtc_index = rtc_index;
}

void rtc__restore(const struct dev_state *s)
{
	rtc_index = s->rtc_index;
}
