// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests for the configuration file parser (src/config.c): real files in a
 * temporary directory, every field of a full config, the UAPI request it
 * turns into (fed back through uapi_parse_set), and the exact one-line
 * message of every kind of error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "uapi.h"

#define TEXT_MAX 8192

static char tmpdir[64];
/* Test keys: fixed bytes, so failures reproduce. */
static uint8_t priv[32], pub1[32], pub2[32], psk[32], own_pub[32];

static void fill_key(uint8_t key[32], uint8_t first)
{
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(first + i);
}

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/tunlane-config-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	fill_key(priv, 0x01);
	fill_key(pub1, 0xa0);
	fill_key(pub2, 0x40);
	fill_key(psk, 0x70);
	return crypto_x25519_public(own_pub, priv);
}

static int teardown(void **state)
{
	return rmdir(tmpdir);
}

/* Replaces every from in buf (of size cap) by to. */
static void replace_all(char *buf, size_t cap, const char *from,
			const char *to)
{
	size_t flen = strlen(from), tlen = strlen(to);
	char *at = buf;

	while ((at = strstr(at, from))) {
		size_t rest = strlen(at + flen);

		assert_true((size_t)(at - buf) + tlen + rest < cap);
		memmove(at + tlen, at + flen, rest + 1);
		memcpy(at, to, tlen);
		at += tlen;
	}
}

/* Fills in @PRIV@, @PUB1@, @PUB2@, @PSK@ and @OWN@ (our public key). */
static void expand(char *out, size_t cap, const char *text)
{
	static const struct { const char *tok; const uint8_t *key; } keys[] = {
		{ "@PRIV@", priv }, { "@PUB1@", pub1 }, { "@PUB2@", pub2 },
		{ "@PSK@", psk }, { "@OWN@", own_pub },
	};
	char b64[CRYPTO_KEY_B64_LEN];

	assert_true(strlen(text) < cap);
	strcpy(out, text);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		crypto_key_to_base64(b64, keys[i].key);
		replace_all(out, cap, keys[i].tok, b64);
	}
}

static void path_of(char *out, size_t len, const char *name)
{
	assert_true((size_t)snprintf(out, len, "%s/%s", tmpdir, name) < len);
}

/* Writes text (keys expanded) to tmpdir/name with mode, loads it, and
 * removes it again so no test sees another's file. */
