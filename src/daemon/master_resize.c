// SPDX-License-Identifier: GPL-2.0-only
/*
 * A live Lanes change: `tunlane reload` sends "tunlane_set_lanes=N" (and
 * "cpus=LIST") on the UAPI socket, a request of tunlane's own that wg never
 * sends (tunlaned(8), "LANES CHANGED LIVE"; docs/design.md section 5).
 *
 * Growing opens what the master alone may open (a tun queue: the interface
 * is root's; the lane's UDP sockets, with SO_MARK) and forks each new lane
 * from the master's configuration, as a respawn does. Shrinking retires the
 * highest lanes: steering away from them first, then a notice to the peers
 * of their lane-bound sessions, then their tun queues detached, then
 * SIGTERM and reap. The lanes that stay are never touched.
 */
#include "master.h"
#include "master_lanes.h"
#include "master_uapi.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "defaults.h"
#include "cpulist.h"
#include "crypto.h"
#include "log.h"
#include "notify.h"
#include "portprobe.h"
#include "tsfloor.h"
#include "tun.h"
#include "udp.h"

/* How long retiring lanes keep resending their notice before they are
 * stopped: the lanes that stay carry everything meanwhile. */
#define LANE_RETIRE_GRACE_MS 500

/* Room for lanes in what grows with the most lanes ever run: each peer's
 * per-lane byte counts, the stats file and the master's mapping of it.
 * Readers accept a file longer than its header's lane count needs. */
