// SPDX-License-Identifier: GPL-2.0-only
/*
 * ChaCha20-Poly1305 (RFC 8439 section 2.8), the AEAD of every WireGuard
 * message (whitepaper 5.4.6), built from OpenSSL's plain "ChaCha20" cipher
 * and its "POLY1305" MAC.
 *
 * Why not OpenSSL's own "ChaCha20-Poly1305" cipher: its cost per 1420-byte
 * packet, even with a held key, was 1.6 (AVX2) to 3 (AVX-512) times what
 * its assembly takes for those bytes in bulk (bench/crypto_bench, "fixed"
 * against "bulk"). Much of the difference is ChaCha20, which the assembly
 * computes 8 (AVX2) or 16 (AVX-512) blocks at a time, asked for fewer
 * blocks at a time: OpenSSL runs block 0 (the one-time
 * Poly1305 key, section 2.6) as one call, the text's whole blocks as
 * another, and its last partial block as a third, and each short call
 * costs about what 4-8 blocks cost. So here one call makes the keystream
 * of block 0 and every block of the text, rounded up to whole blocks,
 * into a scratch buffer, and the text is XORed with it. That keystream's
 * first 32 bytes are the one-time key. Opening verifies the tag over the
 * ciphertext before anything is written to dst, so no unverified
 * plaintext exists even for a moment.
 *
 * The ChaCha20 contexts are kept keyed, AEAD_SLOTS of them, with the key
 * each holds: a packet under a held key sets only its nonce. All packets
 * of a session use one key, so a lane's steady state always finds it; a
 * handshake's one-off keys take the least recently used slot.
 * crypto_aead_forget() makes every context drop its key when a session's
 * keys are wiped.
 *
 * Single-threaded, as the rest of crypto.c (docs/design.md section 2).
 */
#include "crypto.h"
#include "crypto_int.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#define AEAD_NONCE_LEN  12	/* RFC 8439 section 2.8 */
#define CHACHA_BLOCK    64	/* RFC 8439 section 2.3 */
#define AEAD_SLOTS      8	/* four sessions' two directions */
/* Keystream per ChaCha20 call: a whole 1500-byte packet and its block 0
 * in one call; longer messages (a GSO batch, a large MTU) take more. */
#define AEAD_STREAM_LEN 4096

struct aead_slot {
	EVP_CIPHER_CTX *ctx;
	uint64_t used;			/* last use; 0: holds no key */
	uint8_t key[CRYPTO_AEAD_KEY_LEN];
};

static EVP_CIPHER *chacha20;
static EVP_MAC *poly1305;
static EVP_MAC_CTX *poly_ctx;
static struct aead_slot aead_slot[AEAD_SLOTS];
static uint64_t aead_clock;
static uint8_t aead_stream[AEAD_STREAM_LEN];	/* secret while in use */
static const uint8_t aead_zero[AEAD_STREAM_LEN];

int crypto_aead_init(void)
{
	chacha20 = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
	poly1305 = EVP_MAC_fetch(NULL, "POLY1305", NULL);
	poly_ctx = poly1305 ? EVP_MAC_CTX_new(poly1305) : NULL;
	if (!chacha20 || !poly_ctx)
		return -ENOMEM;
	for (int i = 0; i < AEAD_SLOTS; i++) {
		struct aead_slot *s = &aead_slot[i];

		s->used = 0;
		s->ctx = EVP_CIPHER_CTX_new();
		/* ChaCha20 encrypts and decrypts alike: one direction. */
		if (!s->ctx ||
		    EVP_CipherInit_ex2(s->ctx, chacha20, NULL, NULL, 1,
				       NULL) != 1)
			return -ENOMEM;
	}
	return 0;
}

void crypto_aead_fini(void)
{
	for (int i = 0; i < AEAD_SLOTS; i++) {
		EVP_CIPHER_CTX_free(aead_slot[i].ctx);	/* cleanses the key */
		OPENSSL_cleanse(&aead_slot[i], sizeof(aead_slot[i]));
	}
	OPENSSL_cleanse(aead_stream, sizeof(aead_stream));
	EVP_MAC_CTX_free(poly_ctx);
	EVP_MAC_free(poly1305);
	EVP_CIPHER_free(chacha20);
	poly_ctx = NULL;
	poly1305 = NULL;
	chacha20 = NULL;
}

