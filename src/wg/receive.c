// SPDX-License-Identifier: GPL-2.0-only
/*
 * Incoming path (kernel receive.c): classify a datagram, admit handshakes
 * through mac1/cookie/rate limits, and authenticate, replay-check and
 * source-filter transport data before anything reaches the tun. Every
 * rejected datagram is counted by reason and otherwise ignored.
 */
#include "device.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"
#include "crypto.h"
#include "log.h"
#include "tsfloor.h"
#include "tun.h"
#include "udp.h"

/*
 * Under load (kernel receive.c): the handshake backlog reaches an eighth
 * of the queue, and for UNDER_LOAD_AFTER after it last did. The backlog is
 * the real measure of handshake work outrunning the lane, whatever the
 * packet rate: a lane that keeps up is not under load.
 */
bool receive_under_load(struct wg_device *dev, unsigned int backlog)
{
	uint64_t now = clock_now();

	if (backlog >= UNDER_LOAD_BACKLOG) {
		dev->last_under_load = now;
		return true;
	}
	return dev->last_under_load &&
	       now - dev->last_under_load < UNDER_LOAD_AFTER;
}

int receive_queue_init(struct wg_device *dev)
{
	dev->hsq = calloc(HANDSHAKE_QUEUE_LEN, sizeof(*dev->hsq));
	dev->hsq_head = dev->hsq_len = 0;
	return dev->hsq ? 0 : -ENOMEM;
}

void receive_queue_free(struct wg_device *dev)
{
	free(dev->hsq);
	dev->hsq = NULL;
	dev->hsq_head = dev->hsq_len = 0;
}

/*
 * Cookie replies cost an XChaCha20-Poly1305 and a send each: a flood must
 * not turn them into a flood of our own. RATELIMIT_PACKETS_PER_SEC per
 * source (the handshake ratelimiter's rule, in a table of its own) and
 * COOKIE_REPLIES_PER_SEC in all. Asked only for a message whose mac1 is
 * valid, so that junk from spoofed sources cannot spend it.
 */
static bool cookie_reply_allowed(struct wg_device *dev,
				 const union endpoint *src)
{
	const uint64_t cost = NSEC_PER_SEC / COOKIE_REPLIES_PER_SEC;
	const uint64_t max = cost * (COOKIE_REPLIES_PER_SEC / 8);
	uint64_t now = clock_now(), tokens;

	if (!ratelimiter_allow(&dev->cookie_ratelimiter, &src->sa))
		return false;
	tokens = dev->cookie_tokens + (now - dev->cookie_tokens_time);
	if (!dev->cookie_tokens_time || tokens > max)
		tokens = max;
	dev->cookie_tokens_time = now;
	if (tokens < cost) {
		dev->cookie_tokens = tokens;
		return false;
	}
	dev->cookie_tokens = tokens - cost;
	return true;
}

static struct noise_handshake *lookup_by_static(void *arg,
						const uint8_t key[NOISE_PUBLIC_KEY_LEN])
{
	struct wg_peer *peer = device_peer_by_key(arg, key);

	return peer ? &peer->handshake : NULL;
}

static void receive_cookie(struct wg_device *dev, const uint8_t *buf)
{
	const struct message_handshake_cookie *msg = (const void *)buf;
	uint32_t idx = le32toh(msg->receiver_index);
	struct index_entry *e;

	e = index_table_lookup(&dev->index, idx, INDEX_HANDSHAKE);
	if (!e)
		e = index_table_lookup(&dev->index, idx, INDEX_KEYPAIR);
	if (!e) {
		device_count_drop(dev, DROP_UNKNOWN_INDEX);
		return;
	}
	if (cookie_message_consume(msg, &((struct wg_peer *)e->peer)->latest_cookie) < 0)
		device_count_drop(dev, DROP_BAD_MAC);
	else
		log_debug("peer %s: received cookie", peer_name(e->peer));
}

