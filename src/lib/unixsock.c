// SPDX-License-Identifier: GPL-2.0-only
#include "unixsock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int unixsock_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

int unixsock_connect_fd(int fd, const char *path, int timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };
	struct sockaddr_un sun;
	int ret;

	if ((ret = unixsock_addr(&sun, path)) < 0)
		return ret;
	if (timeout_s > 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -errno;
	return 0;
}

int unixsock_connect(const char *path, int timeout_s)
{
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((ret = unixsock_connect_fd(fd, path, timeout_s)) < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

bool unixsock_busy(const char *path, int timeout_s)
{
	int fd = unixsock_connect(path, timeout_s);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}