static int load_text_mode(struct config *c, const char *name,
			  const char *text, mode_t mode, char *err,
			  size_t errlen)
{
	char path[256], body[TEXT_MAX];
	int fd, ret;

	expand(body, sizeof(body), text);
	path_of(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	assert_int_equal(close(fd), 0);
	ret = config_load(c, path, err, errlen);
	assert_int_equal(unlink(path), 0);
	return ret;
}

static void load_ok(struct config *c, const char *text)
{
	char err[512] = "";
	int ret = load_text_mode(c, "tl0.conf", text, 0600, err, sizeof(err));

	if (ret)
		fail_msg("config_load: %d %s", ret, err);
	assert_string_equal(err, "");
}

static void assert_prefix(const struct prefix *p, int family,
			  const char *addr, unsigned int cidr)
{
	uint8_t want[16] = { 0 };

	assert_int_equal(p->family, family);
	assert_int_equal(inet_pton(family, addr, want), 1);
	assert_memory_equal(p->addr, want, sizeof(want));
	assert_int_equal(p->cidr, cidr);
}

static void assert_endpoint(const union endpoint *ep, const char *want)
{
	char buf[ENDPOINT_STR_LEN + 16];

	endpoint_format(ep, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static const char full_config[] =
	"# tunlane test: two peers\n"
	"[Interface]\n"
	"PrivateKey = @PRIV@\n"
	"ListenPort = 51820\n"
	"Address = 10.0.0.1/24\n"
	"Address = fd00::1/64\n"
	"MTU = 1400\n"
	"Lanes = 4\n"
	"CPUs = 0-1,3\n"
	"User = root\n"
	"FwMark = 0x1234\n"
	"Table = off\n"
	"\n"
	"[Peer]\n"
	"PublicKey = @PUB1@\n"
	"PresharedKey = @PSK@\n"
	"Endpoint = 192.0.2.1:51820\n"
	"AllowedIPs = 10.0.0.2/32, 10.1.0.0/16\n"
	"PersistentKeepalive = off\n"
	"\n"
	"[Peer]\n"
	"PublicKey = @PUB2@\n"
	"Endpoint = [2001:db8::1]:51821\n"
	"AllowedIPs = fd00::2/128\n"
	"PersistentKeepalive = 25\n";

static void check_full_interface(const struct config *c)
{
	char path[256];

	path_of(path, sizeof(path), "tl0.conf");
	assert_string_equal(c->ifname, "tl0");
	assert_string_equal(c->path, path);
	assert_memory_equal(c->private_key, priv, 32);
	assert_true(c->has_listen_port);
	assert_int_equal(c->listen_port, 51820);
	assert_int_equal(c->n_addresses, 2);
	assert_prefix(&c->addresses[0], AF_INET, "10.0.0.1", 24);
	assert_prefix(&c->addresses[1], AF_INET6, "fd00::1", 64);
	assert_int_equal(c->mtu, 1400);
	assert_int_equal(c->lanes, 4);
	assert_int_equal(c->n_cpus, 3);
	assert_int_equal(c->cpus[0], 0);
	assert_int_equal(c->cpus[1], 1);
	assert_int_equal(c->cpus[2], 3);
	assert_true(c->has_user);
	assert_string_equal(c->user, "root");
	assert_int_equal(c->fwmark, 0x1234);
	assert_int_equal(c->table_mode, CONFIG_TABLE_OFF);
	assert_false(c->world_readable);
	assert_int_equal(c->n_peers, 2);
}

static void check_full_peers(const struct config *c)
{
	const struct config_peer *a = &c->peers[0], *b = &c->peers[1];

	assert_memory_equal(a->public_key, pub1, 32);
	assert_true(a->has_psk);
	assert_memory_equal(a->psk, psk, 32);
	assert_true(a->has_endpoint);
	assert_endpoint(&a->endpoint, "192.0.2.1:51820");
	assert_int_equal(a->keepalive, 0);
	assert_int_equal(a->n_allowed, 2);
	assert_prefix(&a->allowed[0], AF_INET, "10.0.0.2", 32);
	assert_prefix(&a->allowed[1], AF_INET, "10.1.0.0", 16);
	assert_int_equal(a->line, 14);

	assert_memory_equal(b->public_key, pub2, 32);
	assert_false(b->has_psk);
	assert_true(b->has_endpoint);
	assert_endpoint(&b->endpoint, "[2001:db8::1]:51821");
	assert_int_equal(b->keepalive, 25);
	assert_int_equal(b->n_allowed, 1);
	assert_prefix(&b->allowed[0], AF_INET6, "fd00::2", 128);
	assert_int_equal(b->line, 21);
}

static void test_full_config(void **state)
{
	struct config c;

	load_ok(&c, full_config);
	check_full_interface(&c);
	check_full_peers(&c);
	config_free(&c);
	assert_null(c.peers);
	assert_int_equal(c.n_peers, 0);
}

/* Everything left out takes its documented default. */
static void test_defaults(void **state)
{
	struct config c;

	load_ok(&c, "[Interface]\nPrivateKey = @PRIV@\n");
	assert_false(c.has_listen_port);
	assert_int_equal(c.n_addresses, 0);
	assert_int_equal(c.mtu, 1420);
	assert_int_equal(c.lanes, 1);
	assert_int_equal(c.n_cpus, 0);
	assert_false(c.has_user);
	assert_int_equal(c.fwmark, 0);
	assert_int_equal(c.table_mode, CONFIG_TABLE_AUTO);
	assert_int_equal(c.n_peers, 0);
	config_free(&c);
}

static void check_table(const char *value, int mode, uint32_t id)
{
	char text[256];
	struct config c;

	snprintf(text, sizeof(text),
		 "[Interface]\nPrivateKey = @PRIV@\nTable = %s\n", value);
	load_ok(&c, text);
	assert_int_equal(c.table_mode, mode);
	assert_int_equal(c.table, id);
	config_free(&c);
}

static void check_fwmark(const char *value, uint32_t want)
{
	char text[256];
	struct config c;

	snprintf(text, sizeof(text),
		 "[Interface]\nPrivateKey = @PRIV@\nFwMark = %s\n", value);
	load_ok(&c, text);
	assert_int_equal(c.fwmark, want);
	config_free(&c);
}

static void test_table_and_fwmark(void **state)
{
	check_table("1234", CONFIG_TABLE_ID, 1234);
	check_table("4294967295", CONFIG_TABLE_ID, 4294967295U);
	check_table("main", CONFIG_TABLE_ID, 254);
	check_table("auto", CONFIG_TABLE_AUTO, 0);
	check_table("OFF", CONFIG_TABLE_OFF, 0);
	check_fwmark("4660", 0x1234);
	check_fwmark("0xffffffff", 0xffffffffU);
	check_fwmark("0XaB", 0xab);
	check_fwmark("off", 0);
}

/* Comma lists and repeated keys add up; Address keeps host bits,
 * AllowedIPs masks them; an empty AllowedIPs is a peer with none. */
static void test_lists(void **state)
{
	struct config c;

	load_ok(&c, "[Interface]\nPrivateKey = @PRIV@\n"
		    "Address = 10.0.0.1, 10.0.0.2/31 ,fd00::1\n"
		    "Address=192.168.7.9/8\n"
		    "[Peer]\nPublicKey = @PUB1@\n"
		    "AllowedIPs = 10.1.2.3/16,fd00:1:2:3::9/64\n"
		    "AllowedIPs = 0.0.0.0/0, ::/0\n"
		    "[Peer]\nPublicKey = @PUB2@\nAllowedIPs =\n");
	assert_int_equal(c.n_addresses, 4);
	assert_prefix(&c.addresses[0], AF_INET, "10.0.0.1", 32);
	assert_prefix(&c.addresses[1], AF_INET, "10.0.0.2", 31);
	assert_prefix(&c.addresses[2], AF_INET6, "fd00::1", 128);
	assert_prefix(&c.addresses[3], AF_INET, "192.168.7.9", 8);
	assert_int_equal(c.peers[0].n_allowed, 4);
	assert_prefix(&c.peers[0].allowed[0], AF_INET, "10.1.0.0", 16);
	assert_prefix(&c.peers[0].allowed[1], AF_INET6, "fd00:1:2:3::", 64);
	assert_prefix(&c.peers[0].allowed[2], AF_INET, "0.0.0.0", 0);
	assert_prefix(&c.peers[0].allowed[3], AF_INET6, "::", 0);
	assert_int_equal(c.peers[1].n_allowed, 0);
	assert_null(c.peers[1].allowed);
	config_free(&c);
}

/* Enough items to make the arrays grow a few times (8, 16, 32...). */
static void test_many(void **state)
{
	char text[TEXT_MAX] = "[Interface]\nPrivateKey = @PRIV@\n";
	char b64[CRYPTO_KEY_B64_LEN];
	uint8_t key[32];
	struct config c;
	size_t n = strlen(text);

	for (int i = 0; i < 40; i++) {
		fill_key(key, (uint8_t)(0x80 + i));
		crypto_key_to_base64(b64, key);
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "[Peer]\nPublicKey = %s\n"
				      "AllowedIPs = 10.%d.0.0/16\n", b64, i);
	}
	load_ok(&c, text);
	assert_int_equal(c.n_peers, 40);
	for (int i = 0; i < 40; i++) {
		char want[32];

		fill_key(key, (uint8_t)(0x80 + i));
		assert_memory_equal(c.peers[i].public_key, key, 32);
		snprintf(want, sizeof(want), "10.%d.0.0", i);
		assert_int_equal(c.peers[i].n_allowed, 1);
		assert_prefix(&c.peers[i].allowed[0], AF_INET, want, 16);
	}
	config_free(&c);
}

/* Sections and keys in any case, comments, tabs and CRLF line ends. */
static void test_case_and_comments(void **state)
{
	struct config c;

	load_ok(&c, "  # leading comment\r\n"
		    "[interface]   # trailing comment\r\n"
		    "privatekey=@PRIV@#no space before the comment\r\n"
		    "\tLISTENPORT\t=\t4242\t\r\n"
		    "mtu = 1300 # comment\r\n"
		    "lAnEs = 2\n"
		    "cpus = 0 - 1, 5\n"
		    "#Address = 10.9.9.9/32\n"
		    "[ PEER ]\n"
		    "publickey = @PUB1@\n"
		    "ENDPOINT = 198.51.100.7:1000\n"
		    "persistentkeepalive = 10\n");
	assert_memory_equal(c.private_key, priv, 32);
	assert_int_equal(c.listen_port, 4242);
	assert_int_equal(c.mtu, 1300);
	assert_int_equal(c.lanes, 2);
	assert_int_equal(c.n_cpus, 3);
	assert_int_equal(c.cpus[2], 5);
	assert_int_equal(c.n_addresses, 0);
	assert_int_equal(c.n_peers, 1);
	assert_memory_equal(c.peers[0].public_key, pub1, 32);
	assert_endpoint(&c.peers[0].endpoint, "198.51.100.7:1000");
	assert_int_equal(c.peers[0].keepalive, 10);
	config_free(&c);
}

/* A hostname goes through getaddrinfo; "localhost" needs no DNS. */
static void test_endpoint_name(void **state)
{
	struct config c;
	char got[ENDPOINT_STR_LEN + 16];

	load_ok(&c, "[Interface]\nPrivateKey = @PRIV@\n[Peer]\n"
		    "PublicKey = @PUB1@\nEndpoint = localhost:51820\n");
	assert_true(c.peers[0].has_endpoint);
	endpoint_format(&c.peers[0].endpoint, got, sizeof(got));
	assert_true(!strcmp(got, "127.0.0.1:51820") ||
		    !strcmp(got, "[::1]:51820"));
	config_free(&c);
}

static void test_world_readable(void **state)
{
	struct config c;
	char err[256];

	assert_int_equal(load_text_mode(&c, "tl0.conf",
					"[Interface]\nPrivateKey = @PRIV@\n",
					0644, err, sizeof(err)), 0);
	assert_true(c.world_readable);
	config_free(&c);
	assert_int_equal(load_text_mode(&c, "tl0.conf",
					"[Interface]\nPrivateKey = @PRIV@\n",
					0640, err, sizeof(err)), 0);
	assert_false(c.world_readable);
	config_free(&c);
}

static void test_config_path(void **state)
{
	char out[64];

	assert_int_equal(config_path("tl0", out, sizeof(out)), 0);
	assert_string_equal(out, CONFIG_DIR "/tl0.conf");
	assert_int_equal(config_path("wg.x-1", out, sizeof(out)), 0);
	assert_string_equal(out, CONFIG_DIR "/wg.x-1.conf");
	assert_int_equal(config_path("tl0.conf", out, sizeof(out)), 0);
	assert_string_equal(out, "tl0.conf");
	assert_int_equal(config_path("./tl0", out, sizeof(out)), 0);
	assert_string_equal(out, "./tl0");
	assert_int_equal(config_path("this-name-is-too-long", out, sizeof(out)),
			 0);
	assert_string_equal(out, "this-name-is-too-long");
	assert_int_equal(config_path("tl0", out, 8), -ENAMETOOLONG);
}

static void hex_of(char out[CRYPTO_KEY_HEX_LEN], const uint8_t key[32])
{
	crypto_key_to_hex(out, key);
}

/* The exact request, so a change of format shows up here first. */
static void check_uapi_text(const char *text, size_t len)
{
	char want[2048], k[5][CRYPTO_KEY_HEX_LEN];

	hex_of(k[0], priv);
	hex_of(k[1], pub1);
	hex_of(k[2], psk);
	hex_of(k[3], pub2);
	snprintf(want, sizeof(want),
		 "set=1\nprivate_key=%s\nlisten_port=51820\nfwmark=4660\n"
		 "replace_peers=true\n"
		 "public_key=%s\npreshared_key=%s\nendpoint=192.0.2.1:51820\n"
		 "persistent_keepalive_interval=0\nreplace_allowed_ips=true\n"
		 "allowed_ip=10.0.0.2/32\nallowed_ip=10.1.0.0/16\n"
		 "public_key=%s\nendpoint=[2001:db8::1]:51821\n"
		 "persistent_keepalive_interval=25\nreplace_allowed_ips=true\n"
		 "allowed_ip=fd00::2/128\n\n",
		 k[0], k[1], k[2], k[3]);
	assert_string_equal(text, want);
	assert_int_equal(len, strlen(want));
}

static void check_uapi_peer(const struct uapi_peer *u,
			    const struct config_peer *p)
{
	assert_memory_equal(u->public_key, p->public_key, 32);
	assert_false(u->remove);
	assert_false(u->update_only);
	assert_int_equal(u->has_preshared_key, p->has_psk);
	if (p->has_psk)
		assert_memory_equal(u->preshared_key, p->psk, 32);
	assert_int_equal(u->has_endpoint, p->has_endpoint);
	assert_true(endpoint_equal(&u->endpoint, &p->endpoint));
	assert_true(u->has_persistent_keepalive);
	assert_int_equal(u->persistent_keepalive, p->keepalive);
	assert_true(u->replace_allowed_ips);
	assert_int_equal(u->n_allowedips, p->n_allowed);
	for (size_t i = 0; i < p->n_allowed; i++) {
		assert_int_equal(u->allowedips[i].family, p->allowed[i].family);
		assert_memory_equal(u->allowedips[i].addr, p->allowed[i].addr,
				    16);
		assert_int_equal(u->allowedips[i].cidr, p->allowed[i].cidr);
	}
}

static void test_uapi_round_trip(void **state)
{
	struct config c;
	struct uapi_set s;
	char *text, err[256] = "";
	size_t len;

	load_ok(&c, full_config);
	assert_int_equal(config_to_uapi(&c, &text, &len), 0);
	check_uapi_text(text, len);
	assert_int_equal(uapi_parse_set(&s, text, len, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_true(s.has_private_key);
	assert_memory_equal(s.private_key, c.private_key, 32);
	assert_true(s.has_listen_port);
	assert_int_equal(s.listen_port, c.listen_port);
	assert_true(s.has_fwmark);
	assert_int_equal(s.fwmark, c.fwmark);
	assert_true(s.replace_peers);
	assert_int_equal(s.n_peers, c.n_peers);
	for (size_t i = 0; i < c.n_peers; i++)
		check_uapi_peer(&s.peers[i], &c.peers[i]);
	uapi_set_free(&s);
	crypto_wipe(text, len);
	free(text);
	config_free(&c);
}

/* No ListenPort: none is sent, so the daemon picks one. */
static void test_uapi_minimal(void **state)
{
	struct config c;
	char *text, want[512], k[CRYPTO_KEY_HEX_LEN];
	size_t len;

	load_ok(&c, "[Interface]\nPrivateKey = @PRIV@\n");
	assert_int_equal(config_to_uapi(&c, &text, &len), 0);
	hex_of(k, priv);
	snprintf(want, sizeof(want),
		 "set=1\nprivate_key=%s\nfwmark=0\nreplace_peers=true\n\n", k);
	assert_string_equal(text, want);
	free(text);
	config_free(&c);
}

#define IFACE "[Interface]\nPrivateKey = @PRIV@\n"
#define PEER1 "[Peer]\nPublicKey = @PUB1@\n"

struct error_case {
	const char *file;	/* NULL: tl0.conf */
	const char *text;
	int ret;		/* 0: -EINVAL */
	const char *want;	/* what follows the file name */
};

static const struct error_case error_cases[] = {
	{ NULL, IFACE "Foo = bar\n", 0, ":3: unknown key \"Foo\" in [Interface]" },
	{ NULL, IFACE PEER1 "ListenPort = 1\n", 0,
	  ":5: ListenPort belongs in [Interface], not [Peer]" },
	{ NULL, IFACE "[Interfaces]\n", 0, ":3: unknown section \"[Interfaces]\"" },
	{ NULL, IFACE "[Peer\n", 0, ":3: invalid section header \"[Peer\"" },
	{ NULL, "PrivateKey = @PRIV@\n[Interface]\n", 0,
	  ":1: key \"PrivateKey\" before any [Interface] or [Peer] section" },
	{ NULL, IFACE "hello\n", 0, ":3: expected \"Key = Value\" or \"[Section]\"" },
	{ NULL, IFACE " = 1\n", 0, ":3: missing key before \"=\"" },
	{ NULL, IFACE "@PUB1@\n", 0,
	  ":3: unknown key \"(hidden: looks like a key)\" in [Interface]" },
	{ NULL, "[Interface]\nPrivateKey = AAAA=\n", 0, ":2: invalid PrivateKey" },
	{ NULL, "[Interface]\nPrivateKey = !AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
	  0, ":2: invalid PrivateKey" },
	{ NULL, "[Interface]\nPrivateKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n",
	  0, ":2: invalid PrivateKey" },
	{ NULL, IFACE "[Peer]\nPublicKey = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	  0, ":4: invalid PublicKey" },
	{ NULL, IFACE PEER1 "PresharedKey = @PSK@@\n", 0, ":5: invalid PresharedKey" },
	{ NULL, "[Interface]\nListenPort = 1\n", 0, ":1: [Interface] has no PrivateKey" },
	{ NULL, PEER1, 0, ":1: no [Interface] section" },
	{ NULL, IFACE "[interface]\n", 0, ":3: second [Interface] section (first on line 1)" },
	{ NULL, IFACE "ListenPort = 1\nlistenport = 2\n", 0,
	  ":4: duplicate ListenPort (first on line 3)" },
	{ NULL, IFACE PEER1 "[Peer]\nAllowedIPs = 10.0.0.0/8\n", 0,
	  ":5: [Peer] has no PublicKey" },
	{ NULL, IFACE PEER1 "[Peer]\nPublicKey = @PUB2@\n" PEER1, 0,
	  ":8: duplicate peer: same PublicKey as on line 4" },
	{ NULL, IFACE "[Peer]\nPublicKey = @OWN@\n", 0,
	  ":4: PublicKey is this interface's own public key" },
	{ NULL, IFACE "Address = 10.0.0.1/33\n", 0, ":3: invalid Address \"10.0.0.1/33\"" },
	{ NULL, IFACE "Address = 10.0.0.1/24, fd00::1/129\n", 0,
	  ":3: invalid Address \"fd00::1/129\"" },
	{ NULL, IFACE "Address =\n", 0, ":3: invalid Address \"\"" },
	{ NULL, IFACE PEER1 "AllowedIPs = 10.0.0.0/8, junk\n", 0,
	  ":5: invalid AllowedIPs \"junk\"" },
	{ NULL, IFACE PEER1 "AllowedIPs = 10.0.0.0/8,\n", 0, ":5: invalid AllowedIPs \"\"" },
	{ NULL, IFACE PEER1 "AllowedIPs = 10.0.0.0/\n", 0,
	  ":5: invalid AllowedIPs \"10.0.0.0/\"" },
	{ NULL, IFACE "ListenPort = 0\n", 0, ":3: invalid ListenPort \"0\" (1-65535)" },
	{ NULL, IFACE "ListenPort = 70000\n", 0, ":3: invalid ListenPort \"70000\" (1-65535)" },
	{ NULL, IFACE "ListenPort = abc\n", 0, ":3: invalid ListenPort \"abc\" (1-65535)" },
	{ NULL, IFACE "ListenPort = -1\n", 0, ":3: invalid ListenPort \"-1\" (1-65535)" },
	{ NULL, IFACE PEER1 "Endpoint = 192.0.2.1:70000\n", 0,
	  ":5: invalid Endpoint \"192.0.2.1:70000\"" },
	{ NULL, IFACE PEER1 "Endpoint = 192.0.2.1:0\n", 0,
	  ":5: invalid Endpoint \"192.0.2.1:0\"" },
	{ NULL, IFACE PEER1 "Endpoint = fd00::1:51820\n", 0,
	  ":5: invalid Endpoint \"fd00::1:51820\"" },
	{ NULL, IFACE PEER1 "Endpoint = 192.0.2.1\n", 0, ":5: invalid Endpoint \"192.0.2.1\"" },
	{ NULL, IFACE "CPUs = 1-\n", 0, ":3: invalid CPUs \"1-\" (a CPU list such as 0-3,6)" },
	{ NULL, IFACE "CPUs = a\n", 0, ":3: invalid CPUs \"a\" (a CPU list such as 0-3,6)" },
	{ NULL, IFACE "CPUs = 3-1\n", 0, ":3: invalid CPUs \"3-1\" (a CPU list such as 0-3,6)" },
	{ NULL, IFACE "Lanes = 0\n", 0, ":3: invalid Lanes \"0\" (1-256)" },
	{ NULL, IFACE "Lanes = 257\n", 0, ":3: invalid Lanes \"257\" (1-256)" },
	{ NULL, IFACE "Lanes = 300\n", 0, ":3: invalid Lanes \"300\" (1-256)" },
	{ NULL, IFACE "Lanes = x\n", 0, ":3: invalid Lanes \"x\" (1-256)" },
	{ NULL, IFACE "MTU = 100\n", 0, ":3: invalid MTU \"100\" (576-65535)" },
	{ NULL, IFACE "MTU = 1000\nAddress = 10.0.0.1/24, fd00::1/64\n", 0,
	  ":3: MTU 1000 is below 1280, the minimum for IPv6" },
	{ NULL, IFACE "ListenPort = 65535\nLanes = 2\n", 0,
	  ":3: ListenPort 65535 leaves no port for lane 1 of 2" },
	{ NULL, IFACE "Lanes = 4\n" PEER1 "Endpoint = 192.0.2.1:65534\n", 0,
	  ":6: Endpoint port 65534 leaves no port for lane 2 of 4" },
	{ NULL, IFACE "User = tunlane-no-such-user\n", 0,
	  ":3: unknown User \"tunlane-no-such-user\"" },
	{ NULL, IFACE "FwMark = 0x100000000\n", 0, ":3: invalid FwMark \"0x100000000\" (0-4294967295, 0x0-0xffffffff or off)" },
	{ NULL, IFACE "Table = 0\n", 0, ":3: invalid Table \"0\" (off, auto, main or 1-4294967295)" },
	{ NULL, IFACE PEER1 "PersistentKeepalive = 65536\n", 0,
	  ":5: invalid PersistentKeepalive \"65536\" (0-65535 seconds or off)" },
	{ NULL, IFACE "DNS = 10.0.0.256\n", 0, ":3: invalid DNS \"10.0.0.256\"" },
	{ NULL, IFACE "DNS = fd00::1::2\n", 0, ":3: invalid DNS \"fd00::1::2\"" },
	{ NULL, IFACE "DNS = bad;name\n", 0, ":3: invalid DNS \"bad;name\"" },
	{ NULL, IFACE "SaveConfig = yes\n", 0, ":3: invalid SaveConfig \"yes\"" },
	{ NULL, IFACE "SaveConfig = true\nSaveConfig = false\n", 0,
	  ":4: duplicate SaveConfig (first on line 3)" },
	{ NULL, IFACE PEER1 "PostUp = echo\n", 0,
	  ":5: PostUp belongs in [Interface], not [Peer]" },
	{ "this-name-is-too-long.conf", IFACE, 0,
	  ": invalid interface name \"this-name-is-too-long\" (1-15 characters of [a-zA-Z0-9_=+.-])" },
	{ "tl:0.conf", IFACE, 0,
	  ": invalid interface name \"tl:0\" (1-15 characters of [a-zA-Z0-9_=+.-])" },
	{ "tl0.cfg", IFACE, 0, ": the file name must be IFNAME.conf" },
};

static void check_error(const struct error_case *e)
{
	static const struct config zero;
	const char *name = e->file ? e->file : "tl0.conf";
	char err[512], want[1024], path[256];
	struct config c;
	int ret;

	memset(&c, 0xa5, sizeof(c));
	ret = load_text_mode(&c, name, e->text, 0600, err, sizeof(err));
	path_of(path, sizeof(path), name);
	snprintf(want, sizeof(want), "%s%s", path, e->want);
	if (strcmp(err, want))
		fail_msg("for %s:\n%s\n got %s\nwant %s", name, e->text, err,
			 want);
	assert_int_equal(ret, e->ret ? e->ret : -EINVAL);
	/* Nothing half-parsed is handed back. */
	assert_memory_equal(&c, &zero, sizeof(c));
}

static void test_errors(void **state)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
		check_error(&error_cases[i]);
}

/* RFC 6761: names under .invalid never resolve. The resolver's own words
 * (they differ with and without a network) are part of the message. */
static void test_unresolvable(void **state)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_protocol = IPPROTO_UDP,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char want[256];
	int gai = getaddrinfo("peer.invalid", "51820", &hints, &res);
	struct error_case e = {
		NULL, IFACE PEER1 "Endpoint = peer.invalid:51820\n", 0, want
	};

	assert_int_not_equal(gai, 0);
	snprintf(want, sizeof(want),
		 ":5: cannot resolve Endpoint \"peer.invalid:51820\": %s",
		 gai_strerror(gai));
	check_error(&e);
}

static void test_missing_file(void **state)
{
	char path[256], err[512], want[512];
	struct config c;

	path_of(path, sizeof(path), "tl9.conf");
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	path_of(path, sizeof(path), "dir.conf");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -EISDIR);
	assert_int_equal(rmdir(path), 0);
	snprintf(want, sizeof(want), "%s: Is a directory", path);
	assert_string_equal(err, want);
}

/* A UTF-8 byte order mark opens the file: skipped, not an unknown key;
 * one anywhere else is still an error. */
static void test_bom(void **state)
{
	struct config c;
	struct error_case e = { NULL, "[Interface]\n\xef\xbb\xbfPrivateKey = @PRIV@\n", 0,
				":2: unknown key \"???PrivateKey\" in [Interface]" };

	load_ok(&c, "\xef\xbb\xbf[Interface]\nPrivateKey = @PRIV@\nLanes = 3\n");
	assert_int_equal(c.lanes, 3);
	config_free(&c);
	check_error(&e);
}

/* A NUL byte cannot be expanded by the text helpers: write it by hand. */
static void test_nul_byte(void **state)
{
	static const char body[] = "[Interface]\nListenPort = 1\0x\n";
	char path[256], err[512], want[512];
	struct config c;
	int fd;

	path_of(path, sizeof(path), "tl0.conf");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, sizeof(body) - 1), sizeof(body) - 1);
	assert_int_equal(close(fd), 0);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -EINVAL);
	assert_int_equal(unlink(path), 0);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	assert_string_equal(err, want);
}

