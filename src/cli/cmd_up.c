// SPDX-License-Identifier: GPL-2.0-only
/*
 * tunlane up CONFIG|IFNAME: start tunlaned, apply the configuration over
 * the UAPI socket, then addresses, MTU, link and routes over rtnetlink,
 * with wg-quick's hooks, DNS and full-tunnel rules in wg-quick's order
 * (quick.h). Any failure after the daemon started deletes the interface
 * again and undoes the rest, so a failed `up` leaves nothing behind.
 * Under systemd (NOTIFY_SOCKET) this process becomes the daemon, in the
 * foreground, and a child configures it (up_foreground).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "cpulist.h"
#include "crypto.h"
#include "ipc.h"
#include "netlink.h"
#include "privs.h"
#include "quick.h"
#include "stale.h"
#include "stats.h"
#include "subcommands.h"
#include "portprobe.h"

#define UP_WAIT_LANES_MS 3000
#define UP_WAIT_DAEMON_MS 5000

/* The daemon lives beside this binary, unless TUNLANED says otherwise. */
static void daemon_path(char *out, size_t len)
{
	const char *env = getenv("TUNLANED");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 16);
	if (n > 0) {
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		if ((size_t)snprintf(out, len, "%.*s/tunlaned", (int)(len - 16),
				     self) < len && access(out, X_OK) == 0)
			return;
	}
	snprintf(out, len, "tunlaned");
}

static void cpus_arg(const struct config *c, char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (int i = 0; i < c->n_cpus && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%d",
					i ? "," : "", c->cpus[i]);
}

struct daemon_argv {
	char path[PATH_MAX], lanes[16], cpus[1024], fd[16];
	char *argv[14];
};

/* tunlaned's command line for c; in the foreground with ready_fd >= 0. */
static void daemon_argv(struct daemon_argv *d, const struct config *c,
			int ready_fd)
{
	int n = 0;

	daemon_path(d->path, sizeof(d->path));
	snprintf(d->lanes, sizeof(d->lanes), "%u", c->lanes);
	cpus_arg(c, d->cpus, sizeof(d->cpus));
	d->argv[n++] = d->path;
	if (ready_fd >= 0) {
		snprintf(d->fd, sizeof(d->fd), "%d", ready_fd);
		d->argv[n++] = "--foreground";
		d->argv[n++] = "--ready-fd";
		d->argv[n++] = d->fd;
	}
	d->argv[n++] = "--lanes";
	d->argv[n++] = d->lanes;
	if (*d->cpus) {
		d->argv[n++] = "--cpus";
		d->argv[n++] = d->cpus;
	}
	if (c->has_user) {
		d->argv[n++] = "--user";
		d->argv[n++] = (char *)c->user;
	}
	d->argv[n++] = (char *)c->ifname;
	d->argv[n] = NULL;
}

static int start_daemon(const struct config *c)
{
	struct daemon_argv d;
	int status;
	pid_t pid;

	daemon_argv(&d, c, -1);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp(d.path, d.argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", prog, d.path, strerror(errno));
		_exit(127);
	}
	/* tunlaned returns once the interface exists (or it failed). */
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -ECHILD;
	return 0;
}

/* Many number their tunnels 51820, 51821...: with lanes, one tunnel's
 * lane 1 takes the next tunnel's port. Say which port and why. */
static void port_in_use(const struct config *c)
{
	int busy = portprobe_busy(c->listen_port, c->lanes);
	unsigned int last = c->listen_port + c->lanes - 1;

	if (busy < 0)
		fprintf(stderr, "%s: %s: a UDP port in %u-%u is in use\n", prog,
			c->ifname, c->listen_port, last);
	else if (c->lanes == 1)
		fprintf(stderr, "%s: %s: UDP port %u is in use (ListenPort)\n", prog,
			c->ifname, c->listen_port);
	else
		fprintf(stderr, "%s: %s: lane %d: UDP port %u is in use (Lanes = %u "
			"needs %u-%u)\n", prog, c->ifname, busy,
			c->listen_port + (unsigned int)busy, c->lanes,
			c->listen_port, last);
}

static int apply_uapi(const struct config *c)
{
	char *req = NULL, *reply = NULL;
	size_t len = 0, rlen = 0;
	int ret;

	ret = config_to_uapi(c, &req, &len);
	if (ret < 0)
		return ret;
	ret = ipc_transact(c->ifname, req, &reply, &rlen);
	crypto_wipe(req, len);
	free(req);
	if (reply) {
		crypto_wipe(reply, rlen);
		free(reply);
	}
	if (ret == -EADDRINUSE && c->has_listen_port)
		port_in_use(c);
	else if (ret < 0)
		fprintf(stderr, "%s: %s: the daemon refused the configuration: %s\n",
			prog, c->ifname, strerror(-ret));
	return ret;
}

static int report(const char *ifname, const char *what, int ret)
{
	if (ret < 0)
		fprintf(stderr, "%s: %s: cannot %s: %s\n", prog, ifname, what,
			strerror(-ret));
	return ret;
}

