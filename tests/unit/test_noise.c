// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests for the Noise_IKpsk2 handshake (src/noise.c) and the index table
 * (src/index.c). The known-answer vectors were made by an independent
 * Python implementation of whitepaper 5.4 (python "cryptography" X25519 and
 * ChaCha20-Poly1305, hashlib BLAKE2s, hmac), with fixed static and
 * ephemeral keys, so the exact bytes on the wire and the derived transport
 * keys are checked, not merely that two copies of this code agree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <errno.h>
#include <cmocka.h>

#include "clock.h"
#include "crypto.h"
#include "index.h"
#include "noise.h"

/* One side of a connection: our identity, our one peer, our sessions. */
struct side {
	struct noise_static_identity id;
	struct noise_handshake hs;
	struct noise_keypairs kps;
	struct index_table table;
};

static struct side A, B, C;

#define START_MONO (1000 * NSEC_PER_SEC)
#define START_REAL (1700000000ULL * NSEC_PER_SEC)

static void unhex(uint8_t *out, const char *hex, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
}

static void assert_hex(const uint8_t *got, const char *hex)
{
	size_t len = strlen(hex) / 2;
	uint8_t want[256];

	unhex(want, hex, len);
	assert_memory_equal(got, want, len);
}

static struct noise_handshake *lookup(void *arg,
				      const uint8_t s[NOISE_PUBLIC_KEY_LEN])
{
	struct side *side = arg;

	if (memcmp(side->hs.remote_static, s, NOISE_PUBLIC_KEY_LEN))
		return NULL;
	return &side->hs;
}

static void make_identity(struct side *s)
{
	assert_int_equal(crypto_x25519_genkey(s->id.static_private), 0);
	assert_int_equal(crypto_x25519_public(s->id.static_public,
					      s->id.static_private), 0);
	s->id.has_identity = true;
	index_table_init(&s->table);
	memset(&s->kps, 0, sizeof(s->kps));
}

/* x and y are each other's only peer, both with the given psk. */
static void pair(struct side *x, struct side *y, const uint8_t *psk)
{
	assert_int_equal(noise_handshake_init(&x->hs, &x->id,
					      y->id.static_public, psk, y), 0);
	assert_int_equal(noise_handshake_init(&y->hs, &y->id,
					      x->id.static_public, psk, x), 0);
}

static int setup(void **state)
{
	clock_fake_set(START_MONO, START_REAL);
	assert_int_equal(crypto_init(), 0);
	noise_init();
	make_identity(&A);
	make_identity(&B);
	make_identity(&C);
	pair(&A, &B, NULL);
	return 0;
}

static int teardown(void **state)
{
	struct side *sides[] = { &A, &B, &C };

	for (size_t i = 0; i < 3; i++) {
		noise_keypairs_clear(&sides[i]->kps, &sides[i]->table);
		noise_handshake_clear(&sides[i]->hs, &sides[i]->table);
		assert_int_equal(sides[i]->table.count, 0);
	}
	clock_fake_clear();
	return 0;
}

/* Full exchange from i to r; both end with a keypair. */
static void handshake(struct side *i, struct side *r)
{
	struct message_handshake_initiation init;
	struct message_handshake_response resp;

	assert_int_equal(noise_handshake_create_initiation(&init, &i->hs,
							   &i->table), 0);
	assert_ptr_equal(noise_handshake_consume_initiation(&init, &r->id,
							    lookup, r),
			 &r->hs);
	assert_int_equal(noise_handshake_create_response(&resp, &r->hs,
							 &r->table), 0);
	assert_ptr_equal(noise_handshake_consume_response(&resp, &i->id,
							  &i->table),
			 &i->hs);
	assert_int_equal(noise_handshake_begin_session(&i->hs, &i->kps,
						       &i->table), 0);
	assert_int_equal(noise_handshake_begin_session(&r->hs, &r->kps,
						       &r->table), 0);
}

/* A packet sealed with one keypair's sending key opens with the other's
 * receiving key, and not with a key one bit off. */
