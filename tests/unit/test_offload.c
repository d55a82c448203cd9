// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests for src/offload.c: TSO/USO segmentation, TCP coalescing and the
 * checksum helpers.
 *
 * Packets are built by this file's own builder, whose checksums come from
 * a deliberately naive RFC 1071 reference (16-bit big-endian words, carries
 * folded at the end), never from the code under test. Segmentation output
 * is compared byte for byte with the segments the builder makes from the
 * same description, so every header field and checksum is checked exactly.
 * Coalescing is checked as the inverse: split a super-packet, coalesce the
 * pieces, get the original bytes back, including the CHECKSUM_PARTIAL
 * pseudo-header sum the kernel puts in a TSO packet (virtio 1.1 5.1.6.2).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <endian.h>
#include <cmocka.h>

#include "offload.h"

#define P_TCP 6
#define P_UDP 17
#define P_ICMP 1
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20
#define F_ECE 0x40
#define F_CWR 0x80

#define STRIDE 2048
#define HEADROOM 32
#define MAXSEG 160
#define BIG 70000

/* ---- reference checksum (RFC 1071, the obvious way) ------------------- */

static uint64_t ref_sum(const uint8_t *b, size_t len, uint64_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	return s;
}

static uint16_t ref_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint64_t ref_pseudo(const uint8_t *ip, int ver, uint8_t proto,
			   size_t l4len)
{
	size_t alen = ver == 4 ? 4 : 16, off = ver == 4 ? 12 : 8;

	return ref_sum(ip + off, 2 * alen, 0) + proto + (l4len >> 16) +
	       (l4len & 0xffff);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void wbe16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wbe32(uint8_t *p, uint32_t v)
{
	wbe16(p, v >> 16);
	wbe16(p + 2, v & 0xffff);
}

/* ---- packet builder ----------------------------------------------------- */

struct spec {
	int ver;		/* 4 or 6 */
	uint8_t proto;		/* P_TCP, P_UDP, P_ICMP (v4 only) */
	uint8_t src_last;	/* last byte of the source address */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint8_t res;		/* low nibble of byte 12: reserved/AE bits */
	uint16_t win;
	int opts;		/* TCP option bytes: 0 or 12 (timestamps) */
	uint32_t tsval;
	uint16_t id;
	uint8_t ttl, tos;	/* v6: hop limit, traffic class */
	bool df;
	uint32_t flow;		/* v6 flow label */
	int ip4opt;		/* 0 or 4 */
	int ext6;		/* 0 or 8: a destination-options header */
	const uint8_t *pl;
	size_t plen;
};

enum cs { CS_FULL, CS_PARTIAL, CS_BAD };

static uint8_t payload[1 << 17];

static struct spec tcp_spec(int ver)
{
	struct spec s = {
		.ver = ver, .proto = P_TCP, .src_last = 1, .sport = 40000,
		.dport = 5201, .seq = 0xfffff000u, .ack = 0x22334455,
		.flags = F_ACK, .win = 512, .opts = 12, .tsval = 0xaabbccdd,
		.id = 0xfffe, .ttl = 64, .tos = 0, .df = true,
		.flow = 0x12345, .pl = payload,
	};
	return s;
}

static size_t ip_hlen(const struct spec *s)
{
	return s->ver == 4 ? 20 + (size_t)s->ip4opt : 40 + (size_t)s->ext6;
}

static size_t l4_hlen(const struct spec *s)
{
	return s->proto == P_TCP ? 20 + (size_t)s->opts : 8;
}

static void build_ip4(uint8_t *b, const struct spec *s, size_t len)
{
	size_t ihl = ip_hlen(s);

	b[0] = (uint8_t)(0x40 | ihl / 4);
	b[1] = s->tos;
	wbe16(b + 2, (uint32_t)len);
	wbe16(b + 4, s->id);
	wbe16(b + 6, s->df ? 0x4000 : 0);
	b[8] = s->ttl;
	b[9] = s->proto;
	wbe16(b + 10, 0);
	b[12] = 10, b[13] = 0, b[14] = 0, b[15] = s->src_last;
	b[16] = 10, b[17] = 0, b[18] = 0, b[19] = 2;
	if (s->ip4opt)
		b[20] = 1, b[21] = 1, b[22] = 1, b[23] = 0; /* NOP NOP NOP EOL */
	wbe16(b + 10, (uint16_t)~ref_fold(ref_sum(b, ihl, 0)));
}

static void build_ip6(uint8_t *b, const struct spec *s, size_t len)
{
	wbe32(b, 6u << 28 | (uint32_t)s->tos << 20 | (s->flow & 0xfffff));
	wbe16(b + 4, (uint32_t)(len - 40));
	b[6] = s->ext6 ? 60 : s->proto;
	b[7] = s->ttl;
	memset(b + 8, 0, 32);
	b[8] = 0xfd, b[23] = s->src_last;
	b[24] = 0xfd, b[39] = 2;
	if (s->ext6) {
		b[40] = s->proto;	/* next header */
		b[41] = 0;		/* 8 bytes */
		b[42] = 1, b[43] = 4;	/* PadN, 4 bytes of padding */
		memset(b + 44, 0, 4);
	}
}

static void build_tcp(uint8_t *t, const struct spec *s)
{
	wbe16(t, s->sport);
	wbe16(t + 2, s->dport);
	wbe32(t + 4, s->seq);
	wbe32(t + 8, s->ack);
	t[12] = (uint8_t)((20 + s->opts) / 4 << 4 | s->res);
	t[13] = s->flags;
	wbe16(t + 14, s->win);
	wbe16(t + 16, 0);
	wbe16(t + 18, 0);
	if (s->opts == 12) {
		t[20] = 1, t[21] = 1, t[22] = 8, t[23] = 10; /* NOP NOP TS */
		wbe32(t + 24, s->tsval);
		wbe32(t + 28, 0x01020304);
	}
}

/* Fills in the L4 checksum: valid, kernel-style partial, or wrong. */
static void l4_csum(uint8_t *b, const struct spec *s, size_t len, enum cs cs)
{
	size_t off = ip_hlen(s), l4len = len - off;
	size_t co = s->proto == P_TCP ? 16 : s->proto == P_UDP ? 6 : 2;
	uint64_t ps = s->proto == P_ICMP ? 0 :
		      ref_pseudo(b, s->ver, s->proto, l4len);
	uint16_t v;

	wbe16(b + off + co, 0);
	if (cs == CS_PARTIAL) {
		v = ref_fold(ps);
	} else {
		v = (uint16_t)~ref_fold(ref_sum(b + off, l4len, ps));
		if (v == 0 && s->proto == P_UDP)
			v = 0xffff;
		if (cs == CS_BAD)
			v ^= 0x0101;
	}
	wbe16(b + off + co, v);
}

static size_t build(uint8_t *b, const struct spec *s, enum cs cs)
{
	size_t ih = ip_hlen(s), lh = l4_hlen(s), len = ih + lh + s->plen;
	uint8_t *l4 = b + ih;

	if (s->ver == 4)
		build_ip4(b, s, len);
	else
		build_ip6(b, s, len);
	if (s->proto == P_TCP) {
		build_tcp(l4, s);
	} else {
		memset(l4, 0, 8);
		wbe16(l4, s->sport);
		wbe16(l4 + 2, s->dport);
		if (s->proto == P_UDP)
			wbe16(l4 + 4, (uint32_t)(lh + s->plen));
		else
			l4[0] = 8; /* ICMP echo request */
	}
	memcpy(l4 + lh, s->pl, s->plen);
	l4_csum(b, s, len, cs);
	return len;
}

/* The virtio header the kernel attaches to a TSO/USO super-packet. */
static struct virtio_net_hdr gso_vh(const struct spec *s, size_t mss)
{
	struct virtio_net_hdr vh = { 0 };

	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (s->proto == P_UDP)
		vh.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
	else
		vh.gso_type = s->ver == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 :
					    VIRTIO_NET_HDR_GSO_TCPV6;
	vh.hdr_len = htole16((uint16_t)(ip_hlen(s) + l4_hlen(s)));
	vh.gso_size = htole16((uint16_t)mss);
	vh.csum_start = htole16((uint16_t)ip_hlen(s));
	vh.csum_offset = htole16(s->proto == P_TCP ? 16 : 6);
	return vh;
}

/* Segment i of super-packet s as the builder makes it (the expectation). */
static struct spec seg_spec(const struct spec *s, size_t mss, size_t i,
			    size_t nseg)
{
	struct spec e = *s;
	size_t left = s->plen - i * mss;

	e.pl = s->pl + i * mss;
	e.plen = left < mss ? left : mss;
	e.id = (uint16_t)(s->id + i);
	if (s->proto == P_TCP) {
		e.seq = s->seq + (uint32_t)(i * mss);
		if (i + 1 < nseg)
			e.flags &= (uint8_t)~(F_FIN | F_PSH);
		if (i > 0)
			e.flags &= (uint8_t)~F_CWR;
	}
	return e;
}

static bool l4_csum_ok(const uint8_t *b, size_t len, int ver, size_t off,
		       uint8_t proto)
{
	return ref_fold(ref_sum(b + off, len - off,
				ref_pseudo(b, ver, proto, len - off))) ==
	       0xffff;
}

/* ---- segmentation ------------------------------------------------------- */

static uint8_t super[BIG];
static uint8_t outbuf[MAXSEG * STRIDE];
static uint8_t expbuf[STRIDE];
static size_t seg_lens[MAXSEG];

static uint8_t super2[BIG];

/*
 * The in-place iterator (offload_seg_begin/next) on a copy of the same
 * super-packet must refuse what offload_segment() refused, with the same
 * error, and otherwise give the same segments byte for byte. Headers too
 * long for it to keep aside are its own -EMSGSIZE.
 */
static void same_in_place(const struct virtio_net_hdr *vh, size_t len, int n)
{
	struct offload_seg_iter it;
	size_t l, i = 0;
	uint8_t *p;
	int m;

	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE || len > sizeof(super2))
		return;
	memcpy(super2, super, len);
	m = offload_seg_begin(&it, vh, super2, len, MAXSEG, STRIDE - HEADROOM);
	if (m == -EMSGSIZE && n > 0 && it.hlen > OFFLOAD_SEG_HDR_MAX)
		return;
	assert_int_equal(m, n);
	while ((p = offload_seg_next(&it, &l))) {
		assert_true(i < (size_t)n);
		assert_true(p >= super2 && p + l <= super2 + len);
		assert_int_equal(l, seg_lens[i]);
		assert_memory_equal(p, outbuf + i * STRIDE + HEADROOM, l);
		i++;
	}
	assert_int_equal(i, n > 0 ? (size_t)n : 0);
}