static int aead_ready(void)
{
	return aead_slot[0].ctx ? 0 : crypto_init();
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
	/* The last message's keystream, and the MAC context (OpenSSL
	 * clears its Poly1305 state at final; a new context leaves nothing
	 * to trust that to). */
	OPENSSL_cleanse(aead_stream, sizeof(aead_stream));
	if (poly_ctx) {
		EVP_MAC_CTX_free(poly_ctx);
		poly_ctx = EVP_MAC_CTX_new(poly1305);
		if (!poly_ctx) {
			crypto_fini();	/* start over at the next use */
			return;
		}
	}
	for (int i = 0; i < AEAD_SLOTS; i++) {
		struct aead_slot *s = &aead_slot[i];

		if (!s->ctx)
			return;
		OPENSSL_cleanse(s->key, sizeof(s->key));
		s->used = 0;
		if (EVP_CIPHER_CTX_reset(s->ctx) != 1 ||
		    EVP_CipherInit_ex2(s->ctx, chacha20, NULL, NULL, 1,
				       NULL) != 1) {
			/* Start over at the next use (aead_ready). */
			ERR_clear_error();
			crypto_fini();
			return;
		}
	}
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

/*
 * A context at block 0 of the message: ChaCha20's 16-byte IV is the
 * 32-bit block counter (0) and the nonce. The key is set only where no
 * slot holds it; such a key takes the least recently used slot.
 */
static EVP_CIPHER_CTX *aead_ctx(const uint8_t *key,
				const uint8_t nonce[AEAD_NONCE_LEN])
{
	struct aead_slot *s = aead_slot, *lru = &s[0];
	uint8_t iv[16] = { 0 };

	memcpy(iv + 4, nonce, AEAD_NONCE_LEN);
	for (int i = 0; i < AEAD_SLOTS; i++) {
		if (s[i].used && aead_key_eq(s[i].key, key)) {
			s[i].used = ++aead_clock;
			return EVP_CipherInit_ex(s[i].ctx, NULL, NULL, NULL,
						 iv, -1) == 1 ? s[i].ctx : NULL;
		}
		if (s[i].used < lru->used)
			lru = &s[i];
	}
	lru->used = 0;
	OPENSSL_cleanse(lru->key, sizeof(lru->key));	/* even if this fails */
	if (EVP_CipherInit_ex(lru->ctx, NULL, NULL, key, iv, -1) != 1)
		return NULL;
	memcpy(lru->key, key, CRYPTO_AEAD_KEY_LEN);
	lru->used = ++aead_clock;
	return lru->ctx;
}

/* The next len bytes of keystream, rounded up to whole blocks, into
 * aead_stream: OpenSSL would run a last partial block as a call of its
 * own, which costs as much as several whole ones. */
static int aead_keystream(EVP_CIPHER_CTX *c, size_t len)
{
	unsigned int n = (unsigned int)((len + CHACHA_BLOCK - 1) &
					~(size_t)(CHACHA_BLOCK - 1));

	return EVP_Cipher(c, aead_stream, aead_zero, n) == (int)n ? 0 : -1;
}

/* dst = src ^ ks, 32 bytes at a time where it can; dst may be src. On
 * x86-64 an AVX2 clone does each 32 bytes in one instruction (the
 * default, two), chosen once, at load, by the CPU. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define AEAD_XOR_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef AEAD_XOR_CLONES
#define AEAD_XOR_CLONES
#endif
AEAD_XOR_CLONES
static void aead_xor(uint8_t *dst, const uint8_t *src, const uint8_t *ks,
		     size_t len)
{
	typedef uint8_t v32 __attribute__((vector_size(32)));
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		v32 a, b;

		memcpy(&a, src + i, 32);
		memcpy(&b, ks + i, 32);
		a ^= b;
		memcpy(dst + i, &a, 32);
	}
	for (; i < len; i++)
		dst[i] = src[i] ^ ks[i];
}

/*
 * Block 0 and the keystream of the text's first part, in one call: the
 * one-time key (block 0's first 32 bytes) into otk. Returns how many
 * bytes of the text the keystream covers.
 */
static size_t aead_first(EVP_CIPHER_CTX *c, size_t len, uint8_t otk[32])
{
	size_t n = len < AEAD_STREAM_LEN - CHACHA_BLOCK ?
			   len : AEAD_STREAM_LEN - CHACHA_BLOCK;

	if (!c || aead_keystream(c, CHACHA_BLOCK + n))
		return SIZE_MAX;
	memcpy(otk, aead_stream, 32);
	return n;
}

/* The text XORed with the keystream from block 1 on, where aead_first
 * covered its first n bytes: every further AEAD_STREAM_LEN bytes are one
 * call more. */
static int aead_xor_text(EVP_CIPHER_CTX *c, uint8_t *dst, const uint8_t *src,
			 size_t len, size_t n)
{
	aead_xor(dst, src, aead_stream + CHACHA_BLOCK, n);
	for (size_t done = n; done < len; done += n) {
		n = len - done < AEAD_STREAM_LEN ? len - done : AEAD_STREAM_LEN;
		if (aead_keystream(c, n))
			return -1;
		aead_xor(dst + done, src + done, aead_stream, n);
	}
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

/* The one-time key and block 0 are wiped. What else is left in
 * aead_stream is this nonce's keystream, which gives nothing that the
 * plaintext, left in the caller's buffers, does not. */
static void aead_done(uint8_t otk[32])
{
	OPENSSL_cleanse(otk, 32);
	OPENSSL_cleanse(aead_stream, CHACHA_BLOCK);
}

/* RFC 8439 section 2.8 AEAD seal; the tag follows the ciphertext. */
int crypto_aead_encrypt_n12(uint8_t *dst, const uint8_t *src, size_t len,
			    const uint8_t *ad, size_t adlen,
			    const uint8_t nonce[AEAD_NONCE_LEN],
			    const uint8_t key[CRYPTO_AEAD_KEY_LEN])
{
	uint8_t otk[32], tag[CRYPTO_AEAD_TAG_LEN];
	EVP_CIPHER_CTX *c;
	size_t n;
	int ret = -EIO;

	/* The EVP interface counts in int. */
	if (len > INT_MAX - CRYPTO_AEAD_TAG_LEN || adlen > INT_MAX)
		return -EMSGSIZE;
	if (aead_ready())
		return -ENOMEM;
	c = aead_ctx(key, nonce);
	n = aead_first(c, len, otk);
	/* Zero lengths skip the data: src may be NULL for a keepalive. */
	if (n != SIZE_MAX && (!len || !aead_xor_text(c, dst, src, len, n)) &&
	    !aead_poly1305(otk, ad, adlen, dst, len, tag)) {
		memcpy(dst + len, tag, sizeof(tag));
		ret = 0;
	}
	aead_done(otk);
	if (ret) {
		ERR_clear_error();
		if (len)
			crypto_wipe(dst, len);	/* never half a message */
	}
	return ret;
}

/*
 * RFC 8439 section 2.8 AEAD open: the tag is checked (in constant time)
 * before the text is decrypted. Every failure, not only a tag mismatch,
 * reports -EBADMSG and wipes dst, so no caller can use unverified text.
 */
int crypto_aead_decrypt_n12(uint8_t *dst, const uint8_t *src, size_t srclen,
			    const uint8_t *ad, size_t adlen,
			    const uint8_t nonce[AEAD_NONCE_LEN],
			    const uint8_t key[CRYPTO_AEAD_KEY_LEN])
{
	uint8_t otk[32], tag[CRYPTO_AEAD_TAG_LEN];
	size_t len, n;
	EVP_CIPHER_CTX *c;
	int ret = -EBADMSG;

	if (srclen < CRYPTO_AEAD_TAG_LEN || srclen > INT_MAX || adlen > INT_MAX)
		return -EBADMSG;
	if (aead_ready())
		return -ENOMEM;
	len = srclen - CRYPTO_AEAD_TAG_LEN;
	c = aead_ctx(key, nonce);
	n = aead_first(c, len, otk);
	if (n != SIZE_MAX && !aead_poly1305(otk, ad, adlen, src, len, tag) &&
	    CRYPTO_memcmp(tag, src + len, sizeof(tag)) == 0 &&
	    (!len || !aead_xor_text(c, dst, src, len, n)))
		ret = 0;
	aead_done(otk);
	crypto_wipe(tag, sizeof(tag));
	if (ret) {
		ERR_clear_error();
		if (len)
			crypto_wipe(dst, len);
	}
	return ret;
}

/* WireGuard's nonce (whitepaper 5.4.6): 32 zero bits, then the counter as
 * a 64-bit little-endian integer. */
static void wg_nonce(uint8_t n12[AEAD_NONCE_LEN], uint64_t counter)
{
	memset(n12, 0, 4);
	for (int i = 0; i < 8; ++i)
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
