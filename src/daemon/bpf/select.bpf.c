// SPDX-License-Identifier: GPL-2.0-only
/*
 * Receive steering on the shared ListenPort (SO_ATTACH_REUSEPORT_EBPF):
 * every lane has a socket in one SO_REUSEPORT group, and this program
 * picks the lane for each datagram from the WireGuard message in it.
 *
 *   response (type 2): receiver index at byte 8 of the message
 *   cookie reply (3), data (4): receiver index at byte 4
 *
 * The lane that handed out an index is its top 8 bits (src/wg/index.h), so
 * these go to the lane that holds the handshake or session, whatever the
 * source address (a roaming client stays on its lane). An initiation (1)
 * names only the sender: one whose sender index has lane 0 in its top bits
 * comes from lane 0 of a multi-lane tunlane peer and goes to our lane 0, so
 * that pair's plain session and its lane-bound ones never share a lane;
 * any other initiation, and anything unparsable, is left to the kernel's
 * hash of the addresses, which spreads stock clients over the lanes.
 *
 * For SK_REUSEPORT programs the packet offsets start at the UDP header.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lanes_bpf.h"

#define UDP_HLEN 8

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, TL_LANES_MAX);
} tl_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct tl_config);
	__uint(max_entries, 1);
} tl_sel_config SEC(".maps");

SEC("sk_reuseport")
int tl_select(struct sk_reuseport_md *md)
{
	__u32 zero = 0, lane, type;
	struct tl_config *cfg;
	__u8 msg[12];

	/* Type (4 bytes) and the bytes up to the response's receiver index.
	 * Not through md->data: a GRO-merged datagram may hold only its
	 * headers in the linear part, and it must be steered all the same. */
	if (bpf_skb_load_bytes(md, UDP_HLEN, msg, sizeof(msg)) < 0)
		return SK_PASS;
	type = msg[0] | msg[1] << 8 | msg[2] << 16 | (__u32)msg[3] << 24;
	if (type == 2)
		lane = msg[11];
	else if (type == 3 || type == 4)
		lane = msg[7];
	else if (type == 1 && msg[7] == 0)
		lane = 0;
	else
		return SK_PASS;
	cfg = bpf_map_lookup_elem(&tl_sel_config, &zero);
	if (!cfg || lane >= cfg->lanes)
		return SK_PASS;
	/* On failure (no socket for that lane) the kernel's hash decides. */
	bpf_sk_select_reuseport(md, &tl_socks, &lane, 0);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
