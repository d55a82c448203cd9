// SPDX-License-Identifier: GPL-2.0-only
/*
 * Metrics families must each be contiguous in the output, so every
 * interface is read first (UAPI get for peers, the stats page for lanes)
 * and each family then walks all of them.
 */
#include "prom.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "ipc.h"
#include "stats.h"
#include "defaults.h"

#define PROM_IFACES_MAX 256
/* A session lives REJECT_AFTER_TIME (WireGuard whitepaper, section 6.1). */
#define PROM_SESSION_SECONDS 180

struct prom_iface {
	char name[32];
	struct ipc_device dev;
	struct stats_page *sp;	/* a checked copy; NULL: not tunlaned (no lanes) */
};

struct prom_set {
	struct prom_iface *ifs;
	size_t n;
	unsigned int errors;
};

static void prom_family(FILE *f, const char *name, const char *type,
			const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Lane metrics read one field of the stats slot each. */
typedef unsigned long long (*lane_field)(const struct lane_stats *l,
					 const struct prom_iface *pi);

static void prom_lanes(FILE *f, const struct prom_set *s, const char *name,
		       const char *type, const char *help, lane_field get)
{
	prom_family(f, name, type, help);
	for (size_t i = 0; i < s->n; i++)
		for (uint32_t j = 0; s->ifs[i].sp && j < s->ifs[i].sp->lanes; j++)
			fprintf(f, "%s{interface=\"%s\",lane=\"%u\"} %llu\n", name,
				s->ifs[i].name, j, get(stats_lane_const(s->ifs[i].sp, j), &s->ifs[i]));
}

#define FIELD(fn, expr) \
	static unsigned long long fn(const struct lane_stats *l, \
				     const struct prom_iface *pi) \
	{ (void)pi; return (unsigned long long)(expr); }
FIELD(f_up, l->pid > 0)
FIELD(f_rxb, l->rx_bytes)
FIELD(f_txb, l->tx_bytes)
FIELD(f_rxp, l->rx_packets)
FIELD(f_txp, l->tx_packets)
FIELD(f_restarts, l->restarts)
FIELD(f_hs, l->handshakes)
FIELD(f_latest, l->latest_handshake > 0 ? l->latest_handshake : 0)
FIELD(f_port, l->listen_port)
/* Every running lane holds every peer of its interface. */
FIELD(f_peers, l->pid > 0 ? pi->dev.n_peers : 0)

static void prom_lane_cpu(FILE *f, const struct prom_set *s)
{
	prom_family(f, "tunlane_lane_cpu", "gauge",
		    "CPU the lane is pinned to (-1: not pinned).");
	for (size_t i = 0; i < s->n; i++)
		for (uint32_t j = 0; s->ifs[i].sp && j < s->ifs[i].sp->lanes; j++)
			fprintf(f, "tunlane_lane_cpu{interface=\"%s\",lane=\"%u\"} %d\n",
				s->ifs[i].name, j, stats_lane_const(s->ifs[i].sp, j)->cpu);
}

static void prom_drops(FILE *f, const struct prom_set *s)
{
	prom_family(f, "tunlane_lane_dropped_packets_total", "counter",
		    "Packets the lane dropped, by reason.");
	for (size_t i = 0; i < s->n; i++)
		for (uint32_t j = 0; s->ifs[i].sp && j < s->ifs[i].sp->lanes; j++)
			for (int r = 0; r < DROP_MAX; r++)
				fprintf(f, "tunlane_lane_dropped_packets_total{interface=\"%s\","
					"lane=\"%u\",reason=\"%s\"} %llu\n", s->ifs[i].name, j,
					stats_drop_names[r],
					(unsigned long long)stats_lane_const(s->ifs[i].sp, j)->drops[r]);
}

static void prom_all_lanes(FILE *f, const struct prom_set *s)
{
	prom_lanes(f, s, "tunlane_lane_up", "gauge",
		   "Whether the lane's process is running.", f_up);
	prom_lane_cpu(f, s);
	prom_lanes(f, s, "tunlane_lane_listen_port", "gauge",
		   "UDP port the lane listens on.", f_port);
	prom_lanes(f, s, "tunlane_lane_received_bytes_total", "counter",
		   "Bytes received on the lane's UDP socket.", f_rxb);
	prom_lanes(f, s, "tunlane_lane_sent_bytes_total", "counter",
		   "Bytes sent from the lane's UDP socket.", f_txb);
	prom_lanes(f, s, "tunlane_lane_received_packets_total", "counter",
		   "Datagrams received by the lane.", f_rxp);
	prom_lanes(f, s, "tunlane_lane_sent_packets_total", "counter",
		   "Datagrams sent by the lane.", f_txp);
	prom_drops(f, s);
	prom_lanes(f, s, "tunlane_lane_restarts_total", "counter",
		   "Times the master respawned the lane.", f_restarts);
	prom_lanes(f, s, "tunlane_lane_handshakes_total", "counter",
		   "Handshakes the lane completed.", f_hs);
	prom_lanes(f, s, "tunlane_lane_latest_handshake_seconds", "gauge",
		   "Unix time of the lane's latest handshake (0: never).", f_latest);
	prom_lanes(f, s, "tunlane_lane_peers", "gauge",
		   "Peers the lane hosts.", f_peers);
}

static void prom_interfaces(FILE *f, const struct prom_set *s)
{
	prom_family(f, "tunlane_interface_lanes", "gauge",
		    "Lanes of the interface (absent: not a tunlaned interface).");
	for (size_t i = 0; i < s->n; i++)
		if (s->ifs[i].sp)
			fprintf(f, "tunlane_interface_lanes{interface=\"%s\"} %u\n",
				s->ifs[i].name, s->ifs[i].sp->lanes);
	prom_family(f, "tunlane_interface_peers", "gauge",
		    "Peers configured on the interface.");
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "tunlane_interface_peers{interface=\"%s\"} %zu\n",
			s->ifs[i].name, s->ifs[i].dev.n_peers);
}

