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
 * With vnet_hdr every read and write carries a struct virtio_net_hdr.
 * Returns the fd (non-blocking, close-on-exec) or -errno. */
int tun_open_queue(const char *ifname, bool vnet_hdr);
/*
 * Turns on checksum offload and TSO (and UDP segmentation offload where the
 * kernel has it) for the interface, so reads return super-packets of up to
 * 64 KiB. Returns the TUN_F_* flags in force, or -errno when none could be
 * enabled.
 */
int tun_set_offload(int fd);
/* The interface MTU, or -errno. */
int tun_get_mtu(const char *ifname);

#endif
