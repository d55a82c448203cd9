// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-peer protocol timers (whitepaper section 6, kernel timers.c). Each is
 * a deadline on the peer; the lane loop calls timers_run() when the
 * earliest one is due, so no per-timer kernel object is needed and tests
 * can drive everything with the fake clock.
 *
 * Peers with an armed timer sit in a binary min-heap keyed on a deadline
 * no later than their earliest timer, so a pass costs O(log n) per peer
 * that is due and nothing for the others: with 100,000 peers, a tick that
 * fires one keepalive touches one peer. Disarming leaves the key early;
 * the peer then comes up once for nothing and is filed again.
 */
#include "device.h"

#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "crypto.h"
#include "log.h"

static void heap_place(struct wg_peer **h, size_t i, struct wg_peer *p)
{
	h[i] = p;
	p->timer_slot = i + 1;
}

static void heap_up(struct wg_device *dev, size_t i)
{
	struct wg_peer **h = dev->timer_heap, *p = h[i];

	while (i) {
		size_t parent = (i - 1) / 2;

		if (h[parent]->timer_key <= p->timer_key)
			break;
		heap_place(h, i, h[parent]);
		i = parent;
	}
	heap_place(h, i, p);
}

static void heap_down(struct wg_device *dev, size_t i)
{
	struct wg_peer **h = dev->timer_heap, *p = h[i];
	size_t n = dev->timer_heap_len;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1]->timer_key < h[c]->timer_key)
			c++;
		if (h[c]->timer_key >= p->timer_key)
			break;
		heap_place(h, i, h[c]);
		i = c;
	}
	heap_place(h, i, p);
}

static void heap_remove(struct wg_device *dev, struct wg_peer *p)
{
	size_t i = p->timer_slot - 1;
	struct wg_peer *last = dev->timer_heap[--dev->timer_heap_len];

	p->timer_slot = 0;
	if (last == p)
		return;
	heap_place(dev->timer_heap, i, last);
	heap_up(dev, i);
	heap_down(dev, last->timer_slot - 1);
}

/* Files the peer under key (0: takes it out). On -ENOMEM for a new entry
 * the timer stays armed on the peer and next_timer forces a full pass. */
static void heap_set(struct wg_device *dev, struct wg_peer *p, uint64_t key)
{
	if (!key) {
		if (p->timer_slot)
			heap_remove(dev, p);
		return;
	}
	if (!p->timer_slot) {
		if (dev->timer_heap_len == dev->timer_heap_cap) {
			size_t ncap = dev->timer_heap_cap ? dev->timer_heap_cap * 2 : 64;
			struct wg_peer **nh = realloc(dev->timer_heap,
						      ncap * sizeof(*nh));

			if (!nh) {
				dev->timer_heap_full = true;
				return;
			}
			dev->timer_heap = nh;
			dev->timer_heap_cap = ncap;
		}
		p->timer_key = key;
		heap_place(dev->timer_heap, dev->timer_heap_len++, p);
		heap_up(dev, p->timer_slot - 1);
		return;
	}
	p->timer_key = key;
	heap_up(dev, p->timer_slot - 1);
	heap_down(dev, p->timer_slot - 1);
}

static uint64_t peer_earliest(const struct wg_peer *p)
{
	uint64_t next = 0;

	for (int t = 0; t < TIMER_MAX; t++)
		if (p->timers[t] && (!next || p->timers[t] < next))
			next = p->timers[t];
	return next;
}

void timers_peer_removed(struct wg_peer *peer)
{
	if (peer->timer_slot)
		heap_remove(peer->dev, peer);
}

void timers_free(struct wg_device *dev)
{
	free(dev->timer_heap);
	dev->timer_heap = NULL;
	dev->timer_heap_len = dev->timer_heap_cap = 0;
}

static uint64_t jitter(void)
{
	uint32_t r = 0;

	crypto_random(&r, sizeof(r));
	return r % REKEY_TIMEOUT_JITTER_MAX;
}

void timers_arm(struct wg_peer *peer, enum peer_timer t, uint64_t delay)
{
	uint64_t when = clock_now() + delay;
	struct wg_device *dev = peer->dev;

	if (!dev->is_lane)
		return;
	if (!when)
		when = 1;
	peer->timers[t] = when;
	if (!peer->timer_slot || when < peer->timer_key)
		heap_set(dev, peer, when);
	if (!dev->next_timer || when < dev->next_timer)
		dev->next_timer = when;
}

