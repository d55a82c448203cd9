// SPDX-License-Identifier: GPL-2.0-only
#include "udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"

#define UDP_SOCKET_BUFFER (4 << 20)

int udp_set_fwmark(int fd, uint32_t mark)
{
	return setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0 ?
		       -errno : 0;
}

static int udp_open_one(int family, uint16_t port, uint32_t fwmark)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd, zero = 0, sz = UDP_SOCKET_BUFFER, ret;

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
		      int family)
{
	for (unsigned int i = 0; i < n; i++) {
		fds[i] = udp_open_one(family, (uint16_t)(base + i), fwmark);
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

int udp_open_lanes(int *fds, unsigned int n, uint16_t base, uint32_t fwmark,
		   uint16_t *base_out, int *family)
{
	int fam = AF_INET6, ret = -EADDRINUSE;

	if (base && (unsigned int)base + n - 1 > 65535)
		return -ERANGE;
	for (int attempt = 0; attempt < 64; attempt++) {
		uint16_t b = base ? base : (n == 1 ? 0 : random_base(n));

		ret = open_range(fds, n, b, fwmark, fam);
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

void udp_close_all(int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}
