// SPDX-License-Identifier: GPL-2.0-only
/*
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard uses it (whitepaper
 * 5.4), following the kernel module's noise.c step for step so that we
 * interoperate with it and with wireguard-go. The comments name each
 * Noise token (e, es, s, ss, {t}, ee, se, psk, {}) where it is processed.
 *
 * Secrets that only live for one call sit on the stack and are wiped on
 * every exit path. A failed consume leaves the handshake untouched, so a
 * forged or replayed packet cannot knock a good handshake off course.
 *
 * Byte order: indices in structs (entry.index, remote_index) are host
 * order; they are converted with htole32/le32toh only where they meet the
 * wire (whitepaper 5.4: all integers on the wire are little-endian).
 */
#include "noise.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"

static uint8_t initial_chaining_key[NOISE_HASH_LEN];
static uint8_t initial_hash[NOISE_HASH_LEN];
static uint8_t plain_hash[NOISE_HASH_LEN];	/* before noise_bind_lane */
static bool initialized, use_plain;

#define handshake_of(e) \
	((struct noise_handshake *)((char *)(e) - \
				    offsetof(struct noise_handshake, entry)))

/* Whitepaper 5.4.1: Ci = HASH(Construction), Hi = HASH(Ci || Identifier). */
void noise_init(void)
{
	crypto_hash(initial_chaining_key, NOISE_HANDSHAKE_NAME,
		    strlen(NOISE_HANDSHAKE_NAME));
	crypto_hash2(initial_hash, initial_chaining_key, NOISE_HASH_LEN,
		     NOISE_IDENTIFIER_NAME, strlen(NOISE_IDENTIFIER_NAME));
	memcpy(plain_hash, initial_hash, NOISE_HASH_LEN);
	initialized = true;
}

static void mix_hash(uint8_t h[NOISE_HASH_LEN], const void *data, size_t len);

/*
 * Lanes 1..N-1 of a multi-lane pair share static keys with lane 0, so an
 * initiation recorded on one lane would otherwise be accepted by another
 * whose newest timestamp is older. Mixing the lane number into the initial
 * hash binds every handshake to its lane. Lane 0 keeps the plain WireGuard
 * value, so it still talks to any single-lane WireGuard peer.
 */
void noise_bind_lane(unsigned int lane)
{
	char tag[32];
	int n;

	noise_init();
	if (!lane)
		return;
	n = snprintf(tag, sizeof(tag), NOISE_LANE_LABEL "%u", lane);
	mix_hash(initial_hash, tag, (size_t)n);
}

void noise_use_plain(bool plain)
{
	use_plain = plain;
}

void noise_initial_values(uint8_t ck[NOISE_HASH_LEN], uint8_t h[NOISE_HASH_LEN])
{
	if (!initialized)
		noise_init();
	memcpy(ck, initial_chaining_key, NOISE_HASH_LEN);
	memcpy(h, initial_hash, NOISE_HASH_LEN);
}

/* h = HASH(h || data) */
static void mix_hash(uint8_t h[NOISE_HASH_LEN], const void *data, size_t len)
{
	crypto_hash2(h, h, NOISE_HASH_LEN, data, len);
}

/*
 * (ck, key) = KDF2(ck, in). key may be NULL, which is KDF1 (the ee and se
 * steps of the response keep only the new chaining key). A temporary keeps
 * the output from aliasing the input chaining key.
 */
static void mix_key(uint8_t ck[NOISE_HASH_LEN],
		    uint8_t key[NOISE_SYMMETRIC_KEY_LEN], const void *in,
		    size_t len)
{
	uint8_t new_ck[NOISE_HASH_LEN];

	crypto_kdf(new_ck, key, NULL, ck, in, len);
	memcpy(ck, new_ck, NOISE_HASH_LEN);
	crypto_wipe(new_ck, sizeof(new_ck));
}

/* DH then mix_key; fails on an all-zero (low-order) result (5.4.2). */
static bool mix_dh(uint8_t ck[NOISE_HASH_LEN],
		   uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
		   const uint8_t priv[NOISE_PUBLIC_KEY_LEN],
		   const uint8_t pub[NOISE_PUBLIC_KEY_LEN])
{
	uint8_t dh[NOISE_PUBLIC_KEY_LEN];
	bool ok = crypto_x25519(dh, priv, pub) == 0;

	if (ok)
		mix_key(ck, key, dh, sizeof(dh));
	crypto_wipe(dh, sizeof(dh));
	return ok;
}

