// SPDX-License-Identifier: GPL-2.0-only
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "cmsg.h"

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

	if (len > CTL_MAX_MESSAGE)
		return -EMSGSIZE;
	if (pass_fd >= 0)
		cmsg_put_one(&mh, cbuf, sizeof(cbuf), SOL_SOCKET, SCM_RIGHTS,
			     &pass_fd, sizeof(pass_fd));
	/* The fd rides on the header so the receiver always sees it first. */
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != sizeof(hdr))
		return errno ? -errno : -EIO;
	return write_all(fd, buf, len);
}

/*
 * Waits until fd is readable or the message's deadline (-1: none) passes.
 * One deadline for the whole message, not one per read: a peer trickling a
 * byte at a time must not hold the reader for longer than it allows.
 * A deadline already passed still polls once, without waiting: the master
 * collects every lane's reply within one shared deadline, and a reply that
 * is already here must be read, not taken for a lane that stopped answering.
 */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do {
		int64_t left = deadline < 0 ? -1 : deadline - clock_mono_ms();

		if (deadline >= 0 && left < 0)
			left = 0;
		n = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
	} while ((n < 0 && errno == EINTR) || (n == 0 && deadline < 0));
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

static int read_all(int fd, uint8_t *p, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n;
		int ret = wait_readable(fd, deadline);

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

/*
 * The header and its fd come in one recvmsg when the sender wrote them in
 * one sendmsg; a header split across reads (a sender that trickles) is
 * finished by read_all, within the same deadline.
 */
static int recv_header(int fd, uint32_t *hdr, int *recv_fd, int64_t deadline)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = hdr, .iov_len = sizeof(*hdr) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;
	int ret;

	do {
		ret = wait_readable(fd, deadline);
		if (ret < 0)
			return ret;
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	} while (n < 0 && (errno == EINTR || errno == EAGAIN));
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(cm), sizeof(int));
			if (recv_fd)
				*recv_fd = got;
			else
				close(got);
		}
	if ((size_t)n < sizeof(*hdr))
		return read_all(fd, (uint8_t *)hdr + n, sizeof(*hdr) - (size_t)n,
				deadline);
	return 0;
}

int ctl_recv_max(int fd, char **buf, size_t *len, int *recv_fd,
		 int timeout_ms, size_t max_len)
{
	int64_t deadline = timeout_ms < 0 ? -1 : clock_mono_ms() + timeout_ms;
	uint32_t hdr;
	char *p;
	int ret;

	if (recv_fd)
		*recv_fd = -1;
	ret = recv_header(fd, &hdr, recv_fd, deadline);
	if (ret == 0 && (hdr > CTL_MAX_MESSAGE || hdr > max_len))
		ret = -EMSGSIZE;
	if (ret < 0)
		goto fail;
	p = malloc((size_t)hdr + 1);
	if (!p) {
		ret = -ENOMEM;
		goto fail;
	}
	/* A message with no deadline still gets one for its body: once the
	 * header is here, the rest is owed at once. */
	if (deadline < 0)
		deadline = clock_mono_ms() + CTL_BODY_TIMEOUT_MS;
	ret = read_all(fd, (uint8_t *)p, hdr, deadline);
	if (ret < 0) {
		free(p);
		goto fail;
	}
	p[hdr] = '\0';
	*buf = p;
	*len = hdr;
	return 0;
fail:
	if (recv_fd && *recv_fd >= 0) {
		close(*recv_fd);
		*recv_fd = -1;
	}
	return ret;
}

int ctl_recv(int fd, char **buf, size_t *len, int *recv_fd, int timeout_ms)
{
	return ctl_recv_max(fd, buf, len, recv_fd, timeout_ms, CTL_MAX_MESSAGE);
}
