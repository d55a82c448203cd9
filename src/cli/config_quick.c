// SPDX-License-Identifier: GPL-2.0-only
/*
 * The keys that wg-quick(8) handles itself rather than passing to wg(8):
 * DNS, the PreUp/PostUp/PreDown/PostDown hooks and SaveConfig. They are
 * only stored here; cmd_up.c and cmd_down.c carry them out.
 */
#include "config_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DNS_NAME_MAX 253	/* RFC 1035 section 2.3.4, without the dot */

static int strs_add(struct config_strs *s, const char *v, size_t n)
{
	char *copy;
	int ret = config_grow((void **)&s->v, s->n, sizeof(*s->v), false);

	if (ret)
		return ret;
	copy = strndup(v, n);
	if (!copy)
		return -ENOMEM;
	s->v[s->n++] = copy;
	return 0;
}

void config_strs_free(struct config_strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* A search domain goes into resolv.conf: letters, digits, '.', '-', '_'. */
static bool is_domain(const char *s, size_t n)
{
	if (!n || n > DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
		      ch == '_'))
			return false;
	}
	return true;
}

/*
 * One DNS item: wg-quick takes digits and dots, or anything with a colon,
 * as a server address and everything else as a search domain. Unlike
 * wg-quick, an address must parse, so a typo fails here and not inside
 * resolvconf.
 */
static int dns_item(struct parser *p, const char *v, size_t n)
{
	unsigned char bin[16];
	char addr[INET6_ADDRSTRLEN];
	bool digits = strspn(v, "0123456789.") >= n;

	if (digits || memchr(v, ':', n)) {
		if (n >= sizeof(addr))
			return -EINVAL;
		memcpy(addr, v, n);
		addr[n] = '\0';
		if (inet_pton(digits ? AF_INET : AF_INET6, addr, bin) != 1)
			return -EINVAL;
		return strs_add(&p->c->dns, v, n);
	}
	if (!is_domain(v, n))
		return -EINVAL;
	return strs_add(&p->c->dns_search, v, n);
}

/* One comma-separated item; wg-quick also splits it on spaces. */
int config_key_dns(struct parser *p, const char *v)
{
	while (*v) {
		size_t n = strcspn(v, " \t");
		int ret = dns_item(p, v, n);

		if (ret)
			return ret;
		v += n;
		v += strspn(v, " \t");
	}
	return 0;
}

/* wg-quick takes true or false; empty (left out by the dispatcher) is
 * false, as is SaveConfig not being there at all. */
int config_key_save_config(struct parser *p, const char *v)
{
	if (!strcasecmp(v, "true"))
		p->c->save_config = true;
	else if (!strcasecmp(v, "false"))
		p->c->save_config = false;
	else
		return -EINVAL;
	return 0;
}

static int hook(struct parser *p, enum config_hook h, const char *v)
{
	return strs_add(&p->c->hooks[h], v, strlen(v));
}

int config_key_pre_up(struct parser *p, const char *v)
{
	return hook(p, CONFIG_PRE_UP, v);
}

int config_key_post_up(struct parser *p, const char *v)
{
	return hook(p, CONFIG_POST_UP, v);
}

int config_key_pre_down(struct parser *p, const char *v)
{
	return hook(p, CONFIG_PRE_DOWN, v);
}

int config_key_post_down(struct parser *p, const char *v)
{
	return hook(p, CONFIG_POST_DOWN, v);
}
