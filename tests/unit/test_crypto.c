// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests for src/crypto.c. Known answers are typed in from the documents
 * that define them (each test names its source); where no published
 * vector exists (HMAC-BLAKE2s, the WireGuard KDF, BLAKE2s-128 of "abc") the
 * code is checked differentially against the construction spelled out
 * here over crypto_hash, and pinned to values computed with CPython's
 * hashlib/hmac, whose BLAKE2 is the reference C code, not OpenSSL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>
#include <stdio.h>

#include "crypto.h"

#include <openssl/evp.h>

/* Hex to bytes, skipping spaces, so vectors can be typed as printed. */
static void unhex(uint8_t *out, size_t len, const char *s)
{
	size_t n = 0;
	char byte[3] = { 0 };

	while (*s && n < len) {
		if (*s == ' ' || *s == ':') {
			++s;
			continue;
		}
		byte[0] = s[0];
		byte[1] = s[1];
		out[n++] = (uint8_t)strtoul(byte, NULL, 16);
		s += 2;
	}
	assert_int_equal(n, len);
}

static void assert_hex(const uint8_t *got, size_t len, const char *want_hex)
{
	uint8_t *want = malloc(len);

	assert_non_null(want);
	unhex(want, len, want_hex);
	assert_memory_equal(got, want, len);
	free(want);
}

static void seq_bytes(uint8_t *p, size_t len, uint8_t start)
{
	size_t i;

	for (i = 0; i < len; ++i)
		p[i] = (uint8_t)(start + i);
}

/* ---- BLAKE2s ---------------------------------------------------------- */

/* RFC 7693 appendix B ("abc"); the empty input from the BLAKE2 KAT. */
static void test_blake2s_kat(void **state)
{
	uint8_t out[32];

	crypto_hash(out, "abc", 3);
	assert_hex(out, 32, "50 8C 5E 8C 32 7C 14 E2 E1 A7 2B A3 4E EB 45 2F"
			    "37 45 8B 20 9E D6 3A 29 4D 99 9B 4C 86 67 59 82");
	crypto_hash(out, "", 0);
	assert_hex(out, 32, "69217a3079908094e11121d042354a7c"
			    "1f55b6482ca1a51e1b250dfd1ed0eef9");
	/* hash2 hashes the concatenation, wherever it is split */
	crypto_hash2(out, "a", 1, "bc", 2);
	assert_hex(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f"
			    "37458b209ed63a294d999b4c86675982");
	crypto_hash2(out, "abc", 3, NULL, 0);
	assert_hex(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f"
			    "37458b209ed63a294d999b4c86675982");
}

/* docs/design.md section 3 / whitepaper 5.4.1: C0 and H0 of the handshake. */
static void test_blake2s_wireguard_initial_values(void **state)
{
	static const char construction[] =
		"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
	static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
	uint8_t ck[32], h[32];

	crypto_hash(ck, construction, strlen(construction));
	assert_hex(ck, 32, "60e26dae f327efc0 2ec335e2 a025d2d0"
			   "16eb4206 f87277f5 2d38d198 8b78cd36");
	crypto_hash2(h, ck, 32, identifier, strlen(identifier));
	assert_hex(h, 32, "2211b361 081ac566 691243db 458ad532"
			  "2d9c6c66 2293e8b7 0ee19c65 ba079ef3");
	/* in place, as noise.c's mix_hash does */
	crypto_hash2(ck, ck, 32, identifier, strlen(identifier));
	assert_memory_equal(ck, h, 32);
}

/* BLAKE2 reference blake2s-kat.txt, keyed: key = 00..1f, in = 00..(n-1). */
static void test_blake2s_mac_kat(void **state)
{
	uint8_t key[32], in[255], out[32];

	seq_bytes(key, sizeof(key), 0);
	seq_bytes(in, sizeof(in), 0);
	assert_int_equal(crypto_blake2s_mac(out, 32, key, 32, NULL, 0), 0);
	assert_hex(out, 32, "48a8997da407876b3d79c0d92325ad3b"
			    "89cbb754d86ab71aee047ad345fd2c49");
	assert_int_equal(crypto_blake2s_mac(out, 32, key, 32, in, 1), 0);
	assert_hex(out, 32, "40d15fee7c328830166ac3f918650f80"
			    "7e7e01e177258cdc0a39b11f598066f1");
	assert_int_equal(crypto_blake2s_mac(out, 32, key, 32, in, 255), 0);
	assert_hex(out, 32, "3fb735061abc519dfe979e54c1ee5bfa"
			    "d0a9d858b3315bad34bde999efd724dd");
}

/*
 * mac1/mac2 are BLAKE2s with a 16-byte output. The output length is in the
 * parameter block (RFC 7693 section 2.5), so it is not the 32-byte MAC cut
 * short. Expected value from CPython hashlib.blake2s(digest_size=16).
 */
