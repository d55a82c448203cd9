/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lanes' UDP sockets, both directions: lane i is bound to base port
 * + i and sends to its peer's port + i.
 */
#ifndef TUNLANE_UDP_H
#define TUNLANE_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "endpoint.h"

struct wg_device;
struct wg_peer;

#define UDP_BATCH 64

/* Headers for one recvmmsg batch: sources and UDP_GRO control messages. */
struct udp_batch {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iovs[UDP_BATCH];
	union endpoint srcs[UDP_BATCH];
	char cmsg[UDP_BATCH][CMSG_SPACE(sizeof(int))];
};

/* Opens one socket per lane on consecutive ports from base (0 = pick a
 * free random base). Dual-stack IPv6 when the host has IPv6, else IPv4.
 * On success fills fds, *base_out and *family; 0 or -errno. */
int udp_open_lanes(int *fds, unsigned int n, uint16_t base, uint32_t fwmark,
		   uint16_t *base_out, int *family);
/* The same, and also one SO_REUSEPORT group on the base port: fds[0] is
 * in it, shared[1..n-1] join it (shared[0] is set to -1). Per-peer lanes
 * (tunlaned(8)): every lane receives plain WireGuard on the base port. */
int udp_open_lanes_shared(int *fds, int *shared, unsigned int n, uint16_t base,
			  uint32_t fwmark, uint16_t *base_out, int *family);
/* Sets SO_MARK (needs CAP_NET_ADMIN, so only the master calls it). */
int udp_set_fwmark(int fd, uint32_t mark);
void udp_close_all(int *fds, unsigned int n);

/* Asks the kernel to coalesce datagrams (udp(7) UDP_GRO) on dev's socket. */
void udp_enable_gro(struct wg_device *dev);
/*
 * Reads up to UDP_BATCH datagrams from dev's socket (its shared ListenPort
 * socket while dev->rx_shared), datagram i into
 * bufs + i * stride (up to MESSAGE_MAX_SIZE bytes), with its source in
 * b->srcs[i]. The number read, or -errno (-EAGAIN: none waiting).
 */
int udp_recv_batch(struct wg_device *dev, struct udp_batch *b, uint8_t *bufs,
		   size_t stride);
/* The segment size of a UDP_GRO-coalesced datagram of len bytes (len when
 * there is no UDP_GRO control message, or one too short for its int). */
size_t udp_gro_size(struct msghdr *mh, size_t len);
/*
 * Sends n buffers to peer's endpoint on this lane's port, as one UDP GSO
 * send (all but the last of iov[0]'s size) when n > 1. Waits briefly for
 * room when the socket is full (dev->send_waits times per flush). 0 or
 * -errno.
 */
int udp_send(struct wg_peer *peer, struct iovec *iov, unsigned int n);
/* Sends one datagram to dst exactly (no lane offset). 0 or -errno. */
int udp_send_reply(struct wg_device *dev, const void *buf, size_t len,
		   const union endpoint *dst);

#endif
