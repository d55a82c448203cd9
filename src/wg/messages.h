/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Wire formats and every protocol constant of WireGuard v1, in one place.
 * Numbers come from the WireGuard whitepaper (section 5 and 6) and are the
 * same in the kernel module and wireguard-go, so peers agree on them.
 */
#ifndef TUNLANE_MESSAGES_H
#define TUNLANE_MESSAGES_H

#include <stdint.h>
#include "clock.h"

/* Key and primitive sizes (whitepaper 5.4). */
#define NOISE_PUBLIC_KEY_LEN      32
#define NOISE_SYMMETRIC_KEY_LEN   32
#define NOISE_TIMESTAMP_LEN       CLOCK_TAI64N_LEN /* TAI64N: 8 bytes seconds, 4 bytes nanoseconds */
#define NOISE_AUTHTAG_LEN         16
#define NOISE_HASH_LEN            32
#define NOISE_NONCE_LEN           12
#define COOKIE_SECRET_LEN         32
#define COOKIE_LEN                16
#define COOKIE_NONCE_LEN          24
#define COOKIE_KEY_LEN            32

#define noise_encrypted_len(plain_len) ((plain_len) + NOISE_AUTHTAG_LEN)

/* Protocol names fed to the initial hash (whitepaper 5.4.1). */
#define NOISE_HANDSHAKE_NAME  "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
#define NOISE_IDENTIFIER_NAME "WireGuard v1 zx2c4 Jason@zx2c4.com"
#define COOKIE_LABEL_MAC1     "mac1----"
#define COOKIE_LABEL_COOKIE   "cookie--"
/* tunlane only: mixed into the initial hash of lanes 1..N-1. */
#define NOISE_LANE_LABEL      "tunlane lane "

/* Timers and limits (whitepaper 6.1), in nanoseconds where they are times. */
#define REKEY_AFTER_MESSAGES      (1ULL << 60)
#define REJECT_AFTER_MESSAGES     (UINT64_MAX - COUNTER_WINDOW_SIZE - 1)
#define REKEY_TIMEOUT             (5 * NSEC_PER_SEC)
#define REKEY_TIMEOUT_JITTER_MAX  (NSEC_PER_SEC / 3)
#define REKEY_AFTER_TIME          (120 * NSEC_PER_SEC)
#define REKEY_ATTEMPT_TIME        (90 * NSEC_PER_SEC)
#define REJECT_AFTER_TIME         (180 * NSEC_PER_SEC)
#define KEEPALIVE_TIMEOUT         (10 * NSEC_PER_SEC)
#define COOKIE_SECRET_MAX_AGE     (120 * NSEC_PER_SEC)
#define COOKIE_SECRET_LATENCY     (5 * NSEC_PER_SEC)
#define MAX_TIMER_HANDSHAKES      (REKEY_ATTEMPT_TIME / REKEY_TIMEOUT)
/* The initiator rekeys a bit before the responder would, so both do not race. */
#define REKEY_AFTER_TIME_RECV \
	(REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT)
/* Data sent with no reply for this long triggers a new handshake. */
#define NEW_HANDSHAKE_TIMEOUT     (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT)
#define ZERO_KEYS_AFTER           (REJECT_AFTER_TIME * 3)

/* Replay window: RFC 6479 ring of 8192 bits, one word of which is slack. */
#define COUNTER_BITS_TOTAL        8192
#define COUNTER_WORD_BITS         64
#define COUNTER_WINDOW_SIZE       (COUNTER_BITS_TOTAL - COUNTER_WORD_BITS)

/* Handshake admission (kernel receive.c, ratelimiter.c). */
#define INITIATIONS_PER_SECOND    50    /* one per 20 ms per peer */
#define MIN_INITIATION_INTERVAL   (NSEC_PER_SEC / INITIATIONS_PER_SECOND)
#define RATELIMIT_PACKETS_PER_SEC 20
#define RATELIMIT_BURST           5
#define UNDER_LOAD_AFTER          (1 * NSEC_PER_SEC)
/*
 * A lane queues handshake messages that passed mac1 and works through at
 * most HANDSHAKE_BUDGET of them per turn of its loop, after the data it
 * read (receive.c). Its queue is smaller than the kernel's, which serves
 * all CPUs: it is under load once an eighth of it is waiting, as there.
 */
