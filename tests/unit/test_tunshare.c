// SPDX-License-Identifier: GPL-2.0-only
/*
 * tunshare's pure parts: the server mode's pool arithmetic (which
 * tunshare/bpf/ts_server.bpf.c repeats in the kernel), the command-line
 * substitutions, and the reading of OpenVPN status files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "tunshare.h"

static uint32_t ip(const char *s)
{
	struct in_addr in;

	assert_int_equal(inet_pton(AF_INET, s, &in), 1);
	return ntohl(in.s_addr);
}

static void test_pool_24_two_lanes(void **state)
{
	struct ts_pool p;
	uint32_t a, b;

	assert_int_equal(ts_pool_parse(&p, "10.8.0.0/24", 2), 0);
	assert_int_equal(ts_pool_server(&p), ip("10.8.0.1"));
	assert_int_equal(ts_pool_netmask(&p), ip("255.255.255.0"));
	ts_pool_slice(&p, 0, &a, &b);
	assert_int_equal(a, ip("10.8.0.2"));
	assert_int_equal(b, ip("10.8.0.127"));
	ts_pool_slice(&p, 1, &a, &b);
	assert_int_equal(a, ip("10.8.0.128"));
	assert_int_equal(b, ip("10.8.0.253"));
	/* The lane of an address is the slice it falls in; the server's own
	 * address, the remainder and the broadcast address belong to none. */
	assert_int_equal(ts_pool_lane(&p, 2, ip("10.8.0.2")), 0);
	assert_int_equal(ts_pool_lane(&p, 2, ip("10.8.0.127")), 0);
	assert_int_equal(ts_pool_lane(&p, 2, ip("10.8.0.128")), 1);
	assert_int_equal(ts_pool_lane(&p, 2, ip("10.8.0.253")), 1);
	assert_int_equal(ts_pool_lane(&p, 2, ip("10.8.0.1")), -1);
	assert_int_equal(ts_pool_lane(&p, 2, ip("10.8.0.254")), -1);
	assert_int_equal(ts_pool_lane(&p, 2, ip("10.8.0.255")), -1);
	assert_int_equal(ts_pool_lane(&p, 2, ip("10.9.0.5")), -1);
}

/* Every address of every slice maps back to its lane, for many shapes. */
static void test_pool_roundtrip(void **state)
{
	static const char *const nets[] = { "10.0.0.0/8", "172.16.0.0/12",
					    "10.8.0.0/24", "10.8.0.0/28",
					    "192.168.7.0/30" };

	for (size_t n = 0; n < sizeof(nets) / sizeof(nets[0]); n++) {
		for (unsigned int lanes = 1; lanes <= 8; lanes++) {
			struct ts_pool p;
			uint32_t a, b;

			if (ts_pool_parse(&p, nets[n], lanes) < 0)
				continue;
			for (unsigned int l = 0; l < lanes; l++) {
				ts_pool_slice(&p, l, &a, &b);
				assert_true(a > ts_pool_server(&p));
				assert_true(b >= a);
				assert_int_equal(ts_pool_lane(&p, lanes, a), l);
				assert_int_equal(ts_pool_lane(&p, lanes, b), l);
			}
		}
	}
}

static void test_pool_errors(void **state)
{
	struct ts_pool p;

	assert_int_equal(ts_pool_parse(&p, "10.8.0.1/24", 2), -EINVAL);
	assert_int_equal(ts_pool_parse(&p, "10.8.0.0", 2), -EINVAL);
	assert_int_equal(ts_pool_parse(&p, "10.8.0.0/31", 2), -EINVAL);
	assert_int_equal(ts_pool_parse(&p, "10.8.0.0/7", 2), -EINVAL);
	assert_int_equal(ts_pool_parse(&p, "10.8.0.0/24x", 2), -EINVAL);
	assert_int_equal(ts_pool_parse(&p, "fd00::/64", 2), -EINVAL);
	/* /30: one host after the server's: enough for one lane only. */
	assert_int_equal(ts_pool_parse(&p, "10.8.0.0/30", 1), 0);
	assert_int_equal(ts_pool_parse(&p, "10.8.0.0/30", 2), -ERANGE);
}

