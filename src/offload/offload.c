// SPDX-License-Identifier: GPL-2.0-only
/*
 * TSO/USO segmentation and TCP coalescing for the tun offload fast path.
 * See offload.h for the contract of each entry point.
 *
 * All input is treated as hostile: a tun read is controlled by any local
 * process that can send through the interface, and a decrypted packet by
 * the peer. Every offset is checked against the buffer length before it
 * is dereferenced, and nothing is written outside the caller's segments.
 */
#include "offload.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6
#define UDP_HLEN 8
#define TCP_MIN_HLEN 20
#define IP4_MIN_HLEN 20
#define IP6_HLEN 40
#define IP4_FRAG_MASK 0x3fff /* MF and fragment offset */
#define IP6_MAX_EXT 8

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

/* Checksums are stored in memory order (see offload.h). */
static inline void put_csum(uint8_t *p, uint16_t c)
{
	memcpy(p, &c, sizeof(c));
}

/* ---- RFC 1071 Internet checksum ---------------------------------------- */

/*
 * One's complement addition in 64 bits: the end-around carry keeps the
 * value congruent modulo 2^64 - 1, and 2^16 - 1 divides that, so folding
 * at the end gives the 16-bit sum (RFC 1071 section 2(C), "deferred
 * carries" taken to 64-bit words).
 */
static inline uint64_t add_ec(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/*
 * Four independent accumulators let the CPU overlap the add/carry chains;
 * the tail (< 8 bytes) is loaded zero-padded, which is exactly RFC 1071's
 * rule for an odd trailing byte.
 */
uint32_t offload_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t a = sum, b = 0, c = 0, d = 0, tail = 0;

	for (; len >= 32; len -= 32, p += 32) {
		a = add_ec(a, load64(p));
		b = add_ec(b, load64(p + 8));
		c = add_ec(c, load64(p + 16));
		d = add_ec(d, load64(p + 24));
	}
	for (; len >= 8; len -= 8, p += 8)
		a = add_ec(a, load64(p));
	if (len)
		memcpy(&tail, p, len);
	a = add_ec(add_ec(a, b), add_ec(c, d));
	return fold64(add_ec(a, tail));
}

uint16_t offload_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t offload_csum_add(uint32_t a, uint32_t b)
{
	return fold64((uint64_t)a + b);
}

/*
 * The pseudo-header's zero/protocol/length words in their host-loaded
 * form: htonl(len) + htonl(proto) covers both the IPv4 layout
 * (0, proto, 16-bit length) and the IPv6 one (32-bit length, 3 zero bytes,
 * next header), since only the 16-bit word sum matters.
 */
uint32_t offload_csum_pseudo(const uint8_t *saddr, const uint8_t *daddr,
			     size_t alen, uint8_t proto, uint32_t l4len)
{
	uint32_t s = offload_csum_partial(saddr, alen, 0);

	s = offload_csum_partial(daddr, alen, s);
	s = offload_csum_add(s, htonl(l4len));
	return offload_csum_add(s, htonl(proto));
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
uint16_t offload_csum_replace16(uint16_t check, uint16_t old_word,
				uint16_t new_word)
{
	uint32_t s = (uint16_t)~check;

	s += (uint16_t)~old_word;
	s += new_word;
	return offload_csum_fold(s);
}

/* ---- IP parsing shared by both directions ------------------------------ */

struct l3_info {
	size_t l4off;		/* IP header plus options/extension headers */
	uint8_t ver;
	uint8_t proto;		/* upper-layer protocol at l4off */
	bool frag;		/* IPv4 MF/offset set */
};

static int parse_ipv4(const uint8_t *p, size_t len, struct l3_info *l3)
{
	size_t ihl;

	if (len < IP4_MIN_HLEN)
		return -EINVAL;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < IP4_MIN_HLEN || ihl > len)
		return -EINVAL;
	l3->ver = 4;
	l3->l4off = ihl;
	l3->proto = p[9];
	l3->frag = (get_be16(p + 6) & IP4_FRAG_MASK) != 0;
	return 0;
}

