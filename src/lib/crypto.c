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
 * ChaCha20-Poly1305 is in crypto_aead.c, XChaCha20-Poly1305 in
 * crypto_xchacha.c, key encodings in crypto_key.c.
 *
 * Secrets that pass through the stack are wiped before return.
 */
#include "crypto.h"
#include "crypto_int.h"

#include <errno.h>
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

static EVP_MD *blake2s_md;
static EVP_MAC *blake2s_mac;
static EVP_MD_CTX *md_ctx;
static EVP_MAC_CTX *mac_ctx;
static EVP_PKEY_CTX *x25519_ctx;

/* Fetches the algorithms by name so each call skips the implicit lookup. */
static int fetch_algorithms(void)
{
	blake2s_md = EVP_MD_fetch(NULL, "BLAKE2S-256", NULL);
	blake2s_mac = EVP_MAC_fetch(NULL, "BLAKE2SMAC", NULL);
	if (!blake2s_md || !blake2s_mac)
		return -ENOMEM;
	return 0;
}

/* One context per use. */
static int create_contexts(void)
{
	md_ctx = EVP_MD_CTX_new();
	mac_ctx = EVP_MAC_CTX_new(blake2s_mac);
	x25519_ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
	if (!md_ctx || !mac_ctx || !x25519_ctx || crypto_aead_init())
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
	return 0;
}

void crypto_fini(void)
{
	EVP_PKEY_CTX_free(x25519_ctx);
	crypto_aead_fini();
	EVP_MAC_CTX_free(mac_ctx);
	EVP_MD_CTX_free(md_ctx);
	EVP_MAC_free(blake2s_mac);
	EVP_MD_free(blake2s_md);
	x25519_ctx = NULL;
	mac_ctx = NULL;
	md_ctx = NULL;
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