static void route_exists_warning(const struct config *c,
				 const struct prefix *p)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, buf, sizeof(buf));
	fprintf(stderr, "%s: %s: a route to %s/%u already exists; left as it is\n",
		prog, c->ifname, buf, p->cidr);
}

/* wg-quick's add_default, once per family that has a /0. */
static int add_default(const struct config *c, int family,
		       struct quick_state *st)
{
	for (size_t i = 0; i < st->n_rules; i++)
		if (st->rules[i].family == family)
			return 0;
	return report(c->ifname, "add the full-tunnel rules",
		      quick_add_default(c->ifname, family, c->fwmark, st));
}

static int add_routes(const struct config *c, struct quick_state *st)
{
	uint32_t table = c->table_mode == CONFIG_TABLE_ID ? c->table : 0;
	char what[64];
	int ret;

	if (c->table_mode == CONFIG_TABLE_OFF)
		return 0;
	for (size_t i = 0; i < c->n_peers; i++)
		for (size_t j = 0; j < c->peers[i].n_allowed; j++) {
			const struct prefix *p = &c->peers[i].allowed[j];

			if (p->cidr == 0 && c->table_mode == CONFIG_TABLE_AUTO) {
				if ((ret = add_default(c, p->family, st)) < 0)
					return ret;
				continue;
			}
			ret = nl_route_add(c->ifname, p, table);
			/* Like `ip route add`: an existing route (ours from an
			 * Address, or another interface's) is left alone. */
			if (ret == -EEXIST) {
				route_exists_warning(c, p);
				continue;
			}
			snprintf(what, sizeof(what), "add route to peer %zu", i + 1);
			if (report(c->ifname, what, ret) < 0)
				return ret;
		}
	return 0;
}

static int set_network(const struct config *c, struct quick_state *st)
{
	int ret;

	ret = report(c->ifname, "set MTU", nl_link_set_mtu(c->ifname, c->mtu));
	for (size_t i = 0; i < c->n_addresses && ret == 0; i++)
		ret = report(c->ifname, "add address",
			     nl_addr_add(c->ifname, &c->addresses[i]));
	if (ret == 0)
		ret = report(c->ifname, "set link up", nl_link_set_up(c->ifname, true));
	if (ret == 0 && quick_dns_set(c, st) < 0)
		ret = -EIO;
	if (ret == 0)
		ret = add_routes(c, st);
	return ret;
}

static int wait_lanes(const char *ifname)
{
	uint64_t deadline = clock_now() + UP_WAIT_LANES_MS * NSEC_PER_MSEC;
	struct stats_page *sp;
	int ret;

	while ((ret = stats_read(&sp, ifname)) == 0) {
		uint32_t running = 0, lanes = sp->lanes;

		for (uint32_t i = 0; i < lanes; i++)
			running += stats_lane_const(sp, i)->pid > 0;
		free(sp);
		if (running == lanes)
			return 0;
		if (clock_now() > deadline)
			return -ETIMEDOUT;
		usleep(20000);
	}
	return ret;
}

/* What a daemon that died without `down` left: its rules and DNS. */
static void clean_stale(const char *ifname)
{
	struct quick_state st;

	if (quick_state_load(ifname, &st) == -ENOENT)
		return;
	fprintf(stderr, "%s: %s: removing what an earlier run left behind\n",
		prog, ifname);
	quick_undo(ifname, &st);
}

/* The fwmark and table of a full tunnel, picked before the daemon gets
 * its configuration, so that its sockets are marked from the start. */
static int pick_fwmark(struct config *c)
{
	long t;

	if (!quick_full_tunnel(c))
		return 0;
	t = quick_pick_table(c);
	if (t < 0)
		return report(c->ifname, "pick a routing table", (int)t);
	c->fwmark = (uint32_t)t;
	return 0;
}

/* Everything once the daemon answers on its socket. On failure the
 * interface is deleted, which makes the daemon exit and clean up. */
static int configure_daemon(struct config *c, struct quick_state *st)
{
	int ret = pick_fwmark(c);

	if (ret == 0)
		ret = apply_uapi(c);
	if (ret == 0)
		ret = set_network(c, st);
	if (ret == 0 && (ret = wait_lanes(c->ifname)) < 0)
		report(c->ifname, "see every lane running", ret);
	if (ret == 0 && quick_hooks(c, CONFIG_POST_UP) < 0)
		ret = -ECANCELED;
	if (ret < 0)	/* Deleting the link makes the daemon exit. */
		nl_link_delete(c->ifname);
	return ret;
}

static int up_daemon(struct config *c, struct quick_state *st)
{
	if (start_daemon(c) < 0) {
		fprintf(stderr, "%s: %s: tunlaned failed to start\n", prog, c->ifname);
		return -ECHILD;
	}
	return configure_daemon(c, st);
}

