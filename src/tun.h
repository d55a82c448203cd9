/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Multi-queue tun (Documentation/networking/tuntap.rst, "Multiqueue
 * tuntap"): every TUNSETIFF with IFF_MULTI_QUEUE on a fresh /dev/net/tun
 * fd adds one queue to the same interface, one per lane.
 */
#ifndef TUNLANE_TUN_H
#define TUNLANE_TUN_H

#include <stdbool.h>

/* Opens one queue of ifname, creating the interface on the first call.
 * Returns the fd (non-blocking, close-on-exec) or -errno. */
int tun_open_queue(const char *ifname);
/* Detaches a queue so the kernel stops steering flows to it (a dead lane),
 * or attaches it again. 0 or -errno. */
int tun_set_queue(int fd, bool attach);
/* The interface MTU, or -errno. */
int tun_get_mtu(const char *ifname);

#endif
