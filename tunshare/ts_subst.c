// SPDX-License-Identifier: GPL-2.0-only
/*
 * The {key} substitutions of a lane's command line (tunshare(8)): {lane},
 * {cpu}, {port}, and in server mode the lane's share of the client subnet.
 */
#include "tunshare.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value of one {key} in a lane's command line. */
static const char *var_value(const struct ts_var *vars, unsigned int n,
			     const char *arg, size_t *keylen)
{
	for (unsigned int k = 0; k < n; k++) {
		*keylen = strlen(vars[k].key);
		if (!strncmp(arg, vars[k].key, *keylen))
			return vars[k].val;
	}
	return NULL;
}

/* Replaces every {key} of vars in arg. Returns a new string, or NULL when
 * out of memory. */
char *ts_subst(const char *arg, const struct ts_var *vars, unsigned int n)
{
	size_t len = 0, kl;
	const char *a, *v;
	char *out, *o;

	for (a = arg; *a; a += v ? kl : 1)
		len += (v = var_value(vars, n, a, &kl)) ? strlen(v) : 1;
	if (!(out = o = malloc(len + 1)))
		return NULL;
	for (a = arg; *a; a += v ? kl : 1) {
		if ((v = var_value(vars, n, a, &kl)))
			o = stpcpy(o, v);
		else
			*o++ = *a;
	}
	*o = '\0';
	return out;
}

/* {lane}, {cpu}, {port} where there is one, and in server mode the pool
 * of ts_pool.c: {server}, {netmask}, {pool_start}, {pool_end}. */
unsigned int ts_lane_vars(const struct ts_conf *c, const struct ts_lane *l,
			  struct ts_var *v)
{
	uint32_t start, end;
	unsigned int n = 0;

	v[n].key = "{lane}";
	snprintf(v[n++].val, sizeof(v->val), "%u", l->idx);
	v[n].key = "{cpu}";
	snprintf(v[n++].val, sizeof(v->val), "%d", l->cpu);
	if (l->port >= 0) {
		v[n].key = "{port}";
		snprintf(v[n++].val, sizeof(v->val), "%d", l->port);
	}
	if (!c->server)
		return n;
	ts_pool_slice(&c->pool, l->idx, &start, &end);
	v[n].key = "{server}";
	ts_pool_ntop(ts_pool_server(&c->pool), v[n++].val);
	v[n].key = "{netmask}";
	ts_pool_ntop(ts_pool_netmask(&c->pool), v[n++].val);
	v[n].key = "{pool_start}";
	ts_pool_ntop(start, v[n++].val);
	v[n].key = "{pool_end}";
	ts_pool_ntop(end, v[n++].val);
	return n;
}
