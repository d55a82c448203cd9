/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Client connections to UNIX stream sockets by path: the CLI's UAPI
 * connections, the master's checks of its socket paths, the relay and
 * stale-socket cleanup all connect this one way.
 */
#ifndef TUNLANE_UNIXSOCK_H
#define TUNLANE_UNIXSOCK_H

#include <stdbool.h>
#include <sys/un.h>

/* sun for path, or -ENAMETOOLONG. */
int unixsock_addr(struct sockaddr_un *sun, const char *path);

/*
 * Connects the stream socket fd to path, blocking, with SO_RCVTIMEO and
 * SO_SNDTIMEO of timeout_s seconds (0: none, so connect may wait on a full
 * backlog). 0, or -ENAMETOOLONG or connect's -errno (-ECONNREFUSED: a
 * socket file nobody listens on); fd stays open either way.
 */
int unixsock_connect_fd(int fd, const char *path, int timeout_s);

/* The same on a new close-on-exec socket: fd or -errno. */
int unixsock_connect(const char *path, int timeout_s);

/* Someone listens at path (a connection succeeds). */
bool unixsock_busy(const char *path, int timeout_s);

#endif