static void test_blake2s_mac_outlen(void **state)
{
	uint8_t key[32], out16[16], out32[32], big[33];

	seq_bytes(key, sizeof(key), 0);
	assert_int_equal(crypto_blake2s_mac(out16, 16, key, 32, "abc", 3), 0);
	assert_hex(out16, 16, "61ba5f165c194692e09d12520cc4c74a");
	assert_int_equal(crypto_blake2s_mac(out32, 32, key, 32, "abc", 3), 0);
	assert_memory_not_equal(out16, out32, 16);
	/* a short key is not a zero-padded long one either (kk is encoded) */
	assert_int_equal(crypto_blake2s_mac(out32, 16, key, 16, "abc", 3), 0);
	assert_memory_not_equal(out16, out32, 16);
	/* and the context is re-parameterized per call, not sticky */
	assert_int_equal(crypto_blake2s_mac(out32, 16, key, 32, "abc", 3), 0);
	assert_memory_equal(out16, out32, 16);
	/* RFC 7693 section 2.5 bounds */
	assert_int_equal(crypto_blake2s_mac(big, 0, key, 32, "", 0), -EINVAL);
	assert_int_equal(crypto_blake2s_mac(big, 33, key, 32, "", 0), -EINVAL);
	assert_int_equal(crypto_blake2s_mac(big, 32, key, 0, "", 0), -EINVAL);
	assert_int_equal(crypto_blake2s_mac(big, 32, big, 33, "", 0), -EINVAL);
}

/* ---- HMAC and KDF ----------------------------------------------------- */

/* RFC 2104 section 2, spelled out over crypto_hash. */
static void ref_hmac(uint8_t out[32], const uint8_t *key, size_t keylen,
		     const uint8_t *in, size_t inlen)
{
	uint8_t k[64] = { 0 }, buf[64 + 300], inner[32];
	size_t i;

	assert_true(inlen <= 300);
	if (keylen > 64)
		crypto_hash(k, key, keylen);
	else
		memcpy(k, key, keylen);
	for (i = 0; i < 64; ++i)
		buf[i] = k[i] ^ 0x36;
	memcpy(buf + 64, in, inlen);
	crypto_hash(inner, buf, 64 + inlen);
	for (i = 0; i < 64; ++i)
		buf[i] = k[i] ^ 0x5c;
	memcpy(buf + 64, inner, 32);
	crypto_hash(out, buf, 96);
}

static void test_hmac(void **state)
{
	static const size_t keylens[] = { 0, 1, 32, 63, 64, 65, 100 };
	uint8_t key[100], in[300], got[32], want[32];
	size_t i, inlen;

	seq_bytes(key, sizeof(key), 0);
	seq_bytes(in, sizeof(in), 0x40);
	for (i = 0; i < sizeof(keylens) / sizeof(keylens[0]); ++i) {
		for (inlen = 0; inlen <= 300; inlen += 37) {
			crypto_hmac(got, key, keylens[i], in, inlen);
			ref_hmac(want, key, keylens[i], in, inlen);
			assert_memory_equal(got, want, 32);
		}
	}
	/* pinned: Python hmac.new(key, b"tunlane", hashlib.blake2s) */
	crypto_hmac(got, key, 32, "tunlane", 7);
	assert_hex(got, 32, "65e5dae8afb110753ac116457108b797"
			    "52839528031081852152217aaf879e1a");
	crypto_hmac(got, key, 100, "tunlane", 7);	/* hashed long key */
	assert_hex(got, 32, "cfcb879c8fefd97b2186ce9a0d0b1a9a"
			    "c89ab8992beeefe9ec1800ca532175e8");
}

static const char kdf_t1[] = "b40da9aac1468a451e11765b4195e13f"
			     "66e0885e9cf7374cb5222d36001f924b";
static const char kdf_t2[] = "3fc62261b78eec52d0a14b8b1aa2fc3c"
			     "82ab755aae0afb563662c3e9ccad430c";
static const char kdf_t3[] = "1c03c82cffc3fa36a20e58eba5907d09"
			     "2b35df465133304e6cf29d2225656f0d";

/* Whitepaper 5.4.2, built from crypto_hmac, and pinned from Python. */
static void test_kdf(void **state)
{
	uint8_t ck[32], t0[32], t1[32], t2[32], t3[32], buf[33], want[32];

	seq_bytes(ck, sizeof(ck), 0);
	crypto_kdf(t1, t2, t3, ck, "tunlane", 7);
	assert_hex(t1, 32, kdf_t1);
	assert_hex(t2, 32, kdf_t2);
	assert_hex(t3, 32, kdf_t3);

	crypto_hmac(t0, ck, 32, "tunlane", 7);
	buf[0] = 1;
	crypto_hmac(want, t0, 32, buf, 1);
	assert_memory_equal(t1, want, 32);
	memcpy(buf, t1, 32);
	buf[32] = 2;
	crypto_hmac(want, t0, 32, buf, 33);
	assert_memory_equal(t2, want, 32);
	memcpy(buf, t2, 32);
	buf[32] = 3;
	crypto_hmac(want, t0, 32, buf, 33);
	assert_memory_equal(t3, want, 32);
}