/* ss uses the DH computed when the peer was configured (kernel
 * mix_precomputed_dh); zero means the pair is low-order. */
static bool mix_precomputed_dh(uint8_t ck[NOISE_HASH_LEN],
			       uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
			       const uint8_t precomputed[NOISE_PUBLIC_KEY_LEN])
{
	if (crypto_is_zero(precomputed, NOISE_PUBLIC_KEY_LEN))
		return false;
	mix_key(ck, key, precomputed, NOISE_PUBLIC_KEY_LEN);
	return true;
}

/* psk token (5.4.3): (ck, tau, key) = KDF3(ck, Q); h = HASH(h || tau). */
static void mix_psk(uint8_t ck[NOISE_HASH_LEN], uint8_t h[NOISE_HASH_LEN],
		    uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
		    const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN])
{
	uint8_t new_ck[NOISE_HASH_LEN], tau[NOISE_HASH_LEN];

	crypto_kdf(new_ck, tau, key, ck, psk, NOISE_SYMMETRIC_KEY_LEN);
	memcpy(ck, new_ck, NOISE_HASH_LEN);
	mix_hash(h, tau, sizeof(tau));
	crypto_wipe(new_ck, sizeof(new_ck));
	crypto_wipe(tau, sizeof(tau));
}

/* AEAD(key, 0, plain, h), then h = HASH(h || ciphertext). */
static void message_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
			    const uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
			    uint8_t h[NOISE_HASH_LEN])
{
	crypto_aead_encrypt(dst, src, len, h, NOISE_HASH_LEN, 0, key);
	mix_hash(h, dst, noise_encrypted_len(len));
}

/* Inverse of message_encrypt; h only moves on when the tag verifies. */
static bool message_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen,
			    const uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
			    uint8_t h[NOISE_HASH_LEN])
{
	if (crypto_aead_decrypt(dst, src, srclen, h, NOISE_HASH_LEN, 0, key))
		return false;
	mix_hash(h, src, srclen);
	return true;
}

/* e token: the ephemeral public key goes into h and, as Noise's PSK
 * modes require, into ck too (KDF1). */
static void message_ephemeral(uint8_t dst[NOISE_PUBLIC_KEY_LEN],
			      const uint8_t src[NOISE_PUBLIC_KEY_LEN],
			      uint8_t ck[NOISE_HASH_LEN], uint8_t h[NOISE_HASH_LEN])
{
	if (dst != src)
		memcpy(dst, src, NOISE_PUBLIC_KEY_LEN);
	mix_hash(h, src, NOISE_PUBLIC_KEY_LEN);
	mix_key(ck, NULL, src, NOISE_PUBLIC_KEY_LEN);
}

/* e token for a message we send: a fresh ephemeral pair, kept in hs
 * until the session is derived. */
static int message_new_ephemeral(uint8_t pub[NOISE_PUBLIC_KEY_LEN],
				 struct noise_handshake *hs)
{
	int ret = crypto_x25519_genkey(hs->ephemeral_private);

	if (!ret)
		ret = crypto_x25519_public(pub, hs->ephemeral_private);
	if (!ret)
		message_ephemeral(pub, pub, hs->chaining_key, hs->hash);
	return ret;
}

/* Both sides start from (Ci, Hi) and mix in the responder's static key,
 * which the initiator knows in advance (the "K" of IK). */
static void handshake_start(uint8_t ck[NOISE_HASH_LEN],
			    uint8_t h[NOISE_HASH_LEN],
			    const uint8_t responder_static[NOISE_PUBLIC_KEY_LEN])
{
	if (!initialized)
		noise_init();
	memcpy(ck, initial_chaining_key, NOISE_HASH_LEN);
	memcpy(h, use_plain ? plain_hash : initial_hash, NOISE_HASH_LEN);
	mix_hash(h, responder_static, NOISE_PUBLIC_KEY_LEN);
}

