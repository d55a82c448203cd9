// SPDX-License-Identifier: GPL-2.0-only
#include "lane.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "crypto.h"
#include "ctl.h"
#include "log.h"
#include "offload.h"
#include "tun.h"
#include "uapi.h"
#include "udp.h"

#define LANE_BATCH UDP_BATCH
#define LANE_BUF   (MESSAGE_DATA_HEADER_LEN + MESSAGE_MAX_SIZE + 64)
/* Segments of one super-packet: each needs its headers (at most 60 + 60
 * bytes for IPv4/TCP, more for IPv6 with extension headers), the WireGuard
 * header, padding and tag around the payload. */
#define SEG_TAIL   (MESSAGE_PADDING_MULTIPLE - 1 + NOISE_AUTHTAG_LEN)
#define SEG_ROOM   (MESSAGE_DATA_HEADER_LEN + 256 + SEG_TAIL)
#define SEG_AREA   (512 << 10)
#define SEG_MAX    512
#define TICK_NS    NSEC_PER_SEC
/* Lanes 1..N-1 try a bound handshake with a peer that lane 0 reaches, and
 * back off while nothing answers: a stock WireGuard peer never will. */
#define PROBE_FIRST_WAIT (2 * NSEC_PER_SEC)
#define PROBE_MAX_WAIT   (120 * NSEC_PER_SEC)
/* A retiring lane's notice is one datagram, which a peer's full socket
 * buffer may drop: it is sent again this often, this many more times,
 * while the master waits before stopping the lane
 * (LANE_RETIRE_GRACE_MS, master_resize.c). */
#define RETIRE_RESEND_EVERY (NSEC_PER_SEC / 10)
#define RETIRE_RESENDS      4

enum { EV_TUN = 1, EV_UDP, EV_UDP_SHARED, EV_CTL };

struct lane {
	struct wg_device *dev;
	struct steer *steer;
	int epfd;
	int ctl_fd;
	uint8_t *bufs;			/* LANE_BATCH buffers of LANE_BUF */
	struct udp_batch udp;		/* headers for reads into bufs */
	struct tx_batch txb;
	struct rx_batch rxb;
	uint8_t *segs;			/* SEG_AREA for cut super-packets */
	struct offload_seg_iter seg_it;
	size_t seg_lens[1];		/* a GSO_NONE packet checksummed */
	uint64_t next_tick;
	uint64_t retire_next;		/* next resend of the notice, 0 = none */
	unsigned int retire_left;
	bool gone;
};

int lane_drop_privileges(const struct lane_privs *p, int cpu)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	bool unpinned = false;

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			log_warn("cannot pin to CPU %d: %s; running unpinned", cpu,
				 strerror(errno));
			unpinned = true;
		}
	}
	/* Empty the bounding set while we still hold CAP_SETPCAP. */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	if (p->change_user &&
	    (setgroups(0, NULL) < 0 || setresgid(p->gid, p->gid, p->gid) < 0 ||
	     setresuid(p->uid, p->uid, p->uid) < 0))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* Lanes share a uid: keep one from ptracing or reading another. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return unpinned ? -EXDEV : 0;
}

