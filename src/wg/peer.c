// SPDX-License-Identifier: GPL-2.0-only
/* Peer lifetime, endpoint roaming and the queue of packets awaiting a
 * session. */
#include "device.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"
#include "log.h"

static uint32_t slot_take(struct wg_device *dev)
{
	for (uint32_t w = 0; w < PEER_SLOTS / 64; w++) {
		if (dev->slot_used[w] == UINT64_MAX)
			continue;
		for (uint32_t b = 0; b < 64; b++)
			if (!(dev->slot_used[w] & (1ULL << b))) {
				dev->slot_used[w] |= 1ULL << b;
				return w * 64 + b;
			}
	}
	return PEER_NO_SLOT;
}

static void slot_put(struct wg_device *dev, uint32_t slot)
{
	if (slot < PEER_SLOTS)
		dev->slot_used[slot / 64] &= ~(1ULL << (slot % 64));
}

struct wg_peer *peer_create(struct wg_device *dev,
			    const uint8_t public_key[NOISE_PUBLIC_KEY_LEN])
{
	struct wg_peer *peer;

	if (dev->npeers >= MAX_PEERS)
		return NULL;
	peer = calloc(1, sizeof(*peer));
	if (!peer)
		return NULL;
	peer->dev = dev;
	peer->id = ++dev->next_peer_id;
	peer->slot = slot_take(dev);
	/* A low-order key still makes a peer (as in the kernel); it just can
	 * never complete a handshake, which the noise layer enforces. */
	noise_handshake_init_deferred(&peer->handshake, &dev->static_identity,
				      public_key, peer);
	cookie_init(&peer->latest_cookie);
	cookie_precompute_peer_keys(&peer->latest_cookie, public_key);
	if (peerhash_add(&dev->peerhash, peer) < 0) {
		crypto_wipe(peer, sizeof(*peer));
		free(peer);
		return NULL;
	}
	peer->next = dev->peers;
	if (dev->peers)
		dev->peers->prev = peer;
	dev->peers = peer;
	dev->npeers++;
	if (dev->is_lane && dev->lane == 0)
		log_info("peer %s: created", peer_name(peer));
	return peer;
}

void peer_remove(struct wg_peer *peer)
{
	struct wg_device *dev = peer->dev;

	if (peer->prev)
		peer->prev->next = peer->next;
	else
		dev->peers = peer->next;
	if (peer->next)
		peer->next->prev = peer->prev;
	peerhash_del(&dev->peerhash, peer);
	timers_peer_removed(peer);
	dev->npeers--;
	if (dev->is_lane && dev->lane == 0)
		log_info("peer %s: removed", peer_name(peer));
	if (peer->live && dev->on_live)
		dev->on_live(dev, peer, false);
	slot_put(dev, peer->slot);
	allowedips_remove_by_peer(&dev->allowedips, peer);
	noise_handshake_clear(&peer->handshake, &dev->index);
	noise_keypairs_clear(&peer->keypairs, &dev->index);
	peer_purge_staged(peer);
	free(peer->lane_bytes);
	crypto_wipe(peer, sizeof(*peer));
	free(peer);
}

bool peer_can_send(const struct wg_peer *peer)
{
	const struct noise_keypair *kp = peer->keypairs.current_keypair;

	return kp && kp->sending.is_valid &&
	       !clock_expired(kp->sending.birthdate, REJECT_AFTER_TIME) &&
	       kp->sending_counter < REJECT_AFTER_MESSAGES;
}

void peer_update_live(struct wg_peer *peer)
{
	bool live = peer_can_send(peer);

	if (live == peer->live)
		return;
	peer->live = live;
	if (peer->dev->on_live)
		peer->dev->on_live(peer->dev, peer, live);
}

const char *peer_name(const struct wg_peer *peer)
{
	static char names[2][CRYPTO_KEY_B64_LEN];
	static int which;
	char *out = names[which ^= 1];

	crypto_key_to_base64(out, peer->handshake.remote_static);
	out[8] = '\0';
	return out;
}

/*
 * Roaming (whitepaper 2.1): the endpoint follows the source of the latest
 * authenticated packet. Lane i talks to port + i, so store the lane-0 form
 * (a plain peer has one port: as it is).
 */
void peer_set_endpoint_from(struct wg_peer *peer, const union endpoint *src)
{
	union endpoint ep = *src;
	char buf[ENDPOINT_STR_LEN];

	/* Per packet: the common case is the same source as last time, to
	 * the same local address. */
	if (!memcmp(src, &peer->last_src, sizeof(*src)) &&
	    !memcmp(&peer->dev->rx_local, &peer->src, sizeof(peer->src)))
		return;
	peer->last_src = *src;
	peer->src = peer->dev->rx_local;
	endpoint_unmap(&ep);
	if (!peer->plain)
		endpoint_set_port(&ep, (uint16_t)(endpoint_port(&ep) - peer->dev->lane));
	if (endpoint_equal(&ep, &peer->endpoint))
		return;
	peer->endpoint = ep;
	if (peer->dev->on_endpoint)
		peer->dev->on_endpoint(peer->dev, peer);
	endpoint_format(&ep, buf, sizeof(buf));
	log_info("peer %s: endpoint changed to %s", peer_name(peer), buf);
}

void peer_stage_packet(struct wg_peer *peer, const uint8_t *pkt, size_t len)
{
	struct staged_packet *sp;

	/* Keep the newest packets, as the kernel does, when the queue is full. */
	if (peer->staged_count >= MAX_STAGED_PACKETS) {
		sp = peer->staged_head;
		peer->staged_head = sp->next;
		if (!peer->staged_head)
			peer->staged_tail = NULL;
		peer->staged_count--;
		free(sp);
		device_count_drop(peer->dev, DROP_NO_ROUTE);
	}
	sp = malloc(sizeof(*sp) + len);
	if (!sp)
		return;
	sp->next = NULL;
	sp->len = len;
	if (len)
		memcpy(sp->data, pkt, len);
	if (peer->staged_tail)
		peer->staged_tail->next = sp;
	else
		peer->staged_head = sp;
	peer->staged_tail = sp;
	peer->staged_count++;
}

void peer_purge_staged(struct wg_peer *peer)
{
	struct staged_packet *sp, *next;

	for (sp = peer->staged_head; sp; sp = next) {
		next = sp->next;
		free(sp);
	}
	peer->staged_head = peer->staged_tail = NULL;
	peer->staged_count = 0;
}
