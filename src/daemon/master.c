// SPDX-License-Identifier: GPL-2.0-only
#include "master.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "crypto.h"
#include "ctl.h"
#include "log.h"
#include "master_relay.h"
#include "master_uapi.h"
#include "notify.h"
#include "netlink.h"
#include "noise.h"
#include "offload.h"
#include "tsfloor.h"
#include "tun.h"
#include "udp.h"
#include "uapi.h"

#define RESPAWN_FAST_FAIL (NSEC_PER_SEC)	/* a lane that died this young */
#define RESPAWN_BACKOFF   (NSEC_PER_SEC / 4)	/* waits this long: < 1 s */
#define LANE_STOP_GRACE   (NSEC_PER_SEC / 2)

/* What lane i keeps of the master's shared memory: its own page of the
 * stats file (so it can neither forge another lane's counters nor touch
 * the header) and its own replay-floor table, whose floors its
 * predecessors in this slot accepted and which hold for it too. */
static void master_lane_memory(struct master *m, unsigned int i)
{
	struct wg_device *dev = &m->dev;

	if (stats_map_lane(&dev->stats, m->stats_fd, i) == 0)
		munmap(m->stats, stats_len(m->lanes_hi));
	else	/* the whole file, as before: only with pages over 4 KiB */
		dev->stats = stats_lane(m->stats, i);
	close(m->stats_fd);
	for (unsigned int j = 0; j < LANES_MAX; j++)
		if (j != i)
			tsfloor_unmap(m->tsfloor[j]);
	dev->tsfloor = m->tsfloor[i];
	for (struct wg_peer *p = dev->peers; p; p = p->next)
		tsfloor_apply(dev->tsfloor, p->handshake.remote_static,
			      p->handshake.latest_timestamp);
}

/* Closes what the master holds for a lane slot (a retired lane's detached
 * queue included). */
static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void master_close_slot(struct lane_slot *s)
{
	close_fd(&s->tun_fd);
	close_fd(&s->udp_fd);
	close_fd(&s->shared_fd);
	close_fd(&s->ctl_fd);
}

