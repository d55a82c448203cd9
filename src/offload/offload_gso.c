// SPDX-License-Identifier: GPL-2.0-only
/*
 * TSO/USO segmentation for the tun offload fast path (tun -> wire). See
 * offload.h for the contract of offload_segment().
 *
 * All input is treated as hostile: a tun read is controlled by any local
 * process that can send through the interface. Every offset is checked
 * against the buffer length before it is dereferenced, and nothing is
 * written outside the caller's segments.
 */
#include "offload.h"
#include "offload_int.h"

#include <endian.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>

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

	if (offload_ip_parse(c->pkt, c->len, &c->l3) || c->l3.frag ||
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

int offload_seg_begin(struct offload_seg_iter *it,
		      const struct virtio_net_hdr *vh, uint8_t *pkt,
		      size_t len, size_t max_segs, size_t max_seg_len)
{
	struct seg_ctx c = { .pkt = pkt, .len = len };
	size_t payload, first, nseg;
	int err;

	if (!it)
		return -EINVAL;
	it->next = it->nseg = it->hlen = 0;	/* a refused packet has none */
	if (!vh || !pkt || vh->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return -EINVAL;
	err = seg_parse(vh, &c);
	if (err)
		return err;
	payload = c.len - c.hlen;
	nseg = (payload + c.gso - 1) / c.gso;
	first = c.hlen + (payload < c.gso ? payload : c.gso);
	it->hlen = c.hlen;
	if (nseg > max_segs)
		return -E2BIG;
	if (first > max_seg_len || first > OFFLOAD_MAX_PACKET ||
	    c.hlen > sizeof(it->hdr))
		return -EMSGSIZE;
	it->pkt = pkt;
	it->len = len;
	it->gso = c.gso;
	it->l4off = c.l3.l4off;
	it->ver = c.l3.ver;
	it->proto = c.l3.proto;
	it->seq = c.seq;
	it->ip_id = c.ip_id;
	it->nseg = nseg;
	memcpy(it->hdr, pkt, c.hlen);
	return (int)nseg;
}

uint8_t *offload_seg_next(struct offload_seg_iter *it, size_t *len)
{
	struct seg_ctx c = { .pkt = it->pkt, .len = it->len, .hlen = it->hlen,
			     .gso = it->gso, .seq = it->seq,
			     .ip_id = it->ip_id };
	size_t i = it->next, off = i * it->gso, left, slen;
	uint8_t *d;

	/* Before any pointer arithmetic: after a refused packet, pkt may be
	 * NULL (and NULL + 0 is undefined behaviour in C). */
	if (i >= it->nseg)
		return NULL;
	d = it->pkt + off;
	it->next++;
	c.l3.l4off = it->l4off;
	c.l3.ver = it->ver;
	c.l3.proto = it->proto;
	left = it->len - it->hlen - off;
	slen = it->hlen + (left < it->gso ? left : it->gso);
	memcpy(d, it->hdr, it->hlen);
	seg_fix_ip(&c, d, slen, i);
	seg_fix_l4(&c, d, slen, i, it->nseg);
	*len = slen;
	return d;
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
