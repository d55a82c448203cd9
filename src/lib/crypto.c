// SPDX-License-Identifier: GPL-2.0-only
/*
 * WireGuard's primitives (whitepaper 5.4) over OpenSSL libcrypto 3.
 *
 * Algorithms are fetched once and every context is created once and reused:
 * a lane is one single-threaded process, and the AEAD runs per packet, so
 * the hot path must not allocate. The flip side is that nothing here is
 * thread-safe; a process that wants crypto on two threads needs two
 * processes (docs/design.md section 2).
 *
 * XChaCha20-Poly1305 is in crypto_xchacha.c, key encodings in
 * crypto_key.c.
 *
 * Secrets that pass through the stack are wiped before return.
 */
#include "crypto.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define BLAKE2S_BLOCK_LEN 64	/* RFC 7693 section 2.1: bb = 64 bytes */
#define AEAD_NONCE_LEN    12	/* RFC 8439 section 2.8 */

static EVP_MD *blake2s_md;
static EVP_MAC *blake2s_mac;
static EVP_CIPHER *chachapoly;
static EVP_CIPHER *chacha20;	/* the plain stream cipher (sealing) */
static EVP_MAC *poly1305;
static EVP_MD_CTX *md_ctx;
static EVP_MAC_CTX *mac_ctx;
static EVP_MAC_CTX *poly_ctx;
static EVP_PKEY_CTX *x25519_ctx;

/*
 * ChaCha20-Poly1305 contexts by key. Through EVP, one 1420-byte packet's
 * AEAD used to cost about three times what OpenSSL's assembly takes for
 * those bytes (bench/crypto_bench): setting a key expands it and queries
 * the context's lengths as OSSL_PARAMs, and EVP_CIPHER_CTX_ctrl turns the
 * tag into OSSL_PARAMs too. So each direction keeps AEAD_SLOTS contexts
 * with the key each holds: a packet under a held key sets only its nonce,
 * passes its bytes through EVP_Cipher() and its tag through a prebuilt
 * OSSL_PARAM. All packets of a session use one key, so a lane's steady
 * state always finds it; a handshake's one-off keys take the least
 * recently used slot. crypto_aead_forget() wipes every slot when a
 * session's keys are wiped.
 *
 * The nonce of a packet under a held key does not go through
 * EVP_CipherInit_ex either, which asks the provider for the IV length
 * through OSSL_PARAMs every time: the provider takes the whole 12-byte
 * nonce as its "tlsivfixed" parameter (OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED;
 * without TLS AAD it is the message's nonce, RFC 8439 section 2.8), and a
 * decrypt's tag rides in the same parameter array. That is only a new
 * message where the last one ended in a final (which leaves the context
 * ready for the next), so a slot says whether it did (ready), and
 * crypto_init() checks once that this way gives what EVP_CipherInit_ex
 * gives (aead_fixed_ok): where it does not, every packet takes the
 * EVP_CipherInit_ex way.
 *
 * Sealing does not use OpenSSL's AEAD at all but builds RFC 8439 section
 * 2.8 from its parts, OpenSSL's plain "ChaCha20" cipher and its
 * "POLY1305" MAC (the same assembly underneath): the sealing slots hold
 * ChaCha20 contexts, and one message is keystream block 0 (the one-time
 * Poly1305 key, section 2.6) and then the text from block 1 in one pass
 * of the stream, the MAC over the ciphertext after it. The AEAD cipher
 * runs the Poly1305 set-up between the two ChaCha20 calls and the MAC as
 * it goes; the two ChaCha20 calls in a row and the MAC in one go cost
 * 10-15% less per 1420-byte packet (bench/crypto_bench, "split"). Opening
 * gains nothing that way (the MAC must come before the text is
 * decrypted in place), so it keeps the AEAD cipher.
 */
#define AEAD_SLOTS 4

