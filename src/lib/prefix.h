/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An IP prefix ("10.0.0.1/24", "fd00::/64"): the one type for interface
 * addresses, routes and AllowedIPs, and the one parser of its text form,
 * shared by the configuration file, the UAPI and tunshare.
 */
#ifndef TUNLANE_PREFIX_H
#define TUNLANE_PREFIX_H

#include <stdbool.h>
#include <stdint.h>

struct prefix {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];		/* network order */
	uint8_t cidr;
};

/*
 * Parses "addr[/cidr]": no cidr means one host (/32 or /128); cidr is
 * decimal digits only (no sign or space), at most the address length.
 * With mask, the bits past cidr are cleared, as the kernel stores a
 * route; without, an interface address keeps its host bits. 0, or
 * -EINVAL with *out zeroed.
 */
int prefix_parse(struct prefix *out, const char *s, bool mask);


#endif
