// SPDX-License-Identifier: GPL-2.0-only
/*
 * Server mode's address arithmetic (tunshare(8), SERVER MODE): the client
 * subnet given with --pool is cut into one slice per lane, so that the
 * inner destination of a packet alone says which OpenVPN process holds
 * that client (tunshare/bpf/ts_server.bpf.c steers by it).
 *
 * For a.b.c.d/P: the first host address is the server's own (OpenVPN's
 * "server" directive does the same), the last one before the broadcast
 * address ends the range, and the hosts in between are shared out in
 * equal, contiguous slices; the remainder (fewer than N addresses) is left
 * unused. /24 with 2 lanes: server .1, lane 0 .2-.127, lane 1 .128-.253.
 */
#include "tunshare.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t pool_mask(unsigned int prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

/* "A.B.C.D/P" with P in 8..30, host bits zero; fills c's pool. */
int ts_pool_parse(struct ts_pool *p, const char *s, unsigned int lanes)
{
	char addr[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(s, '/');
	struct in_addr in;
	unsigned long prefix;
	uint32_t net, hosts;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (inet_pton(AF_INET, addr, &in) != 1 || errno || *end ||
	    end == slash + 1 || prefix < 8 || prefix > 30)
		return -EINVAL;
	net = ntohl(in.s_addr);
	if (net & ~pool_mask((unsigned int)prefix))
		return -EINVAL;
	/* Hosts after the server's address, before the broadcast address. */
	hosts = (~pool_mask((unsigned int)prefix)) - 2;
	if (!lanes || hosts / lanes < 1)
		return -ERANGE;
	p->net = net;
	p->prefix = (unsigned int)prefix;
	p->first = net + 2;
	p->size = hosts / lanes;
	return 0;
}

uint32_t ts_pool_server(const struct ts_pool *p)
{
	return p->net + 1;
}

uint32_t ts_pool_netmask(const struct ts_pool *p)
{
	return pool_mask(p->prefix);
}

/* Lane's slice, first and last address, host byte order. */
void ts_pool_slice(const struct ts_pool *p, unsigned int lane,
		   uint32_t *start, uint32_t *end)
{
	*start = p->first + lane * p->size;
	*end = *start + p->size - 1;
}

/* The lane holding addr, or -1 outside every slice: the same arithmetic
 * as ts_tun_steer() in ts_server.bpf.c, kept here for the unit test and
 * for `tunshare show`. */
int ts_pool_lane(const struct ts_pool *p, unsigned int lanes, uint32_t addr)
{
	uint32_t off = addr - p->first;

	if (addr < p->first || off / p->size >= lanes)
		return -1;
	return (int)(off / p->size);
}

/* Dotted quad of a host-order address into buf (INET_ADDRSTRLEN). */
const char *ts_pool_ntop(uint32_t addr, char *buf)
{
	struct in_addr in = { .s_addr = htonl(addr) };

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}