static void check_data(const struct noise_keypair *tx,
		       const struct noise_keypair *rx)
{
	static const uint8_t msg[] = "sixteen byte msg";
	uint8_t ct[sizeof(msg) + 16], pt[sizeof(msg)];
	uint8_t bad[NOISE_SYMMETRIC_KEY_LEN];

	assert_true(tx->sending.is_valid && rx->receiving.is_valid);
	assert_int_equal(crypto_aead_encrypt(ct, msg, sizeof(msg), NULL, 0, 42,
					     tx->sending.key), 0);
	assert_int_equal(crypto_aead_decrypt(pt, ct, sizeof(ct), NULL, 0, 42,
					     rx->receiving.key), 0);
	assert_memory_equal(pt, msg, sizeof(msg));
	memcpy(bad, rx->receiving.key, sizeof(bad));
	bad[0] ^= 1;
	assert_int_equal(crypto_aead_decrypt(pt, ct, sizeof(ct), NULL, 0, 42,
					     bad), -EBADMSG);
}

static void test_initial_values(void **state)
{
	uint8_t ck[NOISE_HASH_LEN], h[NOISE_HASH_LEN];

	noise_initial_values(ck, h);
	assert_hex(ck, "60e26daef327efc02ec335e2a025d2d0"
		       "16eb4206f87277f52d38d1988b78cd36");
	assert_hex(h, "2211b361081ac566691243db458ad532"
		      "2d9c6c662293e8b70ee19c65ba079ef3");
}

/* Known-answer vector (Python reference, see top of file). */
#define KAT_SI  "0002030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f60"
#define KAT_SR  "60666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f8081828344"
#define KAT_EI  "c8cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e768"
#define KAT_SPI "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c"
#define KAT_SPR "5714769d116bf76436ae74bc793d2c30ad1903c59ac5273805c7e2698b410c36"
#define KAT_PSK "7777777777777777777777777777777777777777777777777777777777777777"
#define KAT_INIT \
	"01000000443322114c29f4996985e80d247e80b70303824592ff9fbad74904ea" \
	"7c3d2bda24e51c12197f3df1f1f385eeca7385af03e3983a5be229054fb3fdc5" \
	"00e176ddd622a02b9e5e64b51975fa696074da3938059ad5d1060d78a6c94581" \
	"89a0d36692c7641e93bde62cb3a9521d63e969c15e76c968f5ffee025bd89f9c" \
	"ef25cda900000000000000000000000000000000"
#define KAT_H_INIT  "db8b84201d207606884fe59653b7f94fad690ae2653176c72bbf65f7eec18f5a"
#define KAT_CK_INIT "2d230431948b63738342ec4187f229bb327844bd699475269fd02bddb4b4980a"
#define KAT_RESP \
	"02000000ddccbbaa443322115418fb8e9b534684a29522ffe3c7a506ac75f065" \
	"20e9ffb5a55495f6edf5447e369fbf3fbef4ca455d9bf1affdbc08aab2e4b5d1" \
	"f2d0f855926e427922b51d6c00000000000000000000000000000000"
#define KAT_T_SEND "812cd15e2162a5be3d1058b4797791b5afac79aace43437003d05af9b859296e"
#define KAT_T_RECV "70227806562243198e80c463d4429fa814413205eb400479c810ca0af3cfb483"

static void kat_identity(struct side *s, const char *priv, const char *pub)
{
	unhex(s->id.static_private, priv, NOISE_PUBLIC_KEY_LEN);
	assert_int_equal(crypto_x25519_public(s->id.static_public,
					      s->id.static_private), 0);
	assert_hex(s->id.static_public, pub);
}

/* Responder side: consuming the reference initiation reaches the same h
 * and ck, and records the sender index and timestamp. */
static void test_kat_consume_initiation(void **state)
{
	struct message_handshake_initiation init;
	uint8_t psk[NOISE_SYMMETRIC_KEY_LEN];

	kat_identity(&A, KAT_SI, KAT_SPI);
	kat_identity(&B, KAT_SR, KAT_SPR);
	unhex(psk, KAT_PSK, sizeof(psk));
	pair(&A, &B, psk);
	unhex((uint8_t *)&init, KAT_INIT, sizeof(init));
	assert_ptr_equal(noise_handshake_consume_initiation(&init, &B.id,
							    lookup, &B),
			 &B.hs);
	assert_int_equal(B.hs.state, HANDSHAKE_CONSUMED_INITIATION);
	assert_hex(B.hs.hash, KAT_H_INIT);
	assert_hex(B.hs.chaining_key, KAT_CK_INIT);
	assert_int_equal(B.hs.remote_index, 0x11223344);
	assert_hex(B.hs.latest_timestamp, "400000006553f1000a000000");
	assert_int_equal(B.hs.last_initiation_consumption, START_MONO);
}