/* NULL outputs stop the chain; outputs may alias the chaining key. */
static void test_kdf_null_and_alias(void **state)
{
	uint8_t ck[32], t1[32], t2[32], t3[32];

	seq_bytes(ck, sizeof(ck), 0);
	memset(t3, 0xaa, sizeof(t3));
	crypto_kdf(t1, NULL, t3, ck, "tunlane", 7);
	assert_hex(t1, 32, kdf_t1);
	assert_true(t3[0] == 0xaa && t3[31] == 0xaa);

	crypto_kdf(ck, t2, NULL, ck, "tunlane", 7);	/* t1 == ck */
	assert_hex(ck, 32, kdf_t1);
	assert_hex(t2, 32, kdf_t2);

	/* empty input with NULL, as the transport key derivation does */
	seq_bytes(ck, sizeof(ck), 0);
	crypto_kdf(t1, t2, NULL, ck, NULL, 0);
	crypto_kdf(t3, NULL, NULL, ck, "", 0);
	assert_memory_equal(t1, t3, 32);
}

/* ---- X25519 ----------------------------------------------------------- */

/* RFC 7748 section 5.2. The second u has its top bit set, which X25519
 * must ignore, and neither scalar is clamped: the function clamps. */
static void test_x25519_rfc7748_5_2(void **state)
{
	uint8_t k[32], u[32], out[32];

	unhex(k, 32, "a546e36bf0527c9d3b16154b82465edd"
		     "62144c0ac1fc5a18506a2244ba449ac4");
	unhex(u, 32, "e6db6867583030db3594c1a424b15f7c"
		     "726624ec26b3353b10a903a6d0ab1c4c");
	assert_int_equal(crypto_x25519(out, k, u), 0);
	assert_hex(out, 32, "c3da55379de9c6908e94ea4df28d084f"
			    "32eccf03491c71f754b4075577a28552");

	unhex(k, 32, "4b66e9d4d1b4673c5ad22691957d6af5"
		     "c11b6421e0ea01d42ca4169e7918ba0d");
	unhex(u, 32, "e5210f12786811d3f4b7959d0538ae2c"
		     "31dbe7106fc03c3efc4cd549c715a493");
	assert_int_equal(crypto_x25519(out, k, u), 0);
	assert_hex(out, 32, "95cbde9476e8907d7aade45cb4b873f8"
			    "8b595a68799fa152e6f8f7647aac7957");
}

/* RFC 7748 section 6.1: public keys and the shared secret both ways. */
static void test_x25519_rfc7748_6_1(void **state)
{
	static const char shared[] = "4a5d9d5ba4ce2de1728e3bf480350f25"
				     "e07e21c947d19e3376f09b3c1e161742";
	uint8_t a[32], b[32], apub[32], bpub[32], out[32];

	unhex(a, 32, "77076d0a7318a57d3c16c17251b26645"
		     "df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, 32, "5dab087e624a8a4b79e17f8b83800ee6"
		     "6f3bb1292618b6fd1c2f8b27ff88e0eb");
	assert_int_equal(crypto_x25519_public(apub, a), 0);
	assert_hex(apub, 32, "8520f0098930a754748b7ddcb43ef75a"
			     "0dbf3a0d26381af4eba4a98eaa9b4e6a");
	assert_int_equal(crypto_x25519_public(bpub, b), 0);
	assert_hex(bpub, 32, "de9edb7d7b7dc1b4d35b61c2ece43537"
			     "3f8343c85b78674dadfc7e146f882b4f");
	assert_int_equal(crypto_x25519(out, a, bpub), 0);
	assert_hex(out, 32, shared);
	memset(out, 0, sizeof(out));
	assert_int_equal(crypto_x25519(out, b, apub), 0);
	assert_hex(out, 32, shared);
}

/*
 * Points of small order (and non-canonical encodings of them) give an
 * all-zero shared secret for every clamped scalar: RFC 7748 section 6.1
 * says to reject it, and so does the whitepaper (5.4.2 / section 6).
 */
static void test_x25519_low_order(void **state)
{
	static const char *const points[] = {
		/* 0, and 1 */
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		/* the two points of order 8 */
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		/* p - 1, p, p + 1 */
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		/* order 8 again, with the ignored top bit set */
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
	};
	uint8_t priv[32], pub[32], out[32];
	size_t i;

	assert_int_equal(crypto_x25519_genkey(priv), 0);
	for (i = 0; i < sizeof(points) / sizeof(points[0]); ++i) {
		unhex(pub, 32, points[i]);
		memset(out, 0x55, sizeof(out));
		assert_int_equal(crypto_x25519(out, priv, pub), -EINVAL);
		/* nothing usable left behind */
		assert_true(crypto_is_zero(out, sizeof(out)));
	}
}

/* Clamping (RFC 7748 section 5) and a full exchange with fresh keys. */
static void test_x25519_genkey(void **state)
{
	uint8_t a[32], b[32], apub[32], bpub[32], s1[32], s2[32];
	int i;

	for (i = 0; i < 64; ++i) {
		assert_int_equal(crypto_x25519_genkey(a), 0);
		assert_int_equal(a[0] & 7, 0);
		assert_int_equal(a[31] & 0xc0, 0x40);
	}
	assert_int_equal(crypto_x25519_genkey(b), 0);
	assert_memory_not_equal(a, b, 32);
	assert_int_equal(crypto_x25519_public(apub, a), 0);
	assert_int_equal(crypto_x25519_public(bpub, b), 0);
	assert_int_equal(crypto_x25519(s1, a, bpub), 0);
	assert_int_equal(crypto_x25519(s2, b, apub), 0);
	assert_memory_equal(s1, s2, 32);
	assert_false(crypto_is_zero(s1, 32));
}