/* Answers a message that lacks a valid cookie (the ration granted). */
static void reply_cookie(struct wg_device *dev, const uint8_t *buf,
			 size_t len, const union endpoint *src)
{
	uint32_t sender;

	/* sender_index sits at the same offset in both messages. */
	memcpy(&sender, buf + offsetof(struct message_handshake_initiation,
				       sender_index), sizeof(sender));
	send_handshake_cookie(dev, buf, len, le32toh(sender), src);
	device_count_drop(dev, DROP_COOKIE_REPLY);
}

/*
 * Returns true when the handshake may go on to the Curve25519 work
 * (whitepaper 5.3). mac1 comes first, always (one BLAKE2s, as in the
 * kernel): junk from a sender that knows no key must not spend the
 * cookie-reply ration, or spoofed sources would fill its per-source table
 * and drain its global rate, and real peers would get no cookie. Under
 * load, a message with a valid mac1 but no cookie earns nothing but a
 * rationed cookie reply; mac2 is only computed when the sender sent one.
 */
static bool admit_handshake(struct wg_device *dev, const uint8_t *buf,
			    size_t len, const union endpoint *src)
{
	bool under_load = receive_under_load(dev, dev->hsq_len);
	const struct message_macs *macs =
		(const void *)(buf + len - sizeof(struct message_macs));
	enum cookie_mac_state st;

	st = cookie_validate_packet(&dev->cookie_checker, buf, len, &src->sa,
				    under_load &&
				    !crypto_is_zero(macs->mac2, COOKIE_LEN));
	if (st == INVALID_MAC) {
		device_count_drop(dev, DROP_BAD_MAC);
		return false;
	}
	if (!under_load)
		return true;
	if (st == VALID_MAC_WITH_COOKIE) {
		if (ratelimiter_allow(&dev->ratelimiter, &src->sa))
			return true;
		device_count_drop(dev, DROP_RATELIMITED);
		return false;
	}
	/* Valid mac1, no cookie (none, stale or forged): the ration decides. */
	if (cookie_reply_allowed(dev, src))
		reply_cookie(dev, buf, len, src);
	else
		device_count_drop(dev, DROP_COOKIE_LIMITED);
	return false;
}

static struct wg_peer *receive_initiation(struct wg_device *dev,
					  const uint8_t *buf,
					  const union endpoint *src)
{
	struct noise_handshake *hs;
	struct wg_peer *peer;

	noise_use_plain(dev->rx_shared);
	hs = noise_handshake_consume_initiation((const void *)buf,
						&dev->static_identity,
						lookup_by_static, dev);
	noise_use_plain(false);
	if (!hs)
		return NULL;
	peer = hs->peer;
	/* Its lane is back (an authenticated initiation): our hold-off on
	 * initiating to it (device.h) has no reason left. */
	peer->retired_until = 0;
	/* Where the next lane in this slot will find it (tsfloor.h). */
	tsfloor_store(dev->tsfloor, hs->remote_static, hs->latest_timestamp);
	/* The session lives where the initiation came in: the shared
	 * ListenPort (plain WireGuard) or this lane's own port (bound). */
	if (peer->plain != dev->rx_shared)
		memset(&peer->last_src, 0, sizeof(peer->last_src));
	peer->plain = dev->rx_shared;
	peer_set_endpoint_from(peer, src);
	log_debug("peer %s: received handshake initiation", peer_name(peer));
	send_handshake_response(peer);
	return peer;
}

static struct wg_peer *receive_response(struct wg_device *dev,
					const uint8_t *buf,
					const union endpoint *src)
{
	struct noise_handshake *hs;
	struct wg_peer *peer;

	hs = noise_handshake_consume_response((const void *)buf,
					      &dev->static_identity,
					      &dev->index);
	if (!hs)
		return NULL;
	peer = hs->peer;
	peer_set_endpoint_from(peer, src);
	if (noise_handshake_begin_session(&peer->handshake, &peer->keypairs,
					  &dev->index) == 0) {
		timers_session_derived(peer);
		timers_handshake_complete(peer);
		peer_update_live(peer);
		/* Sends what waited, or a keepalive to confirm the session. */
		send_keepalive(peer);
	}
	return peer;
}