void noise_handshake_zero(struct noise_handshake *hs)
{
	crypto_wipe(hs->ephemeral_private, NOISE_PUBLIC_KEY_LEN);
	crypto_wipe(hs->remote_ephemeral, NOISE_PUBLIC_KEY_LEN);
	crypto_wipe(hs->hash, NOISE_HASH_LEN);
	crypto_wipe(hs->chaining_key, NOISE_HASH_LEN);
	hs->remote_index = 0;
	hs->state = HANDSHAKE_ZEROED;
}

int noise_precompute_static_static(struct noise_handshake *hs)
{
	struct noise_static_identity *id = hs->static_identity;

	crypto_wipe(hs->precomputed_static_static, NOISE_PUBLIC_KEY_LEN);
	/* Without our own key there is nothing to compute yet; the caller
	 * recomputes once a private key is configured. */
	if (!id || !id->has_identity)
		return 0;
	hs->static_static_ready = true;
	if (crypto_x25519(hs->precomputed_static_static, id->static_private,
			  hs->remote_static)) {
		crypto_wipe(hs->precomputed_static_static, NOISE_PUBLIC_KEY_LEN);
		return -EINVAL;
	}
	return 0;
}

void noise_defer_static_static(struct noise_handshake *hs)
{
	crypto_wipe(hs->precomputed_static_static, NOISE_PUBLIC_KEY_LEN);
	hs->static_static_ready = false;
}

/* A deferred static-static DH is done at its first use; a failure leaves
 * it zero, which the ss step refuses. */
static void static_static_ready(struct noise_handshake *hs)
{
	if (!hs->static_static_ready)
		noise_precompute_static_static(hs);
}

void noise_handshake_set_psk(struct noise_handshake *hs,
			     const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN])
{
	if (psk)
		memcpy(hs->preshared_key, psk, NOISE_SYMMETRIC_KEY_LEN);
	else
		crypto_wipe(hs->preshared_key, NOISE_SYMMETRIC_KEY_LEN);
}

int noise_handshake_init(struct noise_handshake *hs,
			 struct noise_static_identity *id,
			 const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN],
			 const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN], void *peer)
{
	memset(hs, 0, sizeof(*hs));
	hs->entry.type = INDEX_HANDSHAKE;
	hs->entry.peer = peer;
	hs->peer = peer;
	hs->static_identity = id;
	memcpy(hs->remote_static, peer_public, NOISE_PUBLIC_KEY_LEN);
	noise_handshake_set_psk(hs, psk);
	hs->state = HANDSHAKE_ZEROED;
	return noise_precompute_static_static(hs);
}

void noise_handshake_init_deferred(struct noise_handshake *hs,
				   struct noise_static_identity *id,
				   const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN],
				   void *peer)
{
	memset(hs, 0, sizeof(*hs));
	hs->entry.type = INDEX_HANDSHAKE;
	hs->entry.peer = peer;
	hs->peer = peer;
	hs->static_identity = id;
	memcpy(hs->remote_static, peer_public, NOISE_PUBLIC_KEY_LEN);
	hs->state = HANDSHAKE_ZEROED;
}

void noise_handshake_clear(struct noise_handshake *hs, struct index_table *t)
{
	index_table_remove(t, &hs->entry);
	noise_handshake_zero(hs);
}

/*
 * Message 1 (whitepaper 5.4.2):
 *   e, es, s, ss, {t}
 * sender_index is a fresh random index naming this attempt, so a response
 * to an older initiation of ours no longer finds it.
 */
int noise_handshake_create_initiation(struct message_handshake_initiation *dst,
				      struct noise_handshake *hs,
				      struct index_table *t)
{
	uint8_t timestamp[NOISE_TIMESTAMP_LEN];
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	int ret;

	if (!hs->static_identity || !hs->static_identity->has_identity)
		return -EINVAL;
	dst->header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	handshake_start(hs->chaining_key, hs->hash, hs->remote_static);
	/* e */
	ret = message_new_ephemeral(dst->unencrypted_ephemeral, hs);
	if (ret)
		goto out;
	ret = -EINVAL;
	/* es */
	if (!mix_dh(hs->chaining_key, key, hs->ephemeral_private,
		    hs->remote_static))
		goto out;
	/* s */
	message_encrypt(dst->encrypted_static,
			hs->static_identity->static_public,
			NOISE_PUBLIC_KEY_LEN, key, hs->hash);
	/* ss */
	static_static_ready(hs);
	if (!mix_precomputed_dh(hs->chaining_key, key,
				hs->precomputed_static_static))
		goto out;
	/* {t} */
	clock_tai64n(timestamp);
	message_encrypt(dst->encrypted_timestamp, timestamp,
			NOISE_TIMESTAMP_LEN, key, hs->hash);
	dst->sender_index = htole32(index_table_insert(t, &hs->entry));
	hs->state = HANDSHAKE_CREATED_INITIATION;
	ret = 0;
out:
	/* A half-built initiation must not be answerable. */
	if (ret)
		noise_handshake_zero(hs);
	crypto_wipe(key, sizeof(key));
	crypto_wipe(timestamp, sizeof(timestamp));
	return ret;
}

