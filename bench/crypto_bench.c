// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/crypto_bench: the cost of one WireGuard data packet's AEAD
 * (ChaCha20-Poly1305, RFC 8439, empty associated data) through OpenSSL 3,
 * by the ways of driving its EVP interface, against the floor of its
 * assembly alone. Built by `make bench`; run build/bench/crypto_bench
 * [packet bytes] [packets per round]. OpenSSL picks its code paths by the
 * CPU; tunlaned's lanes on Intel CPUs with AVX-512 run its 256-bit ones
 * (src/lib/crypto_cpu.c), which OPENSSL_ia32cap=:~0x10000:~0:~0:~0 in the
 * environment gives here too. Prints ns per packet (median of 31 rounds)
 * of the thread's own CPU time, so that other work on a shared machine
 * slows it less, and each way's median ratio, round by round, to the
 * "rekey" way of the same direction (the old code), which cancels most of
 * the drift that remains.
 *
 * The ways measured:
 *  - lib:     crypto_aead_encrypt/decrypt (src/lib/crypto_aead.c) as they
 *             are built now, one key throughout: one ChaCha20 call makes
 *             the keystream of block 0 (the one-time key) and of the
 *             text, rounded up to whole blocks, and the text is XORed
 *             with it.
 *  - lib9:    the same, with 9 keys in turn (more than crypto.c keeps
 *             keyed contexts for), so every packet sets its key.
 *  - rekey:   what crypto.c did before issue 12: key and nonce set per
 *             packet (EVP_EncryptInit_ex2), update, final, tag through
 *             EVP_CIPHER_CTX_ctrl.
 *  - ivonly:  one context per key; EVP_CipherInit_ex(ctx, NULL, NULL, NULL,
 *             iv, -1), update, final, tag through ctrl.
 *  - params:  as ivonly, with the tag taken (or given) through a prebuilt
 *             OSSL_PARAM array instead of ctrl.
 *  - cipher:  as params, with EVP_Cipher() for the data instead of update.
 *  - fixed:   no EVP_CipherInit per packet: the nonce goes in as the
 *             "tlsivfixed" parameter (OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
 *             the whole 12-byte nonce for this cipher), which the previous
 *             packet's final left ready for a new message; a decrypt's tag
 *             goes in the same OSSL_PARAM array. Data through EVP_Cipher().
 *  - copy:    a keyed template context copied (EVP_CIPHER_CTX_copy) into
 *             the working one per packet, then as ivonly.
 *  - split:   RFC 8439 section 2.8 built from OpenSSL's plain "ChaCha20"
 *             cipher and its "POLY1305" EVP_MAC: one keystream block for
 *             the one-time key, the data, then the MAC over ciphertext,
 *             padding and lengths. Checked against lib at start.
 *  - bulk:    one context, one long update over many packets' bytes: the
 *             assembly's cost per packet, no per-packet overhead at all.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"

#define ROUNDS 31
#define TAG 16

static EVP_CIPHER *aead;
static uint8_t key[32];
static uint8_t *buf;
static size_t plen = 1420;
static long npkt = 50000;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void nonce12(uint8_t n[12], uint64_t c)
{
	memset(n, 0, 4);
	for (int i = 0; i < 8; i++)
		n[4 + i] = (uint8_t)(c >> (8 * i));
}

static void die(const char *what)
{
	fprintf(stderr, "crypto_bench: %s failed\n", what);
	exit(1);
}

/* ---- the ways ------------------------------------------------------------ */

static void lib_enc(EVP_CIPHER_CTX *c, uint64_t n)
{
	(void)c;
	if (crypto_aead_encrypt(buf, buf, plen, NULL, 0, n, key) < 0)
		die("lib encrypt");
}

static void lib_dec(EVP_CIPHER_CTX *c, uint64_t n)
{
	(void)c;
	if (crypto_aead_decrypt(buf, buf, plen + TAG, NULL, 0, n, key) < 0)
		die("lib decrypt");
}


static uint8_t keys9[9][32];

static void lib9_enc(EVP_CIPHER_CTX *c, uint64_t n)
{
	(void)c;
	if (crypto_aead_encrypt(buf, buf, plen, NULL, 0, n, keys9[n % 9]) < 0)
		die("lib9 encrypt");
}