static int do_segment(const struct virtio_net_hdr *vh, size_t len)
{
	int n;

	memset(outbuf, 0xa5, sizeof(outbuf));
	n = offload_segment(vh, super, len, outbuf, STRIDE, HEADROOM, MAXSEG,
			    seg_lens);
	same_in_place(vh, len, n);
	return n;
}

/* Splits spec s at mss and checks every segment byte for byte. */
static void check_split(const struct spec *s, size_t mss, size_t want)
{
	size_t len = build(super, s, CS_PARTIAL), i, hl = ip_hlen(s);
	struct virtio_net_hdr vh = gso_vh(s, mss);
	int n = do_segment(&vh, len);

	assert_int_equal(n, want);
	for (i = 0; i < want; ++i) {
		struct spec e = seg_spec(s, mss, i, want);
		size_t elen = build(expbuf, &e, CS_FULL);
		const uint8_t *seg = outbuf + i * STRIDE + HEADROOM;

		assert_int_equal(seg_lens[i], elen);
		assert_memory_equal(seg, expbuf, elen);
		assert_true(l4_csum_ok(seg, elen, s->ver, hl, s->proto));
		if (s->ver == 4)
			assert_int_equal(ref_fold(ref_sum(seg, hl, 0)), 0xffff);
		assert_int_equal(outbuf[i * STRIDE], 0xa5); /* headroom */
		assert_int_equal(seg[elen], 0xa5);
	}
}

static void fill_payload(void)
{
	size_t i;

	for (i = 0; i < sizeof(payload); ++i)
		payload[i] = (uint8_t)(i * 7 + (i >> 8) + 3);
}

/* v4 + timestamps, 4 full segments and a short one; all flags. */
static void test_seg_tcp4(void **state)
{
	struct spec s = tcp_spec(4);
	const uint8_t *seg;
	size_t i;

	s.flags = F_ACK | F_PSH | F_FIN | F_CWR;
	s.plen = 4 * 1000 + 333;
	check_split(&s, 1000, 5);
	/* Spot-check the rules explicitly as well as byte for byte. */
	for (i = 0; i < 5; ++i) {
		seg = outbuf + i * STRIDE + HEADROOM;
		assert_int_equal(be16(seg + 2), i < 4 ? 1052 : 385);
		assert_int_equal(be16(seg + 4), (uint16_t)(0xfffe + i));
		assert_int_equal(be32(seg + 24), 0xfffff000u + i * 1000);
		assert_int_equal(seg[33], i == 0 ? F_ACK | F_CWR :
					  i == 4 ? F_ACK | F_PSH | F_FIN :
						   F_ACK);
		assert_memory_equal(seg + 40, super + 40, 12); /* options */
	}
}

/* v6 + timestamps, exact multiple of gso_size, sequence wraps. */
static void test_seg_tcp6(void **state)
{
	struct spec s = tcp_spec(6);
	const uint8_t *seg;
	size_t i;

	s.flags = F_ACK | F_PSH;
	s.plen = 3 * 1208;
	s.tos = 0x28;
	check_split(&s, 1208, 3);
	for (i = 0; i < 3; ++i) {
		seg = outbuf + i * STRIDE + HEADROOM;
		assert_int_equal(be16(seg + 4), 32 + 1208);
		assert_int_equal(be32(seg + 44), 0xfffff000u + i * 1208);
		assert_int_equal(seg[53], i == 2 ? F_ACK | F_PSH : F_ACK);
	}
}

/* csum_start, not a fixed 20/40, locates TCP: IPv4 options, IPv6 ext. */
static void test_seg_ip_options(void **state)
{
	struct spec s = tcp_spec(4);

	s.ip4opt = 4;
	s.plen = 2500;
	check_split(&s, 1000, 3);
	s = tcp_spec(6);
	s.ext6 = 8;
	s.plen = 2500;
	s.opts = 0;
	check_split(&s, 1200, 3);
}

