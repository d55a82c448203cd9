// SPDX-License-Identifier: GPL-2.0-only
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ctl_send(int fd, const void *buf, size_t len, int pass_fd)
{
	uint32_t hdr = (uint32_t)len;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &hdr, .iov_len = sizeof(hdr) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (len > CTL_MAX_MESSAGE)
		return -EMSGSIZE;
	if (pass_fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	/* The fd rides on the header so the receiver always sees it first. */
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != sizeof(hdr))
		return -errno ? -errno : -EIO;
	return write_all(fd, buf, len);
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

static int read_all(int fd, uint8_t *p, size_t len, int timeout_ms)
{
	while (len) {
		ssize_t n;
		int ret = wait_readable(fd, timeout_ms);

		if (ret < 0)
			return ret;
		n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_header(int fd, uint32_t *hdr, int *recv_fd, int timeout_ms)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = hdr, .iov_len = sizeof(*hdr) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;
	int ret = wait_readable(fd, timeout_ms);

	if (ret < 0)
		return ret;
	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_WAITALL | MSG_CMSG_CLOEXEC);
	if (n == 0)
		return -EPIPE;
	if (n != sizeof(*hdr))
		return n < 0 ? -errno : -EPROTO;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(cm), sizeof(int));
			if (recv_fd)
				*recv_fd = got;
			else
				close(got);
		}
	return 0;
}

int ctl_recv(int fd, char **buf, size_t *len, int *recv_fd, int timeout_ms)
{
	uint32_t hdr;
	char *p;
	int ret;

	if (recv_fd)
		*recv_fd = -1;
	ret = recv_header(fd, &hdr, recv_fd, timeout_ms);
	if (ret < 0)
		return ret;
	if (hdr > CTL_MAX_MESSAGE)
		return -EMSGSIZE;
	p = malloc(hdr + 1);
	if (!p)
		return -ENOMEM;
	ret = read_all(fd, (uint8_t *)p, hdr, timeout_ms < 0 ? 5000 : timeout_ms);
	if (ret < 0) {
		free(p);
		return ret;
	}
	p[hdr] = '\0';
	*buf = p;
	*len = hdr;
	return 0;
}