/* ---- ChaCha20-Poly1305 ------------------------------------------------ */

static const char sunscreen[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you only "
	"one tip for the future, sunscreen would be it.";
#define SUNSCREEN_LEN (sizeof(sunscreen) - 1)	/* 114 */

static const char rfc8439_ct[] =
	"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	"3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	"92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	"3ff4def08e4b7a9de576d26586cec64b6116"
	"1ae10b594f09e26a7e902ecbd0600691";	/* tag */

struct aead_vec {
	uint8_t key[32], nonce[12], ad[12];
};

/* RFC 8439 section 2.8.2 inputs. */
static void rfc8439_inputs(struct aead_vec *v)
{
	seq_bytes(v->key, 32, 0x80);
	unhex(v->nonce, 12, "07000000 40414243 44454647");
	unhex(v->ad, 12, "50515253 c0c1c2c3 c4c5c6c7");
}

static void test_aead_rfc8439_encrypt(void **state)
{
	struct aead_vec v;
	uint8_t ct[SUNSCREEN_LEN + 16];

	rfc8439_inputs(&v);
	assert_int_equal(crypto_aead_encrypt_n12(ct, (const uint8_t *)sunscreen,
						 SUNSCREEN_LEN, v.ad, 12,
						 v.nonce, v.key), 0);
	assert_hex(ct, sizeof(ct), rfc8439_ct);
}

static void test_aead_rfc8439_decrypt(void **state)
{
	struct aead_vec v;
	uint8_t ct[SUNSCREEN_LEN + 16], pt[SUNSCREEN_LEN];

	rfc8439_inputs(&v);
	unhex(ct, sizeof(ct), rfc8439_ct);
	assert_int_equal(crypto_aead_decrypt_n12(pt, ct, sizeof(ct), v.ad, 12,
						 v.nonce, v.key), 0);
	assert_memory_equal(pt, sunscreen, SUNSCREEN_LEN);
}

/* Any flipped bit (tag, ciphertext, ad, nonce) fails with -EBADMSG, and
 * the output buffer holds no unverified plaintext afterwards. */
static void test_aead_tamper(void **state)
{
	struct aead_vec v;
	uint8_t ct[SUNSCREEN_LEN + 16], pt[SUNSCREEN_LEN];
	size_t flips[] = { 0, 57, SUNSCREEN_LEN - 1, SUNSCREEN_LEN,
			   sizeof(ct) - 1 };
	size_t i;

	rfc8439_inputs(&v);
	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); ++i) {
		unhex(ct, sizeof(ct), rfc8439_ct);
		ct[flips[i]] ^= 0x01;
		memset(pt, 0xaa, sizeof(pt));
		assert_int_equal(crypto_aead_decrypt_n12(pt, ct, sizeof(ct),
							 v.ad, 12, v.nonce,
							 v.key), -EBADMSG);
		assert_true(crypto_is_zero(pt, sizeof(pt)));
	}
	unhex(ct, sizeof(ct), rfc8439_ct);
	v.ad[11] ^= 0x80;
	assert_int_equal(crypto_aead_decrypt_n12(pt, ct, sizeof(ct), v.ad, 12,
						 v.nonce, v.key), -EBADMSG);
	v.ad[11] ^= 0x80;
	v.nonce[0] ^= 1;
	assert_int_equal(crypto_aead_decrypt_n12(pt, ct, sizeof(ct), v.ad, 12,
						 v.nonce, v.key), -EBADMSG);
	/* shorter than a tag */
	assert_int_equal(crypto_aead_decrypt_n12(pt, ct, 15, v.ad, 12, v.nonce,
						 v.key), -EBADMSG);
	/* a good message still opens after failures (context state reset) */
	v.nonce[0] ^= 1;
	assert_int_equal(crypto_aead_decrypt_n12(pt, ct, sizeof(ct), v.ad, 12,
						 v.nonce, v.key), 0);
}

/* dst == src both ways, as the data path encrypts in the packet buffer. */
static void test_aead_in_place(void **state)
{
	struct aead_vec v;
	uint8_t buf[SUNSCREEN_LEN + 16];

	rfc8439_inputs(&v);
	memcpy(buf, sunscreen, SUNSCREEN_LEN);
	assert_int_equal(crypto_aead_encrypt_n12(buf, buf, SUNSCREEN_LEN, v.ad,
						 12, v.nonce, v.key), 0);
	assert_hex(buf, sizeof(buf), rfc8439_ct);
	assert_int_equal(crypto_aead_decrypt_n12(buf, buf, sizeof(buf), v.ad,
						 12, v.nonce, v.key), 0);
	assert_memory_equal(buf, sunscreen, SUNSCREEN_LEN);
}

/*
 * The AEAD keeps a few keyed contexts (crypto_aead.c): with more keys in turn
 * than it keeps, every key must still give RFC 8439's answer, whichever
 * context it lands in, a key must never open another key's message, and
 * keys must still work after crypto_aead_forget().
 */
