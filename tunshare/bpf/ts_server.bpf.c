// SPDX-License-Identifier: GPL-2.0-only
/*
 * Steering for `tunshare run --server`: N stock OpenVPN server processes
 * share one UDP port and one multi-queue tun, and every packet must reach
 * the process that holds its client's session (tunshare(8), SERVER MODE).
 *
 * Two programs, both loaded by the root supervisor before any lane starts:
 *
 *  - ts_udp_select (SK_REUSEPORT) runs when a datagram reaches the shared
 *    port. A client is known by the kernel's hash of its 4-tuple; the first
 *    datagram of a new client picks the next lane round-robin, and the
 *    choice is kept in an LRU map, so every later datagram (and a reconnect
 *    from the same address and port) reaches the same process. The
 *    supervisor holds every lane's socket for the life of the group, so a
 *    crashed lane's socket stays in place: its clients wait for the
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

/* Client (4-tuple hash) -> lane. LRU: a table full of stale clients
 * forgets the oldest, never refuses a new one. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TS_BPF_MAX_CLIENTS);
	__type(key, __u32);
	__type(value, __u32);
} ts_clients SEC(".maps");

static __always_inline struct ts_bpf_conf *conf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ts_conf, &zero);
}

SEC("sk_reuseport")
int ts_udp_select(struct sk_reuseport_md *ctx)
{
	struct ts_bpf_conf *c = conf();
	__u32 hash = ctx->hash, lane, *known;

	if (!c || !c->lanes)
		return SK_PASS;
	known = bpf_map_lookup_elem(&ts_clients, &hash);
	if (known) {
		lane = *known;
	} else {
		lane = __sync_fetch_and_add(&c->next, 1) % c->lanes;
		bpf_map_update_elem(&ts_clients, &hash, &lane, BPF_ANY);
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
