/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Thin layer over OpenSSL libcrypto 3 for the primitives WireGuard uses
 * (whitepaper 5.4): X25519, ChaCha20-Poly1305, BLAKE2s, keyed BLAKE2s and
 * HMAC-BLAKE2s, plus HChaCha20/XChaCha20-Poly1305 which OpenSSL lacks.
 *
 * Each lane is one single-threaded process, so the AEAD uses a few cipher
 * contexts per process, created by crypto_init(), each keeping its key
 * across packets (crypto_aead.c).
 */
#ifndef TUNLANE_CRYPTO_H
#define TUNLANE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_X25519_LEN      32
#define CRYPTO_BLAKE2S_LEN     32
#define CRYPTO_AEAD_KEY_LEN    32
#define CRYPTO_AEAD_TAG_LEN    16
#define CRYPTO_XNONCE_LEN      24

/* Returns 0 or -ENOMEM. Safe to call more than once. */
int crypto_init(void);
void crypto_fini(void);

/* Fills buf from the OS CSPRNG; 0 or -EIO. */
int crypto_random(void *buf, size_t len);

/* Constant-time comparison: true when equal. */
bool crypto_memeq(const void *a, const void *b, size_t len);
/* Constant-time check that len bytes are all zero. */
bool crypto_is_zero(const void *a, size_t len);
/* Wipes memory in a way the compiler cannot elide (OPENSSL_cleanse). */
void crypto_wipe(void *p, size_t len);

/* BLAKE2s-256 of the concatenation a || b (b may be NULL with blen 0). */
void crypto_hash2(uint8_t out[CRYPTO_BLAKE2S_LEN], const void *a, size_t alen,
		  const void *b, size_t blen);
/* Unkeyed BLAKE2s-256. */
void crypto_hash(uint8_t out[CRYPTO_BLAKE2S_LEN], const void *in, size_t len);
/* Keyed BLAKE2s (RFC 7693 keyed mode), outlen 1..32, keylen 1..32. */
int crypto_blake2s_mac(uint8_t *out, size_t outlen, const void *key,
		       size_t keylen, const void *in, size_t inlen);
/* HMAC(BLAKE2s-256) as in RFC 2104 with a 64-byte block. */
void crypto_hmac(uint8_t out[CRYPTO_BLAKE2S_LEN], const void *key,
		 size_t keylen, const void *in, size_t inlen);
/*
 * WireGuard KDF_n (whitepaper 5.4.2): t0 = HMAC(ck, in),
 * t1 = HMAC(t0, 0x1), t2 = HMAC(t0, t1 || 0x2), t3 = HMAC(t0, t2 || 0x3).
 * Outputs that are NULL are not computed (and later ones not either).
 */
void crypto_kdf(uint8_t *t1, uint8_t *t2, uint8_t *t3,
		const uint8_t ck[CRYPTO_BLAKE2S_LEN], const void *in,
		size_t inlen);

/* Random private key, clamped per RFC 7748 section 5. */
int crypto_x25519_genkey(uint8_t priv[CRYPTO_X25519_LEN]);
/* Public key of a private key; 0 or -EINVAL. */
int crypto_x25519_public(uint8_t pub[CRYPTO_X25519_LEN],
			 const uint8_t priv[CRYPTO_X25519_LEN]);
/*
 * Shared secret. Returns -EINVAL when the result is all zeros, which is
 * what a low-order peer point yields (RFC 7748 section 6.1).
 */
int crypto_x25519(uint8_t out[CRYPTO_X25519_LEN],
		  const uint8_t priv[CRYPTO_X25519_LEN],
		  const uint8_t pub[CRYPTO_X25519_LEN]);

/*
 * Picks OpenSSL's 256-bit ChaCha20 and Poly1305 code over its AVX-512 code
 * on Intel CPUs, by executing the program (/proc/self/exe, argv) again
 * with OPENSSL_ia32cap set, unless that is set already (crypto_cpu.c).
 * Call first thing in main(): it returns where it changes nothing.
 */
void crypto_cpu_select(char *const argv[]);

/* Drops the keys the AEAD contexts keep (crypto_aead.c keeps a few keyed):
 * called when a session key is wiped, so that it does not live on in
 * OpenSSL's state. */
void crypto_aead_forget(void);

/*
 * ChaCha20-Poly1305 (RFC 8439) with WireGuard's nonce: 32 zero bits then the
 * 64-bit counter, little-endian. dst may equal src (in place). Encrypt
 * writes len + 16 bytes; decrypt reads srclen bytes including the tag and
 * writes srclen - 16. Decrypt returns -EBADMSG on a bad tag.
 */
int crypto_aead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
			const uint8_t *ad, size_t adlen, uint64_t nonce,
			const uint8_t key[CRYPTO_AEAD_KEY_LEN]);
int crypto_aead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen,
			const uint8_t *ad, size_t adlen, uint64_t nonce,
			const uint8_t key[CRYPTO_AEAD_KEY_LEN]);
/* Same, with a raw 12-byte nonce (for RFC 8439 known-answer tests). */
int crypto_aead_encrypt_n12(uint8_t *dst, const uint8_t *src, size_t len,
			    const uint8_t *ad, size_t adlen,
			    const uint8_t nonce[12],
			    const uint8_t key[CRYPTO_AEAD_KEY_LEN]);
int crypto_aead_decrypt_n12(uint8_t *dst, const uint8_t *src, size_t srclen,
			    const uint8_t *ad, size_t adlen,
			    const uint8_t nonce[12],
			    const uint8_t key[CRYPTO_AEAD_KEY_LEN]);

/* HChaCha20 (draft-irtf-cfrg-xchacha section 2.2). */
void crypto_hchacha20(uint8_t out[32], const uint8_t key[32],
		      const uint8_t nonce[16]);
/* XChaCha20-Poly1305 AEAD (draft-irtf-cfrg-xchacha section 2.3). */
int crypto_xaead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
			 const uint8_t *ad, size_t adlen,
			 const uint8_t nonce[CRYPTO_XNONCE_LEN],
			 const uint8_t key[CRYPTO_AEAD_KEY_LEN]);
int crypto_xaead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen,
			 const uint8_t *ad, size_t adlen,
			 const uint8_t nonce[CRYPTO_XNONCE_LEN],
			 const uint8_t key[CRYPTO_AEAD_KEY_LEN]);

/* Base64 of a 32-byte key (44 chars + NUL) and back; decode -EINVAL on bad. */
#define CRYPTO_KEY_B64_LEN 45
void crypto_key_to_base64(char out[CRYPTO_KEY_B64_LEN], const uint8_t key[32]);
int crypto_key_from_base64(uint8_t key[32], const char *in);
/* True when s is 43 base64 characters, with or without a final '='. */
bool crypto_key_looks_base64(const char *s);
/* Lowercase hex of a 32-byte key (64 chars + NUL) and back, for the UAPI. */
#define CRYPTO_KEY_HEX_LEN 65
void crypto_key_to_hex(char out[CRYPTO_KEY_HEX_LEN], const uint8_t key[32]);
int crypto_key_from_hex(uint8_t key[32], const char *in);

#endif