/* Initiator side: given the reference initiation's state, the reference
 * response yields exactly the reference transport keys. */
static void test_kat_consume_response(void **state)
{
	struct message_handshake_response resp;
	uint8_t psk[NOISE_SYMMETRIC_KEY_LEN];
	struct noise_keypair *kp;

	kat_identity(&A, KAT_SI, KAT_SPI);
	kat_identity(&B, KAT_SR, KAT_SPR);
	unhex(psk, KAT_PSK, sizeof(psk));
	pair(&A, &B, psk);
	unhex(A.hs.ephemeral_private, KAT_EI, NOISE_PUBLIC_KEY_LEN);
	unhex(A.hs.hash, KAT_H_INIT, NOISE_HASH_LEN);
	unhex(A.hs.chaining_key, KAT_CK_INIT, NOISE_HASH_LEN);
	A.hs.state = HANDSHAKE_CREATED_INITIATION;
	unhex((uint8_t *)&resp, KAT_RESP, sizeof(resp));
	/* receiver_index is not authenticated by Noise; aim it at our entry. */
	resp.receiver_index = htole32(index_table_insert(&A.table, &A.hs.entry));

	assert_ptr_equal(noise_handshake_consume_response(&resp, &A.id,
							  &A.table), &A.hs);
	assert_int_equal(noise_handshake_begin_session(&A.hs, &A.kps,
						       &A.table), 0);
	kp = A.kps.current_keypair;
	assert_non_null(kp);
	assert_hex(kp->sending.key, KAT_T_SEND);
	assert_hex(kp->receiving.key, KAT_T_RECV);
	assert_int_equal(kp->remote_index, 0xaabbccdd);
	assert_true(kp->i_am_the_initiator);
	assert_int_equal(kp->sending.birthdate, START_MONO);
}

static void full_handshake_and_data(const uint8_t *psk)
{
	pair(&A, &B, psk);
	handshake(&A, &B);
	assert_int_equal(A.hs.state, HANDSHAKE_ZEROED);
	assert_int_equal(B.hs.state, HANDSHAKE_ZEROED);
	assert_true(crypto_is_zero(A.hs.chaining_key, NOISE_HASH_LEN));
	assert_true(crypto_is_zero(A.hs.ephemeral_private, NOISE_PUBLIC_KEY_LEN));
	assert_true(crypto_is_zero(B.hs.ephemeral_private, NOISE_PUBLIC_KEY_LEN));
	/* The initiator uses its keypair at once, the responder waits. */
	assert_non_null(A.kps.current_keypair);
	assert_null(A.kps.next_keypair);
	assert_null(B.kps.current_keypair);
	assert_non_null(B.kps.next_keypair);
	assert_true(A.kps.current_keypair->i_am_the_initiator);
	assert_false(B.kps.next_keypair->i_am_the_initiator);
	/* Each side addresses the other's session by the other's index. */
	assert_int_equal(A.kps.current_keypair->remote_index,
			 B.kps.next_keypair->entry.index);
	assert_int_equal(B.kps.next_keypair->remote_index,
			 A.kps.current_keypair->entry.index);
	check_data(A.kps.current_keypair, B.kps.next_keypair);
	check_data(B.kps.next_keypair, A.kps.current_keypair);
}

static void test_handshake_no_psk(void **state)
{
	full_handshake_and_data(NULL);
}

static void test_handshake_psk(void **state)
{
	uint8_t psk[NOISE_SYMMETRIC_KEY_LEN];

	crypto_random(psk, sizeof(psk));
	full_handshake_and_data(psk);
}

/* The PSK only enters at the response (psk2), so the initiation is still
 * accepted but the response is not, in either direction of mismatch. */
