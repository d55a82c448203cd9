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

/* 0 or -errno. pass_fd < 0 sends no fd. */
int ctl_send(int fd, const void *buf, size_t len, int pass_fd);
/* Receives one message into a malloc'd NUL-terminated buffer. recv_fd may
 * be NULL; gets -1 when none came. Waits at most timeout_ms (-1 forever).
 * 0 or -errno (-EPIPE on a closed peer, -ETIMEDOUT). */
int ctl_recv(int fd, char **buf, size_t *len, int *recv_fd, int timeout_ms);

#endif