/*
 * Walks hop-by-hop, routing and destination-options headers (RFC 8200
 * section 4). A routing header with segments left is refused because the
 * pseudo-header would then need the final destination (section 8.1);
 * fragment, AH and anything unknown stop the walk and so end up as a
 * non-TCP/UDP protocol that callers reject or pass through.
 */
static int parse_ipv6(const uint8_t *p, size_t len, struct l3_info *l3)
{
	size_t off = IP6_HLEN;
	uint8_t nh;
	int i;

	if (len < IP6_HLEN)
		return -EINVAL;
	nh = p[6];
	for (i = 0; i < IP6_MAX_EXT; ++i) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING &&
		    nh != IPPROTO_DSTOPTS)
			break;
		if (len - off < 8)
			return -EINVAL;
		if (nh == IPPROTO_ROUTING && p[off + 3] != 0)
			return -EINVAL;
		nh = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
		if (off > len)
			return -EINVAL;
	}
	l3->ver = 6;
	l3->l4off = off;
	l3->proto = nh;
	l3->frag = false;
	return 0;
}

static int parse_ip(const uint8_t *p, size_t len, struct l3_info *l3)
{
	if (len < 1)
		return -EINVAL;
	if (p[0] >> 4 == 4)
		return parse_ipv4(p, len, l3);
	if (p[0] >> 4 == 6)
		return parse_ipv6(p, len, l3);
	return -EINVAL;
}

static inline const uint8_t *ip_saddr(const uint8_t *p, uint8_t ver)
{
	return p + (ver == 4 ? 12 : 8);
}

static inline size_t ip_alen(uint8_t ver)
{
	return ver == 4 ? 4 : 16;
}

/* ---- Segmentation (tun -> wire) ---------------------------------------- */

struct seg_ctx {
	const uint8_t *pkt;
	size_t len;
	size_t hlen;		/* all headers, copied into every segment */
	size_t gso;		/* payload bytes per segment */
	struct l3_info l3;
	uint32_t seq;		/* TCP sequence number of the first byte */
	uint16_t ip_id;
};

/* Completes a CHECKSUM_PARTIAL packet (virtio 1.1 section 5.1.6.2). */
static int seg_none(const struct virtio_net_hdr *vh, const uint8_t *pkt,
		    size_t len, uint8_t *dst, size_t room)
{
	size_t start = le16toh(vh->csum_start);
	size_t off = le16toh(vh->csum_offset);
	uint16_t c;

	if (len < IP4_MIN_HLEN || (pkt[0] >> 4 != 4 && pkt[0] >> 4 != 6) ||
	    (pkt[0] >> 4 == 6 && len < IP6_HLEN))
		return -EINVAL;
	if (len > room)
		return -EMSGSIZE;
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (start >= len || off > len - start || len - start - off < 2))
		return -EINVAL;
	if (dst != pkt)
		memcpy(dst, pkt, len);
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* skb_checksum_help() semantics: a zero result becomes -0. */
		c = offload_csum_fold(offload_csum_partial(dst + start,
							   len - start, 0));
		put_csum(dst + start + off, c ? c : 0xffff);
	}
	return 1;
}

/* Which L3 version and L4 protocol each GSO type requires. */
static int seg_check_type(uint8_t type, const struct l3_info *l3)
{
	switch (type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return l3->ver == 4 && l3->proto == IPPROTO_TCP ? 0 : -EINVAL;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return l3->ver == 6 && l3->proto == IPPROTO_TCP ? 0 : -EINVAL;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		if (type & VIRTIO_NET_HDR_GSO_ECN)
			return -EINVAL;
		return l3->proto == IPPROTO_UDP ? 0 : -EINVAL;
	default:
		return -EINVAL; /* includes GSO_UDP (UFO), never enabled */
	}
}

