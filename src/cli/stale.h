/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a tunlaned killed with SIGKILL leaves behind: its socket, its stats
 * page and, if something still held a queue, its tun. `tunlane up` and
 * `tunlane down` remove them before they go on.
 */
#ifndef TUNLANE_STALE_H
#define TUNLANE_STALE_H

/* Removes IFNAME's leftovers when no daemon serves it any more: the number
 * of things removed (0: none, or a daemon is alive). */
int stale_cleanup(const char *ifname);

#endif
