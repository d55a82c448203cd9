// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parser for tunlane's configuration file, which is wg-quick's format
 * (wg-quick(8), wg(8) "CONFIGURATION FILE FORMAT"):
 *
 *   [Interface]                  # '#' starts a comment, to end of line
 *   PrivateKey = <base64>
 *   Address = 10.0.0.1/24, fd00::1/64
 *   [Peer]
 *   PublicKey = <base64>
 *   AllowedIPs = 10.0.0.2/32
 *
 * Section and key names are matched without regard to case, as wg-quick
 * (shopt -s nocasematch) and wg (strcasecmp) do. Values are trimmed; the
 * list keys (Address, AllowedIPs) take comma-separated items and may be
 * repeated. Everything is stricter than wg-quick where wg-quick would do
 * something surprising: a repeated single-valued key, a second
 * [Interface] or an unknown key is an error rather than "last one wins".
 *
 * Errors are one line, "FILE:LINE: message", and never quote key material.
 * The file is checked completely before config_load() returns; on any
 * error the struct config is freed and zeroed.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpulist.h"
#include "crypto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A config with thousands of peers is a few hundred KiB; more is junk. */
#define CONFIG_MAX_FILE (8U << 20)
/* How much of an offending value is quoted back in a message. */
#define ECHO_MAX 64
#define ECHO_BUF (ECHO_MAX + sizeof("..."))
#define N_KEYS_MAX 32
#define IPV6_MIN_MTU 1280	/* RFC 8200 section 5 */
#define IPV4_MIN_MTU 576	/* RFC 791: every host must take 576 */

enum section { SEC_NONE, SEC_INTERFACE, SEC_PEER };

/* Where things were written, for messages about the file as a whole. */
struct peer_meta {
	unsigned int key_line;		/* 0: no PublicKey yet */
	unsigned int endpoint_line;
};

struct parser {
	struct config *c;
	const char *file;		/* as messages name it */
	unsigned int line;		/* 0: a message about the whole file */
	enum section sec;
	unsigned int seen[N_KEYS_MAX];	/* line of each key in this section */
	unsigned int iface_line;
	bool has_private_key;
	unsigned int listen_port_line;
	unsigned int mtu_line;
	struct peer_meta *meta;		/* one per c->peers[] */
	char *err;
	size_t errlen;
	bool reported;			/* err already holds the message */
};

static int fail(struct parser *p, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Writes "FILE:LINE: message" (or "FILE: message") to err. Control bytes
 * (from a file name, say) become '?' so the message stays one line.
 */
static int fail(struct parser *p, int ret, const char *fmt, ...)
{
	va_list ap;
	size_t i;
	int n;

	p->reported = true;
	if (!p->err || !p->errlen)
		return ret;
	if (p->line)
		n = snprintf(p->err, p->errlen, "%s:%u: ", p->file, p->line);
	else
		n = snprintf(p->err, p->errlen, "%s: ", p->file);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	for (i = 0; p->err[i]; i++) {
		unsigned char ch = (unsigned char)p->err[i];

		if (ch < 0x20 || ch == 0x7f)
			p->err[i] = '?';
	}
	return ret;
}

static bool is_base64_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
}

/*
 * A key pasted in the wrong place (a private key as a line of its own, as
 * an AllowedIPs item...) must not end up in a message or a log either.
 */
static bool looks_like_key(const char *s)
{
	size_t i, n = strlen(s);

	if (n == CRYPTO_KEY_B64_LEN - 1 && s[n - 1] == '=')
		n--;
	if (n != CRYPTO_KEY_B64_LEN - 2)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_base64_char(s[i]))
			return false;
	}
	return true;
}

