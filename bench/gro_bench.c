// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/gro_bench: what the receive side's TCP coalescing costs per
 * segment (offload_gro_batch_iov(), src/offload/offload_gro.c), with and
 * without OFFLOAD_GRO_TRUSTED, i.e. with and without computing each
 * segment's TCP checksum. The input is one IPv4 TCP flow (timestamps on)
 * cut by offload_segment() into full-size segments for a 1420-byte MTU,
 * as a lane decrypts them. Built by `make bench`; run build/bench/gro_bench
 * [segments, at most 64]. Prints ns of thread CPU time per segment, the
 * median of 31 rounds, the two ways in turn round by round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "offload.h"

#define ROUNDS 31
#define REPS   2000
#define MAXSEG 64
#define STRIDE 2048
#define HLEN   52		/* IPv4 20 + TCP 20 + timestamps 12 */
#define MSS    1368		/* 1420 - HLEN */

static uint8_t super[HLEN + MAXSEG * MSS], segs[MAXSEG * STRIDE];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A TSO super-packet as a tun hands it over, cut as a sender cuts it. */
static int make_segments(struct offload_pkt *in, size_t n)
{
	size_t len = HLEN + n * MSS, lens[MAXSEG];
	struct virtio_net_hdr vh = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		.hdr_len = HLEN, .gso_size = MSS,
		.csum_start = 20, .csum_offset = 16,
	};
	static const uint8_t hdr[HLEN] = {
		0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1,
		10, 0, 0, 2,					/* IPv4 */
		0x9c, 0x40, 0x14, 0x51, 0, 0, 0, 1, 0, 0, 0, 1,
		0x80, 0x10, 0x02, 0, 0, 0, 0, 0,		/* TCP, ACK */
		1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,		/* timestamps */
	};
	int k;

	memcpy(super, hdr, HLEN);
	super[2] = (uint8_t)(len >> 8);
	super[3] = (uint8_t)len;
	for (size_t i = HLEN; i < len; i++)
		super[i] = (uint8_t)(i * 7);
	k = offload_segment(&vh, super, len, segs, STRIDE, 0, MAXSEG, lens);
	for (int i = 0; i < k; i++) {
		in[i].data = segs + (size_t)i * STRIDE;
		in[i].len = lens[i];
	}
	return k;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static struct offload_out out[MAXSEG];
	static struct iovec iov[MAXSEG];
	struct offload_pkt in[MAXSEG];
	uint64_t t[2][ROUNDS];
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 46;
	int m[2] = { 0, 0 };

	if (n < 1 || n > MAXSEG || make_segments(in, n) != (int)n) {
		fprintf(stderr, "gro_bench: segments must be 1 to %d\n", MAXSEG);
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++)
		for (unsigned int f = 0; f < 2; f++) {
			unsigned int flags = f ? OFFLOAD_GRO_TRUSTED : 0;
			uint64_t t0 = now_ns();

			for (int j = 0; j < REPS; j++)
				m[f] = offload_gro_batch_iov(in, n, iov, MAXSEG,
							     out, MAXSEG, flags);
			t[f][r] = now_ns() - t0;
		}
	printf("%zu segments of %d payload bytes, %d rounds of %d batches\n",
	       n, MSS, ROUNDS, REPS);
	for (unsigned int f = 0; f < 2; f++) {
		qsort(t[f], ROUNDS, sizeof(t[f][0]), cmp_u64);
		printf("%-8s %d output(s)  %6.1f ns/segment  [%.1f-%.1f]\n",
		       f ? "trusted" : "verify", m[f],
		       (double)t[f][ROUNDS / 2] / REPS / (double)n,
		       (double)t[f][0] / REPS / (double)n,
		       (double)t[f][ROUNDS - 1] / REPS / (double)n);
	}
	return 0;
}