/* The Curve25519 part of a handshake message that was admitted. */
static void process_handshake(struct wg_device *dev, const uint8_t *buf,
			      size_t len, const union endpoint *src)
{
	struct wg_peer *peer;

	/* A retiring lane starts no session (device.h); checked here, after
	 * the queue, so one queued before the master's word is refused too. */
	if (dev->retiring) {
		device_count_drop(dev, DROP_HANDSHAKE);
		return;
	}
	if (buf[0] == MESSAGE_HANDSHAKE_INITIATION)
		peer = receive_initiation(dev, buf, src);
	else
		peer = receive_response(dev, buf, src);
	if (!peer) {
		device_count_drop(dev, DROP_HANDSHAKE);
		return;
	}
	peer->rx_bytes += len;
	timers_any_authenticated_packet_received(peer);
	timers_any_authenticated_packet_traversal(peer);
}

/* Queued for later when the device has a queue: data read in the same
 * batch goes first. */
static void queue_handshake(struct wg_device *dev, const uint8_t *buf,
			    size_t len, const union endpoint *src)
{
	struct handshake_item *it;

	if (dev->hsq_len == HANDSHAKE_QUEUE_LEN) {
		device_count_drop(dev, DROP_HANDSHAKE_BACKLOG);
		return;
	}
	it = &dev->hsq[(dev->hsq_head + dev->hsq_len++) % HANDSHAKE_QUEUE_LEN];
	it->src = *src;
	it->local = dev->rx_local;
	it->shared = dev->rx_shared;
	it->len = (uint32_t)len;
	memcpy(it->buf, buf, len);
}

bool receive_handshakes(struct wg_device *dev, unsigned int budget)
{
	struct endpoint_src was_local = dev->rx_local;
	bool was_shared = dev->rx_shared;

	for (; dev->hsq_len && budget; budget--) {
		struct handshake_item *it = &dev->hsq[dev->hsq_head];

		dev->hsq_head = (dev->hsq_head + 1) % HANDSHAKE_QUEUE_LEN;
		dev->hsq_len--;
		/* The key may have gone since the message was queued. Answer
		 * from the socket and the address it came in on (per-peer
		 * lanes; a hub with one address per client link): the peer
		 * takes the source of our answer as our endpoint. */
		dev->rx_shared = it->shared;
		dev->rx_local = it->local;
		if (dev->static_identity.has_identity)
			process_handshake(dev, it->buf, it->len, &it->src);
		else
			device_count_drop(dev, DROP_HANDSHAKE);
	}
	dev->rx_shared = was_shared;
	dev->rx_local = was_local;
	return dev->hsq_len != 0;
}

static void receive_handshake(struct wg_device *dev, uint32_t type,
			      const uint8_t *buf, size_t len,
			      const union endpoint *src)
{
	if (type == MESSAGE_HANDSHAKE_COOKIE) {
		receive_cookie(dev, buf);
		return;
	}
	if (!dev->static_identity.has_identity) {
		device_count_drop(dev, DROP_HANDSHAKE);	/* no key yet */
		return;
	}
	if (!admit_handshake(dev, buf, len, src))
		return;
	if (dev->hsq)
		queue_handshake(dev, buf, len, src);
	else
		process_handshake(dev, buf, len, src);
}

/* The initiator rekeys just before the responder's keys would expire. */
static void keep_key_fresh_recv(struct wg_peer *peer)
{
	struct noise_keypair *kp = peer->keypairs.current_keypair;

	if (kp && kp->sending.is_valid && kp->i_am_the_initiator &&
	    clock_expired(kp->sending.birthdate, REKEY_AFTER_TIME_RECV) &&
	    !peer->sent_lastminute_handshake) {
		peer->sent_lastminute_handshake = true;
		send_handshake_initiation(peer, false);
	}
}