static void test_psk_mismatch(void **state)
{
	struct message_handshake_initiation init;
	struct message_handshake_response resp;
	uint8_t psk[NOISE_SYMMETRIC_KEY_LEN];

	memset(psk, 0x42, sizeof(psk));
	for (int dir = 0; dir < 2; dir++) {
		noise_handshake_set_psk(&A.hs, dir ? psk : NULL);
		noise_handshake_set_psk(&B.hs, dir ? NULL : psk);
		clock_fake_advance(NSEC_PER_SEC);
		assert_int_equal(noise_handshake_create_initiation(&init, &A.hs,
								   &A.table), 0);
		assert_non_null(noise_handshake_consume_initiation(&init, &B.id,
								   lookup, &B));
		assert_int_equal(noise_handshake_create_response(&resp, &B.hs,
								 &B.table), 0);
		assert_null(noise_handshake_consume_response(&resp, &A.id,
							     &A.table));
		assert_int_equal(A.hs.state, HANDSHAKE_CREATED_INITIATION);
		assert_int_equal(noise_handshake_begin_session(&A.hs, &A.kps,
							       &A.table),
				 -EINVAL);
	}
}

static void test_replayed_initiation(void **state)
{
	struct message_handshake_initiation init;

	assert_int_equal(noise_handshake_create_initiation(&init, &A.hs,
							   &A.table), 0);
	assert_non_null(noise_handshake_consume_initiation(&init, &B.id,
							   lookup, &B));
	/* Long past the flood interval: only the timestamp rejects it. */
	clock_fake_advance(10 * NSEC_PER_SEC);
	assert_null(noise_handshake_consume_initiation(&init, &B.id, lookup,
						       &B));
	/* A fresh initiation (newer timestamp) is fine. */
	assert_int_equal(noise_handshake_create_initiation(&init, &A.hs,
							   &A.table), 0);
	assert_non_null(noise_handshake_consume_initiation(&init, &B.id,
							   lookup, &B));
}

/* C knows B's public key, but B has no peer with C's static key. */
static void test_unknown_static(void **state)
{
	struct message_handshake_initiation init;
	struct noise_handshake before;

	assert_int_equal(noise_handshake_init(&C.hs, &C.id, B.id.static_public,
					      NULL, &B), 0);
	assert_int_equal(noise_handshake_create_initiation(&init, &C.hs,
							   &C.table), 0);
	memcpy(&before, &B.hs, sizeof(before));
	assert_null(noise_handshake_consume_initiation(&init, &B.id, lookup,
						       &B));
	assert_memory_equal(&before, &B.hs, sizeof(before));
	/* And one meant for someone else's key does not decrypt at all. */
	noise_handshake_clear(&C.hs, &C.table);
	assert_int_equal(noise_handshake_init(&C.hs, &C.id, A.id.static_public,
					      NULL, &A), 0);
	assert_int_equal(noise_handshake_create_initiation(&init, &C.hs,
							   &C.table), 0);
	assert_null(noise_handshake_consume_initiation(&init, &B.id, lookup,
						       &B));
}

/*
 * Every authenticated byte matters. The type and sender_index are not part
 * of the Noise transcript (mac1 covers them), and macs are cookie.c's, so
 * the flips cover the ephemeral onward. Failures must change nothing: the
 * untouched message still goes through afterwards.
 */
static void test_tampered_initiation(void **state)
{
	struct message_handshake_initiation init, bad;
	struct noise_handshake before;
	size_t from = offsetof(struct message_handshake_initiation,
			       unencrypted_ephemeral);
	size_t to = offsetof(struct message_handshake_initiation, macs);

	assert_int_equal(noise_handshake_create_initiation(&init, &A.hs,
							   &A.table), 0);
	memcpy(&before, &B.hs, sizeof(before));
	for (size_t i = from; i < to; i++) {
		memcpy(&bad, &init, sizeof(bad));
		((uint8_t *)&bad)[i] ^= (uint8_t)(1u << (i % 8));
		if (noise_handshake_consume_initiation(&bad, &B.id, lookup, &B))
			fail_msg("flipped byte %zu accepted", i);
	}
	assert_memory_equal(&before, &B.hs, sizeof(before));
	assert_non_null(noise_handshake_consume_initiation(&init, &B.id,
							   lookup, &B));
}

/* Same for the response; receiver_index selects our handshake, so a flip
 * there finds nothing. */