/* payload < gso_size, == gso_size, one byte over. */
static void test_seg_odd_sizes(void **state)
{
	struct spec s = tcp_spec(4);

	s.flags = F_ACK | F_PSH | F_CWR;
	s.plen = 100;
	check_split(&s, 1000, 1);
	s.plen = 1000;
	check_split(&s, 1000, 1);
	s.plen = 1001;
	check_split(&s, 1000, 2);
	s = tcp_spec(6);
	s.plen = 1;
	check_split(&s, 1400, 1);
	s.plen = 7 * 3;
	check_split(&s, 7, 3); /* odd gso_size: odd-length checksums */
}

/* The kernel may report hdr_len = the linear head; it is not trusted. */
static void test_seg_hdr_len_loose(void **state)
{
	struct spec s = tcp_spec(4);
	struct virtio_net_hdr vh;
	size_t len;

	s.plen = 3000;
	len = build(super, &s, CS_PARTIAL);
	vh = gso_vh(&s, 1448);
	vh.hdr_len = htole16((uint16_t)len);
	assert_int_equal(do_segment(&vh, len), 3);
	vh.hdr_len = 0;
	assert_int_equal(do_segment(&vh, len), 3);
	vh.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	assert_int_equal(do_segment(&vh, len), 3);
	vh.flags = 0; /* GSO without NEEDS_CSUM: csum_start unused */
	vh.csum_start = 0;
	assert_int_equal(do_segment(&vh, len), 3);
	check_split(&s, 1448, 3);
}

/* USO: UDP length and checksum per datagram, IPv4 ID increments. */
static void test_seg_uso(void **state)
{
	struct spec s = tcp_spec(4);
	size_t i;

	s.proto = P_UDP;
	s.plen = 5 * 1200 + 5;
	check_split(&s, 1200, 6);
	for (i = 0; i < 6; ++i) {
		const uint8_t *seg = outbuf + i * STRIDE + HEADROOM;

		assert_int_equal(be16(seg + 24), i < 5 ? 1208 : 13);
		assert_int_equal(be16(seg + 4), (uint16_t)(0xfffe + i));
	}
	s.ver = 6;
	s.plen = 3 * 1000;
	check_split(&s, 1000, 3);
	s.ext6 = 8;
	check_split(&s, 999, 4);
}

static void check_none(const struct spec *s, size_t len, size_t co)
{
	struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM };
	size_t hl = ip_hlen(s);

	vh.csum_start = htole16((uint16_t)hl);
	vh.csum_offset = htole16((uint16_t)co);
	assert_int_equal(do_segment(&vh, len), 1);
	assert_int_equal(seg_lens[0], len);
	build(expbuf, s, CS_FULL);
	assert_memory_equal(outbuf + HEADROOM, expbuf, len);
	assert_true(l4_csum_ok(outbuf + HEADROOM, len, s->ver, hl, s->proto));
}

/* gso_type NONE: completes CHECKSUM_PARTIAL, or copies verbatim. */
static void test_seg_none(void **state)
{
	struct virtio_net_hdr vh = { 0 };
	struct spec s = tcp_spec(4);
	size_t len;

	s.plen = 777;
	len = build(super, &s, CS_PARTIAL);
	check_none(&s, len, 16);
	s.proto = P_UDP;
	s.ver = 6;
	s.plen = 513;
	len = build(super, &s, CS_PARTIAL);
	check_none(&s, len, 6);
	len = build(super, &s, CS_BAD); /* no NEEDS_CSUM: left alone */
	assert_int_equal(do_segment(&vh, len), 1);
	assert_memory_equal(outbuf + HEADROOM, super, len);
	/* In place: pkt already at out + headroom. */
	memcpy(outbuf + HEADROOM, super, len);
	assert_int_equal(offload_segment(&vh, outbuf + HEADROOM, len, outbuf,
					 STRIDE, HEADROOM, 1, seg_lens), 1);
	assert_memory_equal(outbuf + HEADROOM, super, len);
}

/* RFC 1071 the plain way: 16-bit big-endian words, the odd byte padded,
 * the carries folded at the end; the complemented 16-bit result. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint64_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* A folded partial sum as the 16-bit big-endian value a header holds. */
static uint16_t as_be(uint32_t partial)
{
	uint16_t c = offload_csum_fold(partial), be;

	memcpy(&be, &c, 2);
	return be16toh(be);
}

/*
 * offload_csum_partial against the plain RFC 1071 sum: every length to 700
 * and some long ones, at every start offset modulo 32, over random bytes
 * and over all-0xff bytes (the most carries), and with a partial sum
 * carried in.
 */
static void test_csum_rfc1071(void **state)
{
	static uint8_t buf[65536 + 64];
	static const size_t longs[] = { 1420, 1480, 4096, 9000, 65535, 65536 };

	(void)state;
	for (int fill = 0; fill < 2; fill++) {
		srand(7 + fill);
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = fill ? 0xff : (uint8_t)rand();
		for (size_t n = 0; n < 700 + sizeof(longs) / sizeof(longs[0]); n++) {
			size_t len = n < 700 ? n : longs[n - 700];
			const uint8_t *p = buf + (n * 7) % 32;
			uint16_t want = ref_csum(p, len);
			size_t cut = (len / 3) & ~(size_t)1;
			uint32_t first = offload_csum_partial(p, cut, 0);

			assert_int_equal(as_be(offload_csum_partial(p, len, 0)), want);
			/* a sum carried in: a third (even), then the rest */
			assert_int_equal(as_be(offload_csum_partial(p + cut,
					len - cut, first)), want);
		}
	}
}

/* A UDP sum of zero must go out as 0xffff (RFC 768). */
static void test_seg_udp_zero_csum(void **state)
{
	uint8_t pl[64] = { 0 };
	struct spec s = tcp_spec(4);
	size_t len;

	s.proto = P_UDP;
	s.pl = pl;
	s.plen = sizeof(pl);
	len = build(super, &s, CS_FULL);
	/* Put the full checksum into the payload: the new sum is 0xffff. */
	memcpy(pl, super + 26, 2);
	len = build(super, &s, CS_PARTIAL);
	check_none(&s, len, 6);
	assert_int_equal(be16(outbuf + HEADROOM + 26), 0xffff);
	assert_int_equal(do_segment(&(struct virtio_net_hdr){ 0 }, len), 1);
	s.plen = 2 * 32;
	len = build(super, &s, CS_PARTIAL);
	check_split(&s, 64, 1);
	assert_int_equal(be16(outbuf + HEADROOM + 26), 0xffff);
}

struct bad_case {
	const char *what;
	void (*mutate)(struct virtio_net_hdr *vh, uint8_t *p, size_t *len);
	int err;
};

static void m_hdr_len(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	v->hdr_len = htole16((uint16_t)(*l + 1));
}

static void m_cstart(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	v->csum_start = htole16(24);
}

static void m_cstart_far(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	v->csum_start = htole16(60000);
}

static void m_coff(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	v->csum_offset = htole16(6);
}

static void m_gso0(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	v->gso_size = 0;
}

static void m_v6type(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	v->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
}

static void m_ufo(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	v->gso_type = VIRTIO_NET_HDR_GSO_UDP;
}

static void m_udp4type(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	v->gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
}

static void m_badtype(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	v->gso_type = 2;
}

static void m_nonip(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	p[0] = 0x55;
}

