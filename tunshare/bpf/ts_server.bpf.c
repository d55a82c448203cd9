// SPDX-License-Identifier: GPL-2.0-only
/*
 * Steering for `tunshare run --server`: N stock OpenVPN server processes
 * share one UDP port and one multi-queue tun, and every packet must reach
 * the process that holds its client's session (tunshare(8), SERVER MODE).
 *
 * Two programs, both loaded by the root supervisor before any lane starts:
 *
 *  - ts_udp_select (SK_REUSEPORT) runs when a datagram reaches the shared
 *    port. A client is known by the kernel's hash of its 4-tuple. Where
 *    the client table knows it, it goes to its lane. A client's first
 *    datagram, an OpenVPN hard reset (opcode P_CONTROL_HARD_RESET_CLIENT_V2
 *    or _V3 in the first byte, which is never encrypted), takes the next
 *    lane in turn and a place in the table, so clients spread evenly.
 *    Everything else, and a new client when the table is full, goes to
 *    the lane its hash names (hash % lanes), which needs no state: so a
 *    sender of junk, or of resets from many ports, cannot move a known
 *    client (the table never evicts; the supervisor removes entries idle
 *    for TS_BPF_IDLE_NS), and a client placed by hash stays where it is.
 *    The supervisor holds every lane's socket for the life of the group,
 *    so a crashed lane's socket stays in place: its clients wait for the
 *    respawned process instead of being spread over the others (whose
 *    sessions they do not have).
 *
 *  - ts_tun_steer (socket filter, attached with TUNSETSTEERINGEBPF) picks
 *    the tun queue of a packet the kernel routes into the tunnel. Each lane
 *    hands out addresses from its own slice of the client subnet (the pool
 *    arithmetic in tunshare(8)), so the inner IPv4 destination alone names
 *    the lane: (dst - first) / size. The kernel takes the low 16 bits of
 *    the return value modulo the number of queues (tun_ebpf_select_queue()
 *    in drivers/net/tun.c); the supervisor keeps queue i attached for lane
 *    i, so queue and lane numbers agree. Attaching a program turns off the
 *    tun's own flow learning, which is what we want: a reply must follow
 *    the client's address, not the flow that last came in.
 *
 * Anything these cannot place (IPv6 inside the tunnel, addresses outside
 * the pools, a lane whose socket is missing) goes to lane 0 on the tun
 * side and to the kernel's own hash on the socket side.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "ts_bpf_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_bpf_conf);
} ts_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, TS_BPF_MAX_LANES);
	__type(key, __u32);
	__type(value, __u64);
} ts_socks SEC(".maps");

/* Client (4-tuple hash) -> lane and when it was last seen. Not LRU: a
 * full table refuses new clients (they are placed by hash) instead of
 * forgetting known ones; the supervisor sweeps out idle entries. Its size
 * is set by the supervisor before loading (--max-clients). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TS_BPF_MAX_CLIENTS);
	__type(key, __u32);
	__type(value, struct ts_bpf_client);
} ts_clients SEC(".maps");

static __always_inline struct ts_bpf_conf *conf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ts_conf, &zero);
}

/* OpenVPN's opcode is the top 5 bits of the first payload byte. */
#define OVPN_HARD_RESET_CLIENT_V2 7
#define OVPN_HARD_RESET_CLIENT_V3 10

static __always_inline int is_hard_reset(struct sk_reuseport_md *ctx)
{
	__u8 op;

	/* ctx data starts at the UDP header. */
	if (bpf_skb_load_bytes(ctx, 8, &op, 1))
		return 0;
	op >>= 3;
	return op == OVPN_HARD_RESET_CLIENT_V2 || op == OVPN_HARD_RESET_CLIENT_V3;
}

SEC("sk_reuseport")
int ts_udp_select(struct sk_reuseport_md *ctx)
{
	struct ts_bpf_conf *c = conf();
	struct ts_bpf_client *known, fresh;
	__u32 hash = ctx->hash, lane;

	if (!c || !c->lanes)
		return SK_PASS;
	known = bpf_map_lookup_elem(&ts_clients, &hash);
	if (known) {
		known->seen = bpf_ktime_get_ns();
		lane = known->lane;
	} else if (is_hard_reset(ctx)) {
		fresh.lane = __sync_fetch_and_add(&c->next, 1) % c->lanes;
		fresh.seen = bpf_ktime_get_ns();
		lane = fresh.lane;
		/* Full: the hash decides, as for everything unknown. */
		if (bpf_map_update_elem(&ts_clients, &hash, &fresh, BPF_NOEXIST))
			lane = hash % c->lanes;
	} else {
		lane = hash % c->lanes;
	}
	/* On failure (no socket at that slot) the kernel falls back to its
	 * own hash over the group. */
	bpf_sk_select_reuseport(ctx, &ts_socks, &lane, 0);
	return SK_PASS;
}

SEC("socket")
int ts_tun_steer(struct __sk_buff *skb)
{
	struct ts_bpf_conf *c = conf();
	__u8 version;
	__u32 dst, off;

	if (!c || !c->lanes || !c->size)
		return 0;
	/* A tun has no link-layer header: the network header comes first. */
	if (bpf_skb_load_bytes_relative(skb, 0, &version, 1, BPF_HDR_START_NET))
		return 0;
	if ((version >> 4) != 4)
		return 0;
	if (bpf_skb_load_bytes_relative(skb, 16, &dst, 4, BPF_HDR_START_NET))
		return 0;
	off = bpf_ntohl(dst) - c->first;
	if (bpf_ntohl(dst) < c->first || off / c->size >= c->lanes)
		return 0;
	return (int)(off / c->size);
}

char LICENSE[] SEC("license") = "GPL";
