// SPDX-License-Identifier: GPL-2.0-only
/*
 * The supervisor's loop. Signals come through a signalfd, so there are no
 * handlers and no async-signal-safety questions: SIGCHLD reaps and
 * schedules a restart, SIGTERM/SIGINT stop everything, and SIGHUP, SIGUSR1
 * and SIGUSR2 are passed on to every lane (OpenVPN reloads on SIGHUP).
 */
#include "tunshare.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define STABLE_MS 30000		/* uptime after which the backoff resets */
#define STOP_GRACE_MS 5000	/* from SIGTERM to SIGKILL */
#define CANNOT_START_MS 5000	/* 126/127 this soon: the command cannot run */

struct ts_sup {
	const struct ts_conf *c;
	struct ts_lane lanes[TS_MAX_LANES];
	sigset_t childmask;	/* the mask we started with, for the lanes */
	int sfd;
	int stopping;		/* SIGTERM/SIGINT seen: 1, a second one: 2 */
	uint64_t sweep_ms;	/* server mode: next client-table sweep */
	bool failed;		/* a lane's command could not start */
};

uint64_t ts_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended (wait status 0x%x)", status);
}

static void lane_exited(struct ts_sup *s, struct ts_lane *l, int status)
{
	uint64_t now = ts_now_ms(), up = now - l->started_ms;
	unsigned int delay;
	char what[80];
	int pid = (int)l->pid, ret;

	describe(status, what, sizeof(what));
	l->pid = 0;
	/* Its flows go to the other lanes until it is back (in server mode
	 * they have no other lane: see server_queues()). */
	if (!s->c->server && (ret = ts_dev_queue(l->qfd, false)) < 0)
		ts_log("lane %u: cannot detach its queue: %s", l->idx,
		       strerror(-ret));
	if (s->stopping) {
		ts_log("lane %u (pid %d) %s", l->idx, pid, what);
		return;
	}
	/* Restarting a command that cannot run would loop for ever; a lane
	 * that once ran is restarted whatever its exit (a binary replaced
	 * under it by an upgrade comes back with its restart). */
	if (WIFEXITED(status) && up < CANNOT_START_MS && l->starts == 1 &&
	    (WEXITSTATUS(status) == TS_EXIT_NOT_FOUND ||
	     WEXITSTATUS(status) == TS_EXIT_CANNOT_EXEC)) {
		ts_log("lane %u (pid %d) %s: %s cannot be run (%s); stopping", l->idx,
		       pid, what, l->argv[0], WEXITSTATUS(status) == TS_EXIT_NOT_FOUND ?
		       "not found, or a file it needs is missing" :
		       "not executable, or it could not start");
		s->failed = true;
		s->stopping = 1;
		return;
	}
	/* A lane that ran a while failed for a new reason: restart quickly. */
	if (up >= STABLE_MS)
		l->backoff_ms = BACKOFF_MIN_MS;
	delay = l->backoff_ms;
	l->backoff_ms = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	l->due_ms = now + delay;
	ts_log("lane %u (pid %d) %s after %.1f s; restarting in %.1f s",
	       l->idx, pid, what, (double)up / 1000, (double)delay / 1000);
}

static void reap(struct ts_sup *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (unsigned int i = 0; i < s->c->lanes; i++)
			if (s->lanes[i].pid == pid) {
				lane_exited(s, &s->lanes[i], status);
				break;
			}
}

static void forward(struct ts_sup *s, int sig)
{
	for (unsigned int i = 0; i < s->c->lanes; i++)
		if (s->lanes[i].pid > 0)
			kill(s->lanes[i].pid, sig);
}

static void on_signals(struct ts_sup *s)
{
	struct signalfd_siginfo si;

	while (read(s->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGTERM || sig == SIGINT) {
			if (s->stopping++ == 0)
				ts_log("%s: stopping the lanes", strsignal(sig));
		} else if (sig != SIGCHLD) {
			forward(s, sig);
		}
	}
	reap(s);
	ts_state_write(s->c, s->lanes);
}