/* Untrusted text fit to quote: printable ASCII only, cut short. */
static const char *echo(char buf[ECHO_BUF], const char *s)
{
	size_t i;

	if (looks_like_key(s))
		return "(hidden: looks like a key)";
	for (i = 0; s[i] && i < ECHO_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		buf[i] = (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') ?
			 '?' : (char)ch;
	}
	buf[i] = '\0';
	if (s[i])
		strcpy(buf + i, "...");
	return buf;
}

/* Decimal digits only (no sign, space or "0x"), within min..max. */
static int parse_uint(const char *s, uint64_t min, uint64_t max,
		      uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (d > 9 || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (v < min)
		return -EINVAL;
	*out = v;
	return 0;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decimal, or hex after "0x", as wg(8) takes FwMark; up to 2^32-1. */
static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!s[2])
			return -EINVAL;
		for (s += 2; *s; s++) {
			int d = hex_digit(*s);

			if (d < 0 || v > (UINT32_MAX >> 4))
				return -EINVAL;
			v = v << 4 | (unsigned int)d;
		}
	} else if (parse_uint(s, 0, UINT32_MAX, &v)) {
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Keeps bits up to cidr, as the kernel stores a route's prefix. */
static void mask_prefix(uint8_t *addr, unsigned int bytes, unsigned int cidr)
{
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		unsigned int bits = cidr > i * 8 ? cidr - i * 8 : 0;

		if (bits < 8)
			addr[i] &= (uint8_t)(0xff00U >> bits);
	}
}

/* "addr[/cidr]"; no cidr means one host (/32 or /128). */
static int parse_prefix(struct config_prefix *out, const char *s, bool mask)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t cidr;

	memset(out, 0, sizeof(*out));
	if (!alen || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	out->family = memchr(addr, ':', alen) ? AF_INET6 : AF_INET;
	if (inet_pton(out->family, addr, out->addr) != 1)
		return -EINVAL;
	cidr = out->family == AF_INET ? 32 : 128;
	if (slash && (strlen(slash + 1) > 3 ||
		      parse_uint(slash + 1, 0, cidr, &cidr)))
		return -EINVAL;
	out->cidr = (uint8_t)cidr;
	if (mask)
		mask_prefix(out->addr, out->family == AF_INET ? 4 : 16,
			    out->cidr);
	return 0;
}

/* Whitespace as wg-quick's [[:space:]] in the C locale. */
static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f' || ch == '\n';
}

static char *trim(char *s)
{
	size_t n;

	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n && is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/*
 * Makes room for element n of an array whose capacity is implied by n
 * (8, then doubling), so callers keep only a count. Arrays that hold keys
 * are moved by hand, so the old copy is wiped before it is freed.
 */
static int grow(void **arr, size_t n, size_t size, bool secret)
{
	size_t ncap = n ? n * 2 : 8;
	void *na;

	if (n && (n < 8 || (n & (n - 1))))
		return 0;
	if (ncap > SIZE_MAX / size)
		return -ENOMEM;
	na = secret ? malloc(ncap * size) : realloc(*arr, ncap * size);
	if (!na)
		return -ENOMEM;
	if (secret && *arr) {
		memcpy(na, *arr, n * size);
		crypto_wipe(*arr, n * size);
		free(*arr);
	}
	*arr = na;
	return 0;
}

static int add_prefix(struct config_prefix **arr, size_t *n,
		      const struct config_prefix *pfx)
{
	int ret = grow((void **)arr, *n, sizeof(**arr), false);

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

	if (parse_uint(v, 1, UINT16_MAX, &n))
		return -EINVAL;
	p->c->has_listen_port = true;
	p->c->listen_port = (uint16_t)n;
	p->listen_port_line = p->line;
	return 0;
}

/* Interface addresses keep their host bits: 10.0.0.1/24 is the host. */
static int key_address(struct parser *p, const char *v)
{
	struct config_prefix pfx;

	if (parse_prefix(&pfx, v, false))
		return -EINVAL;
	return add_prefix(&p->c->addresses, &p->c->n_addresses, &pfx);
}

/* The IPv6 floor depends on Address, so it is checked at the end. */
static int key_mtu(struct parser *p, const char *v)
{
	uint64_t n;

	if (parse_uint(v, IPV4_MIN_MTU, UINT16_MAX, &n))
		return -EINVAL;
	p->c->mtu = (unsigned int)n;
	p->mtu_line = p->line;
	return 0;
}

/* A multi-queue tun has at most 256 queues (MAX_TAP_QUEUES). */
static int key_lanes(struct parser *p, const char *v)
{
	uint64_t n;

	if (parse_uint(v, 1, CONFIG_MAX_LANES, &n))
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
		if (is_space(v[i]))
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
		return fail(p, -EINVAL, "unknown User \"%s\"", echo(buf, v));
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
	return parse_u32(v, &p->c->fwmark);
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
	} else if (!parse_uint(v, 1, UINT32_MAX, &n)) {
		p->c->table_mode = CONFIG_TABLE_ID;
		p->c->table = (uint32_t)n;
	} else {
		return -EINVAL;
	}
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
	    parse_uint(port, 1, UINT16_MAX, &n))
		return -EINVAL;
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret)
		return fail(p, -EINVAL, "cannot resolve Endpoint \"%s\": %s",
			    echo(buf, v), gai_strerror(ret));
	ret = copy_addrinfo(ep, res);
	freeaddrinfo(res);
	if (ret)
		return fail(p, -EINVAL, "Endpoint \"%s\" has no IP address",
			    echo(buf, v));
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
	struct config_prefix pfx;

	if (parse_prefix(&pfx, v, true))
		return -EINVAL;
	return add_prefix(&peer->allowed, &peer->n_allowed, &pfx);
}

