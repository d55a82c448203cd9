// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests for the cryptokey routing trie (src/allowedips.c): hand-written
 * cases, fixed cases carried over from the WireGuard kernel module's
 * allowedips selftest (drivers/net/wireguard/selftest/allowedips.c), and a
 * seeded randomized differential test against a naive linear table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <cmocka.h>

#include "allowedips.h"

#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
#include <malloc.h>
#define HAVE_MALLINFO2 1
#endif

/* Peers are opaque to the trie; distinct addresses are all it needs. */
static char peer_store[16];
#define P(i) ((void *)&peer_store[i])
#define NPEERS 8

static const uint8_t *ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	static uint8_t buf[4];

	buf[0] = a;
	buf[1] = b;
	buf[2] = c;
	buf[3] = d;
	return buf;
}

static const uint8_t *ip6(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	static uint8_t buf[16];
	const uint32_t w[4] = { a, b, c, d };
	int i;

	for (i = 0; i < 16; ++i)
		buf[i] = (uint8_t)(w[i / 4] >> (24 - 8 * (i % 4)));
	return buf;
}

#define INS4(t, p, a, b, c, d, cidr)                                   \
	assert_int_equal(                                              \
		allowedips_insert(t, AF_INET, ip4(a, b, c, d), cidr, p), 0)
#define INS6(t, p, a, b, c, d, cidr)                                   \
	assert_int_equal(                                              \
		allowedips_insert(t, AF_INET6, ip6(a, b, c, d), cidr, p), 0)
#define LOOK4(t, a, b, c, d) allowedips_lookup(t, AF_INET, ip4(a, b, c, d))
#define LOOK6(t, a, b, c, d) allowedips_lookup(t, AF_INET6, ip6(a, b, c, d))
/* Lookup of the address must give peer number i. */
#define IS4(t, i, a, b, c, d) assert_ptr_equal(LOOK4(t, a, b, c, d), P(i))
#define IS6(t, i, a, b, c, d) assert_ptr_equal(LOOK6(t, a, b, c, d), P(i))

/* Collects walk output. */
struct seen {
	int n;
	int family[64];
	uint8_t addr[64][16];
	uint8_t cidr[64];
};

static int collect(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	struct seen *s = arg;

	assert_true(s->n < 64);
	s->family[s->n] = family;
	memset(s->addr[s->n], 0, 16);
	memcpy(s->addr[s->n], addr, family == AF_INET ? 4 : 16);
	s->cidr[s->n] = cidr;
	s->n++;
	return 0;
}

static bool seen_has(const struct seen *s, int family, const uint8_t *addr,
		     uint8_t cidr)
{
	int i;

	for (i = 0; i < s->n; ++i)
		if (s->family[i] == family && s->cidr[i] == cidr &&
		    !memcmp(s->addr[i], addr, family == AF_INET ? 4 : 16))
			return true;
	return false;
}

static void walk_peer(const struct allowedips *t, void *peer, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(allowedips_walk_by_peer(t, peer, collect, s), 0);
}

static void test_basic_v4(void **state)
{
	struct allowedips t;

	allowedips_init(&t);
	assert_null(LOOK4(&t, 10, 0, 0, 1));
	INS4(&t, P(0), 10, 0, 0, 0, 8);
	assert_ptr_equal(LOOK4(&t, 10, 0, 0, 1), P(0));
	assert_ptr_equal(LOOK4(&t, 10, 255, 255, 255), P(0));
	assert_null(LOOK4(&t, 11, 0, 0, 0));
	assert_null(LOOK4(&t, 9, 255, 255, 255));
	/* v4 entries must not leak into the v6 table. */
	assert_null(LOOK6(&t, 0x0a000000, 0, 0, 0));
	assert_int_equal(allowedips_remove(&t, AF_INET, ip4(10, 9, 9, 9), 8,
					   P(0)), 0);
	assert_null(LOOK4(&t, 10, 0, 0, 1));
	assert_null(t.root4);
	allowedips_free(&t);
}

static void test_basic_v6(void **state)
{
	struct allowedips t;

	allowedips_init(&t);
	INS6(&t, P(1), 0xfd000000, 0, 0, 0, 8);
	INS6(&t, P(2), 0xfd001234, 0, 0, 0, 32);
	assert_ptr_equal(LOOK6(&t, 0xfd001234, 1, 2, 3), P(2));
	assert_ptr_equal(LOOK6(&t, 0xfd001235, 1, 2, 3), P(1));
	assert_ptr_equal(LOOK6(&t, 0xfdffffff, ~0u, ~0u, ~0u), P(1));
	assert_null(LOOK6(&t, 0xfe000000, 0, 0, 0));
	assert_null(LOOK4(&t, 0xfd, 0, 0, 0));
	assert_int_equal(allowedips_remove(&t, AF_INET6,
					   ip6(0xfd001234, 0, 0, 0), 32, P(2)),
			 0);
	assert_ptr_equal(LOOK6(&t, 0xfd001234, 1, 2, 3), P(1));
	assert_int_equal(allowedips_remove(&t, AF_INET6,
					   ip6(0xfd000000, 0, 0, 0), 8, P(1)),
			 0);
	assert_null(LOOK6(&t, 0xfd001234, 1, 2, 3));
	assert_null(t.root6);
	allowedips_free(&t);
}

