// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for src/offload: TSO/USO segmentation of what a tun
 * with a vnet header hands a lane (offload_segment), and TCP coalescing of
 * decrypted packets before they are written back (offload_gro_batch).
 *
 * Input byte 0 picks the entry point:
 *   even: segment (offload_segment, and the lane's in-place iterator
 *         offload_seg_begin/next compared with it byte for byte).
 *         Bytes 1-10 are the virtio_net_hdr, byte 11 the
 *         headroom, byte 12 the segment limit, bytes 13-14 extra room per
 *         segment, the rest the packet. Bit 1 of byte 0 passes the packet
 *         in place (pkt == out + headroom), as a lane does for GSO_NONE.
 *   odd:  coalesce. Bytes 1-2 scale the scratch area; then records (fuzz.h)
 *         whose payloads are the packets. Every output is then segmented
 *         again, as the peer's lane would cut it. Bit 1 of byte 0 gives
 *         each TCP packet valid checksums first.
 * Every buffer is allocated to its exact size, so ASan sees any byte read
 * or written outside it; the outputs are read in full for the same reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "offload.h"

#define MAX_PKTS OFFLOAD_GRO_MAX_BATCH

static volatile uint8_t sink;
static int debug;		/* TUNLANE_FUZZ_DEBUG=1: results, to check seeds */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	debug = getenv("TUNLANE_FUZZ_DEBUG") != NULL;
	return 0;
}

static void touch(const uint8_t *p, size_t len)
{
	uint8_t x = 0;

	for (size_t i = 0; i < len; i++)
		x ^= p[i];
	sink = x;
}

/*
 * The lane's in-place iterator (offload_seg_begin/next) on a copy of the
 * same packet must refuse what offload_segment() refused, with the same
 * error, and otherwise give the same segments byte for byte (headers too
 * long for it to keep aside are its own -EMSGSIZE).
 */
static void same_in_place(const struct virtio_net_hdr *vh, const uint8_t *pkt,
			  size_t len, size_t max_segs, size_t max_seg_len,
			  int n, const uint8_t *ref, size_t stride,
			  const size_t *lens)
{
	struct offload_seg_iter it;
	uint8_t *copy, *p;
	size_t l, i = 0;
	int m;

	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return;
	copy = malloc(len ? len : 1);
	memcpy(copy, pkt, len);
	m = offload_seg_begin(&it, vh, copy, len, max_segs, max_seg_len);
	if (m == -EMSGSIZE && n > 0 && it.hlen > OFFLOAD_SEG_HDR_MAX) {
		free(copy);
		return;
	}
	if (m != n)
		abort();
	while ((p = offload_seg_next(&it, &l))) {
		if (i >= (size_t)n || p < copy || p + l > copy + len ||
		    l != lens[i] || memcmp(p, ref + i * stride, l))
			abort();
		i++;
	}
	if (i != (n > 0 ? (size_t)n : 0))
		abort();
	free(copy);
}

static void segment(const struct virtio_net_hdr *vh, const uint8_t *pkt,
		    size_t len, size_t headroom, size_t max_segs, size_t room,
		    int in_place)
{
	size_t stride = headroom + room, *lens;
	uint8_t *out, *copy = NULL;
	int n;

	if (!max_segs || !stride)
		return;
	lens = calloc(max_segs, sizeof(*lens));
	out = malloc(max_segs * stride);
	if (!lens || !out)
		abort();
	if (in_place && len <= stride - headroom) {
		memcpy(out + headroom, pkt, len);
		pkt = out + headroom;
	} else {
		copy = malloc(len ? len : 1);
		memcpy(copy, pkt, len);
		pkt = copy;
	}
	n = offload_segment(vh, pkt, len, out, stride, headroom, max_segs, lens);
	same_in_place(vh, pkt, len, max_segs, stride - headroom, n, out + headroom,
		      stride, lens);
	if (debug)
		fprintf(stderr, "segment: gso_type %u, %zu bytes: %d\n",
			vh->gso_type, len, n);
	if (n > (int)max_segs)
		abort();
	for (int i = 0; i < n; i++) {
		if (lens[i] > stride - headroom)
			abort();
		touch(out + (size_t)i * stride + headroom, lens[i]);
	}
	free(copy);
	free(out);
	free(lens);
}

static void fuzz_segment(struct fuzz_in *in, int flags)
{
	struct virtio_net_hdr vh;
	size_t headroom, max_segs, room;

	if (in->left < sizeof(vh) + 4)
		return;
	memcpy(&vh, in->p, sizeof(vh));
	in->p += sizeof(vh);
	in->left -= sizeof(vh);
	headroom = (size_t)fuzz_u8(in);
	max_segs = (size_t)fuzz_u8(in) + 1;
	room = fuzz_u16(in);
	if (!room)
		room = vh.gso_size + 256;
	segment(&vh, in->p, in->left, headroom, max_segs, room, flags & 2);
}