static void m_v6pkt(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	p[0] = 0x65; /* TCPV4 type, version 6 packet (too short a v6 hdr) */
}

static void m_ihl(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	p[0] = 0x44;
}

static void m_frag(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	p[6] = 0x20; /* MF */
}

static void m_proto(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	p[9] = P_UDP;
}

static void m_doff_small(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	p[32] = 0x40;
}

static void m_doff_big(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	p[32] = 0xf0; /* 60-byte TCP header but only 52 + 20 bytes */
	*l = 80;
}

static void m_short(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	*l = 30; /* TCP header cut */
}

static void m_nopayload(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	*l = 52;
}

static void m_ecn_udp(struct virtio_net_hdr *v, uint8_t *p, size_t *l)
{
	v->gso_type = VIRTIO_NET_HDR_GSO_UDP_L4 | VIRTIO_NET_HDR_GSO_ECN;
	p[9] = P_UDP;
}

static const struct bad_case bad_cases[] = {
	{ "hdr_len beyond len", m_hdr_len, -EINVAL },
	{ "csum_start != L4 offset", m_cstart, -EINVAL },
	{ "csum_start beyond len", m_cstart_far, -EINVAL },
	{ "csum_offset not TCP's", m_coff, -EINVAL },
	{ "gso_size 0", m_gso0, -EINVAL },
	{ "TCPV6 type on IPv4", m_v6type, -EINVAL },
	{ "UFO", m_ufo, -EINVAL },
	{ "UDP_L4 on TCP", m_udp4type, -EINVAL },
	{ "unknown gso_type", m_badtype, -EINVAL },
	{ "not IP", m_nonip, -EINVAL },
	{ "version 6 under TCPV4", m_v6pkt, -EINVAL },
	{ "IHL 16", m_ihl, -EINVAL },
	{ "fragment", m_frag, -EINVAL },
	{ "protocol UDP under TCPV4", m_proto, -EINVAL },
	{ "data offset < 5", m_doff_small, -EINVAL },
	{ "data offset past end", m_doff_big, -EINVAL },
	{ "truncated TCP header", m_short, -EINVAL },
	{ "GSO without payload", m_nopayload, -EINVAL },
	{ "ECN with UDP_L4", m_ecn_udp, -EINVAL },
};

static void test_seg_malformed(void **state)
{
	struct spec s = tcp_spec(4);
	size_t i, len;

	s.plen = 3000;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); ++i) {
		struct virtio_net_hdr vh = gso_vh(&s, 1000);
		int rc;

		len = build(super, &s, CS_PARTIAL);
		bad_cases[i].mutate(&vh, super, &len);
		rc = do_segment(&vh, len);
		if (rc != bad_cases[i].err)
			fail_msg("%s: got %d, want %d", bad_cases[i].what, rc,
				 bad_cases[i].err);
	}
}

/*
 * After a refused packet the iterator has no segment, even when it never
 * had a packet: offload_seg_next() must say so before touching its pointer
 * (it computed NULL + 0 first, which UBSan rejects; found by fuzz_offload).
 */
static void test_seg_next_after_refusal(void **state)
{
	struct offload_seg_iter it;
	struct virtio_net_hdr vh = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				     .gso_size = 100 };
	size_t l;

	memset(&it, 0, sizeof(it));
	assert_int_equal(offload_seg_begin(&it, &vh, NULL, 0, 4, 1500), -EINVAL);
	assert_null(offload_seg_next(&it, &l));
	memset(super, 0, 40);
	assert_int_equal(offload_seg_begin(&it, &vh, super, 10, 4, 1500), -EINVAL);
	assert_null(offload_seg_next(&it, &l));
}

/* IPv6 routing header with segments left; NONE with csum past the end. */
static void test_seg_malformed_more(void **state)
{
	struct spec s = tcp_spec(6);
	struct virtio_net_hdr vh;
	size_t len;

	s.ext6 = 8;
	s.plen = 1500;
	len = build(super, &s, CS_PARTIAL);
	vh = gso_vh(&s, 1000);
	super[6] = 43; /* routing header ... */
	super[43] = 1; /* ... with one segment left */
	assert_int_equal(do_segment(&vh, len), -EINVAL);
	super[6] = 44; /* fragment header */
	assert_int_equal(do_segment(&vh, len), -EINVAL);
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = htole16((uint16_t)(len - 1));
	vh.csum_offset = 0;
	assert_int_equal(do_segment(&vh, len), -EINVAL);
	vh.csum_start = htole16((uint16_t)(len - 2));
	assert_int_equal(do_segment(&vh, len), 1);
	vh.csum_offset = htole16(1);
	assert_int_equal(do_segment(&vh, len), -EINVAL);
	assert_int_equal(do_segment(&vh, 19), -EINVAL);
}

static void test_seg_limits(void **state)
{
	struct spec s = tcp_spec(4);
	struct virtio_net_hdr vh;
	size_t len;

	s.plen = 10 * 100;
	len = build(super, &s, CS_PARTIAL);
	vh = gso_vh(&s, 100);
	assert_int_equal(offload_segment(&vh, super, len, outbuf, STRIDE,
					 HEADROOM, 9, seg_lens), -E2BIG);
	assert_int_equal(offload_segment(&vh, super, len, outbuf, STRIDE,
					 HEADROOM, 10, seg_lens), 10);
	assert_int_equal(offload_segment(&vh, super, len, outbuf, STRIDE,
					 HEADROOM, 0, seg_lens), -E2BIG);
	/* Each segment is 152 bytes: stride - headroom must hold it. */
	assert_int_equal(offload_segment(&vh, super, len, outbuf, 152 + 32,
					 32, 10, seg_lens), 10);
	assert_int_equal(offload_segment(&vh, super, len, outbuf, 151 + 32,
					 32, 10, seg_lens), -EMSGSIZE);
	assert_int_equal(offload_segment(&vh, super, len, outbuf, 32, 32,
					 10, seg_lens), -EINVAL);
	memset(&vh, 0, sizeof(vh));
	assert_int_equal(offload_segment(&vh, super, len, outbuf, 500, 0, 1,
					 seg_lens), -EMSGSIZE);
}

/*
 * Random corruption of header bytes and vnet fields on an exact-size heap
 * copy (so valgrind/ASan see any over-read): never a crash, never a byte
 * written outside [headroom, headroom + seg_len) of each slot.
 */
static void check_fuzz_output(int n, size_t room)
{
	static uint8_t a5[STRIDE];
	size_t i, used;

	memset(a5, 0xa5, sizeof(a5));
	for (i = 0; i < MAXSEG; ++i) {
		const uint8_t *slot = outbuf + i * STRIDE;

		used = n > 0 && i < (size_t)n ? seg_lens[i] : 0;
		assert_true(used <= room);
		assert_memory_equal(slot, a5, HEADROOM);
		assert_memory_equal(slot + HEADROOM + used, a5,
				    STRIDE - HEADROOM - used);
	}
}