/* Nested prefixes inserted in several orders must give the same answers. */
static void test_longest_match_order(void **state)
{
	static const uint8_t cidrs[4] = { 8, 16, 24, 32 };
	static const int orders[4][4] = {
		{ 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 2, 0, 3, 1 }, { 1, 3, 0, 2 },
	};
	struct allowedips t;
	int o, i;

	for (o = 0; o < 4; ++o) {
		allowedips_init(&t);
		for (i = 0; i < 4; ++i) {
			int k = orders[o][i];

			INS4(&t, P(k), 172, 16, 5, 9, cidrs[k]);
		}
		assert_ptr_equal(LOOK4(&t, 172, 16, 5, 9), P(3));
		assert_ptr_equal(LOOK4(&t, 172, 16, 5, 10), P(2));
		assert_ptr_equal(LOOK4(&t, 172, 16, 6, 9), P(1));
		assert_ptr_equal(LOOK4(&t, 172, 17, 5, 9), P(0));
		assert_null(LOOK4(&t, 173, 16, 5, 9));
		/* Dropping the middle of the chain exposes the next shorter. */
		assert_int_equal(allowedips_remove(&t, AF_INET,
						   ip4(172, 16, 5, 0), 24,
						   P(2)), 0);
		assert_ptr_equal(LOOK4(&t, 172, 16, 5, 10), P(1));
		assert_ptr_equal(LOOK4(&t, 172, 16, 5, 9), P(3));
		allowedips_free(&t);
		assert_null(t.root4);
	}
}

