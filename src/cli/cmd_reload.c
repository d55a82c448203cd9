// SPDX-License-Identifier: GPL-2.0-only
/*
 * tunlane reload CONFIG|IFNAME: apply an edited file to a running
 * interface without taking it down, as `wg syncconf` plus what wg-quick
 * adds around it. Peers are set in place (no replace_peers), peers no
 * longer in the file are removed, so the sessions of unchanged peers go
 * on; addresses and MTU follow the file; routes of AllowedIPs that went
 * away are deleted and those of new ones added. A changed Lanes goes to
 * the daemon first ("tunlane_set_lanes=N", tunlaned(8)), which adds or
 * retires lanes without touching those that stay. Turning a full tunnel on
 * or off is refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "ipc.h"
#include "netlink.h"
#include "quick.h"
#include "stats.h"
#include "clock.h"
#include "defaults.h"
#include "subcommands.h"

/* How long new lanes get to start before reload says they did not. */
#define RELOAD_WAIT_LANES_MS 5000

static int cmp_prefix(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct prefix));
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, CRYPTO_X25519_LEN);
}

/* The set request: the file's, without replace_peers, without the
 * private key when it did not change, plus a removal per peer that left
 * the file. */
static char *sync_request(const struct config *c, const struct ipc_device *d)
{
	uint8_t pub[CRYPTO_X25519_LEN], (*keys)[CRYPTO_X25519_LEN];
	char *req = NULL, *out = NULL, *save = NULL, hex[CRYPTO_KEY_HEX_LEN];
	size_t len = 0, off = 0;
	bool same_key = !crypto_x25519_public(pub, c->private_key) &&
			d->has_key && !memcmp(pub, d->public_key, sizeof(pub));

	keys = malloc((c->n_peers ? c->n_peers : 1) * sizeof(*keys));
	if (!keys || config_to_uapi(c, &req, &len) < 0)
		goto out;
	for (size_t i = 0; i < c->n_peers; i++)
		memcpy(keys[i], c->peers[i].public_key, sizeof(keys[i]));
	qsort(keys, c->n_peers, sizeof(*keys), cmp_key);
	out = malloc(len + 1 + d->n_peers * (CRYPTO_KEY_HEX_LEN + 32));
	if (!out)
		goto out;
	for (char *l = strtok_r(req, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(l, "replace_peers=true") ||
		    (same_key && !strncmp(l, "private_key=", 12)))
			continue;
		off += (size_t)sprintf(out + off, "%s\n", l);
	}
	for (size_t i = 0; i < d->n_peers; i++)
		if (!bsearch(d->peers[i].public_key, keys, c->n_peers,
			     sizeof(*keys), cmp_key)) {
			crypto_key_to_hex(hex, d->peers[i].public_key);
			off += (size_t)sprintf(out + off, "public_key=%s\nremove=true\n", hex);
		}
	sprintf(out + off, "\n");
out:
	if (req) {
		crypto_wipe(req, len);
		free(req);
	}
	free(keys);
	crypto_wipe(pub, sizeof(pub));
	return out;
}

static int sync_peers(const struct config *c, const struct ipc_device *d)
{
	char *req = sync_request(c, d), *reply = NULL;
	size_t rlen = 0, len;
	int ret;

	if (!req)
		return -ENOMEM;
	len = strlen(req);
	ret = ipc_transact(c->ifname, req, &reply, &rlen);
	crypto_wipe(req, len);
	free(req);
	free(reply);
	return ret;
}

struct prefixes {
	struct prefix *v;
	size_t n, cap;
};

static int prefixes_add(struct prefixes *s, const struct prefix *p)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		struct prefix *nv = realloc(s->v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = ncap;
	}
	memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
	s->v[s->n].family = p->family;
	s->v[s->n].cidr = p->cidr;
	memcpy(s->v[s->n].addr, p->addr, sizeof(p->addr));
	s->n++;
	return 0;
}

static bool prefixes_has(const struct prefixes *s, const struct prefix *p)
{
	return s->n && bsearch(p, s->v, s->n, sizeof(*p), cmp_prefix);
}

static int collect_addr(const struct prefix *p, void *arg)
{
	if (p->family == AF_INET6 && p->addr[0] == 0xfe &&
	    (p->addr[1] & 0xc0) == 0x80)
		return 0;	/* the kernel's, not the file's */
	return prefixes_add(arg, p);
}