static int lane_epoll_add(struct lane *l, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/*
 * A read with a vnet header: a plain packet is sent from where it lies; a
 * TSO/USO super-packet (or one whose checksum the kernel left to us) is cut
 * into MTU-sized segments first (docs/design.md section 4), each with room for
 * the WireGuard header in front and padding and tag behind.
 */
static void lane_tun_vnet(struct lane *l, uint8_t *slot, size_t n)
{
	struct wg_device *dev = l->dev;
	struct virtio_net_hdr vh;
	uint8_t *pkt = slot + MESSAGE_DATA_HEADER_LEN;
	size_t len = n - OFFLOAD_VNET_HDR_LEN, stride;
	uint8_t *seg;
	int segs;

	memcpy(&vh, pkt - OFFLOAD_VNET_HDR_LEN, sizeof(vh));
	if (vh.gso_type == VIRTIO_NET_HDR_GSO_NONE &&
	    !(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		send_tun_packet(dev, pkt, len);
		return;
	}
	if (vh.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		segs = offload_segment(&vh, pkt, len, slot, LANE_BUF,
				       MESSAGE_DATA_HEADER_LEN, 1, l->seg_lens);
		if (segs == 1)
			send_tun_packet(dev, pkt, l->seg_lens[0]);
		else
			device_count_drop(dev, DROP_BAD_PACKET);
		return;
	}
	/* Cut in place and encrypted out of place: each segment goes from
	 * the tun's buffer straight into its slot of the segment area,
	 * which must hold header, padding and tag too (headers over
	 * SEG_ROOM's budget do not fit). */
	stride = SEG_ROOM + vh.gso_size;
	segs = offload_seg_begin(&l->seg_it, &vh, pkt, len,
				 SEG_AREA / stride < SEG_MAX ? SEG_AREA / stride : SEG_MAX,
				 stride - MESSAGE_DATA_HEADER_LEN - SEG_TAIL);
	if (segs < 0) {
		device_count_drop(dev, DROP_BAD_PACKET);
		return;
	}
	for (size_t i = 0, slen; (seg = offload_seg_next(&l->seg_it, &slen)); i++)
		send_tun_packet_to(dev, seg, slen, l->segs + i * stride);
	send_flush(dev);	/* the segment area is reused by the next read */
}

/* Each packet gets its own buffer: they are encrypted in place and stay
 * there until the batch is flushed in one go. */
static void lane_read_tun(struct lane *l)
{
	struct wg_device *dev = l->dev;
	size_t hdr = dev->vnet_hdr ? OFFLOAD_VNET_HDR_LEN : 0;

	for (int i = 0; i < LANE_BATCH; i++) {
		uint8_t *buf = l->bufs + (size_t)i * LANE_BUF;
		ssize_t n = tun_read(dev, buf + MESSAGE_DATA_HEADER_LEN - hdr,
				     MESSAGE_MAX_SIZE + hdr);

		if (n < 0) {
			/* EBADFD/EIO: the interface was deleted under us. */
			if (n == -EBADFD || n == -EIO)
				l->gone = true;
			break;
		}
		if ((size_t)n <= hdr)
			device_count_drop(dev, DROP_BAD_PACKET);
		else if (hdr)
			lane_tun_vnet(l, buf, (size_t)n);
		else
			send_tun_packet(dev, buf + MESSAGE_DATA_HEADER_LEN, (size_t)n);
	}
	send_flush(dev);
}

static void lane_read_udp(struct lane *l, bool shared)
{
	struct wg_device *dev = l->dev;
	int n;

	dev->rx_shared = shared;	/* which socket; replies use it too */
	n = udp_recv_batch(dev, &l->udp, l->bufs, LANE_BUF);
	for (int i = 0; i < n; i++)
		receive_msghdr(dev, &l->udp.msgs[i].msg_hdr, l->udp.msgs[i].msg_len,
			       &l->udp.srcs[i]);
	receive_flush(dev);	/* before the buffers are read into again */
	dev->rx_shared = false;
}

static void lane_swap_socket(struct lane *l, int *slot, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (*slot >= 0) {
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, *slot, NULL);
		close(*slot);
	}
	*slot = fd;
	udp_enable_gro(l->dev);
	epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int lane_handle_set(struct wg_device *dev, const char *req, size_t len)
{
	struct uapi_set set;
	char err[256];
	int ret;

	ret = uapi_parse_set(&set, req, len, err, sizeof(err));
	if (ret < 0)
		return ret;
	ret = device_apply(dev, &set);
	uapi_set_free(&set);
	return ret;
}

static void lane_handle_get(struct wg_device *dev, char **reply, size_t *rlen)
{
	char *body = NULL;
	size_t blen = 0;
	int ret = device_get_stats(dev, &body, &blen);

	if (ret < 0 || asprintf(reply, "%serrno=0\n\n", body) < 0) {
		if (asprintf(reply, "errno=%d\n\n", ENOMEM) < 0)
			*reply = NULL;
	}
	if (body) {
		crypto_wipe(body, blen);
		free(body);
	}
	*rlen = *reply ? strlen(*reply) : 0;
}

/*
 * "retire=1": the master is about to take this lane away (a live Lanes
 * change, tunlaned(8)). Each peer whose lane-bound session lives here
 * hears it in one data message (MESSAGE_LANE_RETIRE), so that its lane of
 * our number ends that session now and its flows move to its other lanes,
 * instead of going to a port nobody reads until the session expires.
 */
static int lane_retire(struct wg_device *dev)
{
	dev->retiring = true;	/* and no new session here (device.h) */
	for (struct wg_peer *p = dev->peers; p; p = p->next) {
		if (!dev->lane || p->plain || !peer_can_send(p))
			continue;
		peer_stage_packet(p, (const uint8_t *)MESSAGE_LANE_RETIRE,
				  MESSAGE_LANE_RETIRE_LEN);
		send_staged_packets(p);
	}
	send_flush(dev);
	return 0;
}

/*
 * "resume=1" and one "public_key=HEX" line per peer: peers whose only
 * session was on a lane that was just retired. This lane initiates to each
 * at once, at the last endpoint any lane saw, so a stock client's traffic
 * flows again within a round trip instead of at its next rekey.
 */
static int lane_resume_peers(struct wg_device *dev, const char *req, size_t len)
{
	const char *end = req + len, *line = req, *nl;
	uint8_t pk[NOISE_PUBLIC_KEY_LEN];
	struct wg_peer *p;

	for (; line < end && (nl = memchr(line, '\n', (size_t)(end - line)));
	     line = nl + 1) {
		char hex[CRYPTO_KEY_HEX_LEN];

		if (nl - line != 11 + CRYPTO_KEY_HEX_LEN - 1 ||
		    strncmp(line, "public_key=", 11))
			continue;
		memcpy(hex, line + 11, CRYPTO_KEY_HEX_LEN - 1);
		hex[CRYPTO_KEY_HEX_LEN - 1] = '\0';
		if (crypto_key_from_hex(pk, hex) < 0 ||
		    !(p = device_peer_by_key(dev, pk)) || p->live ||
		    !dev->static_identity.has_identity)
			continue;
		if (dev->live_arg && p->slot != PEER_NO_SLOT)
			steer_get_endpoint(dev->live_arg, p->slot, &p->endpoint);
		if (p->endpoint.sa.sa_family)
			send_handshake_initiation(p, false);
	}
	send_flush(dev);
	return 0;
}

void lane_ctl_request(struct wg_device *dev, const char *req, size_t len,
		      char **reply, size_t *rlen)
{
	int ret;

	if (len == 8 && !memcmp(req, "ping=1\n\n", 8)) {
		/* The master's heartbeat: answering it proves the loop runs. */
		*reply = strdup("pong=1\n\n");
		*rlen = *reply ? strlen(*reply) : 0;
		return;
	}
	if (len >= 6 && !strncmp(req, "get=1\n", 6)) {
		lane_handle_get(dev, reply, rlen);
		return;
	}
	if (len >= 9 && !strncmp(req, "shared=1\n", 9))
		ret = 0;
	else if (len >= 6 && !strncmp(req, "set=1\n", 6))
		ret = lane_handle_set(dev, req + 6, len - 6);
	else if (len == 10 && !memcmp(req, "retire=1\n\n", 10))
		ret = lane_retire(dev);
	else if (len >= 9 && !strncmp(req, "resume=1\n", 9))
		ret = lane_resume_peers(dev, req + 9, len - 9);
	else
		ret = -EPROTO;
	if (asprintf(reply, "errno=%d\n\n", -ret) < 0)
		*reply = NULL;
	*rlen = *reply ? strlen(*reply) : 0;
}

static int lane_handle_ctl(struct lane *l)
{
	char *req, *reply = NULL;
	size_t len, rlen = 0;
	int fd, ret;

	ret = ctl_recv(l->ctl_fd, &req, &len, &fd, 5000);
	if (ret < 0)
		return ret;
	/* "shared=1" brings the lane's new socket on the shared ListenPort
	 * (one fd per message); any other request may bring its own port's. */
	if (fd >= 0 && len >= 9 && !strncmp(req, "shared=1\n", 9))
		lane_swap_socket(l, &l->dev->udp_shared_fd, fd, EV_UDP_SHARED);
	else if (fd >= 0)
		lane_swap_socket(l, &l->dev->udp_fd, fd, EV_UDP);
	lane_ctl_request(l->dev, req, len, &reply, &rlen);
	if (len == 10 && !memcmp(req, "retire=1\n\n", 10)) {
		l->retire_left = RETIRE_RESENDS;
		l->retire_next = clock_now() + RETIRE_RESEND_EVERY;
	}
	crypto_wipe(req, len);
	free(req);
	ret = reply ? ctl_send(l->ctl_fd, reply, rlen, -1) : -ENOMEM;
	if (reply) {
		crypto_wipe(reply, rlen);
		free(reply);
	}
	return ret;
}

/* Lane 0's sessions and those that came through the shared ListenPort are
 * plain WireGuard: a stock peer has only one, so only one lane may hold it. */
static bool lane_plain(const struct wg_device *dev, const struct wg_peer *p)
{
	return dev->lane == 0 || p->plain;
}

static void lane_on_live(struct wg_device *dev, struct wg_peer *peer,
			 bool live)
{
	const struct noise_keypair *kp = peer->keypairs.current_keypair;

	if (live && lane_plain(dev, peer))
		steer_set_plain_owner(dev->live_arg, peer->slot, dev->lane);
	/* Lane 0 learns what the peer is from its index (src/wg/index.h):
	 * only a multi-lane tunlane puts its lane, 0 here, in the top 8 bits
	 * (a stock peer's is random: 1 in 256 look alike and are probed in
	 * vain, which costs a handshake now and then and one warning). */
	if (live && dev->lane == 0 && kp)
		steer_set_multi(dev->live_arg, peer->slot, (kp->remote_index >> 24) == 0);
	steer_set_live(dev->live_arg, peer->slot, dev->lane, live);
	if (!live)
		peer->next_probe = peer->probe_wait = 0;	/* try again soon */
}

/* Forgets everything this lane had with the peer: keys, handshake,
 * timers and what waited to be sent. */
static void lane_end_session(struct wg_device *dev, struct wg_peer *p)
{
	noise_handshake_clear(&p->handshake, &dev->index);
	noise_keypairs_clear(&p->keypairs, &dev->index);
	for (int t = 0; t < TIMER_MAX; t++)
		timers_disarm(p, (enum peer_timer)t);
	peer_purge_staged(p);
	p->plain = false;
	peer_update_live(p);
}

/*
 * Another lane now holds this peer's plain session (a stock client that
 * handshook again from elsewhere and was hashed to another lane): forget
 * ours, so the peer's traffic goes only there and we do not handshake
 * with it again.
 */
static void lane_yield_plain(struct lane *l, struct wg_peer *p)
{
	struct wg_device *dev = l->dev;
	int owner = steer_plain_owner(l->steer, p->slot);

	if (!p->live || !lane_plain(dev, p) || owner < 0 ||
	    owner == (int)dev->lane)
		return;
	log_debug("peer %s: its session moved to lane %d", peer_name(p), owner);
	lane_end_session(dev, p);
}

/*
 * The peer's lane of our number retired (MESSAGE_LANE_RETIRE: its Lanes
 * went down live): end the bound session at once, so the peer's flows move
 * to our other live lanes, and probe again only after the longest wait;
 * until then no tun packet or timer initiates to it either (device.h).
 * A plain session, and lane 0, never hear it from a tunlane.
 */
void lane_on_retire(struct wg_device *dev, struct wg_peer *p)
{
	if (!dev->lane || p->plain)
		return;
	log_info("peer %s: its lane %u retired, ending the session", peer_name(p),
		 dev->lane);
	lane_end_session(dev, p);
	p->probe_wait = PROBE_MAX_WAIT;
	p->next_probe = clock_now() + PROBE_MAX_WAIT;
	p->retired_until = p->next_probe;
}

static void lane_on_endpoint(struct wg_device *dev, struct wg_peer *peer)
{
	steer_put_endpoint(dev->live_arg, peer->slot, dev->lane, &peer->endpoint);
}

/*
 * Per-peer lanes (tunlaned(8)): lane i >= 1 goes live with a peer only when
 * the peer's lane i answers a handshake bound to lane i, so the lanes used
 * with each peer come to min(ours, theirs) by themselves; only for a peer
 * whose lane 0 is a multi-lane tunlane's: a stock peer (or a tunlane with
 * one lane) never answers, and a lane that keeps trying would warn about
 * it (timers.c) for nothing. Lane 0 tries
 * too when it lost its session (the peer was configured again) while
 * another lane still has one: the peer's lane 0 may still count on it.
 * Not when another lane holds the peer's plain session: a stock client
 * has one session, and it lives there.
 */
static bool lane_should_probe(struct lane *l, const struct wg_peer *p)
{
	int owner;

	if (l->dev->lane)
		return !p->plain && steer_is_live(l->steer, p->slot, 0) &&
		       steer_is_multi(l->steer, p->slot);
	owner = steer_plain_owner(l->steer, p->slot);
	return owner <= 0 && steer_other_live(l->steer, p->slot, 0);
}

static void lane_probe(struct lane *l, struct wg_peer *p, uint64_t now)
{
	struct wg_device *dev = l->dev;

	if (p->live || p->slot == PEER_NO_SLOT || !lane_should_probe(l, p) ||
	    now < p->next_probe ||
	    timers_pending(p, TIMER_RETRANSMIT_HANDSHAKE) ||
	    !dev->static_identity.has_identity)
		return;
	if (!p->endpoint.sa.sa_family)
		steer_get_endpoint(l->steer, p->slot, &p->endpoint);
	p->probe_wait = p->probe_wait ? p->probe_wait * 2 : PROBE_FIRST_WAIT;
	if (p->probe_wait > PROBE_MAX_WAIT)
		p->probe_wait = PROBE_MAX_WAIT;
	p->next_probe = now + p->probe_wait;
	send_handshake_initiation(p, false);
}

static void lane_tick(struct lane *l, uint64_t now)
{
	int mtu = tun_get_mtu(l->dev->ifname);
	uint32_t live = 0;

	if (mtu > 0)
		l->dev->mtu = (unsigned int)mtu;
	ratelimiter_gc(&l->dev->ratelimiter);
	ratelimiter_gc(&l->dev->cookie_ratelimiter);
	/* Sessions also end without a packet (expiry, a new private key). */
	for (struct wg_peer *p = l->dev->peers; p; p = p->next) {
		peer_update_live(p);
		lane_yield_plain(l, p);
		lane_probe(l, p, now);
		live += p->live;
	}
	l->dev->stats->peers_live = live;
	send_flush(l->dev);
	l->next_tick = now + TICK_NS;
}

/*
 * A respawned lane starts from the last endpoints any lane saw (roaming
 * included) and initiates to every peer whose session it held, so their
 * traffic, queued on its tun queue meanwhile, flows again at once.
 */
static void lane_resume(struct lane *l)
{
	struct wg_device *dev = l->dev;

	for (struct wg_peer *p = dev->peers; p; p = p->next) {
		bool mine;

		if (p->slot == PEER_NO_SLOT)
			continue;
		steer_get_endpoint(l->steer, p->slot, &p->endpoint);
		/* A stock client we held is talked to as before: plain. */
		p->plain = dev->lane && dev->udp_shared_fd >= 0 &&
			   steer_plain_owner(l->steer, p->slot) == (int)dev->lane;
		mine = steer_home(l->steer, p->slot) == (int)dev->lane ||
		       steer_plain_owner(l->steer, p->slot) == (int)dev->lane;
		if (mine && dev->static_identity.has_identity)
			send_handshake_initiation(p, false);
	}
}

static int lane_timeout_ms(struct lane *l)
{
	uint64_t now = clock_now(), next = l->next_tick;

	if (l->retire_next && l->retire_next < next)
		next = l->retire_next;
	if (l->dev->hsq_len)
		return 0;	/* handshakes wait: look at the sockets, go on */
	if (l->dev->next_timer && l->dev->next_timer < next)
		next = l->dev->next_timer;
	if (next <= now)
		return 0;
	return (int)((next - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
}

static int lane_loop(struct lane *l)
{
	struct epoll_event evs[4];

	for (;;) {
		int n = epoll_wait(l->epfd, evs, 4, lane_timeout_ms(l));
		uint64_t now;

		if (n < 0 && errno != EINTR)
			return LANE_EXIT_ERROR;
		/* One clock reading for the turn, not several per packet
		 * (clock.h); the timeout above read the clock afresh. */
		now = clock_batch_begin();
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == EV_TUN)
				lane_read_tun(l);
			else if (evs[i].data.u32 == EV_UDP)
				lane_read_udp(l, false);
			else if (evs[i].data.u32 == EV_UDP_SHARED)
				lane_read_udp(l, true);
			else if (lane_handle_ctl(l) < 0)
				return LANE_EXIT_OK;	/* master gone */
		}
		if (l->gone)
			return LANE_EXIT_GONE;
		/* Handshakes after the data this turn read, and only a few:
		 * a flood of them must not starve the tunnel. */
		if (l->dev->hsq_len) {
			receive_handshakes(l->dev, HANDSHAKE_BUDGET);
			send_flush(l->dev);
			receive_flush(l->dev);
		}
		if (l->dev->next_timer && l->dev->next_timer <= now)
			timers_run(l->dev);
		if (l->retire_next && now >= l->retire_next) {
			lane_retire(l->dev);
			l->retire_next = --l->retire_left ?
					 now + RETIRE_RESEND_EVERY : 0;
		}
		if (now >= l->next_tick)
			lane_tick(l, now);
		clock_batch_end();
	}
}

int lane_run(struct wg_device *dev, int ctl_fd, struct steer *steer)
{
	struct lane l = { .dev = dev, .ctl_fd = ctl_fd, .steer = steer };
	int ret = LANE_EXIT_ERROR;

	l.bufs = malloc((size_t)LANE_BATCH * LANE_BUF);
	l.segs = malloc(SEG_AREA);
	l.txb.gso = true;
	dev->txb = &l.txb;
	dev->rxb = &l.rxb;
	udp_enable_gro(dev);
	l.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!l.bufs || !l.segs || l.epfd < 0 ||
	    crypto_init() < 0 || receive_queue_init(dev) < 0)
		goto out;
	if (lane_epoll_add(&l, dev->tun_fd, EV_TUN) < 0 ||
	    lane_epoll_add(&l, dev->udp_fd, EV_UDP) < 0 ||
	    lane_epoll_add(&l, ctl_fd, EV_CTL) < 0 ||
	    (dev->udp_shared_fd >= 0 &&
	     lane_epoll_add(&l, dev->udp_shared_fd, EV_UDP_SHARED) < 0))
		goto out;
	dev->on_live = lane_on_live;
	dev->on_endpoint = lane_on_endpoint;
	dev->on_retire = lane_on_retire;
	dev->live_arg = steer;
	lane_resume(&l);
	lane_tick(&l, clock_now());
	/* Peers with persistent keepalive open their path at once. */
	for (struct wg_peer *p = dev->peers; p; p = p->next)
		if (p->persistent_keepalive)
			send_keepalive(p);
	ret = lane_loop(&l);
	clock_batch_end();	/* a return mid-turn leaves it held */
out:
	dev->txb = NULL;	/* they point into l, which ends here */
	dev->rxb = NULL;
	free(l.bufs);
	free(l.segs);
	return ret;
}