static void test_reassign(void **state)
{
	struct allowedips t;
	struct seen s;

	allowedips_init(&t);
	INS4(&t, P(0), 192, 168, 1, 0, 24);
	INS4(&t, P(1), 192, 168, 1, 77, 24); /* same prefix after masking */
	assert_ptr_equal(LOOK4(&t, 192, 168, 1, 1), P(1));
	walk_peer(&t, P(0), &s);
	assert_int_equal(s.n, 0);
	walk_peer(&t, P(1), &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(allowedips_remove(&t, AF_INET, ip4(192, 168, 1, 0),
					   24, P(0)), -ENOENT);
	assert_ptr_equal(LOOK4(&t, 192, 168, 1, 1), P(1));
	assert_int_equal(allowedips_remove(&t, AF_INET, ip4(192, 168, 1, 0),
					   24, P(1)), 0);
	assert_null(LOOK4(&t, 192, 168, 1, 1));
	allowedips_free(&t);
}

static void test_remove_not_owned(void **state)
{
	struct allowedips t;
	struct seen s;

	allowedips_init(&t);
	INS6(&t, P(0), 0x20010db8, 0, 0, 0, 32);
	INS6(&t, P(0), 0x20010db9, 0, 0, 0, 32);
	assert_int_equal(allowedips_remove(&t, AF_INET6,
					   ip6(0x20010db8, 0, 0, 0), 32, P(1)),
			 -ENOENT);
	assert_ptr_equal(LOOK6(&t, 0x20010db8, 0, 0, 1), P(0));
	walk_peer(&t, P(0), &s);
	assert_int_equal(s.n, 2);
	/* Not present at all: other length, and the /31 branch point the
	 * two /32s share, which exists in the trie but carries no peer. */
	assert_int_equal(allowedips_remove(&t, AF_INET6,
					   ip6(0x20010db8, 0, 0, 0), 33, P(0)),
			 -ENOENT);
	assert_int_equal(allowedips_remove(&t, AF_INET6,
					   ip6(0x20010db8, 0, 0, 0), 31, P(0)),
			 -ENOENT);
	assert_int_equal(allowedips_remove(&t, AF_INET6,
					   ip6(0x20010db8, 0, 0, 0), 31, NULL),
			 -ENOENT);
	assert_ptr_equal(LOOK6(&t, 0x20010db9, 0, 0, 1), P(0));
	allowedips_free(&t);
}

/* Host bits are masked on insert and read back masked. */
static void test_walk_masks(void **state)
{
	struct allowedips t;
	struct seen s;

	allowedips_init(&t);
	INS4(&t, P(0), 192, 168, 4, 5, 24);
	INS6(&t, P(0), 0x20010db8, 0x12345678, 0x9abcdef0, 0x11111111, 36);
	walk_peer(&t, P(0), &s);
	assert_int_equal(s.n, 2);
	assert_true(seen_has(&s, AF_INET, ip4(192, 168, 4, 0), 24));
	assert_true(seen_has(&s, AF_INET6, ip6(0x20010db8, 0x10000000, 0, 0),
			     36));
	assert_int_equal(allowedips_remove(&t, AF_INET, ip4(192, 168, 4, 200),
					   24, P(0)), 0);
	allowedips_free(&t);
}

static int stop_after_first(void *arg, int family, const uint8_t *addr,
			    uint8_t cidr)
{
	++*(int *)arg;
	return 42;
}

static void test_walk_stops(void **state)
{
	struct allowedips t;
	int calls = 0;

	allowedips_init(&t);
	INS4(&t, P(0), 10, 0, 0, 0, 8);
	INS4(&t, P(0), 11, 0, 0, 0, 8);
	INS6(&t, P(0), 0xfd000000, 0, 0, 0, 8);
	assert_int_equal(allowedips_walk_by_peer(&t, P(0), stop_after_first,
						 &calls), 42);
	assert_int_equal(calls, 1);
	allowedips_free(&t);
}

static void test_zero_and_full_prefixes(void **state)
{
	struct allowedips t;

	allowedips_init(&t);
	INS4(&t, P(0), 1, 2, 3, 4, 0);
	assert_ptr_equal(LOOK4(&t, 255, 255, 255, 255), P(0));
	assert_ptr_equal(LOOK4(&t, 0, 0, 0, 0), P(0));
	assert_null(LOOK6(&t, 0, 0, 0, 0));
	INS6(&t, P(1), 0xffffffff, 0, 0, 0, 0);
	assert_ptr_equal(LOOK6(&t, 0x12345678, 0, 0, 1), P(1));
	INS4(&t, P(2), 1, 2, 3, 4, 32);
	INS6(&t, P(3), 1, 2, 3, 4, 128);
	assert_ptr_equal(LOOK4(&t, 1, 2, 3, 4), P(2));
	assert_ptr_equal(LOOK4(&t, 1, 2, 3, 5), P(0));
	assert_ptr_equal(LOOK6(&t, 1, 2, 3, 4), P(3));
	assert_ptr_equal(LOOK6(&t, 1, 2, 3, 5), P(1));
	/* Removing /0 leaves only the host routes. */
	assert_int_equal(allowedips_remove(&t, AF_INET, ip4(9, 9, 9, 9), 0,
					   P(0)), 0);
	assert_int_equal(allowedips_remove(&t, AF_INET6, ip6(9, 9, 9, 9), 0,
					   P(1)), 0);
	assert_null(LOOK4(&t, 1, 2, 3, 5));
	assert_null(LOOK6(&t, 1, 2, 3, 5));
	assert_ptr_equal(LOOK4(&t, 1, 2, 3, 4), P(2));
	assert_ptr_equal(LOOK6(&t, 1, 2, 3, 4), P(3));
	allowedips_free(&t);
	assert_null(t.root4);
	assert_null(t.root6);
}

static void test_einval(void **state)
{
	struct allowedips t;

	allowedips_init(&t);
	assert_int_equal(allowedips_insert(&t, AF_UNIX, ip4(1, 2, 3, 4), 8,
					   P(0)), -EINVAL);
	assert_int_equal(allowedips_insert(&t, AF_INET, ip4(1, 2, 3, 4), 33,
					   P(0)), -EINVAL);
	assert_int_equal(allowedips_insert(&t, AF_INET6, ip6(1, 2, 3, 4), 129,
					   P(0)), -EINVAL);
	assert_int_equal(allowedips_insert(&t, AF_INET6, ip6(1, 2, 3, 4), 255,
					   P(0)), -EINVAL);
	assert_int_equal(allowedips_remove(&t, AF_INET, ip4(1, 2, 3, 4), 33,
					   P(0)), -EINVAL);
	assert_int_equal(allowedips_remove(&t, 12345, ip4(1, 2, 3, 4), 8,
					   P(0)), -EINVAL);
	assert_null(allowedips_lookup(&t, AF_UNIX, ip4(1, 2, 3, 4)));
	assert_null(t.root4);
	assert_null(t.root6);
	/* Valid limits are accepted. */
	INS4(&t, P(0), 1, 2, 3, 4, 32);
	INS6(&t, P(0), 1, 2, 3, 4, 128);
	allowedips_free(&t);
}

static void test_remove_by_peer(void **state)
{
	struct allowedips t;
	struct seen s;

	allowedips_init(&t);
	INS4(&t, P(0), 10, 0, 0, 0, 8);
	INS4(&t, P(1), 10, 1, 0, 0, 16);
	INS4(&t, P(0), 10, 1, 2, 0, 24);
	INS4(&t, P(1), 10, 1, 2, 3, 32);
	INS6(&t, P(0), 0xfd000000, 0, 0, 0, 8);
	INS6(&t, P(1), 0xfd000000, 0, 0, 0, 64);
	allowedips_remove_by_peer(&t, P(0));
	assert_null(LOOK4(&t, 10, 2, 0, 0));
	assert_ptr_equal(LOOK4(&t, 10, 1, 2, 4), P(1));
	assert_ptr_equal(LOOK4(&t, 10, 1, 2, 3), P(1));
	assert_null(LOOK6(&t, 0xfd000001, 0, 0, 0));
	assert_ptr_equal(LOOK6(&t, 0xfd000000, 0, 1, 0), P(1));
	walk_peer(&t, P(0), &s);
	assert_int_equal(s.n, 0);
	walk_peer(&t, P(1), &s);
	assert_int_equal(s.n, 3);
	allowedips_remove_by_peer(&t, P(1));
	/* Nothing left, so every node must have been freed. */
	assert_null(t.root4);
	assert_null(t.root6);
	allowedips_free(&t);
}

#ifdef HAVE_MALLINFO2
static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}