/* Parses and validates everything offload_segment() will touch. */
static int seg_parse(const struct virtio_net_hdr *vh, struct seg_ctx *c)
{
	bool tcp;
	size_t l4hlen;

	if (parse_ip(c->pkt, c->len, &c->l3) || c->l3.frag ||
	    seg_check_type(vh->gso_type, &c->l3))
		return -EINVAL;
	tcp = c->l3.proto == IPPROTO_TCP;
	if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    (le16toh(vh->csum_start) != c->l3.l4off ||
	     le16toh(vh->csum_offset) != (tcp ? TCP_CSUM_OFF : UDP_CSUM_OFF)))
		return -EINVAL;
	if (c->len - c->l3.l4off < (tcp ? TCP_MIN_HLEN : UDP_HLEN))
		return -EINVAL;
	l4hlen = tcp ? (size_t)(c->pkt[c->l3.l4off + 12] >> 4) * 4 : UDP_HLEN;
	if (l4hlen < (tcp ? TCP_MIN_HLEN : UDP_HLEN) ||
	    l4hlen >= c->len - c->l3.l4off)
		return -EINVAL; /* also: a GSO packet without payload */
	c->hlen = c->l3.l4off + l4hlen;
	c->gso = le16toh(vh->gso_size);
	if (c->gso == 0 || le16toh(vh->hdr_len) > c->len)
		return -EINVAL;
	if (tcp)
		c->seq = get_be32(c->pkt + c->l3.l4off + 4);
	c->ip_id = c->l3.ver == 4 ? get_be16(c->pkt + 4) : 0;
	return 0;
}

static void seg_fix_ip(const struct seg_ctx *c, uint8_t *d, size_t slen,
		       size_t i)
{
	if (c->l3.ver == 4) {
		put_be16(d + 2, (uint16_t)slen);
		put_be16(d + 4, (uint16_t)(c->ip_id + i));
		put_csum(d + 10, 0);
		put_csum(d + 10, offload_csum_fold(
			offload_csum_partial(d, c->l3.l4off, 0)));
	} else {
		put_be16(d + 4, (uint16_t)(slen - IP6_HLEN));
	}
}

/* Full upper-layer checksum of one segment (RFC 9293 3.1, RFC 768). */
static void seg_l4_csum(const struct seg_ctx *c, uint8_t *d, size_t slen,
			size_t csum_off)
{
	uint8_t *l4 = d + c->l3.l4off;
	size_t l4len = slen - c->l3.l4off;
	const uint8_t *sa = ip_saddr(d, c->l3.ver);
	size_t alen = ip_alen(c->l3.ver);
	uint32_t s;
	uint16_t v;

	put_csum(l4 + csum_off, 0);
	s = offload_csum_pseudo(sa, sa + alen, alen, c->l3.proto,
				(uint32_t)l4len);
	v = offload_csum_fold(offload_csum_partial(l4, l4len, s));
	if (v == 0 && c->l3.proto == IPPROTO_UDP)
		v = 0xffff; /* RFC 768: zero means "no checksum" */
	put_csum(l4 + csum_off, v);
}

/*
 * Per-segment TCP rewrite as in the kernel's tcp_gso_segment(): the
 * sequence number advances by the payload already sent; FIN and PSH stay
 * only on the last segment, CWR only on the first (RFC 3168 section 6.1.2
 * wants CWR on the first new data after a window reduction).
 */