static int key_keepalive(struct parser *p, const char *v)
{
	uint64_t n = 0;

	if (strcasecmp(v, "off") && parse_uint(v, 0, UINT16_MAX, &n))
		return -EINVAL;
	cur_peer(p)->keepalive = (uint16_t)n;
	return 0;
}

/* ---- the key table ---- */

#define KEY_SECRET 1U		/* never quote the value */
#define KEY_LIST 2U		/* comma list, may repeat */
#define KEY_EMPTY_OK 4U		/* "AllowedIPs =" is a peer with none */

struct key_handler {
	const char *name;
	enum section sec;
	unsigned int flags;
	/* 0, -EINVAL ("invalid Key "value""), or fail() with a message. */
	int (*parse)(struct parser *p, const char *value);
};

/* parse NULL: wg-quick hooks and DNS, which run shell or touch resolv. */
static const struct key_handler key_table[] = {
	{ "PrivateKey", SEC_INTERFACE, KEY_SECRET, key_private_key },
	{ "ListenPort", SEC_INTERFACE, 0, key_listen_port },
	{ "Address", SEC_INTERFACE, KEY_LIST, key_address },
	{ "MTU", SEC_INTERFACE, 0, key_mtu },
	{ "Lanes", SEC_INTERFACE, 0, key_lanes },
	{ "CPUs", SEC_INTERFACE, 0, key_cpus },
	{ "User", SEC_INTERFACE, 0, key_user },
	{ "FwMark", SEC_INTERFACE, 0, key_fwmark },
	{ "Table", SEC_INTERFACE, 0, key_route_table },
	{ "DNS", SEC_INTERFACE, 0, NULL },
	{ "PreUp", SEC_INTERFACE, 0, NULL },
	{ "PostUp", SEC_INTERFACE, 0, NULL },
	{ "PreDown", SEC_INTERFACE, 0, NULL },
	{ "PostDown", SEC_INTERFACE, 0, NULL },
	{ "SaveConfig", SEC_INTERFACE, 0, NULL },
	{ "PublicKey", SEC_PEER, KEY_SECRET, key_public_key },
	{ "PresharedKey", SEC_PEER, KEY_SECRET, key_preshared_key },
	{ "Endpoint", SEC_PEER, 0, key_endpoint },
	{ "AllowedIPs", SEC_PEER, KEY_LIST | KEY_EMPTY_OK, key_allowed_ips },
	{ "PersistentKeepalive", SEC_PEER, 0, key_keepalive },
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
	int ret = h->parse(p, v);

	if (!ret || p->reported)
		return ret;
	if (ret != -EINVAL)
		return fail(p, ret, "%s: %s", h->name, strerror(-ret));
	if (h->flags & KEY_SECRET)
		return fail(p, ret, "invalid %s", h->name);
	return fail(p, ret, "invalid %s \"%s\"", h->name, echo(buf, v));
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
		ret = parse_value(p, h, trim(item));
		if (ret || !comma)
			return ret;
	}
}

