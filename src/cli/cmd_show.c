// SPDX-License-Identifier: GPL-2.0-only
/*
 * tunlane show [IFNAME] [--json]: what `wg show` prints, plus a table of
 * lanes from the shared stats page, so a lane with no traffic or no
 * handshake stands out.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "defaults.h"
#include "ipc.h"
#include "netns.h"
#include "prom.h"
#include "privs.h"
#include "stats.h"
#include "subcommands.h"

static const char *bytes_h(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.2f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/* "1 year, 2 days, 1 minute, 5 seconds", as wg(8) writes a duration. */
static size_t pretty_time(char *buf, size_t len, uint64_t left)
{
	static const struct { const char *name; uint64_t sec; } unit[] = {
		{ "year", 365 * 24 * 3600 }, { "day", 24 * 3600 },
		{ "hour", 3600 }, { "minute", 60 }, { "second", 1 },
	};
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(unit) / sizeof(unit[0]); i++) {
		uint64_t n = left / unit[i].sec;

		left %= unit[i].sec;
		if (n && off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%llu %s%s",
						off ? ", " : "", (unsigned long long)n,
						unit[i].name, n == 1 ? "" : "s");
	}
	return off < len ? off : len - 1;
}

/* As wg(8): "Now", "N units ago", or a warning when the clock went back. */
static const char *ago(int64_t sec, char *buf, size_t len)
{
	int64_t d = (int64_t)time(NULL) - sec;

	if (!sec)
		snprintf(buf, len, "never");
	else if (d == 0)
		snprintf(buf, len, "Now");
	else if (d < 0)
		snprintf(buf, len, "(System clock wound backward; connection problems may ensue.)");
	else {
		size_t n = pretty_time(buf, len, (uint64_t)d);

		snprintf(buf + n, len - n, " ago");
	}
	return buf;
}

static void show_lanes_human(const struct stats_page *sp)
{
	char a[32], b[32], c[160];
	uint64_t total = 0;

	for (uint32_t i = 0; i < sp->lanes; i++)
		total += stats_lane_const(sp, i)->rx_bytes +
			 stats_lane_const(sp, i)->tx_bytes;
	printf("\n  lane  pid      cpu  port   peers  received    sent        share  drops  restarts  handshake\n");
	for (uint32_t i = 0; i < sp->lanes; i++) {
		const struct lane_stats *l = stats_lane_const(sp, i);
		uint64_t mine = l->rx_bytes + l->tx_bytes;

		printf("  %-4u  %-7d  %-3d  %-5u  %-5u  %-10s  %-10s  %4.1f%%  %-5llu  %-8u  %s\n",
		       i, l->pid, l->cpu, l->listen_port, l->peers_live,
		       bytes_h(l->rx_bytes, a, sizeof(a)),
		       bytes_h(l->tx_bytes, b, sizeof(b)),
		       total ? 100.0 * (double)mine / (double)total : 0.0,
		       (unsigned long long)stats_drops_total(l), l->restarts,
		       l->latest_handshake ? ago(l->latest_handshake, c, sizeof(c)) :
					     "NONE (check the peer runs as many lanes)");
	}
}

/* Each lane's own endpoint, when they differ in more than the lane
 * offset of the port (a NAT gives each lane's flow its own port). */
static void show_lane_endpoints(const struct ipc_peer *p)
{
	char ep[ENDPOINT_STR_LEN];

	if (p->n_lane_ep < 2)
		return;
	printf("  lane endpoints:");
	for (unsigned int i = 0; i < p->n_lane_ep; i++) {
		if (p->lane_ep[i].sa.sa_family)
			endpoint_format(&p->lane_ep[i], ep, sizeof(ep));
		else
			snprintf(ep, sizeof(ep), "(none)");
		printf("%s %u %s", i ? "," : "", i, ep);
	}
	printf("\n");
}

static bool peer_live(const struct ipc_peer *p, unsigned int lane)
{
	return lane < 256 && (p->live[lane / 64] >> (lane % 64)) & 1;
}

/* The lanes that hold a live session with the peer (per-peer lanes). */
static void show_live_lanes(const struct ipc_peer *p)
{
	const char *sep = " ";

	if (!p->n_lane_ep)
		return;
	printf("  lanes:");
	for (unsigned int i = 0; i < p->n_lane_ep; i++)
		if (peer_live(p, i)) {
			printf("%s%u", sep, i);
			sep = ", ";
		}
	printf("%s\n", *sep == ' ' ? " (none live)" : "");
}