static uint8_t *ref9[9];	/* packet 7 under each of keys9 */

/* Also restores its own input: one more memcpy than the other ways. */
static void lib9_dec(EVP_CIPHER_CTX *c, uint64_t n)
{
	static unsigned int k;

	(void)c;
	k = (k + 1) % 9;
	memcpy(buf, ref9[k], plen + TAG);
	if (crypto_aead_decrypt(buf, buf, plen + TAG, NULL, 0, n, keys9[k]) < 0)
		die("lib9 decrypt");
}

static void rekey_enc(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t iv[12];
	int outl;

	nonce12(iv, n);
	if (EVP_EncryptInit_ex2(c, NULL, key, iv, NULL) != 1 ||
	    EVP_EncryptUpdate(c, buf, &outl, buf, (int)plen) != 1 ||
	    EVP_EncryptFinal_ex(c, buf + plen, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG, buf + plen) != 1)
		die("rekey encrypt");
}

static void rekey_dec(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t iv[12];
	int outl;

	nonce12(iv, n);
	if (EVP_DecryptInit_ex2(c, NULL, key, iv, NULL) != 1 ||
	    EVP_DecryptUpdate(c, buf, &outl, buf, (int)plen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG, buf + plen) != 1 ||
	    EVP_DecryptFinal_ex(c, buf + plen, &outl) != 1)
		die("rekey decrypt");
}

static void ivonly_enc(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t iv[12];
	int outl;

	nonce12(iv, n);
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_EncryptUpdate(c, buf, &outl, buf, (int)plen) != 1 ||
	    EVP_EncryptFinal_ex(c, buf + plen, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG, buf + plen) != 1)
		die("ivonly encrypt");
}

static void ivonly_dec(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t iv[12];
	int outl;

	nonce12(iv, n);
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_DecryptUpdate(c, buf, &outl, buf, (int)plen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG, buf + plen) != 1 ||
	    EVP_DecryptFinal_ex(c, buf + plen, &outl) != 1)
		die("ivonly decrypt");
}

static int get_tag(EVP_CIPHER_CTX *c, uint8_t *tag)
{
	OSSL_PARAM p[2] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, TAG),
		OSSL_PARAM_END,
	};

	return EVP_CIPHER_CTX_get_params(c, p);
}

static int set_tag(EVP_CIPHER_CTX *c, uint8_t *tag)
{
	OSSL_PARAM p[2] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, TAG),
		OSSL_PARAM_END,
	};

	return EVP_CIPHER_CTX_set_params(c, p);
}

static void params_enc(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t iv[12];
	int outl;

	nonce12(iv, n);
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_EncryptUpdate(c, buf, &outl, buf, (int)plen) != 1 ||
	    EVP_EncryptFinal_ex(c, buf + plen, &outl) != 1 ||
	    get_tag(c, buf + plen) != 1)
		die("params encrypt");
}

static void params_dec(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t iv[12];
	int outl;

	nonce12(iv, n);
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_DecryptUpdate(c, buf, &outl, buf, (int)plen) != 1 ||
	    set_tag(c, buf + plen) != 1 ||
	    EVP_DecryptFinal_ex(c, buf + plen, &outl) != 1)
		die("params decrypt");
}

static void cipher_enc(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t iv[12];
	int outl;

	nonce12(iv, n);
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_Cipher(c, buf, buf, (unsigned int)plen) <= 0 ||
	    EVP_EncryptFinal_ex(c, buf + plen, &outl) != 1 ||
	    get_tag(c, buf + plen) != 1)
		die("cipher encrypt");
}

static void cipher_dec(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t iv[12];
	int outl;

	nonce12(iv, n);
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_Cipher(c, buf, buf, (unsigned int)plen) <= 0 ||
	    set_tag(c, buf + plen) != 1 ||
	    EVP_DecryptFinal_ex(c, buf + plen, &outl) != 1)
		die("cipher decrypt");
}

static int set_nonce(EVP_CIPHER_CTX *c, uint8_t *iv, uint8_t *tag)
{
	OSSL_PARAM p[3] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
					iv, 12),
		OSSL_PARAM_END,
		OSSL_PARAM_END,
	};

	if (tag)
		p[1] = OSSL_PARAM_construct_octet_string(
			OSSL_CIPHER_PARAM_AEAD_TAG, tag, TAG);
	return EVP_CIPHER_CTX_set_params(c, p);
}