/* Single-valued keys may appear once per section. */
static int check_repeat(struct parser *p, const struct key_handler *h)
{
	unsigned int *seen = &p->seen[h - key_table];

	if (h->flags & KEY_LIST)
		return 0;
	if (*seen)
		return fail(p, -EINVAL, "duplicate %s (first on line %u)",
			    h->name, *seen);
	*seen = p->line;
	return 0;
}

static int dispatch(struct parser *p, const char *key, char *value)
{
	const struct key_handler *h = find_key(key);
	char buf[ECHO_BUF];
	int ret;

	if (p->sec == SEC_NONE)
		return fail(p, -EINVAL,
			    "key \"%s\" before any [Interface] or [Peer] section",
			    echo(buf, key));
	if (!h)
		return fail(p, -EINVAL, "unknown key \"%s\" in %s",
			    echo(buf, key), section_name(p->sec));
	if (!h->parse)
		return fail(p, -EINVAL,
			    "tunlane does not support the wg-quick key %s",
			    h->name);
	if (h->sec != p->sec)
		return fail(p, -EINVAL, "%s belongs in %s, not %s", h->name,
			    section_name(h->sec), section_name(p->sec));
	ret = check_repeat(p, h);
	if (ret)
		return ret;
	if (h->flags & KEY_LIST)
		return parse_list(p, h, value);
	return parse_value(p, h, value);
}

static int add_peer(struct parser *p)
{
	struct config *c = p->c;
	int ret;

	ret = grow((void **)&c->peers, c->n_peers, sizeof(*c->peers), true);
	if (!ret)
		ret = grow((void **)&p->meta, c->n_peers, sizeof(*p->meta),
			   false);
	if (ret)
		return fail(p, ret, "%s", strerror(-ret));
	memset(&c->peers[c->n_peers], 0, sizeof(c->peers[0]));
	memset(&p->meta[c->n_peers], 0, sizeof(p->meta[0]));
	c->peers[c->n_peers].line = p->line;
	c->n_peers++;
	return 0;
}

/* "[Interface]" or "[Peer]", any case, spaces inside allowed. */
static int parse_section(struct parser *p, char *s)
{
	size_t n = strlen(s);
	char buf[ECHO_BUF], *name;

	if (s[n - 1] != ']')
		return fail(p, -EINVAL, "invalid section header \"%s\"",
			    echo(buf, s));
	s[n - 1] = '\0';
	name = trim(s + 1);
	memset(p->seen, 0, sizeof(p->seen));
	if (!strcasecmp(name, "Interface")) {
		if (p->iface_line)
			return fail(p, -EINVAL,
				    "second [Interface] section (first on line %u)",
				    p->iface_line);
		p->iface_line = p->line;
		p->sec = SEC_INTERFACE;
		return 0;
	}
	if (!strcasecmp(name, "Peer")) {
		p->sec = SEC_PEER;
		return add_peer(p);
	}
	return fail(p, -EINVAL, "unknown section \"[%s]\"", echo(buf, name));
}

static int parse_line(struct parser *p, char *line)
{
	char *hash = strchr(line, '#'), *eq, *key;

	if (hash)
		*hash = '\0';
	line = trim(line);
	if (!*line)
		return 0;
	if (*line == '[')
		return parse_section(p, line);
	eq = strchr(line, '=');
	if (!eq)
		return fail(p, -EINVAL,
			    "expected \"Key = Value\" or \"[Section]\"");
	*eq = '\0';
	key = trim(line);
	if (!*key)
		return fail(p, -EINVAL, "missing key before \"=\"");
	return dispatch(p, key, trim(eq + 1));
}

/* buf is NUL-terminated at len; lines are cut in place. */
static int parse_buffer(struct parser *p, char *buf, size_t len)
{
	char *line = buf, *end = buf + len;
	int ret;

	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *stop = nl ? nl : end;

		p->line++;
		if (memchr(line, '\0', (size_t)(stop - line)))
			return fail(p, -EINVAL, "NUL byte in line");
		*stop = '\0';
		ret = parse_line(p, line);
		if (ret)
			return ret;
		line = stop + 1;
	}
	return 0;
}

