/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Peers by public key: a chained hash table keyed with SipHash under a
 * random per-table secret (the kernel's pubkey_hashtable), so that finding
 * the peer of a handshake, or of a UAPI line, costs the same with 20 peers
 * or 100,000, and no one can choose keys that pile into one bucket.
 */
#ifndef TUNLANE_PEERHASH_H
#define TUNLANE_PEERHASH_H

#include <stddef.h>
#include <stdint.h>
#include "messages.h"
#include "siphash.h"

struct wg_peer;

struct peerhash {
	struct wg_peer **buckets;
	size_t mask;			/* buckets - 1, a power of two minus 1 */
	size_t count;
	struct siphash_key key;
};

int peerhash_init(struct peerhash *h);
void peerhash_free(struct peerhash *h);
/* Adds a peer not yet in the table, growing it as needed: 0 or -ENOMEM. */
int peerhash_add(struct peerhash *h, struct wg_peer *peer);
void peerhash_del(struct peerhash *h, struct wg_peer *peer);
struct wg_peer *peerhash_lookup(const struct peerhash *h,
				const uint8_t key[NOISE_PUBLIC_KEY_LEN]);

#endif