static void print_up(const struct config *c)
{
	printf("%s: up with %u lane%s\n", c->ifname, c->lanes,
	       c->lanes == 1 ? "" : "s");
	fflush(stdout);
}

/* The configuring child waits for the daemon (its parent, exec'd) to
 * answer on its socket, or to die. */
static int wait_daemon(const char *ifname, pid_t daemon)
{
	uint64_t deadline = clock_now() + UP_WAIT_DAEMON_MS * NSEC_PER_MSEC;

	while (ipc_daemon_pid(ifname) != daemon) {
		if (getppid() != daemon || clock_now() > deadline)
			return -ETIMEDOUT;
		usleep(20000);
	}
	return 0;
}

/*
 * Under systemd (Type=notify, NOTIFY_SOCKET set) the daemon must stay the
 * unit's main process, in the foreground: this process becomes tunlaned,
 * and a child configures the interface, then writes one byte on a pipe;
 * tunlaned then sends READY=1. If the child fails it undoes what it did
 * and exits, and tunlaned, seeing end-of-file, stops.
 */
static int up_foreground(struct config *c, struct quick_state *st)
{
	struct daemon_argv d;
	int p[2];
	pid_t pid, daemon = getpid();

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		return report(c->ifname, "start the daemon", -errno);
	if (pid == 0) {
		close(p[0]);
		if (wait_daemon(c->ifname, daemon) < 0) {
			fprintf(stderr, "%s: %s: tunlaned failed to start\n", prog,
				c->ifname);
			quick_undo(c->ifname, st);
			_exit(1);
		}
		if (configure_daemon(c, st) < 0) {
			quick_undo(c->ifname, st);
			_exit(1);
		}
		print_up(c);
		_exit(write(p[1], "1", 1) == 1 ? 0 : 1);
	}
	close(p[1]);
	fcntl(p[0], F_SETFD, 0);
	daemon_argv(&d, c, p[0]);
	execvp(d.path, d.argv);
	return report(c->ifname, "run tunlaned", -errno);
}

/* A lane pinned to a CPU we may not use would fail to pin and run
 * anywhere: refuse, naming the CPU. */
static int check_cpus(const struct config *c)
{
	char allowed[256];
	int bad = cpulist_first_disallowed(c->cpus, c->n_cpus, allowed,
					   sizeof(allowed));

	if (bad < 0)
		return 0;
	fprintf(stderr, "%s: %s: CPUs names CPU %d, which this process may not "
		"use (allowed: %s)\n", prog, c->path, bad, allowed);
	return -EINVAL;
}

static int up(struct config *c)
{
	const char *notify = getenv("NOTIFY_SOCKET");
	struct quick_state st = { 0 };
	int ret;

	if (c->n_cpus && check_cpus(c) < 0)
		return 1;
	/* Its interface may have moved to another namespace or been
	 * renamed: the daemon still owns the name. A daemon of another
	 * namespace (which may serve the stock socket path for the name)
	 * is no obstacle: each namespace has its own names (netns.h). */
	if (ipc_local_daemon(c->ifname) > 0) {
		fprintf(stderr, "%s: %s already exists\n", prog, c->ifname);
		return 1;
	}
	if (stale_cleanup(c->ifname) > 0)
		fprintf(stderr, "%s: %s: removed what a dead daemon left behind\n",
			prog, c->ifname);
	if (nl_link_index(c->ifname) > 0) {
		fprintf(stderr, "%s: %s already exists\n", prog, c->ifname);
		return 1;
	}
	clean_stale(c->ifname);
	snprintf(st.config, sizeof(st.config), "%s", c->path);
	ret = report(c->ifname, "write its state file",
		     quick_state_save(c->ifname, &st));
	if (ret == 0 && quick_hooks(c, CONFIG_PRE_UP) < 0)
		ret = -ECANCELED;
	if (ret == 0 && notify && *notify)
		ret = up_foreground(c, &st);	/* returns only on failure */
	else if (ret == 0)
		ret = up_daemon(c, &st);
	if (ret < 0) {
		quick_undo(c->ifname, &st);
		return 1;
	}
	print_up(c);
	return 0;
}

int cmd_up(int argc, char **argv)
{
	struct config c;
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: %s up CONFIG|IFNAME\n", prog);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "Usage: %s up CONFIG|IFNAME\n", prog);
		return 2;
	}
	if (privs_require_admin(prog) < 0)
		return 1;
	if (config_load_report(&c, argv[1], prog) < 0)
		return 1;
	if (strcmp(argv[1], c.path) && !strncmp(c.path, CONFIG_WG_DIR "/",
						  sizeof(CONFIG_WG_DIR)))
		fprintf(stderr, "%s: %s: using %s (there is no %s/%s.conf)\n",
			prog, c.ifname, c.path, CONFIG_DIR, c.ifname);
	if (c.world_readable)
		fprintf(stderr, "%s: warning: %s is world accessible\n", prog, c.path);
	ret = up(&c);
	config_free(&c);
	return ret;
}