static void master_become_lane(struct master *m, unsigned int i, int ctl_fd)
{
	struct wg_device *dev = &m->dev;
	pid_t master = getppid();
	char prefix[IFNAMSIZ + 16];
	sigset_t none;
	int ret;

	snprintf(prefix, sizeof(prefix), "%s: lane %u: ", m->opts.ifname, i);
	log_set_prefix(prefix);

	/* A lane must not hold the others' fds, so a crash of one cannot
	 * disturb another's queue. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (unsigned int j = 0; j < LANES_MAX; j++)
		if (j != i)
			master_close_slot(&m->lane[j]);
	close(m->lane[i].ctl_fd);
	if (m->opts.notify_fd >= 0)
		close(m->opts.notify_fd);
	if (m->opts.ready_fd >= 0)
		close(m->opts.ready_fd);
	close(m->uapi_fd);
	if (m->pub_fd >= 0)
		close(m->pub_fd);
	/* A lock held by a lane would outlive the master's yield. */
	if (m->pub_lock_fd >= 0)
		close(m->pub_lock_fd);
	close(m->sig_fd);
	close(m->ep_fd);
	master_uapi_close_clients(m);
	/* The master's copy of the peers holds sums over lanes from its last
	 * "get"; this lane counts only its own. */
	for (struct wg_peer *p = dev->peers; p; p = p->next) {
		p->rx_bytes = p->tx_bytes = 0;
		p->last_handshake_sec = p->last_handshake_nsec = 0;
	}
	noise_bind_lane(i);
	steer_lane_detach(&m->steer);
	dev->is_lane = true;
	dev->lane = i;
	if (m->opts.lanes > 1)
		index_table_set_lane(&dev->index, i);
	dev->tun_fd = m->lane[i].tun_fd;
	dev->udp_fd = m->lane[i].udp_fd;
	dev->udp_shared_fd = m->lane[i].shared_fd;
	dev->udp_family = m->udp_family;
	master_lane_memory(m, i);
	ret = lane_drop_privileges(&m->opts.privs, m->opts.cpus[i]);
	if (ret == -EXDEV) {	/* runs, but unpinned: never claim a CPU */
		dev->stats->cpu = -1;
		ret = 0;
	}
	if (ret < 0) {
		log_err("cannot drop privileges: %s", strerror(-ret));
		_exit(LANE_EXIT_ERROR);
	}
	/* A lane must not outlive its master (it would keep the tun and
	 * leave the socket and stats page stale). Armed only now: the uid
	 * change clears it. A master that died before this line left us to
	 * another parent. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != master)
		_exit(LANE_EXIT_ERROR);
	_exit(lane_run(dev, ctl_fd, &m->steer));
}

int master_spawn(struct master *m, unsigned int i)
{
	static const struct timeval ctl_timeout = { .tv_sec = 3 };
	struct lane_slot *s = &m->lane[i];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	s->ctl_fd = sv[0];
	/* A stopped lane must not block the master in send(). */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &ctl_timeout, sizeof(ctl_timeout));
	/* Before the fork: a lane that fails to pin itself sets -1 here. */
	stats_lane(m->stats, i)->cpu = m->opts.cpus[i];
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		s->ctl_fd = -1;
		return -errno;
	}
	if (pid == 0)
		master_become_lane(m, i, sv[1]);
	close(sv[1]);
	s->pid = pid;
	s->started = clock_now();
	/* Replies the kernel sends on tx queue i then leave from lane i's
	 * CPU (Documentation/networking/scaling.rst, XPS). */
	if (m->opts.cpus[i] >= 0 && nl_set_xps(m->opts.ifname, i, m->opts.cpus[i]) < 0)
		log_debug("lane %u: cannot set XPS for CPU %d", i, m->opts.cpus[i]);
	s->respawn_at = 0;
	s->ping_at = s->started + HEARTBEAT_EVERY;
	s->ping_sent = 0;
	stats_lane(m->stats, i)->pid = pid;
	if (m->ports_final)
		log_info("lane %u: started, pid %d, cpu %d, UDP port %u", i, (int)pid,
			 m->opts.cpus[i], stats_lane(m->stats, i)->listen_port);
	else
		log_info("lane %u: started, pid %d, cpu %d", i, (int)pid,
			 m->opts.cpus[i]);
	return 0;
}

static void master_lane_died(struct master *m, unsigned int i, int status)
{
	struct lane_slot *s = &m->lane[i];
	uint64_t now = clock_now();

	if (WIFSIGNALED(status))
		log_warn("lane %u: pid %d killed by signal %d", i, (int)s->pid,
			 WTERMSIG(status));
	else
		log_warn("lane %u: pid %d exited with status %d", i, (int)s->pid,
			 WEXITSTATUS(status));
	close(s->ctl_fd);
	s->ctl_fd = -1;
	s->pid = 0;
	/* Its peers' traffic moves to their other live lanes at once. */
	steer_lane_died(&m->steer, i);
	master_uapi_lane_died(m, i);
	stats_lane(m->stats, i)->pid = 0;
	stats_lane(m->stats, i)->peers_live = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == LANE_EXIT_GONE) {
		log_info("interface %s is gone, exiting", m->opts.ifname);
		m->stop = true;
		return;
	}
	/* Respawn at once, but do not spin on a lane that crashes on start. */
	s->respawn_at = now - s->started < RESPAWN_FAST_FAIL ?
				now + RESPAWN_BACKOFF : now;
}

static void master_reap(struct master *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (master_relay_reaped(pid))
			continue;
		for (unsigned int i = 0; i < m->opts.lanes; i++)
			if (m->lane[i].pid == pid)
				master_lane_died(m, i, status);
	}
}

static void master_respawn_due(struct master *m)
{
	uint64_t now = clock_now();

	for (unsigned int i = 0; i < m->opts.lanes && !m->stop; i++) {
		struct lane_slot *s = &m->lane[i];

		if (!s->respawn_at || s->respawn_at > now)
			continue;
		stats_lane(m->stats, i)->restarts++;
		log_warn("lane %u: respawning (restart %u)", i,
			 stats_lane(m->stats, i)->restarts);
		if (master_spawn(m, i) < 0)
			s->respawn_at = now + RESPAWN_BACKOFF;
	}
}