static void test_aead_key_slots(void **state)
{
	struct aead_vec v;
	uint8_t keys[9][32], ct[SUNSCREEN_LEN + 16], pt[SUNSCREEN_LEN];
	uint8_t other[9][64 + 16], msg[64];

	rfc8439_inputs(&v);
	seq_bytes(msg, sizeof(msg), 3);
	for (int k = 0; k < 9; ++k) {
		seq_bytes(keys[k], 32, (uint8_t)(0x10 * k + 1));
		assert_int_equal(crypto_aead_encrypt(other[k], msg, 64, NULL, 0,
						     (uint64_t)k, keys[k]), 0);
	}
	for (int round = 0; round < 3; ++round) {
		for (int k = 0; k < 9; k += 1 + round) {
			/* another key in between every time */
			assert_int_equal(crypto_aead_decrypt(pt, other[k], 80,
							     NULL, 0,
							     (uint64_t)k,
							     keys[k]), 0);
			assert_memory_equal(pt, msg, 64);
			assert_int_equal(crypto_aead_decrypt(pt, other[k], 80,
							     NULL, 0,
							     (uint64_t)k,
							     keys[(k + 1) % 9]),
					 -EBADMSG);
			assert_int_equal(crypto_aead_encrypt_n12(ct,
					(const uint8_t *)sunscreen,
					SUNSCREEN_LEN, v.ad, 12, v.nonce,
					v.key), 0);
			assert_hex(ct, sizeof(ct), rfc8439_ct);
		}
		if (round == 1)
			crypto_aead_forget();
	}
	assert_int_equal(crypto_aead_decrypt_n12(pt, ct, sizeof(ct), v.ad, 12,
						 v.nonce, v.key), 0);
	assert_memory_equal(pt, sunscreen, SUNSCREEN_LEN);
}

/*
 * RFC 8439 section 2.8 the long way, for comparison: OpenSSL's own
 * ChaCha20-Poly1305 cipher, a fresh context per message, key and nonce
 * set together, the tag through EVP_CIPHER_CTX_ctrl. crypto_aead.c builds
 * the AEAD from ChaCha20 keystream and Poly1305 in keyed contexts; both
 * must give the same bytes.
 */
static void ref_seal(uint8_t *dst, const uint8_t *src, size_t len,
		     const uint8_t *ad, size_t adlen, const uint8_t n12[12],
		     const uint8_t key[32])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl;

	assert_non_null(c);
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(), NULL,
					    key, n12), 1);
	if (adlen)
		assert_int_equal(EVP_EncryptUpdate(c, NULL, &outl, ad,
						   (int)adlen), 1);
	if (len)
		assert_int_equal(EVP_EncryptUpdate(c, dst, &outl, src,
						   (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, dst + len, &outl), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16,
					     dst + len), 1);
	EVP_CIPHER_CTX_free(c);
}

/*
 * A session's stream under held keys, as the data path runs it: lengths
 * around the ChaCha20 block and Poly1305 block edges, up to a GSO segment,
 * and around the edges of crypto_aead.c's keystream calls (4096 bytes, the
 * first of which also holds block 0); with and without associated data,
 * counters in and out of order, both directions interleaved and a second
 * key in between; every sealed message equals the reference's and opens
 * again, and a forged one in the middle changes nothing for the next.
 */
static void test_aead_stream(void **state)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 63, 64, 65, 127,
				       128, 129, 255, 256, 511, 512, 513,
				       1420, 1424, 1440, 1472, 1473, 4000,
				       4031, 4032, 4033, 8128, 8129, 9000 };
	static uint8_t pt[9000], got[9016], want[9016], back[9000];
	uint8_t key[2][32], n12[12] = { 0 }, ad[32];

	seq_bytes(pt, sizeof(pt), 9);
	seq_bytes(ad, sizeof(ad), 0x40);
	seq_bytes(key[0], 32, 0x31);
	seq_bytes(key[1], 32, 0x71);
	for (unsigned int i = 0; i < 3 * sizeof(lens) / sizeof(lens[0]); ++i) {
		size_t len = lens[i % (sizeof(lens) / sizeof(lens[0]))];
		size_t adlen = i % 3 == 1 ? (i % 32) + 1 : 0;
		const uint8_t *k = key[i % 7 == 3];

		n12[4] = (uint8_t)(i * 37);	/* not in order */
		n12[11] = (uint8_t)i;
		ref_seal(want, pt, len, ad, adlen, n12, k);
		assert_int_equal(crypto_aead_encrypt_n12(got, pt, len, ad,
							 adlen, n12, k), 0);
		assert_memory_equal(got, want, len + 16);
		if (i % 5 == 2) {	/* forged: refused, wiped */
			got[len] ^= 0x40;
			memset(back, 0xa5, sizeof(back));
			assert_int_equal(crypto_aead_decrypt_n12(back, got,
					len + 16, ad, adlen, n12, k), -EBADMSG);
			assert_true(crypto_is_zero(back, len));
			/* and nothing written past the text */
			if (len < sizeof(back))
				assert_int_equal(back[len], 0xa5);
			got[len] ^= 0x40;
		}
		assert_int_equal(crypto_aead_decrypt_n12(len ? back : NULL,
				got, len + 16, ad, adlen, n12, k), 0);
		assert_memory_equal(back, pt, len);
	}
}

