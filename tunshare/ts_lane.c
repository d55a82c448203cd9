// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lanes: each lane's command line and environment, built once at start so
 * a respawn allocates nothing, and the fork/exec of one lane.
 */
#include "tunshare.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char **environ;

/* Variables we set for a lane, dropped from the inherited environment. */
static const char *const lane_vars[] = {
	"LD_PRELOAD=", "TUNSHARE_DEV=", "TUNSHARE_FD=", "TUNSHARE_LANE=",
	"TUNSHARE_PORT=", "TUNSHARE_CPU=", "TUNSHARE_UDP_FD=",
};
#define LANE_VARS (sizeof(lane_vars) / sizeof(lane_vars[0]))

static int ours(const char *e)
{
	for (size_t i = 0; i < LANE_VARS; i++)
		if (!strncmp(e, lane_vars[i], strlen(lane_vars[i])))
			return 1;
	return 0;
}

static int env_add(char **env, size_t *k, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&env[*k], fmt, ap);
	va_end(ap);
	if (ret < 0) {
		env[*k] = NULL;
		return -ENOMEM;
	}
	(*k)++;
	return 0;
}

/* Our library goes first in LD_PRELOAD, the caller's list after it. */
static char **lane_env(const struct ts_conf *c, const struct ts_lane *l)
{
	const char *old = getenv("LD_PRELOAD");
	size_t n = 0, k = 0;
	char **env;
	int ret = 0;

	while (environ[n])
		n++;
	/* Room for each of ours and the terminating NULL. */
	env = calloc(n + LANE_VARS + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n && !ret; i++)
		if (!ours(environ[i]))
			ret = env_add(env, &k, "%s", environ[i]);
	if (!ret && old && *old)
		ret = env_add(env, &k, "LD_PRELOAD=%s:%s", c->preload, old);
	else if (!ret)
		ret = env_add(env, &k, "LD_PRELOAD=%s", c->preload);
	if (!ret)
		ret = env_add(env, &k, "TUNSHARE_DEV=%s", c->dev);
	if (!ret)
		ret = env_add(env, &k, "TUNSHARE_FD=%d", l->qfd);
	if (!ret)
		ret = env_add(env, &k, "TUNSHARE_LANE=%u", l->idx);
	if (!ret && l->port >= 0)
		ret = env_add(env, &k, "TUNSHARE_PORT=%d", l->port);
	if (!ret && l->cpu >= 0)
		ret = env_add(env, &k, "TUNSHARE_CPU=%d", l->cpu);
	if (!ret && l->udp_fd >= 0)
		ret = env_add(env, &k, "TUNSHARE_UDP_FD=%d", l->udp_fd);
	if (!ret)
		return env;
	for (size_t i = 0; i < k; i++)
		free(env[i]);
	free(env);
	return NULL;
}

static char **lane_argv(const struct ts_conf *c, const struct ts_lane *l)
{
	struct ts_var vars[TS_MAX_VARS];
	unsigned int nvars = ts_lane_vars(c, l, vars);
	size_t n = 0;
	char **argv;

	while (c->cmd[n])
		n++;
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		argv[i] = ts_subst(c->cmd[i], vars, nvars);
		if (!argv[i]) {
			while (i--)
				free(argv[i]);
			free(argv);
			return NULL;
		}
	}
	return argv;
}

int ts_lanes_prepare(const struct ts_conf *c, struct ts_lane *lanes,
		     const int *qfds, const int *udp_fds)
{
	for (unsigned int i = 0; i < c->lanes; i++) {
		struct ts_lane *l = &lanes[i];

		memset(l, 0, sizeof(*l));
		l->idx = i;
		l->out_fd = -1;
		l->qfd = qfds[i];
		l->cpu = c->cpus[i];
		l->port = c->base_port ? c->base_port + (int)i : -1;
		if (c->server)
			l->port = c->server_bind.port;
		l->udp_fd = udp_fds ? udp_fds[i] : -1;
		l->backoff_ms = 100;
		l->argv = lane_argv(c, l);
		l->envp = l->argv ? lane_env(c, l) : NULL;
		if (!l->envp) {
			ts_lanes_free(lanes, i + 1);
			return -ENOMEM;
		}
	}
	return 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void ts_lanes_free(struct ts_lane *lanes, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		strv_free(lanes[i].argv);
		strv_free(lanes[i].envp);
		lanes[i].argv = lanes[i].envp = NULL;
	}
}

/* 126 or 127, as a shell says it could not run a command: the
 * supervisor then stops instead of restarting it for ever. */
static void __attribute__((noreturn))
child_fail(const struct ts_lane *l, const char *what, int err)
{
	ts_log("lane %u: %s: %s", l->idx, what, strerror(err));
	_exit(err == ENOENT ? TS_EXIT_NOT_FOUND : TS_EXIT_CANNOT_EXEC);
}