static void seg_fix_l4(const struct seg_ctx *c, uint8_t *d, size_t slen,
		       size_t i, size_t nseg)
{
	uint8_t *l4 = d + c->l3.l4off;

	if (c->l3.proto == IPPROTO_UDP) {
		put_be16(l4 + 4, (uint16_t)(slen - c->l3.l4off));
		seg_l4_csum(c, d, slen, UDP_CSUM_OFF);
		return;
	}
	put_be32(l4 + 4, c->seq + (uint32_t)(i * c->gso));
	if (i + 1 < nseg)
		l4[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (i > 0)
		l4[13] &= (uint8_t)~TCP_CWR;
	seg_l4_csum(c, d, slen, TCP_CSUM_OFF);
}

static size_t seg_write(const struct seg_ctx *c, uint8_t *d, size_t i,
			size_t nseg)
{
	size_t off = i * c->gso;
	size_t left = c->len - c->hlen - off;
	size_t plen = left < c->gso ? left : c->gso;
	size_t slen = c->hlen + plen;

	memcpy(d, c->pkt, c->hlen);
	memcpy(d + c->hlen, c->pkt + c->hlen + off, plen);
	seg_fix_ip(c, d, slen, i);
	seg_fix_l4(c, d, slen, i, nseg);
	return slen;
}

static int seg_gso(const struct virtio_net_hdr *vh, struct seg_ctx *c,
		   uint8_t *out, size_t stride, size_t headroom,
		   size_t max_segs, size_t *seg_lens)
{
	size_t payload, nseg, first, i;
	int err = seg_parse(vh, c);

	if (err)
		return err;
	payload = c->len - c->hlen;
	nseg = (payload + c->gso - 1) / c->gso;
	if (nseg > max_segs)
		return -E2BIG;
	first = c->hlen + (payload < c->gso ? payload : c->gso);
	if (first > stride - headroom || first > OFFLOAD_MAX_PACKET)
		return -EMSGSIZE;
	for (i = 0; i < nseg; ++i)
		seg_lens[i] = seg_write(c, out + i * stride + headroom, i,
					nseg);
	return (int)nseg;
}

int offload_segment(const struct virtio_net_hdr *vh, const uint8_t *pkt,
		    size_t len, uint8_t *out, size_t stride, size_t headroom,
		    size_t max_segs, size_t *seg_lens)
{
	struct seg_ctx c = { .pkt = pkt, .len = len };
	int n;

	if (!vh || !pkt || !out || !seg_lens || headroom >= stride)
		return -EINVAL;
	if (max_segs == 0)
		return -E2BIG;
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		n = seg_none(vh, pkt, len, out + headroom, stride - headroom);
		if (n > 0)
			seg_lens[0] = len;
		return n;
	}
	return seg_gso(vh, &c, out, stride, headroom, max_segs, seg_lens);
}

/* ---- Coalescing (wire -> tun) ------------------------------------------ */

enum gro_kind {
	GRO_OTHER,	/* not TCP we can parse: never touches a flow */
	GRO_TCP,	/* TCP of a known flow, but not mergeable */
	GRO_MERGE,	/* TCP that may start or join a group */
};

struct gro_info {
	uint32_t seq;
	uint32_t hash;
	uint16_t l4off, hlen, plen;	/* plen from the IP length field */
	int16_t group;			/* -1 when in none */
	int16_t next;			/* next member of the group, or -1 */
	uint8_t ver, tflags, kind;
	bool csum_ok;
};

struct gro_group {
	uint32_t next_seq;
	uint32_t bytes;		/* IP length of the super-packet so far */
	uint16_t gso;
	int16_t head, last;
	uint16_t count;
	bool built;
};

struct gro_state {
	const struct offload_pkt *in;
	size_t n, ngroups, nopen;
	struct gro_info info[OFFLOAD_GRO_MAX_BATCH];
	struct gro_group grp[OFFLOAD_GRO_MAX_BATCH];
	int16_t open[OFFLOAD_GRO_MAX_BATCH];	/* group ids still growing */
};

/* IP length field, checked against the buffer (WireGuard pads to 16). */
static int gro_ip_len(const uint8_t *p, size_t len, const struct l3_info *l3,
		      size_t *iplen)
{
	if (l3->ver == 4)
		*iplen = get_be16(p + 2);
	else
		*iplen = (size_t)get_be16(p + 4) + IP6_HLEN;
	if (*iplen > len || *iplen < l3->l4off + TCP_MIN_HLEN)
		return -EINVAL;
	return 0;
}

static uint32_t gro_hash(const uint8_t *p, const struct gro_info *g)
{
	const uint8_t *a = ip_saddr(p, g->ver);
	size_t alen = 2 * ip_alen(g->ver), i;
	uint32_t h = g->ver, w;

	for (i = 0; i < alen; i += 4) {
		memcpy(&w, a + i, 4);
		h = (h ^ w) * 0x9e3779b1u;
	}
	memcpy(&w, p + g->l4off, 4); /* both ports */
	return (h ^ w) * 0x9e3779b1u;
}