struct aead_slot {
	EVP_CIPHER_CTX *ctx;
	uint64_t used;			/* last use; 0: holds no key */
	bool ready;			/* the last message ended in a final */
	uint8_t key[CRYPTO_AEAD_KEY_LEN];
};

static struct aead_slot aead_slot[2][AEAD_SLOTS];	/* [encrypt] */
static uint64_t aead_clock;
static bool aead_fixed_ok;	/* the nonce may go in as "tlsivfixed" */

static bool aead_fixed_check(void);

/* Fetches the algorithms by name so each call skips the implicit lookup. */
static int fetch_algorithms(void)
{
	blake2s_md = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
	blake2s_mac = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL);
	chachapoly = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	chacha20 = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
	poly1305 = EVP_MAC_fetch(NULL, "POLY1305", NULL);
	if (!blake2s_md || !blake2s_mac || !chachapoly || !chacha20 ||
	    !poly1305)
		return -ENOMEM;
	return 0;
}

/* The cipher of a direction's slots: sealing runs on plain ChaCha20. */
static EVP_CIPHER *aead_cipher(int enc)
{
	return enc ? chacha20 : chachapoly;
}

/* Every AEAD context gets its cipher and direction bound now. */
static int create_aead_slots(void)
{
	for (int enc = 0; enc < 2; enc++)
		for (int i = 0; i < AEAD_SLOTS; i++) {
			struct aead_slot *s = &aead_slot[enc][i];

			s->used = 0;
			s->ready = false;
			s->ctx = EVP_CIPHER_CTX_new();
			if (!s->ctx ||
			    EVP_CipherInit_ex2(s->ctx, aead_cipher(enc), NULL,
					       NULL, enc, NULL) != 1)
				return -ENOMEM;
		}
	return 0;
}

static void free_aead_slots(void)
{
	for (int enc = 0; enc < 2; enc++)
		for (int i = 0; i < AEAD_SLOTS; i++) {
			struct aead_slot *s = &aead_slot[enc][i];

			EVP_CIPHER_CTX_free(s->ctx);	/* cleanses the key */
			OPENSSL_cleanse(s, sizeof(*s));
		}
}

/* One context per use. */
static int create_contexts(void)
{
	md_ctx = EVP_MD_CTX_new();
	mac_ctx = EVP_MAC_CTX_new(blake2s_mac);
	poly_ctx = EVP_MAC_CTX_new(poly1305);
	x25519_ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
	if (!md_ctx || !mac_ctx || !poly_ctx || !x25519_ctx ||
	    create_aead_slots())
		return -ENOMEM;
	if (EVP_PKEY_fromdata_init(x25519_ctx) != 1)
		return -ENOMEM;
	return 0;
}

int crypto_init(void)
{
	if (x25519_ctx)
		return 0;
	crypto_fini();
	if (fetch_algorithms() || create_contexts()) {
		crypto_fini();
		ERR_clear_error();
		return -ENOMEM;
	}
	aead_fixed_ok = aead_fixed_check();
	return 0;
}

void crypto_fini(void)
{
	aead_fixed_ok = false;
	EVP_PKEY_CTX_free(x25519_ctx);
	free_aead_slots();
	EVP_MAC_CTX_free(mac_ctx);
	EVP_MAC_CTX_free(poly_ctx);
	EVP_MD_CTX_free(md_ctx);
	EVP_CIPHER_free(chachapoly);
	EVP_CIPHER_free(chacha20);
	EVP_MAC_free(poly1305);
	EVP_MAC_free(blake2s_mac);
	EVP_MD_free(blake2s_md);
	x25519_ctx = NULL;
	mac_ctx = NULL;
	poly_ctx = NULL;
	md_ctx = NULL;
	chachapoly = NULL;
	chacha20 = NULL;
	poly1305 = NULL;
	blake2s_mac = NULL;
	blake2s_md = NULL;
}

/* For functions that cannot report an error: a wrong hash is worse than
 * no process, and the master respawns a lane that dies. */