/* Builds chains and branch points for peers 0 and 1 around the host route
 * 10.1.2.3/32 of peer 2, then removes everything except that route. */
static void grow_and_shrink(struct allowedips *t)
{
	INS4(t, P(0), 10, 0, 0, 0, 8);
	INS4(t, P(0), 10, 1, 0, 0, 16);
	INS4(t, P(0), 10, 1, 2, 0, 24);
	INS4(t, P(2), 10, 1, 2, 3, 32);
	INS4(t, P(1), 10, 1, 2, 200, 32);	/* branch node under the /24 */
	INS4(t, P(1), 10, 9, 0, 0, 16);	/* branch node under the /8 */
	INS4(t, P(1), 10, 1, 2, 2, 31);	/* parent of the /32 */
	assert_int_equal(allowedips_remove(t, AF_INET, ip4(10, 0, 0, 0), 8,
					   P(0)), 0);
	assert_int_equal(allowedips_remove(t, AF_INET, ip4(10, 1, 2, 0), 24,
					   P(0)), 0);
	assert_int_equal(allowedips_remove(t, AF_INET, ip4(10, 1, 2, 200), 32,
					   P(1)), 0);
	allowedips_remove_by_peer(t, P(1));
	assert_int_equal(allowedips_remove(t, AF_INET, ip4(10, 1, 0, 0), 16,
					   P(0)), 0);
}

/*
 * Removal must free the nodes it leaves redundant (a peerless node with
 * fewer than two children), not just clear their peer: lookups cannot see
 * the difference, so compare heap use with a trie that only ever held the
 * surviving route.
 */
static void test_prune_frees_nodes(void **state)
{
	struct allowedips t;
	size_t base, one_route;

	allowedips_init(&t);
	base = heap_in_use();
	INS4(&t, P(2), 10, 1, 2, 3, 32);
	one_route = heap_in_use() - base;
	allowedips_free(&t);
	assert_int_equal(heap_in_use(), base);

	grow_and_shrink(&t);
	assert_ptr_equal(LOOK4(&t, 10, 1, 2, 3), P(2));
	assert_null(LOOK4(&t, 10, 1, 2, 2));
	assert_int_equal(heap_in_use() - base, one_route);
	allowedips_free(&t);
	assert_int_equal(heap_in_use(), base);
}
#endif

/* From the kernel selftest: the first batch of "tests by Jason". */
static void kernel_insert_batch(struct allowedips *t)
{
	INS4(t, P(0), 192, 168, 4, 0, 24);
	INS4(t, P(1), 192, 168, 4, 4, 32);
	INS4(t, P(2), 192, 168, 0, 0, 16);
	INS4(t, P(3), 192, 95, 5, 64, 27);
	INS4(t, P(2), 192, 95, 5, 65, 27); /* reassigns; needs masking */
	INS6(t, P(3), 0x26075300, 0x60006b00, 0, 0xc05f0543, 128);
	INS6(t, P(2), 0x26075300, 0x60006b00, 0, 0, 64);
	INS4(t, P(4), 0, 0, 0, 0, 0);
	INS6(t, P(4), 0, 0, 0, 0, 0);
	INS6(t, P(5), 0, 0, 0, 0, 0); /* reassigns */
	INS6(t, P(6), 0x24046800, 0, 0, 0, 32);
	INS6(t, P(7), 0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef, 64);
	INS6(t, P(0), 0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef, 128);
	INS6(t, P(2), 0x24446800, 0x40e40800, 0xdeaebeef, 0xdefbeef, 128);
	INS6(t, P(1), 0x24446800, 0xf0e40800, 0xeeaebeef, 0, 98);
	INS4(t, P(6), 64, 15, 112, 0, 20);
	INS4(t, P(7), 64, 15, 123, 211, 25); /* needs masking */
	INS4(t, P(0), 10, 0, 0, 0, 25);
	INS4(t, P(1), 10, 0, 0, 128, 25);
	INS4(t, P(0), 10, 1, 0, 0, 30);
	INS4(t, P(1), 10, 1, 0, 4, 30);
	INS4(t, P(2), 10, 1, 0, 8, 29);
	INS4(t, P(3), 10, 1, 0, 16, 29);
}

