// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests for mac1/mac2 and cookie replies (src/cookie.c, whitepaper 5.4.4
 * and 5.4.7). Known answers (keys, mac1, cookie values) come from Python
 * hashlib BLAKE2s, independently of this code; the message is the same
 * reference initiation used in test_noise.c.
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "clock.h"
#include "cookie.h"
#include "crypto.h"

#define START_MONO (1000 * NSEC_PER_SEC)
#define START_REAL (1700000000ULL * NSEC_PER_SEC)

/* Responder key pair and the reference initiation (mac2 zero). */
#define KAT_SR  "60666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f8081828344"
#define KAT_SPR "5714769d116bf76436ae74bc793d2c30ad1903c59ac5273805c7e2698b410c36"
#define KAT_INIT \
	"01000000443322114c29f4996985e80d247e80b70303824592ff9fbad74904ea" \
	"7c3d2bda24e51c12197f3df1f1f385eeca7385af03e3983a5be229054fb3fdc5" \
	"00e176ddd622a02b9e5e64b51975fa696074da3938059ad5d1060d78a6c94581" \
	"89a0d36692c7641e93bde62cb3a9521d63e969c15e76c968f5ffee025bd89f9c" \
	"ef25cda900000000000000000000000000000000"
#define KAT_MAC1_KEY   "842907ad37f449e78d3aeb4492cc9b8184b94c9b92bf157718b4a106182a7a18"
#define KAT_COOKIE_KEY "088c15942d8e1a930a15069ead34facac74890e98829c2a685887499b1dc3df0"
#define KAT_MAC1       "5e76c968f5ffee025bd89f9cef25cda9"
/* BLAKE2s-128(key = 00 01 .. 1f, 192.0.2.1 || 51820 big-endian) */
#define KAT_COOKIE_V4  "b1db5839f9fd47f550c7fb7ecc003ab7"
/* BLAKE2s-128(key = 00 01 .. 1f, 2001:db8::1 || 443 big-endian) */
#define KAT_COOKIE_V6  "676b666b316ad2e45afe14d4f01dd80c"

static struct noise_static_identity resp_id, other_id;
static struct cookie_checker checker;
static struct cookie cookie;
static struct message_handshake_initiation msg;
static struct sockaddr_in src4;

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
	uint8_t want[64];
	size_t len = strlen(hex) / 2;

	unhex(want, hex, len);
	assert_memory_equal(got, want, len);
}

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET,
				 .sin_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET, ip, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6 v6(const char *ip, uint16_t port)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) };

	assert_int_equal(inet_pton(AF_INET6, ip, &s.sin6_addr), 1);
	return s;
}

#define SA(x) ((const struct sockaddr *)&(x))

static int setup(void **state)
{
	clock_fake_set(START_MONO, START_REAL);
	assert_int_equal(crypto_init(), 0);
	unhex(resp_id.static_private, KAT_SR, 32);
	assert_int_equal(crypto_x25519_public(resp_id.static_public,
					      resp_id.static_private), 0);
	resp_id.has_identity = true;
	assert_int_equal(crypto_x25519_genkey(other_id.static_private), 0);
	assert_int_equal(crypto_x25519_public(other_id.static_public,
					      other_id.static_private), 0);
	other_id.has_identity = true;
	cookie_checker_init(&checker, &resp_id);
	cookie_init(&cookie);
	cookie_precompute_peer_keys(&cookie, resp_id.static_public);
	unhex((uint8_t *)&msg, KAT_INIT, sizeof(msg));
	src4 = v4("192.0.2.1", 51820);
	return 0;
}

static int teardown(void **state)
{
	clock_fake_clear();
	return 0;
}

/* Gets the initiator a cookie for src: send, get a reply, consume it. */
static void obtain_cookie(const struct sockaddr *src)
{
	struct message_handshake_cookie reply;

	cookie_add_mac_to_packet(&msg, sizeof(msg), &cookie);
	assert_int_equal(cookie_message_create(&reply, &msg, sizeof(msg), 7,
					       &checker, src), 0);
	assert_int_equal(cookie_message_consume(&reply, &cookie), 0);
	assert_true(cookie.is_valid);
}

static void test_key_derivation(void **state)
{
	assert_hex(resp_id.static_public, KAT_SPR);
	assert_hex(checker.message_mac1_key, KAT_MAC1_KEY);
	assert_hex(checker.cookie_encryption_key, KAT_COOKIE_KEY);
	assert_hex(cookie.message_mac1_key, KAT_MAC1_KEY);
	assert_hex(cookie.cookie_decryption_key, KAT_COOKIE_KEY);
}

