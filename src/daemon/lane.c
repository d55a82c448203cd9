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

enum { EV_TUN = 1, EV_UDP, EV_CTL };

struct lane {
	struct wg_device *dev;
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

static void lane_read_udp(struct lane *l)
{
	struct wg_device *dev = l->dev;
	int n;

	n = udp_recv_batch(dev, &l->udp, l->bufs, LANE_BUF);
	for (int i = 0; i < n; i++)
		receive_msghdr(dev, &l->udp.msgs[i].msg_hdr, l->udp.msgs[i].msg_len,
			       &l->udp.srcs[i]);
	receive_flush(dev);	/* before the buffers are read into again */
}

static void lane_swap_socket(struct lane *l, int fd)
{
	struct wg_device *dev = l->dev;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = EV_UDP };

	epoll_ctl(l->epfd, EPOLL_CTL_DEL, dev->udp_fd, NULL);
	close(dev->udp_fd);
	dev->udp_fd = fd;
	udp_enable_gro(dev);
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
	ret = len >= 6 && !strncmp(req, "set=1\n", 6) ?
		      lane_handle_set(dev, req + 6, len - 6) : -EPROTO;
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
	if (fd >= 0)
		lane_swap_socket(l, fd);
	lane_ctl_request(l->dev, req, len, &reply, &rlen);
	crypto_wipe(req, len);
	free(req);
	ret = reply ? ctl_send(l->ctl_fd, reply, rlen, -1) : -ENOMEM;
	if (reply) {
		crypto_wipe(reply, rlen);
		free(reply);
	}
	return ret;
}

static void lane_tick(struct lane *l, uint64_t now)
{
	int mtu = tun_get_mtu(l->dev->ifname);

	if (mtu > 0)
		l->dev->mtu = (unsigned int)mtu;
	ratelimiter_gc(&l->dev->ratelimiter);
	ratelimiter_gc(&l->dev->cookie_ratelimiter);
	l->next_tick = now + TICK_NS;
}

static int lane_timeout_ms(struct lane *l)
{
	uint64_t now = clock_now(), next = l->next_tick;

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
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == EV_TUN)
				lane_read_tun(l);
			else if (evs[i].data.u32 == EV_UDP)
				lane_read_udp(l);
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
		now = clock_now();
		if (l->dev->next_timer && l->dev->next_timer <= now)
			timers_run(l->dev);
		if (now >= l->next_tick)
			lane_tick(l, now);
	}
}

int lane_run(struct wg_device *dev, int ctl_fd)
{
	struct lane l = { .dev = dev, .ctl_fd = ctl_fd };
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
	    lane_epoll_add(&l, ctl_fd, EV_CTL) < 0)
		goto out;
	lane_tick(&l, clock_now());
	/* Peers with persistent keepalive open their path at once. */
	for (struct wg_peer *p = dev->peers; p; p = p->next)
		if (p->persistent_keepalive)
			send_keepalive(p);
	ret = lane_loop(&l);
out:
	dev->txb = NULL;	/* they point into l, which ends here */
	dev->rxb = NULL;
	free(l.bufs);
	free(l.segs);
	return ret;
}