static int master_signals(struct master *m)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	m->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return m->sig_fd < 0 ? -errno : 0;
}

static void master_handle_signal(struct master *m)
{
	struct signalfd_siginfo si;

	while (read(m->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			master_reap(m);
		} else if (si.ssi_signo != SIGHUP) {
			log_info("received signal %u, shutting down", si.ssi_signo);
			m->stop = true;
		}
	}
}

/*
 * Whether the interface still exists, asked of our own queue rather than
 * of its name: the interface may have moved to another network namespace
 * or been renamed (WireGuard's documented namespace model: the sockets
 * stay where the interface was born), and neither is a deletion. When it
 * is deleted, wherever it is, the kernel detaches every queue
 * (tun_detach_all), after which poll reports POLLERR and reads fail with
 * EBADFD.
 */
static bool master_tun_gone(const struct master *m)
{
	struct pollfd pfd = { .fd = m->lane[0].tun_fd, .events = 0 };

	if (pfd.fd < 0)
		return false;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLERR | POLLNVAL));
}

/* Like wireguard-go: deleting the interface or the socket stops us. */
static void master_check_alive(struct master *m)
{
	struct stat st;

	if (master_tun_gone(m)) {
		log_info("interface %s was removed, exiting", m->opts.ifname);
		m->stop = true;
	} else if (stat(m->sock_path, &st) < 0 || st.st_ino != m->sock_ino) {
		log_info("%s was removed, exiting", m->sock_path);
		m->stop = true;
	}
}