void timers_disarm(struct wg_peer *peer, enum peer_timer t)
{
	peer->timers[t] = 0;
}

bool timers_pending(const struct wg_peer *peer, enum peer_timer t)
{
	return peer->timers[t] != 0;
}

/* After initiations went unanswered this long a lane warns, once. */
#define HANDSHAKE_WARN_AFTER (3 * REKEY_TIMEOUT)

/* A handshake that never completes is almost always one of these; say
 * which lane and port, as lane i talks to the peer's port + i. */
static void warn_no_handshake(struct wg_peer *peer, const char *what)
{
	char ep[ENDPOINT_STR_LEN] = "(no endpoint: it must contact us first)";
	struct wg_device *dev = peer->dev;

	if (peer->endpoint.sa.sa_family)
		endpoint_format(&peer->endpoint, ep, sizeof(ep));
	log_warn("peer %s: %s; check that the peer is up at %s and listening "
		 "on that port + %u, runs as many lanes as we do (at least %u), "
		 "has our public key (and we its), and that nothing filters "
		 "UDP between us", peer_name(peer), what, ep, dev->lane,
		 dev->lane + 1);
}

static void expired_retransmit_handshake(struct wg_peer *peer)
{
	if (peer->timer_handshake_attempts > MAX_TIMER_HANDSHAKES) {
		char what[96];

		snprintf(what, sizeof(what),
			 "handshake did not complete after %u attempts, giving up",
			 peer->timer_handshake_attempts + 2);
		warn_no_handshake(peer, what);
		timers_disarm(peer, TIMER_SEND_KEEPALIVE);
		/* Drop what waited for a session, as nothing will carry it. */
		peer_purge_staged(peer);
		if (!timers_pending(peer, TIMER_ZERO_KEY_MATERIAL))
			timers_arm(peer, TIMER_ZERO_KEY_MATERIAL, ZERO_KEYS_AFTER);
		return;
	}
	++peer->timer_handshake_attempts;
	if (!peer->warned_unanswered && peer->unanswered_since &&
	    clock_expired(peer->unanswered_since, HANDSHAKE_WARN_AFTER)) {
		peer->warned_unanswered = true;
		warn_no_handshake(peer, "no answer to handshake initiations yet");
	}
	log_debug("peer %s: handshake did not complete after %llu seconds, retrying (try %u)",
		  peer_name(peer),
		  (unsigned long long)(REKEY_TIMEOUT / NSEC_PER_SEC),
		  peer->timer_handshake_attempts + 1);
	send_handshake_initiation(peer, true);
}

static void expired_send_keepalive(struct wg_peer *peer)
{
	send_keepalive(peer);
	if (peer->timer_need_another_keepalive) {
		peer->timer_need_another_keepalive = false;
		timers_arm(peer, TIMER_SEND_KEEPALIVE, KEEPALIVE_TIMEOUT);
	}
}

static void expired_new_handshake(struct wg_peer *peer)
{
	log_debug("peer %s: no reply to data for %llu seconds, new handshake",
		  peer_name(peer),
		  (unsigned long long)(NEW_HANDSHAKE_TIMEOUT / NSEC_PER_SEC));
	send_handshake_initiation(peer, false);
}

static void expired_zero_key_material(struct wg_peer *peer)
{
	log_info("peer %s: zeroing keys after %llu seconds without a new handshake",
		 peer_name(peer),
		 (unsigned long long)(ZERO_KEYS_AFTER / NSEC_PER_SEC));
	noise_handshake_clear(&peer->handshake, &peer->dev->index);
	noise_keypairs_clear(&peer->keypairs, &peer->dev->index);
}

static void expired_persistent_keepalive(struct wg_peer *peer)
{
	if (peer->persistent_keepalive)
		send_keepalive(peer);
}

static void (*const expire_fn[TIMER_MAX])(struct wg_peer *) = {
	[TIMER_RETRANSMIT_HANDSHAKE] = expired_retransmit_handshake,
	[TIMER_SEND_KEEPALIVE] = expired_send_keepalive,
	[TIMER_NEW_HANDSHAKE] = expired_new_handshake,
	[TIMER_ZERO_KEY_MATERIAL] = expired_zero_key_material,
	[TIMER_PERSISTENT_KEEPALIVE] = expired_persistent_keepalive,
};