static void fixed_enc(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t iv[12];
	int outl;

	nonce12(iv, n);
	if (set_nonce(c, iv, NULL) != 1 ||
	    EVP_Cipher(c, buf, buf, (unsigned int)plen) <= 0 ||
	    EVP_EncryptFinal_ex(c, buf + plen, &outl) != 1 ||
	    get_tag(c, buf + plen) != 1)
		die("fixed encrypt");
}

static void fixed_dec(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t iv[12];
	int outl;

	nonce12(iv, n);
	if (set_nonce(c, iv, buf + plen) != 1 ||
	    EVP_Cipher(c, buf, buf, (unsigned int)plen) <= 0 ||
	    EVP_DecryptFinal_ex(c, buf + plen, &outl) != 1)
		die("fixed decrypt");
}

static EVP_CIPHER_CTX *template[2];	/* [enc]: keyed, for "copy" */

static void copy_do(EVP_CIPHER_CTX *c, uint64_t n, int enc)
{
	uint8_t iv[12];
	int outl;

	nonce12(iv, n);
	if (EVP_CIPHER_CTX_copy(c, template[enc]) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_Cipher(c, buf, buf, (unsigned int)plen) <= 0 ||
	    (!enc && set_tag(c, buf + plen) != 1) ||
	    (enc ? EVP_EncryptFinal_ex(c, buf + plen, &outl) :
		   EVP_DecryptFinal_ex(c, buf + plen, &outl)) != 1 ||
	    (enc && get_tag(c, buf + plen) != 1))
		die(enc ? "copy encrypt" : "copy decrypt");
}

static void copy_enc(EVP_CIPHER_CTX *c, uint64_t n)
{
	copy_do(c, n, 1);
}

static void copy_dec(EVP_CIPHER_CTX *c, uint64_t n)
{
	copy_do(c, n, 0);
}

static EVP_CIPHER_CTX *chacha;		/* "ChaCha20", keyed, for "split" */
static EVP_MAC_CTX *poly;

/* Keystream block 0 of nonce n: the Poly1305 one-time key (RFC 8439
 * section 2.6); leaves the cipher at block 1, where the data begins. */
static int split_otk(uint64_t n, uint8_t otk[64])
{
	static const uint8_t zero[64];
	uint8_t iv[16] = { 0 };

	nonce12(iv + 4, n);	/* 32-bit block counter 0, then the nonce */
	return EVP_CipherInit_ex(chacha, NULL, NULL, NULL, iv, 1) == 1 &&
	       EVP_Cipher(chacha, otk, zero, 64) > 0;
}

/* The tag over the ciphertext ct: it, its padding, the lengths (no AAD). */
static int split_mac(const uint8_t otk[32], const uint8_t *ct, uint8_t *tag)
{
	static const uint8_t zero[16];
	uint8_t lens[16] = { 0 };
	size_t outl = 0;

	for (int i = 0; i < 8; i++)
		lens[8 + i] = (uint8_t)((uint64_t)plen >> (8 * i));
	return EVP_MAC_init(poly, otk, 32, NULL) == 1 &&
	       EVP_MAC_update(poly, ct, plen) == 1 &&
	       EVP_MAC_update(poly, zero, (16 - plen % 16) % 16) == 1 &&
	       EVP_MAC_update(poly, lens, 16) == 1 &&
	       EVP_MAC_final(poly, tag, &outl, TAG) == 1 && outl == TAG;
}

static void split_enc(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t otk[64];

	(void)c;
	if (!split_otk(n, otk) ||
	    EVP_Cipher(chacha, buf, buf, (unsigned int)plen) <= 0 ||
	    !split_mac(otk, buf, buf + plen))
		die("split encrypt");
}

static void split_dec(EVP_CIPHER_CTX *c, uint64_t n)
{
	uint8_t otk[64], tag[TAG];

	(void)c;
	if (!split_otk(n, otk) || !split_mac(otk, buf, tag) ||
	    CRYPTO_memcmp(tag, buf + plen, TAG) ||
	    EVP_Cipher(chacha, buf, buf, (unsigned int)plen) <= 0)
		die("split decrypt");
}

