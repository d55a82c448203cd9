/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Master <-> lane control channel: a stream socketpair carrying
 * length-prefixed UAPI texts, optionally with one fd (a new UDP socket)
 * passed by SCM_RIGHTS alongside.
 */
#ifndef TUNLANE_CTL_H
#define TUNLANE_CTL_H

#include <stddef.h>

#define CTL_MAX_MESSAGE (16U << 20)
/* A message whose header came must bring its body within this, when the
 * caller gave no deadline. */
#define CTL_BODY_TIMEOUT_MS 5000

/* 0 or -errno. pass_fd < 0 sends no fd. */
int ctl_send(int fd, const void *buf, size_t len, int pass_fd);
/* Receives one message into a malloc'd NUL-terminated buffer. recv_fd may
 * be NULL; gets -1 when none came. The whole message must arrive within
 * timeout_ms (-1: wait for ever for the header, then CTL_BODY_TIMEOUT_MS
 * for the rest): the deadline is per message, not per read. 0 or -errno
 * (-EPIPE on a closed peer, -ETIMEDOUT, -EMSGSIZE past the cap). */
int ctl_recv(int fd, char **buf, size_t *len, int *recv_fd, int timeout_ms);
/* The same, refusing (-EMSGSIZE) a message longer than max_len before
 * allocating anything for it. */
int ctl_recv_max(int fd, char **buf, size_t *len, int *recv_fd,
		 int timeout_ms, size_t max_len);

#endif
