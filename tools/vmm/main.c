// SPDX-License-Identifier: GPL-2.0
/* drvbox-vmm: placeholder until the VMM lands. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "drvbox-vmm: not implemented yet\n");
	return 1;
}