/* Starts the lanes whose time has come; returns the poll timeout until
 * the next one (-1: none pending). */
static int start_due(struct ts_sup *s)
{
	uint64_t now = ts_now_ms(), next = UINT64_MAX;
	int changed = 0, ret;

	for (unsigned int i = 0; i < s->c->lanes; i++) {
		struct ts_lane *l = &s->lanes[i];

		if (l->pid || !l->due_ms)
			continue;
		if (l->due_ms <= now) {
			changed = 1;
			ret = ts_lane_spawn(s->c, l, &s->childmask);
			if (ret == 0)
				continue;
			ts_log("lane %u: cannot start: %s", l->idx,
			       strerror(-ret));
			l->due_ms = now + BACKOFF_MAX_MS;
		}
		if (l->due_ms < next)
			next = l->due_ms;
	}
	if (changed)
		ts_state_write(s->c, s->lanes);
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

/* Signals, and the lanes' output pipes. */
static int wait_signals(struct ts_sup *s, int timeout)
{
	struct pollfd p[TS_MAX_LANES + 1] = { { .fd = s->sfd, .events = POLLIN } };
	struct ts_lane *of[TS_MAX_LANES + 1] = { NULL };
	nfds_t n = 1;

	for (unsigned int i = 0; i < s->c->lanes; i++)
		if (s->lanes[i].out_fd >= 0) {
			p[n] = (struct pollfd){ .fd = s->lanes[i].out_fd, .events = POLLIN };
			of[n++] = &s->lanes[i];
		}
	if (poll(p, n, timeout) < 0)
		return errno == EINTR ? 0 : -errno;
	for (nfds_t i = 1; i < n; i++)
		if (p[i].revents)
			ts_lane_output(of[i]);
	if (p[0].revents & POLLIN)
		on_signals(s);
	return 0;
}

static int running(const struct ts_sup *s)
{
	for (unsigned int i = 0; i < s->c->lanes; i++)
		if (s->lanes[i].pid > 0)
			return 1;
	return 0;
}

/* SIGTERM, a grace period (cut short by a second SIGTERM/SIGINT), then
 * SIGKILL for whatever is left. */
static void stop_lanes(struct ts_sup *s)
{
	uint64_t deadline = ts_now_ms() + STOP_GRACE_MS, now;

	forward(s, SIGTERM);
	while (running(s) && s->stopping < 2 &&
	       (now = ts_now_ms()) < deadline)
		if (wait_signals(s, (int)(deadline - now)) < 0)
			break;
	for (unsigned int i = 0; i < s->c->lanes; i++) {
		struct ts_lane *l = &s->lanes[i];
		int status;

		if (l->pid <= 0)
			continue;
		ts_log("lane %u (pid %d) is still running: SIGKILL", l->idx,
		       (int)l->pid);
		kill(l->pid, SIGKILL);
		if (waitpid(l->pid, &status, 0) == l->pid)
			lane_exited(s, l, status);
	}
}

/* Blocks the signals we read from the signalfd. Their dispositions go
 * back to the default first: a shell starts background jobs with SIGINT
 * ignored, and SIGCHLD ignored would make the kernel reap our lanes. */
static int signals_setup(struct ts_sup *s)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP,
				    SIGUSR1, SIGUSR2 };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		signal(sigs[i], SIG_DFL);
		sigaddset(&set, sigs[i]);
	}
	if (sigprocmask(SIG_BLOCK, &set, &s->childmask) < 0)
		return -errno;
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return s->sfd < 0 ? -errno : 0;
}

/* Server mode: the client table's sweep, every TS_SWEEP_MS; returns the
 * poll timeout (timeout, or less to wake for the next sweep). */