static void crypto_fatal(const char *what)
{
	fprintf(stderr, "tunlane: libcrypto failure in %s\n", what);
	abort();
}

static int ensure_init(void)
{
	return x25519_ctx ? 0 : crypto_init();
}

int crypto_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	/* getrandom(2) blocks until the pool is seeded, never fails short
	 * for <= 256 bytes, but may be interrupted: loop over the rest. */
	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

bool crypto_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

bool crypto_is_zero(const void *a, size_t len)
{
	const volatile uint8_t *p = a;
	unsigned int acc = 0;
	size_t i;

	/* OR everything, no early exit: the time must not say where the
	 * first non-zero byte is (a DH output is secret). */
	for (i = 0; i < len; ++i)
		acc |= p[i];
	return ((acc - 1) >> 8) & 1;
}

void crypto_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

void crypto_hash2(uint8_t out[CRYPTO_BLAKE2S_LEN], const void *a, size_t alen,
		  const void *b, size_t blen)
{
	unsigned int outlen = 0;

	if (ensure_init())
		crypto_fatal("crypto_init");
	/* Init_ex2 with the same digest reuses the provider context. */
	if (EVP_DigestInit_ex2(md_ctx, blake2s_md, NULL) != 1 ||
	    (alen && EVP_DigestUpdate(md_ctx, a, alen) != 1) ||
	    (blen && EVP_DigestUpdate(md_ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(md_ctx, out, &outlen) != 1 ||
	    outlen != CRYPTO_BLAKE2S_LEN)
		crypto_fatal("BLAKE2s");
}

void crypto_hash(uint8_t out[CRYPTO_BLAKE2S_LEN], const void *in, size_t len)
{
	crypto_hash2(out, in, len, NULL, 0);
}

int crypto_blake2s_mac(uint8_t *out, size_t outlen, const void *key,
		       size_t keylen, const void *in, size_t inlen)
{
	OSSL_PARAM params[2];
	size_t got = 0;

	/* RFC 7693 section 2.5: 1 <= nn <= 32, 0 <= kk <= 32 (kk = 0 is the
	 * unkeyed hash, which callers get from crypto_hash). */
	if (outlen < 1 || outlen > CRYPTO_BLAKE2S_LEN || keylen < 1 ||
	    keylen > CRYPTO_BLAKE2S_LEN)
		return -EINVAL;
	if (ensure_init())
		return -ENOMEM;
	/* The length goes into the parameter block (RFC 7693 section 2.5),
	 * so a 16-byte MAC is not a truncated 32-byte one. */
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &outlen);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(mac_ctx, key, keylen, params) != 1 ||
	    (inlen && EVP_MAC_update(mac_ctx, in, inlen) != 1) ||
	    EVP_MAC_final(mac_ctx, out, &got, outlen) != 1 || got != outlen) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

/* HMAC by hand (RFC 2104 section 2): two hashes and no allocation, where
 * EVP_MAC "HMAC" would build a digest context per call. */
void crypto_hmac(uint8_t out[CRYPTO_BLAKE2S_LEN], const void *key,
		 size_t keylen, const void *in, size_t inlen)
{
	uint8_t k[BLAKE2S_BLOCK_LEN] = { 0 };
	uint8_t pad[BLAKE2S_BLOCK_LEN];
	uint8_t inner[CRYPTO_BLAKE2S_LEN];
	size_t i;

	/* Keys longer than the block are hashed first; shorter ones are
	 * zero-padded. k is a copy, so out may alias key (or in: in is
	 * consumed by the inner hash before out is written). */
	if (keylen > BLAKE2S_BLOCK_LEN)
		crypto_hash(k, key, keylen);
	else if (keylen)
		memcpy(k, key, keylen);
	for (i = 0; i < BLAKE2S_BLOCK_LEN; ++i)
		pad[i] = k[i] ^ 0x36;
	crypto_hash2(inner, pad, sizeof(pad), in, inlen);
	for (i = 0; i < BLAKE2S_BLOCK_LEN; ++i)
		pad[i] = k[i] ^ 0x5c;
	crypto_hash2(out, pad, sizeof(pad), inner, sizeof(inner));
	crypto_wipe(k, sizeof(k));
	crypto_wipe(pad, sizeof(pad));
	crypto_wipe(inner, sizeof(inner));
}

/*
 * Whitepaper 5.4.2 (HKDF, RFC 5869, with HMAC-BLAKE2s and an empty info).
 * buf holds t_i || i, so each HMAC input is built in place; outputs may
 * alias ck or in, both of which are only read for t0.
 */
void crypto_kdf(uint8_t *t1, uint8_t *t2, uint8_t *t3,
		const uint8_t ck[CRYPTO_BLAKE2S_LEN], const void *in,
		size_t inlen)
{
	uint8_t t0[CRYPTO_BLAKE2S_LEN];
	uint8_t buf[CRYPTO_BLAKE2S_LEN + 1];

	if (!t1)
		return;
	crypto_hmac(t0, ck, CRYPTO_BLAKE2S_LEN, in, inlen);
	buf[0] = 0x1;
	crypto_hmac(buf, t0, sizeof(t0), buf, 1);
	memcpy(t1, buf, CRYPTO_BLAKE2S_LEN);
	if (t2) {
		buf[CRYPTO_BLAKE2S_LEN] = 0x2;
		crypto_hmac(buf, t0, sizeof(t0), buf, sizeof(buf));
		memcpy(t2, buf, CRYPTO_BLAKE2S_LEN);
	}
	if (t2 && t3) {
		buf[CRYPTO_BLAKE2S_LEN] = 0x3;
		crypto_hmac(buf, t0, sizeof(t0), buf, sizeof(buf));
		memcpy(t3, buf, CRYPTO_BLAKE2S_LEN);
	}
	crypto_wipe(t0, sizeof(t0));
	crypto_wipe(buf, sizeof(buf));
}

/* RFC 7748 section 5: clear bits 0-2 and 255, set bit 254. */
int crypto_x25519_genkey(uint8_t priv[CRYPTO_X25519_LEN])
{
	int ret = crypto_random(priv, CRYPTO_X25519_LEN);

	if (ret)
		return ret;
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
	return 0;
}

int crypto_x25519_public(uint8_t pub[CRYPTO_X25519_LEN],
			 const uint8_t priv[CRYPTO_X25519_LEN])
{
	EVP_PKEY *key;
	size_t len = CRYPTO_X25519_LEN;
	int ok;

	/* OpenSSL computes the public key (X25519(k, 9), RFC 7748 section
	 * 6.1) when it loads a raw private key; the scalar is clamped there. */
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
					   CRYPTO_X25519_LEN);
	ok = key && EVP_PKEY_get_raw_public_key(key, pub, &len) == 1 &&
	     len == CRYPTO_X25519_LEN;
	EVP_PKEY_free(key);
	if (!ok) {
		ERR_clear_error();
		return -EINVAL;
	}
	return 0;
}

