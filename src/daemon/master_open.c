// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the master opens before any lane exists: every queue of the tun
 * (offloads decided by the first, the interface then locked to root) and
 * every lane's UDP socket, with the shared ListenPort group of per-peer
 * steering (docs/design.md sections 2, 4 and 5). Lanes only inherit them.
 */
#include "master.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "offload.h"
#include "tun.h"
#include "udp.h"

void master_log_offloads(int flags)
{
	log_info("tun offloads:%s%s%s%s%s", flags & TUN_F_CSUM ? " csum" : "",
		 flags & TUN_F_TSO4 ? " tso4" : "", flags & TUN_F_TSO6 ? " tso6" : "",
		 flags & TUN_F_USO4 ? " uso4" : "", flags & TUN_F_USO6 ? " uso6" : "");
}

/* The first queue decides: with a virtio-net header and offloads where the
 * kernel grants them (docs/design.md section 4), else plain packets. */
static int master_open_first_queue(struct master *m)
{
	int fd, flags;

	if (!m->opts.no_offload) {
		fd = tun_open_queue(m->opts.ifname, true);
		if (fd >= 0 && (flags = tun_set_offload(fd)) > 0) {
			m->dev.vnet_hdr = true;
			m->offloads = flags;
			return fd;
		}
		if (fd >= 0)
			close(fd);
		log_warn("tun offloads unavailable, using plain packets");
	}
	m->dev.vnet_hdr = false;
	return tun_open_queue(m->opts.ifname, false);
}

/*
 * A tun with no owner and no group lets anyone who can open /dev/net/tun
 * (mode 0666 on most distributions) attach one more queue by name, and
 * read or inject plaintext (issue 9). With owner and group root, the
 * kernel refuses the attach to everyone but root or a holder of
 * CAP_NET_ADMIN (tun_not_capable() in drivers/net/tun.c). Every queue is
 * open by now and respawned lanes reuse theirs, so nobody ever needs to
 * attach again.
 */
static int master_lock_queues(struct master *m)
{
	int fd = m->lane[0].tun_fd;

	if (ioctl(fd, TUNSETOWNER, 0UL) < 0 || ioctl(fd, TUNSETGROUP, 0UL) < 0) {
		int ret = -errno;

		log_err("cannot restrict %s to root: %s", m->opts.ifname,
			strerror(-ret));
		return ret;
	}
	return 0;
}

int master_open_queues(struct master *m)
{
	const char *ifname = m->opts.ifname;

	for (unsigned int i = 0; i < m->opts.lanes; i++) {
		int fd = i ? tun_open_queue(ifname, m->dev.vnet_hdr) :
			     master_open_first_queue(m);

		if (fd < 0) {
			log_err("cannot open tun queue %u of %s: %s", i, ifname,
				strerror(-fd));
			return fd;
		}
		m->lane[i].tun_fd = fd;
	}
	return master_lock_queues(m);
}

/*
 * With BPF and more than one lane, every lane also has a socket on
 * ListenPort in one SO_REUSEPORT group, steered by steer.h's program. fds
 * and shared are what udp_open_lanes_shared() returned; on failure the
 * group is closed and lanes keep only their own ports. true when shared.
 */
bool master_attach_group(struct master *m, const int *fds, int *shared)
{
	int group[LANES_MAX], ret;

	group[0] = fds[0];
	for (unsigned int i = 1; i < m->opts.lanes; i++)
		group[i] = shared[i];
	ret = steer_attach_group(&m->steer, group);
	if (ret == 0)
		return true;
	log_warn("cannot steer ListenPort by receiver index (%s): stock peers use lane 0 only",
		 strerror(-ret));
	udp_close_all(shared, m->opts.lanes);
	return false;
}

int master_open_sockets(struct master *m)
{
	int fds[LANES_MAX], shared[LANES_MAX];
	bool group = steer_has_bpf(&m->steer) && m->opts.lanes > 1;
	uint16_t base;
	int ret;

	for (unsigned int i = 0; i < LANES_MAX; i++)
		shared[i] = -1;
	ret = group ? udp_open_lanes_shared(fds, shared, m->opts.lanes, 0, 0,
					    &base, &m->udp_family) :
		      udp_open_lanes(fds, m->opts.lanes, 0, 0, &base,
				     &m->udp_family);
	if (ret < 0) {
		log_err("cannot open UDP sockets: %s", strerror(-ret));
		return ret;
	}
	m->shared = group && master_attach_group(m, fds, shared);
	m->dev.listen_port = base;
	for (unsigned int i = 0; i < m->opts.lanes; i++) {
		m->lane[i].udp_fd = fds[i];
		m->lane[i].shared_fd = m->shared ? shared[i] : -1;
		stats_lane(m->stats, i)->listen_port = base + i;
	}
	return 0;
}