/* Whitepaper 5.4.6: nonce = 32 zero bits || counter, little-endian. */
static void test_aead_wireguard_nonce(void **state)
{
	const uint64_t counter = 0x0102030405060708ULL;
	uint8_t key[32], n12[12], a[64 + 16], b[64 + 16], pt[64];

	seq_bytes(key, sizeof(key), 0x11);
	seq_bytes(pt, sizeof(pt), 0);
	unhex(n12, 12, "00000000 0807060504030201");
	assert_int_equal(crypto_aead_encrypt(a, pt, 64, NULL, 0, counter, key),
			 0);
	assert_int_equal(crypto_aead_encrypt_n12(b, pt, 64, NULL, 0, n12, key),
			 0);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(crypto_aead_decrypt(b, a, sizeof(a), NULL, 0, counter,
					     key), 0);
	assert_memory_equal(b, pt, 64);
	/* a neighbouring counter does not open it */
	assert_int_equal(crypto_aead_decrypt(b, a, sizeof(a), NULL, 0,
					     counter + 1, key), -EBADMSG);
	/* counter 0 is the all-zero nonce */
	memset(n12, 0, sizeof(n12));
	assert_int_equal(crypto_aead_encrypt(a, pt, 64, NULL, 0, 0, key), 0);
	assert_int_equal(crypto_aead_encrypt_n12(b, pt, 64, NULL, 0, n12, key),
			 0);
	assert_memory_equal(a, b, sizeof(a));
}

/* An empty plaintext (a keepalive) is a bare tag and opens to nothing. */
static void test_aead_keepalive(void **state)
{
	uint8_t key[32], tag[16], ad[4] = { 1, 2, 3, 4 };

	seq_bytes(key, sizeof(key), 0x22);
	assert_int_equal(crypto_aead_encrypt(tag, NULL, 0, NULL, 0, 7, key), 0);
	assert_false(crypto_is_zero(tag, sizeof(tag)));
	assert_int_equal(crypto_aead_decrypt(NULL, tag, 16, NULL, 0, 7, key),
			 0);
	assert_int_equal(crypto_aead_decrypt(NULL, tag, 16, ad, 4, 7, key),
			 -EBADMSG);
	assert_int_equal(crypto_aead_decrypt(NULL, tag, 16, NULL, 0, 8, key),
			 -EBADMSG);
}

/* ---- HChaCha20 / XChaCha20-Poly1305 ----------------------------------- */

/* draft-irtf-cfrg-xchacha-03 section 2.2.1. */
static void test_hchacha20(void **state)
{
	uint8_t key[32], nonce[16], out[32];

	seq_bytes(key, sizeof(key), 0);
	unhex(nonce, 16, "00:00:00:09:00:00:00:4a:00:00:00:00:31:41:59:27");
	crypto_hchacha20(out, key, nonce);
	assert_hex(out, 32, "82413b42 27b27bfe d30e4250 8a877d73"
			    "a0f9e4d5 8a74a853 c12ec413 26d3ecdc");
}

static const char xchacha_ct[] =
	"bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
	"731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
	"2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
	"21f9664c97637da9768812f615c68b13b52e"
	"c0875924c1c7987947deafd8780acf49";	/* tag */

/* draft-irtf-cfrg-xchacha-03 appendix A.3.1, both directions. */
static void test_xchacha20poly1305(void **state)
{
	uint8_t key[32], nonce[24], ad[12];
	uint8_t ct[SUNSCREEN_LEN + 16], pt[SUNSCREEN_LEN];

	seq_bytes(key, sizeof(key), 0x80);
	seq_bytes(nonce, sizeof(nonce), 0x40);
	unhex(ad, 12, "50515253c0c1c2c3c4c5c6c7");
	assert_int_equal(crypto_xaead_encrypt(ct, (const uint8_t *)sunscreen,
					      SUNSCREEN_LEN, ad, 12, nonce,
					      key), 0);
	assert_hex(ct, sizeof(ct), xchacha_ct);
	assert_int_equal(crypto_xaead_decrypt(pt, ct, sizeof(ct), ad, 12,
					      nonce, key), 0);
	assert_memory_equal(pt, sunscreen, SUNSCREEN_LEN);
	/* the first 16 nonce bytes go through HChaCha20: they matter too */
	nonce[3] ^= 1;
	assert_int_equal(crypto_xaead_decrypt(pt, ct, sizeof(ct), ad, 12,
					      nonce, key), -EBADMSG);
	nonce[3] ^= 1;
	ct[sizeof(ct) - 1] ^= 1;
	assert_int_equal(crypto_xaead_decrypt(pt, ct, sizeof(ct), ad, 12,
					      nonce, key), -EBADMSG);
}

/* ---- encodings -------------------------------------------------------- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Reference decoder for the checks below: table driven, no tricks. */
static void ref_b64_decode(uint8_t key[32], const char *s)
{
	uint32_t acc = 0;
	int i;

	for (i = 0; i < 43; ++i) {
		acc = acc << 6 | (uint32_t)(strchr(b64_alphabet, s[i]) -
					    b64_alphabet);
		if (i % 4 == 3) {
			key[i / 4 * 3] = (uint8_t)(acc >> 16);
			key[i / 4 * 3 + 1] = (uint8_t)(acc >> 8);
			key[i / 4 * 3 + 2] = (uint8_t)acc;
		}
	}
	key[30] = (uint8_t)(acc >> 10);
	key[31] = (uint8_t)(acc >> 2);
}