static void test_seg_fuzz(void **state)
{
	struct spec s = tcp_spec(4);
	int iter;

	srand(4242);
	for (iter = 0; iter < 1500; ++iter) {
		struct virtio_net_hdr vh;
		size_t len, k;
		uint8_t *copy;
		int n;

		s.ver = iter & 1 ? 6 : 4;
		s.proto = iter & 2 ? P_UDP : P_TCP;
		s.plen = (size_t)rand() % 6000;
		len = build(super, &s, CS_PARTIAL);
		vh = gso_vh(&s, 1 + (size_t)rand() % 1500);
		for (k = 0; k < 4; ++k)
			super[(size_t)rand() % 80] = (uint8_t)rand();
		((uint8_t *)&vh)[rand() % 10] ^= (uint8_t)(1 << (rand() % 8));
		len = len > 100 && rand() % 4 == 0 ? (size_t)rand() % len : len;
		copy = malloc(len ? len : 1);
		memcpy(copy, super, len);
		memset(outbuf, 0xa5, sizeof(outbuf));
		n = offload_segment(&vh, copy, len, outbuf, STRIDE, HEADROOM,
				    MAXSEG, seg_lens);
		assert_true(n == -EINVAL || n == -E2BIG || n == -EMSGSIZE ||
			    (n >= 1 && n <= MAXSEG));
		check_fuzz_output(n, STRIDE - HEADROOM);
		free(copy);
	}
}

/* ---- checksum helpers --------------------------------------------------- */

static void test_csum_helpers(void **state)
{
	uint8_t buf[301];
	size_t len, off;
	uint16_t c, w, nw;

	for (len = 0; len < sizeof(buf); ++len)
		buf[len] = (uint8_t)(len * 37 + 11);
	for (len = 0; len <= sizeof(buf); len += 1)
		for (off = 0; off < 3 && off <= len; off += 2) {
			uint32_t s = offload_csum_partial(buf, off, 0);

			s = offload_csum_partial(buf + off, len - off, s);
			c = offload_csum_fold(s);
			assert_int_equal(be16((uint8_t *)&c),
					 (uint16_t)~ref_fold(ref_sum(buf, len, 0)));
		}
	/* RFC 1624 incremental update equals recomputation. */
	memset(buf, 0, 20);
	buf[0] = 0x45, buf[2] = 0x05, buf[8] = 64, buf[9] = 6;
	c = offload_csum_fold(offload_csum_partial(buf, 20, 0));
	memcpy(&w, buf + 2, 2);
	buf[2] = 0xff, buf[3] = 0xd7;
	memcpy(&nw, buf + 2, 2);
	c = offload_csum_replace16(c, w, nw);
	assert_int_equal(be16((uint8_t *)&c),
			 (uint16_t)~ref_fold(ref_sum(buf, 20, 0)));
	/* RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 -> ddf2. */
	memcpy(buf, "\x00\x01\xf2\x03\xf4\xf5\xf6\xf7", 8);
	c = (uint16_t)~offload_csum_fold(offload_csum_partial(buf, 8, 0));
	assert_int_equal(be16((uint8_t *)&c), 0xddf2);
}

/* ---- coalescing --------------------------------------------------------- */

#define POOL 300

static uint8_t pool[POOL][STRIDE];
static struct offload_pkt pin[POOL];
static struct offload_out pout[POOL];
static uint8_t scratch[POOL * STRIDE];
static size_t npin;

static void add_pkt(const struct spec *s, enum cs cs)
{
	assert_true(npin < POOL);
	pin[npin].data = pool[npin];
	pin[npin].len = build(pool[npin], s, cs);
	npin++;
}

/* Adds segments [from, to) of flow s split at mss. */
static void add_segs(const struct spec *s, size_t mss, size_t from,
		     size_t to)
{
	size_t nseg = (s->plen + mss - 1) / mss, i;

	for (i = from; i < to; ++i) {
		struct spec e = seg_spec(s, mss, i, nseg);

		add_pkt(&e, CS_FULL);
	}
}

static struct offload_out pout_iov[POOL];
static struct iovec piov[POOL];
static uint8_t flat[OFFLOAD_MAX_PACKET + 64];

/* What writev() of output o of offload_gro_batch_iov() puts on the tun
 * after the vnet header: its data, then its payload iovecs. */
static size_t flatten(const struct offload_out *o)
{
	size_t len = o->len, k;

	assert_true(len <= sizeof(flat));
	memcpy(flat, o->data, len);
	for (k = 0; k < o->npay; ++k) {
		const struct iovec *v = &piov[o->pay + k];

		assert_true(o->pay + k < POOL);
		assert_true(v->iov_len <= sizeof(flat) - len);
		memcpy(flat + len, v->iov_base, v->iov_len);
		len += v->iov_len;
	}
	return len;
}

/*
 * Every coalescing test runs both ways: offload_gro_batch() building in
 * scratch and offload_gro_batch_iov() pointing at the inputs must give
 * the same outputs, byte for byte (the lanes write the latter).
 */
static unsigned int gro_flags;	/* what gro() passes */

static int gro(void)
{
	int n = offload_gro_batch(pin, npin, scratch, sizeof(scratch), pout,
				  POOL, gro_flags);
	int m = offload_gro_batch_iov(pin, npin, piov, POOL, pout_iov, POOL,
				      gro_flags);

	assert_int_equal(m, n);
	for (int o = 0; o < n; ++o) {
		assert_memory_equal(&pout_iov[o].vh, &pout[o].vh,
				    sizeof(pout[o].vh));
		assert_int_equal(pout_iov[o].segs, pout[o].segs);
		assert_int_equal(pout[o].npay, 0);
		assert_int_equal(pout_iov[o].npay > 0, pout[o].segs > 1);
		assert_int_equal(flatten(&pout_iov[o]), pout[o].len);
		assert_memory_equal(flat, pout[o].data, pout[o].len);
	}
	return n;
}

/* Output o is input packet i passed through, with these flags. */
static void expect_single(size_t o, size_t i, uint8_t flags)
{
	struct virtio_net_hdr zero = { .flags = flags };

	assert_ptr_equal(pout[o].data, pin[i].data);
	assert_int_equal(pout[o].len, pin[i].len);
	assert_int_equal(pout[o].segs, 1);
	assert_memory_equal(&pout[o].vh, &zero, sizeof(zero));
}

/* Output o is the super-packet of segments [from, to) of s at mss. */
static void expect_super(size_t o, const struct spec *s, size_t mss,
			 size_t from, size_t to)
{
	size_t nseg = (s->plen + mss - 1) / mss;
	struct spec a = seg_spec(s, mss, from, nseg);
	struct spec z = seg_spec(s, mss, to - 1, nseg);
	struct virtio_net_hdr vh;
	size_t len;

	a.plen = (size_t)(z.pl - a.pl) + z.plen;
	a.flags |= z.flags & F_PSH;
	len = build(super, &a, CS_PARTIAL);
	vh = gso_vh(&a, mss);
	assert_int_equal(pout[o].segs, to - from);
	assert_int_equal(pout[o].len, len);
	assert_memory_equal(pout[o].data, super, len);
	assert_memory_equal(&pout[o].vh, &vh, sizeof(vh));
}

static void roundtrip(const struct spec *s, size_t mss)
{
	size_t len = build(super, s, CS_PARTIAL), i, n;
	struct virtio_net_hdr vh = gso_vh(s, mss);
	static uint8_t orig[BIG];

	memcpy(orig, super, len);
	n = (size_t)do_segment(&vh, len);
	assert_true(n >= 1 && n <= MAXSEG);
	for (i = 0; i < n; ++i) {
		pin[i].data = outbuf + i * STRIDE + HEADROOM;
		pin[i].len = seg_lens[i];
	}
	npin = n;
	assert_int_equal(gro(), 1);
	if (n == 1) {
		expect_single(0, 0, VIRTIO_NET_HDR_F_DATA_VALID);
		return;
	}
	assert_int_equal(pout[0].len, len);
	assert_memory_equal(pout[0].data, orig, len);
	assert_memory_equal(&pout[0].vh, &vh, sizeof(vh));
	assert_int_equal(pout[0].segs, n);
}