/*
 * Loads priv as a key pair whose public half is a placeholder: given only a
 * private key, OpenSSL would spend a second scalar multiplication deriving
 * the public key, which derive never reads (it uses the private scalar and
 * the peer's point only).
 */
static EVP_PKEY *x25519_load_private(const uint8_t priv[CRYPTO_X25519_LEN],
				     const uint8_t placeholder[CRYPTO_X25519_LEN])
{
	OSSL_PARAM params[3];
	EVP_PKEY *key = NULL;

	params[0] = OSSL_PARAM_construct_octet_string(
		OSSL_PKEY_PARAM_PRIV_KEY, (void *)priv, CRYPTO_X25519_LEN);
	params[1] = OSSL_PARAM_construct_octet_string(
		OSSL_PKEY_PARAM_PUB_KEY, (void *)placeholder, CRYPTO_X25519_LEN);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_fromdata(x25519_ctx, &key, EVP_PKEY_KEYPAIR, params) != 1)
		return NULL;
	return key;
}

/* X25519(priv, pub) (RFC 7748 section 5) with the all-zero check of
 * section 6.1, which is what rejects low-order peer points. */
static int x25519_derive(uint8_t out[CRYPTO_X25519_LEN], EVP_PKEY *sk,
			 EVP_PKEY *pk)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, sk, NULL);
	size_t len = CRYPTO_X25519_LEN;
	int ok;

	/* No peer validation: for X25519 it has nothing to check that the
	 * zero test below does not. OpenSSL's derive also refuses a zero
	 * result itself; both cases end in -EINVAL. */
	ok = ctx && EVP_PKEY_derive_init(ctx) == 1 &&
	     EVP_PKEY_derive_set_peer_ex(ctx, pk, 0) == 1 &&
	     EVP_PKEY_derive(ctx, out, &len) == 1 && len == CRYPTO_X25519_LEN;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -EINVAL;
}

