// SPDX-License-Identifier: GPL-2.0-only
#include "portprobe.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* 0 free, -EADDRINUSE taken, other -errno: cannot tell. */
static int portprobe_one(int family, uint16_t port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), zero = 0, ret = 0;

	if (fd < 0)
		return -errno;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (family == AF_INET6 ? bind(fd, (struct sockaddr *)&a6, sizeof(a6)) :
				 bind(fd, (struct sockaddr *)&a4, sizeof(a4)))
		ret = -errno;
	close(fd);
	return ret;
}

int portprobe_busy(uint16_t base, unsigned int n)
{
	for (unsigned int i = 0; i < n && base + i <= 65535; i++) {
		int ret = portprobe_one(AF_INET6, (uint16_t)(base + i));

		if (ret == -EAFNOSUPPORT)
			ret = portprobe_one(AF_INET, (uint16_t)(base + i));
		if (ret == -EADDRINUSE)
			return (int)i;
	}
	return -1;
}
