/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the master, the lanes and the BPF programs (steer.bpf.c) share: the
 * layout of the per-peer slot and of the route keys. Plain C types only, so
 * both clang -target bpf and the host compiler read it.
 */
#ifndef TUNLANE_LANES_BPF_H
#define TUNLANE_LANES_BPF_H

#include <linux/types.h>

#define TL_LANES_MAX   256		/* = LANES_MAX (stats.h) */
#define TL_LIVE_WORDS  (TL_LANES_MAX / 64)
#define TL_PEER_SLOTS  65536		/* peers the kernel can steer */
#define TL_ROUTES_MAX  (1 << 20)	/* prefixes per family */

/*
 * One peer, at the index the master and every lane give it (its slot).
 * Lane i sets and clears only bit i of live[], with atomic operations on
 * the shared mapping, so lanes never overwrite each other. home is the lane
 * that last brought up a session: where the peer's traffic waits while no
 * lane is live (a respawned lane finds it queued there, and initiates).
 */
struct tl_peer_slot {
	__u64 live[TL_LIVE_WORDS];
	__u32 home;			/* lane + 1; 0 = never live */
	/* The peer's last known endpoint (lane-0 form, a union endpoint),
	 * written under ep_lock by a lane that saw it roam, read with ep_seq
	 * (odd while a write is under way) by a lane that needs it: a lane
	 * respawned after a crash, or one about to try a bound handshake. */
	__u32 ep_lock;
	__u32 ep_seq;
	__u8 ep[28];
	/* lane + 1 of the lane holding the peer's plain WireGuard session
	 * (there is one: a stock client has one session), 0 = none. */
	__u32 plain_owner;
	/* 1: lane 0's session with the peer is with the lane 0 of a
	 * multi-lane tunlane (its index has lane 0 in its top 8 bits, as
	 * ours do), so the peer's lanes >= 1 can answer bound handshakes;
	 * 0: a stock peer or a tunlane with one lane, never probed. */
	__u32 multi;
};

struct tl_route4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct tl_route6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* The single entry of the config array. */
struct tl_config {
	__u32 lanes;
};

#endif
