/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rtnetlink through libmnl: what `ip` would do for an interface, without
 * running `ip`. All calls are synchronous and return 0 or -errno (the
 * kernel's NLMSG_ERROR code when it refused).
 */
#ifndef TUNLANE_NETLINK_H
#define TUNLANE_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "prefix.h"

int nl_link_index(const char *ifname);	/* > 0, or -ENODEV */
int nl_link_set_mtu(const char *ifname, unsigned int mtu);
int nl_link_set_up(const char *ifname, bool up);
int nl_link_delete(const char *ifname);
/* Adds an address (IPv6 with IFA_F_NODAD: a tunnel has no neighbours to
 * collide with, and DAD would delay the address by a second). */
int nl_addr_add(const char *ifname, const struct prefix *p);
/* Adds a route for prefix via ifname in table (0 = main); -EEXIST when
 * that route exists already (it is not replaced). */
int nl_route_add(const char *ifname, const struct prefix *p,
		 uint32_t table);
/* Sets tx queue i's XPS CPU mask through sysfs (no netlink for it). */
int nl_set_xps(const char *ifname, unsigned int queue, int cpu);

#endif