int crypto_x25519(uint8_t out[CRYPTO_X25519_LEN],
		  const uint8_t priv[CRYPTO_X25519_LEN],
		  const uint8_t pub[CRYPTO_X25519_LEN])
{
	EVP_PKEY *sk = NULL, *pk = NULL;
	int ret = -ENOMEM;

	if (ensure_init())
		goto out;
	ret = -EINVAL;
	sk = x25519_load_private(priv, pub);
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub,
					 CRYPTO_X25519_LEN);
	if (sk && pk)
		ret = x25519_derive(out, sk, pk);
	if (!ret && crypto_is_zero(out, CRYPTO_X25519_LEN))
		ret = -EINVAL;
out:
	EVP_PKEY_free(sk);	/* frees (cleanses) the private scalar copy */
	EVP_PKEY_free(pk);
	if (ret) {
		crypto_wipe(out, CRYPTO_X25519_LEN);
		ERR_clear_error();
	}
	return ret;
}

/* Constant time over the whole key, and cheaper than a call per slot. */
static bool aead_key_eq(const uint8_t *a, const uint8_t *b)
{
	uint64_t x, y, d = 0;

	for (int i = 0; i < CRYPTO_AEAD_KEY_LEN; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		d |= x ^ y;
	}
	return d == 0;
}

/* The nonce of a new message in a context whose last message ended in a
 * final, and a decrypt's tag (NULL when encrypting), in one call. */
static int aead_set_nonce(EVP_CIPHER_CTX *c, const uint8_t *nonce,
			  uint8_t *tag)
{
	OSSL_PARAM p[3] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
					(void *)nonce, AEAD_NONCE_LEN),
		OSSL_PARAM_END,
		OSSL_PARAM_END,
	};

	if (tag)
		p[1] = OSSL_PARAM_construct_octet_string(
			OSSL_CIPHER_PARAM_AEAD_TAG, tag, CRYPTO_AEAD_TAG_LEN);
	return EVP_CIPHER_CTX_set_params(c, p);
}

/* A held key: the nonce alone (and the tag with it, *tag_set), or through
 * EVP_CipherInit_ex where the last message did not end in a final. */
static EVP_CIPHER_CTX *aead_renonce(struct aead_slot *s, const uint8_t *nonce,
				    uint8_t *tag, bool *tag_set)
{
	bool ready = s->ready && aead_fixed_ok;

	s->used = ++aead_clock;
	s->ready = false;
	if (ready) {
		*tag_set = tag != NULL;
		return aead_set_nonce(s->ctx, nonce, tag) == 1 ? s->ctx : NULL;
	}
	return EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, nonce, -1) == 1 ?
		       s->ctx : NULL;
}