static void kernel_check_batch(const struct allowedips *t)
{
	IS4(t, 0, 192, 168, 4, 20);
	IS4(t, 0, 192, 168, 4, 0);
	IS4(t, 1, 192, 168, 4, 4);
	IS4(t, 2, 192, 168, 200, 182);
	IS4(t, 2, 192, 95, 5, 68);
	IS4(t, 4, 192, 95, 5, 96);
	IS6(t, 3, 0x26075300, 0x60006b00, 0, 0xc05f0543);
	IS6(t, 2, 0x26075300, 0x60006b00, 0, 0xc02e01ee);
	IS6(t, 5, 0x26075300, 0x60006b01, 0, 0);
	IS6(t, 6, 0x24046800, 0x40040806, 0, 0x1006);
	IS6(t, 6, 0x24046800, 0x40040806, 0x1234, 0x5678);
	IS6(t, 5, 0x240467ff, 0x40040806, 0x1234, 0x5678);
	IS6(t, 5, 0x24046801, 0x40040806, 0x1234, 0x5678);
	IS6(t, 7, 0x24046800, 0x40040800, 0x1234, 0x5678);
	IS6(t, 7, 0x24046800, 0x40040800, 0, 0);
	IS6(t, 7, 0x24046800, 0x40040800, 0x10101010, 0x10101010);
	IS6(t, 0, 0x24046800, 0x40040800, 0xdeadbeef, 0xdeadbeef);
	IS4(t, 6, 64, 15, 116, 26);
	IS4(t, 6, 64, 15, 127, 3);
	IS4(t, 6, 64, 15, 123, 1);
	IS4(t, 7, 64, 15, 123, 128);
	IS4(t, 7, 64, 15, 123, 129);
	IS4(t, 0, 10, 0, 0, 52);
	IS4(t, 1, 10, 0, 0, 220);
	IS4(t, 0, 10, 1, 0, 2);
	IS4(t, 1, 10, 1, 0, 6);
	IS4(t, 2, 10, 1, 0, 10);
	IS4(t, 3, 10, 1, 0, 20);
}

static void test_kernel_fixed(void **state)
{
	struct allowedips t;

	allowedips_init(&t);
	kernel_insert_batch(&t);
	kernel_check_batch(&t);

	/* Host routes spread over the space, all gone after remove_by_peer
	 * (lookups may fall back to the /0 of peer 4, never to peer 0). */
	INS4(&t, P(0), 1, 0, 0, 0, 32);
	INS4(&t, P(0), 64, 0, 0, 0, 32);
	INS4(&t, P(0), 128, 0, 0, 0, 32);
	INS4(&t, P(0), 192, 0, 0, 0, 32);
	INS4(&t, P(0), 255, 0, 0, 0, 32);
	allowedips_remove_by_peer(&t, P(0));
	assert_ptr_equal(LOOK4(&t, 1, 0, 0, 0), P(4));
	assert_ptr_equal(LOOK4(&t, 64, 0, 0, 0), P(4));
	assert_ptr_equal(LOOK4(&t, 128, 0, 0, 0), P(4));
	assert_ptr_equal(LOOK4(&t, 192, 0, 0, 0), P(4));
	assert_ptr_equal(LOOK4(&t, 255, 0, 0, 0), P(4));
	assert_ptr_equal(LOOK4(&t, 10, 1, 0, 2), P(4));
	allowedips_free(&t);

	/* Nested prefixes of one peer vanish together. */
	allowedips_init(&t);
	INS4(&t, P(0), 192, 168, 0, 0, 16);
	INS4(&t, P(0), 192, 168, 0, 0, 24);
	allowedips_remove_by_peer(&t, P(0));
	assert_null(LOOK4(&t, 192, 168, 0, 1));
	assert_null(t.root4);
	allowedips_free(&t);
}

/* Worst-case depth: 128 host routes each differing from all-ones in one
 * bit build a chain of 129 levels (kernel selftest's deep-trie case). */
static void test_kernel_deep(void **state)
{
	struct allowedips t;
	uint8_t ip[16];
	int i;

	allowedips_init(&t);
	for (i = 0; i < 128; ++i) {
		memset(ip, 0xff, 16);
		ip[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		assert_int_equal(allowedips_insert(&t, AF_INET6, ip, 128, P(0)),
				 0);
	}
	for (i = 0; i < 128; ++i) {
		memset(ip, 0xff, 16);
		ip[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
		assert_ptr_equal(allowedips_lookup(&t, AF_INET6, ip), P(0));
	}
	memset(ip, 0xff, 16);
	assert_null(allowedips_lookup(&t, AF_INET6, ip));
	allowedips_free(&t);
	assert_null(t.root6);
}

/* Kernel selftest's read-back case: five prefixes of one peer. */
static void test_kernel_walk(void **state)
{
	struct allowedips t;
	struct seen s;

	allowedips_init(&t);
	INS4(&t, P(0), 192, 95, 5, 93, 27);
	INS6(&t, P(0), 0x26075300, 0x60006b00, 0, 0xc05f0543, 128);
	INS4(&t, P(0), 10, 1, 0, 20, 29);
	INS6(&t, P(0), 0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523, 83);
	INS6(&t, P(0), 0x26075300, 0x6d8a6bf8, 0xdab1f1df, 0xc05f1523, 21);
	walk_peer(&t, P(0), &s);
	assert_int_equal(s.n, 5);
	assert_true(seen_has(&s, AF_INET, ip4(192, 95, 5, 64), 27));
	assert_true(seen_has(&s, AF_INET6,
			     ip6(0x26075300, 0x60006b00, 0, 0xc05f0543), 128));
	assert_true(seen_has(&s, AF_INET, ip4(10, 1, 0, 16), 29));
	assert_true(seen_has(&s, AF_INET6,
			     ip6(0x26075300, 0x6d8a6bf8, 0xdab1e000, 0), 83));
	assert_true(seen_has(&s, AF_INET6, ip6(0x26075000, 0, 0, 0), 21));
	allowedips_free(&t);
}

/* ---- randomized differential test ---- */

/* splitmix64, fixed seed: the same sequence on any libc. */
static uint64_t rng_state;

static uint64_t rnd(uint64_t bound)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) % bound;
}

