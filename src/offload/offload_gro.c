// SPDX-License-Identifier: GPL-2.0-only
/*
 * TCP coalescing for the tun offload fast path (wire -> tun). See
 * offload.h for the contract of offload_gro_batch().
 *
 * All input is treated as hostile: a decrypted packet is controlled by
 * the peer. Every offset is checked against the buffer length before it
 * is dereferenced, and nothing is written outside the caller's buffers.
 */
#include "offload.h"
#include "offload_int.h"

#include <endian.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>

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

/* Where super-packets go: built in scratch, or as iovecs (iov != NULL). */
struct gro_sink {
	uint8_t *scratch;
	size_t scratch_len, soff;
	struct iovec *iov;
	size_t max_iov, niov;
};

struct gro_state {
	const struct offload_pkt *in;
	struct gro_sink *sink;
	bool trusted;		/* OFFLOAD_GRO_TRUSTED */
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

static void gro_parse(const struct offload_pkt *pkt, struct gro_info *g,
		      bool trusted)
{
	struct l3_info l3;
	size_t iplen, thl;
	const uint8_t *th;

	g->kind = GRO_OTHER;
	g->group = g->next = -1;
	g->csum_ok = false;
	if (offload_ip_parse(pkt->data, pkt->len, &l3) || l3.frag ||
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
	g->csum_ok = trusted || gro_tcp_csum_ok(pkt->data, g);
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
	if (s->info[i].csum_ok || s->trusted)
		o->vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	o->segs = 1;
	o->npay = 0;
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
		      struct gro_sink *k, struct offload_out *o)
{
	size_t off = (k->soff + 7) & ~(size_t)7;
	const struct gro_info *g;
	uint8_t *d, *w;
	int16_t j;

	if (off > k->scratch_len || k->scratch_len - off < grp->bytes)
		return false;
	d = k->scratch + off;
	memcpy(d, s->in[grp->head].data, s->info[grp->head].hlen);
	w = d + s->info[grp->head].hlen;
	for (j = grp->head; j >= 0; j = g->next) {
		g = &s->info[j];
		memcpy(w, s->in[j].data + g->hlen, g->plen);
		w += g->plen;
	}
	gro_finish(s, grp, d, o);
	o->segs = grp->count;
	o->npay = 0;
	o->data = d;
	o->len = grp->bytes;
	k->soff = off + grp->bytes;
	return true;
}

/* The same super-packet as headers in o->hdr plus payload iovecs: no
 * payload byte is copied (the tun copies them once, from the inputs). */
static bool gro_build_iov(const struct gro_state *s, struct gro_group *grp,
			  struct gro_sink *k, struct offload_out *o)
{
	const struct gro_info *g;
	size_t hlen = s->info[grp->head].hlen;
	int16_t j;

	if (k->max_iov - k->niov < grp->count || hlen > sizeof(o->hdr))
		return false;
	memcpy(o->hdr, s->in[grp->head].data, hlen);
	o->pay = (uint32_t)k->niov;
	for (j = grp->head; j >= 0; j = g->next) {
		g = &s->info[j];
		k->iov[k->niov].iov_base = (void *)(s->in[j].data + g->hlen);
		k->iov[k->niov++].iov_len = g->plen;
	}
	gro_finish(s, grp, o->hdr, o);
	o->segs = grp->count;
	o->npay = grp->count;
	o->data = o->hdr;
	o->len = hlen;
	return true;
}

/* Pass 2: outputs in input order, a group at its first segment's place. */
static size_t gro_emit(struct gro_state *s, struct offload_out *out)
{
	size_t i, nout = 0;

	for (i = 0; i < s->n; ++i) {
		int16_t gid = s->info[i].group;
		struct gro_group *grp = gid >= 0 ? &s->grp[gid] : NULL;

		if (grp && grp->count > 1) {
			if ((size_t)grp->head == i)
				grp->built = s->sink->iov ?
					gro_build_iov(s, grp, s->sink, &out[nout]) :
					gro_build(s, grp, s->sink, &out[nout]);
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
			size_t n, struct offload_out *out)
{
	size_t i;

	s->in = in;
	s->n = n;
	s->ngroups = s->nopen = 0;
	for (i = 0; i < n; ++i) {
		gro_parse(&in[i], &s->info[i], s->trusted);
		gro_track(s, i);
	}
	return gro_emit(s, out);
}

static int gro_batch(const struct offload_pkt *in, size_t n,
		     struct gro_sink *k, struct offload_out *out,
		     size_t max_out, unsigned int flags)
{
	struct gro_state s = { .sink = k,
			       .trusted = flags & OFFLOAD_GRO_TRUSTED };
	size_t base, chunk, nout = 0;

	if (n && (!in || !out))
		return -EINVAL;
	if (max_out < n)
		return -E2BIG;
	if (n > (size_t)INT32_MAX)
		return -EINVAL;
	for (base = 0; base < n; base += chunk) {
		chunk = n - base < OFFLOAD_GRO_MAX_BATCH ?
			n - base : OFFLOAD_GRO_MAX_BATCH;
		nout += gro_slice(&s, in + base, chunk, out + nout);
	}
	return (int)nout;
}

int offload_gro_batch(const struct offload_pkt *in, size_t n,
		      uint8_t *scratch, size_t scratch_len,
		      struct offload_out *out, size_t max_out,
		      unsigned int flags)
{
	struct gro_sink k = { .scratch = scratch,
			      .scratch_len = scratch ? scratch_len : 0 };

	return gro_batch(in, n, &k, out, max_out, flags);
}

int offload_gro_batch_iov(const struct offload_pkt *in, size_t n,
			  struct iovec *iov, size_t max_iov,
			  struct offload_out *out, size_t max_out,
			  unsigned int flags)
{
	struct gro_sink k = { .iov = iov, .max_iov = iov ? max_iov : 0 };
	static struct iovec none;

	/* A NULL array merges nothing, as a NULL scratch does. */
	if (!iov)
		k.iov = &none;
	return gro_batch(in, n, &k, out, max_out, flags);
}