/* wg-quick's own keys: DNS split into servers and search domains on
 * commas and spaces, hooks kept in order (repeats allowed, '%i' as is,
 * empty ones skipped), SaveConfig true/false/empty. */
static void test_wg_quick_keys(void **state)
{
	struct config c;

	load_ok(&c, IFACE "DNS = 10.0.0.53, fd00::53 example.com,lan\n"
		"DNS =\nPreUp = echo one %i\npreup = echo two\nPostUp =\n"
		"PostDown = iptables -D FORWARD -i %i -j ACCEPT; true\n"
		"SaveConfig = true\nMTU = 1400\nTable = auto\n");
	assert_int_equal(c.dns.n, 2);
	assert_string_equal(c.dns.v[0], "10.0.0.53");
	assert_string_equal(c.dns.v[1], "fd00::53");
	assert_int_equal(c.dns_search.n, 2);
	assert_string_equal(c.dns_search.v[0], "example.com");
	assert_string_equal(c.dns_search.v[1], "lan");
	assert_int_equal(c.hooks[CONFIG_PRE_UP].n, 2);
	assert_string_equal(c.hooks[CONFIG_PRE_UP].v[0], "echo one %i");
	assert_string_equal(c.hooks[CONFIG_PRE_UP].v[1], "echo two");
	assert_int_equal(c.hooks[CONFIG_POST_UP].n, 0);
	assert_int_equal(c.hooks[CONFIG_PRE_DOWN].n, 0);
	assert_string_equal(c.hooks[CONFIG_POST_DOWN].v[0],
			    "iptables -D FORWARD -i %i -j ACCEPT; true");
	assert_true(c.save_config && c.has_mtu && c.has_table);
	config_free(&c);
	load_ok(&c, IFACE "SaveConfig = false\n");
	assert_false(c.save_config || c.has_mtu || c.has_table);
	config_free(&c);
	load_ok(&c, IFACE "SaveConfig =\n");
	assert_false(c.save_config);
	config_free(&c);
}