static void test_tampered_response(void **state)
{
	struct message_handshake_initiation init;
	struct message_handshake_response resp, bad;
	struct noise_handshake before;
	size_t from = offsetof(struct message_handshake_response,
			       receiver_index);
	size_t to = offsetof(struct message_handshake_response, macs);

	assert_int_equal(noise_handshake_create_initiation(&init, &A.hs,
							   &A.table), 0);
	assert_non_null(noise_handshake_consume_initiation(&init, &B.id,
							   lookup, &B));
	assert_int_equal(noise_handshake_create_response(&resp, &B.hs,
							 &B.table), 0);
	memcpy(&before, &A.hs, sizeof(before));
	for (size_t i = from; i < to; i++) {
		memcpy(&bad, &resp, sizeof(bad));
		((uint8_t *)&bad)[i] ^= (uint8_t)(1u << (i % 8));
		if (noise_handshake_consume_response(&bad, &A.id, &A.table))
			fail_msg("flipped byte %zu accepted", i);
	}
	assert_memory_equal(&before, &A.hs, sizeof(before));
	assert_ptr_equal(noise_handshake_consume_response(&resp, &A.id,
							  &A.table), &A.hs);
	/* Consumed once; the same response again finds no waiting state. */
	assert_null(noise_handshake_consume_response(&resp, &A.id, &A.table));
}

/* RFC 7748 6.1: points of small order give an all-zero shared secret. */
static void test_low_order_peer(void **state)
{
	static const char *const points[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	struct message_handshake_initiation init;
	uint8_t pub[NOISE_PUBLIC_KEY_LEN];

	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		unhex(pub, points[i], sizeof(pub));
		assert_int_equal(noise_handshake_init(&C.hs, &C.id, pub, NULL,
						      NULL), -EINVAL);
		assert_true(crypto_is_zero(C.hs.precomputed_static_static,
					   NOISE_PUBLIC_KEY_LEN));
		assert_int_not_equal(noise_handshake_create_initiation(
					     &init, &C.hs, &C.table), 0);
		assert_int_equal(C.hs.state, HANDSHAKE_ZEROED);
		assert_int_equal(C.table.count, 0);
	}
}

/*
 * The ss step checks the precomputed static-static DH itself: a zero one
 * (a peer configured before our key, or low-order) fails on both sides
 * even when es succeeds.
 */
static void test_zero_static_static(void **state)
{
	struct message_handshake_initiation init;

	memset(A.hs.precomputed_static_static, 0, NOISE_PUBLIC_KEY_LEN);
	assert_int_equal(noise_handshake_create_initiation(&init, &A.hs,
							   &A.table), -EINVAL);
	assert_int_equal(A.table.count, 0);
	assert_int_equal(noise_precompute_static_static(&A.hs), 0);
	assert_int_equal(noise_handshake_create_initiation(&init, &A.hs,
							   &A.table), 0);
	memset(B.hs.precomputed_static_static, 0, NOISE_PUBLIC_KEY_LEN);
	assert_null(noise_handshake_consume_initiation(&init, &B.id, lookup,
						       &B));
	assert_int_equal(noise_precompute_static_static(&B.hs), 0);
	assert_non_null(noise_handshake_consume_initiation(&init, &B.id,
							   lookup, &B));
}

/* One initiation per MIN_INITIATION_INTERVAL (20 ms) per peer. The clock
 * starts on a whole second so TAI64N ticks (1/64 s) are predictable. */
static void test_initiation_flood(void **state)
{
	struct message_handshake_initiation init;

	assert_int_equal(MIN_INITIATION_INTERVAL, 20 * NSEC_PER_MSEC);
	assert_int_equal(noise_handshake_create_initiation(&init, &A.hs,
							   &A.table), 0);
	assert_non_null(noise_handshake_consume_initiation(&init, &B.id,
							   lookup, &B));
	/* 16 ms on, the timestamp has ticked, so only the flood check bites. */
	clock_fake_advance(16 * NSEC_PER_MSEC);
	assert_int_equal(noise_handshake_create_initiation(&init, &A.hs,
							   &A.table), 0);
	assert_null(noise_handshake_consume_initiation(&init, &B.id, lookup,
						       &B));
	clock_fake_advance(4 * NSEC_PER_MSEC - 1);
	assert_null(noise_handshake_consume_initiation(&init, &B.id, lookup,
						       &B));
	clock_fake_advance(1);
	assert_non_null(noise_handshake_consume_initiation(&init, &B.id,
							   lookup, &B));
	assert_int_equal(B.hs.last_initiation_consumption,
			 START_MONO + 20 * NSEC_PER_MSEC);
}

