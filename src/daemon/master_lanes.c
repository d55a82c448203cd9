// SPDX-License-Identifier: GPL-2.0-only
/*
 * The master's side of its lanes' control channels: a request fanned out
 * to every lane within one deadline and size cap (docs/design.md,
 * "Control channels"), and the lanes' "get" replies folded into the
 * master's peers (byte counts, handshake times, the endpoint a peer roamed
 * to), which is all the master takes from a lane.
 */
#include "master.h"
#include "master_lanes.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"
#include "ctl.h"
#include "log.h"

/* A lane that failed to answer: a late reply would answer the next
 * request, so restart it instead, from the master's configuration. */
static int lane_failed(struct master *m, unsigned int i, int err)
{
	log_warn("lane %u: no answer on its control channel (%s), restarting it",
		 i, strerror(-err));
	kill(m->lane[i].pid, SIGKILL);
	return err == -ETIMEDOUT ? -ETIMEDOUT : -EIO;
}

/*
 * Sends req to every running lane first, so that they work on it side by
 * side, then collects each reply, all within one deadline of timeout_ms
 * and reply_max bytes per reply. replies[i] stays NULL for a lane that is
 * down or failed. 0, or the error of the first lane that failed.
 * Once a slow lane has used the deadline up, the others get timeout 0,
 * which still reads a reply already in their socket (ctl_recv polls once):
 * only the lanes that did not answer are failed and restarted.
 */
int master_lanes_call(struct master *m, const char *req, size_t len,
		      const int *pass_fds, int timeout_ms, size_t reply_max,
		      char **replies, size_t *rlens)
{
	return master_lanes_call_range(m, 0, m->opts.lanes, req, len, pass_fds,
				       timeout_ms, reply_max, replies, rlens);
}

int master_lanes_call_range(struct master *m, unsigned int from,
			    unsigned int to, const char *req, size_t len,
			    const int *pass_fds, int timeout_ms,
			    size_t reply_max, char **replies, size_t *rlens)
{
	bool sent[LANES_MAX] = { false }, ready[LANES_MAX] = { false };
	int64_t deadline;
	int err = 0, ret;

	/* A heartbeat answer still in flight comes first; waiting for it
	 * does not count against this call's deadline. */
	for (unsigned int i = from; i < to; i++)
		ready[i] = m->lane[i].pid && m->lane[i].ctl_fd >= 0 &&
			   master_heartbeat_settle(m, i) == 0;
	deadline = clock_mono_ms() + timeout_ms;
	for (unsigned int i = from; i < to; i++) {
		struct lane_slot *s = &m->lane[i];

		replies[i] = NULL;
		if (!ready[i])
			continue;
		ret = ctl_send(s->ctl_fd, req, len, pass_fds ? pass_fds[i] : -1);
		if (ret < 0 && !err)
			err = lane_failed(m, i, ret);
		else if (ret < 0)
			lane_failed(m, i, ret);
		sent[i] = ret == 0;
	}
	for (unsigned int i = from; i < to; i++) {
		int64_t left = deadline - clock_mono_ms();

		if (!sent[i])
			continue;
		ret = ctl_recv_max(m->lane[i].ctl_fd, &replies[i], &rlens[i], NULL,
				   left > 0 ? (int)left : 0, reply_max);
		if (ret < 0) {
			replies[i] = NULL;
			ret = lane_failed(m, i, ret);
			if (!err)
				err = ret;
		}
	}
	return err;
}

int master_reply_errno(const char *reply)
{
	const char *e = reply ? strstr(reply, "errno=") : NULL;

	return e ? atoi(e + 6) : EIO;
}

struct merge {
	struct wg_peer *peer;
	long long sec;
};

/* The lane whose endpoint is the peer's: the one holding its plain
 * session (a stock client may live on any lane), else lane 0. */
static int master_endpoint_lane(struct master *m, const struct wg_peer *p)
{
	int owner = steer_plain_owner(&m->steer, p->slot);

	return owner > 0 ? owner : 0;
}

/* Folds one lane's runtime figures into the master's peers. */
static void merge_line(struct master *m, unsigned int lane, struct merge *st,
		       const char *key, const char *val)
{
	uint8_t pk[NOISE_PUBLIC_KEY_LEN];
	struct wg_peer *p;
	long long nsec;

	if (!strcmp(key, "public_key")) {
		st->peer = crypto_key_from_hex(pk, val) == 0 ?
				   device_peer_by_key(&m->dev, pk) : NULL;
		return;
	}
	if (!(p = st->peer))
		return;
	if (!p->lane_bytes &&
	    !(p->lane_bytes = calloc(m->lanes_hi, sizeof(*p->lane_bytes))))
		return;
	if (!strcmp(key, "rx_bytes"))
		p->lane_bytes[lane].rx = strtoull(val, NULL, 10);
	else if (!strcmp(key, "tx_bytes"))
		p->lane_bytes[lane].tx = strtoull(val, NULL, 10);
	else if (!strcmp(key, "last_handshake_time_sec"))
		st->sec = strtoll(val, NULL, 10);
	else if (!strcmp(key, "last_handshake_time_nsec")) {
		/* The newest handshake of any lane is the peer's. */
		nsec = strtoll(val, NULL, 10);
		if (st->sec > p->last_handshake_sec ||
		    (st->sec == p->last_handshake_sec &&
		     nsec > p->last_handshake_nsec)) {
			p->last_handshake_sec = st->sec;
			p->last_handshake_nsec = nsec;
		}
	} else if (!strcmp(key, "endpoint") &&
		   (int)lane == master_endpoint_lane(m, p))
		/* Roaming: a respawned lane and SaveConfig need where the
		 * peer is now (docs/design.md, "Control channels"). */
		endpoint_parse(&p->endpoint, val);
}

