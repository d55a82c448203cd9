// SPDX-License-Identifier: GPL-2.0-only
/*
 * The lanes' UDP sockets, in both directions: opening them (the master),
 * reading batches of datagrams with UDP GRO, and sending with UDP GSO and
 * to a lane's port (the lanes). Everything that touches a socket is here;
 * what the datagrams mean is receive.c's and send.c's business.
 */
#include "udp.h"

#include <errno.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmsg.h"
#include "crypto.h"
#include "device.h"
#include "log.h"

#define UDP_SOCKET_BUFFER (4 << 20)
/* A full socket buffer on send: how often to wait, and how long. */
#define SEND_RETRIES 3
#define SEND_WAIT_MS 5

int udp_set_fwmark(int fd, uint32_t mark)
{
	return setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0 ?
		       -errno : 0;
}

static int udp_open_one(int family, uint16_t port, uint32_t fwmark, bool reuse)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd, zero = 0, one = 1, sz = UDP_SOCKET_BUFFER, ret;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* One dual-stack socket carries both outer families for the lane. */
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	/* Bursts from the tun outrun the default 208 KiB buffers; FORCE works
	 * for root beyond rmem_max, the plain option is the fallback. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (fwmark && (ret = udp_set_fwmark(fd, fwmark)) < 0)
		goto err;
	/* Each datagram's destination, so a peer is answered from the
	 * address it sent to. A dual-stack socket reports IPv4 ones as
	 * v4-mapped IPV6_PKTINFO (and IP_PKTINFO would add a second). */
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	else
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	/* Only sockets of the same user may join the group (socket(7)). */
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		ret = -errno;
		goto err;
	}
	if (family == AF_INET6 ? bind(fd, (struct sockaddr *)&a6, sizeof(a6)) :
				 bind(fd, (struct sockaddr *)&a4, sizeof(a4))) {
		ret = -errno;
		goto err;
	}
	return fd;
err:
	close(fd);
	return ret;
}