static void test_wrong_state(void **state)
{
	struct message_handshake_initiation init;
	struct message_handshake_response resp;

	assert_int_equal(noise_handshake_create_response(&resp, &B.hs,
							 &B.table), -EINVAL);
	assert_int_equal(noise_handshake_begin_session(&B.hs, &B.kps,
						       &B.table), -EINVAL);
	handshake(&A, &B);
	assert_int_equal(noise_handshake_begin_session(&A.hs, &A.kps,
						       &A.table), -EINVAL);
	A.id.has_identity = false;
	assert_int_equal(noise_handshake_create_initiation(&init, &A.hs,
							   &A.table), -EINVAL);
}

/* Whitepaper 6.3 / kernel add_new_keypair and received_with_keypair. */
static void test_keypair_rotation(void **state)
{
	struct noise_keypair *b1, *b2, *a1;
	uint32_t a1_index;

	handshake(&A, &B);
	b1 = B.kps.next_keypair;
	a1 = A.kps.current_keypair;
	assert_int_equal(B.table.count, 1);
	assert_false(noise_received_with_keypair(&B.kps, NULL, &B.table));
	assert_true(noise_received_with_keypair(&B.kps, b1, &B.table));
	assert_ptr_equal(B.kps.current_keypair, b1);
	assert_null(B.kps.next_keypair);
	assert_null(B.kps.previous_keypair);
	assert_false(noise_received_with_keypair(&B.kps, b1, &B.table));

	clock_fake_advance(NSEC_PER_SEC);
	handshake(&A, &B);
	assert_ptr_equal(A.kps.previous_keypair, a1);
	assert_ptr_not_equal(A.kps.current_keypair, a1);
	b2 = B.kps.next_keypair;
	assert_ptr_equal(B.kps.current_keypair, b1);
	assert_int_equal(B.table.count, 2);
	check_data(A.kps.current_keypair, b2);
	assert_true(noise_received_with_keypair(&B.kps, b2, &B.table));
	assert_ptr_equal(B.kps.previous_keypair, b1);
	assert_ptr_equal(B.kps.current_keypair, b2);

	/* A third handshake: the initiator drops its oldest (index gone);
	 * the responder drops previous at once and parks the new one. */
	clock_fake_advance(NSEC_PER_SEC);
	a1_index = a1->entry.index;
	handshake(&A, &B);
	assert_null(index_table_lookup(&A.table, a1_index, INDEX_KEYPAIR));
	assert_int_equal(A.table.count, 2);
	assert_null(B.kps.previous_keypair);
	assert_ptr_equal(B.kps.current_keypair, b2);
	assert_non_null(B.kps.next_keypair);
	assert_int_equal(B.table.count, 2);
}

/* An initiator whose unconfirmed next exists demotes it to previous and
 * frees current (kernel comment: "KCI can result in this transition"). */
static void test_initiator_with_pending_next(void **state)
{
	struct noise_keypair *a_cur, *a_next;

	handshake(&A, &B);		/* A current = a_cur */
	a_cur = A.kps.current_keypair;
	clock_fake_advance(NSEC_PER_SEC);
	handshake(&B, &A);		/* A next = a_next */
	a_next = A.kps.next_keypair;
	assert_ptr_equal(A.kps.current_keypair, a_cur);
	clock_fake_advance(NSEC_PER_SEC);
	handshake(&A, &B);
	assert_ptr_equal(A.kps.previous_keypair, a_next);
	assert_null(A.kps.next_keypair);
	assert_ptr_not_equal(A.kps.current_keypair, a_cur);
	assert_ptr_not_equal(A.kps.current_keypair, a_next);
	assert_int_equal(A.table.count, 2);
}