static void show_peer_human(const struct ipc_peer *p)
{
	char key[CRYPTO_KEY_B64_LEN], ep[ENDPOINT_STR_LEN], a[32], b[32], c[160];

	crypto_key_to_base64(key, p->public_key);
	printf("\npeer: %s\n", key);
	if (p->has_psk)
		printf("  preshared key: (hidden)\n");
	if (p->endpoint.sa.sa_family) {
		endpoint_format(&p->endpoint, ep, sizeof(ep));
		printf("  endpoint: %s\n", ep);
	}
	show_lane_endpoints(p);
	show_live_lanes(p);
	printf("  allowed ips: ");
	for (size_t i = 0; i < p->n_allowed_ips; i++)
		printf("%s%s", i ? ", " : "", p->allowed_ips[i]);
	printf("%s\n", p->n_allowed_ips ? "" : "(none)");
	if (p->last_handshake_sec)
		printf("  latest handshake: %s\n", ago(p->last_handshake_sec, c, sizeof(c)));
	if (p->rx_bytes || p->tx_bytes)
		printf("  transfer: %s received, %s sent\n",
		       bytes_h(p->rx_bytes, a, sizeof(a)),
		       bytes_h(p->tx_bytes, b, sizeof(b)));
	if (p->persistent_keepalive) {
		pretty_time(c, sizeof(c), p->persistent_keepalive);
		printf("  persistent keepalive: every %s\n", c);
	}
}

