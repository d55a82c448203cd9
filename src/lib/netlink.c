// SPDX-License-Identifier: GPL-2.0-only
/* rtnetlink requests (RFC 3549; linux/rtnetlink.h) built with libmnl. */
#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
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

int nl_addr_add(const char *ifname, const struct prefix *p)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = nl_link_index(ifname);
	size_t alen = p->family == AF_INET ? 4 : 16;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (idx < 0)
		return idx;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
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

int nl_route_add(const char *ifname, const struct prefix *p, uint32_t table)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = nl_link_index(ifname);
	size_t alen = p->family == AF_INET ? 4 : 16;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	if (idx < 0)
		return idx;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
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
