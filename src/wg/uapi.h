/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The WireGuard cross-platform userspace API (wireguard.com/xplatform): a
 * line protocol of key=value over a unix socket. A "set" request is parsed
 * completely into struct uapi_set before anything is applied, so a bad
 * line leaves the device untouched.
 */
#ifndef TUNLANE_UAPI_H
#define TUNLANE_UAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "defaults.h"
#include "endpoint.h"
#include "messages.h"
#include "prefix.h"

#define UAPI_MAX_REQUEST (8U << 20)	/* refuse requests beyond 8 MiB */

struct uapi_peer {
	uint8_t public_key[NOISE_PUBLIC_KEY_LEN];
	bool remove;
	bool update_only;
	bool has_preshared_key;
	uint8_t preshared_key[NOISE_SYMMETRIC_KEY_LEN];
	bool has_endpoint;
	union endpoint endpoint;
	bool has_persistent_keepalive;
	uint16_t persistent_keepalive;	/* seconds, 0 = off */
	bool replace_allowed_ips;
	size_t n_allowedips;
	size_t cap_allowedips;
	struct prefix *allowedips;	/* masked to cidr */
};

struct uapi_set {
	bool has_private_key;
	uint8_t private_key[NOISE_PUBLIC_KEY_LEN];	/* all zero = remove */
	bool has_listen_port;
	uint16_t listen_port;
	bool has_fwmark;
	uint32_t fwmark;		/* 0 = remove */
	bool replace_peers;
	size_t n_peers;
	size_t cap_peers;
	struct uapi_peer *peers;
};

/*
 * Parses the lines of a set request that follow "set=1" (text may include
 * the "set=1" line itself and the terminating empty line; parsing stops at
 * the first empty line). Returns 0, -EINVAL for a bad value, -EPROTO for an
 * unknown key or a key out of place, -ENOMEM. On error, err gets a one-line
 * reason naming the line, and out is left freed.
 */
int uapi_parse_set(struct uapi_set *out, const char *text, size_t len,
		   char *err, size_t errlen);
/* Frees and wipes keys. Safe on a zeroed struct. */
void uapi_set_free(struct uapi_set *s);

#endif