#define NAIVE_MAX 8192

struct naive_entry {
	uint8_t addr[16];
	uint8_t cidr;
	void *peer;
};

struct naive {
	int family, len;	/* len: address bytes */
	int n;
	struct naive_entry e[NAIVE_MAX];
};

static void mask_bytes(uint8_t *a, int len, unsigned int cidr)
{
	int i;

	for (i = 0; i < len; ++i) {
		unsigned int lo = (unsigned int)i * 8;

		if (cidr <= lo)
			a[i] = 0;
		else if (cidr < lo + 8)
			a[i] &= (uint8_t)(0xff << (lo + 8 - cidr));
	}
}

static bool naive_covers(const struct naive_entry *e, const uint8_t *addr,
			 int len)
{
	uint8_t tmp[16];

	memcpy(tmp, addr, (size_t)len);
	mask_bytes(tmp, len, e->cidr);
	return !memcmp(tmp, e->addr, (size_t)len);
}

static int naive_find(const struct naive *nv, const uint8_t *addr,
		      uint8_t cidr)
{
	int i;

	for (i = 0; i < nv->n; ++i)
		if (nv->e[i].cidr == cidr &&
		    !memcmp(nv->e[i].addr, addr, (size_t)nv->len))
			return i;
	return -1;
}

static void naive_insert(struct naive *nv, const uint8_t *addr, uint8_t cidr,
			 void *peer)
{
	uint8_t a[16] = { 0 };
	int i;

	memcpy(a, addr, (size_t)nv->len);
	mask_bytes(a, nv->len, cidr);
	i = naive_find(nv, a, cidr);
	if (i < 0) {
		assert_true(nv->n < NAIVE_MAX);
		i = nv->n++;
		memcpy(nv->e[i].addr, a, 16);
		nv->e[i].cidr = cidr;
	}
	nv->e[i].peer = peer;
}

static int naive_remove(struct naive *nv, const uint8_t *addr, uint8_t cidr,
			void *peer)
{
	uint8_t a[16] = { 0 };
	int i;

	memcpy(a, addr, (size_t)nv->len);
	mask_bytes(a, nv->len, cidr);
	i = naive_find(nv, a, cidr);
	if (i < 0 || nv->e[i].peer != peer)
		return -ENOENT;
	nv->e[i] = nv->e[--nv->n];
	return 0;
}

static void naive_remove_by_peer(struct naive *nv, void *peer)
{
	int i;

	for (i = 0; i < nv->n;)
		if (nv->e[i].peer == peer)
			nv->e[i] = nv->e[--nv->n];
		else
			++i;
}

static void *naive_lookup(const struct naive *nv, const uint8_t *addr)
{
	const struct naive_entry *best = NULL;
	int i;

	for (i = 0; i < nv->n; ++i)
		if (naive_covers(&nv->e[i], addr, nv->len) &&
		    (!best || nv->e[i].cidr > best->cidr))
			best = &nv->e[i];
	return best ? best->peer : NULL;
}

static void random_bytes(uint8_t *a, int len)
{
	int i;

	for (i = 0; i < len; ++i)
		a[i] = (uint8_t)rnd(256);
}

/* Overwrites the first e->cidr bits of @a with e's prefix. */
static void overlay_prefix(uint8_t *a, const struct naive_entry *e, int len)
{
	unsigned int lo;
	uint8_t keep;
	int i;

	for (i = 0; i < len; ++i) {
		lo = (unsigned int)i * 8;
		keep = lo + 8 <= e->cidr ? 0xff : lo >= e->cidr ? 0 :
		       (uint8_t)(0xff << (lo + 8 - e->cidr));
		a[i] = (uint8_t)((e->addr[i] & keep) | (a[i] & ~keep));
	}
}

