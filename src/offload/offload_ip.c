// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IP header walk shared by both directions of the offload path.
 * Input is hostile (see offload_gso.c): every offset is checked first.
 */
#include "offload_int.h"

#include <errno.h>
#include <netinet/in.h>

static int parse_ipv4(const uint8_t *p, size_t len, struct l3_info *l3)
{
	size_t ihl;

	if (len < IP4_MIN_HLEN)
		return -EINVAL;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < IP4_MIN_HLEN || ihl > len)
		return -EINVAL;
	l3->ver = 4;
	l3->l4off = ihl;
	l3->proto = p[9];
	l3->frag = (get_be16(p + 6) & IP4_FRAG_MASK) != 0;
	return 0;
}

/*
 * Walks hop-by-hop, routing and destination-options headers (RFC 8200
 * section 4). A routing header with segments left is refused because the
 * pseudo-header would then need the final destination (section 8.1);
 * fragment, AH and anything unknown stop the walk and so end up as a
 * non-TCP/UDP protocol that callers reject or pass through.
 */
static int parse_ipv6(const uint8_t *p, size_t len, struct l3_info *l3)
{
	size_t off = IP6_HLEN;
	uint8_t nh;
	int i;

	if (len < IP6_HLEN)
		return -EINVAL;
	nh = p[6];
	for (i = 0; i < IP6_MAX_EXT; ++i) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS)
			break;
		if (len - off < 8)
			return -EINVAL;
		if (nh == IPPROTO_ROUTING && p[off + 3] != 0)
			return -EINVAL;
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
		if (off > len)
			return -EINVAL;
	}
	l3->ver = 6;
	l3->l4off = off;
	l3->proto = nh;
	l3->frag = false;
	return 0;
}

int offload_ip_parse(const uint8_t *p, size_t len, struct l3_info *l3)
{
	if (len < 1)
		return -EINVAL;
	if (p[0] >> 4 == 4)
		return parse_ipv4(p, len, l3);
	if (p[0] >> 4 == 6)
		return parse_ipv6(p, len, l3);
	return -EINVAL;
}
