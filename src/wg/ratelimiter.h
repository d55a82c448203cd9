/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-source token bucket for handshake messages under load (kernel
 * ratelimiter.c): RATELIMIT_PACKETS_PER_SEC per address with a burst of
 * RATELIMIT_BURST. IPv4 sources are keyed by /32, IPv6 by /64, since a host
 * usually owns a whole /64.
 */
#ifndef TUNLANE_RATELIMITER_H
#define TUNLANE_RATELIMITER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct ratelimiter_entry;

#define RATELIMITER_BUCKETS 4096

struct ratelimiter {
	struct ratelimiter_entry *buckets[RATELIMITER_BUCKETS];
	uint8_t key[16];		/* siphash-style secret for bucket choice */
	uint32_t count;
	uint64_t last_gc;
};

int ratelimiter_init(struct ratelimiter *r);
void ratelimiter_free(struct ratelimiter *r);
/* True when a packet from src may be processed now (uses clock_now()). */
bool ratelimiter_allow(struct ratelimiter *r, const struct sockaddr *src);
/* Drops entries idle for over a second; called from the lane's timer tick. */
void ratelimiter_gc(struct ratelimiter *r);

#endif