static void show_human(const char *ifname, const struct ipc_device *d,
		       const struct stats_page *sp)
{
	char key[CRYPTO_KEY_B64_LEN];

	printf("interface: %s\n", ifname);
	if (d->has_key) {
		crypto_key_to_base64(key, d->public_key);
		printf("  public key: %s\n  private key: (hidden)\n", key);
	}
	printf("  listening port: %u\n", d->listen_port);
	if (d->fwmark)
		printf("  fwmark: 0x%x\n", d->fwmark);
	if (sp) {
		printf("  lanes: %u\n", sp->lanes);
		show_lanes_human(sp);
	}
	for (size_t i = 0; i < d->n_peers; i++)
		show_peer_human(&d->peers[i]);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* "never" is null everywhere in the JSON, as a missing endpoint is. */
static void json_time(int64_t sec)
{
	if (sec)
		printf("%lld", (long long)sec);
	else
		printf("null");
}

static void json_endpoint(const union endpoint *e)
{
	char ep[ENDPOINT_STR_LEN];

	if (!e->sa.sa_family) {
		printf("null");
		return;
	}
	endpoint_format(e, ep, sizeof(ep));
	json_str(ep);
}

static void json_lane(const struct lane_stats *l, uint32_t i)
{
	printf("{\"lane\": %u, \"pid\": %d, \"cpu\": %d, \"listen_port\": %u, "
	       "\"rx_bytes\": %llu, \"tx_bytes\": %llu, \"rx_packets\": %llu, "
	       "\"tx_packets\": %llu, \"drops\": %llu, \"drop_reasons\": {",
	       i, l->pid, l->cpu, l->listen_port,
	       (unsigned long long)l->rx_bytes, (unsigned long long)l->tx_bytes,
	       (unsigned long long)l->rx_packets, (unsigned long long)l->tx_packets,
	       (unsigned long long)stats_drops_total(l));
	for (int r = 0; r < DROP_MAX; r++)
		printf("%s\"%s\": %llu", r ? ", " : "", stats_drop_names[r],
		       (unsigned long long)l->drops[r]);
	printf("}, \"restarts\": %u, \"handshakes\": %llu, \"latest_handshake\": ",
	       l->restarts, (unsigned long long)l->handshakes);
	json_time(l->latest_handshake);
	printf(", \"peers\": %u}", l->peers_live);
}

static void json_peer(const struct ipc_peer *p)
{
	char key[CRYPTO_KEY_B64_LEN];

	crypto_key_to_base64(key, p->public_key);
	printf("{\"public_key\": \"%s\", \"preshared_key\": %s, \"endpoint\": ",
	       key, p->has_psk ? "\"(hidden)\"" : "null");
	json_endpoint(&p->endpoint);
	printf(", \"lane_endpoints\": [");
	for (unsigned int i = 0; i < p->n_lane_ep; i++) {
		printf("%s", i ? ", " : "");
		json_endpoint(&p->lane_ep[i]);
	}
	printf("], \"lanes\": [");
	for (unsigned int i = 0, n = 0; i < p->n_lane_ep; i++)
		if (peer_live(p, i))
			printf("%s%u", n++ ? ", " : "", i);
	printf("], \"allowed_ips\": [");
	for (size_t i = 0; i < p->n_allowed_ips; i++)
		printf("%s\"%s\"", i ? ", " : "", p->allowed_ips[i]);
	printf("], \"latest_handshake\": ");
	json_time(p->last_handshake_sec);
	printf(", \"rx_bytes\": %llu, \"tx_bytes\": %llu, "
	       "\"persistent_keepalive\": %u}",
	       (unsigned long long)p->rx_bytes,
	       (unsigned long long)p->tx_bytes, p->persistent_keepalive);
}

static void show_json(const char *ifname, const struct ipc_device *d,
		      const struct stats_page *sp)
{
	char key[CRYPTO_KEY_B64_LEN];

	printf("{\"interface\": ");
	json_str(ifname);
	if (d->has_key) {
		crypto_key_to_base64(key, d->public_key);
		printf(", \"public_key\": \"%s\"", key);
	} else {
		printf(", \"public_key\": null");
	}
	printf(", \"listen_port\": %u, \"fwmark\": %u", d->listen_port, d->fwmark);
	if (sp)
		printf(", \"pid\": %d", sp->master_pid);
	printf(", \"lanes\": [");
	for (uint32_t i = 0; sp && i < sp->lanes; i++) {
		printf("%s", i ? ", " : "");
		json_lane(stats_lane_const(sp, i), i);
	}
	printf("], \"peers\": [");
	for (size_t i = 0; i < d->n_peers; i++) {
		printf("%s", i ? ", " : "");
		json_peer(&d->peers[i]);
	}
	printf("]}");
}

/* Prints one interface; nothing at all when it cannot be read, so a
 * JSON array of several stays well formed. */
static int show_one(const char *ifname, bool json, bool first)
{
	struct stats_page *sp = NULL;
	struct ipc_device d;
	int ret, rc = 0;

	ret = ipc_get(ifname, &d);
	if (ret < 0) {
		fprintf(stderr, "%s: unable to access interface %s: %s\n", prog,
			ifname, strerror(-ret));
		return 1;
	}
	/* No file: not ours (e.g. wireguard-go), no lanes. A file that
	 * fails its checks is said so, and the rest is still shown. */
	ret = stats_read(&sp, ifname);
	if (ret < 0 && ret != -ENOENT) {
		char dir[96] = "?";

		netns_dir(NULL, dir, sizeof(dir));
		fprintf(stderr, "%s: %s: statistics file %s/%s.stats is %s; lanes not shown\n",
			prog, ifname, dir, ifname,
			ret == -EINVAL ? "damaged (bad size or header)" :
			ret == -EPROTO ? "of another format version (written by "
					 "a tunlaned of another build: restart "
					 "the interface)" :
			ret == -EPERM ? "writable by others" : strerror(-ret));
		rc = 1;
	}
	if (sp && ipc_get_lanes(ifname, &d, sp->lanes) < 0)
		fprintf(stderr, "%s: %s: cannot read the lanes' endpoints\n",
			prog, ifname);
	if (json) {
		printf("%s", first ? "" : ", ");
		show_json(ifname, &d, sp);
	} else {
		printf("%s", first ? "" : "\n");
		show_human(ifname, &d, sp);
	}
	free(sp);
	ipc_device_free(&d);
	return rc;
}

struct show_all_state {
	bool json, names_only;
	int shown, ret;
};

static void show_all_one(const char *name, void *arg)
{
	struct show_all_state *st = arg;

	if (st->names_only)
		printf("%s%s", st->shown++ ? " " : "", name);
	else if (show_one(name, st->json, st->shown == 0) == 0)
		st->shown++;
	else
		st->ret = 1;
}

/* Every interface of this network namespace, as `wg show` finds them. */
static int show_all(bool json, bool names_only)
{
	struct show_all_state st = { .json = json, .names_only = names_only };

	if (json)
		printf("[");
	ipc_list(show_all_one, &st);
	if (json)
		printf("]");
	if (json || (names_only && st.shown))
		putchar('\n');
	return st.ret;
}

static int show_usage(FILE *f, int code)
{
	fprintf(f, "Usage: %s show [IFNAME|all|interfaces] [--json|--prometheus]\n", prog);
	return code;
}

int cmd_show(int argc, char **argv)
{
	const char *ifname = NULL;
	bool json = false, names = false, prom = false;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--prometheus"))
			prom = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return show_usage(stdout, 0);
		else if (ifname || names || argv[i][0] == '-')
			return show_usage(stderr, 2);
		else if (!strcmp(argv[i], "interfaces"))
			names = true;
		else if (strcmp(argv[i], "all"))
			ifname = argv[i];
	}
	if (prom && (json || names))
		return show_usage(stderr, 2);
	if (privs_require_admin(prog) < 0)
		return 1;
	if (prom)	/* node_exporter's textfile collector format */
		return prom_write(stdout, ifname) == 0 ? 0 : 1;
	if (!ifname)
		return show_all(json && !names, names);
	if (ipc_foreign_daemon(ifname) > 0) {
		fprintf(stderr, "%s: %s belongs to another network namespace\n",
			prog, ifname);
		return 1;
	}
	ret = show_one(ifname, json, true);
	if (json && ret == 0)
		putchar('\n');
	return ret;
}