/* Length of the inner IP packet, or 0 when it is not a sane one. */
static size_t inner_len(const uint8_t *p, size_t len, int *family,
			const uint8_t **saddr)
{
	size_t l;

	if (len >= 20 && (p[0] >> 4) == 4) {
		l = (size_t)p[2] << 8 | p[3];
		if (l < 20 || l > len || (size_t)(p[0] & 0xf) * 4 > l)
			return 0;
		*family = AF_INET;
		*saddr = p + 12;
		return l;
	}
	if (len >= 40 && (p[0] >> 4) == 6) {
		l = 40 + ((size_t)p[4] << 8 | p[5]);
		if (l > len)
			return 0;
		*family = AF_INET6;
		*saddr = p + 8;
		return l;
	}
	return 0;
}

_Static_assert(sizeof(MESSAGE_LANE_RETIRE) == MESSAGE_LANE_RETIRE_LEN,
	       "the lane notice is one padding block");

static void deliver(struct wg_peer *peer, const uint8_t *p, size_t len)
{
	struct wg_device *dev = peer->dev;
	const uint8_t *saddr;
	int family;
	size_t l = inner_len(p, len, &family, &saddr);

	if (!l) {
		device_count_drop(dev, DROP_BAD_PACKET);
		return;
	}
	/* Cryptokey routing on receive (whitepaper 2): the inner source must
	 * be one the sending peer is allowed to use. */
	if (allowedips_lookup(&dev->allowedips, family, saddr) != peer) {
		device_count_drop(dev, DROP_ALLOWED_IPS);
		return;
	}
	if (dev->rxb) {
		if (dev->rxb->n == RX_BATCH)
			receive_flush(dev);
		dev->rxb->pkt[dev->rxb->n].data = p;
		dev->rxb->pkt[dev->rxb->n++].len = l;
		return;
	}
	tun_write(dev, &(struct offload_out){ .data = p, .len = l }, NULL);
}

/*
 * GRO for the tun (docs/design.md section 4): consecutive in-order segments of
 * one TCP flow become one super-packet, so the kernel's TCP stack handles
 * one 64 KiB packet instead of 45 small ones. The super-packet is written
 * with writev() from where its segments were decrypted, so no payload is
 * copied in user space. Without a vnet header the packets are written one
 * by one.
 */
void receive_flush(struct wg_device *dev)
{
	struct rx_batch *b = dev->rxb;
	int n;

	if (!b || !b->n)
		return;
	/* Every packet here passed its Poly1305 tag: no checksum of theirs
	 * needs computing, here or in the kernel (offload.h). */
	n = dev->vnet_hdr ? offload_gro_batch_iov(b->pkt, b->n, b->iov, RX_BATCH,
						  b->out, RX_BATCH,
						  OFFLOAD_GRO_TRUSTED) : -1;
	if (n >= 0) {
		for (int i = 0; i < n; i++)
			tun_write(dev, &b->out[i], b->iov);
	} else {
		for (unsigned int i = 0; i < b->n; i++) {
			struct offload_out o = { .data = b->pkt[i].data,
						 .len = b->pkt[i].len };

			tun_write(dev, &o, NULL);
		}
	}
	b->n = 0;
}

static struct noise_keypair *data_keypair(struct wg_device *dev,
					  const struct message_data *hdr)
{
	struct index_entry *e;
	struct noise_keypair *kp;

	e = index_table_lookup(&dev->index, le32toh(hdr->key_idx), INDEX_KEYPAIR);
	if (!e) {
		device_count_drop(dev, DROP_UNKNOWN_INDEX);
		return NULL;
	}
	kp = (struct noise_keypair *)((uint8_t *)e -
				      offsetof(struct noise_keypair, entry));
	/* Only authenticated state may retire a key: the counter in this
	 * header is not authenticated yet (replay.c refuses a large one once
	 * it is), so a forged one must not kill the session. */
	if (!kp->receiving.is_valid ||
	    clock_expired(kp->receiving.birthdate, REJECT_AFTER_TIME) ||
	    kp->receiving_counter.counter >= REJECT_AFTER_MESSAGES) {
		kp->receiving.is_valid = false;
		device_count_drop(dev, DROP_EXPIRED);
		return NULL;
	}
	return kp;
}