static void fire_due(struct wg_peer *p, uint64_t now)
{
	for (int t = 0; t < TIMER_MAX; t++) {
		if (!p->timers[t] || p->timers[t] > now)
			continue;
		p->timers[t] = 0;
		expire_fn[t](p);
	}
}

/* After running out of memory for the heap: one pass over every peer,
 * filing each again, as before the heap existed. */
static void timers_run_all(struct wg_device *dev, uint64_t now)
{
	dev->timer_heap_full = false;
	for (struct wg_peer *p = dev->peers; p; p = p->next) {
		fire_due(p, now);
		heap_set(dev, p, peer_earliest(p));
	}
}

uint64_t timers_run(struct wg_device *dev)
{
	uint64_t now = clock_now();

	if (dev->timer_heap_full)
		timers_run_all(dev, now);
	while (dev->timer_heap_len && dev->timer_heap[0]->timer_key <= now) {
		struct wg_peer *p = dev->timer_heap[0];

		fire_due(p, now);
		/* Expiry may have armed new timers on p: file it by what is
		 * armed now. */
		heap_set(dev, p, peer_earliest(p));
	}
	dev->next_timer = dev->timer_heap_full ? now + NSEC_PER_SEC :
			  dev->timer_heap_len ? dev->timer_heap[0]->timer_key : 0;
	return dev->next_timer;
}

/* Data was sent: expect a reply within KEEPALIVE + REKEY_TIMEOUT, or rekey. */
void timers_data_sent(struct wg_peer *peer)
{
	if (!timers_pending(peer, TIMER_NEW_HANDSHAKE))
		timers_arm(peer, TIMER_NEW_HANDSHAKE,
			   NEW_HANDSHAKE_TIMEOUT + jitter());
}

/* Data arrived: answer with a keepalive if we send nothing else soon. */
void timers_data_received(struct wg_peer *peer)
{
	if (!timers_pending(peer, TIMER_SEND_KEEPALIVE))
		timers_arm(peer, TIMER_SEND_KEEPALIVE, KEEPALIVE_TIMEOUT);
	else
		peer->timer_need_another_keepalive = true;
}

void timers_any_authenticated_packet_sent(struct wg_peer *peer)
{
	timers_disarm(peer, TIMER_SEND_KEEPALIVE);
}

void timers_any_authenticated_packet_received(struct wg_peer *peer)
{
	timers_disarm(peer, TIMER_NEW_HANDSHAKE);
}

void timers_handshake_initiated(struct wg_peer *peer)
{
	timers_arm(peer, TIMER_RETRANSMIT_HANDSHAKE, REKEY_TIMEOUT + jitter());
	if (!peer->unanswered_since)
		peer->unanswered_since = clock_now();
}

void timers_handshake_complete(struct wg_peer *peer)
{
	struct lane_stats *st = peer->dev->stats;
	bool first = peer->last_handshake_sec == 0;

	timers_disarm(peer, TIMER_RETRANSMIT_HANDSHAKE);
	peer->timer_handshake_attempts = 0;
	peer->unanswered_since = 0;
	peer->warned_unanswered = false;
	peer->sent_lastminute_handshake = false;
	clock_realtime(&peer->last_handshake_sec, &peer->last_handshake_nsec);
	st->handshakes++;
	st->latest_handshake = peer->last_handshake_sec;
	/* Every two minutes per peer and lane: only the first is news. */
	if (first)
		log_info("peer %s: first handshake completed", peer_name(peer));
	else
		log_debug("peer %s: handshake completed", peer_name(peer));
}

/* Keys are wiped if no new session replaces them for 3 * REJECT_AFTER_TIME. */
void timers_session_derived(struct wg_peer *peer)
{
	timers_arm(peer, TIMER_ZERO_KEY_MATERIAL, ZERO_KEYS_AFTER);
}

void timers_any_authenticated_packet_traversal(struct wg_peer *peer)
{
	if (peer->persistent_keepalive)
		timers_arm(peer, TIMER_PERSISTENT_KEEPALIVE,
			   peer->persistent_keepalive * NSEC_PER_SEC);
}
