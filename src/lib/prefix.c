// SPDX-License-Identifier: GPL-2.0-only
#include "prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "text.h"

static void prefix_mask(struct prefix *p)
{
	unsigned int i, bytes = p->family == AF_INET ? 4 : 16;

	for (i = 0; i < bytes; i++) {
		unsigned int bits = p->cidr > i * 8 ? p->cidr - i * 8 : 0;

		if (bits < 8)
			p->addr[i] &= (uint8_t)(0xff00U >> bits);
	}
}

/* The family is chosen by the text: an IPv6 address always has a ':'. */
int prefix_parse(struct prefix *out, const char *s, bool mask)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t cidr;

	memset(out, 0, sizeof(*out));
	if (!alen || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	out->family = memchr(addr, ':', alen) ? AF_INET6 : AF_INET;
	cidr = out->family == AF_INET ? 32 : 128;
	if (inet_pton(out->family, addr, out->addr) != 1 ||
	    (slash && text_parse_uint(slash + 1, 0, cidr, &cidr))) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	out->cidr = (uint8_t)cidr;
	if (mask)
		prefix_mask(out);
	return 0;
}
