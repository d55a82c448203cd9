// SPDX-License-Identifier: GPL-2.0-only
/*
 * UDP endpoints in the text form WireGuard's UAPI and `wg` use:
 * "a.b.c.d:port" and "[v6]:port" (the brackets of RFC 3986 section 3.2.2,
 * so the port separator is unambiguous). Parsing is numeric only: no DNS
 * in the daemon, `wg`/`tunlane` resolve names before they send them.
 *
 * A link-local IPv6 endpoint needs its zone, and `wg` sends one as
 * "[fe80::1%eth0]:port" (RFC 4007 section 11), so "%zone" is accepted as
 * an interface name or number and printed back by name.
 */
#include "endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

/* Decimal 0..65535 with 1 to 5 digits and nothing else. */
static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n < 1 || n > 5)
		return -EINVAL;
	for (i = 0; i < n; ++i) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* RFC 4007 section 11: a zone is an interface name or a numeric index. */
static int parse_scope(const char *zone, uint32_t *scope_id)
{
	unsigned long v = 0;
	size_t i, n = strlen(zone);

	if (n == 0 || n >= IF_NAMESIZE)
		return -EINVAL;
	for (i = 0; i < n && zone[i] >= '0' && zone[i] <= '9'; ++i)
		v = v * 10 + (unsigned long)(zone[i] - '0');
	if (i == n && n <= 9) {
		*scope_id = (uint32_t)v;
		return 0;
	}
	*scope_id = if_nametoindex(zone);
	return *scope_id ? 0 : -EINVAL;
}

/* host is the text between the brackets, possibly with "%zone". */
static int parse_v6(struct sockaddr_in6 *in6, char *host, const char *port)
{
	char *zone = strchr(host, '%');

	if (zone) {
		*zone++ = '\0';
		if (parse_scope(zone, &in6->sin6_scope_id))
			return -EINVAL;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1 ||
	    parse_port(port, &in6->sin6_port))
		return -EINVAL;
	in6->sin6_port = htons(in6->sin6_port);
	in6->sin6_family = AF_INET6;
	return 0;
}

/* "a.b.c.d:port": inet_pton takes exactly four decimal parts. */
static int parse_v4(struct sockaddr_in *in, char *host)
{
	char *colon = strchr(host, ':');

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1 ||
	    parse_port(colon + 1, &in->sin_port))
		return -EINVAL;
	in->sin_port = htons(in->sin_port);
	in->sin_family = AF_INET;
	return 0;
}

/* Works on a copy and only writes *ep on success. */
int endpoint_parse(union endpoint *ep, const char *s)
{
	char buf[ENDPOINT_STR_LEN + IF_NAMESIZE], *close;
	union endpoint tmp;
	int ret;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	memset(&tmp, 0, sizeof(tmp));
	strcpy(buf, s);
	if (buf[0] == '[') {
		close = strchr(buf, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		*close = '\0';
		ret = parse_v6(&tmp.in6, buf + 1, close + 2);
	} else {
		ret = parse_v4(&tmp.in, buf);
	}
	if (ret)
		return ret;
	*ep = tmp;
	return 0;
}

/* "[addr%zone]:port"; a zone with no interface left prints as a number. */
static void format_v6(const struct sockaddr_in6 *in6, char *out, size_t len)
{
	char addr[INET6_ADDRSTRLEN], zone[IF_NAMESIZE + 1] = "";
	char name[IF_NAMESIZE];

	inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
	if (in6->sin6_scope_id && if_indextoname(in6->sin6_scope_id, name))
		snprintf(zone, sizeof(zone), "%%%s", name);
	else if (in6->sin6_scope_id)
		snprintf(zone, sizeof(zone), "%%%u",
			 (unsigned int)in6->sin6_scope_id);
	snprintf(out, len, "[%s%s]:%u", addr, zone,
		 (unsigned int)ntohs(in6->sin6_port));
}

void endpoint_format(const union endpoint *ep, char *out, size_t len)
{
	char addr[INET_ADDRSTRLEN];

	if (!len)
		return;
	switch (ep->sa.sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &ep->in.sin_addr, addr, sizeof(addr));
		snprintf(out, len, "%s:%u", addr,
			 (unsigned int)ntohs(ep->in.sin_port));
		break;
	case AF_INET6:
		format_v6(&ep->in6, out, len);
		break;
	default:
		/* What `wg show` prints for a peer with no endpoint. */
		snprintf(out, len, "(none)");
	}
}

/* Address, port and (v6) zone; flow info is not part of the identity. */
bool endpoint_equal(const union endpoint *a, const union endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	switch (a->sa.sa_family) {
	case AF_INET:
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	case AF_INET6:
		return a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
			       sizeof(a->in6.sin6_addr));
	default:
		return true;	/* both unset */
	}
}

socklen_t endpoint_len(const union endpoint *ep)
{
	switch (ep->sa.sa_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	default:
		return 0;
	}
}

uint16_t endpoint_port(const union endpoint *ep)
{
	switch (ep->sa.sa_family) {
	case AF_INET:
		return ntohs(ep->in.sin_port);
	case AF_INET6:
		return ntohs(ep->in6.sin6_port);
	default:
		return 0;
	}
}

void endpoint_set_port(union endpoint *ep, uint16_t port)
{
	if (ep->sa.sa_family == AF_INET)
		ep->in.sin_port = htons(port);
	else if (ep->sa.sa_family == AF_INET6)
		ep->in6.sin6_port = htons(port);
}

/* ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2) back to a.b.c.d. */
void endpoint_unmap(union endpoint *ep)
{
	struct sockaddr_in in;

	if (ep->sa.sa_family != AF_INET6 ||
	    !IN6_IS_ADDR_V4MAPPED(&ep->in6.sin6_addr))
		return;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = ep->in6.sin6_port;
	memcpy(&in.sin_addr, &ep->in6.sin6_addr.s6_addr[12], 4);
	memset(ep, 0, sizeof(*ep));
	ep->in = in;
}
