// SPDX-License-Identifier: GPL-2.0-only
/*
 * RFC 1071 Internet checksum helpers for the offload fast path (see
 * offload.h for the contract of each).
 */
#include "offload.h"
#include "offload_int.h"

#include <arpa/inet.h>

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

static uint32_t offload_csum_add(uint32_t a, uint32_t b)
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
