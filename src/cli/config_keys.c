// SPDX-License-Identifier: GPL-2.0-only
/*
 * The key table of the configuration file and the parser of each value
 * (tunlane.conf(5)). A handler returns 0, a bare -EINVAL that
 * parse_value() turns into the standard "invalid Key" message, or its own
 * message through config_fail().
 */
#include "config_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cpulist.h"
#include "crypto.h"
#include "text.h"

static int add_prefix(struct prefix **arr, size_t *n,
		      const struct prefix *pfx)
{
	int ret = config_grow((void **)arr, *n, sizeof(**arr), false);

	if (ret)
		return ret;
	(*arr)[(*n)++] = *pfx;
	return 0;
}

static struct config_peer *cur_peer(struct parser *p)
{
	return &p->c->peers[p->c->n_peers - 1];
}

/* ---- [Interface] keys ---- */

static int key_private_key(struct parser *p, const char *v)
{
	if (crypto_key_from_base64(p->c->private_key, v))
		return -EINVAL;
	p->has_private_key = true;
	return 0;
}

/* 0 would ask for a random port; that is what leaving it out means. */
static int key_listen_port(struct parser *p, const char *v)
{
	uint64_t n;

	if (text_parse_uint(v, 1, UINT16_MAX, &n))
		return -EINVAL;
	p->c->has_listen_port = true;
	p->c->listen_port = (uint16_t)n;
	p->listen_port_line = p->line;
	return 0;
}

/* Interface addresses keep their host bits: 10.0.0.1/24 is the host. */
static int key_address(struct parser *p, const char *v)
{
	struct prefix pfx;

	if (prefix_parse(&pfx, v, false))
		return -EINVAL;
	return add_prefix(&p->c->addresses, &p->c->n_addresses, &pfx);
}

/* The IPv6 floor depends on Address, so it is checked at the end. */
static int key_mtu(struct parser *p, const char *v)
{
	uint64_t n;

	if (text_parse_uint(v, IPV4_MIN_MTU, UINT16_MAX, &n))
		return -EINVAL;
	p->c->mtu = (unsigned int)n;
	p->c->has_mtu = true;
	p->mtu_line = p->line;
	return 0;
}

/* A multi-queue tun has at most 256 queues (MAX_TAP_QUEUES). */
static int key_lanes(struct parser *p, const char *v)
{
	uint64_t n;

	if (text_parse_uint(v, 1, LANES_MAX, &n))
		return -EINVAL;
	p->c->lanes = (unsigned int)n;
	return 0;
}

/* "0-3, 6": cpulist syntax, with spaces allowed as wg(8) strips them. */
static int key_cpus(struct parser *p, const char *v)
{
	char buf[4096];
	size_t i, n = 0;
	int ret;

	for (i = 0; v[i]; i++) {
		if (text_is_space(v[i]))
			continue;
		if (n + 1 >= sizeof(buf))
			return -EINVAL;
		buf[n++] = v[i];
	}
	buf[n] = '\0';
	ret = cpulist_parse(buf, p->c->cpus, (int)ARRAY_SIZE(p->c->cpus));
	if (ret < 0)
		return -EINVAL;
	p->c->n_cpus = ret;
	return 0;
}

/* The lanes switch to this user; catch a typo now, not at fork time. */
static int key_user(struct parser *p, const char *v)
{
	char buf[ECHO_BUF];

	if (!*v || strlen(v) >= sizeof(p->c->user))
		return -EINVAL;
	if (!getpwnam(v))
		return config_fail(p, -EINVAL, "unknown User \"%s\"",
				   text_echo(buf, sizeof(buf), v));
	strcpy(p->c->user, v);
	p->c->has_user = true;
	return 0;
}

static int key_fwmark(struct parser *p, const char *v)
{
	if (!strcasecmp(v, "off")) {
		p->c->fwmark = 0;
		return 0;
	}
	return text_parse_u32(v, &p->c->fwmark);
}

/* wg-quick: "off" adds no routes, "auto" picks, else a table for them. */
static int key_route_table(struct parser *p, const char *v)
{
	uint64_t n;

	if (!strcasecmp(v, "off")) {
		p->c->table_mode = CONFIG_TABLE_OFF;
	} else if (!strcasecmp(v, "auto")) {
		p->c->table_mode = CONFIG_TABLE_AUTO;
	} else if (!strcasecmp(v, "main")) {
		p->c->table_mode = CONFIG_TABLE_ID;
		p->c->table = CONFIG_TABLE_MAIN;
	} else if (!text_parse_uint(v, 1, UINT32_MAX, &n)) {
		p->c->table_mode = CONFIG_TABLE_ID;
		p->c->table = (uint32_t)n;
	} else {
		return -EINVAL;
	}
	p->c->has_table = true;
	return 0;
}

/* ---- [Peer] keys ---- */

static int key_public_key(struct parser *p, const char *v)
{
	if (crypto_key_from_base64(cur_peer(p)->public_key, v))
		return -EINVAL;
	p->meta[p->c->n_peers - 1].key_line = p->line;
	return 0;
}

