// SPDX-License-Identifier: GPL-2.0
/*
 * drvbox-vmm: a 16550A UART at 0x3f8, IRQ 4, output only.
 *
 * Transmission is instant: a byte written to THR goes to the console log
 * and THR is empty again at once.  The transmit-holding-register-empty
 * interrupt matters: the kernel's console writes poll LSR, but userspace
 * output (/init on /dev/console) goes through the tty layer, which waits
 * for THRE interrupts.  Nothing is ever received.
 */
#include <string.h>

#include "vmm.h"

#define SERIAL_BASE	0x3f8

#define UART_IER_RDI	0x01
#define UART_IER_THRI	0x02
#define UART_IIR_NO_INT	0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_FIFO	0xc0
#define UART_FCR_ENABLE	0x01
#define UART_LCR_DLAB	0x80
#define UART_MCR_LOOP	0x10
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40

static struct {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending;	/* THRE interrupt raised, not yet acknowledged */
	int irq_level;
} uart = { .lock = PTHREAD_MUTEX_INITIALIZER, .dll = 12 };

void serial__init(void)
{
	uart.thre_pending = false;
	uart.irq_level = 0;
}

/* Level as the IER and pending state say; KVM sees the edges. */
static void serial__update_irq(void)
{
	int level = (uart.ier & UART_IER_THRI) && uart.thre_pending;

	if (level != uart.irq_level) {
		uart.irq_level = level;
		kvm__irq_line(SERIAL_IRQ, level);
	}
}

static uint8_t serial__msr(void)
{
	if (uart.mcr & UART_MCR_LOOP)	/* loopback: outputs echo as inputs */
		return ((uart.mcr & 0x02) << 3) | ((uart.mcr & 0x01) << 5) |
		       ((uart.mcr & 0x04) << 4) | ((uart.mcr & 0x08) << 4);
	return 0xb0;			/* DCD, DSR, CTS */
}

bool serial__io(uint16_t port, bool write, uint8_t *data)
{
	uint8_t reg, v = *data;

	if (port < SERIAL_BASE || port > SERIAL_BASE + 7)
		return false;
	reg = port - SERIAL_BASE;
	pthread_mutex_lock(&uart.lock);
	if (write) {
		switch (reg) {
		case 0:
			if (uart.lcr & UART_LCR_DLAB) {
				uart.dll = v;
			} else {
				if (!(uart.mcr & UART_MCR_LOOP))
					console__put(v);
				/* sent at once: THR empty again */
				uart.thre_pending = true;
			}
			break;
		case 1:
			if (uart.lcr & UART_LCR_DLAB) {
				uart.dlm = v;
			} else {
				/* enabling THRI with THR empty raises it */
				if (!(uart.ier & UART_IER_THRI) &&
				    (v & UART_IER_THRI))
					uart.thre_pending = true;
				uart.ier = v & 0x0f;
			}
			break;
		case 2:
			uart.fcr = v;
			break;
		case 3:
			uart.lcr = v;
			break;
		case 4:
			uart.mcr = v & 0x1f;
			break;
		case 7:
			uart.scr = v;
			break;
		}
	} else {
		switch (reg) {
		case 0:
			v = (uart.lcr & UART_LCR_DLAB) ? uart.dll : 0;
			break;
		case 1:
			v = (uart.lcr & UART_LCR_DLAB) ? uart.dlm : uart.ier;
			break;
		case 2:
			if ((uart.ier & UART_IER_THRI) && uart.thre_pending) {
				v = UART_IIR_THRI;
				uart.thre_pending = false;	/* read acks it */
			} else {
				v = UART_IIR_NO_INT;
			}
			if (uart.fcr & UART_FCR_ENABLE)
				v |= UART_IIR_FIFO;
			break;
		case 3:
			v = uart.lcr;
			break;
		case 4:
			v = uart.mcr;
			break;
		case 5:
			v = UART_LSR_THRE | UART_LSR_TEMT;
			break;
		case 6:
			v = serial__msr();
			break;
		case 7:
			v = uart.scr;
			break;
		}
		*data = v;
	}
	serial__update_irq();
	pthread_mutex_unlock(&uart.lock);
	return true;
}

/* For the boot image: the registers; the line is raised again if due. */
void serial__save(struct dev_state *s)
{
	pthread_mutex_lock(&uart.lock);
	s->uart[0] = uart.ier;
	s->uart[1] = uart.lcr;
	s->uart[2] = uart.mcr;
	s->uart[3] = uart.scr;
	s->uart[4] = uart.fcr;
	s->uart[5] = uart.dll;
	s->uart[6] = uart.dlm;
	s->uart[7] = uart.thre_pending;
	pthread_mutex_unlock(&uart.lock);
}

void serial__restore(const struct dev_state *s)
{
	pthread_mutex_lock(&uart.lock);
	uart.ier = s->uart[0] & 0x0f;
	uart.lcr = s->uart[1];
	uart.mcr = s->uart[2] & 0x1f;
	uart.scr = s->uart[3];
	uart.fcr = s->uart[4];
	uart.dll = s->uart[5];
	uart.dlm = s->uart[6];
	uart.thre_pending = s->uart[7] != 0;
	uart.irq_level = 0;
	serial__update_irq();
	pthread_mutex_unlock(&uart.lock);
}
