// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parser for the "set" operation of WireGuard's cross-platform userspace
 * API (https://www.wireguard.com/xplatform/, "Configuration Protocol").
 *
 * A request is a series of "key=value\n" lines ended by an empty line.
 * Device keys come first; each "public_key=" line then starts a peer, and
 * the peer keys that follow apply to it. The whole request is parsed into
 * struct uapi_set before anything is applied, so one bad line rejects the
 * request and the device is never half-configured.
 *
 * Errors, chosen so that the reply's errno tells the client what was wrong:
 *   -EPROTO  unknown key, key out of place, get-only key, a line that is not
 *            key=value, a last line without its newline, protocol_version
 *            other than 1, a "set" line that is not "set=1" on line 1;
 *   -EINVAL  bad value, NUL or CR byte, over-long line, repeated public_key;
 *   -E2BIG   request over UAPI_MAX_REQUEST, too many peers or allowed IPs;
 *   -ENOMEM  allocation failure.
 */
#include "uapi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "crypto.h"
#include "text.h"

/*
 * The longest valid line is a scoped IPv6 endpoint, well under 128 bytes;
 * anything far longer is junk and is refused before it is looked at.
 */
#define UAPI_MAX_LINE 512
/* Caps on what one request may add; beyond them it is refused (-E2BIG). */
#define UAPI_MAX_PEERS (1U << 20)
#define UAPI_MAX_ALLOWEDIPS (1U << 20)
/* How much of an offending value is echoed back in err. */
#define UAPI_ECHO_BUF TEXT_ECHO_BUF(32)
#define UAPI_HEX_KEY_LEN 64

struct parser {
	struct uapi_set *set;
	size_t lineno;
	size_t total_allowedips;
	size_t *peer_lines;	/* line of each public_key, for duplicates */
	size_t cap_lines;
	char *err;
	size_t errlen;
};

enum key_scope {
	SCOPE_HEADER,		/* "set=1", line 1 only */
	SCOPE_DEVICE,		/* before the first public_key */
	SCOPE_PEER_START,	/* public_key: anywhere */
	SCOPE_PEER,		/* after a public_key */
	SCOPE_GET_ONLY,		/* valid in get replies, never in set */
};

struct key_handler {
	const char *name;
	enum key_scope scope;
	bool secret;		/* never echo the value */
	int (*parse)(struct parser *p, const char *value);
};

static int fail(struct parser *p, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Writes "line N: <reason>" to err (just the reason for an error in the
 * request as a whole); returns ret for tail calls.
 */
static int fail(struct parser *p, int ret, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!p->err || !p->errlen)
		return ret;
	p->err[0] = '\0';
	if (p->lineno)
		n = snprintf(p->err, p->errlen, "line %zu: ", p->lineno);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/*
 * The spec documents the boolean keys only as "=true" (replace_peers=true,
 * remove=true, ...) and has no way to say false: the key is simply left
 * out. So "true" is the only value; "false" is refused like any junk, as
 * wireguard-go does.
 */
static int parse_true(const char *s)
{
	return strcmp(s, "true") ? -EINVAL : 0;
}

/* The spec says keys are "lowercase hex-encoded": exactly 64 of [0-9a-f]. */
static int parse_hex_key(uint8_t key[32], const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (i >= UAPI_HEX_KEY_LEN ||
		    !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -EINVAL;
	}
	if (i != UAPI_HEX_KEY_LEN || crypto_key_from_hex(key, s))
		return -EINVAL;
	return 0;
}

static struct uapi_peer *cur_peer(struct parser *p)
{
	return &p->set->peers[p->set->n_peers - 1];
}

/* "set=1" (spec: "both at version 1 as of writing"); only on line 1. */
static int key_set(struct parser *p, const char *v)
{
	return strcmp(v, "1") ? -EPROTO : 0;
}

/* Spec: all zeros in a set operation removes the private key. */
static int key_private_key(struct parser *p, const char *v)
{
	p->set->has_private_key = true;
	return parse_hex_key(p->set->private_key, v);
}

static int key_listen_port(struct parser *p, const char *v)
{
	uint64_t n;

	if (text_parse_uint(v, 0, UINT16_MAX, &n))
		return -EINVAL;
	p->set->has_listen_port = true;
	p->set->listen_port = (uint16_t)n;
	return 0;
}

/* Spec: 0 in a set operation removes the fwmark. */
static int key_fwmark(struct parser *p, const char *v)
{
	uint64_t n;

	if (text_parse_uint(v, 0, UINT32_MAX, &n))
		return -EINVAL;
	p->set->has_fwmark = true;
	p->set->fwmark = (uint32_t)n;
	return 0;
}

static int key_replace_peers(struct parser *p, const char *v)
{
	if (parse_true(v))
		return -EINVAL;
	p->set->replace_peers = true;
	return 0;
}

/* Spec: public_key adds a new peer entry that the keys after it describe. */
static int key_public_key(struct parser *p, const char *v)
{
	struct uapi_set *s = p->set;
	uint8_t key[NOISE_PUBLIC_KEY_LEN];
	int ret;

	if (parse_hex_key(key, v))
		return -EINVAL;
	ret = array_grow((void **)&s->peers, &s->cap_peers, s->n_peers,
		   sizeof(*s->peers), UAPI_MAX_PEERS, true);
	if (!ret)
		ret = array_grow((void **)&p->peer_lines, &p->cap_lines, s->n_peers,
			   sizeof(*p->peer_lines), UAPI_MAX_PEERS, false);
	if (ret)
		return ret;
	memset(&s->peers[s->n_peers], 0, sizeof(s->peers[0]));
	memcpy(s->peers[s->n_peers].public_key, key, sizeof(key));
	p->peer_lines[s->n_peers] = p->lineno;
	s->n_peers++;
	return 0;
}

static int key_remove(struct parser *p, const char *v)
{
	if (parse_true(v))
		return -EINVAL;
	cur_peer(p)->remove = true;
	return 0;
}

static int key_update_only(struct parser *p, const char *v)
{
	if (parse_true(v))
		return -EINVAL;
	cur_peer(p)->update_only = true;
	return 0;
}

/* Spec: all zeros in a set operation removes the preshared key. */
static int key_preshared_key(struct parser *p, const char *v)
{
	struct uapi_peer *peer = cur_peer(p);

	peer->has_preshared_key = true;
	return parse_hex_key(peer->preshared_key, v);
}

/* Spec: "IP:port for IPv4 or [IP]:port for IPv6"; numeric, no names. */
static int key_endpoint(struct parser *p, const char *v)
{
	struct uapi_peer *peer = cur_peer(p);

	if (endpoint_parse(&peer->endpoint, v)) {
		memset(&peer->endpoint, 0, sizeof(peer->endpoint));
		return -EINVAL;
	}
	peer->has_endpoint = true;
	return 0;
}

/* Spec: decimal seconds; 0 turns persistent keepalive off. */
static int key_keepalive(struct parser *p, const char *v)
{
	struct uapi_peer *peer = cur_peer(p);
	uint64_t n;

	if (text_parse_uint(v, 0, UINT16_MAX, &n))
		return -EINVAL;
	peer->has_persistent_keepalive = true;
	peer->persistent_keepalive = (uint16_t)n;
	return 0;
}

static int key_replace_allowed_ips(struct parser *p, const char *v)
{
	if (parse_true(v))
		return -EINVAL;
	cur_peer(p)->replace_allowed_ips = true;
	return 0;
}

static int key_allowed_ip(struct parser *p, const char *v)
{
	struct uapi_peer *peer = cur_peer(p);
	struct prefix aip;
	int ret;

	if (prefix_parse(&aip, v, true))
		return -EINVAL;
	if (p->total_allowedips >= UAPI_MAX_ALLOWEDIPS)
		return -E2BIG;
	ret = array_grow((void **)&peer->allowedips, &peer->cap_allowedips,
		   peer->n_allowedips, sizeof(aip), UAPI_MAX_ALLOWEDIPS, false);
	if (ret)
		return ret;
	peer->allowedips[peer->n_allowedips++] = aip;
	p->total_allowedips++;
	return 0;
}

/*
 * Spec: "should not be set or used at all by most users of this API ...
 * Otherwise, must be set to 1." Any other version is one we do not speak.
 */
static int key_protocol_version(struct parser *p, const char *v)
{
	return strcmp(v, "1") ? -EPROTO : 0;
}

/* Modelled on the key table of wireguard-tools' config parser. */
static const struct key_handler key_table[] = {
	{ "set", SCOPE_HEADER, false, key_set },
	{ "private_key", SCOPE_DEVICE, true, key_private_key },
	{ "listen_port", SCOPE_DEVICE, false, key_listen_port },
	{ "fwmark", SCOPE_DEVICE, false, key_fwmark },
	{ "replace_peers", SCOPE_DEVICE, false, key_replace_peers },
	{ "public_key", SCOPE_PEER_START, false, key_public_key },
	{ "remove", SCOPE_PEER, false, key_remove },
	{ "update_only", SCOPE_PEER, false, key_update_only },
	{ "preshared_key", SCOPE_PEER, true, key_preshared_key },
	{ "endpoint", SCOPE_PEER, false, key_endpoint },
	{ "persistent_keepalive_interval", SCOPE_PEER, false, key_keepalive },
	{ "replace_allowed_ips", SCOPE_PEER, false, key_replace_allowed_ips },
	{ "allowed_ip", SCOPE_PEER, false, key_allowed_ip },
	{ "protocol_version", SCOPE_PEER, false, key_protocol_version },
	/* Spec: "only valid in a get operation". */
	{ "rx_bytes", SCOPE_GET_ONLY, false, NULL },
	{ "tx_bytes", SCOPE_GET_ONLY, false, NULL },
	{ "last_handshake_time_sec", SCOPE_GET_ONLY, false, NULL },
	{ "last_handshake_time_nsec", SCOPE_GET_ONLY, false, NULL },
};

static const struct key_handler *find_key(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++) {
		if (!strcmp(key_table[i].name, key))
			return &key_table[i];
	}
	return NULL;
}

/* Device keys come before the first peer, peer keys after (spec order). */
static int check_scope(struct parser *p, const struct key_handler *h)
{
	bool in_peer = p->set->n_peers > 0;

	switch (h->scope) {
	case SCOPE_HEADER:
		if (p->lineno != 1)
			return fail(p, -EPROTO, "\"%s\" must be the first line",
				    h->name);
		return 0;
	case SCOPE_DEVICE:
		if (in_peer)
			return fail(p, -EPROTO,
				    "device key %s after a public_key", h->name);
		return 0;
	case SCOPE_PEER:
		if (!in_peer)
			return fail(p, -EPROTO,
				    "peer key %s before any public_key", h->name);
		return 0;
	case SCOPE_GET_ONLY:
		return fail(p, -EPROTO, "%s is only valid in a get operation",
			    h->name);
	case SCOPE_PEER_START:
		break;
	}
	return 0;
}

/* Looks the key up, checks where it may appear, and parses its value. */
static int dispatch(struct parser *p, const char *key, const char *value)
{
	char buf[UAPI_ECHO_BUF];
	const struct key_handler *h = find_key(key);
	int ret;

	if (!h)
		return fail(p, -EPROTO, "unknown key \"%s\"",
			    text_echo(buf, sizeof(buf), key));
	ret = check_scope(p, h);
	if (ret)
		return ret;
	ret = h->parse(p, value);
	switch (ret) {
	case 0:
		return 0;
	case -EINVAL:
		if (h->secret)
			return fail(p, ret, "invalid %s", h->name);
		return fail(p, ret, "invalid %s \"%s\"", h->name,
			    text_echo(buf, sizeof(buf), value));
	case -EPROTO:
		return fail(p, ret, "unsupported %s \"%s\"", h->name,
			    text_echo(buf, sizeof(buf), value));
	case -E2BIG:
		return fail(p, ret, "too many %s lines", h->name);
	default:
		return fail(p, ret, "%s: %s", h->name, strerror(-ret));
	}
}

/*
 * One line, without its '\n'. It is copied so the value can be handed on
 * as a C string, and the copy is wiped since it may hold a key.
 */
static int parse_line(struct parser *p, const char *line, size_t len)
{
	char buf[UAPI_MAX_LINE + 1];
	char *eq;
	int ret;

	if (len > UAPI_MAX_LINE)
		return fail(p, -EINVAL, "line too long (%zu bytes)", len);
	if (memchr(line, '\0', len))
		return fail(p, -EINVAL, "NUL byte in line");
	if (memchr(line, '\r', len))
		return fail(p, -EINVAL, "carriage return in line");
	memcpy(buf, line, len);
	buf[len] = '\0';
	eq = strchr(buf, '=');
	if (!eq)
		ret = fail(p, -EPROTO, "expected key=value");
	else if (eq == buf)
		ret = fail(p, -EPROTO, "empty key");
	else {
		*eq = '\0';
		ret = dispatch(p, buf, eq + 1);
	}
	crypto_wipe(buf, len + 1);
	return ret;
}

/*
 * Spec: each line is "key=value" ended by '\n', and the request ends with
 * an empty line. A last line without its '\n' is a truncated request, not
 * something to apply.
 */
static int parse_lines(struct parser *p, const char *text, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t llen;
		int ret;

		p->lineno++;
		if (!nl)
			return fail(p, -EPROTO, "missing newline");
		llen = (size_t)(nl - (text + off));
		if (!llen)
			return 0;
		ret = parse_line(p, text + off, llen);
		if (ret)
			return ret;
		off += llen + 1;
	}
	return 0;
}