enum peer_field { P_RX, P_TX, P_HANDSHAKE };

static void prom_peers(FILE *f, const struct prom_set *s, const char *name,
		       const char *type, const char *help, enum peer_field what)
{
	char key[CRYPTO_KEY_B64_LEN];

	prom_family(f, name, type, help);
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < s->ifs[i].dev.n_peers; j++) {
			const struct ipc_peer *p = &s->ifs[i].dev.peers[j];
			long long v = what == P_RX ? (long long)p->rx_bytes :
				      what == P_TX ? (long long)p->tx_bytes :
						     (long long)p->last_handshake_sec;

			crypto_key_to_base64(key, p->public_key);
			fprintf(f, "%s{interface=\"%s\",public_key=\"%s\"} %llu\n", name,
				s->ifs[i].name, key, (unsigned long long)(v > 0 ? v : 0));
		}
}

/* A lane with a handshake younger than REJECT_AFTER_TIME still has a
 * session. Lanes count handshakes of all their peers together, so this is
 * exact only with one peer; with more it is left out rather than guessed. */
static void prom_live_lanes(FILE *f, const struct prom_set *s)
{
	int64_t now = (int64_t)time(NULL);
	char key[CRYPTO_KEY_B64_LEN];

	prom_family(f, "tunlane_peer_live_lanes", "gauge",
		    "Lanes with a live session to the peer (interfaces with one peer).");
	for (size_t i = 0; i < s->n; i++) {
		const struct prom_iface *pi = &s->ifs[i];
		unsigned int live = 0;

		if (!pi->sp || pi->dev.n_peers != 1)
			continue;
		for (uint32_t j = 0; j < pi->sp->lanes; j++)
			live += stats_lane_const(pi->sp, j)->pid > 0 && stats_lane_const(pi->sp, j)->latest_handshake > 0 &&
				now - stats_lane_const(pi->sp, j)->latest_handshake < PROM_SESSION_SECONDS;
		crypto_key_to_base64(key, pi->dev.peers[0].public_key);
		fprintf(f, "tunlane_peer_live_lanes{interface=\"%s\",public_key=\"%s\"} %u\n",
			pi->name, key, live);
	}
}

static void prom_emit(FILE *f, const struct prom_set *s)
{
	prom_interfaces(f, s);
	prom_all_lanes(f, s);
	prom_peers(f, s, "wireguard_received_bytes_total", "counter",
		   "Bytes received from the peer (all lanes).", P_RX);
	prom_peers(f, s, "wireguard_sent_bytes_total", "counter",
		   "Bytes sent to the peer (all lanes).", P_TX);
	prom_peers(f, s, "wireguard_latest_handshake_seconds", "gauge",
		   "Unix time of the peer's latest handshake on any lane (0: never).",
		   P_HANDSHAKE);
	prom_live_lanes(f, s);
	prom_family(f, "tunlane_scrape_errors", "gauge",
		    "Interfaces that could not be read in this scrape.");
	fprintf(f, "tunlane_scrape_errors %u\n", s->errors);
}

static void prom_read(struct prom_set *s, const char *name)
{
	struct prom_iface *pi = &s->ifs[s->n];

	if (s->n >= PROM_IFACES_MAX || strlen(name) >= sizeof(pi->name)) {
		s->errors++;
		return;
	}
	memset(pi, 0, sizeof(*pi));
	snprintf(pi->name, sizeof(pi->name), "%s", name);
	if (ipc_get_stats(name, &pi->dev) < 0) {
		s->errors++;
		return;
	}
	if (stats_read(&pi->sp, name) < 0)
		pi->sp = NULL;
	s->n++;
}

static void prom_read_one(const char *name, void *arg)
{
	prom_read(arg, name);
}

/* This network namespace's interfaces only, as `tunlane show`. */
static void prom_read_all(struct prom_set *s)
{
	ipc_list(prom_read_one, s);
}

int prom_write(FILE *f, const char *ifname)
{
	struct prom_set s = { 0 };
	int ret;

	s.ifs = calloc(PROM_IFACES_MAX, sizeof(*s.ifs));
	if (!s.ifs)
		return -ENOMEM;
	if (ifname)
		prom_read(&s, ifname);
	else
		prom_read_all(&s);
	prom_emit(f, &s);
	ret = ferror(f) ? -EIO : (int)s.errors;
	for (size_t i = 0; i < s.n; i++) {
		free(s.ifs[i].sp);
		ipc_device_free(&s.ifs[i].dev);
	}
	free(s.ifs);
	return ret;
}
