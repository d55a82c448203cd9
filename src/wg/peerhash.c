// SPDX-License-Identifier: GPL-2.0-only
#include "peerhash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "device.h"

#define PEERHASH_MIN_BUCKETS 64

static size_t bucket_of(const struct peerhash *h, const uint8_t *key)
{
	return (size_t)siphash(&h->key, key, NOISE_PUBLIC_KEY_LEN) & h->mask;
}

static const uint8_t *key_of(const struct wg_peer *p)
{
	return p->handshake.remote_static;
}

int peerhash_init(struct peerhash *h)
{
	memset(h, 0, sizeof(*h));
	h->buckets = calloc(PEERHASH_MIN_BUCKETS, sizeof(*h->buckets));
	if (!h->buckets)
		return -ENOMEM;
	h->mask = PEERHASH_MIN_BUCKETS - 1;
	return crypto_random(&h->key, sizeof(h->key));
}

void peerhash_free(struct peerhash *h)
{
	free(h->buckets);
	crypto_wipe(h, sizeof(*h));
}

/* Doubles the buckets once there are more peers than buckets, so chains
 * stay about one long; on -ENOMEM the old table simply stays. */
static int peerhash_grow(struct peerhash *h)
{
	size_t n = (h->mask + 1) * 2;
	struct wg_peer **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return -ENOMEM;
	for (size_t i = 0; i <= h->mask; i++) {
		struct wg_peer *p, *next;

		for (p = h->buckets[i]; p; p = next) {
			size_t b = (size_t)siphash(&h->key, key_of(p),
						   NOISE_PUBLIC_KEY_LEN) & (n - 1);

			next = p->hash_next;
			p->hash_next = nb[b];
			nb[b] = p;
		}
	}
	free(h->buckets);
	h->buckets = nb;
	h->mask = n - 1;
	return 0;
}

int peerhash_add(struct peerhash *h, struct wg_peer *peer)
{
	size_t b;

	if (h->count >= h->mask + 1 && peerhash_grow(h) < 0 &&
	    h->count >= 4 * (h->mask + 1))
		return -ENOMEM;	/* only refuse once chains get long */
	b = bucket_of(h, key_of(peer));
	peer->hash_next = h->buckets[b];
	h->buckets[b] = peer;
	h->count++;
	return 0;
}

void peerhash_del(struct peerhash *h, struct wg_peer *peer)
{
	struct wg_peer **pp = &h->buckets[bucket_of(h, key_of(peer))];

	for (; *pp; pp = &(*pp)->hash_next)
		if (*pp == peer) {
			*pp = peer->hash_next;
			peer->hash_next = NULL;
			h->count--;
			return;
		}
}

struct wg_peer *peerhash_lookup(const struct peerhash *h,
				const uint8_t key[NOISE_PUBLIC_KEY_LEN])
{
	struct wg_peer *p = h->buckets[bucket_of(h, key)];

	for (; p; p = p->hash_next)
		if (crypto_memeq(key_of(p), key, NOISE_PUBLIC_KEY_LEN))
			return p;
	return NULL;
}
