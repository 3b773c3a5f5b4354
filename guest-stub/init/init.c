// SPDX-License-Identifier: GPL-2.0
/* drvbox-init: placeholder until the guest init lands. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "drvbox-init: not implemented yet\n");
	return 1;
}
