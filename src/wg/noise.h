/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Noise_IKpsk2 handshake and transport keypairs (whitepaper 5.4). This
 * module knows nothing of sockets or peers beyond an opaque back pointer:
 * callers give it the static identity, the index table and a way to find
 * a handshake by the remote static key.
 */
#ifndef TUNLANE_NOISE_H
#define TUNLANE_NOISE_H

#include <stdbool.h>
#include <stdint.h>
#include "messages.h"
#include "replay.h"
#include "index.h"

struct noise_static_identity {
	uint8_t static_public[NOISE_PUBLIC_KEY_LEN];
	uint8_t static_private[NOISE_PUBLIC_KEY_LEN];
	bool has_identity;
};

enum noise_handshake_state {
	HANDSHAKE_ZEROED,
	HANDSHAKE_CREATED_INITIATION,
	HANDSHAKE_CONSUMED_INITIATION,
	HANDSHAKE_CREATED_RESPONSE,
	HANDSHAKE_CONSUMED_RESPONSE,
};

struct noise_handshake {
	enum noise_handshake_state state;
	uint64_t last_initiation_consumption;	/* clock_now() ns, 0 = never */
	struct noise_static_identity *static_identity;
	uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN];
	uint8_t remote_static[NOISE_PUBLIC_KEY_LEN];
	uint8_t remote_ephemeral[NOISE_PUBLIC_KEY_LEN];
	/* DH(S_priv_i, S_pub_r); all zero when the pair is low-order. */
	uint8_t precomputed_static_static[NOISE_PUBLIC_KEY_LEN];
	bool static_static_ready;	/* false: computed at first use */
	uint8_t preshared_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	uint8_t chaining_key[NOISE_HASH_LEN];
	uint8_t latest_timestamp[NOISE_TIMESTAMP_LEN];
	struct index_entry entry;	/* local_index lives in entry.index */
	uint32_t remote_index;
	void *peer;			/* opaque owner, passed back to callers */
};

struct noise_symmetric_key {
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint64_t birthdate;		/* clock_now() ns */
	bool is_valid;
};

struct noise_keypair {
	struct index_entry entry;	/* local index of this session */
	struct noise_symmetric_key sending;
	uint64_t sending_counter;
	struct noise_symmetric_key receiving;
	struct replay_counter receiving_counter;
	uint32_t remote_index;
	bool i_am_the_initiator;
	void *peer;
};

/* At most three live sessions per peer (whitepaper 6.3 key rotation). */
struct noise_keypairs {
	struct noise_keypair *current_keypair;
	struct noise_keypair *previous_keypair;
	struct noise_keypair *next_keypair;
};

/* Computes the initial chaining key and hash; call once at start. */
void noise_init(void);
/* Binds handshakes to lane (0 = plain WireGuard); call in each lane. */
void noise_bind_lane(unsigned int lane);
/* A lane bound to lane i still talks plain WireGuard with a peer that
 * reached it on the shared ListenPort (a stock client): handshakes started
 * while this is true use the unbound initial hash. */
void noise_use_plain(bool plain);
/* For tests: the precomputed initial chaining key and hash. */
void noise_initial_values(uint8_t ck[NOISE_HASH_LEN], uint8_t h[NOISE_HASH_LEN]);

/* Sets up a peer's handshake state. psk may be NULL (all zeros). Returns
 * 0, or -EINVAL when the static-static DH is low-order (the peer is still
 * usable as a config entry but no handshake will ever succeed). */
int noise_handshake_init(struct noise_handshake *hs,
			 struct noise_static_identity *id,
			 const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN],
			 const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN], void *peer);
/* Recomputes precomputed_static_static after the identity changed. */
int noise_precompute_static_static(struct noise_handshake *hs);
/*
 * The same, but the DH waits for the first handshake that needs it: a
 * peer costs no Curve25519 work until it handshakes, so configuring 20,000
 * peers (or a new private key under them) is cheap, and the master, which
 * never handshakes, never does it. Low-order keys are refused then.
 */
void noise_handshake_init_deferred(struct noise_handshake *hs,
				   struct noise_static_identity *id,
				   const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN],
				   void *peer);
void noise_defer_static_static(struct noise_handshake *hs);
void noise_handshake_set_psk(struct noise_handshake *hs,
			     const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN]);
/* Drops in-progress handshake state and its index. */
void noise_handshake_clear(struct noise_handshake *hs, struct index_table *t);
/* Resets the per-attempt state but keeps the peer's configuration and the
 * replay/flood guards (latest_timestamp, last_initiation_consumption). */
void noise_handshake_zero(struct noise_handshake *hs);

/* Initiator, message 1. Fills everything except macs. 0 or -errno. */
int noise_handshake_create_initiation(struct message_handshake_initiation *dst,
				      struct noise_handshake *hs,
				      struct index_table *t);

/* Maps a remote static public key to that peer's handshake, or NULL. */
typedef struct noise_handshake *(*noise_lookup_fn)(
	void *arg, const uint8_t remote_static[NOISE_PUBLIC_KEY_LEN]);

/*
 * Responder, message 1. Authenticates the initiator, rejects replayed or
 * old timestamps and floods (MIN_INITIATION_INTERVAL). Returns the peer's
 * handshake on success, NULL on any failure (nothing is changed then).
 */
struct noise_handshake *noise_handshake_consume_initiation(
	const struct message_handshake_initiation *src,
	struct noise_static_identity *id, noise_lookup_fn lookup, void *arg);

/* Responder, message 2. 0 or -errno. */
int noise_handshake_create_response(struct message_handshake_response *dst,
				    struct noise_handshake *hs,
				    struct index_table *t);

/* Initiator, message 2: receiver_index is looked up in t. NULL on failure. */
struct noise_handshake *noise_handshake_consume_response(
	const struct message_handshake_response *src,
	struct noise_static_identity *id, struct index_table *t);

/*
 * Derives transport keys from a completed handshake (either side), zeroes
 * the handshake, and installs the keypair: an initiator's becomes current
 * at once, a responder's waits in next until the first data packet
 * (noise_received_with_keypair). 0 or -errno.
 */
int noise_handshake_begin_session(struct noise_handshake *hs,
				  struct noise_keypairs *keypairs,
				  struct index_table *t);

/* Promotes next to current when the peer first uses it. True if rotated. */
bool noise_received_with_keypair(struct noise_keypairs *keypairs,
				 struct noise_keypair *received,
				 struct index_table *t);
/* Frees every keypair of a peer and wipes its keys. */
void noise_keypairs_clear(struct noise_keypairs *keypairs,
			  struct index_table *t);
/* Marks current's sending key invalid (used on key expiry). */
void noise_expire_current_peer_keypairs(struct noise_keypairs *keypairs);


#endif
