// SPDX-License-Identifier: GPL-2.0-only
/*
 * Device configuration: applying a parsed UAPI "set" and producing a "get"
 * reply (wireguard.com/xplatform). The same code runs in the master, which
 * keeps the configuration, and in every lane, which also runs sessions.
 */
#include "device.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "crypto.h"
#include "defaults.h"
#include "log.h"
#include "uapi.h"

int device_init(struct wg_device *dev, const char *ifname, bool is_lane,
		unsigned int lane)
{
	int ret;

	memset(dev, 0, sizeof(*dev));
	snprintf(dev->ifname, sizeof(dev->ifname), "%s", ifname);
	dev->is_lane = is_lane;
	dev->lane = lane;
	dev->tun_fd = -1;
	dev->udp_fd = -1;
	dev->udp_shared_fd = -1;
	dev->mtu = DEFAULT_MTU;
	dev->stats = &dev->local_stats;
	index_table_init(&dev->index);
	allowedips_init(&dev->allowedips);
	cookie_checker_init(&dev->cookie_checker, &dev->static_identity);
	ret = peerhash_init(&dev->peerhash);
	if (ret == 0)
		ret = ratelimiter_init(&dev->ratelimiter);
	if (ret == 0)
		ret = ratelimiter_init(&dev->cookie_ratelimiter);
	return ret;
}

void device_free(struct wg_device *dev)
{
	while (dev->peers)
		peer_remove(dev->peers);
	allowedips_free(&dev->allowedips);
	peerhash_free(&dev->peerhash);
	timers_free(dev);
	ratelimiter_free(&dev->ratelimiter);
	ratelimiter_free(&dev->cookie_ratelimiter);
	receive_queue_free(dev);
	crypto_wipe(&dev->static_identity, sizeof(dev->static_identity));
	crypto_wipe(&dev->cookie_checker, sizeof(dev->cookie_checker));
}

struct wg_peer *device_peer_by_key(struct wg_device *dev,
				   const uint8_t key[NOISE_PUBLIC_KEY_LEN])
{
	return peerhash_lookup(&dev->peerhash, key);
}

void device_count_drop(struct wg_device *dev, enum stats_drop why)
{
	dev->stats->drops[why]++;
}

/*
 * A new private key invalidates every precomputed DH and expires every
 * session (kernel netlink.c set_device), so peers handshake again; the same
 * key again changes nothing, as `wg syncconf` always sends it. A peer whose
 * key equals our new public key is removed: talking to ourselves is
 * meaningless.
 */
static int device_set_private_key(struct wg_device *dev, const uint8_t *key)
{
	struct noise_static_identity *id = &dev->static_identity;
	uint8_t pub[NOISE_PUBLIC_KEY_LEN];
	struct wg_peer *self;

	if (id->has_identity &&
	    crypto_memeq(key, id->static_private, NOISE_PUBLIC_KEY_LEN))
		return 0;
	if (crypto_is_zero(key, NOISE_PUBLIC_KEY_LEN)) {
		crypto_wipe(id, sizeof(*id));
	} else {
		if (crypto_x25519_public(pub, key) < 0)
			return -EINVAL;
		self = device_peer_by_key(dev, pub);
		if (self)
			peer_remove(self);
		memcpy(id->static_private, key, NOISE_PUBLIC_KEY_LEN);
		memcpy(id->static_public, pub, NOISE_PUBLIC_KEY_LEN);
		id->has_identity = true;
	}
	cookie_checker_precompute_device_keys(&dev->cookie_checker);
	for (struct wg_peer *p = dev->peers; p; p = p->next) {
		noise_defer_static_static(&p->handshake);
		noise_handshake_clear(&p->handshake, &dev->index);
		noise_expire_current_peer_keypairs(&p->keypairs);
		p->last_sent_handshake = 0;	/* may handshake again at once */
	}
	return 0;
}