/*
 * Replay and flood guard (whitepaper 5.1, kernel consume_initiation): the
 * TAI64N timestamp must be strictly newer than the newest accepted one,
 * and at most one initiation per MIN_INITIATION_INTERVAL is processed.
 * 0 in last_initiation_consumption means none yet.
 */
static bool initiation_is_fresh(const struct noise_handshake *hs,
				const uint8_t t[NOISE_TIMESTAMP_LEN])
{
	uint64_t now = clock_now();
	uint64_t last = hs->last_initiation_consumption;

	if (memcmp(t, hs->latest_timestamp, NOISE_TIMESTAMP_LEN) <= 0)
		return false;
	if (last && last + MIN_INITIATION_INTERVAL > now)
		return false;
	return true;
}

/* Everything verified: only now does the handshake take the new state. */
static void commit_initiation(struct noise_handshake *hs,
			      const struct message_handshake_initiation *src,
			      const uint8_t e[NOISE_PUBLIC_KEY_LEN],
			      const uint8_t t[NOISE_TIMESTAMP_LEN],
			      const uint8_t ck[NOISE_HASH_LEN],
			      const uint8_t h[NOISE_HASH_LEN])
{
	memcpy(hs->remote_ephemeral, e, NOISE_PUBLIC_KEY_LEN);
	memcpy(hs->latest_timestamp, t, NOISE_TIMESTAMP_LEN);
	memcpy(hs->hash, h, NOISE_HASH_LEN);
	memcpy(hs->chaining_key, ck, NOISE_HASH_LEN);
	hs->remote_index = le32toh(src->sender_index);
	hs->last_initiation_consumption = clock_now();
	hs->state = HANDSHAKE_CONSUMED_INITIATION;
}

/*
 * First half of message 1 on the responder: e, es, s. Returns the handshake
 * of the peer whose static key the initiator proved, or NULL.
 */
static struct noise_handshake *
initiation_identify(const struct message_handshake_initiation *src,
		    const struct noise_static_identity *id,
		    noise_lookup_fn lookup, void *arg,
		    uint8_t ck[NOISE_HASH_LEN], uint8_t h[NOISE_HASH_LEN],
		    uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
		    uint8_t e[NOISE_PUBLIC_KEY_LEN])
{
	uint8_t s[NOISE_PUBLIC_KEY_LEN];

	handshake_start(ck, h, id->static_public);
	/* e */
	message_ephemeral(e, src->unencrypted_ephemeral, ck, h);
	/* es */
	if (!mix_dh(ck, key, id->static_private, e))
		return NULL;
	/* s */
	if (!message_decrypt(s, src->encrypted_static,
			     sizeof(src->encrypted_static), key, h))
		return NULL;
	/* Only an authenticated static key picks the peer. */
	return lookup(arg, s);
}

struct noise_handshake *noise_handshake_consume_initiation(
	const struct message_handshake_initiation *src,
	struct noise_static_identity *id, noise_lookup_fn lookup, void *arg)
{
	uint8_t e[NOISE_PUBLIC_KEY_LEN], t[NOISE_TIMESTAMP_LEN];
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t h[NOISE_HASH_LEN], ck[NOISE_HASH_LEN];
	struct noise_handshake *hs, *ret = NULL;