static int master_grow_room(struct master *m, unsigned int lanes)
{
	void *p;

	if (lanes <= m->lanes_hi)
		return 0;
	for (struct wg_peer *peer = m->dev.peers; peer; peer = peer->next) {
		struct peer_lane_bytes *nb;

		if (!peer->lane_bytes)
			continue;
		nb = realloc(peer->lane_bytes, lanes * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		memset(nb + m->lanes_hi, 0, (lanes - m->lanes_hi) * sizeof(*nb));
		peer->lane_bytes = nb;
	}
	if (ftruncate(m->stats_fd, (off_t)stats_len(lanes)) < 0)
		return -errno;
	p = mremap(m->stats, stats_len(m->lanes_hi), stats_len(lanes),
		   MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return -errno;
	m->stats = p;
	m->lanes_hi = lanes;
	return 0;
}

/*
 * Lane i's tun queue. A retired lane's queue, kept detached, attaches again
 * wherever the interface now is. A new one attaches by name, which is only
 * safe while the interface is still the one we created, under its name in
 * our namespace (root could have moved or renamed it, and another
 * interface could have its old name): -EXDEV otherwise.
 */
static int master_queue_attach(struct master *m, unsigned int i)
{
	struct ifreq ifr;
	int fd;

	if (m->lane[i].tun_fd >= 0)
		return tun_set_queue(m->lane[i].tun_fd, true);
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(m->lane[0].tun_fd, TUNGETIFF, &ifr) < 0)
		return -errno;
	if (strncmp(ifr.ifr_name, m->opts.ifname, IFNAMSIZ) ||
	    if_nametoindex(m->opts.ifname) != m->ifindex)
		return -EXDEV;
	fd = tun_open_queue(m->opts.ifname, m->dev.vnet_hdr);
	if (fd < 0)
		return fd;
	m->lane[i].tun_fd = fd;
	return 0;
}

/* Lane i's own port (ListenPort + i) and, with per-peer steering, its
 * member of the shared ListenPort group. */
static int master_lane_sockets(struct master *m, unsigned int i)
{
	struct lane_slot *s = &m->lane[i];
	uint16_t base = m->dev.listen_port;
	int fd, ret;

	if ((unsigned int)base + i > 65535)
		return -ERANGE;
	fd = udp_open_port(m->udp_family, (uint16_t)(base + i), m->dev.fwmark,
			   false);
	if (fd < 0)
		return fd;
	s->udp_fd = fd;
	if (!m->shared)
		return 0;
	fd = udp_open_port(m->udp_family, base, m->dev.fwmark, true);
	if (fd < 0)
		return fd;
	s->shared_fd = fd;
	ret = steer_set_member(&m->steer, i, fd);
	return ret;
}

/* Undoes master_lane_open for lanes from..to-1, highest first: the kernel
 * fills a detached queue's place with its last one, so only the last may
 * go for the order of the others to stay the lanes'. */
static void master_lanes_unopen(struct master *m, unsigned int from,
				unsigned int to)
{
	for (unsigned int i = to; i-- > from;) {
		struct lane_slot *s = &m->lane[i];

		if (m->shared)
			steer_set_member(&m->steer, i, -1);
		if (s->tun_fd >= 0)
			tun_set_queue(s->tun_fd, false);
		if (s->udp_fd >= 0)
			close(s->udp_fd);
		if (s->shared_fd >= 0)
			close(s->shared_fd);
		s->udp_fd = s->shared_fd = -1;
	}
}

static int master_lane_open(struct master *m, unsigned int i)
{
	int ret;

	if (!m->tsfloor[i] && !(m->tsfloor[i] = tsfloor_map()))
		return -ENOMEM;
	ret = master_queue_attach(m, i);
	if (ret < 0) {
		log_warn("lane %u: cannot open tun queue: %s", i, strerror(-ret));
		return ret;
	}
	ret = master_lane_sockets(m, i);
	if (ret == -EADDRINUSE && portprobe_busy(m->dev.listen_port, i + 1) == (int)i)
		log_warn("lane %u: UDP port %u is in use", i, m->dev.listen_port + i);
	else if (ret < 0)
		log_warn("lane %u: cannot open its UDP sockets: %s", i,
			 strerror(-ret));
	return ret;
}

/* CPUs of lanes from..lanes-1: from list (as CPUs = does at start), else
 * the i-th CPU this process may use. Lanes that stay keep theirs. */
static int master_new_cpus(struct master *m, unsigned int from,
			   unsigned int lanes, const char *list)
{
	int cpus[LANES_MAX], all[LANES_MAX], n = 0, ret;
	char allowed[256];

	if (list && (n = cpulist_parse(list, cpus, LANES_MAX)) < 0)
		return n;
	if (n > 0 && cpulist_first_disallowed(cpus, n, allowed, sizeof(allowed)) >= 0)
		return -EINVAL;
	if ((ret = cpulist_assign(all, lanes, n > 0 ? cpus : NULL, n)) < 0)
		return ret;
	for (unsigned int i = from; i < lanes; i++)
		m->opts.cpus[i] = all[i];
	return 0;
}

static int master_grow(struct master *m, unsigned int lanes, const char *cpus)
{
	unsigned int old = m->opts.lanes, i;
	int ret;

	if ((ret = master_new_cpus(m, old, lanes, cpus)) < 0) {
		log_warn("Lanes %u: bad CPU list \"%s\"", lanes, cpus ? cpus : "");
		return ret;
	}
	if ((ret = master_grow_room(m, lanes)) < 0)
		return ret;
	for (i = old; i < lanes; i++)
		if ((ret = master_lane_open(m, i)) < 0) {
			master_lanes_unopen(m, old, i + 1);
			return ret;
		}
	for (i = old; i < lanes; i++) {
		memset(stats_lane(m->stats, i), 0, STATS_SLOT);
		stats_lane(m->stats, i)->listen_port = m->dev.listen_port + i;
	}
	m->opts.lanes = lanes;
	m->stats->lanes = lanes;
	if ((ret = steer_set_lanes(&m->steer, lanes)) < 0)
		log_warn("cannot tell the BPF programs of %u lanes: %s", lanes,
			 strerror(-ret));
	/* From here each lane is on its own: one that cannot start is
	 * respawned as a crashed one would be. */
	for (i = old; i < lanes; i++)
		if (master_spawn(m, i) < 0)
			m->lane[i].respawn_at = clock_now();
	return 0;
}

/* Peers whose only session was on a retired lane: lane 0 initiates to
 * each at once (a stock client would otherwise wait for its next rekey). */
static void master_resume_peers(struct master *m, unsigned int lanes)
{
	char *req = NULL, *reply = NULL, hex[CRYPTO_KEY_HEX_LEN];
	size_t len = 0, cap = 0, rlen = 0;
	unsigned int n = 0;

	for (struct wg_peer *p = m->dev.peers; p; p = p->next) {
		if (p->slot == PEER_NO_SLOT || !steer_rehome(&m->steer, p->slot, lanes))
			continue;
		if (len + 12 + CRYPTO_KEY_HEX_LEN + 2 > cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nb = realloc(req, ncap);

			if (!nb)
				break;
			req = nb;
			cap = ncap;
		}
		if (!len)
			len = (size_t)sprintf(req, "resume=1\n");
		crypto_key_to_hex(hex, p->handshake.remote_static);
		len += (size_t)sprintf(req + len, "public_key=%s\n", hex);
		n++;
	}
	if (n) {
		req[len++] = '\n';
		master_lanes_call_range(m, 0, 1, req, len, NULL,
					LANE_REPLY_TIMEOUT_MS + (int)(n / LANE_SET_PEERS_PER_MS),
					LANE_REPLY_BASE_MAX, &reply, &rlen);
		log_info("lane 0: initiating to %u peer%s of the retired lanes", n,
			 n == 1 ? "" : "s");
	}
	free(reply);
	free(req);
}

/* After a retired lane is reaped: what a death does, without the respawn.
 * Its queue stays open, detached, for a lane added again later. */
static void master_lane_retired(struct master *m, unsigned int i)
{
	struct lane_slot *s = &m->lane[i];
	int tun = s->tun_fd;

	steer_lane_died(&m->steer, i);
	master_uapi_lane_died(m, i);
	stats_lane(m->stats, i)->pid = 0;
	stats_lane(m->stats, i)->peers_live = 0;
	s->tun_fd = -1;
	master_close_slot(s);
	s->tun_fd = tun;
	s->pid = 0;
	s->respawn_at = 0;
	s->ping_sent = 0;
}

static int master_shrink(struct master *m, unsigned int lanes)
{
	static const char req[] = "retire=1\n\n";
	unsigned int old = m->opts.lanes;
	char *replies[LANES_MAX];
	size_t rlens[LANES_MAX];
	int ret;

	/* No new flow or datagram for them: the programs steer over the
	 * lanes that stay, and peers' traffic leaves their live bits. */
	if ((ret = steer_set_lanes(&m->steer, lanes)) < 0)
		log_warn("cannot tell the BPF programs of %u lanes: %s", lanes,
			 strerror(-ret));
	for (unsigned int i = old; i-- > lanes;) {
		if (m->shared)
			steer_set_member(&m->steer, i, -1);
		steer_lane_died(&m->steer, i);
	}
	master_lanes_call_range(m, lanes, old, req, sizeof(req) - 1, NULL,
				LANE_REPLY_TIMEOUT_MS, LANE_REPLY_BASE_MAX,
				replies, rlens);
	for (unsigned int i = lanes; i < old; i++)
		free(replies[i]);
	for (unsigned int i = old; i-- > lanes;)
		if ((ret = tun_set_queue(m->lane[i].tun_fd, false)) < 0)
			log_warn("lane %u: cannot detach its tun queue: %s", i,
				 strerror(-ret));
	/* Lane 0 takes over at once the peers that had no other lane. */
	master_resume_peers(m, lanes);
	/* The notices go again meanwhile (lane.c): one datagram may be
	 * dropped by a peer's full socket buffer. */
	usleep(LANE_RETIRE_GRACE_MS * 1000);
	m->opts.lanes = lanes;
	m->stats->lanes = lanes;
	master_stop_lanes(m, lanes, old);
	for (unsigned int i = lanes; i < old; i++)
		master_lane_retired(m, i);
	return 0;
}

int master_set_lanes(struct master *m, unsigned int lanes, const char *cpus)
{
	unsigned int old = m->opts.lanes;
	int ret;

	if (lanes < 1 || lanes > LANES_MAX)
		return -EINVAL;
	if (lanes == old)
		return 0;
	ret = lanes > old ? master_grow(m, lanes, cpus) : master_shrink(m, lanes);
	if (ret < 0) {
		log_warn("cannot change Lanes from %u to %u: %s", old, lanes,
			 strerror(-ret));
		return ret;
	}
	log_info("Lanes changed live from %u to %u", old, lanes);
	notify_lanes(m->opts.ifname, lanes);
	if (lanes > old && !steer_has_bpf(&m->steer))
		log_info("without BPF steering (started with one lane, --no-bpf, or refused), the tun's own hash spreads flows over the lanes");
	if (m->ports_final)
		master_log_ports(m);
	return 0;
}

/*
 * "tunlane_set_lanes=N", optionally "cpus=LIST", then the empty line.
 * Anything else is refused with one line and changes nothing.
 */
int master_set_lanes_request(struct master *m, const char *req, size_t len)
{
	char buf[LANES_REQ_MAX], *save = NULL, *line, *cpus = NULL, *end;
	unsigned long n = 0;
	bool have = false;

	if (len >= sizeof(buf)) {
		log_warn("rejected Lanes change: request too long");
		return -EINVAL;
	}
	memcpy(buf, req, len);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "tunlane_set_lanes=", 18) && !have) {
			errno = 0;
			n = strtoul(line + 18, &end, 10);
			have = !errno && end != line + 18 && !*end;
		} else if (!strncmp(line, "cpus=", 5) && !cpus) {
			cpus = line + 5;
		} else {
			have = false;
			break;
		}
	}
	if (!have || n < 1 || n > LANES_MAX) {
		log_warn("rejected Lanes change: want tunlane_set_lanes=1-%d", LANES_MAX);
		return -EINVAL;
	}
	return master_set_lanes(m, (unsigned int)n, cpus && *cpus ? cpus : NULL);
}