/*
 * Binds the nonce (a sealing slot's ChaCha20 takes its 16-byte IV), and
 * the key unless the context held it already. A key no slot holds takes
 * the least recently used one, and costs what re-keying always did.
 * *slot is where the caller says that the message ended in a final.
 */
static EVP_CIPHER_CTX *aead_ctx(int enc, const uint8_t *key,
				const uint8_t *nonce, uint8_t *tag,
				bool *tag_set, struct aead_slot **slot)
{
	struct aead_slot *s = aead_slot[enc], *lru = &s[0];

	*tag_set = false;
	for (int i = 0; i < AEAD_SLOTS; i++) {
		if (s[i].used && aead_key_eq(s[i].key, key)) {
			*slot = &s[i];
			return aead_renonce(&s[i], nonce, tag, tag_set);
		}
		if (s[i].used < lru->used)
			lru = &s[i];
	}
	*slot = lru;
	lru->used = 0;
	lru->ready = false;
	if (EVP_CipherInit_ex(lru->ctx, NULL, NULL, key, nonce, -1) != 1)
		return NULL;
	memcpy(lru->key, key, CRYPTO_AEAD_KEY_LEN);
	lru->used = ++aead_clock;
	return lru->ctx;
}

/*
 * Every keyed context forgets its key: resetting frees the provider's
 * cipher state (OpenSSL clears it as it frees it), binding the cipher
 * again gets a fresh one with no key. Called whenever a session's keys
 * are wiped, which is rare enough that the other sessions re-keying their
 * context once afterwards costs nothing.
 */
void crypto_aead_forget(void)
{
	for (int enc = 0; enc < 2; enc++)
		for (int i = 0; i < AEAD_SLOTS; i++) {
			struct aead_slot *s = &aead_slot[enc][i];

			if (!s->ctx)
				return;
			OPENSSL_cleanse(s->key, sizeof(s->key));
			s->used = 0;
			s->ready = false;
			if (EVP_CIPHER_CTX_reset(s->ctx) != 1 ||
			    EVP_CipherInit_ex2(s->ctx, aead_cipher(enc), NULL,
					       NULL, enc, NULL) != 1) {
				/* Start over at the next use (ensure_init). */
				ERR_clear_error();
				crypto_fini();
				return;
			}
		}
}

/* An opening's tag into the context, without EVP_CIPHER_CTX_ctrl's
 * translation to OSSL_PARAMs. */
static int aead_set_tag(EVP_CIPHER_CTX *c, uint8_t *tag)
{
	OSSL_PARAM p[2] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag,
					CRYPTO_AEAD_TAG_LEN),
		OSSL_PARAM_END,
	};

	return EVP_CIPHER_CTX_set_params(c, p);
}

/* The associated data and the text; the tag is left to the caller.
 * EVP_Cipher() returns the bytes it took, for AD and text alike. */
static int aead_run(EVP_CIPHER_CTX *c, uint8_t *dst, const uint8_t *src,
		    size_t len, const uint8_t *ad, size_t adlen)
{
	if (!c)
		return -1;
	if (adlen && EVP_Cipher(c, NULL, ad, (unsigned int)adlen) != (int)adlen)
		return -1;
	if (len && EVP_Cipher(c, dst, src, (unsigned int)len) != (int)len)
		return -1;
	return 0;
}

/*
 * The Poly1305 tag of RFC 8439 section 2.8 under the one-time key otk:
 * over the associated data, the ciphertext, each padded to 16 bytes,
 * and both lengths as 64-bit little-endian numbers.
 */
