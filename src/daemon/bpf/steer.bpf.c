// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tun queue steering (TUNSETSTEERINGEBPF): picks, for each packet the
 * kernel routes into the tun, the queue, and so the lane, that encrypts it.
 *
 *   inner destination --LPM trie (mirror of allowed-IPs)--> peer slot
 *   peer slot --live[] bits--> the lanes with a live session to that peer
 *   flow hash --> one of them, so a flow stays on one lane and in order
 *
 * A peer with no live lane goes to its home lane (the last one that had a
 * session, or lane 0), which starts a handshake. An address no peer routes
 * goes to lane 0, which counts the drop.
 *
 * Kernel quirks (drivers/net/tun.c): the program is a socket filter whose
 * return value is cut to 16 bits and taken modulo the number of queues, and
 * attaching it turns off the tun's own flow learning, so the flow hash is
 * ours. Socket filters have no direct packet access: bpf_skb_load_bytes.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "lanes_bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct tl_route4);
	__type(value, __u32);
	__uint(max_entries, TL_ROUTES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} tl_routes4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct tl_route6);
	__type(value, __u32);
	__uint(max_entries, TL_ROUTES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} tl_routes6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct tl_peer_slot);
	__uint(max_entries, TL_PEER_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
} tl_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct tl_config);
	__uint(max_entries, 1);
} tl_config SEC(".maps");

/* murmur3's 32-bit finalizer: every input bit reaches the low bits that
 * pick the lane (a plain multiply would leave a port in the high half out). */
static __always_inline __u32 fmix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

static __always_inline __u32 mix(__u32 h, __u32 v)
{
	return fmix(h ^ v) + 0x9E3779B9u;
}

/* The peer slot for the destination, a flow hash, or -1: not routed. */
static __always_inline int route(struct __sk_buff *skb, __u32 *hash)
{
	__u8 b[40] __attribute__((aligned(8)));
	__u32 *slot, ports = 0, off, i, h = 0;
	__u8 proto;

	if (bpf_skb_load_bytes(skb, 0, b, 1) < 0)
		return -1;
	if ((b[0] >> 4) == 4) {
		struct tl_route4 k = { .prefixlen = 32 };

		if (bpf_skb_load_bytes(skb, 0, b, 20) < 0)
			return -1;
		__builtin_memcpy(k.addr, b + 16, 4);
		proto = b[9];
		off = (b[0] & 0xf) * 4;
		/* Only a first fragment carries the ports. */
		if (!(b[6] & 0x1f) && !b[7] &&
		    (proto == IPPROTO_TCP || proto == IPPROTO_UDP))
			bpf_skb_load_bytes(skb, off, &ports, 4);
		for (i = 12; i < 20; i += 4)
			h = mix(h, *(__u32 *)(b + i));
		slot = bpf_map_lookup_elem(&tl_routes4, &k);
	} else if ((b[0] >> 4) == 6) {
		struct tl_route6 k = { .prefixlen = 128 };

		if (bpf_skb_load_bytes(skb, 0, b, 40) < 0)
			return -1;
		__builtin_memcpy(k.addr, b + 24, 16);
		proto = b[6];
		if (proto == IPPROTO_TCP || proto == IPPROTO_UDP)
			bpf_skb_load_bytes(skb, 40, &ports, 4);
		for (i = 8; i < 40; i += 4)
			h = mix(h, *(__u32 *)(b + i));
		slot = bpf_map_lookup_elem(&tl_routes6, &k);
	} else {
		return -1;
	}
	*hash = mix(mix(h, proto), ports);
	return slot ? (int)*slot : -1;
}

/* Bit counting without loops: the verifier would walk a loop over 256
 * lanes once per lane and state, and give up. */
static __always_inline __u32 popcount(__u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (__u32)((x * 0x0101010101010101ULL) >> 56);
}

/* Position of the k-th (from 0) set bit of x; k < popcount(x). */
static __always_inline __u32 select_bit(__u64 x, __u32 k)
{
	__u32 pos = 0, lo;

#pragma unroll
	for (int w = 32; w >= 1; w /= 2) {
		lo = popcount(x & ((1ULL << w) - 1));
		if (k >= lo) {
			k -= lo;
			x >>= w;
			pos += w;
		}
	}
	return pos;
}

SEC("socket")
int tl_steer(struct __sk_buff *skb)
{
	__u32 zero = 0, key, hash = 0, n, count = 0, pick, c;
	struct tl_config *cfg = bpf_map_lookup_elem(&tl_config, &zero);
	struct tl_peer_slot *p;
	int slot = route(skb, &hash);

	if (slot < 0 || !cfg)
		return 0;
	key = (__u32)slot;
	p = bpf_map_lookup_elem(&tl_peers, &key);
	if (!p)
		return 0;
	n = cfg->lanes;
	/* Lanes only ever set bits below n. */
#pragma unroll
	for (int w = 0; w < TL_LIVE_WORDS; w++)
		count += popcount(p->live[w]);
	if (!count)
		return p->home && p->home <= n ? p->home - 1 : 0;
	pick = hash % count;
#pragma unroll
	for (int w = 0; w < TL_LIVE_WORDS; w++) {
		c = popcount(p->live[w]);
		if (pick < c)
			return w * 64 + select_bit(p->live[w], pick);
		pick -= c;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
