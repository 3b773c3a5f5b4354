/* SPDX-License-Identifier: GPL-2.0 */
/*
 * drvbox_stub: net exports (stub_net.c).  The export dispatch calls
 * stub_net_export_start() for a request of type DRVBOX_GUEST_DEV_NET and
 * stub_net_export_stop() on remove.
 */
#ifndef DRVBOX_STUB_NET_H
#define DRVBOX_STUB_NET_H

#include "stub.h"

struct stub_net;

int stub_net_export_start(struct stub_dev *sd, u32 index,
			  const struct drvbox_export_req *req,
			  struct stub_net **out);
void stub_net_export_stop(struct stub_net *sn);

#endif /* DRVBOX_STUB_NET_H */