static int peer_apply_allowedips(struct wg_peer *peer,
				 const struct uapi_peer *up)
{
	struct wg_device *dev = peer->dev;
	int ret;

	if (up->replace_allowed_ips)
		allowedips_remove_by_peer(&dev->allowedips, peer);
	for (size_t i = 0; i < up->n_allowedips; i++) {
		const struct prefix *a = &up->allowedips[i];

		ret = allowedips_insert(&dev->allowedips, a->family, a->addr,
					a->cidr, peer);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int device_apply_peer(struct wg_device *dev, const struct uapi_peer *up)
{
	struct wg_peer *peer = device_peer_by_key(dev, up->public_key);
	uint16_t old_keepalive;
	bool created = false;

	if (up->remove) {
		if (peer)
			peer_remove(peer);
		return 0;
	}
	if (!peer) {
		if (up->update_only)
			return 0;
		/* The kernel silently ignores a peer that is ourselves. */
		if (dev->static_identity.has_identity &&
		    crypto_memeq(up->public_key,
				 dev->static_identity.static_public,
				 NOISE_PUBLIC_KEY_LEN))
			return 0;
		peer = peer_create(dev, up->public_key);
		if (!peer)
			return -ENOMEM;
		created = true;
	}
	if (up->has_preshared_key)
		noise_handshake_set_psk(&peer->handshake, up->preshared_key);
	if (up->has_endpoint) {
		peer->endpoint = up->endpoint;
		/* A new endpoint, maybe of the other family: routing picks the
		 * source until the peer answers. */
		memset(&peer->src, 0, sizeof(peer->src));
		/* The next packet roams it again if it comes from elsewhere. */
		memset(&peer->last_src, 0, sizeof(peer->last_src));
	}
	/* A multi-lane daemon's lane 0 greets a peer configured (again) with
	 * an endpoint: if it was configured before, the peer's lanes still
	 * hold sessions we no longer have, and with per-peer lanes its
	 * replies may come on any of them (tunlaned(8)); the other lanes
	 * follow once lane 0 is live. */
	if (created && dev->is_lane && dev->lane == 0 && dev->index.lane_fixed &&
	    peer->endpoint.sa.sa_family && dev->static_identity.has_identity)
		send_handshake_initiation(peer, false);
	old_keepalive = peer->persistent_keepalive;
	if (up->has_persistent_keepalive)
		peer->persistent_keepalive = up->persistent_keepalive;
	if (peer_apply_allowedips(peer, up) < 0)
		return -ENOMEM;
	/* Turning persistent keepalive on sends one at once (kernel netlink.c)
	 * so a NAT mapping opens without waiting for traffic. */
	if (dev->is_lane && !old_keepalive && peer->persistent_keepalive &&
	    dev->static_identity.has_identity)
		send_keepalive(peer);
	return 0;
}

int device_apply(struct wg_device *dev, const struct uapi_set *set)
{
	int ret;

	if (set->has_private_key) {
		ret = device_set_private_key(dev, set->private_key);
		if (ret < 0)
			return ret;
	}
	if (set->has_listen_port)
		dev->listen_port = set->listen_port;
	if (set->has_fwmark)
		dev->fwmark = set->fwmark;
	if (set->replace_peers)
		while (dev->peers)
			peer_remove(dev->peers);
	for (size_t i = 0; i < set->n_peers; i++) {
		ret = device_apply_peer(dev, &set->peers[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

struct get_walk {
	FILE *f;
};

static int get_allowedip(void *arg, int family, const uint8_t *addr,
			 uint8_t cidr)
{
	struct get_walk *w = arg;
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family, addr, buf, sizeof(buf)))
		return -EINVAL;
	fprintf(w->f, "allowed_ip=%s/%u\n", buf, cidr);
	return 0;
}

static void get_key(FILE *f, const char *name, const uint8_t *key)
{
	char hex[CRYPTO_KEY_HEX_LEN];

	crypto_key_to_hex(hex, key);
	fprintf(f, "%s=%s\n", name, hex);
	crypto_wipe(hex, sizeof(hex));
}

static void get_peer(FILE *f, struct wg_peer *p)
{
	struct get_walk w = { .f = f };
	char ep[ENDPOINT_STR_LEN];

	get_key(f, "public_key", p->handshake.remote_static);
	if (!crypto_is_zero(p->handshake.preshared_key, NOISE_SYMMETRIC_KEY_LEN))
		get_key(f, "preshared_key", p->handshake.preshared_key);
	fprintf(f, "protocol_version=1\n");
	if (p->endpoint.sa.sa_family) {
		endpoint_format(&p->endpoint, ep, sizeof(ep));
		fprintf(f, "endpoint=%s\n", ep);
	}
	fprintf(f, "last_handshake_time_sec=%lld\n",
		(long long)p->last_handshake_sec);
	fprintf(f, "last_handshake_time_nsec=%lld\n",
		(long long)p->last_handshake_nsec);
	fprintf(f, "tx_bytes=%llu\n", (unsigned long long)p->tx_bytes);
	fprintf(f, "rx_bytes=%llu\n", (unsigned long long)p->rx_bytes);
	fprintf(f, "persistent_keepalive_interval=%u\n", p->persistent_keepalive);
	allowedips_walk_by_peer(&p->dev->allowedips, p, get_allowedip, &w);
}

/*
 * What a lane tells the master on "get": per peer, only what changes at
 * run time. The master has the configuration (and the keys) already; this
 * keeps the reply small (DEVICE_STATS_PEER_MAX per peer at most) so the
 * master can cap what it accepts from a lane.
 */
int device_get_stats(struct wg_device *dev, char **out, size_t *outlen)
{
	FILE *f = open_memstream(out, outlen);
	char ep[ENDPOINT_STR_LEN], hex[CRYPTO_KEY_HEX_LEN];

	if (!f)
		return -ENOMEM;
	for (struct wg_peer *p = dev->peers; p; p = p->next) {
		crypto_key_to_hex(hex, p->handshake.remote_static);
		fprintf(f, "public_key=%s\n", hex);
		if (p->endpoint.sa.sa_family) {
			endpoint_format(&p->endpoint, ep, sizeof(ep));
			fprintf(f, "endpoint=%s\n", ep);
		}
		fprintf(f, "last_handshake_time_sec=%lld\n"
			   "last_handshake_time_nsec=%lld\n"
			   "tx_bytes=%llu\nrx_bytes=%llu\n",
			(long long)p->last_handshake_sec,
			(long long)p->last_handshake_nsec,
			(unsigned long long)p->tx_bytes,
			(unsigned long long)p->rx_bytes);
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	return 0;
}

int device_get(struct wg_device *dev, char **out, size_t *outlen)
{
	FILE *f = open_memstream(out, outlen);

	if (!f)
		return -ENOMEM;
	if (dev->static_identity.has_identity)
		get_key(f, "private_key", dev->static_identity.static_private);
	fprintf(f, "listen_port=%u\n", dev->listen_port);
	if (dev->fwmark)
		fprintf(f, "fwmark=%u\n", dev->fwmark);
	for (struct wg_peer *p = dev->peers; p; p = p->next)
		get_peer(f, p);
	if (fclose(f) != 0)
		return -ENOMEM;
	return 0;
}