static void receive_data(struct wg_device *dev, uint8_t *buf, size_t len,
			 const union endpoint *src)
{
	struct message_data *hdr = (struct message_data *)buf;
	struct noise_keypair *kp = data_keypair(dev, hdr);
	uint64_t counter = le64toh(hdr->counter);
	uint8_t *data = buf + MESSAGE_DATA_HEADER_LEN;
	size_t plen = len - MESSAGE_DATA_HEADER_LEN - NOISE_AUTHTAG_LEN;
	struct wg_peer *peer;

	if (!kp)
		return;
	if (crypto_aead_decrypt(data, data, len - MESSAGE_DATA_HEADER_LEN,
				NULL, 0, counter, kp->receiving.key) < 0) {
		device_count_drop(dev, DROP_BAD_AUTH);
		return;
	}
	if (!replay_counter_validate(&kp->receiving_counter, counter)) {
		device_count_drop(dev, DROP_REPLAY);
		return;
	}
	peer = kp->peer;
	peer_set_endpoint_from(peer, src);
	if (noise_received_with_keypair(&peer->keypairs, kp, &dev->index)) {
		timers_handshake_complete(peer);
		peer_update_live(peer);
		send_staged_packets(peer);
	}
	keep_key_fresh_recv(peer);
	timers_any_authenticated_packet_received(peer);
	timers_any_authenticated_packet_traversal(peer);
	peer->rx_bytes += len;
	if (!plen)
		return;	/* keepalive */
	if (plen == MESSAGE_LANE_RETIRE_LEN && dev->on_retire &&
	    !memcmp(data, MESSAGE_LANE_RETIRE, MESSAGE_LANE_RETIRE_LEN)) {
		/* Only under the current session: a late notice under an older
		 * keypair must not end a newer session (its lane came back). */
		if (kp == peer->keypairs.current_keypair)
			dev->on_retire(dev, peer);	/* may end kp's session */
		return;
	}
	timers_data_received(peer);
	deliver(peer, data, plen);
}

void receive_packet(struct wg_device *dev, uint8_t *buf, size_t len,
		    const union endpoint *src)
{
	uint32_t type;

	dev->stats->rx_bytes += len;
	dev->stats->rx_packets++;
	if (len < sizeof(type)) {
		device_count_drop(dev, DROP_SHORT);
		return;
	}
	memcpy(&type, buf, sizeof(type));
	type = le32toh(type);
	if ((type == MESSAGE_HANDSHAKE_INITIATION && len != MESSAGE_INITIATION_LEN) ||
	    (type == MESSAGE_HANDSHAKE_RESPONSE && len != MESSAGE_RESPONSE_LEN) ||
	    (type == MESSAGE_HANDSHAKE_COOKIE && len != MESSAGE_COOKIE_LEN) ||
	    (type == MESSAGE_DATA && len < MESSAGE_MINIMUM_LENGTH)) {
		device_count_drop(dev, DROP_SHORT);
		return;
	}
	if (type == MESSAGE_DATA)
		receive_data(dev, buf, len, src);
	else if (type >= MESSAGE_HANDSHAKE_INITIATION &&
		 type <= MESSAGE_HANDSHAKE_COOKIE)
		receive_handshake(dev, type, buf, len, src);
	else
		device_count_drop(dev, DROP_BAD_TYPE);
}

void receive_msghdr(struct wg_device *dev, struct msghdr *mh, size_t len,
		    const union endpoint *src)
{
	uint8_t *p = mh->msg_iov[0].iov_base;
	size_t seg = udp_msg_meta(mh, len, &dev->rx_local);

	/* A truncated datagram is larger than any valid message. */
	if (mh->msg_flags & MSG_TRUNC) {
		device_count_drop(dev, DROP_SHORT);
		return;
	}
	/* UDP GRO glued same-size datagrams from one source together. */
	for (size_t off = 0; off < len; off += seg)
		receive_packet(dev, p + off, len - off < seg ? len - off : seg, src);
}