/* The child: pin, keep its queue open across exec, drop privileges, arm the parent-death signal, restore
 * the signal mask, exec. */
static void __attribute__((noreturn))
lane_exec(const struct ts_conf *c, const struct ts_lane *l,
	  const sigset_t *mask, pid_t parent, int out)
{
	cpu_set_t set;

	/* Its stdout and stderr go through the supervisor, which prefixes
	 * each line with the lane. */
	if (dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
		_exit(TS_EXIT_CANNOT_EXEC);
	close(out);
	/* Its own process group: a terminal's ^C reaches the supervisor
	 * only, which then stops the lanes in order. */
	setpgid(0, 0);
	CPU_ZERO(&set);
	CPU_SET(l->cpu, &set);
	if (l->cpu >= 0 && sched_setaffinity(0, sizeof(set), &set) < 0)
		child_fail(l, "cannot pin to its CPU", errno);
	/* Its queue, and no other lane's (those stay close-on-exec). */
	if (fcntl(l->qfd, F_SETFD, 0) < 0)
		child_fail(l, "cannot pass its queue", errno);
	/* Its socket, and no other lane's (those stay close-on-exec). */
	if (l->udp_fd >= 0 && fcntl(l->udp_fd, F_SETFD, 0) < 0)
		child_fail(l, "cannot pass its socket", errno);
	if (c->user && (setgroups((size_t)c->ngroups, c->groups) < 0 ||
			setgid(c->gid) < 0 || setuid(c->uid) < 0))
		child_fail(l, "cannot switch user", errno);
	/* Set after setuid, which clears it: a lane must not outlive a
	 * supervisor killed with SIGKILL, as it would keep the device. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	sigprocmask(SIG_SETMASK, mask, NULL);
	/* The supervisor ignores SIGPIPE; the program gets the default. */
	signal(SIGPIPE, SIG_DFL);
	execvpe(l->argv[0], l->argv, l->envp);
	child_fail(l, l->argv[0], errno);
}

int ts_lane_spawn(const struct ts_conf *c, struct ts_lane *l,
		  const sigset_t *childmask)
{
	pid_t parent = getpid(), pid;
	int ret, p[2];

	/* What the last copy left unread (it may have had a child that kept
	 * the pipe) goes out now, before the new copy's lines. */
	ts_lane_output(l);
	ts_lane_output_close(l);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* Attached again only now: while no lane ran, its flows went to
	 * the others instead of into a queue nobody reads. */
	if (!c->server && (ret = ts_dev_queue(l->qfd, true)) < 0) {
		close(p[0]);
		close(p[1]);
		return ret;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		if (!c->server)
			ts_dev_queue(l->qfd, false);
		return ret;
	}
	if (pid == 0)
		lane_exec(c, l, childmask, parent, p[1]);
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	l->out_fd = p[0];
	l->pid = pid;
	l->starts++;
	l->started_ms = ts_now_ms();
	l->since = time(NULL);
	l->due_ms = 0;
	if (l->port >= 0)
		ts_log("lane %u started: pid %d, cpu %d, port %d", l->idx,
		       (int)pid, l->cpu, l->port);
	else
		ts_log("lane %u started: pid %d, cpu %d", l->idx, (int)pid,
		       l->cpu);
	return 0;
}

/* One line at most TS_OUT_LINE long, with the lane in front; on a broken
 * stderr the write fails (EPIPE, SIGPIPE being ignored) and is dropped. */
static void lane_emit(const struct ts_lane *l, const char *line, size_t len)
{
	fprintf(stderr, "lane %u: %.*s\n", l->idx, (int)len, line);
}

static void lane_output_lines(struct ts_lane *l)
{
	char *nl;

	while ((nl = memchr(l->out_buf, '\n', l->out_len))) {
		size_t n = (size_t)(nl - l->out_buf);

		lane_emit(l, l->out_buf, n);
		memmove(l->out_buf, nl + 1, l->out_len - n - 1);
		l->out_len -= n + 1;
	}
	if (l->out_len == sizeof(l->out_buf)) {
		lane_emit(l, l->out_buf, l->out_len);
		l->out_len = 0;
	}
}

void ts_lane_output(struct ts_lane *l)
{
	for (int reads = 0; l->out_fd >= 0 && reads < 16; reads++) {
		ssize_t n = read(l->out_fd, l->out_buf + l->out_len,
				 sizeof(l->out_buf) - l->out_len);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			ts_lane_output_close(l);
			return;
		}
		l->out_len += (size_t)n;
		lane_output_lines(l);
	}
}

void ts_lane_output_close(struct ts_lane *l)
{
	if (l->out_fd < 0)
		return;
	close(l->out_fd);
	l->out_fd = -1;
	if (l->out_len)
		lane_emit(l, l->out_buf, l->out_len);
	l->out_len = 0;
}