static int aead_poly1305(const uint8_t otk[32], const uint8_t *ad,
			 size_t adlen, const uint8_t *ct, size_t len,
			 uint8_t tag[CRYPTO_AEAD_TAG_LEN])
{
	static const uint8_t zero[16];
	size_t adpad = (16 - adlen % 16) % 16, pad = (16 - len % 16) % 16;
	uint8_t lens[16];
	size_t outl = 0;

	for (int i = 0; i < 8; i++) {
		lens[i] = (uint8_t)((uint64_t)adlen >> (8 * i));
		lens[8 + i] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	if (EVP_MAC_init(poly_ctx, otk, 32, NULL) != 1 ||
	    (adlen && EVP_MAC_update(poly_ctx, ad, adlen) != 1) ||
	    (adpad && EVP_MAC_update(poly_ctx, zero, adpad) != 1) ||
	    (len && EVP_MAC_update(poly_ctx, ct, len) != 1) ||
	    (pad && EVP_MAC_update(poly_ctx, zero, pad) != 1) ||
	    EVP_MAC_update(poly_ctx, lens, sizeof(lens)) != 1 ||
	    EVP_MAC_final(poly_ctx, tag, &outl, CRYPTO_AEAD_TAG_LEN) != 1)
		return -1;
	return outl == CRYPTO_AEAD_TAG_LEN ? 0 : -1;
}

/* RFC 8439 section 2.8 AEAD seal; the tag follows the ciphertext. The
 * stream starts at block 0 (the one-time key) and goes on into the text
 * at block 1, as section 2.8 has it. */
int crypto_aead_encrypt_n12(uint8_t *dst, const uint8_t *src, size_t len,
			    const uint8_t *ad, size_t adlen,
			    const uint8_t nonce[12],
			    const uint8_t key[CRYPTO_AEAD_KEY_LEN])
{
	static const uint8_t zero[64];
	uint8_t iv[16] = { 0 }, otk[64], tag[CRYPTO_AEAD_TAG_LEN];
	struct aead_slot *slot;
	EVP_CIPHER_CTX *c;
	bool tag_set;
	int ret = -EIO;

	/* The EVP interface counts in int. */
	if (len > INT_MAX - CRYPTO_AEAD_TAG_LEN || adlen > INT_MAX)
		return -EMSGSIZE;
	if (ensure_init())
		return -ENOMEM;
	/* ChaCha20's IV: the 32-bit block counter (0), then the nonce. */
	memcpy(iv + 4, nonce, AEAD_NONCE_LEN);
	c = aead_ctx(1, key, iv, NULL, &tag_set, &slot);
	/* Zero lengths skip the data: src may be NULL for a keepalive. */
	if (c && EVP_Cipher(c, otk, zero, sizeof(otk)) == (int)sizeof(otk) &&
	    (!len || EVP_Cipher(c, dst, src, (unsigned int)len) == (int)len) &&
	    !aead_poly1305(otk, ad, adlen, dst, len, tag)) {
		memcpy(dst + len, tag, sizeof(tag));
		ret = 0;
	}
	crypto_wipe(otk, sizeof(otk));
	if (ret) {
		ERR_clear_error();
		if (len)
			crypto_wipe(dst, len);	/* never half a message */
	}
	return ret;
}

/* RFC 8439 section 2.8 AEAD open. Every failure, not only a tag mismatch,
 * reports -EBADMSG and wipes dst, so no caller can use unverified text. */
int crypto_aead_decrypt_n12(uint8_t *dst, const uint8_t *src, size_t srclen,
			    const uint8_t *ad, size_t adlen,
			    const uint8_t nonce[12],
			    const uint8_t key[CRYPTO_AEAD_KEY_LEN])
{
	uint8_t tag[CRYPTO_AEAD_TAG_LEN];
	struct aead_slot *slot;
	EVP_CIPHER_CTX *c;
	bool tag_set;
	size_t len;
	int outl = 0;

	if (srclen < CRYPTO_AEAD_TAG_LEN || srclen > INT_MAX || adlen > INT_MAX)
		return -EBADMSG;
	if (ensure_init())
		return -ENOMEM;
	len = srclen - CRYPTO_AEAD_TAG_LEN;
	memcpy(tag, src + len, sizeof(tag));	/* in case dst overlaps it */
	/* Final writes nothing for a stream cipher, but wants a valid
	 * pointer: dst may be NULL for a keepalive. */
	c = aead_ctx(0, key, nonce, tag, &tag_set, &slot);
	if (aead_run(c, dst, src, len, ad, adlen) ||
	    (!tag_set && aead_set_tag(c, tag) != 1) ||
	    EVP_DecryptFinal_ex(c, len ? dst + len : tag, &outl) != 1) {
		ERR_clear_error();
		if (len)
			crypto_wipe(dst, len);
		return -EBADMSG;
	}
	slot->ready = true;
	return 0;
}

/* WireGuard's nonce (whitepaper 5.4.6): 32 zero bits, then the counter as
 * a 64-bit little-endian integer. */
static void wg_nonce(uint8_t n12[AEAD_NONCE_LEN], uint64_t counter)
{
	int i;

	memset(n12, 0, 4);
	for (i = 0; i < 8; ++i)
		n12[4 + i] = (uint8_t)(counter >> (8 * i));
}

int crypto_aead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
			const uint8_t *ad, size_t adlen, uint64_t nonce,
			const uint8_t key[CRYPTO_AEAD_KEY_LEN])
{
	uint8_t n12[AEAD_NONCE_LEN];

	wg_nonce(n12, nonce);
	return crypto_aead_encrypt_n12(dst, src, len, ad, adlen, n12, key);
}

