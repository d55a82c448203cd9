// SPDX-License-Identifier: GPL-2.0-only
/* rtnetlink requests (RFC 3549; linux/rtnetlink.h) built with libmnl. */
#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int nl_link_index(const char *ifname)
{
	unsigned int idx = if_nametoindex(ifname);

	return idx ? (int)idx : -ENODEV;
}

/* Sends one request and waits for its ACK; returns the kernel's verdict. */
static int nl_talk(struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned int seq, portid;
	int ret;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_seq = seq = (unsigned int)time(NULL);
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	ret = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (ret > 0)
		ret = mnl_cb_run(buf, (size_t)ret, seq, portid, NULL, NULL);
	ret = ret < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags,
				 int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return nlh;
}

int nl_link_set_mtu(const char *ifname, unsigned int mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = nl_link_index(ifname);
	struct nlmsghdr *nlh;

	if (idx < 0)
		return idx;
	nlh = link_msg(buf, RTM_NEWLINK, 0, idx);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_talk(nlh);
}

int nl_link_set_up(const char *ifname, bool up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = nl_link_index(ifname);
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	if (idx < 0)
		return idx;
	nlh = link_msg(buf, RTM_NEWLINK, 0, idx);
	ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = up ? IFF_UP : 0;
	return nl_talk(nlh);
}

int nl_link_delete(const char *ifname)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = nl_link_index(ifname);

	if (idx < 0)
		return idx;
	return nl_talk(link_msg(buf, RTM_DELLINK, 0, idx));
}

static int addr_talk(const char *ifname, const struct prefix *p,
		     uint16_t type, uint16_t flags)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = nl_link_index(ifname);
	size_t alen = p->family == AF_INET ? 4 : 16;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (idx < 0)
		return idx;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)p->family;
	ifa->ifa_prefixlen = p->cidr;
	ifa->ifa_index = (uint32_t)idx;
	if (p->family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, alen, p->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, p->addr);
	return nl_talk(nlh);
}

int nl_addr_add(const char *ifname, const struct prefix *p)
{
	return addr_talk(ifname, p, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
}

int nl_addr_del(const char *ifname, const struct prefix *p)
{
	return addr_talk(ifname, p, RTM_DELADDR, 0);
}

static int route_talk(const char *ifname, const struct prefix *p,
		      uint32_t table, uint16_t type, uint16_t flags)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = nl_link_index(ifname);
	size_t alen = p->family == AF_INET ? 4 : 16;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (idx < 0)
		return idx;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)p->family;
	rtm->rtm_dst_len = p->cidr;
	rtm->rtm_table = table && table < 256 ? (uint8_t)table : RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, alen, p->addr);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)idx);
	if (table >= 256)
		mnl_attr_put_u32(nlh, RTA_TABLE, table);
	return nl_talk(nlh);
}

int nl_route_add(const char *ifname, const struct prefix *p, uint32_t table)
{
	return route_talk(ifname, p, table, RTM_NEWROUTE,
			  NLM_F_CREATE | NLM_F_EXCL);
}

int nl_route_del(const char *ifname, const struct prefix *p, uint32_t table)
{
	return route_talk(ifname, p, table, RTM_DELROUTE, 0);
}

int nl_link_set_addrgenmode_none(const char *ifname)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = nl_link_index(ifname);
	struct nlmsghdr *nlh;
	struct nlattr *spec, *inet6;

	if (idx < 0)
		return idx;
	nlh = link_msg(buf, RTM_NEWLINK, 0, idx);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
	return nl_talk(nlh);
}

/*
 * Sends a dump request and feeds every answer to cb until NLMSG_DONE.
 * cb returns MNL_CB_OK to go on, MNL_CB_STOP to end early (then the rest
 * of the dump is dropped with the socket). 0 or -errno.
 */
