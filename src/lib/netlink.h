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
int nl_addr_del(const char *ifname, const struct prefix *p);	/* -EADDRNOTAVAIL if absent */
/* Adds a route for prefix via ifname in table (0 = main); -EEXIST when
 * that route exists already (it is not replaced). */
int nl_route_add(const char *ifname, const struct prefix *p,
		 uint32_t table);
/* Deletes that route through ifname; -ESRCH when there is none. */
int nl_route_del(const char *ifname, const struct prefix *p,
		 uint32_t table);
/*
 * IPv6 address generation off (IN6_ADDR_GEN_MODE_NONE, `ip link set IF
 * addrgenmode none`): a tunnel has no use for a link-local address, and
 * router solicitations sent from one would only be dropped by the peer.
 * Call it before the link goes up. -EAFNOSUPPORT when IPv6 is off.
 */
int nl_link_set_addrgenmode_none(const char *ifname);

/* One policy routing rule (`ip rule`), as wg-quick adds for a full tunnel:
 *   not fwmark M table T          -> { .fwmark = M, .invert = true, .table = T }
 *   table main suppress_prefixlength 0
 *                                 -> { .table = 254, .suppress_prefixlen = 0 }
 * priority 0 lets the kernel pick; suppress_prefixlen -1 means none. */
struct nl_rule {
	int family;			/* AF_INET or AF_INET6 */
	uint32_t priority;
	uint32_t table;
	uint32_t fwmark;		/* 0: no fwmark match */
	bool invert;
	int suppress_prefixlen;
};

int nl_rule_add(const struct nl_rule *r);	/* -EEXIST if identical */
int nl_rule_del(const struct nl_rule *r);	/* -ENOENT if absent */
/* The lowest non-zero priority among family's rules (32766, main's, on a
 * host without rules of its own): the kernel's own choice for a new rule
 * is one below it. 0 or -errno. */
int nl_rule_min_priority(int family, uint32_t *prio);
/* 1 when any IPv4 or IPv6 route lives in table, else 0; or -errno. */
int nl_table_in_use(uint32_t table);
/* Calls cb for each address on ifname (v4 and v6) until cb returns
 * non-zero, which is returned; 0 at the end, or -errno. */
int nl_addr_list(const char *ifname,
		 int (*cb)(const struct prefix *p, void *arg), void *arg);

/* Sets tx queue i's XPS CPU mask through sysfs (no netlink for it). */
int nl_set_xps(const char *ifname, unsigned int queue, int cpu);

#endif