int crypto_aead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen,
			const uint8_t *ad, size_t adlen, uint64_t nonce,
			const uint8_t key[CRYPTO_AEAD_KEY_LEN])
{
	uint8_t n12[AEAD_NONCE_LEN];

	wg_nonce(n12, nonce);
	return crypto_aead_decrypt_n12(dst, src, srclen, ad, adlen, n12, key);
}

/* Seals pt under nonce n in x and opens it again; false if either fails
 * or the text does not come back. */
static bool aead_round_trip(uint8_t x[96], const uint8_t pt[80],
			    const uint8_t key[32], const uint8_t n[12],
			    const uint8_t *ad, size_t adlen)
{
	uint8_t back[80];

	return !crypto_aead_encrypt_n12(x, pt, 80, ad, adlen, n, key) &&
	       !crypto_aead_decrypt_n12(back, x, 96, ad, adlen, n, key) &&
	       !memcmp(back, pt, 80);
}

/*
 * Whether the nonce set as "tlsivfixed" (see aead_slot) gives what
 * EVP_CipherInit_ex gives, with this libcrypto: two messages under two
 * nonces (one with associated data) sealed and opened, then the same two
 * again, now opened through a context ready for the parameter, and a
 * forged tag still refused that way. The key is a constant, so nothing
 * secret is used.
 */
static bool aead_fixed_check(void)
{
	static const uint8_t n1[12] = { 0 }, n2[12] = { 0, 0, 0, 0, 1 };
	static const uint8_t ad[13] = { 'c', 'h', 'e', 'c', 'k' };
	uint8_t key[32], pt[80], a[96], b[96], c[96], d[96], out[80];
	bool ok;

	memset(key, 0x5c, sizeof(key));
	memset(pt, 0xa5, sizeof(pt));
	aead_fixed_ok = false;
	ok = aead_round_trip(a, pt, key, n1, NULL, 0) &&
	     aead_round_trip(b, pt, key, n2, ad, sizeof(ad));
	aead_fixed_ok = true;
	ok = ok && aead_round_trip(c, pt, key, n1, NULL, 0) &&
	     aead_round_trip(d, pt, key, n2, ad, sizeof(ad)) &&
	     !memcmp(a, c, sizeof(a)) && !memcmp(b, d, sizeof(b));
	d[95] ^= 1;
	ok = ok && crypto_aead_decrypt_n12(out, d, 96, ad, sizeof(ad), n2,
					   key) == -EBADMSG;
	crypto_aead_forget();
	return ok;
}
