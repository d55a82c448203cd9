// SPDX-License-Identifier: GPL-2.0-only
/*
 * config_to_uapi(): the UAPI "set" request that applies a parsed
 * configuration (see config.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto.h"

/* ---- the UAPI set request ---- */

/* Counts with buf NULL, writes otherwise: two passes, one formatter. */
struct writer {
	char *buf;
	size_t len;
	size_t cap;
};

static void put(struct writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct writer *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (w->buf)
		n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n;
}

static void put_key(struct writer *w, const char *name, const uint8_t key[32])
{
	char hex[CRYPTO_KEY_HEX_LEN];

	crypto_key_to_hex(hex, key);
	put(w, "%s=%s\n", name, hex);
	crypto_wipe(hex, sizeof(hex));
}

static void put_peer(struct writer *w, const struct config_peer *peer)
{
	char ep[ENDPOINT_STR_LEN + IF_NAMESIZE], addr[INET6_ADDRSTRLEN];
	size_t i;

	put_key(w, "public_key", peer->public_key);
	if (peer->has_psk)
		put_key(w, "preshared_key", peer->psk);
	if (peer->has_endpoint) {
		endpoint_format(&peer->endpoint, ep, sizeof(ep));
		put(w, "endpoint=%s\n", ep);
	}
	put(w, "persistent_keepalive_interval=%u\n", peer->keepalive);
	put(w, "replace_allowed_ips=true\n");
	for (i = 0; i < peer->n_allowed; i++) {
		const struct prefix *a = &peer->allowed[i];

		inet_ntop(a->family, a->addr, addr, sizeof(addr));
		put(w, "allowed_ip=%s/%u\n", addr, a->cidr);
	}
}

static void put_config(struct writer *w, const struct config *c)
{
	size_t i;

	put(w, "set=1\n");
	put_key(w, "private_key", c->private_key);
	if (c->has_listen_port)
		put(w, "listen_port=%u\n", c->listen_port);
	put(w, "fwmark=%u\n", c->fwmark);
	put(w, "replace_peers=true\n");
	for (i = 0; i < c->n_peers; i++)
		put_peer(w, &c->peers[i]);
	put(w, "\n");
}

int config_to_uapi(const struct config *c, char **out, size_t *len)
{
	struct writer w = { 0 };

	put_config(&w, c);
	w.cap = w.len + 1;
	w.len = 0;
	w.buf = malloc(w.cap);
	if (!w.buf)
		return -ENOMEM;
	put_config(&w, c);
	*out = w.buf;
	*len = w.len;
	return 0;
}
