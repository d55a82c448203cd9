// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checks of the configuration that need the whole file: an [Interface]
 * with a PrivateKey, ports and MTU that fit every lane, and peers that are
 * complete, not ourselves and not repeated.
 */
#include "config_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "crypto.h"

/* ---- checks that need the whole file ---- */

static bool has_ipv6_address(const struct config *c)
{
	size_t i;

	for (i = 0; i < c->n_addresses; i++) {
		if (c->addresses[i].family == AF_INET6)
			return true;
	}
	return false;
}

int config_check_interface(struct parser *p)
{
	const struct config *c = p->c;

	p->line = p->iface_line ? p->iface_line : 1;
	if (!p->iface_line)
		return config_fail(p, -EINVAL, "no [Interface] section");
	if (!p->has_private_key)
		return config_fail(p, -EINVAL, "[Interface] has no PrivateKey");
	/* Lane i listens on ListenPort+i (docs/design.md section 1). */
	p->line = p->listen_port_line;
	if (c->has_listen_port && c->listen_port + c->lanes - 1 > UINT16_MAX)
		return config_fail(p, -EINVAL,
			    "ListenPort %u leaves no port for lane %u of %u",
			    c->listen_port, UINT16_MAX + 1U - c->listen_port,
			    c->lanes);
	p->line = p->mtu_line;
	if (c->mtu < IPV6_MIN_MTU && has_ipv6_address(c))
		return config_fail(p, -EINVAL,
			    "MTU %u is below 1280, the minimum for IPv6",
			    c->mtu);
	return 0;
}

/* Each peer on its own: a PublicKey, not ours, room for every lane. */
static int check_peer(struct parser *p, size_t i, const uint8_t own[32])
{
	const struct config_peer *peer = &p->c->peers[i];
	unsigned int port = endpoint_port(&peer->endpoint);

	p->line = peer->line;
	if (!p->meta[i].key_line)
		return config_fail(p, -EINVAL, "[Peer] has no PublicKey");
	p->line = p->meta[i].key_line;
	if (crypto_memeq(peer->public_key, own, 32))
		return config_fail(p, -EINVAL,
			    "PublicKey is this interface's own public key");
	p->line = p->meta[i].endpoint_line;
	/* Lane i sends to the peer's port+i (docs/design.md section 1). */
	if (peer->has_endpoint && port + p->c->lanes - 1 > UINT16_MAX)
		return config_fail(p, -EINVAL,
			    "Endpoint port %u leaves no port for lane %u of %u",
			    port, UINT16_MAX + 1U - port, p->c->lanes);
	return 0;
}

struct key_line {
	const uint8_t *key;
	unsigned int line;
};

static int cmp_key_line(const void *a, const void *b)
{
	const struct key_line *x = a, *y = b;
	int d = memcmp(x->key, y->key, 32);

	if (d)
		return d;
	return (x->line > y->line) - (x->line < y->line);
}

/* Sorting finds repeats in O(n log n); the earliest repeat is named. */
static int check_duplicates(struct parser *p)
{
	const struct config *c = p->c;
	struct key_line *v;
	unsigned int dup = 0, first = 0;
	size_t i;

	if (c->n_peers < 2)
		return 0;
	v = malloc(c->n_peers * sizeof(*v));
	if (!v)
		return config_fail(p, -ENOMEM, "%s", strerror(ENOMEM));
	for (i = 0; i < c->n_peers; i++)
		v[i] = (struct key_line){ c->peers[i].public_key,
					  p->meta[i].key_line };
	qsort(v, c->n_peers, sizeof(*v), cmp_key_line);
	for (i = 1; i < c->n_peers; i++) {
		if (!memcmp(v[i - 1].key, v[i].key, 32) &&
		    (!dup || v[i].line < dup)) {
			dup = v[i].line;
			first = v[i - 1].line;
		}
	}
	free(v);
	if (!dup)
		return 0;
	p->line = dup;
	return config_fail(p, -EINVAL, "duplicate peer: same PublicKey as on line %u",
		    first);
}

int config_check_peers(struct parser *p)
{
	uint8_t own[32];
	size_t i;
	int ret = 0;

	if (crypto_x25519_public(own, p->c->private_key)) {
		p->line = p->iface_line;
		return config_fail(p, -EINVAL, "invalid PrivateKey");
	}
	/* Every peer is checked, so one run names every problem. */
	for (i = 0; i < p->c->n_peers; i++) {
		int r = check_peer(p, i, own);

		if (r && !ret)
			ret = r;
	}
	crypto_wipe(own, sizeof(own));
	if (!ret)
		ret = check_duplicates(p);
	return ret;
}