int udp_open_port(int family, uint16_t port, uint32_t fwmark, bool reuse)
{
	return udp_open_one(family, port, fwmark, reuse);
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static int open_range(int *fds, unsigned int n, uint16_t base, uint32_t fwmark,
		      int family, bool reuse0)
{
	for (unsigned int i = 0; i < n; i++) {
		fds[i] = udp_open_one(family, (uint16_t)(base + i), fwmark,
				      reuse0 && i == 0);
		if (fds[i] < 0) {
			int ret = fds[i];

			udp_close_all(fds, i);
			return ret;
		}
	}
	return 0;
}

static uint16_t random_base(unsigned int n)
{
	uint32_t r = 0;

	crypto_random(&r, sizeof(r));
	/* Stay within the dynamic range 49152-65535 (RFC 6335 section 6). */
	return (uint16_t)(49152 + r % (65536 - 49152 - n));
}

/* The shared group: lane 0's socket (opened with SO_REUSEPORT) and one
 * more for each other lane on the same port. */
static int open_shared(int *own, int *shared, unsigned int n, int family,
		       uint32_t fwmark)
{
	uint16_t port = bound_port(own[0]);

	shared[0] = -1;		/* lane 0's is own[0] */
	for (unsigned int i = 1; i < n; i++) {
		shared[i] = udp_open_one(family, port, fwmark, true);
		if (shared[i] < 0) {
			int ret = shared[i];

			udp_close_all(shared, i);
			return ret;
		}
	}
	return 0;
}

static int open_lanes(int *fds, int *shared, unsigned int n, uint16_t base,
		      uint32_t fwmark, uint16_t *base_out, int *family)
{
	int fam = AF_INET6, ret = -EADDRINUSE;

	if (base && (unsigned int)base + n - 1 > 65535)
		return -ERANGE;
	for (int attempt = 0; attempt < 64; attempt++) {
		uint16_t b = base ? base : (n == 1 ? 0 : random_base(n));

		ret = open_range(fds, n, b, fwmark, fam, shared != NULL);
		if (ret == 0 && shared &&
		    (ret = open_shared(fds, shared, n, fam, fwmark)) < 0)
			udp_close_all(fds, n);
		if (ret == -EAFNOSUPPORT && fam == AF_INET6) {
			fam = AF_INET;	/* IPv6 disabled on this host */
			attempt--;
			continue;
		}
		if (ret == 0) {
			*base_out = bound_port(fds[0]);
			*family = fam;
			return 0;
		}
		if (base || ret != -EADDRINUSE)
			break;
	}
	return ret;
}

int udp_open_lanes(int *fds, unsigned int n, uint16_t base, uint32_t fwmark,
		   uint16_t *base_out, int *family)
{
	return open_lanes(fds, NULL, n, base, fwmark, base_out, family);
}

int udp_open_lanes_shared(int *fds, int *shared, unsigned int n, uint16_t base,
			  uint32_t fwmark, uint16_t *base_out, int *family)
{
	return open_lanes(fds, shared, n, base, fwmark, base_out, family);
}

void udp_close_all(int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* Build the destination in the socket's family: a dual-stack socket wants
 * IPv4 peers as v4-mapped IPv6 addresses. */
static socklen_t udp_dest(const struct wg_device *dev, const union endpoint *ep,
			  bool plain, union endpoint *out)
{
	uint16_t port = (uint16_t)(endpoint_port(ep) + (plain ? 0 : dev->lane));

	*out = *ep;
	if (dev->udp_family == AF_INET6 && ep->sa.sa_family == AF_INET) {
		memset(&out->in6, 0, sizeof(out->in6));
		out->in6.sin6_family = AF_INET6;
		out->in6.sin6_addr.s6_addr[10] = 0xff;
		out->in6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&out->in6.sin6_addr.s6_addr[12], &ep->in.sin_addr, 4);
	}
	endpoint_set_port(out, port);
	return endpoint_len(out);
}

/* Control buffer of one send: UDP_SEGMENT and the source address. */
union udp_cbuf {
	char buf[CMSG_SPACE(sizeof(uint16_t)) +
		 CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct cmsghdr align;
};

static struct cmsghdr *cmsg_add(struct msghdr *mh, int level, int type,
				const void *data, size_t len)
{
	struct cmsghdr *cm = (struct cmsghdr *)((char *)mh->msg_control +
						mh->msg_controllen);

	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	mh->msg_controllen += CMSG_SPACE(len);
	return cm;
}

/* The source as a control message, when its family is the destination's
 * (an IPv4 destination on a dual-stack socket is v4-mapped). */
static void cmsg_add_src(struct msghdr *mh, const struct endpoint_src *src,
			 const union endpoint *dst)
{
	bool v4 = dst->sa.sa_family == AF_INET ||
		  IN6_IS_ADDR_V4MAPPED(&dst->in6.sin6_addr);

	if (src->family == AF_INET && v4) {
		struct in_pktinfo pi = { .ipi_spec_dst = src->addr.v4 };

		cmsg_add(mh, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	} else if (src->family == AF_INET6 && !v4) {
		struct in6_pktinfo pi = { .ipi6_addr = src->addr.v6 };

		/* The interface only pins a link-local address. */
		if (IN6_IS_ADDR_LINKLOCAL(&src->addr.v6))
			pi.ipi6_ifindex = (unsigned int)src->ifindex;
		cmsg_add(mh, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	}
}

static void udp_control(struct msghdr *mh, union udp_cbuf *cb,
			const struct endpoint_src *src, uint16_t seg,
			unsigned int n)
{
	mh->msg_control = cb->buf;
	mh->msg_controllen = 0;
	if (n > 1)
		cmsg_add(mh, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg));
	if (src->family)
		cmsg_add_src(mh, src, mh->msg_name);
	if (!mh->msg_controllen)
		mh->msg_control = NULL;
}

/* A plain peer (tunlaned(8), per-peer lanes) is answered from the shared
 * ListenPort socket it used, at its own port. */
static int udp_peer_fd(const struct wg_peer *peer)
{
	const struct wg_device *dev = peer->dev;

	return peer->plain && dev->udp_shared_fd >= 0 ? dev->udp_shared_fd :
							dev->udp_fd;
}

int udp_send(struct wg_peer *peer, struct iovec *iov, unsigned int n)
{
	struct wg_device *dev = peer->dev;
	int fd = udp_peer_fd(peer);
	union udp_cbuf cb;
	union endpoint dst;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = n };
	uint16_t seg = (uint16_t)iov[0].iov_len;

	mh.msg_namelen = udp_dest(dev, &peer->endpoint, peer->plain, &dst);
	mh.msg_name = &dst;
	if (!mh.msg_namelen || fd < 0)
		return -EDESTADDRREQ;
	udp_control(&mh, &cb, &peer->src, seg, n);
	for (int tries = 0;; tries++) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };

		if (sendmsg(fd, &mh, MSG_DONTWAIT) >= 0)
			return 0;
		/* Our address went away (the kernel's WireGuard and
		 * wireguard-go do the same): forget it and let routing choose.
		 * Only on this error path, so the fast path pays nothing. */
		if ((errno == EINVAL || errno == EADDRNOTAVAIL ||
		     errno == ENETUNREACH) && peer->src.family) {
			memset(&peer->src, 0, sizeof(peer->src));
			udp_control(&mh, &cb, &peer->src, seg, n);
			tries--;
			continue;
		}
		/* A full socket buffer is back-pressure, not loss: wait a
		 * little for room rather than drop a whole GSO batch, but no
		 * more than SEND_WAITS times per flush, so a stuck socket
		 * cannot starve the lane's receive side and timers. */
		if (errno != EAGAIN || tries == SEND_RETRIES || !dev->send_waits)
			return -errno;
		dev->send_waits--;
		poll(&pfd, 1, SEND_WAIT_MS);
	}
}

