/* SPDX-License-Identifier: GPL-2.0-only */
/* A peer's UDP endpoint, IPv4 or IPv6. */
#ifndef TUNLANE_ENDPOINT_H
#define TUNLANE_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

union endpoint {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/*
 * The local address a peer's packets arrived at, to answer from it (what
 * the kernel's WireGuard keeps with each endpoint as src4/src6, and
 * wireguard-go as its sticky source): family 0 = let routing choose.
 * Only the address and, for IPv6 link-local, the interface matter.
 */
struct endpoint_src {
	sa_family_t family;		/* AF_INET, AF_INET6 or 0 */
	int ifindex;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

#define ENDPOINT_STR_LEN (INET6_ADDRSTRLEN + 16)

/* Parses "1.2.3.4:51820" or "[fd00::1]:51820" (numeric only). 0/-EINVAL. */
int endpoint_parse(union endpoint *ep, const char *s);
/* Formats in the same syntax. */
void endpoint_format(const union endpoint *ep, char *out, size_t len);
bool endpoint_equal(const union endpoint *a, const union endpoint *b);
/* Length to pass to sendto()/connect(), 0 when unset. */
socklen_t endpoint_len(const union endpoint *ep);
uint16_t endpoint_port(const union endpoint *ep);
void endpoint_set_port(union endpoint *ep, uint16_t port);
/* Turns a v4-mapped IPv6 address (as a dual-stack socket reports it) back
 * into plain IPv4, so endpoints print and compare as users wrote them. */
void endpoint_unmap(union endpoint *ep);

#endif