/* Flips bit @bit (0 = most significant) of @a. */
static void flip_bit(uint8_t *a, unsigned int bit)
{
	a[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

/* A prefix to insert: often nested in, or a sibling of, an existing one,
 * and often in a small corner of the space, so prefixes overlap. */
static uint8_t random_prefix(const struct naive *nv, uint8_t *a)
{
	unsigned int bits = (unsigned int)nv->len * 8, cidr;
	const struct naive_entry *e;

	random_bytes(a, nv->len);
	if (nv->n && rnd(3)) {
		e = &nv->e[rnd((uint64_t)nv->n)];
		overlay_prefix(a, e, nv->len);
		if (e->cidr && !rnd(3))
			flip_bit(a, e->cidr - 1u); /* a sibling */
		cidr = e->cidr + (unsigned int)rnd(9);
		return (uint8_t)(cidr > bits ? bits : cidr);
	}
	if (rnd(2))
		a[0] = (uint8_t)(rnd(2) ? 10 : 0xfd);
	return (uint8_t)(rnd(8) ? 8 + rnd(bits - 7) : rnd(bits + 1));
}

/* An address to look up: mostly inside, or just outside, known prefixes. */
static void random_address(const struct naive *nv, uint8_t *a)
{
	const struct naive_entry *e;

	random_bytes(a, nv->len);
	if (!nv->n || !rnd(5))
		return;
	e = &nv->e[rnd((uint64_t)nv->n)];
	overlay_prefix(a, e, nv->len);
	if (e->cidr && !rnd(4))
		flip_bit(a, e->cidr - 1u -
			    (unsigned int)rnd(e->cidr > 2 ? 3 : 1));
}

static void check_lookups(const struct allowedips *t, const struct naive *nv,
			  int count)
{
	uint8_t a[16];
	int i;

	for (i = 0; i < count; ++i) {
		random_address(nv, a);
		if (allowedips_lookup(t, nv->family, a) != naive_lookup(nv, a))
			fail_msg("lookup %d disagrees (family %d, %d entries)",
				 i, nv->family, nv->n);
	}
}

struct walk_check {
	const struct naive *nv;
	void *peer;
	int count;
};

static int walk_check_cb(void *arg, int family, const uint8_t *addr,
			 uint8_t cidr)
{
	struct walk_check *wc = arg;
	int i = naive_find(wc->nv, addr, cidr);

	assert_int_equal(family, wc->nv->family);
	if (i < 0 || wc->nv->e[i].peer != wc->peer)
		fail_msg("walk yielded a prefix the peer does not own");
	wc->count++;
	return 0;
}

/* Every walked prefix is the peer's, and the counts match, so the walk
 * yields exactly the peer's set. */
static void check_walks(const struct allowedips *t, const struct naive *nv)
{
	struct walk_check wc = { .nv = nv };
	int p, i, want;

	for (p = 0; p < NPEERS; ++p) {
		wc.peer = P(p);
		wc.count = 0;
		assert_int_equal(allowedips_walk_by_peer(t, P(p), walk_check_cb,
							 &wc), 0);
		for (i = 0, want = 0; i < nv->n; ++i)
			want += nv->e[i].peer == P(p);
		assert_int_equal(wc.count, want);
	}
}

static void random_remove(struct allowedips *t, struct naive *nv)
{
	uint8_t a[16] = { 0 };
	uint8_t cidr;
	void *peer;
	int ret;

	if (nv->n && rnd(5)) {
		const struct naive_entry *e = &nv->e[rnd((uint64_t)nv->n)];

		memcpy(a, e->addr, 16);
		cidr = e->cidr;
		peer = rnd(6) ? e->peer : P(rnd(NPEERS));
		/* Host bits set on remove must be masked too. */
		if (cidr < nv->len * 8)
			a[nv->len - 1] |= 1;
	} else {
		cidr = random_prefix(nv, a);
		peer = P(rnd(NPEERS));
	}
	ret = naive_remove(nv, a, cidr, peer);
	assert_int_equal(allowedips_remove(t, nv->family, a, cidr, peer), ret);
}

static void random_op(struct allowedips *t, struct naive *nv)
{
	uint64_t r = rnd(1000);
	uint8_t a[16];
	uint8_t cidr;
	void *peer;

	if (r < 600) {
		cidr = random_prefix(nv, a);
		peer = P(rnd(NPEERS));
		naive_insert(nv, a, cidr, peer);
		assert_int_equal(
			allowedips_insert(t, nv->family, a, cidr, peer), 0);
	} else if (r < 995) {
		random_remove(t, nv);
	} else {
		peer = P(rnd(NPEERS));
		naive_remove_by_peer(nv, peer);
		allowedips_remove_by_peer(t, peer);
	}
}

static void run_differential(int family, uint64_t seed)
{
	struct naive *nv = calloc(1, sizeof(*nv));
	struct allowedips t;
	int i, peak = 0;

	assert_non_null(nv);
	nv->family = family;
	nv->len = family == AF_INET ? 4 : 16;
	rng_state = seed;
	allowedips_init(&t);
	for (i = 0; i < 6000; ++i) {
		random_op(&t, nv);
		peak = nv->n > peak ? nv->n : peak;
		if (i % 50 == 0)
			check_lookups(&t, nv, 200);
		if (i % 1000 == 0)
			check_walks(&t, nv);
	}
	check_lookups(&t, nv, 20000);
	check_walks(&t, nv);
	/* The generator must actually have built a sizeable table. */
	assert_true(peak > 300);
	/* Drain by exact removes: the trie must prune back to nothing. */
	while (nv->n) {
		struct naive_entry e = nv->e[rnd((uint64_t)nv->n)];

		assert_int_equal(naive_remove(nv, e.addr, e.cidr, e.peer), 0);
		assert_int_equal(allowedips_remove(&t, family, e.addr, e.cidr,
						   e.peer), 0);
		if (nv->n % 64 == 0)
			check_lookups(&t, nv, 50);
	}
	assert_null(family == AF_INET ? t.root4 : t.root6);
	allowedips_free(&t);
	free(nv);
}

static void test_random_v4(void **state)
{
	run_differential(AF_INET, 0xa110ed1b5);
}

static void test_random_v6(void **state)
{
	run_differential(AF_INET6, 0x6a110ed1b5);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_cb(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	(*(size_t *)arg)++;
	return 0;
}

#define MANY 20000
static char many[MANY];

/*
 * Per-peer work costs what that peer has: 20,000 peers with one /32 each
 * are listed and then removed one by one. Walking the whole trie for each
 * (as a routing table without per-peer lists does) is 4 x 10^8 node
 * visits, seconds of CPU; the bound is a tenth of that or less.
 */
static void test_per_peer_cost(void **state)
{
	struct allowedips t;
	double t0;
	size_t n = 0;

	allowedips_init(&t);
	for (int i = 0; i < MANY; i++)
		assert_int_equal(allowedips_insert(&t, AF_INET,
						   ip4(10, (uint8_t)(i >> 16),
						       (uint8_t)(i >> 8), (uint8_t)i),
						   32, &many[i]), 0);
	t0 = cpu_seconds();
	for (int i = 0; i < MANY; i++)
		assert_int_equal(allowedips_walk_by_peer(&t, &many[i], count_cb,
							 &n), 0);
	assert_int_equal(n, MANY);
	for (int i = 0; i < MANY; i += 2)
		allowedips_remove_by_peer(&t, &many[i]);
	assert_true(cpu_seconds() - t0 < 0.3);
	assert_null(LOOK4(&t, 10, 0, 0, 0));
	assert_ptr_equal(LOOK4(&t, 10, 0, 0, 1), &many[1]);
	assert_int_equal(allowedips_count_by_peer(&t, &many[1]), 1);
	assert_int_equal(allowedips_count_by_peer(&t, &many[0]), 0);
	allowedips_free(&t);
}

/* One peer with 65,280 prefixes (every /24 of 10.0-254.x), then all of
 * them moved to a second peer by inserting again, then removed at once. */
static void test_one_peer_many_prefixes(void **state)
{
	struct allowedips t;
	size_t n = 0;

	allowedips_init(&t);
	for (int i = 0; i < 65280; i++)
		assert_int_equal(allowedips_insert(&t, AF_INET,
						   ip4(10, (uint8_t)(i >> 8),
						       (uint8_t)i, 0),
						   24, P(0)), 0);
	assert_int_equal(allowedips_count_by_peer(&t, P(0)), 65280);
	assert_int_equal(allowedips_walk_by_peer(&t, P(0), count_cb, &n), 0);
	assert_int_equal(n, 65280);
	for (int i = 0; i < 65280; i += 2)
		assert_int_equal(allowedips_insert(&t, AF_INET,
						   ip4(10, (uint8_t)(i >> 8),
						       (uint8_t)i, 0),
						   24, P(1)), 0);
	assert_int_equal(allowedips_count_by_peer(&t, P(0)), 32640);
	assert_int_equal(allowedips_count_by_peer(&t, P(1)), 32640);
	IS4(&t, 1, 10, 3, 2, 9);
	IS4(&t, 0, 10, 3, 3, 9);
	allowedips_remove_by_peer(&t, P(0));
	assert_null(LOOK4(&t, 10, 3, 3, 9));
	IS4(&t, 1, 10, 3, 2, 9);
	allowedips_remove_by_peer(&t, P(1));
	assert_null(t.root4);
	allowedips_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_v4),
		cmocka_unit_test(test_basic_v6),
		cmocka_unit_test(test_longest_match_order),
		cmocka_unit_test(test_reassign),
		cmocka_unit_test(test_remove_not_owned),
		cmocka_unit_test(test_walk_masks),
		cmocka_unit_test(test_walk_stops),
		cmocka_unit_test(test_zero_and_full_prefixes),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_remove_by_peer),
#ifdef HAVE_MALLINFO2
		cmocka_unit_test(test_prune_frees_nodes),
#endif
		cmocka_unit_test(test_kernel_fixed),
		cmocka_unit_test(test_kernel_deep),
		cmocka_unit_test(test_kernel_walk),
		cmocka_unit_test(test_random_v4),
		cmocka_unit_test(test_random_v6),
		cmocka_unit_test(test_per_peer_cost),
		cmocka_unit_test(test_one_peer_many_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
