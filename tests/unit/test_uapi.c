// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests for the UAPI "set" parser (src/uapi.c): a full request as
 * "wg setconf" sends it, every kind of malformed line, and a fixed-seed
 * fuzz loop that must neither crash nor leak (run it under valgrind).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uapi.h"

#define HEX_A "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
#define HEX_B "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define HEX_C "c0ffee00c0ffee01c0ffee02c0ffee03c0ffee04c0ffee05c0ffee06c0ffee07"
#define HEX_D "d00dd00dd00dd00dd00dd00dd00dd00dd00dd00dd00dd00dd00dd00dd00dd00d"
#define HEX_E "e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00"
#define HEX_F "0f0e0d0c0b0a09080706050403020100fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0"
#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"
#define PEER_A "public_key=" HEX_A "\n"
#define PEER_B "public_key=" HEX_B "\n"

static void unhex(uint8_t out[32], const char *hex)
{
	for (int i = 0; i < 32; i++) {
		unsigned int b;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &b), 1);
		out[i] = (uint8_t)b;
	}
}

static void assert_key(const uint8_t key[32], const char *hex)
{
	uint8_t want[32];

	unhex(want, hex);
	assert_memory_equal(key, want, 32);
}

static void assert_zeroed(const struct uapi_set *s)
{
	static const struct uapi_set zero;

	assert_memory_equal(s, &zero, sizeof(zero));
}

static void assert_aip(const struct prefix *a, int family,
		       const char *addr, unsigned int cidr)
{
	uint8_t want[16] = { 0 };

	assert_int_equal(a->family, family);
	assert_int_equal(inet_pton(family, addr, want), 1);
	assert_memory_equal(a->addr, want, sizeof(want));
	assert_int_equal(a->cidr, cidr);
}

static int parse_str(struct uapi_set *s, const char *text, char *err,
		     size_t errlen)
{
	return uapi_parse_set(s, text, strlen(text), err, errlen);
}

/* What "wg setconf" sends (wireguard-tools ipc-uapi.h), plus the keys it
 * leaves out: update_only and protocol_version. */
static const char full_request[] =
	"set=1\n"
	"private_key=" HEX_E "\n"
	"listen_port=51820\n"
	"fwmark=4294967295\n"
	"replace_peers=true\n"
	"public_key=" HEX_A "\n"
	"preshared_key=" HEX_C "\n"
	"endpoint=192.0.2.1:51820\n"
	"persistent_keepalive_interval=25\n"
	"replace_allowed_ips=true\n"
	"allowed_ip=10.1.2.3/8\n"
	"allowed_ip=192.168.1.77/27\n"
	"allowed_ip=fd00::1:2:3/64\n"
	"allowed_ip=2001:db8::ff/121\n"
	"protocol_version=1\n"
	"public_key=" HEX_B "\n"
	"update_only=true\n"
	"preshared_key=" ZERO64 "\n"
	"endpoint=[2001:db8::1]:443\n"
	"persistent_keepalive_interval=0\n"
	"allowed_ip=0.0.0.0/0\n"
	"allowed_ip=::/0\n"
	"allowed_ip=10.9.8.7/32\n"
	"allowed_ip=fe80::1\n"
	"public_key=" HEX_D "\n"
	"remove=true\n"
	"\n";

static void check_device(const struct uapi_set *s)
{
	assert_true(s->has_private_key);
	assert_key(s->private_key, HEX_E);
	assert_true(s->has_listen_port);
	assert_int_equal(s->listen_port, 51820);
	assert_true(s->has_fwmark);
	assert_int_equal(s->fwmark, 4294967295U);
	assert_true(s->replace_peers);
	assert_int_equal(s->n_peers, 3);
}

