// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests for the per-source handshake rate limiter (src/ratelimiter.c):
 * 20 packets/s with a burst of 5 per IPv4 address or IPv6 /64, driven by
 * the fake clock so the refill arithmetic is checked to the nanosecond.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "clock.h"
#include "crypto.h"
#include "messages.h"
#include "ratelimiter.h"

#define START_MONO (1000 * NSEC_PER_SEC)
#define COST (NSEC_PER_SEC / RATELIMIT_PACKETS_PER_SEC)	/* 50 ms */

static struct ratelimiter rl;

static struct sockaddr_storage addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
	}
	return ss;
}

static bool allow(const char *ip)
{
	struct sockaddr_storage ss = addr(ip, 1234);

	return ratelimiter_allow(&rl, (struct sockaddr *)&ss);
}

/* Exactly n allowed in a row, then refused. */
static void expect_burst(const char *ip, int n)
{
	for (int i = 0; i < n; i++)
		if (!allow(ip))
			fail_msg("%s: packet %d refused", ip, i + 1);
	assert_false(allow(ip));
}

static int setup(void **state)
{
	clock_fake_set(START_MONO, 0);
	assert_int_equal(crypto_init(), 0);
	assert_int_equal(ratelimiter_init(&rl), 0);
	return 0;
}

static int teardown(void **state)
{
	ratelimiter_free(&rl);
	assert_int_equal(rl.count, 0);
	clock_fake_clear();
	return 0;
}

static void test_burst(void **state)
{
	assert_int_equal(RATELIMIT_BURST, 5);
	expect_burst("192.0.2.1", 5);
	assert_false(allow("192.0.2.1"));
	assert_int_equal(rl.count, 1);
}

/* One token per 50 ms; refused packets do not push the refill back. */
static void test_refill(void **state)
{
	expect_burst("192.0.2.1", 5);
	clock_fake_advance(COST - 1);
	assert_false(allow("192.0.2.1"));
	clock_fake_advance(1);
	assert_true(allow("192.0.2.1"));
	assert_false(allow("192.0.2.1"));
	clock_fake_advance(3 * COST);
	expect_burst("192.0.2.1", 3);
	/* Long idle refills only up to the burst. */
	clock_fake_advance(100 * NSEC_PER_SEC);
	expect_burst("192.0.2.1", 5);
}

/* Steady 20/s is sustained indefinitely, 21/s is not. */
static void test_sustained_rate(void **state)
{
	int allowed = 0;

	expect_burst("192.0.2.1", 5);
	for (int i = 0; i < 200; i++) {
		clock_fake_advance(COST);
		allowed += allow("192.0.2.1");
	}
	assert_int_equal(allowed, 200);
	allowed = 0;
	for (int i = 0; i < 210; i++) {
		clock_fake_advance(NSEC_PER_SEC / 21);
		allowed += allow("192.0.2.1");
	}
	/* 210 packets over 10 s earn 200 tokens, less rounding. */
	assert_int_equal(allowed, 199);
}

static void test_independent_sources(void **state)
{
	expect_burst("192.0.2.1", 5);
	expect_burst("192.0.2.2", 5);
	expect_burst("2001:db8::1", 5);
	assert_int_equal(rl.count, 3);
}

/* A host owns its /64: the whole prefix shares one bucket. */
static void test_v6_prefix(void **state)
{
	expect_burst("2001:db8:1:2::1", 5);
	assert_false(allow("2001:db8:1:2:ffff:ffff:ffff:ffff"));
	expect_burst("2001:db8:1:3::1", 5);
	assert_int_equal(rl.count, 2);
}

/* A v4 source seen through a dual-stack socket is the same source. */
static void test_v4_mapped(void **state)
{
	expect_burst("192.0.2.7", 5);
	assert_false(allow("::ffff:192.0.2.7"));
	assert_int_equal(rl.count, 1);
}

static void test_gc(void **state)
{
	expect_burst("192.0.2.1", 5);
	clock_fake_advance(NSEC_PER_SEC / 2);
	expect_burst("192.0.2.2", 5);
	assert_int_equal(rl.count, 2);
	clock_fake_advance(NSEC_PER_SEC / 2);
	ratelimiter_gc(&rl);	/* first idle exactly 1 s: kept */
	assert_int_equal(rl.count, 2);
	clock_fake_advance(1);
	ratelimiter_gc(&rl);
	assert_int_equal(rl.count, 1);
	clock_fake_advance(NSEC_PER_SEC / 2);
	ratelimiter_gc(&rl);
	assert_int_equal(rl.count, 0);
	/* A collected source starts over with a full bucket. */
	expect_burst("192.0.2.1", 5);
}

/* Past the entry cap new sources are refused, known ones still served;
 * once idle entries can be collected, room returns. */
static void test_cap(void **state)
{
	char ip[32];
	int n = 0;

	for (int i = 0; i < 20000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
			 i & 255);
		n += allow(ip);
	}
	assert_int_equal(n, 16384);
	assert_int_equal(rl.count, 16384);
	assert_true(allow("10.0.0.0"));
	assert_false(allow("198.51.100.1"));
	clock_fake_advance(2 * NSEC_PER_SEC);
	assert_true(allow("198.51.100.1"));
	assert_int_equal(rl.count, 1);
}

static void test_bad_family(void **state)
{
	struct sockaddr sa = { .sa_family = AF_UNIX };

	assert_false(ratelimiter_allow(&rl, &sa));
	assert_false(ratelimiter_allow(&rl, NULL));
	assert_int_equal(rl.count, 0);
}

/* Releases the OpenSSL contexts so valgrind reports no leftovers. */
static int group_teardown(void **state)
{
	crypto_fini();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_burst),
		T(test_refill),
		T(test_sustained_rate),
		T(test_independent_sources),
		T(test_v6_prefix),
		T(test_v4_mapped),
		T(test_gc),
		T(test_cap),
		T(test_bad_family),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