/* ---- checks that need the whole file ---- */

static bool has_ipv6_address(const struct config *c)
{
	size_t i;

	for (i = 0; i < c->n_addresses; i++) {
		if (c->addresses[i].family == AF_INET6)
			return true;
	}
	return false;
}

static int check_interface(struct parser *p)
{
	const struct config *c = p->c;

	p->line = p->iface_line ? p->iface_line : 1;
	if (!p->iface_line)
		return fail(p, -EINVAL, "no [Interface] section");
	if (!p->has_private_key)
		return fail(p, -EINVAL, "[Interface] has no PrivateKey");
	/* Lane i listens on ListenPort+i (design section 1). */
	p->line = p->listen_port_line;
	if (c->has_listen_port && c->listen_port + c->lanes - 1 > UINT16_MAX)
		return fail(p, -EINVAL,
			    "ListenPort %u leaves no port for lane %u of %u",
			    c->listen_port, UINT16_MAX + 1U - c->listen_port,
			    c->lanes);
	p->line = p->mtu_line;
	if (c->mtu < IPV6_MIN_MTU && has_ipv6_address(c))
		return fail(p, -EINVAL,
			    "MTU %u is below 1280, the minimum for IPv6",
			    c->mtu);
	return 0;
}

/* Each peer on its own: a PublicKey, not ours, room for every lane. */
static int check_peer(struct parser *p, size_t i, const uint8_t own[32])
{
	const struct config_peer *peer = &p->c->peers[i];
	unsigned int port = endpoint_port(&peer->endpoint);

	p->line = peer->line;
	if (!p->meta[i].key_line)
		return fail(p, -EINVAL, "[Peer] has no PublicKey");
	p->line = p->meta[i].key_line;
	if (crypto_memeq(peer->public_key, own, 32))
		return fail(p, -EINVAL,
			    "PublicKey is this interface's own public key");
	p->line = p->meta[i].endpoint_line;
	/* Lane i sends to the peer's port+i (design section 1). */
	if (peer->has_endpoint && port + p->c->lanes - 1 > UINT16_MAX)
		return fail(p, -EINVAL,
			    "Endpoint port %u leaves no port for lane %u of %u",
			    port, UINT16_MAX + 1U - port, p->c->lanes);
	return 0;
}

struct key_line {
	const uint8_t *key;
	unsigned int line;
};

static int cmp_key_line(const void *a, const void *b)
{
	const struct key_line *x = a, *y = b;
	int d = memcmp(x->key, y->key, 32);

	if (d)
		return d;
	return (x->line > y->line) - (x->line < y->line);
}

/* Sorting finds repeats in O(n log n); the earliest repeat is named. */
static int check_duplicates(struct parser *p)
{
	const struct config *c = p->c;
	struct key_line *v;
	unsigned int dup = 0, first = 0;
	size_t i;

	if (c->n_peers < 2)
		return 0;
	v = malloc(c->n_peers * sizeof(*v));
	if (!v)
		return fail(p, -ENOMEM, "%s", strerror(ENOMEM));
	for (i = 0; i < c->n_peers; i++)
		v[i] = (struct key_line){ c->peers[i].public_key,
					  p->meta[i].key_line };
	qsort(v, c->n_peers, sizeof(*v), cmp_key_line);
	for (i = 1; i < c->n_peers; i++) {
		if (!memcmp(v[i - 1].key, v[i].key, 32) &&
		    (!dup || v[i].line < dup)) {
			dup = v[i].line;
			first = v[i - 1].line;
		}
	}
	free(v);
	if (!dup)
		return 0;
	p->line = dup;
	return fail(p, -EINVAL, "duplicate peer: same PublicKey as on line %u",
		    first);
}

static int check_peers(struct parser *p)
{
	uint8_t own[32];
	size_t i;
	int ret = 0;

	if (crypto_x25519_public(own, p->c->private_key)) {
		p->line = p->iface_line;
		return fail(p, -EINVAL, "invalid PrivateKey");
	}
	for (i = 0; i < p->c->n_peers && !ret; i++)
		ret = check_peer(p, i, own);
	crypto_wipe(own, sizeof(own));
	if (!ret)
		ret = check_duplicates(p);
	return ret;
}