static void test_keypair_index(void **state)
{
	struct message_handshake_initiation init;
	struct noise_keypair *kp;
	uint32_t hs_index;

	assert_int_equal(noise_handshake_create_initiation(&init, &A.hs,
							   &A.table), 0);
	hs_index = le32toh(init.sender_index);
	assert_ptr_equal(index_table_lookup(&A.table, hs_index,
					    INDEX_HANDSHAKE), &A.hs.entry);
	assert_null(index_table_lookup(&A.table, hs_index, INDEX_KEYPAIR));
	noise_handshake_clear(&A.hs, &A.table);
	assert_null(index_table_lookup(&A.table, hs_index, INDEX_HANDSHAKE));
	assert_int_equal(A.table.count, 0);

	handshake(&A, &B);
	kp = A.kps.current_keypair;
	/* The keypair took over the index of the handshake it came from. */
	assert_ptr_equal(index_table_lookup(&A.table, kp->entry.index,
					    INDEX_KEYPAIR), &kp->entry);
	assert_null(index_table_lookup(&A.table, kp->entry.index,
				       INDEX_HANDSHAKE));
	assert_ptr_equal(kp->entry.peer, &B);
	assert_ptr_equal(kp->peer, &B);
	assert_int_equal(A.table.count, 1);
	hs_index = kp->entry.index;
	noise_keypairs_clear(&A.kps, &A.table);
	assert_null(A.kps.current_keypair);
	assert_null(index_table_lookup(&A.table, hs_index, INDEX_KEYPAIR));
	assert_int_equal(A.table.count, 0);
}

static void test_expire_current(void **state)
{
	handshake(&A, &B);
	noise_expire_current_peer_keypairs(&A.kps);
	assert_false(A.kps.current_keypair->sending.is_valid);
	assert_true(A.kps.current_keypair->receiving.is_valid);
	noise_expire_current_peer_keypairs(&B.kps);
	assert_false(B.kps.next_keypair->sending.is_valid);
}

/* The index table on its own: uniqueness, moves, replace, remove. */
static void test_index_table(void **state)
{
	enum { N = 3000 };
	struct index_entry *e = calloc(N, sizeof(*e));
	struct index_entry repl = { .type = INDEX_KEYPAIR };
	uint32_t old;

	assert_non_null(e);
	for (int i = 0; i < N; i++) {
		e[i].type = i % 2 ? INDEX_KEYPAIR : INDEX_HANDSHAKE;
		index_table_insert(&C.table, &e[i]);
	}
	assert_int_equal(C.table.count, N);
	for (int i = 0; i < N; i++)
		assert_ptr_equal(index_table_lookup(&C.table, e[i].index,
						    e[i].type), &e[i]);
	old = e[0].index;
	index_table_insert(&C.table, &e[0]);	/* moves, does not duplicate */
	assert_int_equal(C.table.count, N);
	assert_null(index_table_lookup(&C.table, old, INDEX_HANDSHAKE));
	index_table_replace(&C.table, &e[0], &repl);
	assert_int_equal(repl.index, e[0].index);
	assert_ptr_equal(index_table_lookup(&C.table, repl.index,
					    INDEX_KEYPAIR), &repl);
	assert_null(index_table_lookup(&C.table, repl.index, INDEX_HANDSHAKE));
	index_table_remove(&C.table, &e[0]);	/* already handed over */
	assert_int_equal(C.table.count, N);
	index_table_remove(&C.table, &repl);
	for (int i = 1; i < N; i++)
		index_table_remove(&C.table, &e[i]);
	assert_int_equal(C.table.count, 0);
	for (unsigned int i = 0; i < (1U << INDEX_TABLE_BITS); i++)
		assert_null(C.table.buckets[i]);
	free(e);
}

/* Releases the OpenSSL contexts so valgrind reports no leftovers. */
static int group_teardown(void **state)
{
	crypto_fini();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_initial_values),
		T(test_kat_consume_initiation),
		T(test_kat_consume_response),
		T(test_handshake_no_psk),
		T(test_handshake_psk),
		T(test_psk_mismatch),
		T(test_replayed_initiation),
		T(test_unknown_static),
		T(test_tampered_initiation),
		T(test_tampered_response),
		T(test_low_order_peer),
		T(test_zero_static_static),
		T(test_initiation_flood),
		T(test_wrong_state),
		T(test_keypair_rotation),
		T(test_initiator_with_pending_next),
		T(test_keypair_index),
		T(test_expire_current),
		T(test_index_table),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
