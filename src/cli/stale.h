/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a tunlaned killed with SIGKILL leaves behind: its socket, its stats
 * page and, if something still held a queue, its tun. `tunlane up` and
 * `tunlane down` remove them before they go on.
 */
#ifndef TUNLANE_STALE_H
#define TUNLANE_STALE_H

#include <stdbool.h>
#include <sys/types.h>

/* Removes IFNAME's leftovers when no daemon serves it any more: the number
 * of things removed (0: none, or a daemon is alive). */
int stale_cleanup(const char *ifname);
/* The state letter of /proc/PID/stat ('R', 'S', 'T', 'Z'...), 0 when there
 * is no such process; *is_tunlaned (if given) says whether its command is
 * tunlaned. */
char stale_proc_state(pid_t pid, bool *is_tunlaned);
/* A daemon that died uncleanly leaves at most its tun behind; any other
 * kind of link of that name is not ours to delete. */
bool stale_is_tun(const char *ifname);

#endif