static bool gro_tcp_csum_ok(const uint8_t *p, const struct gro_info *g)
{
	const uint8_t *sa = ip_saddr(p, g->ver);
	size_t alen = ip_alen(g->ver);
	uint32_t l4len = (uint32_t)(g->hlen + g->plen - g->l4off);
	uint32_t s = offload_csum_pseudo(sa, sa + alen, alen, IPPROTO_TCP,
					 l4len);

	return offload_csum_fold(offload_csum_partial(p + g->l4off, l4len,
						      s)) == 0;
}

/* Whether a parsed, checksum-valid segment may take part in a group. */
static bool gro_mergeable(const uint8_t *p, const struct gro_info *g)
{
	uint8_t fl = g->tflags & (uint8_t)~TCP_PSH;

	if (!g->csum_ok || g->plen == 0 || fl != TCP_ACK ||
	    (p[g->l4off + 12] & 0x0f))
		return false;
	if (g->ver == 4)	/* no options; header checksum intact */
		return g->l4off == IP4_MIN_HLEN &&
		       offload_csum_fold(offload_csum_partial(p, 20, 0)) == 0;
	return g->l4off == IP6_HLEN;
}

static void gro_parse(const struct offload_pkt *pkt, struct gro_info *g)
{
	struct l3_info l3;
	size_t iplen, thl;
	const uint8_t *th;

	g->kind = GRO_OTHER;
	g->group = g->next = -1;
	g->csum_ok = false;
	if (parse_ip(pkt->data, pkt->len, &l3) || l3.frag ||
	    l3.proto != IPPROTO_TCP ||
	    gro_ip_len(pkt->data, pkt->len, &l3, &iplen))
		return;
	th = pkt->data + l3.l4off;
	thl = (size_t)(th[12] >> 4) * 4;
	if (thl < TCP_MIN_HLEN || thl > iplen - l3.l4off)
		return;
	g->ver = l3.ver;
	g->l4off = (uint16_t)l3.l4off;
	g->hlen = (uint16_t)(l3.l4off + thl);
	g->plen = (uint16_t)(iplen - g->hlen);
	g->seq = get_be32(th + 4);
	g->tflags = th[13];
	g->hash = gro_hash(pkt->data, g);
	g->csum_ok = gro_tcp_csum_ok(pkt->data, g);
	g->kind = gro_mergeable(pkt->data, g) ? GRO_MERGE : GRO_TCP;
}

static bool gro_same_flow(const uint8_t *a, const uint8_t *b,
			  const struct gro_info *ga, const struct gro_info *gb)
{
	size_t alen = 2 * ip_alen(ga->ver);

	return ga->hash == gb->hash && ga->ver == gb->ver &&
	       !memcmp(ip_saddr(a, ga->ver), ip_saddr(b, gb->ver), alen) &&
	       !memcmp(a + ga->l4off, b + gb->l4off, 4);
}

/* Index into s->open[] of the flow's growing group, or -1. */
static int gro_find_open(const struct gro_state *s, size_t i)
{
	size_t k;

	for (k = 0; k < s->nopen; ++k) {
		int16_t h = s->grp[s->open[k]].head;

		if (gro_same_flow(s->in[h].data, s->in[i].data, &s->info[h],
				  &s->info[i]))
			return (int)k;
	}
	return -1;
}

/* IP fields that tcp_gro/inet_gro insist on being equal (TOS/TTL/DF). */
static bool gro_ip_match(const uint8_t *h, const uint8_t *p, uint8_t ver)
{
	if (ver == 4)
		return h[1] == p[1] && (h[6] & 0xe0) == (p[6] & 0xe0) &&
		       h[8] == p[8];
	/* version, traffic class, flow label; hop limit */
	return !memcmp(h, p, 4) && h[7] == p[7];
}

/*
 * The kernel's tcp_gro_receive() rules: next sequence number, same ACK,
 * header length, window and options; payload no larger than gso_size.
 */
