/* SPDX-License-Identifier: GPL-2.0 */
/* drvbox CLI: PCI passthrough preparation (see pci.c). */
#ifndef DRVBOX_CLI_PCI_H
#define DRVBOX_CLI_PCI_H

#include <stddef.h>

/* 0 if @bdf looks like DDDD:BB:DD.F. */
int pci_bdf_valid(const char *bdf);

/* The driver @bdf is bound to, "" if none.  0 on success. */
int pci_current_driver(const char *bdf, char *out, size_t len);

/*
 * 0 if @bdf exists, has an IOMMU group, and neither it nor its group is in
 * use by the host; otherwise -1 with the reason in @why.
 */
int pci_check_free(const char *bdf, char *why, size_t len);

/* Bind @bdf to vfio-pci, saving the previous driver ("" if none). */
int pci_bind_vfio(const char *bdf, char *old_driver, size_t old_len,
		  char *why, size_t len);

/* Give @bdf back to the host: clear driver_override, reprobe. */
int pci_restore(const char *bdf, const char *old_driver, char *why,
		size_t len);

#endif