/* RFC 4648 section 4; the same bytes as Python's base64.b64encode. */
static void test_base64_known(void **state)
{
	uint8_t key[32], back[32];
	char s[CRYPTO_KEY_B64_LEN];

	seq_bytes(key, sizeof(key), 0);
	crypto_key_to_base64(s, key);
	assert_string_equal(s, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
	assert_int_equal(crypto_key_from_base64(back, s), 0);
	assert_memory_equal(back, key, 32);
	memset(key, 0xff, sizeof(key));
	crypto_key_to_base64(s, key);
	assert_string_equal(s, "//////////////////////////////////////////8=");
	memset(key, 0, sizeof(key));
	crypto_key_to_base64(s, key);
	assert_string_equal(s, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
}

/* Every alphabet character in every position class, both directions. */
static void test_base64_alphabet(void **state)
{
	uint8_t key[32], want[32];
	char s[CRYPTO_KEY_B64_LEN], back[CRYPTO_KEY_B64_LEN];
	int shift, i;

	for (shift = 0; shift < 64; ++shift) {
		for (i = 0; i < 42; ++i)
			s[i] = b64_alphabet[(i + shift) % 64];
		s[42] = b64_alphabet[(42 + shift) % 64 & ~3];
		s[43] = '=';
		s[44] = '\0';
		assert_int_equal(crypto_key_from_base64(key, s), 0);
		ref_b64_decode(want, s);
		assert_memory_equal(key, want, 32);
		crypto_key_to_base64(back, key);
		assert_string_equal(back, s);
	}
}

static void test_base64_reject(void **state)
{
	static const char good[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	static const char *const bad[] = {
		"", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh==",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", /* low bits */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-=", /* url-safe */
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd_h8=",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8= ",
		" AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYX=BkaGxwdHh8=",
	};
	uint8_t key[32];
	char s[CRYPTO_KEY_B64_LEN];
	size_t i;
	int c;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i)
		assert_int_equal(crypto_key_from_base64(key, bad[i]), -EINVAL);
	/* every byte outside the alphabet, in a data position */
	for (c = 1; c < 256; ++c) {
		if (strchr(b64_alphabet, c))
			continue;
		memcpy(s, good, sizeof(s));
		s[7] = (char)c;
		assert_int_equal(crypto_key_from_base64(key, s), -EINVAL);
	}
}

static void test_hex(void **state)
{
	static const char want[] =
		"000102030405060708090a0b0c0d0e0f"
		"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
	uint8_t key[32], back[32];
	char s[CRYPTO_KEY_HEX_LEN];
	int i;

	for (i = 0; i < 16; ++i) {
		key[i] = (uint8_t)i;
		key[16 + i] = (uint8_t)(0xf0 + i);
	}
	crypto_key_to_hex(s, key);
	assert_string_equal(s, want);
	assert_int_equal(crypto_key_from_hex(back, s), 0);
	assert_memory_equal(back, key, 32);
	/* upper case is accepted on input */
	assert_int_equal(crypto_key_from_hex(back,
		"000102030405060708090A0B0C0D0E0F"
		"F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF"), 0);
	assert_memory_equal(back, key, 32);
}

static void test_hex_reject(void **state)
{
	static const char good[] =
		"000102030405060708090a0b0c0d0e0ff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
	uint8_t key[32];
	char s[CRYPTO_KEY_HEX_LEN + 1];
	int c;

	assert_int_equal(crypto_key_from_hex(key, ""), -EINVAL);
	memcpy(s, good, 63);
	s[63] = '\0';
	assert_int_equal(crypto_key_from_hex(key, s), -EINVAL);
	memcpy(s, good, 64);
	s[64] = '0';
	s[65] = '\0';
	assert_int_equal(crypto_key_from_hex(key, s), -EINVAL);
	for (c = 1; c < 256; ++c) {
		if (strchr("0123456789abcdefABCDEF", c))
			continue;
		memcpy(s, good, 65);
		s[40] = (char)c;
		assert_int_equal(crypto_key_from_hex(key, s), -EINVAL);
	}
}

/* ---- comparisons ------------------------------------------------------ */

static void test_memeq_is_zero(void **state)
{
	uint8_t a[64] = { 0 }, b[64] = { 0 };
	size_t i;

	assert_true(crypto_is_zero(a, sizeof(a)));
	assert_true(crypto_is_zero(a, 0));
	assert_true(crypto_memeq(a, b, sizeof(a)));
	assert_true(crypto_memeq(a, b, 0));
	for (i = 0; i < sizeof(a); ++i) {
		a[i] = (uint8_t)(1u << (i % 8));
		assert_false(crypto_is_zero(a, sizeof(a)));
		assert_false(crypto_memeq(a, b, sizeof(a)));
		assert_true(crypto_memeq(a, b, i));
		a[i] = 0;
	}
	memset(a, 0x5a, sizeof(a));
	crypto_wipe(a, sizeof(a));
	assert_true(crypto_is_zero(a, sizeof(a)));
}

static void test_random(void **state)
{
	uint8_t a[32], b[32];

	assert_int_equal(crypto_random(a, sizeof(a)), 0);
	assert_int_equal(crypto_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(crypto_random(a, 0), 0);
}

/* crypto_init is idempotent, and everything works again after fini. */
static void test_init_fini(void **state)
{
	uint8_t out[32];

	assert_int_equal(crypto_init(), 0);
	assert_int_equal(crypto_init(), 0);
	crypto_fini();
	crypto_fini();
	crypto_hash(out, "abc", 3);	/* lazy init */
	assert_hex(out, 32, "508c5e8c327c14e2e1a72ba34eeb452f"
			    "37458b209ed63a294d999b4c86675982");
	assert_int_equal(crypto_init(), 0);
}

static int group_setup(void **state)
{
	return crypto_init();
}

/*
 * Is this key anywhere in our writable anonymous memory (heap and
 * anonymous mappings, where OpenSSL keeps cipher state)? A plain loop, not
 * memmem: this reads memory that belongs to no object of ours.
 */
#if defined(__SANITIZE_ADDRESS__)
#define HEAP_SCAN 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define HEAP_SCAN 0
#endif
#endif
#ifndef HEAP_SCAN
#define HEAP_SCAN 1
#endif

static bool range_has(const volatile uint8_t *p, size_t len, const uint8_t *key)
{
	for (size_t i = 0; i + CRYPTO_AEAD_KEY_LEN <= len; i += 4) {
		size_t j = 0;

		while (j < CRYPTO_AEAD_KEY_LEN && p[i + j] == key[j])
			j++;
		if (j == CRYPTO_AEAD_KEY_LEN)
			return true;
	}
	return false;
}

static bool memory_has(const uint8_t *key)
{
	char line[512], perms[8], path[256];
	unsigned long lo, hi;
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &lo, &hi, perms,
			   path) < 3)
			continue;
		if (strcmp(perms, "rw-p") || (path[0] && strcmp(path, "[heap]")) ||
		    hi - lo > (256UL << 20))
			continue;
		found = range_has((const volatile uint8_t *)lo, hi - lo, key);
	}
	fclose(f);
	return found;
}