static void check_peer0(const struct uapi_peer *p)
{
	assert_key(p->public_key, HEX_A);
	assert_false(p->remove);
	assert_false(p->update_only);
	assert_true(p->has_preshared_key);
	assert_key(p->preshared_key, HEX_C);
	assert_true(p->has_endpoint);
	assert_int_equal(p->endpoint.in.sin_family, AF_INET);
	assert_int_equal(p->endpoint.in.sin_port, htons(51820));
	assert_int_equal(p->endpoint.in.sin_addr.s_addr, htonl(0xc0000201));
	assert_true(p->has_persistent_keepalive);
	assert_int_equal(p->persistent_keepalive, 25);
	assert_true(p->replace_allowed_ips);
	assert_int_equal(p->n_allowedips, 4);
	assert_aip(&p->allowedips[0], AF_INET, "10.0.0.0", 8);
	assert_aip(&p->allowedips[1], AF_INET, "192.168.1.64", 27);
	assert_aip(&p->allowedips[2], AF_INET6, "fd00::", 64);
	assert_aip(&p->allowedips[3], AF_INET6, "2001:db8::80", 121);
}

static void check_peer1(const struct uapi_peer *p)
{
	uint8_t v6[16];

	assert_key(p->public_key, HEX_B);
	assert_false(p->remove);
	assert_true(p->update_only);
	assert_true(p->has_preshared_key);
	assert_key(p->preshared_key, ZERO64);
	assert_true(p->has_endpoint);
	assert_int_equal(p->endpoint.in6.sin6_family, AF_INET6);
	assert_int_equal(p->endpoint.in6.sin6_port, htons(443));
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", v6), 1);
	assert_memory_equal(&p->endpoint.in6.sin6_addr, v6, 16);
	assert_true(p->has_persistent_keepalive);
	assert_int_equal(p->persistent_keepalive, 0);
	assert_false(p->replace_allowed_ips);
	assert_int_equal(p->n_allowedips, 4);
	assert_aip(&p->allowedips[0], AF_INET, "0.0.0.0", 0);
	assert_aip(&p->allowedips[1], AF_INET6, "::", 0);
	assert_aip(&p->allowedips[2], AF_INET, "10.9.8.7", 32);
	assert_aip(&p->allowedips[3], AF_INET6, "fe80::1", 128);
}

static void check_peer2(const struct uapi_peer *p)
{
	assert_key(p->public_key, HEX_D);
	assert_true(p->remove);
	assert_false(p->update_only);
	assert_false(p->has_preshared_key);
	assert_false(p->has_endpoint);
	assert_false(p->has_persistent_keepalive);
	assert_false(p->replace_allowed_ips);
	assert_int_equal(p->n_allowedips, 0);
	assert_null(p->allowedips);
}

