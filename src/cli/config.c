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
#include "config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "crypto.h"
#include "text.h"

/*
 * Adds "FILE:LINE: message" (or "FILE: message") to err, on a line of its
 * own after earlier ones. Control bytes (from a file name, say) become '?'
 * so each message stays one line. What does not fit is cut.
 */
int config_fail(struct parser *p, int ret, const char *fmt, ...)
{
	size_t i, off;
	va_list ap;
	char *e;
	int n;

	p->reported = true;
	if (!p->err || !p->errlen)
		return ret;
	off = strlen(p->err);
	if (p->n_errors++ && off + 2 < p->errlen)
		p->err[off++] = '\n';
	if (off + 1 >= p->errlen)
		return ret;
	e = p->err + off;
	if (p->line)
		n = snprintf(e, p->errlen - off, "%s:%u: ", p->file, p->line);
	else
		n = snprintf(e, p->errlen - off, "%s: ", p->file);
	if (n >= 0 && (size_t)n < p->errlen - off) {
		va_start(ap, fmt);
		vsnprintf(e + n, p->errlen - off - (size_t)n, fmt, ap);
		va_end(ap);
	}
	for (i = 0; e[i]; i++) {
		unsigned char ch = (unsigned char)p->err[i];

		if (ch < 0x20 || ch == 0x7f)
			e[i] = '?';
	}
	return ret;
}

/*
 * Makes room for element n of an array whose capacity is implied by n
 * (8, then doubling; see array_grow), so the config keeps only a count.
 */
int config_grow(void **arr, size_t n, size_t size, bool secret)
{
	size_t cap = n ? 8 : 0;

	while (cap && cap < n)
		cap *= 2;
	return array_grow(arr, &cap, n, size, SIZE_MAX / size, secret);
}

static int add_peer(struct parser *p)
{
	struct config *c = p->c;
	int ret;

	ret = config_grow((void **)&c->peers, c->n_peers, sizeof(*c->peers), true);
	if (!ret)
		ret = config_grow((void **)&p->meta, c->n_peers, sizeof(*p->meta),
			   false);
	if (ret)
		return config_fail(p, ret, "%s", strerror(-ret));
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

	memset(p->seen, 0, sizeof(p->seen));
	p->sec = SEC_SKIP;
	if (s[n - 1] != ']')
		return config_fail(p, -EINVAL, "invalid section header \"%s\"",
			    text_echo(buf, sizeof(buf), s));
	s[n - 1] = '\0';
	name = text_trim(s + 1);
	if (!strcasecmp(name, "Interface")) {
		if (p->iface_line)
			return config_fail(p, -EINVAL,
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
	return config_fail(p, -EINVAL, "unknown section \"[%s]\"",
			   text_echo(buf, sizeof(buf), name));
}

static int parse_line(struct parser *p, char *line)
{
	char *hash = strchr(line, '#'), *eq, *key;

	if (hash)
		*hash = '\0';
	line = text_trim(line);
	if (!*line)
		return 0;
	if (*line == '[')
		return parse_section(p, line);
	eq = strchr(line, '=');
	if (!eq)
		return config_fail(p, -EINVAL,
			    "expected \"Key = Value\" or \"[Section]\"");
	*eq = '\0';
	key = text_trim(line);
	if (!*key)
		return config_fail(p, -EINVAL, "missing key before \"=\"");
	return config_dispatch(p, key, text_trim(eq + 1));
}

/*
 * buf is NUL-terminated at len; lines are cut in place. A bad line is
 * reported and the next one read, so one run names every problem; the
 * first error is returned. Running out of memory ends it.
 */
static int parse_buffer(struct parser *p, char *buf, size_t len)
{
	char *line = buf, *end = buf + len;
	int ret, first = 0;

	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *stop = nl ? nl : end;

		p->line++;
		if (memchr(line, '\0', (size_t)(stop - line))) {
			ret = config_fail(p, -EINVAL, "NUL byte in line");
		} else {
			*stop = '\0';
			ret = parse_line(p, line);
		}
		if (ret == -ENOMEM)
			return ret;
		if (ret && !first)
			first = ret;
		line = stop + 1;
	}
	return first;
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
	bool bare = !strchr(arg, '/') && !ends_with_conf(arg, n) &&
		    ifname_valid(arg, n);
	int r;

	if (!bare)
		r = snprintf(out, len, "%s", arg);
	else
		r = snprintf(out, len, "%s/%s.conf", CONFIG_DIR, arg);
	if (r < 0 || (size_t)r >= len)
		return -ENAMETOOLONG;
	/* A WireGuard user's file is where wg-quick keeps it; ours wins. */
	if (bare && access(out, F_OK) < 0 && errno == ENOENT) {
		char wg[4096];

		r = snprintf(wg, sizeof(wg), "%s/%s.conf", CONFIG_WG_DIR, arg);
		if (r > 0 && (size_t)r < len && access(wg, F_OK) == 0)
			memcpy(out, wg, (size_t)r + 1);
	}
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
		return config_fail(p, -EINVAL, "the file name must be IFNAME.conf");
	n -= 5;
	if (!ifname_valid(base, n)) {
		snprintf(name, sizeof(name), "%.*s",
			 (int)(n <= ECHO_MAX ? n : ECHO_MAX + 1), base);
		return config_fail(p, -EINVAL,
			    "invalid interface name \"%s\" (1-15 characters of [a-zA-Z0-9_=+.-])",
			    text_echo(buf, sizeof(buf), name));
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
		return config_fail(p, -errno, "%s", strerror(errno));
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
		return config_fail(p, ret, "file larger than %u bytes", CONFIG_MAX_FILE);
	if (ret)
		return config_fail(p, ret, "%s", strerror(-ret));
	return 0;
}

static void set_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->mtu = DEFAULT_MTU;
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
		config_fail(&p, ret, "%s", strerror(-ret));
	/* An empty argument still gets a visible name in the message. */
	p.file = *c->path ? c->path : "\"\"";
	/* "No such file" first: it is the likelier mistake, as in wg-quick. */
	if (!ret)
		ret = read_config(&p, &buf, &cap, &len);
	if (!ret)
		ret = set_ifname(&p);
	if (!ret) {
		/* A UTF-8 byte order mark, as some Windows editors save. */
		size_t bom = len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;

		ret = parse_buffer(&p, buf + bom, len - bom);
	}
	if (!ret)
		ret = config_check_interface(&p);
	if (!ret)
		ret = config_check_peers(&p);
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
	config_strs_free(&c->dns);
	config_strs_free(&c->dns_search);
	for (i = 0; i < CONFIG_N_HOOKS; i++)
		config_strs_free(&c->hooks[i]);
	crypto_wipe(c, sizeof(*c));	/* leaves it zeroed */
}

int config_load_report(struct config *c, const char *arg, const char *prog)
{
	char err[4096];
	int ret = config_load(c, arg, err, sizeof(err));

	if (ret < 0) {
		for (char *l = err, *nl; l; l = nl) {
			if ((nl = strchr(l, '\n')))
				*nl++ = '\0';
			fprintf(stderr, "%s: %s\n", prog, l);
		}
	}
	return ret;
}