static int key_preshared_key(struct parser *p, const char *v)
{
	struct config_peer *peer = cur_peer(p);

	if (crypto_key_from_base64(peer->psk, v))
		return -EINVAL;
	peer->has_psk = true;
	return 0;
}

/*
 * Splits "host:port" or "[host]:port" in place. A bare IPv6 address has
 * colons of its own, so without brackets the host may hold none.
 */
static int split_host_port(char *s, char **host, char **port)
{
	char *colon;

	if (s[0] == '[') {
		colon = strchr(s, ']');
		if (!colon || colon[1] != ':')
			return -EINVAL;
		*colon++ = '\0';
		*host = s + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon || strchr(colon + 1, ':'))
			return -EINVAL;
		*host = s;
	}
	*colon = '\0';
	*port = colon + 1;
	return **host ? 0 : -EINVAL;
}

/* First IPv4 or IPv6 answer, in the order getaddrinfo sorts them. */
static int copy_addrinfo(union endpoint *ep, const struct addrinfo *ai)
{
	for (; ai; ai = ai->ai_next) {
		if ((ai->ai_family == AF_INET &&
		     ai->ai_addrlen == sizeof(ep->in)) ||
		    (ai->ai_family == AF_INET6 &&
		     ai->ai_addrlen == sizeof(ep->in6))) {
			memset(ep, 0, sizeof(*ep));
			memcpy(ep, ai->ai_addr, ai->ai_addrlen);
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}

/* Names are resolved here, once: the daemon only takes numeric ones. */
static int resolve_endpoint(struct parser *p, union endpoint *ep,
			    const char *v)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_protocol = IPPROTO_UDP,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res;
	char copy[NI_MAXHOST + 16], buf[ECHO_BUF], *host, *port;
	uint64_t n;
	int ret;

	if (strlen(v) >= sizeof(copy))
		return -EINVAL;
	strcpy(copy, v);
	if (split_host_port(copy, &host, &port) ||
	    text_parse_uint(port, 1, UINT16_MAX, &n))
		return -EINVAL;
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret)
		return config_fail(p, -EINVAL, "cannot resolve Endpoint \"%s\": %s",
			    text_echo(buf, sizeof(buf), v), gai_strerror(ret));
	ret = copy_addrinfo(ep, res);
	freeaddrinfo(res);
	if (ret)
		return config_fail(p, -EINVAL, "Endpoint \"%s\" has no IP address",
			    text_echo(buf, sizeof(buf), v));
	return 0;
}

static int key_endpoint(struct parser *p, const char *v)
{
	struct config_peer *peer = cur_peer(p);
	int ret = 0;

	/* Numeric first: no resolver round trip, and zones work. */
	if (endpoint_parse(&peer->endpoint, v))
		ret = resolve_endpoint(p, &peer->endpoint, v);
	if (ret)
		return ret;
	if (!endpoint_port(&peer->endpoint))
		return -EINVAL;
	peer->has_endpoint = true;
	p->meta[p->c->n_peers - 1].endpoint_line = p->line;
	return 0;
}

/* Routes go to the network, so host bits are cleared, as wg does. */
static int key_allowed_ips(struct parser *p, const char *v)
{
	struct config_peer *peer = cur_peer(p);
	struct prefix pfx;

	if (prefix_parse(&pfx, v, true))
		return -EINVAL;
	return add_prefix(&peer->allowed, &peer->n_allowed, &pfx);
}

static int key_keepalive(struct parser *p, const char *v)
{
	uint64_t n = 0;

	if (strcasecmp(v, "off") && text_parse_uint(v, 0, UINT16_MAX, &n))
		return -EINVAL;
	cur_peer(p)->keepalive = (uint16_t)n;
	return 0;
}

/* ---- the key table ---- */

#define KEY_SECRET 1U		/* never quote the value */
#define KEY_LIST 2U		/* comma list, may repeat */
#define KEY_EMPTY_OK 4U		/* "AllowedIPs =" is a peer with none */
#define KEY_REPEAT 8U		/* may repeat, one value per line (hooks) */

struct key_handler {
	const char *name;
	enum section sec;
	unsigned int flags;
	/* 0, -EINVAL ("invalid Key "value""), or config_fail() with a message. */
	int (*parse)(struct parser *p, const char *value);
	const char *range;	/* what is valid, said after "invalid" */
};