static int nl_dump(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	unsigned int seq, portid;
	ssize_t n;
	int ret;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq = (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	ret = MNL_CB_OK;
	while (ret == MNL_CB_OK &&
	       (n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
	ret = ret < 0 ? -errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

static struct nlmsghdr *rule_msg(char *buf, uint16_t type, uint16_t flags,
				 const struct nl_rule *r)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)r->family;
	frh->action = FR_ACT_TO_TBL;
	frh->table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	if (r->invert)
		frh->flags |= FIB_RULE_INVERT;
	mnl_attr_put_u32(nlh, FRA_TABLE, r->table);
	if (r->priority)
		mnl_attr_put_u32(nlh, FRA_PRIORITY, r->priority);
	/* The kernel matches the whole mark when no mask is given. */
	if (r->fwmark)
		mnl_attr_put_u32(nlh, FRA_FWMARK, r->fwmark);
	if (r->suppress_prefixlen >= 0)
		mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN,
				 (uint32_t)r->suppress_prefixlen);
	return nlh;
}

int nl_rule_add(const struct nl_rule *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_talk(rule_msg(buf, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r));
}

int nl_rule_del(const struct nl_rule *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_talk(rule_msg(buf, RTM_DELRULE, 0, r));
}

static int min_prio_cb(const struct nlmsghdr *nlh, void *data)
{
	uint32_t *min = data, prio = 0;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct fib_rule_hdr))
		if (mnl_attr_get_type(a) == FRA_PRIORITY &&
		    mnl_attr_get_payload_len(a) == 4)
			prio = mnl_attr_get_u32(a);
	if (prio && prio < *min)
		*min = prio;
	return MNL_CB_OK;
}

int nl_rule_min_priority(int family, uint32_t *prio)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;
	uint32_t min = UINT32_MAX;
	int ret;

	nlh->nlmsg_type = RTM_GETRULE;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = (uint8_t)family;
	ret = nl_dump(nlh, min_prio_cb, &min);
	if (ret < 0)
		return ret;
	*prio = min == UINT32_MAX ? 32766 : min;
	return 0;
}

struct table_find {
	uint32_t table;
	bool found;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_find *t = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	uint32_t table = rtm->rtm_table;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(*rtm))
		if (mnl_attr_get_type(a) == RTA_TABLE &&
		    mnl_attr_get_payload_len(a) == 4)
			table = mnl_attr_get_u32(a);
	if (table == t->table) {
		t->found = true;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

int nl_table_in_use(uint32_t table)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct table_find t = { .table = table };
	char buf[MNL_SOCKET_BUFFER_SIZE];

	for (size_t i = 0; i < 2 && !t.found; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
		struct rtmsg *rtm;
		int ret;

		nlh->nlmsg_type = RTM_GETROUTE;
		rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = (uint8_t)families[i];
		ret = nl_dump(nlh, table_cb, &t);
		if (ret < 0 && ret != -EAFNOSUPPORT)
			return ret;
	}
	return t.found;
}

struct addr_walk {
	int ifindex;
	int (*cb)(const struct prefix *p, void *arg);
	void *arg;
	int ret;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_walk *w = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
	struct prefix p = { .family = ifa->ifa_family,
			       .cidr = ifa->ifa_prefixlen };
	const struct nlattr *a;
	bool have = false;

	if ((int)ifa->ifa_index != w->ifindex ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return MNL_CB_OK;
	/* IFA_LOCAL is ours; IFA_ADDRESS is the far end on a point-to-point
	 * address, and the only one on IPv6. */
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		uint16_t type = mnl_attr_get_type(a);

		if ((type == IFA_LOCAL || (type == IFA_ADDRESS && !have)) &&
		    mnl_attr_get_payload_len(a) == alen) {
			memcpy(p.addr, mnl_attr_get_payload(a), alen);
			have = true;
		}
	}
	if (have && (w->ret = w->cb(&p, w->arg)) != 0)
		return MNL_CB_STOP;
	return MNL_CB_OK;
}

int nl_addr_list(const char *ifname,
		 int (*cb)(const struct prefix *p, void *arg), void *arg)
{
	struct addr_walk w = { .ifindex = nl_link_index(ifname), .cb = cb,
			       .arg = arg };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;
	int ret;

	if (w.ifindex < 0)
		return w.ifindex;
	nlh->nlmsg_type = RTM_GETADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	ret = nl_dump(nlh, addr_cb, &w);
	return ret < 0 ? ret : w.ret;
}

/* The cpumask text format: 32-bit hex words, most significant first,
 * separated by commas (bitmap_parse in lib/bitmap.c). */
static void cpu_mask(char *out, size_t len, int cpu)
{
	size_t off = 0;

	for (int w = cpu / 32; w >= 0 && off < len; w--)
		off += (size_t)snprintf(out + off, len - off, "%s%08x",
					w == cpu / 32 ? "" : ",",
					w == cpu / 32 ? 1U << (cpu % 32) : 0U);
	if (off < len - 1) {
		out[off] = '\n';
		out[off + 1] = '\0';
	}
}

int nl_set_xps(const char *ifname, unsigned int queue, int cpu)
{
	char path[128], mask[320];
	int fd, ret = 0;

	if (cpu < 0 || cpu >= 1024)
		return -ERANGE;
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues/tx-%u/xps_cpus",
		 ifname, queue);
	cpu_mask(mask, sizeof(mask), cpu);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, mask, strlen(mask)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
