/* SPDX-License-Identifier: GPL-2.0-only */
/* The stock UAPI path shared by every network namespace: who serves it,
 * and the relay to each namespace's own daemon (master_relay.c). */
#ifndef TUNLANE_MASTER_RELAY_H
#define TUNLANE_MASTER_RELAY_H

#include <stdbool.h>
#include <sys/types.h>

struct master;

/* A listening socket at path, owner only; its inode in *ino. fd or -errno. */
int master_relay_bind(const char *path, ino_t *ino);
/* Takes the stock path: the init namespace's daemon must (0 or -errno,
 * logged), any other tries once and then every second from the tick. */
int master_public_setup(struct master *m);
/* Adds the stock path's socket, if we serve it, to the epoll set. */
int master_public_watch(struct master *m);
/* Every second or so: takes the stock path over when it is free, notices
 * when it was removed. */
void master_public_tick(struct master *m);
void master_public_accept(struct master *m);
/* Lets go of the stock path (removing the socket if still ours). */
void master_public_release(struct master *m);
/* A "tunlane_yield=1" request: the init namespace's daemon wants the stock
 * path. 0, or -EPERM in the init namespace's daemon itself. */
int master_public_yield(struct master *m);
/* true when pid was a relay child (now forgotten). */
bool master_relay_reaped(pid_t pid);
/* Ends the relays still running (teardown). */
void master_relay_stop(void);

#endif