static bool gro_can_append(const struct gro_state *s,
			   const struct gro_group *grp, size_t i)
{
	const struct gro_info *hi = &s->info[grp->head], *pi = &s->info[i];
	const uint8_t *h = s->in[grp->head].data, *p = s->in[i].data;
	const uint8_t *th = h + hi->l4off, *tp = p + pi->l4off;

	if (pi->seq != grp->next_seq || pi->plen > grp->gso ||
	    pi->hlen != hi->hlen ||
	    grp->bytes + pi->plen > OFFLOAD_MAX_PACKET)
		return false;
	if (!gro_ip_match(h, p, hi->ver))
		return false;
	return !memcmp(th + 8, tp + 8, 5) &&		/* ack, data offset */
	       !memcmp(th + 14, tp + 14, 2) &&		/* window */
	       !memcmp(th + TCP_MIN_HLEN, tp + TCP_MIN_HLEN,
		       (size_t)hi->hlen - hi->l4off - TCP_MIN_HLEN);
}

static void gro_close(struct gro_state *s, size_t k)
{
	s->open[k] = s->open[--s->nopen];
}

static void gro_open(struct gro_state *s, size_t i)
{
	struct gro_info *g = &s->info[i];
	struct gro_group *grp = &s->grp[s->ngroups];

	grp->head = grp->last = (int16_t)i;
	grp->count = 1;
	grp->gso = g->plen;
	grp->bytes = (uint32_t)g->hlen + g->plen;
	grp->next_seq = g->seq + g->plen;
	grp->built = false;
	g->group = (int16_t)s->ngroups;
	s->open[s->nopen++] = (int16_t)s->ngroups++;
}

/* A PSH or a short segment is the last one a group may take. */
static void gro_append(struct gro_state *s, size_t k, size_t i)
{
	struct gro_info *g = &s->info[i];
	struct gro_group *grp = &s->grp[s->open[k]];

	s->info[grp->last].next = (int16_t)i;
	grp->last = (int16_t)i;
	grp->count++;
	grp->bytes += g->plen;
	grp->next_seq += g->plen;
	g->group = s->open[k];
	if ((g->tflags & TCP_PSH) || g->plen < grp->gso)
		gro_close(s, k);
}

/*
 * Pass 1 for packet i. A TCP packet that cannot join its flow's group
 * closes it, so later segments of the flow cannot jump over this one.
 */
static void gro_track(struct gro_state *s, size_t i)
{
	const struct gro_info *g = &s->info[i];
	int k;

	if (g->kind == GRO_OTHER)
		return;
	k = gro_find_open(s, i);
	if (k >= 0 && g->kind == GRO_MERGE &&
	    gro_can_append(s, &s->grp[s->open[k]], i)) {
		gro_append(s, (size_t)k, i);
		return;
	}
	if (k >= 0)
		gro_close(s, (size_t)k);
	if (g->kind == GRO_MERGE && !(g->tflags & TCP_PSH))
		gro_open(s, i);
}

static void gro_single(const struct gro_state *s, size_t i,
		       struct offload_out *o)
{
	memset(&o->vh, 0, sizeof(o->vh));
	if (s->info[i].csum_ok)
		o->vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	o->segs = 1;
	o->data = s->in[i].data;
	o->len = s->in[i].len;
}

/*
 * Header fix-up of a built super-packet: lengths (IPv4 checksum updated
 * per RFC 1624), PSH from the last segment, and the pseudo-header sum in
 * the TCP checksum field for CHECKSUM_PARTIAL (virtio 1.1 5.1.6.4).
 */
static void gro_finish(const struct gro_state *s,
		       const struct gro_group *grp, uint8_t *d,
		       struct offload_out *o)
{
	const struct gro_info *hi = &s->info[grp->head];
	size_t alen = ip_alen(hi->ver);
	uint16_t c, oldw, neww;
	uint32_t ps;

