/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Service-manager readiness (sd_notify(3)): tunlaned tells systemd when the
 * interface is configured and carrying traffic, so units ordered after
 * tunlane@IFNAME.service start only then. Without NOTIFY_SOCKET these
 * calls do nothing.
 */
#ifndef TUNLANE_NOTIFY_H
#define TUNLANE_NOTIFY_H

#include <stdbool.h>

/* Whether a service manager asked for notifications (NOTIFY_SOCKET). */
bool notify_wanted(void);
void notify_ready(const char *ifname, unsigned int lanes);
/* The status line alone, after a live Lanes change. */
void notify_lanes(const char *ifname, unsigned int lanes);
void notify_stopping(void);

#endif