	if (!id || !id->has_identity)
		return NULL;
	hs = initiation_identify(src, id, lookup, arg, ck, h, key, e);
	if (!hs)
		goto out;
	/* ss */
	static_static_ready(hs);
	if (!mix_precomputed_dh(ck, key, hs->precomputed_static_static))
		goto out;
	/* {t} */
	if (!message_decrypt(t, src->encrypted_timestamp,
			     sizeof(src->encrypted_timestamp), key, h))
		goto out;
	if (!initiation_is_fresh(hs, t))
		goto out;
	commit_initiation(hs, src, e, t, ck, h);
	ret = hs;
out:
	crypto_wipe(key, sizeof(key));
	crypto_wipe(h, sizeof(h));
	crypto_wipe(ck, sizeof(ck));
	return ret;
}

/*
 * Message 2 (whitepaper 5.4.3):
 *   e, ee, se, psk, {}
 */
int noise_handshake_create_response(struct message_handshake_response *dst,
				    struct noise_handshake *hs,
				    struct index_table *t)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	int ret;

	if (hs->state != HANDSHAKE_CONSUMED_INITIATION)
		return -EINVAL;
	dst->header.type = htole32(MESSAGE_HANDSHAKE_RESPONSE);
	dst->receiver_index = htole32(hs->remote_index);
	/* e */
	ret = message_new_ephemeral(dst->unencrypted_ephemeral, hs);
	if (ret)
		goto out;
	ret = -EINVAL;
	/* ee, se */
	if (!mix_dh(hs->chaining_key, NULL, hs->ephemeral_private,
		    hs->remote_ephemeral) ||
	    !mix_dh(hs->chaining_key, NULL, hs->ephemeral_private,
		    hs->remote_static))
		goto out;
	/* psk */
	mix_psk(hs->chaining_key, hs->hash, key, hs->preshared_key);
	/* {} */
	message_encrypt(dst->encrypted_nothing, NULL, 0, key, hs->hash);
	dst->sender_index = htole32(index_table_insert(t, &hs->entry));
	hs->state = HANDSHAKE_CREATED_RESPONSE;
	ret = 0;
out:
	/* A half-run response leaves ck and h unusable; start over. */
	if (ret)
		noise_handshake_zero(hs);
	crypto_wipe(key, sizeof(key));
	return ret;
}

/* Finds our initiation that this response answers, by the index we put
 * in it; only a handshake still waiting for a response qualifies. */
static struct noise_handshake *
response_target(const struct message_handshake_response *src,
		struct index_table *t)
{
	struct index_entry *e;
	struct noise_handshake *hs;

	e = index_table_lookup(t, le32toh(src->receiver_index), INDEX_HANDSHAKE);
	if (!e)
		return NULL;
	hs = handshake_of(e);
	return hs->state == HANDSHAKE_CREATED_INITIATION ? hs : NULL;
}

struct noise_handshake *noise_handshake_consume_response(
	const struct message_handshake_response *src,
	struct noise_static_identity *id, struct index_table *t)
{
	uint8_t e[NOISE_PUBLIC_KEY_LEN], key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t h[NOISE_HASH_LEN], ck[NOISE_HASH_LEN], empty[1];
	struct noise_handshake *hs, *ret = NULL;

	if (!id || !id->has_identity)
		return NULL;
	hs = response_target(src, t);
	if (!hs)
		return NULL;
	memcpy(h, hs->hash, NOISE_HASH_LEN);
	memcpy(ck, hs->chaining_key, NOISE_HASH_LEN);
	/* e */
	message_ephemeral(e, src->unencrypted_ephemeral, ck, h);
	/* ee, se */
	if (!mix_dh(ck, NULL, hs->ephemeral_private, e) ||
	    !mix_dh(ck, NULL, id->static_private, e))
		goto out;
	/* psk */
	mix_psk(ck, h, key, hs->preshared_key);
	/* {} (a real buffer: some AEAD code treats a NULL output as AAD) */
	if (!message_decrypt(empty, src->encrypted_nothing,
			     sizeof(src->encrypted_nothing), key, h))
		goto out;
	memcpy(hs->remote_ephemeral, e, NOISE_PUBLIC_KEY_LEN);
	memcpy(hs->hash, h, NOISE_HASH_LEN);
	memcpy(hs->chaining_key, ck, NOISE_HASH_LEN);
	hs->remote_index = le32toh(src->sender_index);
	hs->state = HANDSHAKE_CONSUMED_RESPONSE;
	ret = hs;
out:
	crypto_wipe(key, sizeof(key));
	crypto_wipe(h, sizeof(h));
	crypto_wipe(ck, sizeof(ck));
	return ret;
}