/* The split way must seal what lib seals. */
static void split_setup(void)
{
	EVP_CIPHER *cc = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
	uint8_t *want = malloc(plen + TAG), iv[16] = { 0 };

	chacha = EVP_CIPHER_CTX_new();
	poly = mac ? EVP_MAC_CTX_new(mac) : NULL;
	if (!cc || !poly || !want || !chacha ||
	    EVP_CipherInit_ex2(chacha, cc, key, iv, 1, NULL) != 1)
		die("split setup");
	memset(buf, 0x5a, plen);
	if (crypto_aead_encrypt(want, buf, plen, NULL, 0, 3, key) < 0)
		die("split reference");
	split_enc(NULL, 3);
	if (memcmp(buf, want, plen + TAG))
		die("split check (not RFC 8439)");
	split_dec(NULL, 3);
	EVP_CIPHER_free(cc);
	EVP_MAC_free(mac);
	free(want);
}

static void copy_setup(void)
{
	uint8_t iv[12] = { 0 };

	for (int enc = 0; enc < 2; enc++)
		if (!(template[enc] = EVP_CIPHER_CTX_new()) ||
		    EVP_CipherInit_ex2(template[enc], aead, key, iv, enc,
				       NULL) != 1)
			die("copy setup");
}

/* ---- driver ---------------------------------------------------------------- */

typedef void (*way_fn)(EVP_CIPHER_CTX *, uint64_t);

struct way {
	const char *name;
	way_fn fn;
	int enc;		/* 1 encrypt, 0 decrypt, -1 not an AEAD way */
	EVP_CIPHER_CTX *ctx;
	uint64_t t[ROUNDS];
};

static uint8_t *ref;		/* one valid packet for the decrypt ways */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* memcpy of one packet: every decrypt way restores its input first (a
 * packet encrypted once under nonce 7), so their figures include this. */
static void copy_way(EVP_CIPHER_CTX *c, uint64_t n)
{
	(void)c;
	(void)n;
	memcpy(buf, ref, plen + TAG);
	__asm__ volatile("" : : "r"(buf) : "memory");
}

/* One update over 64 packets' bytes, counted as 64 packets: the assembly's
 * cost per packet without any per-packet overhead (one fixed nonce, so the
 * Poly1305 key set-up is paid once per 64). */
static void bulk_way(EVP_CIPHER_CTX *c, uint64_t n)
{
	static uint8_t *big;
	int outl;

	if (n % 64)
		return;
	if (!big && !(big = calloc(64, plen)))
		die("malloc");
	if (EVP_EncryptUpdate(c, big, &outl, big, (int)(64 * plen)) != 1)
		die("bulk update");
}

static void time_way(struct way *w, int r)
{
	uint64_t t0 = now_ns();

	for (long i = 0; i < npkt; i++) {
		if (w->enc == 0)
			memcpy(buf, ref, plen + TAG);
		w->fn(w->ctx, w->enc == 0 ? 7 : (uint64_t)i);
	}
	w->t[r] = now_ns() - t0;
}

/* Rounds go round-robin over the ways, so drifts of a shared machine hit
 * all of them alike; the median round of each is reported. */