#define HANDSHAKE_QUEUE_LEN       256
#define UNDER_LOAD_BACKLOG        (HANDSHAKE_QUEUE_LEN / 8)
#define HANDSHAKE_BUDGET          4
/* Cookie replies under load, per lane: RATELIMIT_PACKETS_PER_SEC per
 * source (as handshakes), and this many in all, in bursts of an eighth. */
#define COOKIE_REPLIES_PER_SEC    2048

#define MAX_PEERS                 (1U << 20)
#define MESSAGE_PADDING_MULTIPLE  16
#define MESSAGE_MAX_SIZE          65535

/*
 * tunlane's in-band lane notice: the plaintext of a transport data
 * message that a lane about to be retired (a live Lanes change,
 * tunlaned(8)) sends on each of its lane-bound sessions before it goes
 * (a few times: one datagram may be lost).
 * It cannot be an IP packet (version nibble 0), so a peer that does not
 * know it drops it as a bad packet; a tunlane peer's lane ends its
 * session there at once, so that its flows move to its other lanes
 * instead of waiting for the session to expire. Authenticated like any
 * data: only the peer holding the session can send it. Exactly one
 * padding block long.
 */
#define MESSAGE_LANE_RETIRE       "\0tunlane retire"
#define MESSAGE_LANE_RETIRE_LEN   16

enum message_type {
	MESSAGE_INVALID = 0,
	MESSAGE_HANDSHAKE_INITIATION = 1,
	MESSAGE_HANDSHAKE_RESPONSE = 2,
	MESSAGE_HANDSHAKE_COOKIE = 3,
	MESSAGE_DATA = 4,
};

/*
 * All multi-byte integers on the wire are little-endian. The first byte of
 * the header is the type and the next three are zero.
 */
struct message_header {
	uint32_t type;
} __attribute__((packed));

struct message_macs {
	uint8_t mac1[COOKIE_LEN];
	uint8_t mac2[COOKIE_LEN];
} __attribute__((packed));

struct message_handshake_initiation {
	struct message_header header;
	uint32_t sender_index;
	uint8_t unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_static[noise_encrypted_len(NOISE_PUBLIC_KEY_LEN)];
	uint8_t encrypted_timestamp[noise_encrypted_len(NOISE_TIMESTAMP_LEN)];
	struct message_macs macs;
} __attribute__((packed));

struct message_handshake_response {
	struct message_header header;
	uint32_t sender_index;
	uint32_t receiver_index;
	uint8_t unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_nothing[noise_encrypted_len(0)];
	struct message_macs macs;
} __attribute__((packed));

struct message_handshake_cookie {
	struct message_header header;
	uint32_t receiver_index;
	uint8_t nonce[COOKIE_NONCE_LEN];
	uint8_t encrypted_cookie[noise_encrypted_len(COOKIE_LEN)];
} __attribute__((packed));

struct message_data {
	struct message_header header;
	uint32_t key_idx;
	uint64_t counter;
	uint8_t encrypted_data[];
} __attribute__((packed));

#define MESSAGE_INITIATION_LEN  148
#define MESSAGE_RESPONSE_LEN    92
#define MESSAGE_COOKIE_LEN      64
#define MESSAGE_DATA_HEADER_LEN 16
#define MESSAGE_MINIMUM_LENGTH  (MESSAGE_DATA_HEADER_LEN + NOISE_AUTHTAG_LEN)

_Static_assert(sizeof(struct message_handshake_initiation) == MESSAGE_INITIATION_LEN, "init");
_Static_assert(sizeof(struct message_handshake_response) == MESSAGE_RESPONSE_LEN, "resp");
_Static_assert(sizeof(struct message_handshake_cookie) == MESSAGE_COOKIE_LEN, "cookie");
_Static_assert(sizeof(struct message_data) == MESSAGE_DATA_HEADER_LEN, "data");

#endif