/* Every problem of a file in one run, one line each, in file order; the
 * keys of a broken section header are not reported once more. */
static void test_all_errors(void **state)
{
	static const struct config zero;
	char err[2048], path[256], want[2048];
	struct config c;

	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(load_text_mode(&c, "tl0.conf", IFACE
		"Foo = 1\nListenPort = x\n[Bogus]\nBar = 2\n" PEER1
		"AllowedIPs = 10.0.0.0/8, junk\nEndpoint = 1.2.3.4\n",
		0600, err, sizeof(err)), -EINVAL);
	path_of(path, sizeof(path), "tl0.conf");
	snprintf(want, sizeof(want),
		 "%1$s:3: unknown key \"Foo\" in [Interface]\n"
		 "%1$s:4: invalid ListenPort \"x\" (1-65535)\n"
		 "%1$s:5: unknown section \"[Bogus]\"\n"
		 "%1$s:9: invalid AllowedIPs \"junk\"\n"
		 "%1$s:10: invalid Endpoint \"1.2.3.4\"", path);
	assert_string_equal(err, want);
	assert_memory_equal(&c, &zero, sizeof(c));
}

/* A short err buffer gets a cut message, never an overrun. */
static void test_short_err(void **state)
{
	struct config c;
	char err[8];

	memset(err, 'x', sizeof(err));
	assert_int_equal(load_text_mode(&c, "tl0.conf", IFACE "Foo = 1\n",
					0600, err, 5), -EINVAL);
	assert_int_equal(strlen(err), 4);
	assert_int_equal(err[5], 'x');
	assert_int_equal(load_text_mode(&c, "tl0.conf", IFACE "Foo = 1\n",
					0600, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_table_and_fwmark),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_case_and_comments),
		cmocka_unit_test(test_endpoint_name),
		cmocka_unit_test(test_world_readable),
		cmocka_unit_test(test_config_path),
		cmocka_unit_test(test_uapi_round_trip),
		cmocka_unit_test(test_uapi_minimal),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unresolvable),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_short_err),
		cmocka_unit_test(test_wg_quick_keys),
		cmocka_unit_test(test_all_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