/*
 * offload_gro_batch_iov() must write what offload_gro_batch() built, byte
 * for byte; where scratch was too small to merge a group, the iovec form
 * (which always has room) may merge it, so only outputs of the same
 * count are compared.
 */
static void gro_iov_same(const struct offload_pkt *pkts, size_t n,
			 const struct offload_out *ref, int nref,
			 unsigned int gflags)
{
	static struct offload_out out[MAX_PKTS];
	static struct iovec iov[MAX_PKTS];
	static uint8_t flat[OFFLOAD_MAX_PACKET + OFFLOAD_GRO_HDR_MAX];
	int got = offload_gro_batch_iov(pkts, n, iov, MAX_PKTS, out, MAX_PKTS,
					gflags);

	if (got < 0 ? got != nref : got > (int)n)
		abort();
	for (int i = 0; got == nref && i < got; i++) {
		size_t len = out[i].len;

		if (len > sizeof(flat) || out[i].segs != ref[i].segs ||
		    memcmp(&out[i].vh, &ref[i].vh, sizeof(out[i].vh)))
			abort();
		memcpy(flat, out[i].data, len);
		for (unsigned int k = 0; k < out[i].npay; k++) {
			const struct iovec *v = &iov[out[i].pay + k];

			if (v->iov_len > sizeof(flat) - len)
				abort();
			memcpy(flat + len, v->iov_base, v->iov_len);
			len += v->iov_len;
		}
		if (len != ref[i].len || memcmp(flat, ref[i].data, len))
			abort();
	}
}

/*
 * Gives a TCP packet (IPv4, or IPv6 without extension headers) valid IP
 * and TCP checksums: GRO merges only segments whose checksum verifies, and
 * a mutated payload almost never keeps one, so without this the fuzzer
 * would hardly get past that check.
 */
static void fix_checksums(uint8_t *p, size_t len)
{
	size_t l4off, l4len;
	uint32_t sum;
	uint16_t c;

	if (len >= 20 && p[0] >> 4 == 4 && p[9] == 6) {
		l4off = (size_t)(p[0] & 0xf) * 4;
		l4len = ((size_t)p[2] << 8 | p[3]);
		if (l4off < 20 || l4len > len || l4len < l4off + 20)
			return;
		l4len -= l4off;
		memset(p + 10, 0, 2);
		c = offload_csum_fold(offload_csum_partial(p, l4off, 0));
		memcpy(p + 10, &c, 2);
		sum = offload_csum_pseudo(p + 12, p + 16, 4, 6, (uint32_t)l4len);
	} else if (len >= 60 && p[0] >> 4 == 6 && p[6] == 6) {
		l4off = 40;
		l4len = (size_t)p[4] << 8 | p[5];
		if (l4len < 20 || l4off + l4len > len)
			return;
		sum = offload_csum_pseudo(p + 8, p + 24, 16, 6, (uint32_t)l4len);
	} else {
		return;
	}
	memset(p + l4off + 16, 0, 2);
	c = offload_csum_fold(offload_csum_partial(p + l4off, l4len, sum));
	memcpy(p + l4off + 16, &c, 2);
}

static void fuzz_gro(struct fuzz_in *in, int flags)
{
	struct offload_pkt pkts[MAX_PKTS];
	struct offload_out out[MAX_PKTS];
	uint8_t *copies[MAX_PKTS], *scratch;
	size_t n = 0, scratch_len = (size_t)fuzz_u16(in) * 4;
	const uint8_t *p;
	size_t len;
	int op, got;
	/* Bit 4: as the lanes call it, trusting authenticated packets. */
	unsigned int gflags = flags & 4 ? OFFLOAD_GRO_TRUSTED : 0;

	while (n < MAX_PKTS && fuzz_record(in, &op, &p, &len)) {
		copies[n] = malloc(len ? len : 1);
		memcpy(copies[n], p, len);
		if (flags & 2)
			fix_checksums(copies[n], len);
		pkts[n].data = copies[n];
		pkts[n++].len = len;
	}
	scratch = malloc(scratch_len ? scratch_len : 1);
	got = offload_gro_batch(pkts, n, scratch, scratch_len, out, MAX_PKTS,
				gflags);
	if (debug)
		fprintf(stderr, "gro: %zu packets: %d\n", n, got);
	if (got > (int)n)
		abort();
	for (int i = 0; i < got; i++) {
		if (out[i].len > OFFLOAD_MAX_PACKET)
			abort();
		touch(out[i].data, out[i].len);
		if (out[i].segs > 1)
			segment(&out[i].vh, out[i].data, out[i].len, 16,
				out[i].segs, out[i].vh.gso_size + 256, 0);
	}
	gro_iov_same(pkts, n, out, got, gflags);
	free(scratch);
	for (size_t i = 0; i < n; i++)
		free(copies[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	int mode = fuzz_u8(&in);

	if (mode < 0)
		return 0;
	if (mode & 1)
		fuzz_gro(&in, mode);
	else
		fuzz_segment(&in, mode);
	return 0;
}
