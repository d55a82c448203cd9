/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Multi-queue tun (Documentation/networking/tuntap.rst, "Multiqueue
 * tuntap"): every TUNSETIFF with IFF_MULTI_QUEUE on a fresh /dev/net/tun
 * fd adds one queue to the same interface, one per lane.
 */
#ifndef TUNLANE_TUN_H
#define TUNLANE_TUN_H

#include <stdbool.h>
#include <sys/uio.h>
#include <stddef.h>
#include <sys/types.h>

struct offload_out;
struct wg_device;

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
/* Detaches (attach false) or attaches again a queue the master keeps
 * open (TUNSETQUEUE): a detached queue gets no packets, and attaching it
 * needs no interface name, so it works wherever the interface now is. A
 * queue attaches at the end of the kernel's list. 0 or -errno. */
int tun_set_queue(int fd, bool attach);
/* The interface MTU, or -errno. */
int tun_get_mtu(const char *ifname);

/*
 * Reads one packet from dev's queue into buf (behind its virtio_net_hdr
 * when dev->vnet_hdr). Bytes read, or -errno: -EAGAIN when none waits,
 * -EBADFD or -EIO when the interface was deleted.
 */
ssize_t tun_read(struct wg_device *dev, void *buf, size_t len);
/* Writes o to dev's queue, with o->vh in front when dev->vnet_hdr and
 * o's payload iovecs (pay[o->pay] on, offload_gro_batch_iov()) behind; a
 * refused write counts as DROP_TX_ERROR. */
void tun_write(struct wg_device *dev, const struct offload_out *o,
	       const struct iovec *pay);

#endif