size_t udp_msg_meta(struct msghdr *mh, size_t len, struct endpoint_src *local)
{
	size_t seg = len;

	memset(local, 0, sizeof(*local));
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_UDP && cm->cmsg_type == UDP_GRO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int s;

			memcpy(&s, CMSG_DATA(cm), sizeof(s));
			seg = s > 0 ? (size_t)s : len;
		} else if (cm->cmsg_level == IPPROTO_IP &&
			   cm->cmsg_type == IP_PKTINFO &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			local->family = AF_INET;
			local->ifindex = pi.ipi_ifindex;
			local->addr.v4 = pi.ipi_addr;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
			   cm->cmsg_type == IPV6_PKTINFO &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			local->ifindex = (int)pi.ipi6_ifindex;
			if (IN6_IS_ADDR_V4MAPPED(&pi.ipi6_addr)) {
				local->family = AF_INET;
				memcpy(&local->addr.v4, &pi.ipi6_addr.s6_addr[12], 4);
			} else {
				local->family = AF_INET6;
				local->addr.v6 = pi.ipi6_addr;
			}
		}
	}
	return seg;
}

static void udp_prepare_rx(struct udp_batch *b, uint8_t *bufs, size_t stride)
{
	for (int i = 0; i < UDP_BATCH; i++) {
		struct msghdr *mh = &b->msgs[i].msg_hdr;

		b->iovs[i].iov_base = bufs + (size_t)i * stride;
		b->iovs[i].iov_len = MESSAGE_MAX_SIZE;
		mh->msg_iov = &b->iovs[i];
		mh->msg_iovlen = 1;
		mh->msg_name = &b->srcs[i];
		mh->msg_namelen = sizeof(b->srcs[i]);
		mh->msg_control = b->cmsg[i];
		mh->msg_controllen = sizeof(b->cmsg[i]);
		mh->msg_flags = 0;
	}
}

int udp_recv_batch(struct wg_device *dev, struct udp_batch *b, uint8_t *bufs,
		   size_t stride)
{
	int n;

	udp_prepare_rx(b, bufs, stride);
	n = recvmmsg(dev->rx_shared ? dev->udp_shared_fd : dev->udp_fd, b->msgs,
		     UDP_BATCH, MSG_DONTWAIT, NULL);
	return n < 0 ? -errno : n;
}
void udp_enable_gro(struct wg_device *dev)
{
	int one = 1;

	if (setsockopt(dev->udp_fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one)) < 0)
		log_debug("UDP GRO unavailable: %s", strerror(errno));
	if (dev->udp_shared_fd >= 0)
		setsockopt(dev->udp_shared_fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one));
}

int udp_send_reply(struct wg_device *dev, const void *buf, size_t len,
		   const union endpoint *dst)
{
	int fd = dev->rx_shared && dev->udp_shared_fd >= 0 ? dev->udp_shared_fd :
							     dev->udp_fd;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_name = (void *)dst,
			     .msg_namelen = endpoint_len(dst),
			     .msg_iov = &iov, .msg_iovlen = 1 };
	union udp_cbuf cb;

	/* From the socket, and to the address, the datagram being answered
	 * came in on. */
	udp_control(&mh, &cb, &dev->rx_local, 0, 1);
	if (sendmsg(fd, &mh, MSG_DONTWAIT) == (ssize_t)len)
		return 0;
	/* The address it came to is gone already: let routing choose. */
	if (mh.msg_control && (errno == EINVAL || errno == EADDRNOTAVAIL ||
			       errno == ENETUNREACH) &&
	    sendto(fd, buf, len, MSG_DONTWAIT, &dst->sa,
		   endpoint_len(dst)) == (ssize_t)len)
		return 0;
	return -errno;
}