static int sweep_due(struct ts_sup *s, int timeout)
{
	uint64_t now = ts_now_ms();
	int left;

	if (!s->c->server)
		return timeout;
	if (now >= s->sweep_ms) {
		ts_server_sweep();
		s->sweep_ms = now + TS_SWEEP_MS;
	}
	left = (int)(s->sweep_ms - now);
	return timeout < 0 || timeout > left ? left : timeout;
}

static int supervise(struct ts_sup *s)
{
	uint64_t now = ts_now_ms();
	int ret = 0;

	for (unsigned int i = 0; i < s->c->lanes; i++)
		s->lanes[i].due_ms = now;
	while (!s->stopping && ret == 0)
		ret = wait_signals(s, sweep_due(s, start_due(s)));
	stop_lanes(s);
	return ret ? ret : s->failed ? -ENOEXEC : 0;
}

static void close_queues(int *qfds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (qfds[i] >= 0)
			close(qfds[i]);
}

/* The device, then every lane's queue (see ts_dev.c); >= 0: the held fd. */
/* Server mode: queue i is lane i's for good, since the steering program
 * answers with lane numbers and the kernel renumbers queues when one
 * detaches. So every queue is attached now, in lane order, and stays
 * attached while its lane restarts. */
static int server_queues(const struct ts_conf *c, int fd, const int *qfds)
{
	int ret;

	for (unsigned int i = 0; i < c->lanes; i++) {
		if ((ret = ts_dev_queue(qfds[i], true)) < 0) {
			ts_log("cannot attach queue %u: %s", i, strerror(-ret));
			return ret;
		}
	}
	return ts_server_steer(fd);
}

static int open_device(const struct ts_conf *c, int *qfds)
{
	int fd = ts_dev_create(c), ret;

	if (fd < 0) {
		ts_log("cannot create the tun device: %s%s", strerror(-fd),
		       fd == -EBUSY ? " (does it exist already?)" : "");
		return fd;
	}
	for (unsigned int i = 0; i < c->lanes; i++) {
		qfds[i] = ts_dev_open_queue(c);
		if (qfds[i] < 0) {
			ret = qfds[i];
			ts_log("cannot open queue %u: %s", i, strerror(-ret));
			close_queues(qfds, i);
			ts_dev_remove(fd, c->dev);
			return ret;
		}
	}
	if (c->server && (ret = server_queues(c, fd, qfds)) < 0) {
		close_queues(qfds, c->lanes);
		ts_dev_remove(fd, c->dev);
		return ret;
	}
	return fd;
}

int ts_run(const struct ts_conf *c)
{
	static struct ts_sup s;
	static int udp_fds[TS_MAX_LANES];
	int fd = -1, ret, qfds[TS_MAX_LANES];

	s.c = c;
	if ((ret = signals_setup(&s)) < 0) {
		ts_log("signalfd: %s", strerror(-ret));
		return ret;
	}
	if (c->server && (ret = ts_server_open(c, udp_fds)) < 0)
		goto out_server;
	if ((ret = fd = open_device(c, qfds)) < 0)
		goto out_server;
	if ((ret = ts_lanes_prepare(c, s.lanes, qfds,
				     c->server ? udp_fds : NULL)) < 0) {
		ts_log("out of memory");
		goto out_device;
	}
	ret = ts_dev_configure(c);
	if (!ret && (ret = ts_state_write(c, s.lanes)) < 0)
		ts_log("cannot write the state file: %s", strerror(-ret));
	if (!ret)
		ret = supervise(&s);
	for (unsigned int i = 0; i < c->lanes; i++) {
		ts_lane_output(&s.lanes[i]);
		ts_lane_output_close(&s.lanes[i]);
	}
	ts_state_remove(c->dev);
	ts_lanes_free(s.lanes, c->lanes);
out_device:
	close_queues(qfds, c->lanes);
	ts_dev_remove(fd, c->dev);
out_server:
	if (c->server)
		ts_server_close(c, udp_fds);
	close(s.sfd);
	return ret;
}
