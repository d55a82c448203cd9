// SPDX-License-Identifier: GPL-2.0-only
/*
 * Outgoing path (kernel send.c): handshake messages, and transport data
 * packets encrypted in place (whitepaper 5.4.6). A lane owns one socket,
 * so everything here runs on the lane's single thread.
 */
#include "device.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "crypto.h"
#include "log.h"
#include "udp.h"

/* Kernel limits on one UDP_SEGMENT send (net/ipv4/udp.c). */
#ifndef UDP_MAX_SEGMENTS
#define UDP_MAX_SEGMENTS 64
#endif
#define GSO_MAX_BYTES (65535 - 40 - 8)	/* IPv6 header + UDP header */
#define SEND_WAITS   4	/* waits for socket room per flush (udp.c) */

/* Room for a header in front and padding plus tag behind any packet. */
static uint8_t scratch[MESSAGE_DATA_HEADER_LEN + MESSAGE_MAX_SIZE +
		       MESSAGE_PADDING_MULTIPLE + NOISE_AUTHTAG_LEN];

static void account(struct wg_peer *peer, const struct iovec *iov,
		    unsigned int n, int err)
{
	for (unsigned int k = 0; k < n; k++) {
		if (err) {
			device_count_drop(peer->dev, DROP_TX_ERROR);
			continue;
		}
		peer->tx_bytes += iov[k].iov_len;
		peer->dev->stats->tx_bytes += iov[k].iov_len;
		peer->dev->stats->tx_packets++;
	}
}

static int send_to_peer(struct wg_peer *peer, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	int ret = udp_send(peer, &iov, 1);

	account(peer, &iov, 1, ret);
	return ret;
}

/* No initiation from a retiring lane, nor to a peer's lane that retired
 * (device.h): whatever asks for one, data, a timer or a probe. */
static bool send_handshake_held(const struct wg_peer *peer)
{
	return peer->dev->retiring ||
	       (peer->retired_until && clock_now() < peer->retired_until);
}

void send_handshake_initiation(struct wg_peer *peer, bool is_retry)
{
	struct message_handshake_initiation msg;
	struct wg_device *dev = peer->dev;
	int ret;

	if (send_handshake_held(peer))
		return;
	if (!is_retry)
		peer->timer_handshake_attempts = 0;
	/* At most one initiation per REKEY_TIMEOUT (whitepaper 6.4). */
	if (peer->last_sent_handshake &&
	    !clock_expired(peer->last_sent_handshake, REKEY_TIMEOUT))
		return;
	peer->last_sent_handshake = clock_now();
	if (!peer->endpoint.sa.sa_family)
		return;
	noise_use_plain(peer->plain);
	ret = noise_handshake_create_initiation(&msg, &peer->handshake,
						&dev->index);
	noise_use_plain(false);
	if (ret < 0)
		return;
	log_debug("peer %s: sending handshake initiation", peer_name(peer));
	cookie_add_mac_to_packet(&msg, sizeof(msg), &peer->latest_cookie);
	timers_any_authenticated_packet_traversal(peer);
	timers_any_authenticated_packet_sent(peer);
	send_to_peer(peer, &msg, sizeof(msg));
	timers_handshake_initiated(peer);
}

void send_handshake_response(struct wg_peer *peer)
{
	struct message_handshake_response msg;
	struct wg_device *dev = peer->dev;

	peer->last_sent_handshake = clock_now();
	if (noise_handshake_create_response(&msg, &peer->handshake,
					    &dev->index) < 0)
		return;
	cookie_add_mac_to_packet(&msg, sizeof(msg), &peer->latest_cookie);
	if (noise_handshake_begin_session(&peer->handshake, &peer->keypairs,
					  &dev->index) < 0)
		return;
	timers_session_derived(peer);
	timers_any_authenticated_packet_traversal(peer);
	timers_any_authenticated_packet_sent(peer);
	send_to_peer(peer, &msg, sizeof(msg));
}

void send_handshake_cookie(struct wg_device *dev, const void *msg, size_t len,
			   uint32_t sender_index, const union endpoint *src)
{
	struct message_handshake_cookie reply;

	if (cookie_message_create(&reply, msg, len, sender_index,
				  &dev->cookie_checker, &src->sa) < 0)
		return;
	/* Reply to the exact source: no lane offset, it is not a peer yet. */
	if (udp_send_reply(dev, &reply, sizeof(reply), src) == 0) {
		dev->stats->tx_bytes += sizeof(reply);
		dev->stats->tx_packets++;
	}
}