static void test_gro_roundtrip(void **state)
{
	struct spec s = tcp_spec(4);

	s.flags = F_ACK | F_PSH;
	s.plen = 20 * 1448 + 100;
	roundtrip(&s, 1448);
	s.flags = F_ACK;
	s.plen = 44 * 1448;
	roundtrip(&s, 1448);
	s = tcp_spec(6);
	s.flags = F_ACK | F_PSH;
	s.plen = 10 * 1428 + 1;
	roundtrip(&s, 1428);
	s.opts = 0;
	s.plen = 3 * 1440;
	roundtrip(&s, 1440);
}

static struct spec flow_b(void)
{
	struct spec b = tcp_spec(6);

	b.sport = 50000;
	b.seq = 1000;
	b.plen = 3 * 1200;
	b.flags = F_ACK | F_PSH;
	return b;
}

/* A1 B1 U A2 B2 I A3 B3 -> A(1-3) B(1-3) U I. */
static void test_gro_mixed_flows(void **state)
{
	struct spec a = tcp_spec(4), b = flow_b(), u = tcp_spec(4);
	struct spec icmp = tcp_spec(4);
	size_t i;

	a.plen = 3 * 1000;
	u.proto = P_UDP, u.plen = 100;
	icmp.proto = P_ICMP, icmp.plen = 56;
	npin = 0;
	for (i = 0; i < 3; ++i) {
		add_segs(&a, 1000, i, i + 1);
		add_segs(&b, 1200, i, i + 1);
		if (i == 0)
			add_pkt(&u, CS_FULL);
		if (i == 1)
			add_pkt(&icmp, CS_FULL);
	}
	assert_int_equal(gro(), 4);
	expect_super(0, &a, 1000, 0, 3);
	expect_super(1, &b, 1200, 0, 3);
	expect_single(2, 2, 0);
	expect_single(3, 5, 0);
}

/* A sequence gap ends a group; the next segment starts another. */
static void test_gro_seq_gap(void **state)
{
	struct spec a = tcp_spec(4);

	a.plen = 6 * 1000;
	npin = 0;
	add_segs(&a, 1000, 0, 2);
	add_segs(&a, 1000, 3, 6);
	assert_int_equal(gro(), 2);
	expect_super(0, &a, 1000, 0, 2);
	expect_super(1, &a, 1000, 3, 6);
	/* Out of order (retransmission shape): 0 2 1 -> three singles. */
	npin = 0;
	add_segs(&a, 1000, 0, 1);
	add_segs(&a, 1000, 2, 3);
	add_segs(&a, 1000, 1, 2);
	assert_int_equal(gro(), 3);
	for (size_t i = 0; i < 3; ++i)
		expect_single(i, i, VIRTIO_NET_HDR_F_DATA_VALID);
}

/* Segment 2 differs in one TCP field: groups [0,1] and [2,3]. */
static void check_split_at_2(const struct spec *a, const struct spec *b)
{
	npin = 0;
	add_segs(a, 1000, 0, 2);
	add_segs(b, 1000, 2, 4);
	assert_int_equal(gro(), 2);
	expect_super(0, a, 1000, 0, 2);
	expect_super(1, b, 1000, 2, 4);
}

static void test_gro_tcp_fields_differ(void **state)
{
	struct spec a = tcp_spec(4), b;

	a.plen = 4 * 1000;
	b = a, b.ack += 1;
	check_split_at_2(&a, &b);
	b = a, b.tsval += 1;
	check_split_at_2(&a, &b);
	b = a, b.win += 1;
	check_split_at_2(&a, &b);
	b = a, b.opts = 0;	/* header length differs */
	check_split_at_2(&a, &b);
	b = a, b.ttl = 63;
	check_split_at_2(&a, &b);
	b = a, b.tos = 1;	/* ECT(1)/CE marking differs */
	check_split_at_2(&a, &b);
	b = a, b.df = false;
	check_split_at_2(&a, &b);
	a.ver = 6;
	b = a, b.flow = 7;
	check_split_at_2(&a, &b);
	b = a, b.ttl = 1;
	check_split_at_2(&a, &b);
	b = a, b.tos = 0x20;
	check_split_at_2(&a, &b);
}

/* PSH ends a group; any other flag makes the packet a single. */
static void test_gro_flags(void **state)
{
	static const uint8_t odd[] = { F_SYN | F_ACK, F_FIN | F_ACK, F_RST |
				       F_ACK, F_URG | F_ACK, F_ECE | F_ACK,
				       F_CWR | F_ACK, 0, F_PSH };
	struct spec a = tcp_spec(4), m;
	size_t i;

	a.plen = 5 * 1000;
	a.flags = F_ACK | F_PSH; /* PSH lands on segment 4 */
	npin = 0;
	add_segs(&a, 1000, 0, 5);
	add_segs(&a, 1000, 0, 2); /* a new group after the PSH one */
	assert_int_equal(gro(), 2);
	expect_super(0, &a, 1000, 0, 5);
	for (i = 0; i < sizeof(odd); ++i) {
		npin = 0;
		a.flags = F_ACK;
		add_segs(&a, 1000, 0, 2);
		m = seg_spec(&a, 1000, 2, 5), m.flags = odd[i];
		add_pkt(&m, CS_FULL);
		add_segs(&a, 1000, 3, 5);
		assert_int_equal(gro(), 3);
		expect_super(0, &a, 1000, 0, 2);
		expect_single(1, 2, VIRTIO_NET_HDR_F_DATA_VALID);
		expect_super(2, &a, 1000, 3, 5);
	}
	/* AccECN's AE bit (RFC 3540's old NS) also keeps them singles. */
	npin = 0;
	a.res = 1;
	add_segs(&a, 1000, 0, 2);
	assert_int_equal(gro(), 2);
	expect_single(0, 0, VIRTIO_NET_HDR_F_DATA_VALID);
	expect_single(1, 1, VIRTIO_NET_HDR_F_DATA_VALID);
}

/* A short segment ends a group; a larger one cannot follow a smaller. */
static void test_gro_sizes(void **state)
{
	struct spec a = tcp_spec(6);

	a.plen = 2 * 1000 + 500;
	npin = 0;
	add_segs(&a, 1000, 0, 3);
	a.seq += 2500, a.plen = 2000;
	add_segs(&a, 1000, 0, 2);
	assert_int_equal(gro(), 2);
	a.seq -= 2500, a.plen = 2500;
	expect_super(0, &a, 1000, 0, 3);
	a.seq += 2500, a.plen = 2000;
	expect_super(1, &a, 1000, 0, 2);
	/* 500 then 1000: no merge; 1000 becomes the head of a new group. */
	npin = 0;
	a.plen = 1500;
	add_segs(&a, 500, 0, 1);
	a.seq += 500, a.plen = 1000;
	add_segs(&a, 1000, 0, 1);
	assert_int_equal(gro(), 2);
	expect_single(0, 0, VIRTIO_NET_HDR_F_DATA_VALID);
	expect_single(1, 1, VIRTIO_NET_HDR_F_DATA_VALID);
}

