// SPDX-License-Identifier: GPL-2.0-only
/*
 * XChaCha20-Poly1305 for cookie replies (whitepaper 5.4.7). OpenSSL lacks
 * HChaCha20, so it is written here (draft-irtf-cfrg-xchacha section 2.2)
 * and XChaCha20-Poly1305 is built from it and the OpenSSL
 * ChaCha20-Poly1305 in crypto_aead.c (section 2.3).
 */
#include "crypto.h"

#include <string.h>

#define AEAD_NONCE_LEN    12	/* RFC 8439 section 2.8 */

static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t rotl32(uint32_t v, int n)
{
	return v << n | v >> (32 - n);
}

/* RFC 8439 section 2.1: the quarter round on four words of the state. */
static void quarter_round(uint32_t x[16], int a, int b, int c, int d)
{
	x[a] += x[b]; x[d] = rotl32(x[d] ^ x[a], 16);
	x[c] += x[d]; x[b] = rotl32(x[b] ^ x[c], 12);
	x[a] += x[b]; x[d] = rotl32(x[d] ^ x[a], 8);
	x[c] += x[d]; x[b] = rotl32(x[b] ^ x[c], 7);
}

/* RFC 8439 section 2.3: a column round then a diagonal round. */
static void double_round(uint32_t x[16])
{
	quarter_round(x, 0, 4, 8, 12);
	quarter_round(x, 1, 5, 9, 13);
	quarter_round(x, 2, 6, 10, 14);
	quarter_round(x, 3, 7, 11, 15);
	quarter_round(x, 0, 5, 10, 15);
	quarter_round(x, 1, 6, 11, 12);
	quarter_round(x, 2, 7, 8, 13);
	quarter_round(x, 3, 4, 9, 14);
}

/*
 * draft-irtf-cfrg-xchacha-03 section 2.2: the ChaCha20 state with the
 * 16-byte nonce in place of counter and nonce, 20 rounds, and rows 0 and 3
 * as the output, without the final addition of the input state.
 */
void crypto_hchacha20(uint8_t out[32], const uint8_t key[32],
		      const uint8_t nonce[16])
{
	uint32_t x[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
	int i;

	for (i = 0; i < 8; ++i)
		x[4 + i] = load_le32(key + 4 * i);
	for (i = 0; i < 4; ++i)
		x[12 + i] = load_le32(nonce + 4 * i);
	for (i = 0; i < 10; ++i)
		double_round(x);
	for (i = 0; i < 4; ++i) {
		store_le32(out + 4 * i, x[i]);
		store_le32(out + 16 + 4 * i, x[12 + i]);
	}
	crypto_wipe(x, sizeof(x));
}

/* Section 2.3: subkey = HChaCha20(key, nonce[0..15]); the ChaCha20 nonce
 * is 4 zero bytes || nonce[16..23]. */
static void xchacha_setup(uint8_t subkey[32], uint8_t n12[AEAD_NONCE_LEN],
			  const uint8_t key[32],
			  const uint8_t nonce[CRYPTO_XNONCE_LEN])
{
	crypto_hchacha20(subkey, key, nonce);
	memset(n12, 0, 4);
	memcpy(n12 + 4, nonce + 16, 8);
}

int crypto_xaead_encrypt(uint8_t *dst, const uint8_t *src, size_t len,
			 const uint8_t *ad, size_t adlen,
			 const uint8_t nonce[CRYPTO_XNONCE_LEN],
			 const uint8_t key[CRYPTO_AEAD_KEY_LEN])
{
	uint8_t subkey[CRYPTO_AEAD_KEY_LEN], n12[AEAD_NONCE_LEN];
	int ret;

	xchacha_setup(subkey, n12, key, nonce);
	ret = crypto_aead_encrypt_n12(dst, src, len, ad, adlen, n12, subkey);
	crypto_wipe(subkey, sizeof(subkey));
	return ret;
}

int crypto_xaead_decrypt(uint8_t *dst, const uint8_t *src, size_t srclen,
			 const uint8_t *ad, size_t adlen,
			 const uint8_t nonce[CRYPTO_XNONCE_LEN],
			 const uint8_t key[CRYPTO_AEAD_KEY_LEN])
{
	uint8_t subkey[CRYPTO_AEAD_KEY_LEN], n12[AEAD_NONCE_LEN];
	int ret;

	xchacha_setup(subkey, n12, key, nonce);
	ret = crypto_aead_decrypt_n12(dst, src, srclen, ad, adlen, n12, subkey);
	crypto_wipe(subkey, sizeof(subkey));
	return ret;
}
