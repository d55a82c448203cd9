/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): a keyed hash for hash tables whose keys an attacker chooses.
 * With a secret random key per table, no one outside can aim many keys at
 * one bucket. The kernel's WireGuard uses it the same way (pubkey_hashtable).
 */
#ifndef TUNLANE_SIPHASH_H
#define TUNLANE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

struct siphash_key {
	uint64_t k0, k1;
};

uint64_t siphash(const struct siphash_key *key, const void *data, size_t len);

#endif
