/* SPDX-License-Identifier: GPL-2.0-only */
/* Whether this process may manage interfaces, checked before anything is
 * tried, so a user without the right gets one clear line at once. */
#ifndef TUNLANE_PRIVS_H
#define TUNLANE_PRIVS_H

#include <stdbool.h>

/* Root, or CAP_NET_ADMIN in the effective set. */
bool privs_can_admin(void);
/* Prints "PROG: must be run as root (or with CAP_NET_ADMIN)" and returns
 * -EPERM when privs_can_admin() is false; 0 otherwise. */
int privs_require_admin(const char *prog);

#endif
