/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-lane counters in a shared-memory page that the master creates before
 * forking lanes. Each lane writes only its own slot, so no locking is
 * needed; readers (tunlane show) may see a counter a packet behind. The
 * page outlives a crashed lane, so counters survive a respawn.
 */
#ifndef TUNLANE_STATS_H
#define TUNLANE_STATS_H

#include <stdint.h>
#include <sys/types.h>

#include "defaults.h"

#define STATS_MAGIC     0x544c5354u	/* "TLST" */
#define STATS_VERSION   1

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
	uint8_t pad[64];
} __attribute__((aligned(64)));

struct stats_page {
	uint32_t magic;
	uint32_t version;
	uint32_t lanes;
	int32_t master_pid;
	struct lane_stats lane[];
};

/* Creates (master) the page for ifname with room for lanes; 0 or -errno. */
int stats_create(struct stats_page **out, const char *ifname, unsigned lanes);
/* Maps an existing page read-only (CLI). */
int stats_open(const struct stats_page **out, size_t *len, const char *ifname);
void stats_unlink(const char *ifname);
uint64_t stats_drops_total(const struct lane_stats *l);

#endif
