/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-lane counters in a shared-memory file that the master creates before
 * forking lanes: a header page, then one page per lane. Each lane maps its
 * own page only (not the header, not the others'), so a lane can neither
 * forge another's counters nor change the header under a reader; no
 * locking is needed. Readers (tunlane show) copy the file and check the
 * copy, and may see a counter a packet behind. The file outlives a crashed
 * lane, so counters survive a respawn.
 */
#ifndef TUNLANE_STATS_H
#define TUNLANE_STATS_H

#include <stdint.h>
#include <sys/types.h>

#include "defaults.h"

#define STATS_MAGIC     0x544c5354u	/* "TLST" */
/* Bumped with any change to the file's layout, DROP_MAX included; readers
 * refuse another version. 2: one page per lane, 16 drop reasons (1: one
 * shared page, 13). */
#define STATS_VERSION   2
#define STATS_SLOT      4096		/* header, then lane i at (i + 1) pages */

enum stats_drop {
	DROP_SHORT,		/* wrong length for its message type */
	DROP_BAD_TYPE,		/* unknown type or reserved bytes set */
	DROP_UNKNOWN_INDEX,	/* receiver index names no session */
	DROP_BAD_AUTH,		/* AEAD tag did not verify */
	DROP_REPLAY,		/* counter seen before or too old */
	DROP_BAD_MAC,		/* mac1 wrong: not meant for us */
	DROP_HANDSHAKE,		/* handshake failed to authenticate */
	DROP_ALLOWED_IPS,	/* inner source not allowed for that peer */
	DROP_RATELIMITED,	/* handshake over the per-source limit */
	DROP_NO_ROUTE,		/* tun packet to no peer, or peer has no endpoint */
	DROP_BAD_PACKET,	/* inner packet is not valid IPv4/IPv6 */
	DROP_EXPIRED,		/* session too old or counter exhausted */
	DROP_TX_ERROR,		/* socket or tun refused a write */
	DROP_COOKIE_REPLY,	/* under load, no cookie: a cookie reply went back */
	DROP_COOKIE_LIMITED,	/* under load, no cookie, over the reply rate */
	DROP_HANDSHAKE_BACKLOG,	/* the lane's handshake queue was full */
	DROP_MAX,
};

extern const char *const stats_drop_names[DROP_MAX];

struct lane_stats {
	int32_t pid;			/* 0 while not running */
	int32_t cpu;			/* -1 when not pinned */
	uint32_t listen_port;
	uint32_t restarts;
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_packets, tx_packets;
	uint64_t handshakes;		/* completed handshakes */
	int64_t latest_handshake;	/* unix seconds, 0 = never */
	uint64_t drops[DROP_MAX];
	uint32_t peers_live;		/* peers with a live session here */
	uint8_t pad[60];
} __attribute__((aligned(64)));

/* The header page; lane i's slot is STATS_SLOT * (i + 1) bytes in. lanes
 * is the number in use: a live Lanes change (tunlaned(8)) grows the file
 * first and then raises it, or lowers it and leaves the file as it is, so
 * the file may hold more pages than lanes, never fewer. */
struct stats_page {
	uint32_t magic;
	uint32_t version;
	uint32_t lanes;
	int32_t master_pid;
};

static inline struct lane_stats *stats_lane(struct stats_page *p, unsigned i)
{
	return (struct lane_stats *)((uint8_t *)p + (size_t)STATS_SLOT * (i + 1));
}

static inline const struct lane_stats *stats_lane_const(const struct stats_page *p,
							 unsigned i)
{
	return (const struct lane_stats *)((const uint8_t *)p +
					   (size_t)STATS_SLOT * (i + 1));
}

size_t stats_len(unsigned lanes);
/* Creates (master) the file for ifname with room for lanes and maps it
 * whole; *fd stays open (close-on-exec) for stats_map_lane(). 0/-errno. */
int stats_create(struct stats_page **out, int *fd, const char *ifname,
		 unsigned lanes);
/* Maps lane i's slot alone, writable (a lane, from the master's fd). */
int stats_map_lane(struct lane_stats **out, int fd, unsigned i);
/* A checked copy of ifname's file (readers), to free(): -ENOENT without
 * one, -EPERM when others could have written it, -EPROTO when it has
 * another STATS_VERSION (a tunlaned of another build), -EINVAL when its
 * size or header is wrong. */
int stats_read(struct stats_page **out, const char *ifname);
void stats_unlink(const char *ifname);
uint64_t stats_drops_total(const struct lane_stats *l);

#endif
