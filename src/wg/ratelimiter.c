// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-source token bucket for handshake messages (kernel ratelimiter.c,
 * whitepaper 5.3: under load, work per source is bounded). Tokens are
 * nanoseconds of credit: each packet costs 1/RATELIMIT_PACKETS_PER_SEC
 * seconds and the bucket holds RATELIMIT_BURST packets' worth, so the
 * burst is part of the bucket size rather than of the rate, as in the
 * kernel. Entries idle for a second are full again and so carry no state;
 * gc frees them, and a hard cap bounds memory under a spoofed flood.
 */
#include "ratelimiter.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"
#include "siphash.h"
#include "messages.h"

#define PACKET_COST (NSEC_PER_SEC / RATELIMIT_PACKETS_PER_SEC)
#define TOKEN_MAX   (PACKET_COST * RATELIMIT_BURST)
#define RATELIMITER_MAX_ENTRIES 16384
#define IDLE_TIMEOUT NSEC_PER_SEC
/* How often allow() may sweep on its own when the table is full. */
#define FULL_GC_INTERVAL (NSEC_PER_SEC / 10)

struct ratelimiter_entry {
	struct ratelimiter_entry *next;
	uint8_t ip[16];		/* v4: 4 bytes, v6: the /64 prefix */
	uint8_t family;
	uint64_t tokens;
	uint64_t last_time_ns;
};

int ratelimiter_init(struct ratelimiter *r)
{
	memset(r, 0, sizeof(*r));
	/* A secret bucket key keeps a flooder from aiming every source at
	 * one chain. */
	if (crypto_random(r->key, sizeof(r->key)))
		return -EIO;
	r->last_gc = clock_now();
	return 0;
}

/*
 * The key a source is limited under: v4 by /32, v6 by /64 (a host
 * usually owns a /64, so finer keys would let it multiply its budget).
 * v4-mapped v6 counts as v4. Returns false for other families.
 */
static bool source_key(const struct sockaddr *src, uint8_t ip[16],
		       uint8_t *family)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)src;

	memset(ip, 0, 16);
	if (src && src->sa_family == AF_INET) {
		memcpy(ip, &((const struct sockaddr_in *)src)->sin_addr, 4);
		*family = AF_INET;
		return true;
	}
	if (!src || src->sa_family != AF_INET6)
		return false;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(ip, &s6->sin6_addr.s6_addr[12], 4);
		*family = AF_INET;
	} else {
		memcpy(ip, &s6->sin6_addr, 8);
		*family = AF_INET6;
	}
	return true;
}

static struct ratelimiter_entry **bucket_of(struct ratelimiter *r,
					    const uint8_t ip[16],
					    uint8_t family)
{
	struct siphash_key k;
	uint8_t data[17];

	/* SipHash, not a BLAKE2s MAC: this runs for every handshake packet
	 * of a flood, and SipHash is built for exactly this job. */
	memcpy(&k, r->key, sizeof(k));
	memcpy(data, ip, 16);
	data[16] = family;
	return &r->buckets[siphash(&k, data, sizeof(data)) % RATELIMITER_BUCKETS];
}

/* Refill by elapsed time, capped at the burst, then spend if we can. */
static bool entry_spend(struct ratelimiter_entry *e, uint64_t now)
{
	uint64_t tokens = e->tokens + (now - e->last_time_ns);

	if (tokens > TOKEN_MAX)
		tokens = TOKEN_MAX;
	e->last_time_ns = now;
	if (tokens < PACKET_COST) {
		e->tokens = tokens;
		return false;
	}
	e->tokens = tokens - PACKET_COST;
	return true;
}

/* A new source starts with a full bucket less this first packet. */
static bool entry_add(struct ratelimiter *r, struct ratelimiter_entry **head,
		      const uint8_t ip[16], uint8_t family, uint64_t now)
{
	struct ratelimiter_entry *e;

	if (r->count >= RATELIMITER_MAX_ENTRIES &&
	    now - r->last_gc >= FULL_GC_INTERVAL)
		ratelimiter_gc(r);
	if (r->count >= RATELIMITER_MAX_ENTRIES)
		return false;	/* refuse rather than grow without bound */
	e = calloc(1, sizeof(*e));
	if (!e)
		return false;
	memcpy(e->ip, ip, 16);
	e->family = family;
	e->last_time_ns = now;
	e->tokens = TOKEN_MAX - PACKET_COST;
	e->next = *head;
	*head = e;
	r->count++;
	return true;
}

bool ratelimiter_allow(struct ratelimiter *r, const struct sockaddr *src)
{
	struct ratelimiter_entry **head, *e;
	uint64_t now = clock_now();
	uint8_t ip[16], family;

	if (!source_key(src, ip, &family))
		return false;
	head = bucket_of(r, ip, family);
	for (e = *head; e; e = e->next)
		if (e->family == family && !memcmp(e->ip, ip, 16))
			return entry_spend(e, now);
	return entry_add(r, head, ip, family, now);
}

/* An entry idle past IDLE_TIMEOUT has refilled completely, so dropping
 * it loses nothing: a later packet recreates it with the same credit. */
void ratelimiter_gc(struct ratelimiter *r)
{
	uint64_t now = clock_now();

	for (unsigned int i = 0; i < RATELIMITER_BUCKETS; i++) {
		struct ratelimiter_entry **pp = &r->buckets[i], *e;

		while ((e = *pp)) {
			if (now - e->last_time_ns > IDLE_TIMEOUT) {
				*pp = e->next;
				free(e);
				r->count--;
			} else {
				pp = &e->next;
			}
		}
	}
	r->last_gc = now;
}

void ratelimiter_free(struct ratelimiter *r)
{
	for (unsigned int i = 0; i < RATELIMITER_BUCKETS; i++) {
		struct ratelimiter_entry *e = r->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
		r->buckets[i] = NULL;
	}
	r->count = 0;
}