/* Addresses: those the file dropped go, the new ones come. */
static int sync_addresses(const struct config *c)
{
	struct prefixes have = { 0 }, want = { 0 };
	int ret = nl_addr_list(c->ifname, collect_addr, &have);

	for (size_t i = 0; i < c->n_addresses && !ret; i++)
		ret = prefixes_add(&want, &c->addresses[i]);
	qsort(have.v, have.n, sizeof(*have.v), cmp_prefix);
	qsort(want.v, want.n, sizeof(*want.v), cmp_prefix);
	for (size_t i = 0; i < have.n && !ret; i++)
		if (!prefixes_has(&want, &have.v[i]))
			ret = nl_addr_del(c->ifname, &have.v[i]);
	for (size_t i = 0; i < want.n && !ret; i++)
		if (!prefixes_has(&have, &want.v[i]))
			ret = nl_addr_add(c->ifname, &want.v[i]);
	free(have.v);
	free(want.v);
	return ret;
}

/* Routes of AllowedIPs, as `up` adds them (the /0 of a full tunnel stays
 * in its table, untouched): removed ones deleted, new ones added. */
static int sync_routes(const struct config *c, const struct ipc_device *d)
{
	uint32_t table = c->table_mode == CONFIG_TABLE_ID ? c->table : 0;
	struct prefixes old = { 0 }, new = { 0 };
	struct prefix p;
	int ret = 0;

	if (c->table_mode == CONFIG_TABLE_OFF)
		return 0;
	for (size_t i = 0; i < d->n_peers && !ret; i++)
		for (size_t j = 0; j < d->peers[i].n_allowed_ips && !ret; j++)
			if (!prefix_parse(&p, d->peers[i].allowed_ips[j], true))
				ret = prefixes_add(&old, &p);
	for (size_t i = 0; i < c->n_peers && !ret; i++)
		for (size_t j = 0; j < c->peers[i].n_allowed && !ret; j++)
			ret = prefixes_add(&new, &c->peers[i].allowed[j]);
	qsort(old.v, old.n, sizeof(*old.v), cmp_prefix);
	qsort(new.v, new.n, sizeof(*new.v), cmp_prefix);
	for (size_t i = 0; i < old.n && !ret; i++) {
		bool full = old.v[i].cidr == 0 && c->table_mode == CONFIG_TABLE_AUTO;

		if (!full && !prefixes_has(&new, &old.v[i]) &&
		    (ret = nl_route_del(c->ifname, &old.v[i], table)) == -ESRCH)
			ret = 0;
	}
	for (size_t i = 0; i < new.n && !ret; i++) {
		bool full = new.v[i].cidr == 0 && c->table_mode == CONFIG_TABLE_AUTO;

		if (!full && !prefixes_has(&old, &new.v[i]) &&
		    (ret = nl_route_add(c->ifname, &new.v[i], table)) == -EEXIST)
			ret = 0;
	}
	free(old.v);
	free(new.v);
	return ret;
}

/* The daemon's lane count now, and whether all of them run. */
static int running_lanes(const char *ifname, unsigned int *lanes, bool *all)
{
	struct stats_page *sp;
	unsigned int run = 0;
	int ret = stats_read(&sp, ifname);

	if (ret < 0)
		return ret;
	*lanes = sp->lanes;
	for (uint32_t i = 0; i < sp->lanes; i++)
		run += stats_lane_const(sp, i)->pid > 0;
	*all = run == sp->lanes;
	free(sp);
	return 0;
}

/*
 * A changed Lanes: the daemon adds lanes (forked from its configuration,
 * with CPUs from the file's list) or retires the highest ones, then we
 * wait for the new ones to run. Done before the peers change, so that a
 * port the new lanes cannot have fails the reload with nothing changed.
 */
