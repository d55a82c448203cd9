// SPDX-License-Identifier: GPL-2.0-only
/*
 * Serves the UAPI (wireguard.com/xplatform) on our namespace's socket and,
 * through master_relay.c, on /var/run/wireguard/IFNAME.sock. A "set"
 * is parsed and validated here first, so a bad request changes nothing,
 * then applied to the master's configuration and forwarded to every lane.
 * A "get" is the configuration plus runtime figures summed over lanes.
 */
#include "master.h"
#include "master_lanes.h"
#include "master_relay.h"
#include "master_uapi.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include "clock.h"
#include "crypto.h"
#include "ctl.h"
#include "log.h"
#include "portprobe.h"
#include "uapi.h"
#include "udp.h"
#include "unixsock.h"

#define MAX_CLIENTS 16
#define CLIENT_WRITE_MS 2000

struct uapi_client {
	int fd;
	char *buf;
	size_t len, cap;
};

static struct uapi_client *clients[MAX_CLIENTS];

/* Handles one complete request; *reply is malloc'd. */
static void master_uapi_request(struct master *m, const char *req, size_t len,
				char **reply, size_t *rlen);

/*
 * Our namespace's own socket (netns.h), then the stock path that wg(8)
 * uses, shared by every namespace (master_relay.c). The first is ours
 * alone: a daemon already there means the name is taken in this
 * namespace.
 */
int master_uapi_listen(struct master *m)
{
	int fd, ret;

	if ((ret = netns_of(0, &m->netns)) < 0)
		return ret;
	m->netns_init = netns_is_init(&m->netns);
	/* Our namespace for good: a socket's never changes. */
	if ((ret = netns_cookie_self(&m->netns_cookie)) < 0) {
		log_err("cannot tell network namespaces apart (SO_NETNS_COOKIE, Linux 5.14 or later): %s",
			strerror(-ret));
		return ret;
	}
	if ((ret = netns_mkdir()) < 0 ||
	    (ret = netns_path(&m->netns, m->opts.ifname, "sock", m->sock_path,
			      sizeof(m->sock_path))) < 0) {
		log_err("cannot make the state directory: %s", strerror(-ret));
		return ret;
	}
	if (unixsock_busy(m->sock_path, 0)) {
		log_err("%s is in use by another daemon", m->sock_path);
		return -EADDRINUSE;
	}
	fd = master_relay_bind(m->sock_path, &m->sock_ino);
	if (fd < 0) {
		log_err("cannot listen on %s: %s", m->sock_path, strerror(-fd));
		return fd;
	}
	m->uapi_fd = fd;
	return 0;
}

static void client_free(struct master *m, struct uapi_client *c)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i] == c)
			clients[i] = NULL;
	if (m && m->ep_fd >= 0)
		epoll_ctl(m->ep_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->buf) {
		crypto_wipe(c->buf, c->cap);
		free(c->buf);
	}
	free(c);
}

void master_uapi_close_clients(struct master *m)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i])
			client_free(NULL, clients[i]);
}

/*
 * Our own socket sits in /var/run, which every namespace shares, but it
 * serves our namespace alone: a client that connected from another one
 * (its accepted socket lives in the client's namespace) is closed
 * unanswered. Clients of other namespaces come through the stock path,
 * whose relay connects from the client's own namespace (master_relay.c).
 */
static bool uapi_client_ours(struct master *m, int fd)
{
	static uint64_t logged_at;
	uint64_t cookie = 0, now;

	if (netns_cookie(fd, &cookie) == 0 && cookie == m->netns_cookie)
		return true;
	now = clock_now();
	if (!logged_at || now - logged_at >= 10 * NSEC_PER_SEC) {
		logged_at = now;
		log_warn("refused a client of %s from another network namespace",
			 m->sock_path);
	}
	return false;
}

