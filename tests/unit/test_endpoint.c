// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests for src/endpoint.c: the "addr:port" / "[v6]:port" text form in
 * both directions, what it must refuse, and v4-mapped unmapping. Expected
 * bytes are written out by hand rather than taken from inet_pton, so the
 * tests do not share a mistake with the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <cmocka.h>

#include "endpoint.h"

static void test_parse_v4(void **state)
{
	static const uint8_t want[4] = { 192, 0, 2, 1 };
	union endpoint ep;

	assert_int_equal(endpoint_parse(&ep, "192.0.2.1:51820"), 0);
	assert_int_equal(ep.sa.sa_family, AF_INET);
	assert_memory_equal(&ep.in.sin_addr, want, 4);
	/* network byte order on the wire: 51820 = 0xca6c */
	assert_memory_equal(&ep.in.sin_port, "\xca\x6c", 2);
	assert_int_equal(endpoint_port(&ep), 51820);
	assert_int_equal(endpoint_len(&ep), sizeof(struct sockaddr_in));
}

static void test_parse_v6(void **state)
{
	static const uint8_t want[16] = { 0xfd, 0x00, 0, 0, 0, 0, 0, 0,
					  0, 0, 0, 0, 0, 0, 0, 0x01 };
	union endpoint ep;

	assert_int_equal(endpoint_parse(&ep, "[fd00::1]:443"), 0);
	assert_int_equal(ep.sa.sa_family, AF_INET6);
	assert_memory_equal(&ep.in6.sin6_addr, want, 16);
	assert_memory_equal(&ep.in6.sin6_port, "\x01\xbb", 2);
	assert_int_equal(ep.in6.sin6_scope_id, 0);
	assert_int_equal(endpoint_port(&ep), 443);
	assert_int_equal(endpoint_len(&ep), sizeof(struct sockaddr_in6));
}

/* Parse then format gives the canonical text back. */
static void test_round_trip(void **state)
{
	static const char *const good[] = {
		"192.0.2.1:51820", "0.0.0.0:0", "255.255.255.255:65535",
		"10.0.0.1:1", "[fd00::1]:51820", "[::]:0", "[::1]:65535",
		"[2001:db8:1:2:3:4:5:6]:12345", "[::ffff:192.0.2.1]:80",
		"[fe80::1%1]:51820",
	};
	union endpoint ep, again;
	char s[ENDPOINT_STR_LEN];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
		char name[IF_NAMESIZE], want[ENDPOINT_STR_LEN];

		assert_int_equal(endpoint_parse(&ep, good[i]), 0);
		endpoint_format(&ep, s, sizeof(s));
		/* a numeric zone prints as the interface's name if it has one */
		if (strchr(good[i], '%') && if_indextoname(1, name))
			snprintf(want, sizeof(want), "[fe80::1%%%s]:51820", name);
		else
			snprintf(want, sizeof(want), "%s", good[i]);
		assert_string_equal(s, want);
		assert_int_equal(endpoint_parse(&again, s), 0);
		assert_true(endpoint_equal(&ep, &again));
	}
}

/* Non-canonical but valid input is accepted and printed canonically. */
static void test_canonical_output(void **state)
{
	union endpoint ep;
	char s[ENDPOINT_STR_LEN];

	assert_int_equal(endpoint_parse(&ep, "[FD00:0:0::0001]:00080"), 0);
	endpoint_format(&ep, s, sizeof(s));
	assert_string_equal(s, "[fd00::1]:80");
}

static void test_parse_reject(void **state)
{
	static const char *const bad[] = {
		"", ":", "192.0.2.1", "192.0.2.1:", "192.0.2.1:65536",
		"192.0.2.1:99999", "192.0.2.1:123456", "192.0.2.1:-1",
		"192.0.2.1:+1", "192.0.2.1: 1", "192.0.2.1:1 ", "192.0.2.1:0x10",
		"192.0.2.1:1:2", " 192.0.2.1:1", "192.0.2:1", "192.0.2.256:1",
		"192.0.2.1.5:1", "01.2.3.4:1", "host.example:51820",
		"fd00::1:51820", "[fd00::1]", "[fd00::1]:", "[fd00::1]51820",
		"[fd00::1:51820", "fd00::1]:51820", "[fd00::1]:65536",
		"[192.0.2.1]:1", "[fd00::g]:1", "[]:1", "[fd00::1]:1]",
		"[fe80::1%]:1", "[fe80::1%no-such-if-xyz]:1",
		"[fe80::1%1%2]:1",
	};
	union endpoint ep;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
		memset(&ep, 0x5a, sizeof(ep));
		if (endpoint_parse(&ep, bad[i]) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		/* a failed parse leaves the old value alone */
		assert_int_equal(((uint8_t *)&ep)[0], 0x5a);
	}
}