static int master_epoll_add(struct master *m, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(m->ep_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/*
 * Claims the interface's name: signals, our socket, a free name, then the
 * stock path and the stats page. TUNSETIFF on an existing name would
 * attach us to someone else's interface as an extra queue, so the name
 * must be free before anything that could belong to a daemon already
 * running for this interface is created.
 */
static int master_setup_claim(struct master *m)
{
	const char *ifname = m->opts.ifname;
	int ret;

	if ((ret = master_signals(m)) < 0 || (ret = master_uapi_listen(m)) < 0)
		return ret;
	if (if_nametoindex(ifname)) {
		log_err("interface %s already exists", ifname);
		return -EEXIST;
	}
	/* The stock path only once the name is ours here: a daemon that
	 * fails these checks must not take it from another namespace's. */
	if ((ret = master_public_setup(m)) < 0)
		return ret;
	ret = stats_create(&m->stats, &m->stats_fd, ifname, m->opts.lanes);
	m->lanes_hi = m->opts.lanes;
	if (ret < 0)
		log_err("cannot create stats page: %s", strerror(-ret));
	return ret;
}

/* The link's MTU and IPv6 address generation: failures are logged, not
 * fatal, as the tunnel works without them. */
static void master_setup_link(const char *ifname)
{
	int ret;

	/* WireGuard's default (wireguard-go and the kernel module agree): 80
	 * bytes of IPv6 + UDP + WireGuard overhead under a 1500-byte path. */
	if ((ret = nl_link_set_mtu(ifname, DEFAULT_MTU)) < 0)
		log_warn("cannot set MTU %u: %s", DEFAULT_MTU, strerror(-ret));
	/* No link-local address, no router solicitations into the tunnel,
	 * as the kernel's WireGuard device has none either. */
	if ((ret = nl_link_set_addrgenmode_none(ifname)) < 0 &&
	    ret != -EAFNOSUPPORT)
		log_warn("cannot turn off IPv6 address generation: %s",
			 strerror(-ret));
}

static int master_setup_epoll(struct master *m)
{
	int ret;

	m->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (m->ep_fd < 0)
		return -errno;
	if ((ret = master_epoll_add(m, m->sig_fd, &m->sig_fd)) < 0 ||
	    (ret = master_epoll_add(m, m->uapi_fd, &m->uapi_fd)) < 0 ||
	    (ret = master_public_watch(m)) < 0)
		return ret;
	if (m->opts.ready_fd >= 0)
		return master_epoll_add(m, m->opts.ready_fd, &m->opts.ready_fd);
	return 0;
}

int master_setup(struct master *m, const struct master_opts *opts)
{
	int ret;

	memset(m, 0, sizeof(*m));
	m->opts = *opts;
	m->uapi_fd = m->sig_fd = m->ep_fd = m->pub_fd = m->pub_lock_fd = -1;
	for (unsigned int i = 0; i < LANES_MAX; i++)
		m->lane[i] = (struct lane_slot){ .tun_fd = -1, .udp_fd = -1,
						 .shared_fd = -1, .ctl_fd = -1 };
	if ((ret = device_init(&m->dev, opts->ifname, false, 0)) < 0 ||
	    (ret = master_setup_claim(m)) < 0)
		return ret;
	for (unsigned int i = 0; i < opts->lanes; i++)
		if (!(m->tsfloor[i] = tsfloor_map()))
			return -ENOMEM;
	ret = master_open_queues(m);
	m->created = m->lane[0].tun_fd >= 0;
	m->ifindex = if_nametoindex(opts->ifname);
	if (ret < 0)
		return ret;
	/* One lane has nothing to steer: no program, no log line. */
	ret = steer_setup(&m->steer, opts->lanes, m->lane[0].tun_fd,
			  !opts->no_bpf && opts->lanes > 1);
	if (ret < 0) {
		log_err("cannot map the lane table: %s", strerror(-ret));
		return ret;
	}
	if ((ret = master_open_sockets(m)) < 0)
		return ret;
	master_setup_link(opts->ifname);
	return master_setup_epoll(m);
}

void master_log_ports(struct master *m)
{
	unsigned int n = m->opts.lanes;
	uint16_t base = m->dev.listen_port;

	m->ports_final = true;
	if (n == 1)
		log_info("listening on UDP port %u", base);
	else
		log_info("lanes 0-%u listening on UDP ports %u-%u (lane i on %u + i)",
			 n - 1, base, base + n - 1, base);
}

int master_start_lanes(struct master *m)
{
	int ret;

	for (unsigned int i = 0; i < m->opts.lanes; i++)
		if ((ret = master_spawn(m, i)) < 0) {
			log_err("cannot start lane %u: %s", i, strerror(-ret));
			return ret;
		}
	if (m->offloads)
		master_log_offloads(m->offloads);
	else
		log_info("tun offloads off, using plain packets");
	log_info("interface %s is up with %u lane%s", m->opts.ifname,
		 m->opts.lanes, m->opts.lanes == 1 ? "" : "s");
	return 0;
}

/*
 * Under systemd, `tunlane up` configures the interface from a child while
 * we run in the foreground: one byte on the pipe means it is configured
 * (ready), end-of-file without it means `up` failed and we stop.
 */
static void master_ready_event(struct master *m)
{
	char c;
	ssize_t n = read(m->opts.ready_fd, &c, 1);

	if (n < 0 && errno == EINTR)
		return;
	epoll_ctl(m->ep_fd, EPOLL_CTL_DEL, m->opts.ready_fd, NULL);
	close(m->opts.ready_fd);
	m->opts.ready_fd = -1;
	if (n == 1) {
		notify_ready(m->opts.ifname, m->opts.lanes);
		return;
	}
	log_err("tunlane up could not configure %s, stopping", m->opts.ifname);
	m->exit_code = 1;
	m->stop = true;
}

int master_run(struct master *m)
{
	struct epoll_event evs[16];
	uint64_t next_check = 0;

	while (!m->stop) {
		int n = epoll_wait(m->ep_fd, evs, 16, 200);

		for (int i = 0; i < n && !m->stop; i++) {
			if (evs[i].data.ptr == &m->sig_fd)
				master_handle_signal(m);
			else if (evs[i].data.ptr == &m->uapi_fd)
				master_uapi_accept(m);
			else if (evs[i].data.ptr == &m->pub_fd)
				master_public_accept(m);
			else if (evs[i].data.ptr == &m->opts.ready_fd)
				master_ready_event(m);
			else
				master_uapi_client_event(m, evs[i].data.ptr,
							 evs[i].events);
		}
		master_respawn_due(m);
		master_heartbeat(m);
		if (clock_now() >= next_check) {
			master_check_alive(m);
			master_public_tick(m);
			next_check = clock_now() + NSEC_PER_SEC / 2;
		}
	}
	/* Stopped before `tunlane up` said it was configured: it failed. */
	if (m->opts.ready_fd >= 0 && !m->exit_code) {
		log_err("%s stopped before it was configured", m->opts.ifname);
		m->exit_code = 1;
	}
	return m->exit_code;
}

/* After the grace time a lane gets SIGKILL; one that kill() cannot reach
 * (EPERM: no CAP_KILL over a lane running as another user) or that a
 * second grace time after SIGKILL still has not exited is given up on
 * with one error line, so teardown never spins forever. ESRCH: gone and
 * not ours to reap (a zombie child would still take the signal). */
static void master_stop_lane_late(struct lane_slot *s, unsigned int i,
				  uint64_t now, uint64_t deadline)
{
	if (kill(s->pid, SIGKILL) < 0) {
		if (errno != ESRCH)
			log_err("lane %u: cannot kill pid %d: %s; giving up on it",
				i, (int)s->pid, strerror(errno));
		s->pid = 0;
	} else if (now > deadline + LANE_STOP_GRACE) {
		log_err("lane %u: pid %d did not exit after SIGKILL, giving up on it",
			i, (int)s->pid);
		s->pid = 0;
	}
}

/* Lanes from..to-1 get a moment to exit on SIGTERM, then SIGKILL:
 * teardown (and a live Lanes change) must not hang on a lane that ignores
 * signals. Each is reaped here, and is not respawned. */
void master_stop_lanes(struct master *m, unsigned int from, unsigned int to)
{
	uint64_t deadline = clock_now() + LANE_STOP_GRACE;
	bool left = true;

	for (unsigned int i = from; i < to; i++)
		if (m->lane[i].pid > 0)
			kill(m->lane[i].pid, SIGTERM);
	while (left) {
		uint64_t now = clock_now();

		left = false;
		for (unsigned int i = from; i < to; i++) {
			struct lane_slot *s = &m->lane[i];

			if (s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == s->pid)
				s->pid = 0;
			if (s->pid > 0 && now > deadline)
				master_stop_lane_late(s, i, now, deadline);
			left |= s->pid > 0;
		}
		if (left)
			usleep(10000);
	}
}

void master_teardown(struct master *m)
{
	master_stop_lanes(m, 0, m->opts.lanes);
	/* Closing the last queue removes the tun, wherever it is now and
	 * whatever its name, unless something made it persistent behind our
	 * back (a lane may TUNSETPERSIST its fd): undo that through our own
	 * queue, never by a name that may now be someone else's. */
	if (m->created && m->lane[0].tun_fd >= 0 && !master_tun_gone(m))
		ioctl(m->lane[0].tun_fd, TUNSETPERSIST, 0);
	for (unsigned int i = 0; i < LANES_MAX; i++)
		master_close_slot(&m->lane[i]);
	master_uapi_close_clients(m);
	master_relay_stop();
	master_public_release(m);
	if (m->pub_lock_fd >= 0)
		close(m->pub_lock_fd);
	if (m->uapi_fd >= 0) {
		struct stat st;

		/* Only remove the socket if it is still ours. */
		if (stat(m->sock_path, &st) == 0 && st.st_ino == m->sock_ino)
			unlink(m->sock_path);
		close(m->uapi_fd);
	}
	for (unsigned int i = 0; i < LANES_MAX; i++)
		tsfloor_unmap(m->tsfloor[i]);
	if (m->stats) {
		stats_unlink(m->opts.ifname);
		munmap(m->stats, stats_len(m->lanes_hi));
		close(m->stats_fd);
	}
	steer_free(&m->steer);
	device_free(&m->dev);
}