/* A wiped session key must not live on in the long-lived AEAD contexts
 * (issue 9): after crypto_aead_forget() the key is nowhere in memory. */
static void test_aead_forget(void **state)
{
	static uint8_t key[CRYPTO_AEAD_KEY_LEN];	/* not on the heap */
	uint8_t pkt[64 + CRYPTO_AEAD_TAG_LEN], nonce[12] = { 0 };

	if (!HEAP_SCAN)
		skip();
	/* A key with no zero word and unlike anything else in memory. */
	do
		assert_int_equal(crypto_random(key, sizeof(key)), 0);
	while (memchr(key, 0, sizeof(key)));
	memset(pkt, 0x5a, 64);
	assert_int_equal(crypto_aead_encrypt_n12(pkt, pkt, 64, NULL, 0, nonce, key), 0);
	assert_int_equal(crypto_aead_decrypt_n12(pkt, pkt, sizeof(pkt), NULL, 0, nonce, key), 0);
	/* The key is XORed before the scan so the scan does not find our own
	 * copy, and restored for the comparison in range_has. */
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] ^= 0xff;
	{
		uint8_t want[CRYPTO_AEAD_KEY_LEN];

		for (size_t i = 0; i < sizeof(key); i++)
			want[i] = key[i] ^ 0xff;
		assert_true(memory_has(want));	/* the scan does see it */
		crypto_aead_forget();
		assert_false(memory_has(want));
		crypto_wipe(want, sizeof(want));
	}
	/* The contexts still work afterwards. */
	assert_int_equal(crypto_aead_encrypt_n12(pkt, pkt, 64, NULL, 0, nonce, key), 0);
	crypto_wipe(key, sizeof(key));
}

static int group_teardown(void **state)
{
	crypto_fini();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blake2s_kat),
		cmocka_unit_test(test_blake2s_wireguard_initial_values),
		cmocka_unit_test(test_blake2s_mac_kat),
		cmocka_unit_test(test_blake2s_mac_outlen),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_kdf),
		cmocka_unit_test(test_kdf_null_and_alias),
		cmocka_unit_test(test_x25519_rfc7748_5_2),
		cmocka_unit_test(test_x25519_rfc7748_6_1),
		cmocka_unit_test(test_x25519_low_order),
		cmocka_unit_test(test_x25519_genkey),
		cmocka_unit_test(test_aead_rfc8439_encrypt),
		cmocka_unit_test(test_aead_rfc8439_decrypt),
		cmocka_unit_test(test_aead_tamper),
		cmocka_unit_test(test_aead_in_place),
		cmocka_unit_test(test_aead_wireguard_nonce),
		cmocka_unit_test(test_aead_keepalive),
		cmocka_unit_test(test_aead_forget),
		cmocka_unit_test(test_hchacha20),
		cmocka_unit_test(test_xchacha20poly1305),
		cmocka_unit_test(test_base64_known),
		cmocka_unit_test(test_base64_alphabet),
		cmocka_unit_test(test_base64_reject),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_hex_reject),
		cmocka_unit_test(test_memeq_is_zero),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_init_fini),
		cmocka_unit_test(test_aead_key_slots),
		cmocka_unit_test(test_aead_stream),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