static void test_mac1(void **state)
{
	struct message_handshake_initiation m;
	struct cookie_checker wrong;

	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(src4), false),
			 VALID_MAC_BUT_NO_COOKIE);
	/* The sender side computes the same mac1 and no mac2 (no cookie). */
	memset(&m, 0, sizeof(m));
	memcpy(&m, &msg, offsetof(struct message_handshake_initiation, macs));
	cookie_add_mac_to_packet(&m, sizeof(m), &cookie);
	assert_hex(m.macs.mac1, KAT_MAC1);
	assert_true(crypto_is_zero(m.macs.mac2, COOKIE_LEN));
	assert_true(cookie.have_sent_mac1);
	assert_hex(cookie.last_mac1_sent, KAT_MAC1);
	/* Every bit up to and including mac1 counts. */
	for (size_t i = 0; i < offsetof(struct message_handshake_initiation,
					macs.mac2); i++) {
		memcpy(&m, &msg, sizeof(m));
		((uint8_t *)&m)[i] ^= (uint8_t)(0x80u >> (i % 8));
		if (cookie_validate_packet(&checker, &m, sizeof(m), SA(src4),
					   false) != INVALID_MAC)
			fail_msg("flipped byte %zu accepted", i);
	}
	cookie_checker_init(&wrong, &other_id);
	assert_int_equal(cookie_validate_packet(&wrong, &msg, sizeof(msg),
						SA(src4), false), INVALID_MAC);
	assert_int_equal(cookie_validate_packet(&checker, &msg, 10, SA(src4),
						false), INVALID_MAC);
}

static void test_under_load_without_cookie(void **state)
{
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(src4), true),
			 VALID_MAC_BUT_NO_COOKIE);
}

/* The reply decrypts to exactly BLAKE2s-128(secret, ip || port). */
static void test_cookie_reply_kat(void **state)
{
	struct message_handshake_cookie reply;
	struct sockaddr_in6 s6 = v6("2001:db8::1", 443);

	for (int i = 0; i < 32; i++)
		checker.secret[i] = (uint8_t)i;
	cookie_add_mac_to_packet(&msg, sizeof(msg), &cookie);
	assert_int_equal(cookie_message_create(&reply, &msg, sizeof(msg),
					       0x11223344, &checker, SA(src4)),
			 0);
	assert_int_equal(le32toh(reply.header.type), MESSAGE_HANDSHAKE_COOKIE);
	assert_int_equal(le32toh(reply.receiver_index), 0x11223344);
	assert_int_equal(cookie_message_consume(&reply, &cookie), 0);
	assert_hex(cookie.cookie, KAT_COOKIE_V4);
	assert_int_equal(cookie.birthdate, START_MONO);
	assert_false(cookie.have_sent_mac1);

	cookie_add_mac_to_packet(&msg, sizeof(msg), &cookie);
	assert_int_equal(cookie_message_create(&reply, &msg, sizeof(msg), 1,
					       &checker, SA(s6)), 0);
	assert_int_equal(cookie_message_consume(&reply, &cookie), 0);
	assert_hex(cookie.cookie, KAT_COOKIE_V6);
}

static void test_cookie_consume_rejects(void **state)
{
	struct message_handshake_cookie reply, bad;
	struct cookie other;

	/* Nothing sent yet: nothing to accept. */
	cookie_init(&other);
	cookie_precompute_peer_keys(&other, resp_id.static_public);
	assert_int_equal(cookie_message_create(&reply, &msg, sizeof(msg), 7,
					       &checker, SA(src4)), 0);
	assert_int_equal(cookie_message_consume(&reply, &other), -EINVAL);
	/* A reply to a message we did not send (different mac1). */
	msg.sender_index ^= 1;
	cookie_add_mac_to_packet(&msg, sizeof(msg), &other);
	msg.sender_index ^= 1;
	assert_int_equal(cookie_message_consume(&reply, &other), -EBADMSG);
	assert_false(other.is_valid);
	/* Tampered anywhere in nonce or ciphertext. */
	cookie_add_mac_to_packet(&msg, sizeof(msg), &cookie);
	assert_int_equal(cookie_message_create(&reply, &msg, sizeof(msg), 7,
					       &checker, SA(src4)), 0);
	for (size_t i = offsetof(struct message_handshake_cookie, nonce);
	     i < sizeof(reply); i++) {
		memcpy(&bad, &reply, sizeof(bad));
		((uint8_t *)&bad)[i] ^= 1;
		if (cookie_message_consume(&bad, &cookie) != -EBADMSG)
			fail_msg("flipped byte %zu accepted", i);
	}
	assert_false(cookie.is_valid);
	assert_int_equal(cookie_message_consume(&reply, &cookie), 0);
	/* One reply per mac1: the same reply again is refused. */
	assert_int_equal(cookie_message_consume(&reply, &cookie), -EINVAL);
}