static const struct key_handler key_table[] = {
	{ "PrivateKey", SEC_INTERFACE, KEY_SECRET, key_private_key, NULL },
	{ "ListenPort", SEC_INTERFACE, 0, key_listen_port, "1-65535" },
	{ "Address", SEC_INTERFACE, KEY_LIST, key_address, NULL },
	{ "MTU", SEC_INTERFACE, 0, key_mtu, "576-65535" },
	{ "Lanes", SEC_INTERFACE, 0, key_lanes, "1-256" },
	{ "CPUs", SEC_INTERFACE, 0, key_cpus, "a CPU list such as 0-3,6" },
	{ "User", SEC_INTERFACE, 0, key_user, NULL },
	{ "FwMark", SEC_INTERFACE, 0, key_fwmark, "0-4294967295, 0x0-0xffffffff or off" },
	{ "Table", SEC_INTERFACE, 0, key_route_table, "off, auto, main or 1-4294967295" },
	{ "DNS", SEC_INTERFACE, KEY_LIST | KEY_EMPTY_OK, config_key_dns, NULL },
	{ "PreUp", SEC_INTERFACE, KEY_REPEAT | KEY_EMPTY_OK, config_key_pre_up, NULL },
	{ "PostUp", SEC_INTERFACE, KEY_REPEAT | KEY_EMPTY_OK, config_key_post_up, NULL },
	{ "PreDown", SEC_INTERFACE, KEY_REPEAT | KEY_EMPTY_OK,
	  config_key_pre_down, NULL },
	{ "PostDown", SEC_INTERFACE, KEY_REPEAT | KEY_EMPTY_OK,
	  config_key_post_down, NULL },
	{ "SaveConfig", SEC_INTERFACE, KEY_EMPTY_OK, config_key_save_config, NULL },
	{ "PublicKey", SEC_PEER, KEY_SECRET, key_public_key, NULL },
	{ "PresharedKey", SEC_PEER, KEY_SECRET, key_preshared_key, NULL },
	{ "Endpoint", SEC_PEER, 0, key_endpoint, NULL },
	{ "AllowedIPs", SEC_PEER, KEY_LIST | KEY_EMPTY_OK, key_allowed_ips, NULL },
	{ "PersistentKeepalive", SEC_PEER, 0, key_keepalive, "0-65535 seconds or off" },
};

_Static_assert(ARRAY_SIZE(key_table) <= N_KEYS_MAX, "seen[] too small");

static const char *section_name(enum section sec)
{
	return sec == SEC_PEER ? "[Peer]" : "[Interface]";
}

static const struct key_handler *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(key_table); i++) {
		if (!strcasecmp(key_table[i].name, name))
			return &key_table[i];
	}
	return NULL;
}

/* Turns a handler's bare -EINVAL into the standard message. */
static int parse_value(struct parser *p, const struct key_handler *h,
		       const char *v)
{
	char buf[ECHO_BUF];
	int ret;

	p->reported = false;
	ret = h->parse(p, v);
	if (!ret || p->reported)
		return ret;
	if (ret != -EINVAL)
		return config_fail(p, ret, "%s: %s", h->name, strerror(-ret));
	if (h->flags & KEY_SECRET)
		return config_fail(p, ret, "invalid %s", h->name);
	if (h->range)
		return config_fail(p, ret, "invalid %s \"%s\" (%s)", h->name,
				   text_echo(buf, sizeof(buf), v), h->range);
	return config_fail(p, ret, "invalid %s \"%s\"", h->name,
			   text_echo(buf, sizeof(buf), v));
}

/* "a, b,c": each item trimmed; an empty item is an error. */
static int parse_list(struct parser *p, const struct key_handler *h,
		      char *v)
{
	char *item, *comma;
	int ret;

	if (!*v && (h->flags & KEY_EMPTY_OK))
		return 0;
	for (item = v;; item = comma + 1) {
		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		ret = parse_value(p, h, text_trim(item));
		if (ret || !comma)
			return ret;
	}
}

/* Single-valued keys may appear once per section. */
static int check_repeat(struct parser *p, const struct key_handler *h)
{
	unsigned int *seen = &p->seen[h - key_table];

	if (h->flags & (KEY_LIST | KEY_REPEAT))
		return 0;
	if (*seen)
		return config_fail(p, -EINVAL, "duplicate %s (first on line %u)",
			    h->name, *seen);
	*seen = p->line;
	return 0;
}

int config_dispatch(struct parser *p, const char *key, char *value)
{
	const struct key_handler *h = find_key(key);
	char buf[ECHO_BUF];
	int ret;

	if (p->sec == SEC_SKIP)
		return 0;
	if (p->sec == SEC_NONE)
		return config_fail(p, -EINVAL,
			    "key \"%s\" before any [Interface] or [Peer] section",
			    text_echo(buf, sizeof(buf), key));
	if (!h)
		return config_fail(p, -EINVAL, "unknown key \"%s\" in %s",
			    text_echo(buf, sizeof(buf), key), section_name(p->sec));
	if (h->sec != p->sec)
		return config_fail(p, -EINVAL, "%s belongs in %s, not %s", h->name,
			    section_name(h->sec), section_name(p->sec));
	ret = check_repeat(p, h);
	if (ret)
		return ret;
	if (h->flags & KEY_LIST)
		return parse_list(p, h, value);
	if (!*value && (h->flags & KEY_EMPTY_OK))
		return 0;
	return parse_value(p, h, value);
}