static void run_all(struct way *ways, size_t n)
{
	uint8_t iv[12] = { 0 };

	for (size_t k = 0; k < n; k++) {
		ways[k].ctx = EVP_CIPHER_CTX_new();
		if (!ways[k].ctx ||
		    EVP_CipherInit_ex2(ways[k].ctx, aead, key, iv,
				       ways[k].enc != 0, NULL) != 1)
			die("context");
	}
	for (int r = 0; r < ROUNDS; r++)
		for (size_t k = 0; k < n; k++)
			time_way(&ways[k], r);
	for (size_t k = 0; k < n; k++) {
		struct way *base = NULL;
		uint64_t ratio[ROUNDS];

		/* Against "rekey" of the same direction, round by round: a
		 * ratio of two neighbours in time cancels most of the drift. */
		for (size_t b = 0; b < n; b++)
			if (!strcmp(ways[b].name, "rekey") &&
			    ways[b].enc == ways[k].enc)
				base = &ways[b];
		for (int r = 0; base && r < ROUNDS; r++)
			ratio[r] = 1000 * ways[k].t[r] / base->t[r];
		if (base)
			qsort(ratio, ROUNDS, sizeof(ratio[0]), cmp_u64);
		qsort(ways[k].t, ROUNDS, sizeof(ways[k].t[0]), cmp_u64);
		printf("%-8s %-8s %8.1f ns/packet  [%.1f-%.1f]", ways[k].name,
		       ways[k].enc < 0 ? "" : ways[k].enc ? "encrypt" : "decrypt",
		       (double)ways[k].t[ROUNDS / 2] / npkt,
		       (double)ways[k].t[0] / npkt,
		       (double)ways[k].t[ROUNDS - 1] / npkt);
		if (base)
			printf("  %5.1f%% of rekey", ratio[ROUNDS / 2] / 10.0);
		printf("\n");
	}
	for (size_t k = 0; k < n; k++)
		EVP_CIPHER_CTX_free(ways[k].ctx);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		plen = strtoul(argv[1], NULL, 0);
	if (argc > 2)
		npkt = strtol(argv[2], NULL, 0);
	if (plen < 1 || plen > 65535 || npkt < 64)
		die("arguments");
	if (crypto_init() < 0)
		die("crypto_init");
	aead = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	buf = malloc(plen + TAG);
	if (!aead || !buf)
		die("setup");
	memset(key, 0x42, sizeof(key));
	for (int k = 0; k < 9; k++) {
		memset(keys9[k], 0x43 + k, sizeof(keys9[k]));
		ref9[k] = malloc(plen + TAG);
		memset(buf, 0x5a, plen);
		if (!ref9[k] || crypto_aead_encrypt(ref9[k], buf, plen, NULL, 0,
						    7, keys9[k]) < 0)
			die("reference");
	}
	ref = malloc(plen + TAG);
	if (!ref)
		die("malloc");
	copy_setup();
	split_setup();
	memset(buf, 0x5a, plen);
	if (crypto_aead_encrypt(ref, buf, plen, NULL, 0, 7, key) < 0)
		die("reference");
	printf("ChaCha20-Poly1305, %zu-byte packets, %ld per round, %d rounds, %s\n",
	       plen, npkt, ROUNDS, OpenSSL_version(OPENSSL_VERSION));
	printf("ns of thread CPU time per packet: median [min-max] of the rounds\n");
	struct way ways[] = {
		{ .name = "bulk", .fn = bulk_way, .enc = 1 },
		{ .name = "rekey", .fn = rekey_enc, .enc = 1 },
		{ .name = "lib", .fn = lib_enc, .enc = 1 },
		{ .name = "lib9", .fn = lib9_enc, .enc = 1 },
		{ .name = "ivonly", .fn = ivonly_enc, .enc = 1 },
		{ .name = "params", .fn = params_enc, .enc = 1 },
		{ .name = "cipher", .fn = cipher_enc, .enc = 1 },
		{ .name = "fixed", .fn = fixed_enc, .enc = 1 },
		{ .name = "copy", .fn = copy_enc, .enc = 1 },
		{ .name = "split", .fn = split_enc, .enc = 1 },
		{ .name = "memcpy", .fn = copy_way, .enc = -1 },
		{ .name = "rekey", .fn = rekey_dec, .enc = 0 },
		{ .name = "lib", .fn = lib_dec, .enc = 0 },
		{ .name = "lib9", .fn = lib9_dec, .enc = 0 },
		{ .name = "ivonly", .fn = ivonly_dec, .enc = 0 },
		{ .name = "params", .fn = params_dec, .enc = 0 },
		{ .name = "cipher", .fn = cipher_dec, .enc = 0 },
		{ .name = "fixed", .fn = fixed_dec, .enc = 0 },
		{ .name = "copy", .fn = copy_dec, .enc = 0 },
		{ .name = "split", .fn = split_dec, .enc = 0 },
	};
	run_all(ways, sizeof(ways) / sizeof(ways[0]));
	free(ref);
	for (int k = 0; k < 9; k++)
		free(ref9[k]);
	EVP_CIPHER_free(aead);
	EVP_CIPHER_CTX_free(template[0]);
	EVP_CIPHER_CTX_free(template[1]);
	EVP_CIPHER_CTX_free(chacha);
	EVP_MAC_CTX_free(poly);
	free(buf);
	crypto_fini();
	return 0;
}