static void test_mac2(void **state)
{
	struct sockaddr_in other_port = v4("192.0.2.1", 51821);
	struct sockaddr_in other_ip = v4("192.0.2.2", 51820);
	struct sockaddr_in6 mapped = v6("::ffff:192.0.2.1", 51820);
	struct sockaddr_in6 s6 = v6("2001:db8::1", 443);
	struct sockaddr_in6 s6b = v6("2001:db8::2", 443);

	obtain_cookie(SA(src4));
	cookie_add_mac_to_packet(&msg, sizeof(msg), &cookie);
	assert_false(crypto_is_zero(msg.macs.mac2, COOKIE_LEN));
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(src4), true),
			 VALID_MAC_WITH_COOKIE);
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(mapped), true),
			 VALID_MAC_WITH_COOKIE);
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(other_port), true),
			 VALID_MAC_BUT_NO_COOKIE);
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(other_ip), true),
			 VALID_MAC_BUT_NO_COOKIE);
	msg.macs.mac2[15] ^= 1;
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(src4), true),
			 VALID_MAC_BUT_NO_COOKIE);
	/* v6 sources, full address. */
	obtain_cookie(SA(s6));
	cookie_add_mac_to_packet(&msg, sizeof(msg), &cookie);
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(s6), true),
			 VALID_MAC_WITH_COOKIE);
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(s6b), true),
			 VALID_MAC_BUT_NO_COOKIE);
}

/* The responder's secret, and so every cookie, lives COOKIE_SECRET_MAX_AGE. */
static void test_secret_expiry(void **state)
{
	obtain_cookie(SA(src4));
	cookie_add_mac_to_packet(&msg, sizeof(msg), &cookie);
	clock_fake_advance(COOKIE_SECRET_MAX_AGE - 1);
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(src4), true),
			 VALID_MAC_WITH_COOKIE);
	clock_fake_advance(1);
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(src4), true),
			 VALID_MAC_BUT_NO_COOKIE);
	assert_int_equal(checker.secret_birthdate,
			 START_MONO + COOKIE_SECRET_MAX_AGE);
	/* A new cookie under the new secret works again. */
	obtain_cookie(SA(src4));
	cookie_add_mac_to_packet(&msg, sizeof(msg), &cookie);
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(src4), true),
			 VALID_MAC_WITH_COOKIE);
}

/* The initiator stops using a cookie COOKIE_SECRET_LATENCY before the
 * responder would stop honouring it. */
static void test_initiator_cookie_age(void **state)
{
	obtain_cookie(SA(src4));
	clock_fake_advance(COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY - 1);
	cookie_add_mac_to_packet(&msg, sizeof(msg), &cookie);
	assert_false(crypto_is_zero(msg.macs.mac2, COOKIE_LEN));
	clock_fake_advance(1);
	cookie_add_mac_to_packet(&msg, sizeof(msg), &cookie);
	assert_true(crypto_is_zero(msg.macs.mac2, COOKIE_LEN));
	/* mac1 is still right, so the responder sees it as cookieless. */
	assert_int_equal(cookie_validate_packet(&checker, &msg, sizeof(msg),
						SA(src4), true),
			 VALID_MAC_BUT_NO_COOKIE);
}

/* Responses carry macs too and are covered the same way. */
static void test_response_macs(void **state)
{
	struct message_handshake_response r;

	memset(&r, 0xab, sizeof(r));
	obtain_cookie(SA(src4));
	cookie_add_mac_to_packet(&r, sizeof(r), &cookie);
	assert_int_equal(cookie_validate_packet(&checker, &r, sizeof(r),
						SA(src4), true),
			 VALID_MAC_WITH_COOKIE);
	r.receiver_index ^= 1;
	assert_int_equal(cookie_validate_packet(&checker, &r, sizeof(r),
						SA(src4), true), INVALID_MAC);
}

static void test_no_identity(void **state)
{
	struct noise_static_identity none = { .has_identity = false };
	struct cookie_checker c;
	struct message_handshake_cookie reply;
	struct sockaddr unknown = { .sa_family = AF_UNIX };

	cookie_checker_init(&c, &none);
	assert_true(crypto_is_zero(c.message_mac1_key, COOKIE_KEY_LEN));
	assert_int_equal(cookie_validate_packet(&c, &msg, sizeof(msg),
						SA(src4), false), INVALID_MAC);
	assert_int_equal(cookie_message_create(&reply, &msg, sizeof(msg), 1,
					       &checker, &unknown),
			 -EAFNOSUPPORT);
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
		T(test_key_derivation),
		T(test_mac1),
		T(test_under_load_without_cookie),
		T(test_cookie_reply_kat),
		T(test_cookie_consume_rejects),
		T(test_mac2),
		T(test_secret_expiry),
		T(test_initiator_cookie_age),
		T(test_response_macs),
		T(test_no_identity),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