static void test_full_request(void **state)
{
	struct uapi_set s;
	char err[128] = "junk";

	assert_int_equal(parse_str(&s, full_request, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	check_device(&s);
	check_peer0(&s.peers[0]);
	check_peer1(&s.peers[1]);
	check_peer2(&s.peers[2]);
	uapi_set_free(&s);
	assert_zeroed(&s);
	uapi_set_free(&s);	/* safe on a zeroed struct */
	assert_zeroed(&s);
}

/* Without "set=1", without the empty line, and stopping at the empty line. */
static void test_framing(void **state)
{
	struct uapi_set s;
	char err[128];

	assert_int_equal(uapi_parse_set(&s, NULL, 0, err, sizeof(err)), 0);
	assert_zeroed(&s);
	assert_int_equal(parse_str(&s, "\n", err, sizeof(err)), 0);
	assert_zeroed(&s);
	assert_int_equal(parse_str(&s, "set=1\n\n", err, sizeof(err)), 0);
	assert_zeroed(&s);
	assert_int_equal(parse_str(&s, "listen_port=0\n", err, sizeof(err)), 0);
	assert_true(s.has_listen_port);
	assert_int_equal(s.listen_port, 0);
	uapi_set_free(&s);
	assert_int_equal(parse_str(&s, "fwmark=0\n\nbogus\x01\n", err,
				   sizeof(err)), 0);
	assert_true(s.has_fwmark);
	assert_int_equal(s.fwmark, 0);
	assert_int_equal(s.n_peers, 0);
	uapi_set_free(&s);
	/* All zeros removes the private key: it is kept, flagged, as zeros. */
	assert_int_equal(parse_str(&s, "private_key=" ZERO64 "\nlisten_port=007"
				   "\n", err, sizeof(err)), 0);
	assert_true(s.has_private_key);
	assert_key(s.private_key, ZERO64);
	assert_int_equal(s.listen_port, 7);
	uapi_set_free(&s);
	/* A peer with nothing but its key is valid. */
	assert_int_equal(parse_str(&s, PEER_A PEER_B, err, sizeof(err)), 0);
	assert_int_equal(s.n_peers, 2);
	assert_false(s.peers[1].has_endpoint);
	uapi_set_free(&s);
}

struct bad_case {
	const char *text;
	size_t len;		/* 0: strlen(text) */
	int ret;
	const char *err;	/* exact message, or NULL: any one line */
};

#define EP(v) PEER_A "endpoint=" v "\n"
#define AIP(v) PEER_A "allowed_ip=" v "\n"

static const struct bad_case bad_cases[] = {
	/* keys: hex only, lowercase, exactly 64 digits; never echoed */
	{ "private_key=zz" HEX_A "\n", 0, -EINVAL, "line 1: invalid private_key" },
	{ "private_key=" HEX_A "0\n", 0, -EINVAL, "line 1: invalid private_key" },
	{ "private_key=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbeb\n",
	  0, -EINVAL, "line 1: invalid private_key" },
	{ "private_key=A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF\n",
	  0, -EINVAL, "line 1: invalid private_key" },
	{ "private_key=\n", 0, -EINVAL, "line 1: invalid private_key" },
	{ "private_key= " HEX_A "\n", 0, -EINVAL, "line 1: invalid private_key" },
	{ "public_key=g" HEX_A "\n", 0, -EINVAL, NULL },
	{ "public_key=" HEX_A "00\n", 0, -EINVAL, NULL },
	{ PEER_A "preshared_key=" HEX_B "0\n", 0, -EINVAL,
	  "line 2: invalid preshared_key" },
	{ PEER_A "preshared_key=0\n", 0, -EINVAL, "line 2: invalid preshared_key" },
	/* numbers: decimal digits only, range checked */
	{ "listen_port=65536\n", 0, -EINVAL, "line 1: invalid listen_port \"65536\"" },
	{ "listen_port=-1\n", 0, -EINVAL, "line 1: invalid listen_port \"-1\"" },
	{ "listen_port=12a\n", 0, -EINVAL, "line 1: invalid listen_port \"12a\"" },
	{ "listen_port=\n", 0, -EINVAL, "line 1: invalid listen_port \"\"" },
	{ "listen_port=+1\n", 0, -EINVAL, NULL },
	{ "listen_port= 1\n", 0, -EINVAL, NULL },
	{ "listen_port=0x10\n", 0, -EINVAL, NULL },
	{ "set=1\nlisten_port=1\nfwmark=4294967296\n", 0, -EINVAL,
	  "line 3: invalid fwmark \"4294967296\"" },
	{ "fwmark=18446744073709551616\n", 0, -EINVAL, NULL },
	{ "fwmark=-0\n", 0, -EINVAL, NULL },
	{ PEER_A "persistent_keepalive_interval=65536\n", 0, -EINVAL,
	  "line 2: invalid persistent_keepalive_interval \"65536\"" },
	{ PEER_A "persistent_keepalive_interval=\n", 0, -EINVAL, NULL },
	/* booleans: the spec has only "true" */
	{ "replace_peers=false\n", 0, -EINVAL,
	  "line 1: invalid replace_peers \"false\"" },
	{ "replace_peers=\n", 0, -EINVAL, NULL },
	{ PEER_A "remove=false\n", 0, -EINVAL, "line 2: invalid remove \"false\"" },
	{ PEER_A "update_only=1\n", 0, -EINVAL, NULL },
	{ PEER_A "replace_allowed_ips=TRUE\n", 0, -EINVAL, NULL },
	/* endpoints */
	{ EP("1.2.3.4"), 0, -EINVAL, "line 2: invalid endpoint \"1.2.3.4\"" },
	{ EP("[::1]"), 0, -EINVAL, "line 2: invalid endpoint \"[::1]\"" },
	{ EP("1.2.3.4:99999"), 0, -EINVAL, NULL },
	{ EP("host:1"), 0, -EINVAL, NULL },
	{ EP("[::1:80"), 0, -EINVAL, NULL },
	{ EP(""), 0, -EINVAL, NULL },
	/* allowed IPs */
	{ AIP("10.0.0.1/33"), 0, -EINVAL,
	  "line 2: invalid allowed_ip \"10.0.0.1/33\"" },
	{ AIP("::/129"), 0, -EINVAL, "line 2: invalid allowed_ip \"::/129\"" },
	{ AIP("10.0.0.1/"), 0, -EINVAL, NULL },
	{ AIP("10.0.0.1/-1"), 0, -EINVAL, NULL },
	{ AIP("foo/8"), 0, -EINVAL, NULL },
	{ AIP(""), 0, -EINVAL, NULL },
	{ AIP("/8"), 0, -EINVAL, NULL },
	{ AIP("10.0.0.1/8/8"), 0, -EINVAL, NULL },
	{ AIP("fe80::1%eth0/64"), 0, -EINVAL, NULL },
	/* key placement, unknown and get-only keys, protocol version */
	{ PEER_A "listen_port=1\n", 0, -EPROTO,
	  "line 2: device key listen_port after a public_key" },
	{ PEER_A "private_key=" HEX_B "\n", 0, -EPROTO, NULL },
	{ "endpoint=1.2.3.4:1\n", 0, -EPROTO,
	  "line 1: peer key endpoint before any public_key" },
	{ "allowed_ip=10.0.0.0/8\n", 0, -EPROTO, NULL },
	{ "listen_port=1\nfoo=bar\n", 0, -EPROTO, "line 2: unknown key \"foo\"" },
	{ "get=1\n", 0, -EPROTO, "line 1: unknown key \"get\"" },
	{ "errno=0\n", 0, -EPROTO, NULL },
	{ "Listen_port=1\n", 0, -EPROTO, NULL },
	{ "listen_port =1\n", 0, -EPROTO, NULL },
	{ PEER_A "rx_bytes=1\n", 0, -EPROTO,
	  "line 2: rx_bytes is only valid in a get operation" },
	{ PEER_A "tx_bytes=1\n", 0, -EPROTO, NULL },
	{ PEER_A "last_handshake_time_sec=1\n", 0, -EPROTO, NULL },
	{ PEER_A "last_handshake_time_nsec=1\n", 0, -EPROTO, NULL },
	{ PEER_A "protocol_version=2\n", 0, -EPROTO,
	  "line 2: unsupported protocol_version \"2\"" },
	{ PEER_A "protocol_version=01\n", 0, -EPROTO, NULL },
	{ PEER_A "protocol_version=\n", 0, -EPROTO, NULL },
	{ "set=2\n", 0, -EPROTO, "line 1: unsupported set \"2\"" },
	{ "listen_port=1\nset=1\n", 0, -EPROTO,
	  "line 2: \"set\" must be the first line" },
	/* framing */
	{ "listen_port\n", 0, -EPROTO, "line 1: expected key=value" },
	{ "=1\n", 0, -EPROTO, "line 1: empty key" },
	{ "listen_port=1", 0, -EPROTO, "line 1: missing newline" },
	{ "listen_port=1\nfwmark=1", 0, -EPROTO, "line 2: missing newline" },
	{ "listen_port=1\r\n", 0, -EINVAL, "line 1: carriage return in line" },
	{ "listen_port=1\0" "2\n", 16, -EINVAL, "line 1: NUL byte in line" },
	{ "list\0en_port=1\n", 15, -EINVAL, "line 1: NUL byte in line" },
	/* the same peer twice in one message */
	{ PEER_A PEER_B "allowed_ip=1.2.3.4\n" PEER_A, 0, -EINVAL,
	  "line 4: repeated public_key" },
};

static void check_bad(const struct bad_case *c, size_t idx)
{
	struct uapi_set s;
	char err[128] = "junk";
	size_t len = c->len ? c->len : strlen(c->text);
	int ret;

	ret = uapi_parse_set(&s, c->text, len, err, sizeof(err));
	if (ret != c->ret)
		fail_msg("case %zu: got %d, want %d (%s)", idx, ret, c->ret, err);
	assert_zeroed(&s);
	assert_int_equal(strncmp(err, "line ", 5), 0);
	assert_null(strchr(err, '\n'));
	if (c->err && strcmp(err, c->err))
		fail_msg("case %zu: got \"%s\", want \"%s\"", idx, err, c->err);
}

static void test_bad_lines(void **state)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		check_bad(&bad_cases[i], i);
}

/* A bad line late in a request frees the peers and IPs parsed before it. */
static void test_bad_after_good(void **state)
{
	struct uapi_set s;
	char *text = malloc(sizeof(full_request) + 64);
	char err[128];

	assert_non_null(text);
	strcpy(text, full_request);
	strcpy(text + sizeof(full_request) - 2, "allowed_ip=1.2.3.4/40\n");
	assert_int_equal(parse_str(&s, text, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 27: invalid allowed_ip \"1.2.3.4/40\"");
	assert_zeroed(&s);
	free(text);
}

static void test_huge_line(void **state)
{
	struct uapi_set s;
	char err[128];
	char *text = malloc(4096);

	assert_non_null(text);
	strcpy(text, "listen_port=");
	memset(text + 12, '1', 4000);
	strcpy(text + 4012, "\n");
	assert_int_equal(parse_str(&s, text, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: line too long (4012 bytes)");
	assert_zeroed(&s);
	/* Just under the limit the value is parsed, and echoed cut short. */
	strcpy(text + 60, "\n");
	assert_int_equal(parse_str(&s, text, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: invalid listen_port "
			    "\"11111111111111111111111111111111...\"");
	free(text);
}

static void test_request_too_big(void **state)
{
	struct uapi_set s;
	char err[128];
	size_t len = UAPI_MAX_REQUEST + 1;
	char *text = malloc(len);

	assert_non_null(text);
	memset(text, '\n', len);
	assert_int_equal(uapi_parse_set(&s, text, len, err, sizeof(err)),
			 -E2BIG);
	assert_zeroed(&s);
	assert_string_equal(err, "request larger than 8388608 bytes");
	free(text);
}

/* Echoed text is made printable, and err is bounded by errlen. */
static void test_err_buffer(void **state)
{
	struct uapi_set s;
	char err[128];
	char tiny[12];

	assert_int_equal(parse_str(&s, "listen_port=1\"\x01\x7f\xff\\\n", err,
				   sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: invalid listen_port \"1?????\"");
	assert_int_equal(parse_str(&s, "k\x1b[2Jey=1\n", err, sizeof(err)),
			 -EPROTO);
	assert_string_equal(err, "line 1: unknown key \"k?[2Jey\"");
	assert_int_equal(parse_str(&s, "listen_port=x\n", tiny, sizeof(tiny)),
			 -EINVAL);
	assert_string_equal(tiny, "line 1: inv");
	assert_int_equal(parse_str(&s, "listen_port=x\n", tiny, 3), -EINVAL);
	assert_string_equal(tiny, "li");
	assert_int_equal(parse_str(&s, "listen_port=x\n", NULL, 0), -EINVAL);
	assert_zeroed(&s);
	tiny[0] = 'q';
	assert_int_equal(parse_str(&s, "listen_port=x\n", tiny, 0), -EINVAL);
	assert_int_equal(tiny[0], 'q');
}

/* Enough peers and IPs to make both arrays grow several times. */
static void test_many_peers(void **state)
{
	enum { NPEERS = 1000 };
	size_t cap = NPEERS * 256 + 2, off = 0;
	char *text = malloc(cap);
	struct uapi_set s;
	char err[128];

	assert_non_null(text);
	for (unsigned int i = 0; i < NPEERS; i++)
		off += (size_t)snprintf(text + off, cap - off,
			"public_key=%064x\npreshared_key=%064x\n"
			"allowed_ip=10.%u.%u.1/24\nallowed_ip=fd00::%x/120\n",
			i, i + 1, i >> 8, i & 0xff, i);
	assert_true(off < cap);
	assert_int_equal(uapi_parse_set(&s, text, off, err, sizeof(err)), 0);
	assert_int_equal(s.n_peers, NPEERS);
	for (unsigned int i = 0; i < NPEERS; i += 111) {
		char ip[32];

		assert_int_equal(s.peers[i].public_key[31], i & 0xff);
		assert_int_equal(s.peers[i].public_key[30], i >> 8);
		assert_int_equal(s.peers[i].preshared_key[31], (i + 1) & 0xff);
		assert_int_equal(s.peers[i].n_allowedips, 2);
		snprintf(ip, sizeof(ip), "10.%u.%u.0", i >> 8, i & 0xff);
		assert_aip(&s.peers[i].allowedips[0], AF_INET, ip, 24);
		snprintf(ip, sizeof(ip), "fd00::%x", i & 0xff00);
		assert_aip(&s.peers[i].allowedips[1], AF_INET6, ip, 120);
	}
	uapi_set_free(&s);
	assert_zeroed(&s);
	free(text);
}

struct aip_case {
	const char *in;
	int family;
	const char *addr;
	unsigned int cidr;
};

static const struct aip_case good_aips[] = {
	{ "10.1.2.3", AF_INET, "10.1.2.3", 32 },
	{ "10.1.2.3/32", AF_INET, "10.1.2.3", 32 },
	{ "10.1.2.3/31", AF_INET, "10.1.2.2", 31 },
	{ "10.1.2.3/0", AF_INET, "0.0.0.0", 0 },
	{ "255.255.255.255/9", AF_INET, "255.128.0.0", 9 },
	{ "172.31.255.255/12", AF_INET, "172.16.0.0", 12 },
	{ "10.1.2.3/08", AF_INET, "10.0.0.0", 8 },
	{ "::1", AF_INET6, "::1", 128 },
	{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/33", AF_INET6,
	  "2001:db8:8000::", 33 },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127", AF_INET6,
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 127 },
	{ "::ffff:10.1.2.3/120", AF_INET6, "::ffff:10.1.2.0", 120 },
};

static const char *const bad_aips[] = {
	"", "/", "/32", "10.0.0.1/", "10.0.0.1/33", "10.0.0.1/-1", "10.0.0.1/+1",
	"10.0.0.1/ 1", "10.0.0.1/1x", "10.0.0.1/4294967328", "::/129",
	"::/", "foo/8", "10.0.0/8", "10.0.0.256/8", "1.2.3.4.5", ":::/0",
	"fe80::1%eth0", "10.0.0.1 /8", " 10.0.0.1/8",
	"0000:0000:0000:0000:0000:0000:0000:0000:0/0",
	"00000000000000000000000000000000000000000000000000000000/1",
};

static void test_parse_allowedip(void **state)
{
	struct prefix a;
	static const struct prefix zero;

	for (size_t i = 0; i < sizeof(good_aips) / sizeof(good_aips[0]); i++) {
		memset(&a, 0xa5, sizeof(a));
		if (prefix_parse(&a, good_aips[i].in, true))
			fail_msg("rejected \"%s\"", good_aips[i].in);
		assert_aip(&a, good_aips[i].family, good_aips[i].addr,
			   good_aips[i].cidr);
	}
	for (size_t i = 0; i < sizeof(bad_aips) / sizeof(bad_aips[0]); i++) {
		memset(&a, 0xa5, sizeof(a));
		if (prefix_parse(&a, bad_aips[i], true) != -EINVAL)
			fail_msg("accepted \"%s\"", bad_aips[i]);
		assert_memory_equal(&a, &zero, sizeof(a));
	}
}

/* xorshift64*: the same sequence everywhere, unlike rand(). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32) % n;
}

static const char *const tokens[] = {
	"set=1\n", "private_key=", "listen_port=", "fwmark=", "replace_peers=",
	"public_key=", "remove=", "update_only=", "preshared_key=", "endpoint=",
	"persistent_keepalive_interval=", "replace_allowed_ips=", "allowed_ip=",
	"protocol_version=", "rx_bytes=", "true", "false", "1", "0", "65535",
	"65536", "4294967296", HEX_A, HEX_B, ZERO64, "1.2.3.4:5", "[::1]:51820",
	"[fe80::1%lo]:1", "10.0.0.0/8", "::/0", "/", ":", "[", "]", "=", "\n",
	"\n", "\n", "\r", "-", "9",
};

static size_t gen_tokens(char *buf, size_t cap)
{
	size_t len = 0, n = rnd(40);
	char one;

	for (size_t i = 0; i < n; i++) {
		const char *t = tokens[rnd(sizeof(tokens) / sizeof(tokens[0]))];
		size_t tl = strlen(t);

		if (rnd(10) == 0) {	/* now and then a random byte */
			one = (char)rnd(256);
			t = &one;
			tl = 1;
		}
		if (len + tl > cap)
			break;
		memcpy(buf + len, t, tl);
		len += tl;
	}
	return len;
}

static size_t gen_mutant(char *buf, size_t cap)
{
	size_t len = sizeof(full_request) - 1;
	size_t n = 1 + rnd(4);

	memcpy(buf, full_request, len);
	for (size_t i = 0; i < n && len; i++) {
		size_t at = rnd((uint32_t)len);

		switch (rnd(4)) {
		case 0:		/* flip a byte */
			buf[at] = (char)rnd(256);
			break;
		case 1:		/* cut the request short */
			len = at;
			break;
		case 2: {	/* drop a run of bytes */
			size_t k = rnd((uint32_t)(len - at));

			memmove(buf + at, buf + at + k, len - at - k);
			len -= k;
			break;
		}
		default:	/* repeat a stretch */
			if (len * 2 <= cap) {
				memcpy(buf + len, buf + at, len - at);
				len += len - at;
			}
			break;
		}
	}
	return len;
}

static void fuzz_one(const char *buf, size_t len, size_t *accepted)
{
	struct uapi_set s;
	char err[96];
	int ret;

	memset(err, 'x', sizeof(err));
	ret = uapi_parse_set(&s, buf, len, err, sizeof(err));
	assert_non_null(memchr(err, '\0', sizeof(err)));
	assert_null(strchr(err, '\n'));
	if (ret) {
		assert_true(ret == -EINVAL || ret == -EPROTO);
		assert_zeroed(&s);
		assert_true(strncmp(err, "line ", 5) == 0);
		return;
	}
	(*accepted)++;
	for (size_t i = 0; i < s.n_peers; i++) {
		for (size_t j = 0; j < s.peers[i].n_allowedips; j++) {
			const struct prefix *a = &s.peers[i].allowedips[j];

			assert_true(a->cidr <= (a->family == AF_INET ? 32 : 128));
		}
	}
	uapi_set_free(&s);
	assert_zeroed(&s);
}

static void test_fuzz(void **state)
{
	enum { ROUNDS = 6000, CAP = 4096 };
	char *buf = malloc(CAP);
	size_t accepted = 0;

	assert_non_null(buf);
	for (int i = 0; i < ROUNDS; i++) {
		size_t len = (i & 1) ? gen_tokens(buf, CAP) : gen_mutant(buf, CAP);
		char aip[64];
		size_t alen = len < sizeof(aip) - 1 ? len : sizeof(aip) - 1;
		struct prefix a;

		fuzz_one(buf, len, &accepted);
		memcpy(aip, buf, alen);
		aip[alen] = '\0';
		(void)prefix_parse(&a, aip, true);
	}
	/* The fuzzer must reach the success path too, or it tests little. */
	assert_true(accepted > 100);
	assert_true(accepted < ROUNDS);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_request),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_bad_after_good),
		cmocka_unit_test(test_huge_line),
		cmocka_unit_test(test_request_too_big),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_many_peers),
		cmocka_unit_test(test_parse_allowedip),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