static void test_too_long(void **state)
{
	char s[300];
	union endpoint ep;

	memset(s, '1', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	assert_int_equal(endpoint_parse(&ep, s), -EINVAL);
}

static void test_equal(void **state)
{
	union endpoint a, b;

	assert_int_equal(endpoint_parse(&a, "192.0.2.1:1000"), 0);
	assert_int_equal(endpoint_parse(&b, "192.0.2.1:1000"), 0);
	assert_true(endpoint_equal(&a, &b));
	assert_int_equal(endpoint_parse(&b, "192.0.2.1:1001"), 0);
	assert_false(endpoint_equal(&a, &b));
	assert_int_equal(endpoint_parse(&b, "192.0.2.2:1000"), 0);
	assert_false(endpoint_equal(&a, &b));
	assert_int_equal(endpoint_parse(&b, "[::ffff:192.0.2.1]:1000"), 0);
	assert_false(endpoint_equal(&a, &b));	/* until unmapped */
	endpoint_unmap(&b);
	assert_true(endpoint_equal(&a, &b));
	assert_int_equal(endpoint_parse(&a, "[fe80::1%1]:1"), 0);
	assert_int_equal(endpoint_parse(&b, "[fe80::1%2]:1"), 0);
	assert_false(endpoint_equal(&a, &b));	/* zone matters */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_true(endpoint_equal(&a, &b));
}

/* RFC 4291 section 2.5.5.2: ::ffff:a.b.c.d becomes a.b.c.d, port kept. */
static void test_unmap(void **state)
{
	static const uint8_t want[4] = { 198, 51, 100, 7 };
	union endpoint ep;
	char s[ENDPOINT_STR_LEN];

	assert_int_equal(endpoint_parse(&ep, "[::ffff:198.51.100.7]:4242"), 0);
	endpoint_unmap(&ep);
	assert_int_equal(ep.sa.sa_family, AF_INET);
	assert_memory_equal(&ep.in.sin_addr, want, 4);
	assert_int_equal(endpoint_port(&ep), 4242);
	assert_int_equal(endpoint_len(&ep), sizeof(struct sockaddr_in));
	endpoint_format(&ep, s, sizeof(s));
	assert_string_equal(s, "198.51.100.7:4242");

	/* not mapped: untouched (including the v4-compatible ::a.b.c.d) */
	assert_int_equal(endpoint_parse(&ep, "[::198.51.100.7]:1"), 0);
	endpoint_unmap(&ep);
	assert_int_equal(ep.sa.sa_family, AF_INET6);
	assert_int_equal(endpoint_parse(&ep, "[fd00::ffff:c633:6407]:1"), 0);
	endpoint_unmap(&ep);
	assert_int_equal(ep.sa.sa_family, AF_INET6);
	assert_int_equal(endpoint_parse(&ep, "198.51.100.7:1"), 0);
	endpoint_unmap(&ep);
	assert_int_equal(ep.sa.sa_family, AF_INET);
	assert_memory_equal(&ep.in.sin_addr, want, 4);
}

static void test_port_ops_and_unset(void **state)
{
	union endpoint ep;
	char s[ENDPOINT_STR_LEN];

	assert_int_equal(endpoint_parse(&ep, "[fd00::1]:51820"), 0);
	endpoint_set_port(&ep, 51823);
	endpoint_format(&ep, s, sizeof(s));
	assert_string_equal(s, "[fd00::1]:51823");
	assert_int_equal(endpoint_parse(&ep, "192.0.2.1:51820"), 0);
	endpoint_set_port(&ep, 1);
	assert_int_equal(endpoint_port(&ep), 1);
	assert_memory_equal(&ep.in.sin_port, "\x00\x01", 2);

	memset(&ep, 0, sizeof(ep));
	assert_int_equal(endpoint_len(&ep), 0);
	assert_int_equal(endpoint_port(&ep), 0);
	endpoint_set_port(&ep, 5);	/* no family: nothing to set */
	assert_int_equal(endpoint_port(&ep), 0);
	endpoint_format(&ep, s, sizeof(s));
	assert_string_equal(s, "(none)");
	/* a short buffer is truncated, still terminated */
	assert_int_equal(endpoint_parse(&ep, "192.0.2.1:51820"), 0);
	endpoint_format(&ep, s, 5);
	assert_string_equal(s, "192.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_canonical_output),
		cmocka_unit_test(test_parse_reject),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_unmap),
		cmocka_unit_test(test_port_ops_and_unset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
