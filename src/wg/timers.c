// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-peer protocol timers (whitepaper section 6, kernel timers.c). Each is
 * a deadline on the peer; the lane loop calls timers_run() when the
 * earliest one is due, so no per-timer kernel object is needed and tests
 * can drive everything with the fake clock.
 */
#include "device.h"

#include "clock.h"
#include "crypto.h"
#include "log.h"

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
	peer->timers[t] = when ? when : 1;
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

static void expired_retransmit_handshake(struct wg_peer *peer)
{
	if (peer->timer_handshake_attempts > MAX_TIMER_HANDSHAKES) {
		log_info("peer %s: handshake did not complete after %u attempts, giving up",
			 peer_name(peer), peer->timer_handshake_attempts + 2);
		timers_disarm(peer, TIMER_SEND_KEEPALIVE);
		/* Drop what waited for a session, as nothing will carry it. */
		peer_purge_staged(peer);
		if (!timers_pending(peer, TIMER_ZERO_KEY_MATERIAL))
			timers_arm(peer, TIMER_ZERO_KEY_MATERIAL, ZERO_KEYS_AFTER);
		return;
	}
	++peer->timer_handshake_attempts;
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

uint64_t timers_run(struct wg_device *dev)
{
	uint64_t now = clock_now(), next = 0;
	struct wg_peer *p, *pnext;

	for (p = dev->peers; p; p = pnext) {
		pnext = p->next;
		for (int t = 0; t < TIMER_MAX; t++) {
			if (!p->timers[t] || p->timers[t] > now)
				continue;
			p->timers[t] = 0;
			expire_fn[t](p);
		}
		for (int t = 0; t < TIMER_MAX; t++)
			if (p->timers[t] && (!next || p->timers[t] < next))
				next = p->timers[t];
	}
	dev->next_timer = next;
	return next;
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
}

void timers_handshake_complete(struct wg_peer *peer)
{
	struct lane_stats *st = peer->dev->stats;

	timers_disarm(peer, TIMER_RETRANSMIT_HANDSHAKE);
	peer->timer_handshake_attempts = 0;
	peer->sent_lastminute_handshake = false;
	clock_realtime(&peer->last_handshake_sec, &peer->last_handshake_nsec);
	st->handshakes++;
	st->latest_handshake = peer->last_handshake_sec;
	log_info("peer %s: handshake completed", peer_name(peer));
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