static int sync_lanes(const struct config *c, unsigned int now)
{
	char req[LANES_REQ_MAX], *reply = NULL;
	size_t off, rlen = 0;
	uint64_t deadline;
	unsigned int lanes;
	bool all = false;
	int ret;

	if (now == c->lanes)
		return 0;
	/* Never truncated: a cut CPU list would pin lanes wrongly. LANES_MAX
	 * CPUs of up to 4 digits fit in LANES_REQ_MAX (lib/defaults.h). */
	off = (size_t)snprintf(req, sizeof(req), "tunlane_set_lanes=%u\n", c->lanes);
	for (int i = 0; i < c->n_cpus && off < sizeof(req); i++)
		off += (size_t)snprintf(req + off, sizeof(req) - off, "%s%d",
					i ? "," : "cpus=", c->cpus[i]);
	if (off < sizeof(req))
		off += (size_t)snprintf(req + off, sizeof(req) - off, "%s\n",
					c->n_cpus ? "\n" : "");
	if (off >= sizeof(req)) {
		fprintf(stderr, "%s: %s: the CPUs list is too long for a live Lanes change\n",
			prog, c->ifname);
		return -E2BIG;
	}
	ret = ipc_transact(c->ifname, req, &reply, &rlen);
	free(reply);
	if (ret < 0) {
		fprintf(stderr, "%s: %s: cannot change Lanes from %u to %u: %s\n",
			prog, c->ifname, now, c->lanes, strerror(-ret));
		return ret;
	}
	deadline = clock_now() + RELOAD_WAIT_LANES_MS * NSEC_PER_MSEC;
	while ((ret = running_lanes(c->ifname, &lanes, &all)) == 0 &&
	       !(all && lanes == c->lanes) && clock_now() < deadline)
		usleep(20000);
	if (ret == 0 && !(all && lanes == c->lanes))
		ret = -ETIMEDOUT;
	if (ret < 0)
		fprintf(stderr, "%s: %s: Lanes = %u: not every lane runs: %s\n",
			prog, c->ifname, c->lanes, strerror(-ret));
	return ret;
}

/* What reload cannot do live: refused before anything changes. *lanes
 * gets the daemon's lane count. */
static int check_live(struct config *c, unsigned int *lanes)
{
	struct quick_state st;
	bool full_now, all;

	if (running_lanes(c->ifname, lanes, &all) < 0) {
		fprintf(stderr, "%s: %s is not a running tunlaned interface\n",
			prog, c->ifname);
		return -1;
	}
	full_now = quick_state_load(c->ifname, &st) == 0 && st.n_rules;
	if (full_now != quick_full_tunnel(c)) {
		fprintf(stderr, "%s: %s: reload cannot turn the full tunnel %s; "
			"use down and up\n", prog, c->ifname, full_now ? "off" : "on");
		return -1;
	}
	if (full_now)
		c->fwmark = st.rules[0].table;	/* its rules name this mark */
	return 0;
}

static int reload(struct config *c)
{
	struct ipc_device d;
	unsigned int lanes;
	int ret;

	if (check_live(c, &lanes) < 0 || sync_lanes(c, lanes) < 0)
		return 1;
	if ((ret = ipc_get(c->ifname, &d)) < 0) {
		fprintf(stderr, "%s: %s: cannot read the running configuration: %s\n",
			prog, c->ifname, strerror(-ret));
		return 1;
	}
	ret = sync_peers(c, &d);
	if (ret < 0)
		fprintf(stderr, "%s: %s: the daemon refused the configuration: %s\n",
			prog, c->ifname, strerror(-ret));
	if (ret == 0 && (ret = sync_addresses(c)) < 0)
		fprintf(stderr, "%s: %s: cannot set the addresses: %s\n", prog,
			c->ifname, strerror(-ret));
	if (ret == 0 && (ret = nl_link_set_mtu(c->ifname, c->mtu)) < 0)
		fprintf(stderr, "%s: %s: cannot set MTU: %s\n", prog, c->ifname,
			strerror(-ret));
	if (ret == 0 && (ret = sync_routes(c, &d)) < 0)
		fprintf(stderr, "%s: %s: cannot update the routes: %s\n", prog,
			c->ifname, strerror(-ret));
	ipc_device_free(&d);
	if (ret < 0)
		return 1;
	printf("%s: reloaded from %s\n", c->ifname, c->path);
	return 0;
}

int cmd_reload(int argc, char **argv)
{
	struct config c;
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: %s reload CONFIG|IFNAME\n", prog);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "Usage: %s reload CONFIG|IFNAME\n", prog);
		return 2;
	}
	if (config_load_report(&c, argv[1], prog) < 0)
		return 1;
	if (ipc_foreign_daemon(c.ifname) > 0) {
		fprintf(stderr, "%s: %s belongs to another network namespace\n",
			prog, c.ifname);
		ret = 1;
	} else if (ipc_daemon_pid(c.ifname) <= 0) {
		fprintf(stderr, "%s: %s is not up\n", prog, c.ifname);
		ret = 1;
	} else {
		ret = reload(&c);
	}
	config_free(&c);
	return ret;
}