/* ---- the file ---- */

static bool ends_with_conf(const char *s, size_t n)
{
	return n >= 5 && !strcmp(s + n - 5, ".conf");
}

/*
 * wg-quick treats any valid interface name as a bare name, so "wg0.conf"
 * would look for wg0.conf.conf; a name ending in .conf is taken as the
 * path the user almost certainly meant.
 */
int config_path(const char *arg, char *out, size_t len)
{
	size_t n = strlen(arg);
	int r;

	if (strchr(arg, '/') || ends_with_conf(arg, n) || !ifname_valid(arg, n))
		r = snprintf(out, len, "%s", arg);
	else
		r = snprintf(out, len, "%s/%s.conf", CONFIG_DIR, arg);
	if (r < 0 || (size_t)r >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* The interface is named after the file, as wg-quick names it. */
static int set_ifname(struct parser *p)
{
	const char *base = strrchr(p->c->path, '/');
	char name[ECHO_MAX + 2], buf[ECHO_BUF];
	size_t n;

	base = base ? base + 1 : p->c->path;
	n = strlen(base);
	if (!ends_with_conf(base, n))
		return fail(p, -EINVAL, "the file name must be IFNAME.conf");
	n -= 5;
	if (!ifname_valid(base, n)) {
		snprintf(name, sizeof(name), "%.*s",
			 (int)(n <= ECHO_MAX ? n : ECHO_MAX + 1), base);
		return fail(p, -EINVAL,
			    "invalid interface name \"%s\" (1-15 characters of [a-zA-Z0-9_=+.-])",
			    echo(buf, name));
	}
	memcpy(p->c->ifname, base, n);
	p->c->ifname[n] = '\0';
	return 0;
}

/* Moves buf to a bigger block, wiping the old one: it holds keys. */
static int grow_secret(char **buf, size_t *cap, size_t len)
{
	size_t ncap = *cap * 2;
	char *nb;

	if (*cap >= CONFIG_MAX_FILE + 1)
		return -EFBIG;
	if (ncap > CONFIG_MAX_FILE + 1)
		ncap = CONFIG_MAX_FILE + 1;
	nb = malloc(ncap);
	if (!nb)
		return -ENOMEM;
	memcpy(nb, *buf, len);
	crypto_wipe(*buf, *cap);
	free(*buf);
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* Reads all of fd into a NUL-terminated *buf of *cap bytes. */
static int read_all(int fd, size_t hint, char **buf, size_t *cap,
		    size_t *len)
{
	ssize_t r;
	int ret;

	/* Room for the whole file, its NUL and the read that sees EOF. */
	if (hint > CONFIG_MAX_FILE)
		return -EFBIG;
	*cap = hint + 2 < 4096 ? 4096 : hint + 2;
	*buf = malloc(*cap);
	if (!*buf)
		return -ENOMEM;
	for (*len = 0;; *len += (size_t)r) {
		if (*len + 1 == *cap && (ret = grow_secret(buf, cap, *len)))
			return ret;
		r = read(fd, *buf + *len, *cap - 1 - *len);
		if (r < 0 && errno == EINTR)
			r = 0;
		else if (r < 0)
			return -errno;
		else if (r == 0)
			break;
	}
	(*buf)[*len] = '\0';
	return 0;
}

static int read_config(struct parser *p, char **buf, size_t *cap,
		       size_t *len)
{
	struct stat st;
	int fd, ret;

	fd = open(p->c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail(p, -errno, "%s", strerror(errno));
	if (fstat(fd, &st) < 0)
		ret = -errno;
	else if (S_ISDIR(st.st_mode))
		ret = -EISDIR;
	else
		ret = read_all(fd, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0,
			       buf, cap, len);
	close(fd);
	/* wg-quick warns when others can read the key; so can the caller. */
	if (!ret)
		p->c->world_readable = st.st_mode & S_IROTH;
	if (ret == -EFBIG)
		return fail(p, ret, "file larger than %u bytes", CONFIG_MAX_FILE);
	if (ret)
		return fail(p, ret, "%s", strerror(-ret));
	return 0;
}

static void set_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->mtu = CONFIG_DEFAULT_MTU;
	c->lanes = 1;
	c->table_mode = CONFIG_TABLE_AUTO;
}

int config_load(struct config *c, const char *arg, char *err, size_t errlen)
{
	struct parser p = { .c = c, .file = arg, .err = err, .errlen = errlen };
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int ret;

	set_defaults(c);
	if (err && errlen)
		err[0] = '\0';
	ret = config_path(arg, c->path, sizeof(c->path));
	if (ret)
		fail(&p, ret, "%s", strerror(-ret));
	/* An empty argument still gets a visible name in the message. */
	p.file = *c->path ? c->path : "\"\"";
	/* "No such file" first: it is the likelier mistake, as in wg-quick. */
	if (!ret)
		ret = read_config(&p, &buf, &cap, &len);
	if (!ret)
		ret = set_ifname(&p);
	if (!ret)
		ret = parse_buffer(&p, buf, len);
	if (!ret)
		ret = check_interface(&p);
	if (!ret)
		ret = check_peers(&p);
	if (buf) {
		crypto_wipe(buf, cap);
		free(buf);
	}
	free(p.meta);
	if (ret)
		config_free(c);
	return ret;
}

void config_free(struct config *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_peers; i++)
		free(c->peers[i].allowed);
	if (c->peers) {
		crypto_wipe(c->peers, c->n_peers * sizeof(*c->peers));
		free(c->peers);
	}
	free(c->addresses);
	crypto_wipe(c, sizeof(*c));	/* leaves it zeroed */
}

/* ---- the UAPI set request ---- */

/* Counts with buf NULL, writes otherwise: two passes, one formatter. */
struct writer {
	char *buf;
	size_t len;
	size_t cap;
};

static void put(struct writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct writer *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (w->buf)
		n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n;
}

static void put_key(struct writer *w, const char *name, const uint8_t key[32])
{
	char hex[CRYPTO_KEY_HEX_LEN];

	crypto_key_to_hex(hex, key);
	put(w, "%s=%s\n", name, hex);
	crypto_wipe(hex, sizeof(hex));
}

static void put_peer(struct writer *w, const struct config_peer *peer)
{
	char ep[ENDPOINT_STR_LEN + IF_NAMESIZE], addr[INET6_ADDRSTRLEN];
	size_t i;

	put_key(w, "public_key", peer->public_key);
	if (peer->has_psk)
		put_key(w, "preshared_key", peer->psk);
	if (peer->has_endpoint) {
		endpoint_format(&peer->endpoint, ep, sizeof(ep));
		put(w, "endpoint=%s\n", ep);
	}
	put(w, "persistent_keepalive_interval=%u\n", peer->keepalive);
	put(w, "replace_allowed_ips=true\n");
	for (i = 0; i < peer->n_allowed; i++) {
		const struct config_prefix *a = &peer->allowed[i];

		inet_ntop(a->family, a->addr, addr, sizeof(addr));
		put(w, "allowed_ip=%s/%u\n", addr, a->cidr);
	}
}

static void put_config(struct writer *w, const struct config *c)
{
	size_t i;

	put(w, "set=1\n");
	put_key(w, "private_key", c->private_key);
	if (c->has_listen_port)
		put(w, "listen_port=%u\n", c->listen_port);
	put(w, "fwmark=%u\n", c->fwmark);
	put(w, "replace_peers=true\n");
	for (i = 0; i < c->n_peers; i++)
		put_peer(w, &c->peers[i]);
	put(w, "\n");
}

int config_to_uapi(const struct config *c, char **out, size_t *len)
{
	struct writer w = { 0 };

	put_config(&w, c);
	w.cap = w.len + 1;
	w.len = 0;
	w.buf = malloc(w.cap);
	if (!w.buf)
		return -ENOMEM;
	put_config(&w, c);
	*out = w.buf;
	*len = w.len;
	return 0;
}