struct key_line {
	const uint8_t *key;
	size_t line;
};

static int cmp_key_line(const void *a, const void *b)
{
	const struct key_line *x = a, *y = b;
	int c = memcmp(x->key, y->key, NOISE_PUBLIC_KEY_LEN);

	if (c)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

/*
 * Spec: "The same public key value may not repeat during a single message."
 * Sorting finds repeats in O(n log n); the first repeated line is named.
 */
static int check_duplicates(struct parser *p)
{
	struct uapi_set *s = p->set;
	struct key_line *v;
	size_t i, dup = 0;

	if (s->n_peers < 2)
		return 0;
	v = malloc(s->n_peers * sizeof(*v));
	if (!v)
		return fail(p, -ENOMEM, "out of memory");
	for (i = 0; i < s->n_peers; i++)
		v[i] = (struct key_line){ s->peers[i].public_key,
					  p->peer_lines[i] };
	qsort(v, s->n_peers, sizeof(*v), cmp_key_line);
	for (i = 1; i < s->n_peers; i++) {
		if (!memcmp(v[i - 1].key, v[i].key, NOISE_PUBLIC_KEY_LEN) &&
		    (!dup || v[i].line < dup))
			dup = v[i].line;
	}
	free(v);
	if (!dup)
		return 0;
	p->lineno = dup;
	return fail(p, -EINVAL, "repeated public_key");
}

int uapi_parse_set(struct uapi_set *out, const char *text, size_t len,
		   char *err, size_t errlen)
{
	struct parser p = { .set = out, .err = err, .errlen = errlen };
	int ret;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (len > UAPI_MAX_REQUEST)
		ret = fail(&p, -E2BIG, "request larger than %u bytes",
			   UAPI_MAX_REQUEST);
	else if (!text && len)
		ret = fail(&p, -EINVAL, "no request text");
	else
		ret = parse_lines(&p, text, len);
	if (!ret)
		ret = check_duplicates(&p);
	free(p.peer_lines);
	if (ret)
		uapi_set_free(out);
	return ret;
}

void uapi_set_free(struct uapi_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_peers; i++)
		free(s->peers[i].allowedips);
	if (s->peers) {
		crypto_wipe(s->peers, s->cap_peers * sizeof(*s->peers));
		free(s->peers);
	}
	crypto_wipe(s, sizeof(*s));	/* leaves it zeroed */
}
