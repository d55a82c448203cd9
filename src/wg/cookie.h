/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mac1/mac2 and cookie replies (whitepaper 5.4.4 and 5.4.7): mac1 proves
 * the sender knows our public key; under load, mac2 proves it can receive
 * at its source address, using a cookie we sent it in a cookie reply.
 */
#ifndef TUNLANE_COOKIE_H
#define TUNLANE_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "messages.h"
#include "noise.h"

/* Responder side: one per device. */
struct cookie_checker {
	uint8_t secret[COOKIE_SECRET_LEN];
	uint64_t secret_birthdate;	/* clock_now() ns, 0 = never */
	uint8_t cookie_encryption_key[COOKIE_KEY_LEN];
	uint8_t message_mac1_key[COOKIE_KEY_LEN];
	struct noise_static_identity *static_identity;
};

/* Initiator side: one per peer. */
struct cookie {
	uint64_t birthdate;
	bool is_valid;
	uint8_t cookie[COOKIE_LEN];
	bool have_sent_mac1;
	uint8_t last_mac1_sent[COOKIE_LEN];
	uint8_t cookie_decryption_key[COOKIE_KEY_LEN];
	uint8_t message_mac1_key[COOKIE_KEY_LEN];
};

enum cookie_mac_state {
	INVALID_MAC,
	VALID_MAC_BUT_NO_COOKIE,
	VALID_MAC_WITH_COOKIE_BUT_RATELIMITED,
	VALID_MAC_WITH_COOKIE,
};

void cookie_checker_init(struct cookie_checker *c,
			 struct noise_static_identity *id);
/* Recomputes keys derived from our public key (after a key change). */
void cookie_checker_precompute_device_keys(struct cookie_checker *c);
void cookie_init(struct cookie *c);
/* Derives the keys bound to a peer's public key. */
void cookie_precompute_peer_keys(struct cookie *c,
				 const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN]);

/*
 * Checks mac1 of a handshake message of len bytes ending in struct
 * message_macs, and when check_cookie also mac2 against the cookie for src.
 */
enum cookie_mac_state cookie_validate_packet(struct cookie_checker *c,
					     const void *msg, size_t len,
					     const struct sockaddr *src,
					     bool check_cookie);
/* Fills mac1 (and mac2 if we hold a fresh cookie) of an outgoing message. */
void cookie_add_mac_to_packet(void *msg, size_t len, struct cookie *c);
/* Builds a cookie reply to the handshake message msg from src. */
int cookie_message_create(struct message_handshake_cookie *dst,
			  const void *msg, size_t len, uint32_t index,
			  struct cookie_checker *c, const struct sockaddr *src);
/* Decrypts a cookie reply for our last sent mac1 and stores the cookie.
 * 0 or -EINVAL/-EBADMSG. */
int cookie_message_consume(const struct message_handshake_cookie *src,
			   struct cookie *c);

#endif