/* Bad TCP checksum: passed through unmerged, flags 0, group split. */
static void test_gro_bad_csum(void **state)
{
	struct spec a = tcp_spec(4), m;

	a.plen = 4 * 1000;
	npin = 0;
	add_segs(&a, 1000, 0, 2);
	m = seg_spec(&a, 1000, 2, 4);
	add_pkt(&m, CS_BAD);
	add_segs(&a, 1000, 3, 4);
	assert_int_equal(gro(), 3);
	expect_super(0, &a, 1000, 0, 2);
	expect_single(1, 2, 0);
	expect_single(2, 3, VIRTIO_NET_HDR_F_DATA_VALID);
	/* Bad IPv4 header checksum: not merged either. */
	npin = 0;
	add_segs(&a, 1000, 0, 2);
	pool[1][11] ^= 1;
	assert_int_equal(gro(), 2);
}

/*
 * OFFLOAD_GRO_TRUSTED (the lanes: every input passed its Poly1305 tag):
 * no TCP checksum is computed, so a segment with a wrong one merges like
 * the others, and what is passed through (UDP here) says F_DATA_VALID.
 * The IPv4 header checksum still keeps a segment out of a group.
 */
static void test_gro_trusted(void **state)
{
	struct spec a = tcp_spec(4), m, u = tcp_spec(4);

	a.plen = 4 * 1000;
	u.proto = P_UDP;
	u.plen = 100;
	gro_flags = OFFLOAD_GRO_TRUSTED;
	npin = 0;
	add_segs(&a, 1000, 0, 2);
	m = seg_spec(&a, 1000, 2, 4);
	add_pkt(&m, CS_BAD);
	add_segs(&a, 1000, 3, 4);
	add_pkt(&u, CS_BAD);
	assert_int_equal(gro(), 2);
	expect_super(0, &a, 1000, 0, 4);
	expect_single(1, 4, VIRTIO_NET_HDR_F_DATA_VALID);
	npin = 0;
	add_segs(&a, 1000, 0, 2);
	pool[1][11] ^= 1;
	assert_int_equal(gro(), 2);
	expect_single(1, 1, VIRTIO_NET_HDR_F_DATA_VALID);
	/* Untrusted, the same UDP packet leaves its checksum to the kernel. */
	gro_flags = 0;
	npin = 0;
	add_pkt(&u, CS_BAD);
	assert_int_equal(gro(), 1);
	expect_single(0, 0, 0);
}

/* No super-packet beyond 65535 bytes of IP length. */
static void test_gro_64k(void **state)
{
	struct spec a = tcp_spec(4);
	size_t per = (65535 - 52) / 1448; /* 45 segments fit */

	a.plen = 50 * 1448;
	npin = 0;
	add_segs(&a, 1448, 0, 50);
	assert_int_equal(gro(), 2);
	expect_super(0, &a, 1448, 0, per);
	expect_super(1, &a, 1448, per, 50);
	assert_true(pout[0].len <= 65535);
}

/* IPv6 extension headers / IPv4 options: pass through, split groups. */
static void test_gro_ip_options(void **state)
{
	struct spec a = tcp_spec(6), m;

	a.plen = 4 * 1000;
	npin = 0;
	add_segs(&a, 1000, 0, 2);
	m = seg_spec(&a, 1000, 2, 4), m.ext6 = 8;
	add_pkt(&m, CS_FULL);
	add_segs(&a, 1000, 3, 4);
	assert_int_equal(gro(), 3);
	expect_super(0, &a, 1000, 0, 2);
	expect_single(1, 2, VIRTIO_NET_HDR_F_DATA_VALID);
	expect_single(2, 3, VIRTIO_NET_HDR_F_DATA_VALID);
	a.ver = 4;
	npin = 0;
	add_segs(&a, 1000, 0, 2);
	m = seg_spec(&a, 1000, 2, 4), m.ip4opt = 4;
	add_pkt(&m, CS_FULL);
	add_segs(&a, 1000, 3, 4);
	assert_int_equal(gro(), 3);
	expect_single(1, 2, VIRTIO_NET_HDR_F_DATA_VALID);
}

/* WireGuard pads plaintext to 16 bytes: the IP length rules. */
static void test_gro_padding(void **state)
{
	struct spec a = tcp_spec(4);
	size_t i;

	a.plen = 3 * 999;
	npin = 0;
	add_segs(&a, 999, 0, 3);
	for (i = 0; i < 3; ++i)
		pin[i].len += 13;
	assert_int_equal(gro(), 1);
	expect_super(0, &a, 999, 0, 3);
}

/* Too little scratch: the group goes out unmerged, in order. */
static void test_gro_scratch_small(void **state)
{
	struct spec a = tcp_spec(4);
	size_t i;
	int n;

	a.plen = 4 * 1000;
	npin = 0;
	add_segs(&a, 1000, 0, 4);
	n = offload_gro_batch(pin, npin, scratch, 4000, pout, POOL, 0);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; ++i)
		expect_single(i, i, VIRTIO_NET_HDR_F_DATA_VALID);
	n = offload_gro_batch(pin, npin, scratch, 4 * 52 + 4000, pout, POOL, 0);
	assert_int_equal(n, 1);
	expect_super(0, &a, 1000, 0, 4);
	assert_int_equal(offload_gro_batch(pin, npin, NULL, 0, pout, POOL, 0), 4);
	/* The same for too few iovecs: 3 cannot take a group of 4. */
	n = offload_gro_batch_iov(pin, npin, piov, 3, pout_iov, POOL, 0);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; ++i)
		assert_int_equal(pout_iov[i].npay, 0);
	assert_int_equal(offload_gro_batch_iov(pin, npin, NULL, 0, pout_iov,
					       POOL, 0), 4);
	assert_int_equal(offload_gro_batch_iov(pin, npin, piov, 4, pout_iov,
					       POOL, 0), 1);
	assert_int_equal(pout_iov[0].npay, 4);
}

static void test_gro_args(void **state)
{
	struct spec a = tcp_spec(4);

	a.plen = 2000;
	npin = 0;
	add_segs(&a, 1000, 0, 2);
	assert_int_equal(offload_gro_batch(pin, 2, scratch, sizeof(scratch),
					   pout, 1, 0), -E2BIG);
	assert_int_equal(offload_gro_batch(NULL, 2, scratch, sizeof(scratch),
					   pout, 2, 0), -EINVAL);
	assert_int_equal(offload_gro_batch(pin, 2, scratch, sizeof(scratch),
					   NULL, 2, 0), -EINVAL);
	assert_int_equal(offload_gro_batch(NULL, 0, NULL, 0, NULL, 0, 0), 0);
	assert_int_equal(offload_gro_batch_iov(pin, 2, piov, POOL, pout_iov, 1, 0),
			 -E2BIG);
	assert_int_equal(offload_gro_batch_iov(NULL, 2, piov, POOL, pout_iov,
					       2, 0), -EINVAL);
	assert_int_equal(offload_gro_batch_iov(NULL, 0, NULL, 0, NULL, 0, 0), 0);
}