static bool keypair_can_send(const struct noise_keypair *kp)
{
	return kp && kp->sending.is_valid &&
	       !clock_expired(kp->sending.birthdate, REJECT_AFTER_TIME) &&
	       kp->sending_counter < REJECT_AFTER_MESSAGES;
}

/* Rekey when the session is old or heavily used (whitepaper 6.2). */
static void keep_key_fresh(struct wg_peer *peer)
{
	struct noise_keypair *kp = peer->keypairs.current_keypair;

	if (kp && kp->sending.is_valid &&
	    (kp->sending_counter > REKEY_AFTER_MESSAGES ||
	     (kp->i_am_the_initiator &&
	      clock_expired(kp->sending.birthdate, REKEY_AFTER_TIME))))
		send_handshake_initiation(peer, false);
}

/*
 * Encrypts the plaintext at buf + MESSAGE_DATA_HEADER_LEN in place and sends
 * it. The caller leaves room for padding and tag after the plaintext.
 * Padding to 16 bytes, capped at the MTU, hides exact lengths (5.4.6).
 */
static int encrypt_and_send(struct wg_peer *peer, struct noise_keypair *kp,
			    uint8_t *buf, const uint8_t *src, size_t plen,
			    bool batch)
{
	struct tx_batch *txb = peer->dev->txb;
	struct message_data *hdr = (struct message_data *)buf;
	size_t cap = plen > peer->dev->mtu ? plen : peer->dev->mtu;
	size_t padded = (plen + MESSAGE_PADDING_MULTIPLE - 1) &
			~(size_t)(MESSAGE_PADDING_MULTIPLE - 1);
	uint64_t nonce = kp->sending_counter++;
	uint8_t *data = buf + MESSAGE_DATA_HEADER_LEN;

	if (padded > cap)
		padded = cap;
	/* Out of place when the plaintext lies elsewhere and needs no
	 * padding (full-size segments); else it is brought here first. */
	if (src != data && padded != plen) {
		memcpy(data, src, plen);
		src = data;
	}
	if (src == data)
		memset(data + plen, 0, padded - plen);
	hdr->header.type = htole32(MESSAGE_DATA);
	hdr->key_idx = htole32(kp->remote_index);
	hdr->counter = htole64(nonce);
	if (crypto_aead_encrypt(data, src, padded, NULL, 0, nonce,
				kp->sending.key) < 0) {
		crypto_wipe(data, padded);	/* never send the plaintext */
		device_count_drop(peer->dev, DROP_TX_ERROR);
		return -EIO;
	}
	timers_any_authenticated_packet_traversal(peer);
	timers_any_authenticated_packet_sent(peer);
	if (plen)
		timers_data_sent(peer);
	if (!batch || !txb)
		return send_to_peer(peer, buf, MESSAGE_DATA_HEADER_LEN + padded +
					       NOISE_AUTHTAG_LEN);
	if (txb->n == TX_BATCH)
		send_flush(peer->dev);
	txb->peer[txb->n] = peer;
	txb->iov[txb->n].iov_base = buf;
	txb->iov[txb->n++].iov_len = MESSAGE_DATA_HEADER_LEN + padded +
				     NOISE_AUTHTAG_LEN;
	return 0;
}

/* Length of the run starting at i that one GSO send can carry: same peer,
 * same size, except that a shorter datagram may end it (udp(7)). */
static unsigned int gso_run(const struct tx_batch *b, unsigned int i)
{
	unsigned int j = i + 1;
	size_t size = b->iov[i].iov_len, total = size;

	if (!b->gso)
		return 1;
	/* One GSO send is still one IP datagram's worth: under 64 KiB. */
	while (j < b->n && b->peer[j] == b->peer[i] &&
	       b->iov[j].iov_len <= size && j - i < UDP_MAX_SEGMENTS &&
	       total + b->iov[j].iov_len <= GSO_MAX_BYTES) {
		total += b->iov[j].iov_len;
		if (b->iov[j++].iov_len < size)
			break;
	}
	return j - i;
}

static void send_singly(struct wg_peer *peer, struct iovec *iov,
			unsigned int n)
{
	for (unsigned int k = 0; k < n; k++)
		account(peer, &iov[k], 1, udp_send(peer, &iov[k], 1));
}

