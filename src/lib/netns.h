/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-network-namespace runtime state. /var/run is shared by every network
 * namespace on the host, so an interface's files there are kept apart by
 * namespace: the init namespace's (pid 1's) stay where they always were,
 * RUNSTATEDIR/tunlane, and another namespace's go to
 * RUNSTATEDIR/tunlane/netns/INODE (the inode of /proc/PID/ns/net). Each
 * daemon serves its UAPI on IFNAME.sock in its namespace's directory;
 * RUNSTATEDIR/wireguard/IFNAME.sock, the one path stock wg(8) knows, is
 * served by one daemon of that name, which relays clients of other
 * namespaces (master_uapi.c; docs/design.md, "Network namespaces").
 */
#ifndef TUNLANE_NETNS_H
#define TUNLANE_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct netns_id {
	dev_t dev;
	ino_t ino;
};

/* The network namespace of pid (0: the caller). 0 or -errno. */
int netns_of(pid_t pid, struct netns_id *id);
/*
 * The kernel's cookie of the network namespace a socket lives in
 * (SO_NETNS_COOKIE, Linux 5.14): unique for the boot, never reused, so
 * unlike a pid or an inode it cannot come to name another namespace. An
 * AF_UNIX socket returned by accept() lives in the namespace of the
 * socket that connected (the kernel creates it there), so on an accepted
 * fd this is the client's namespace. 0 or -errno (-ENOPROTOOPT: too old
 * a kernel).
 */
int netns_cookie(int fd, uint64_t *cookie);
/* The cookie of the caller's network namespace. 0 or -errno. */
int netns_cookie_self(uint64_t *cookie);
/*
 * A new AF_UNIX stream socket (SOCK_CLOEXEC) in the network namespace
 * that nsfd (an open /proc/PID/ns/net) names: the calling thread enters
 * it, creates the socket and goes back to selffd (its own namespace's
 * file). A socket's namespace is fixed when it is made. The namespace's
 * id goes to *id. fd or -errno; when going back fails the process must
 * not go on (-ENOTRECOVERABLE).
 */
int netns_socket_in(int nsfd, int selffd, struct netns_id *id);
bool netns_equal(const struct netns_id *a, const struct netns_id *b);
/* Whether id is the init namespace (pid 1's). false when pid 1's cannot
 * be read (a sandbox whose pid 1 is outside our user namespace): then
 * every namespace is kept apart, none has the old places. */
bool netns_is_init(const struct netns_id *id);
/* The state directory of id (NULL: the caller's namespace). 0 or -errno
 * (-ENAMETOOLONG). */
int netns_dir(const struct netns_id *id, char *out, size_t len);
/* DIR/IFNAME.SUFFIX in id's state directory (NULL: the caller's). */
int netns_path(const struct netns_id *id, const char *ifname,
	       const char *suffix, char *out, size_t len);
/* Creates the caller's state directory (and the ones above it) if
 * needed, and refuses one that is not a directory owned by us and
 * writable by us alone: a name others could create first would let them
 * stop a daemon from starting. 0 or -errno. */
int netns_mkdir(void);
/*
 * A namespace's directory is never removed: a daemon that removed it as
 * its last file went would race with another one starting there. An
 * empty directory of a namespace that is gone costs nothing, and one
 * whose inode a later namespace reuses holds nothing live (a stale socket
 * answers ECONNREFUSED; stale.c removes what a dead daemon left).
 */

#endif