static void test_subst(void **state)
{
	static struct ts_conf c;
	struct ts_lane l = { .idx = 1, .cpu = 3, .port = 1194 };
	struct ts_var v[TS_MAX_VARS];
	unsigned int n;
	char *s;

	c.server = true;
	assert_int_equal(ts_pool_parse(&c.pool, "10.8.0.0/24", 2), 0);
	n = ts_lane_vars(&c, &l, v);
	s = ts_subst("--ifconfig-pool {pool_start} {pool_end} {netmask}", v, n);
	assert_string_equal(s, "--ifconfig-pool 10.8.0.128 10.8.0.253 255.255.255.0");
	free(s);
	s = ts_subst("s-{lane}.txt:{port}:{cpu}:{server}:{unknown}", v, n);
	assert_string_equal(s, "s-1.txt:1194:3:10.8.0.1:{unknown}");
	free(s);
	/* Without --server the pool keys stay as they are. */
	c.server = false;
	l.port = -1;
	n = ts_lane_vars(&c, &l, v);
	s = ts_subst("{port} {pool_start} {lane}", v, n);
	assert_string_equal(s, "{port} {pool_start} 1");
	free(s);
}

static int client_of(const char *text, int *routing, char **cn, char **real,
		     char **virt)
{
	static char line[256];

	snprintf(line, sizeof(line), "%s", text);
	return ts_clients_line(line, routing, cn, real, virt);
}

static void test_status_files(void **state)
{
	char *cn, *real, *virt;
	int r = 0;

	/* --status-version 2 and 3 (tabs). */
	assert_int_equal(client_of("HEADER,CLIENT_LIST,Common Name,Real Address", &r, &cn, &real, &virt), 0);
	assert_int_equal(client_of("CLIENT_LIST,alice,192.0.2.7:40000,10.8.0.2,,1,2\n", &r, &cn, &real, &virt), 1);
	assert_string_equal(cn, "alice");
	assert_string_equal(real, "192.0.2.7:40000");
	assert_string_equal(virt, "10.8.0.2");
	assert_int_equal(client_of("CLIENT_LIST\tbob\t192.0.2.8:1\t10.8.0.3\t\t", &r, &cn, &real, &virt), 1);
	assert_string_equal(cn, "bob");
	assert_string_equal(virt, "10.8.0.3");
	/* Version 1: only the routing table names the virtual address. */
	assert_int_equal(client_of("OpenVPN CLIENT LIST", &r, &cn, &real, &virt), 0);
	assert_int_equal(client_of("carol,192.0.2.9:5,100,200,2026-01-01", &r, &cn, &real, &virt), 0);
	assert_int_equal(client_of("ROUTING TABLE", &r, &cn, &real, &virt), 0);
	assert_int_equal(client_of("Virtual Address,Common Name,Real Address,Last Ref", &r, &cn, &real, &virt), 0);
	assert_int_equal(client_of("10.8.0.4,carol,192.0.2.9:5,2026-01-01", &r, &cn, &real, &virt), 1);
	assert_string_equal(cn, "carol");
	assert_string_equal(virt, "10.8.0.4");
	assert_int_equal(client_of("GLOBAL STATS", &r, &cn, &real, &virt), 0);
	assert_int_equal(client_of("Max bcast/mcast queue length,0", &r, &cn, &real, &virt), 0);
	/* Junk is skipped. */
	assert_int_equal(client_of("CLIENT_LIST,short", &r, &cn, &real, &virt), 0);
	assert_int_equal(client_of("", &r, &cn, &real, &virt), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_24_two_lanes),
		cmocka_unit_test(test_pool_roundtrip),
		cmocka_unit_test(test_pool_errors),
		cmocka_unit_test(test_subst),
		cmocka_unit_test(test_status_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