void send_flush(struct wg_device *dev)
{
	struct tx_batch *b = dev->txb;
	unsigned int i = 0, run;
	int err;

	dev->send_waits = SEND_WAITS;
	while (b && i < b->n) {
		run = gso_run(b, i);
		err = udp_send(b->peer[i], &b->iov[i], run);
		/* Devices without UDP GSO support refuse the whole send: fall
		 * back to one datagram per call from now on. */
		if (run > 1 && (err == -EIO || err == -EINVAL ||
				err == -ENOPROTOOPT || err == -EOPNOTSUPP)) {
			log_info("UDP GSO refused (%s), sending datagrams one by one",
				 strerror(-err));
			b->gso = false;
			continue;
		}
		/* Segments larger than the path MTU cannot go as one GSO
		 * send, but one by one the kernel fragments them. */
		if (run > 1 && err == -EMSGSIZE) {
			send_singly(b->peer[i], &b->iov[i], run);
			i += run;
			continue;
		}
		if (err)
			log_debug("send of %u datagrams failed: %s", run,
				  strerror(-err));
		account(b->peer[i], &b->iov[i], run, err);
		i += run;
	}
	if (b)
		b->n = 0;
}

void send_staged_packets(struct wg_peer *peer)
{
	struct noise_keypair *kp = peer->keypairs.current_keypair;
	struct staged_packet *sp;

	/* Batched datagrams were read from the tun before anything staged
	 * now, so they leave first. */
	send_flush(peer->dev);
	while ((sp = peer->staged_head)) {
		if (!keypair_can_send(kp)) {
			if (kp)
				kp->sending.is_valid = false;
			/* Held off: nothing will carry what waits, and it
			 * must not wait to ask again when the hold ends. */
			if (send_handshake_held(peer)) {
				peer_purge_staged(peer);
				return;
			}
			send_handshake_initiation(peer, false);
			return;
		}
		memcpy(scratch + MESSAGE_DATA_HEADER_LEN, sp->data, sp->len);
		encrypt_and_send(peer, kp, scratch,
				 scratch + MESSAGE_DATA_HEADER_LEN, sp->len, false);
		peer->staged_head = sp->next;
		if (!peer->staged_head)
			peer->staged_tail = NULL;
		peer->staged_count--;
		free(sp);
	}
	keep_key_fresh(peer);
}

void send_keepalive(struct wg_peer *peer)
{
	if (!peer->staged_head)
		peer_stage_packet(peer, NULL, 0);
	send_staged_packets(peer);
}

static const uint8_t *packet_dst(const uint8_t *pkt, size_t len, int *family)
{
	if (len >= 20 && (pkt[0] >> 4) == 4) {
		*family = AF_INET;
		return pkt + 16;
	}
	if (len >= 40 && (pkt[0] >> 4) == 6) {
		*family = AF_INET6;
		return pkt + 24;
	}
	return NULL;
}

/*
 * A plaintext packet from the tun: route it, then encrypt it into slot
 * (message header, ciphertext, tag: MESSAGE_DATA_HEADER_LEN + len +
 * padding + tag bytes) or stage it. pkt may lie at slot +
 * MESSAGE_DATA_HEADER_LEN (in place) or anywhere else.
 */
void send_tun_packet_to(struct wg_device *dev, const uint8_t *pkt, size_t len,
			uint8_t *slot)
{
	struct wg_peer *peer;
	struct noise_keypair *kp;
	const uint8_t *dst;
	int family;

	dst = packet_dst(pkt, len, &family);
	if (!dst) {
		device_count_drop(dev, DROP_BAD_PACKET);
		return;
	}
	peer = allowedips_lookup(&dev->allowedips, family, dst);
	if (!peer || !peer->endpoint.sa.sa_family) {
		device_count_drop(dev, DROP_NO_ROUTE);
		return;
	}
	kp = peer->keypairs.current_keypair;
	/* Keep order: anything staged goes first. */
	if (peer->staged_head || !keypair_can_send(kp)) {
		peer_stage_packet(peer, pkt, len);
		send_staged_packets(peer);
		return;
	}
	encrypt_and_send(peer, kp, slot, pkt, len, true);
	keep_key_fresh(peer);
}

/* pkt lies at buf + MESSAGE_DATA_HEADER_LEN of a lane buffer with tailroom. */
void send_tun_packet(struct wg_device *dev, uint8_t *pkt, size_t len)
{
	send_tun_packet_to(dev, pkt, len, pkt - MESSAGE_DATA_HEADER_LEN);
}