void master_uapi_accept(struct master *m)
{
	int fd = accept4(m->uapi_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (uapi_client_ours(m, fd))
		master_uapi_adopt(m, fd);
	else
		close(fd);
}

void master_uapi_adopt(struct master *m, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct uapi_client *c;
	int slot = -1;

	for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
		if (!clients[i])
			slot = i;
	c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	clients[slot] = c;
	ev.data.ptr = c;
	if (epoll_ctl(m->ep_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		client_free(m, c);
}

static int client_grow(struct uapi_client *c)
{
	size_t ncap = c->cap ? c->cap * 2 : 4096;
	char *n;

	if (ncap > UAPI_MAX_REQUEST)
		return -E2BIG;
	n = malloc(ncap);
	if (!n)
		return -ENOMEM;
	if (c->buf) {
		memcpy(n, c->buf, c->len);
		crypto_wipe(c->buf, c->cap);
		free(c->buf);
	}
	c->buf = n;
	c->cap = ncap;
	return 0;
}

/* Replies go out in one go; a client that stops reading for longer than
 * CLIENT_WRITE_MS is dropped so it cannot stall the master. */
static int write_full(int fd, const char *p, size_t len)
{
	int waited = 0;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && waited++ < CLIENT_WRITE_MS) {
			usleep(1000);
			continue;
		}
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Serves every complete request (ending in an empty line) in the buffer. */
static int client_serve(struct master *m, struct uapi_client *c)
{
	char *end, *reply;
	size_t used, rlen;
	int ret = 0;

	while (c->len >= 2 && (end = memmem(c->buf, c->len, "\n\n", 2))) {
		used = (size_t)(end - c->buf) + 2;
		master_uapi_request(m, c->buf, used, &reply, &rlen);
		ret = write_full(c->fd, reply, rlen);
		crypto_wipe(reply, rlen);
		free(reply);
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		if (ret < 0)
			break;
	}
	return ret;
}

void master_uapi_client_event(struct master *m, struct uapi_client *c,
			      uint32_t events)
{
	for (;;) {
		ssize_t n;

		if (c->len == c->cap && client_grow(c) < 0)
			goto drop;
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			goto drop;
		if (n < 0)
			break;
		c->len += (size_t)n;
		if (client_serve(m, c) < 0)
			goto drop;
	}
	return;
drop:
	client_free(m, c);
}

/* Opens the new sockets before anything changes, so a port in use fails
 * the whole request (nothing half-applied). */
static int master_prepare_sockets(struct master *m, const struct uapi_set *set,
				  int *newfds, int *shared, uint16_t *base)
{
	uint32_t mark = set->has_fwmark ? set->fwmark : m->dev.fwmark;
	int fam, ret, busy;

	for (unsigned int i = 0; i < LANES_MAX; i++)
		shared[i] = -1;
	ret = m->shared ? udp_open_lanes_shared(newfds, shared, m->opts.lanes,
						set->listen_port, mark, base, &fam) :
			  udp_open_lanes(newfds, m->opts.lanes, set->listen_port,
					 mark, base, &fam);
	if (ret == -EADDRINUSE && (busy = portprobe_busy(set->listen_port,
							m->opts.lanes)) >= 0)
		log_warn("lane %d: UDP port %u is in use (Lanes = %u needs %u-%u)",
			 busy, set->listen_port + busy, m->opts.lanes,
			 set->listen_port, set->listen_port + m->opts.lanes - 1);
	else if (ret < 0)
		log_warn("cannot listen on UDP ports %u-%u: %s", set->listen_port,
			 set->listen_port + m->opts.lanes - 1, strerror(-ret));
	return ret;
}

/* Puts the mark in force (the configuration's) back on lanes 0..n-1. */
static void fwmark_restore(struct master *m, unsigned int n)
{
	for (unsigned int i = 0; i <= n && i < m->opts.lanes; i++)
		if (udp_set_fwmark(m->lane[i].udp_fd, m->dev.fwmark) < 0 ||
		    (m->lane[i].shared_fd >= 0 &&
		     udp_set_fwmark(m->lane[i].shared_fd, m->dev.fwmark) < 0))
			log_warn("lane %u: cannot restore fwmark %u", i,
				 m->dev.fwmark);
}

/*
 * Marks every lane's socket (the lanes share them), or none: a failure
 * partway puts the sockets already changed back to the mark in force, so
 * that nothing is half-applied. 0 or the first error.
 */
int master_set_fwmark(struct master *m, uint32_t mark)
{
	for (unsigned int i = 0; i < m->opts.lanes; i++) {
		int ret = udp_set_fwmark(m->lane[i].udp_fd, mark);

		if (ret == 0 && m->lane[i].shared_fd >= 0)
			ret = udp_set_fwmark(m->lane[i].shared_fd, mark);
		if (ret < 0) {
			log_warn("cannot set fwmark %u: %s", mark, strerror(-ret));
			fwmark_restore(m, i);
			return ret;
		}
	}
	return 0;
}

/* Time a lane may take over a "set": the base, plus a share per peer and
 * per allowed IP, so that a large request is never taken for a hung lane
 * (a lane creating a peer does one X25519 to precompute it). */
static int set_timeout_ms(const struct uapi_set *set)
{
	size_t aips = 0;

	for (size_t i = 0; i < set->n_peers; i++)
		aips += set->peers[i].n_allowedips;
	return LANE_REPLY_TIMEOUT_MS + (int)(set->n_peers / LANE_SET_PEERS_PER_MS) +
	       (int)(aips / LANE_SET_AIPS_PER_MS);
}

/* A lane that failed is restarted from the configuration, which has the
 * change, but its sessions are lost: the client hears of it in errno. */
/* Each lane's new socket on the shared ListenPort comes in a message of
 * its own (one fd per message), just before the set that moves its own
 * port; lane 0's own socket is its member of the group. */
static void master_pass_shared(struct master *m, const int *shared)
{
	static const char req[] = "shared=1\n\n";
	char *replies[LANES_MAX];
	size_t rlens[LANES_MAX];

	master_lanes_call(m, req, sizeof(req) - 1, shared, LANE_REPLY_TIMEOUT_MS,
		   LANE_REPLY_BASE_MAX, replies, rlens);
	for (unsigned int i = 0; i < m->opts.lanes; i++) {
		free(replies[i]);
		if (m->lane[i].shared_fd >= 0)
			close(m->lane[i].shared_fd);
		m->lane[i].shared_fd = shared[i];
	}
}

static int master_forward_set(struct master *m, const struct uapi_set *set,
			      const char *req, size_t len, const int *newfds,
			      const int *shared)
{
	char *replies[LANES_MAX];
	size_t rlens[LANES_MAX];
	int err;

	if (newfds)
		master_pass_shared(m, shared);
	err = -master_lanes_call(m, req, len, newfds, set_timeout_ms(set),
			  LANE_REPLY_BASE_MAX, replies, rlens);
	for (unsigned int i = 0; i < m->opts.lanes; i++) {
		/* A lane that is down now forks from the new config anyway. */
		if (replies[i] && !err)
			err = master_reply_errno(replies[i]);
		free(replies[i]);
		if (newfds) {
			close(m->lane[i].udp_fd);
			m->lane[i].udp_fd = newfds[i];
		}
	}
	return -err;
}

/*
 * After a set: slots that changed hands forget the old peer, configured
 * endpoints become the last known ones (a respawned lane starts from
 * them), and the kernel's routes follow allowed-IPs.
 */
static void master_update_steering(struct master *m, const struct uapi_set *set,
				   const uint64_t *was_used)
{
	const uint64_t *used = m->dev.slot_used;

	for (uint32_t w = 0; w < PEER_SLOTS / 64; w++) {
		uint64_t fresh = used[w] & ~was_used[w];

		for (uint32_t b = 0; fresh && b < 64; b++)
			if (fresh & (1ULL << b))
				steer_slot_reset(&m->steer, w * 64 + b);
	}
	for (size_t i = 0; i < set->n_peers; i++) {
		const struct uapi_peer *up = &set->peers[i];
		struct wg_peer *p;

		if (!up->has_endpoint || up->remove)
			continue;
		p = device_peer_by_key(&m->dev, up->public_key);
		if (p)
			steer_put_endpoint(&m->steer, p->slot, LANES_MAX, &p->endpoint);
	}
	steer_sync_routes(&m->steer, &m->dev);
}

static int master_set(struct master *m, const char *req, size_t len)
{
	uint64_t *was_used = NULL;
	int newfds[LANES_MAX], shared[LANES_MAX], ret;
	bool swap = false;
	struct uapi_set set;
	uint16_t base = 0;
	char err[256];

	ret = uapi_parse_set(&set, req, len, err, sizeof(err));
	if (ret < 0) {
		log_warn("rejected configuration: %s", err);
		return ret;
	}
	if (set.has_listen_port && set.listen_port != m->dev.listen_port) {
		if ((ret = master_prepare_sockets(m, &set, newfds, shared, &base)) < 0)
			goto out;
		swap = true;
	} else if (set.has_fwmark && (ret = master_set_fwmark(m, set.fwmark)) < 0) {
		/* (New sockets above get the mark as they are opened.) */
		goto out;
	}
	was_used = malloc(sizeof(m->dev.slot_used));
	if (!was_used) {
		ret = -ENOMEM;
		if (swap) {
			udp_close_all(newfds, m->opts.lanes);
			udp_close_all(shared, m->opts.lanes);
		}
		goto out;
	}
	memcpy(was_used, m->dev.slot_used, sizeof(m->dev.slot_used));
	ret = device_apply(&m->dev, &set);
	master_update_steering(m, &set, was_used);
	if (ret == 0 && swap) {
		m->dev.listen_port = base;
		for (unsigned int i = 0; i < m->opts.lanes; i++)
			stats_lane(m->stats, i)->listen_port = base + i;
	}
	if (ret == 0 && swap && m->shared && !master_attach_group(m, newfds, shared))
		m->shared = false;	/* (shared closed: lanes use their own ports) */
	if (ret == 0) {
		ret = master_forward_set(m, &set, req, len, swap ? newfds : NULL,
					 shared);
		if (swap || !m->ports_final)
			master_log_ports(m);
	} else if (swap) {
		udp_close_all(newfds, m->opts.lanes);
		udp_close_all(shared, m->opts.lanes);
	}
out:
	free(was_used);
	uapi_set_free(&set);
	return ret;
}

static void master_uapi_request(struct master *m, const char *req, size_t len,
			 char **reply, size_t *rlen)
{
	char *body = NULL;
	size_t blen = 0;
	int ret;

	if (len == 7 && !memcmp(req, "get=1\n\n", 7))
		ret = master_get(m, &body, &blen);
	else if (len == 17 && !memcmp(req, "tunlane_lanes=1\n\n", 17))
		ret = master_get_lanes(m, &body, &blen);
	else if (len >= 18 && !memcmp(req, "tunlane_set_lanes=", 18))
		ret = master_set_lanes_request(m, req, len);
	else if (len >= 6 && !memcmp(req, "set=1\n", 6))
		ret = master_set(m, req, len);
	else if (len == 17 && !memcmp(req, "tunlane_yield=1\n\n", 17))
		ret = master_public_yield(m);
	else
		ret = -EINVAL;
	if (asprintf(reply, "%serrno=%d\n\n", body && ret == 0 ? body : "",
		     -ret) < 0) {
		*reply = strdup("errno=12\n\n");
	}
	*rlen = *reply ? strlen(*reply) : 0;
	if (body) {
		crypto_wipe(body, blen);
		free(body);
	}
}
