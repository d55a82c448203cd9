// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tun steering program (src/daemon/bpf/steer.bpf.c) run by the kernel
 * (BPF_PROG_TEST_RUN) on packets built here: a flow keeps its lane, flows
 * spread over every live lane, only live lanes are picked, and a peer with
 * none goes to its home lane. Needs root and a
 * kernel that allows BPF (skipped without: EPERM); a program the kernel
 * refuses fails it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <cmocka.h>

#include "ebpf.h"
#include "lanes_bpf.h"

extern const unsigned char tl_bpf_steer_start[], tl_bpf_steer_end[];

#define LANES 4

struct steer_fds {
	struct ebpf_obj *obj;
	int prog, routes4, routes6, peers, config;
};

static struct steer_fds F;

/* A flow: addresses (4 or 16 bytes), ports, protocol. */
struct flow {
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t proto;
};

static int group_setup(void **state)
{
	struct tl_config cfg = { .lanes = LANES };
	struct tl_route4 r4 = { .prefixlen = 16, .addr = { 10, 9 } };
	struct tl_route6 r6 = { .prefixlen = 16, .addr = { 0xfd, 0x00 } };
	uint32_t zero = 0;

	int ret;

	(void)state;
	F.obj = NULL;
	if (geteuid() != 0)
		return 0;	/* skipped: loading BPF needs root */
	ret = ebpf_open(tl_bpf_steer_start,
			(size_t)(tl_bpf_steer_end - tl_bpf_steer_start),
			"steer", &F.obj);
	if (ret == -EPERM) {
		F.obj = NULL;
		return 0;	/* skipped: not allowed here (a container) */
	}
	if (ret < 0) {
		/* The verifier refusing the program is what this test is
		 * for: a failure, not a skip. */
		fprintf(stderr, "steer.bpf.c does not load: %s\n",
			ebpf_last_error());
		return -1;
	}
	F.prog = ebpf_prog_fd(F.obj, "tl_steer");
	F.routes4 = ebpf_map_fd(F.obj, "tl_routes4");
	F.routes6 = ebpf_map_fd(F.obj, "tl_routes6");
	F.peers = ebpf_map_fd(F.obj, "tl_peers");
	F.config = ebpf_map_fd(F.obj, "tl_config");
	/* 10.9.0.0/16 and fd00::/16 are peer slot 0's. */
	if (F.prog < 0 || F.routes4 < 0 || F.routes6 < 0 || F.peers < 0 ||
	    F.config < 0 || ebpf_map_update(F.config, &zero, &cfg) ||
	    ebpf_map_update(F.routes4, &r4, &zero) ||
	    ebpf_map_update(F.routes6, &r6, &zero))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (F.obj)
		ebpf_close(F.obj);
	return 0;
}

static void set_slot0(uint64_t live, uint32_t home)
{
	struct tl_peer_slot p = { .home = home };
	uint32_t zero = 0;

	p.live[0] = live;
	assert_int_equal(ebpf_map_update(F.peers, &zero, &p), 0);
}

/* An Ethernet frame (the test run strips it: the program sees L3 at 0). */
static size_t build(uint8_t *pkt, const struct flow *f)
{
	size_t l3 = 14, l4;

	memset(pkt, 0, 128);
	if (f->family == AF_INET) {
		pkt[12] = 0x08;
		pkt[l3] = 0x45;
		pkt[l3 + 3] = 40;
		pkt[l3 + 8] = 64;
		pkt[l3 + 9] = f->proto;
		memcpy(pkt + l3 + 12, f->src, 4);
		memcpy(pkt + l3 + 16, f->dst, 4);
		l4 = l3 + 20;
	} else {
		pkt[12] = 0x86;
		pkt[13] = 0xdd;
		pkt[l3] = 0x60;
		pkt[l3 + 5] = 20;
		pkt[l3 + 6] = f->proto;
		pkt[l3 + 7] = 64;
		memcpy(pkt + l3 + 8, f->src, 16);
		memcpy(pkt + l3 + 24, f->dst, 16);
		l4 = l3 + 40;
	}
	pkt[l4] = (uint8_t)(f->sport >> 8);
	pkt[l4 + 1] = (uint8_t)f->sport;
	pkt[l4 + 2] = (uint8_t)(f->dport >> 8);
	pkt[l4 + 3] = (uint8_t)f->dport;
	return l4 + 20;
}

/* The lane the program picks for the packet of flow f. */
static unsigned int steer(const struct flow *f)
{
	uint8_t pkt[128];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .repeat = 1);

	o.data_size_in = (uint32_t)build(pkt, f);
	assert_int_equal(bpf_prog_test_run_opts(F.prog, &o), 0);
	return o.retval;
}

/* Flow i of a family: addresses in the peer's prefix, varied ports. */
static void flow_n(struct flow *f, int family, unsigned int i)
{
	memset(f, 0, sizeof(*f));
	f->family = family;
	f->proto = i % 3 ? 6 : 17;	/* TCP, some UDP */
	if (family == AF_INET) {
		memcpy(f->src, (uint8_t[]){ 10, 9, 1, (uint8_t)(i % 7 + 1) }, 4);
		memcpy(f->dst, (uint8_t[]){ 10, 9, 2, (uint8_t)(i % 5 + 1) }, 4);
	} else {
		f->src[0] = f->dst[0] = 0xfd;
		f->src[15] = (uint8_t)(i % 7 + 1);
		f->dst[14] = 2;
		f->dst[15] = (uint8_t)(i % 5 + 1);
	}
	f->sport = (uint16_t)(33000 + i * 7919 % 20000);
	f->dport = (uint16_t)(i % 4 ? 5201 : 443 + i);
}

/*
 * 200 flows, IPv4 and IPv6, TCP and UDP, use all 4 live lanes, none more
 * than half of them, and a flow's packets always take the same lane.
 */
static void test_spread(void **state)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	unsigned int count[LANES];

	(void)state;
	if (!F.obj)
		skip();
	set_slot0((1u << LANES) - 1, 1);
	for (int k = 0; k < 2; k++) {
		memset(count, 0, sizeof(count));
		for (unsigned int i = 0; i < 200; i++) {
			struct flow f;
			unsigned int a;

			flow_n(&f, fams[k], i);
			a = steer(&f);
			assert_true(a < LANES);
			assert_int_equal(steer(&f), a);
			count[a]++;
		}
		for (int l = 0; l < LANES; l++)
			if (count[l] == 0 || count[l] > 100)
				fail_msg("family %d: lane %d got %u of 200 "
					 "flows", fams[k], l, count[l]);
	}
}

/* Only live lanes are picked; with none, the home lane (lane + 1 in the
 * slot), and lane 0 for an address no peer routes. */
static void test_live_and_home(void **state)
{
	struct flow f;

	(void)state;
	if (!F.obj)
		skip();
	set_slot0(0xa, 1);	/* lanes 1 and 3 */
	for (unsigned int i = 0; i < 50; i++) {
		unsigned int l;

		flow_n(&f, AF_INET, i);
		l = steer(&f);
		assert_true(l == 1 || l == 3);
	}
	set_slot0(0, 3);	/* none live, home lane 2 */
	flow_n(&f, AF_INET6, 1);
	assert_int_equal(steer(&f), 2);
	f.dst[0] = 0xfc;	/* no peer's */
	assert_int_equal(steer(&f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_live_and_home),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