/* Batches longer than OFFLOAD_GRO_MAX_BATCH: slices, never merged across. */
static void test_gro_long_batch(void **state)
{
	struct spec a = tcp_spec(4);

	a.plen = 200 * 100;
	npin = 0;
	add_segs(&a, 100, 0, 200);
	assert_int_equal(gro(), 2);
	expect_super(0, &a, 100, 0, OFFLOAD_GRO_MAX_BATCH);
	expect_super(1, &a, 100, OFFLOAD_GRO_MAX_BATCH, 200);
}

/* Random bytes and truncations go through untouched (and no over-read). */
static void test_gro_garbage(void **state)
{
	struct spec a = tcp_spec(4);
	uint8_t *heap[64];
	size_t i, j;
	int n;

	srand(99);
	a.plen = 64 * 100;
	for (i = 0; i < 200; ++i) {
		npin = 0;
		add_segs(&a, 100, 0, 64);
		for (j = 0; j < 64; ++j) {
			size_t len = rand() % 3 ? pin[j].len :
				     (size_t)rand() % (pin[j].len + 1);

			pool[j][(size_t)rand() % 72] ^= (uint8_t)rand();
			heap[j] = malloc(len ? len : 1);
			memcpy(heap[j], pool[j], len);
			pin[j].data = heap[j];
			pin[j].len = len;
		}
		n = gro();
		assert_true(n >= 1 && n <= 64);
		for (j = 0; j < 64; ++j)
			free(heap[j]);
	}
}

/* ---- randomized differential tests -------------------------------------- */

static struct spec rand_spec(int ver)
{
	struct spec s = tcp_spec(ver);

	s.opts = rand() % 2 ? 12 : 0;
	s.seq = (uint32_t)rand() * 2654435761u;
	s.id = (uint16_t)rand();
	s.flags = rand() % 2 ? F_ACK | F_PSH : F_ACK;
	s.tsval = (uint32_t)rand();
	return s;
}

/* Random MSS and payload, both families: split then coalesce == original. */
static void test_roundtrip_random(void **state)
{
	int iter;

	srand(12345);
	for (iter = 0; iter < 400; ++iter) {
		struct spec s = rand_spec(iter % 2 ? 6 : 4);
		size_t hl = ip_hlen(&s) + l4_hlen(&s);
		size_t mss = 64 + (size_t)rand() % (1460 - 64);
		size_t maxp = 65535 - hl, cap = mss * OFFLOAD_GRO_MAX_BATCH;

		s.plen = 1 + (size_t)rand() % (maxp < cap ? maxp : cap);
		if (s.plen / mss + 1 > MAXSEG)
			continue;
		roundtrip(&s, mss);
	}
}

struct stream {
	struct spec s;
	size_t mss, nseg, next;
};

static uint8_t kinds[POOL];	/* which stream each input came from */

/* Interleaves the segments of 2 TCP flows and UDP, with random gaps. */
static void make_mix(struct stream *st)
{
	npin = 0;
	while (st[0].next < st[0].nseg || st[1].next < st[1].nseg) {
		int k = rand() % 5;
		struct stream *f = &st[k < 2 ? k : k == 2 ? 2 : k - 3];

		if (f == &st[2]) {
			f->s.sport = (uint16_t)rand();
			kinds[npin] = 2;
			add_pkt(&f->s, CS_FULL);
			continue;
		}
		if (f->next >= f->nseg)
			continue;
		if (rand() % 8 == 0)
			f->next++;	/* lost segment: a gap */
		if (f->next >= f->nseg)
			continue;
		kinds[npin] = (uint8_t)(f - st);
		add_segs(&f->s, f->mss, f->next, f->next + 1), f->next++;
	}
}

static size_t resegment(size_t o, uint8_t *dst, size_t *lens)
{
	int n = offload_segment(&pout[o].vh, pout[o].data, pout[o].len, dst,
				STRIDE, 0, MAXSEG, lens);

	assert_int_equal(n, pout[o].segs);
	return (size_t)n;
}

/*
 * Coalesce, then split every output again: for each stream the packets
 * come back byte for byte and in order; and a super-packet only ever
 * holds packets of one stream.
 */
static void check_mix_outputs(size_t nout)
{
	static uint8_t back[MAXSEG * STRIDE];
	static size_t blen[MAXSEG];
	size_t pos[3] = { 0, 0, 0 }, o, j, k, n, total = 0;

	for (o = 0; o < nout; ++o) {
		n = resegment(o, back, blen);
		total += n;
		for (j = 0; j < n; ++j) {
			const uint8_t *got = back + j * STRIDE;
			int kind = -1;

			for (k = 0; k < npin; ++k)
				if (pin[k].len == blen[j] &&
				    !memcmp(pin[k].data, got, blen[j]))
					kind = kinds[k];
			assert_true(kind >= 0);
			/* next unconsumed input of that stream must be it */
			while (kinds[pos[kind]] != kind)
				pos[kind]++;
			assert_memory_equal(pin[pos[kind]].data, got, blen[j]);
			pos[kind]++;
		}
	}
	assert_int_equal(total, npin);
}

static void test_mixed_random(void **state)
{
	int iter;

	srand(777);
	for (iter = 0; iter < 200; ++iter) {
		struct stream st[3] = { { .s = rand_spec(4) },
					{ .s = rand_spec(6) },
					{ .s = tcp_spec(4) } };
		size_t i;
		int n;

		for (i = 0; i < 2; ++i) {
			st[i].mss = 200 + (size_t)rand() % 1200;
			st[i].s.plen = 1 + (size_t)rand() % (40 * st[i].mss);
			st[i].nseg = (st[i].s.plen + st[i].mss - 1) / st[i].mss;
		}
		st[1].s.sport = 60000;
		st[2].s.proto = P_UDP, st[2].s.plen = 33;
		make_mix(st);
		n = gro();
		assert_true(n >= 1 && (size_t)n <= npin);
		check_mix_outputs((size_t)n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csum_helpers),
		cmocka_unit_test(test_seg_tcp4),
		cmocka_unit_test(test_seg_tcp6),
		cmocka_unit_test(test_seg_ip_options),
		cmocka_unit_test(test_seg_odd_sizes),
		cmocka_unit_test(test_seg_hdr_len_loose),
		cmocka_unit_test(test_seg_uso),
		cmocka_unit_test(test_seg_none),
		cmocka_unit_test(test_seg_next_after_refusal),
		cmocka_unit_test(test_seg_udp_zero_csum),
		cmocka_unit_test(test_csum_rfc1071),
		cmocka_unit_test(test_seg_malformed),
		cmocka_unit_test(test_seg_malformed_more),
		cmocka_unit_test(test_seg_limits),
		cmocka_unit_test(test_seg_fuzz),
		cmocka_unit_test(test_gro_roundtrip),
		cmocka_unit_test(test_gro_mixed_flows),
		cmocka_unit_test(test_gro_seq_gap),
		cmocka_unit_test(test_gro_tcp_fields_differ),
		cmocka_unit_test(test_gro_flags),
		cmocka_unit_test(test_gro_sizes),
		cmocka_unit_test(test_gro_bad_csum),
		cmocka_unit_test(test_gro_trusted),
		cmocka_unit_test(test_gro_64k),
		cmocka_unit_test(test_gro_ip_options),
		cmocka_unit_test(test_gro_padding),
		cmocka_unit_test(test_gro_scratch_small),
		cmocka_unit_test(test_gro_args),
		cmocka_unit_test(test_gro_long_batch),
		cmocka_unit_test(test_gro_garbage),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_mixed_random),
	};

	fill_payload();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