	if (hi->ver == 4) {
		memcpy(&oldw, d + 2, 2);
		put_be16(d + 2, (uint16_t)grp->bytes);
		memcpy(&neww, d + 2, 2);
		memcpy(&c, d + 10, 2);
		put_csum(d + 10, offload_csum_replace16(c, oldw, neww));
	} else {
		put_be16(d + 4, (uint16_t)(grp->bytes - IP6_HLEN));
	}
	d[hi->l4off + 13] |= s->info[grp->last].tflags & TCP_PSH;
	ps = offload_csum_pseudo(ip_saddr(d, hi->ver), ip_saddr(d, hi->ver) +
				 alen, alen, IPPROTO_TCP,
				 grp->bytes - hi->l4off);
	put_csum(d + hi->l4off + TCP_CSUM_OFF,
		 (uint16_t)~offload_csum_fold(ps));
	memset(&o->vh, 0, sizeof(o->vh));
	o->vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	o->vh.gso_type = hi->ver == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
					VIRTIO_NET_HDR_GSO_TCPV6;
	o->vh.hdr_len = htole16(hi->hlen);
	o->vh.gso_size = htole16(grp->gso);
	o->vh.csum_start = htole16(hi->l4off);
	o->vh.csum_offset = htole16(TCP_CSUM_OFF);
}

/* Appends header + payloads into scratch; false when it does not fit. */
static bool gro_build(const struct gro_state *s, struct gro_group *grp,
		      uint8_t *scratch, size_t scratch_len, size_t *soff,
		      struct offload_out *o)
{
	size_t off = (*soff + 7) & ~(size_t)7;
	const struct gro_info *g;
	uint8_t *d, *w;
	int16_t j;

	if (off > scratch_len || scratch_len - off < grp->bytes)
		return false;
	d = scratch + off;
	memcpy(d, s->in[grp->head].data, s->info[grp->head].hlen);
	w = d + s->info[grp->head].hlen;
	for (j = grp->head; j >= 0; j = g->next) {
		g = &s->info[j];
		memcpy(w, s->in[j].data + g->hlen, g->plen);
		w += g->plen;
	}
	gro_finish(s, grp, d, o);
	o->segs = grp->count;
	o->data = d;
	o->len = grp->bytes;
	*soff = off + grp->bytes;
	return true;
}

/* Pass 2: outputs in input order, a group at its first segment's place. */
static size_t gro_emit(struct gro_state *s, uint8_t *scratch,
		       size_t scratch_len, size_t *soff,
		       struct offload_out *out)
{
	size_t i, nout = 0;

	for (i = 0; i < s->n; ++i) {
		int16_t gid = s->info[i].group;
		struct gro_group *grp = gid >= 0 ? &s->grp[gid] : NULL;

		if (grp && grp->count > 1) {
			if ((size_t)grp->head == i)
				grp->built = gro_build(s, grp, scratch,
						       scratch_len, soff,
						       &out[nout]);
			if (grp->built) {
				nout += (size_t)grp->head == i;
				continue;
			}
		}
		gro_single(s, i, &out[nout++]);
	}
	return nout;
}

static size_t gro_slice(struct gro_state *s, const struct offload_pkt *in,
			size_t n, uint8_t *scratch, size_t scratch_len,
			size_t *soff, struct offload_out *out)
{
	size_t i;

	s->in = in;
	s->n = n;
	s->ngroups = s->nopen = 0;
	for (i = 0; i < n; ++i) {
		gro_parse(&in[i], &s->info[i]);
		gro_track(s, i);
	}
	return gro_emit(s, scratch, scratch_len, soff, out);
}

int offload_gro_batch(const struct offload_pkt *in, size_t n,
		      uint8_t *scratch, size_t scratch_len,
		      struct offload_out *out, size_t max_out)
{
	struct gro_state s;
	size_t base, chunk, nout = 0, soff = 0;

	if (n && (!in || !out))
		return -EINVAL;
	if (max_out < n)
		return -E2BIG;
	if (n > (size_t)INT32_MAX)
		return -EINVAL;
	if (!scratch)
		scratch_len = 0;
	for (base = 0; base < n; base += chunk) {
		chunk = n - base < OFFLOAD_GRO_MAX_BATCH ?
			n - base : OFFLOAD_GRO_MAX_BATCH;
		nout += gro_slice(&s, in + base, chunk, scratch, scratch_len,
				  &soff, out + nout);
	}
	return (int)nout;
}
