/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The lanes' UDP sockets, both directions: lane i is bound to base port
 * + i and sends to its peer's port + i.
 */
#ifndef TUNLANE_UDP_H
#define TUNLANE_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include "endpoint.h"

struct wg_device;
struct wg_peer;

#define UDP_BATCH 64

/* Headers for one recvmmsg batch: sources and UDP_GRO control messages. */
struct udp_batch {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iovs[UDP_BATCH];
	union endpoint srcs[UDP_BATCH];
	/* UDP_GRO's segment size and IP_PKTINFO or IPV6_PKTINFO for each
	 * datagram (room for both, should a kernel send both). */
	char cmsg[UDP_BATCH][CMSG_SPACE(sizeof(int)) +
			     CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			     CMSG_SPACE(sizeof(struct in_pktinfo))];
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
/* One more socket of a running set (a lane added live, tunlaned(8)):
 * port in family, SO_REUSEPORT when it joins the shared group. fd or
 * -errno. */
int udp_open_port(int family, uint16_t port, uint32_t fwmark, bool reuse);
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
/* The segment size of a UDP_GRO-coalesced datagram of len bytes, and in
 * *local the address it was sent to (family 0 when not reported). */
size_t udp_msg_meta(struct msghdr *mh, size_t len, struct endpoint_src *local);
/*
 * Sends n buffers to peer's endpoint on this lane's port, as one UDP GSO
 * send (all but the last of iov[0]'s size) when n > 1, from peer->src
 * when set (one control message for the whole batch). Waits briefly for
 * room when the socket is full (dev->send_waits times per flush). When
 * the source address is gone, clears peer->src and sends again. 0 or
 * -errno.
 */
int udp_send(struct wg_peer *peer, struct iovec *iov, unsigned int n);
/* Sends one datagram to dst exactly (no lane offset), from the address
 * the datagram being answered came to (dev->rx_local). 0 or -errno. */
int udp_send_reply(struct wg_device *dev, const void *buf, size_t len,
		   const union endpoint *dst);

#endif
