// SPDX-License-Identifier: GPL-2.0-only
/*
 * Text encodings of 32-byte keys: base64 for configuration files and wg(8)
 * output, lowercase hex for the UAPI. Constant time, as keys are secret.
 */
#include "crypto.h"

#include <errno.h>
#include <string.h>

/*
 * Keys are secret, so the encoders and decoders below use no table lookups
 * and no branches on key bytes. ct_in_range is -1 when lo <= c <= hi and 0
 * otherwise: both differences are negative only inside the range, and
 * they lie in -256..255, so the arithmetic shift leaves all ones or zero.
 */
static int ct_in_range(int c, int lo, int hi)
{
	return ((lo - 1 - c) & (c - hi - 1)) >> 8;
}

/* RFC 4648 section 4 alphabet: value 0..63, or -1 for any other byte. */
static int b64_value(uint8_t b)
{
	int c = b, v = -1;

	v += ct_in_range(c, 'A', 'Z') & (c - 'A' + 1);
	v += ct_in_range(c, 'a', 'z') & (c - 'a' + 27);
	v += ct_in_range(c, '0', '9') & (c - '0' + 53);
	v += ct_in_range(c, '+', '+') & 63;
	v += ct_in_range(c, '/', '/') & 64;
	return v;
}

/*
 * A key pasted in the wrong place (a private key as a line of its own, as
 * an AllowedIPs item...) must not end up in a message or a log: this
 * spots one, with or without its '='. Not constant time: it is meant for
 * text that failed to parse as what it should have been.
 */
bool crypto_key_looks_base64(const char *s)
{
	size_t i, n = strlen(s);

	if (n == CRYPTO_KEY_B64_LEN - 1 && s[n - 1] == '=')
		n--;
	if (n != CRYPTO_KEY_B64_LEN - 2)
		return false;
	for (i = 0; i < n; i++) {
		if (b64_value((uint8_t)s[i]) < 0)
			return false;
	}
	return true;
}

/* Inverse of b64_value for v in 0..63: start from 'A' + v and shift each
 * later alphabet range into place ((k - v) >> 8 is -1 when v > k). */
static char b64_char(unsigned int bits)
{
	int v = (int)(bits & 63), c = 'A' + v;

	c += ((25 - v) >> 8) & ('a' - 'A' - 26);
	c += ((51 - v) >> 8) & ('0' - 'a' - 26);
	c += ((61 - v) >> 8) & ('+' - '0' - 10);
	c += ((62 - v) >> 8) & ('/' - '+' - 1);
	return (char)c;
}

/* 32 bytes are ten 3-byte groups (40 chars), then 2 bytes that make three
 * chars and one '=' (RFC 4648 section 4), as `wg genkey` prints. */
void crypto_key_to_base64(char out[CRYPTO_KEY_B64_LEN], const uint8_t key[32])
{
	uint32_t v;
	int i;

	for (i = 0; i < 10; ++i) {
		v = (uint32_t)key[3 * i] << 16 | (uint32_t)key[3 * i + 1] << 8 |
		    key[3 * i + 2];
		out[4 * i] = b64_char(v >> 18);
		out[4 * i + 1] = b64_char(v >> 12);
		out[4 * i + 2] = b64_char(v >> 6);
		out[4 * i + 3] = b64_char(v);
	}
	v = (uint32_t)key[30] << 16 | (uint32_t)key[31] << 8;
	out[40] = b64_char(v >> 18);
	out[41] = b64_char(v >> 12);
	out[42] = b64_char(v >> 6);
	out[43] = '=';
	out[44] = '\0';
	crypto_wipe(&v, sizeof(v));
}

/* Exactly 43 alphabet chars and '='. The last char carries 4 data bits;
 * its low 2 bits must be zero (RFC 4648 section 3.5, canonical encoding)
 * so that one key has one spelling. */
int crypto_key_from_base64(uint8_t key[32], const char *in)
{
	const uint8_t *s = (const uint8_t *)in;
	uint32_t acc = 0;
	int err = 0, i, v;

	if (strnlen(in, CRYPTO_KEY_B64_LEN) != CRYPTO_KEY_B64_LEN - 1 ||
	    s[43] != '=')
		return -EINVAL;
	for (i = 0; i < 43; ++i) {
		v = b64_value(s[i]);
		err |= v;
		acc = acc << 6 | (uint32_t)(v & 63);
		if (i % 4 == 3) {
			key[i / 4 * 3] = (uint8_t)(acc >> 16);
			key[i / 4 * 3 + 1] = (uint8_t)(acc >> 8);
			key[i / 4 * 3 + 2] = (uint8_t)acc;
		}
	}
	/* acc now holds the last 3 chars: 18 bits, 16 of them data. */
	key[30] = (uint8_t)(acc >> 10);
	key[31] = (uint8_t)(acc >> 2);
	err |= -(int)(acc & 3);
	crypto_wipe(&acc, sizeof(acc));
	if (err < 0) {
		crypto_wipe(key, 32);
		return -EINVAL;
	}
	return 0;
}

/* 0..15 to '0'..'9', 'a'..'f': add 39 more when the nibble exceeds 9. */
static char hex_char(unsigned int nibble)
{
	int v = (int)(nibble & 15);

	return (char)('0' + v + (((9 - v) >> 8) & ('a' - '0' - 10)));
}

void crypto_key_to_hex(char out[CRYPTO_KEY_HEX_LEN], const uint8_t key[32])
{
	int i;

	for (i = 0; i < 32; ++i) {
		out[2 * i] = hex_char(key[i] >> 4);
		out[2 * i + 1] = hex_char(key[i]);
	}
	out[64] = '\0';
}

/* Value 0..15 of a hex digit, either case, or -1. */
static int hex_value(uint8_t b)
{
	int c = b, v = -1;

	v += ct_in_range(c, '0', '9') & (c - '0' + 1);
	v += ct_in_range(c, 'a', 'f') & (c - 'a' + 11);
	v += ct_in_range(c, 'A', 'F') & (c - 'A' + 11);
	return v;
}

/* Exactly 64 hex digits (the UAPI's key format), nothing after them. */
int crypto_key_from_hex(uint8_t key[32], const char *in)
{
	const uint8_t *s = (const uint8_t *)in;
	int err = 0, hi, lo, i;

	if (strnlen(in, CRYPTO_KEY_HEX_LEN) != CRYPTO_KEY_HEX_LEN - 1)
		return -EINVAL;
	for (i = 0; i < 32; ++i) {
		hi = hex_value(s[2 * i]);
		lo = hex_value(s[2 * i + 1]);
		err |= hi | lo;
		key[i] = (uint8_t)((hi & 15) << 4 | (lo & 15));
	}
	if (err < 0) {
		crypto_wipe(key, 32);
		return -EINVAL;
	}
	return 0;
}
