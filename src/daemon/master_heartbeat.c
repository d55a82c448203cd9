// SPDX-License-Identifier: GPL-2.0-only
/*
 * The master's heartbeat of its lanes over their control channels (see
 * HEARTBEAT_* in master.h): a ping every second, and SIGKILL (then the
 * usual respawn) for a lane that does not answer in time.
 */
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
#include "ctl.h"
#include "log.h"

static void master_heartbeat_kill(struct master *m, unsigned int i)
{
	struct lane_slot *s = &m->lane[i];

	log_warn("lane %u: pid %d has not answered its heartbeat for %.1f s "
		 "(stopped or stuck), killing it", i, (int)s->pid,
		 (double)(clock_now() - s->ping_sent) / NSEC_PER_SEC);
	kill(s->pid, SIGKILL);
	s->ping_sent = 0;
	s->ping_at = UINT64_MAX;	/* until the respawn */
}

/* Stopped (SIGSTOP) or traced, from /proc/PID/stat's state field. */
static bool lane_stopped(pid_t pid)
{
	char path[64], buf[512], *p;
	bool stopped = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) && p[1] == ' ')
		stopped = p[2] == 'T' || p[2] == 't';
	fclose(f);
	return stopped;
}

/* When the answer to the ping in flight is overdue: 3 s for a stopped
 * lane; a lane that runs but has not answered (a host loaded with many
 * times more work than CPUs can delay it) gets 10 s before it counts as
 * stuck. */
static uint64_t pong_deadline(const struct lane_slot *s, uint64_t now)
{
	uint64_t soft = s->ping_sent + HEARTBEAT_TIMEOUT;

	if (now < soft)
		return soft;
	return lane_stopped(s->pid) ? soft : s->ping_sent + HEARTBEAT_STUCK;
}

/* Reads the answer to the ping in flight, waiting at most until its
 * deadline (wait = false: -EAGAIN unless it has begun to arrive; its few
 * bytes then follow at once, and a message is never read in part). */
static int master_take_pong(struct master *m, unsigned int i, bool wait)
{
	struct lane_slot *s = &m->lane[i];
	struct pollfd pfd = { .fd = s->ctl_fd, .events = POLLIN };
	uint64_t now = clock_now(), due;
	int timeout = 1000, ret;
	char *buf = NULL;
	size_t len;

	if (!wait && poll(&pfd, 1, 0) <= 0)
		return -EAGAIN;
	if (wait) {
		due = pong_deadline(s, now);
		timeout = due > now ? (int)((due - now) / NSEC_PER_MSEC) + 1 : 0;
	}
	ret = ctl_recv_max(s->ctl_fd, &buf, &len, NULL, timeout, 64);
	if (ret == 0 && strncmp(buf, "pong=1\n", 7))
		ret = -EPROTO;
	free(buf);
	if (ret == 0)
		s->ping_sent = 0;
	return ret;
}

int master_heartbeat_settle(struct master *m, unsigned int i)
{
	struct lane_slot *s = &m->lane[i];
	int ret = -ETIMEDOUT;

	if (!s->pid || s->ctl_fd < 0 || !s->ping_sent)
		return 0;
	/* Once to the 3 s mark, and once more to 10 s if it runs. */
	for (int tries = 0; tries < 2 && ret == -ETIMEDOUT; tries++)
		ret = master_take_pong(m, i, true);
	if (ret == 0)
		return 0;
	master_heartbeat_kill(m, i);
	return -ETIMEDOUT;
}

void master_heartbeat(struct master *m)
{
	uint64_t now = clock_now();

	for (unsigned int i = 0; i < m->opts.lanes; i++) {
		struct lane_slot *s = &m->lane[i];
		int ret;

		if (!s->pid || s->ctl_fd < 0)
			continue;
		if (s->ping_sent) {
			ret = master_take_pong(m, i, false);
			if (ret != 0 && (ret != -EAGAIN ||
					 now >= pong_deadline(s, now)))
				master_heartbeat_kill(m, i);
			continue;
		}
		if (now < s->ping_at)
			continue;
		/* A few bytes: they fit the socket buffer even of a lane
		 * that reads nothing, so this never blocks. */
		if (ctl_send(s->ctl_fd, HEARTBEAT_PING, sizeof(HEARTBEAT_PING) - 1,
			     -1) < 0) {
			master_heartbeat_kill(m, i);
			continue;
		}
		s->ping_sent = now;
		s->ping_at = now + HEARTBEAT_EVERY;
	}
}