void master_uapi_merge_reply(struct master *m, unsigned int lane, char *reply)
{
	struct merge st = { 0 };
	char *save = NULL, *line;

	if (master_reply_errno(reply) != 0)
		return;
	for (line = strtok_r(reply, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq = '\0';
		merge_line(m, lane, &st, line, eq + 1);
	}
}

/* A lane that did not answer keeps its last reported counts. */
static void sum_lane_bytes(struct master *m, struct wg_peer *p)
{
	p->rx_bytes = p->carried_rx;
	p->tx_bytes = p->carried_tx;
	for (unsigned int i = 0; p->lane_bytes && i < m->opts.lanes; i++) {
		p->rx_bytes += p->lane_bytes[i].rx;
		p->tx_bytes += p->lane_bytes[i].tx;
	}
}

void master_uapi_lane_died(struct master *m, unsigned int lane)
{
	for (struct wg_peer *p = m->dev.peers; p; p = p->next) {
		if (!p->lane_bytes)
			continue;
		p->carried_rx += p->lane_bytes[lane].rx;
		p->carried_tx += p->lane_bytes[lane].tx;
		p->lane_bytes[lane].rx = p->lane_bytes[lane].tx = 0;
	}
}

/*
 * A lane answers "get" with its runtime figures only (device_get_stats),
 * in time and size in proportion to the peers the master knows; a lane
 * that does not keeps its last counts here and is restarted.
 */
int master_get(struct master *m, char **out, size_t *olen)
{
	char *replies[LANES_MAX];
	size_t rlens[LANES_MAX];
	size_t npeers = m->dev.npeers;

	master_lanes_call(m, "get=1\n\n", 7, NULL,
		   LANE_REPLY_TIMEOUT_MS + (int)(npeers / LANE_GET_PEERS_PER_MS),
		   LANE_REPLY_BASE_MAX + npeers * DEVICE_STATS_PEER_MAX,
		   replies, rlens);
	for (unsigned int i = 0; i < m->opts.lanes; i++) {
		if (!replies[i])
			continue;
		master_uapi_merge_reply(m, i, replies[i]);
		crypto_wipe(replies[i], rlens[i]);
		free(replies[i]);
	}
	for (struct wg_peer *p = m->dev.peers; p; p = p->next)
		sum_lane_bytes(m, p);
	return device_get(&m->dev, out, olen);
}

/* Appends line to *out (a growing, NUL-terminated buffer). 0 or -ENOMEM. */
static int append(char **out, size_t *olen, const char *line)
{
	size_t n = strlen(line);
	char *nb = realloc(*out, *olen + n + 2);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + *olen, line, n);
	nb[*olen + n] = '\n';
	nb[*olen + n + 1] = '\0';
	*out = nb;
	*olen += n + 1;
	return 0;
}

static bool master_peer_live(struct master *m, const char *hex, unsigned int lane)
{
	uint8_t pk[CRYPTO_X25519_LEN];
	struct wg_peer *p;

	if (crypto_key_from_hex(pk, hex) < 0)
		return false;
	p = device_peer_by_key(&m->dev, pk);
	return p && steer_is_live(&m->steer, p->slot, lane);
}

/*
 * "tunlane_lanes=1": tunlane's own request, which wg never sends. Each
 * lane's peers with the endpoint that lane talks to, which behind a NAT
 * differ in more than the lane offset of the port:
 * "lane=I" then "public_key=HEX" and "endpoint=ADDR" lines, and "live=1"
 * when lane I holds a session that can send to the peer now (per-peer
 * lanes, tunlaned(8)). Nothing secret: the lanes' private_key and
 * preshared_key lines are left out.
 */
int master_get_lanes(struct master *m, char **out, size_t *olen)
{
	char *replies[LANES_MAX], head[32];
	size_t rlens[LANES_MAX], npeers = m->dev.npeers;
	int ret = 0;

	master_lanes_call(m, "get=1\n\n", 7, NULL,
		   LANE_REPLY_TIMEOUT_MS + (int)(npeers / LANE_GET_PEERS_PER_MS),
		   LANE_REPLY_BASE_MAX + npeers * DEVICE_STATS_PEER_MAX,
		   replies, rlens);
	for (unsigned int i = 0; i < m->opts.lanes; i++) {
		char *save = NULL, *line;

		snprintf(head, sizeof(head), "lane=%u", i);
		if (!ret)
			ret = append(out, olen, head);
		for (line = replies[i] && !ret && master_reply_errno(replies[i]) == 0 ?
			    strtok_r(replies[i], "\n", &save) : NULL;
		     line && !ret; line = strtok_r(NULL, "\n", &save))
			if (!strncmp(line, "public_key=", 11) ||
			    !strncmp(line, "endpoint=", 9)) {
				ret = append(out, olen, line);
				if (!ret && line[0] == 'p' && master_peer_live(m, line + 11, i))
					ret = append(out, olen, "live=1");
			}
		if (replies[i]) {
			crypto_wipe(replies[i], rlens[i]);
			free(replies[i]);
		}
	}
	return ret;
}
