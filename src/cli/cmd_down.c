// SPDX-License-Identifier: GPL-2.0-only
/* tunlane down IFNAME|CONFIG: stop the daemon; it removes the interface,
 * its socket and its stats page as it exits. Around that, in wg-quick's
 * order: PreDown hooks, SaveConfig, then (daemon gone) the full-tunnel
 * rules and DNS that `up` recorded, and PostDown hooks. The hooks come
 * from the file `up` read (or CONFIG when given). */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "ipc.h"
#include "netlink.h"
#include "quick.h"
#include "privs.h"
#include "stale.h"
#include "stats.h"
#include "subcommands.h"

#define DOWN_WAIT_MS 5000

/* "tl0", "/etc/tunlane/tl0.conf" and "tl0.conf" all name tl0. */
static int ifname_of(const char *arg, char *out, size_t len)
{
	const char *base = strrchr(arg, '/');
	size_t n;

	base = base ? base + 1 : arg;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".conf"))
		n -= 5;
	if (n >= len || !ifname_valid(base, n))
		return -EINVAL;
	memcpy(out, base, n);
	out[n] = '\0';
	return 0;
}

/* Only a tunlaned of ours answers on the socket and has a stats page. */
static pid_t master_pid(const char *ifname)
{
	struct stats_page *sp;
	int pid;

	if (stats_read(&sp, ifname) < 0)
		return 0;
	free(sp);
	pid = ipc_daemon_pid(ifname);
	return pid > 0 ? pid : 0;
}

/* Gone, or a zombie waiting for its parent to reap it: it has finished
 * its teardown either way. */
static bool process_gone(pid_t pid)
{
	char state = stale_proc_state(pid, NULL);

	return !state || state == 'Z' || state == 'X';
}

static bool wait_gone(pid_t pid, const char *ifname)
{
	uint64_t deadline = clock_now() + DOWN_WAIT_MS * NSEC_PER_MSEC;

	while (clock_now() < deadline) {
		if ((pid <= 0 || process_gone(pid)) && nl_link_index(ifname) < 0)
			return true;
		usleep(20000);
	}
	return false;
}

/* The configuration for the hooks and SaveConfig: CONFIG when a file was
 * named, else the one `up` recorded. false when there is none. */
static bool down_config(struct config *c, const char *arg,
			const struct quick_state *st, bool have_state)
{
	const char *path = strchr(arg, '/') || strstr(arg, ".conf") ? arg :
			   have_state && *st->config ? st->config : NULL;
	char err[4096];

	if (!path)
		return false;
	if (config_load(c, path, err, sizeof(err)) == 0)
		return true;
	*strchrnul(err, '\n') = '\0';
	fprintf(stderr, "%s: %s; no hooks or SaveConfig\n", prog, err);
	return false;
}

static int stop(const char *ifname, pid_t pid)
{
	if (pid > 0 && kill(pid, SIGTERM) < 0 && errno != ESRCH) {
		fprintf(stderr, "%s: %s: cannot stop pid %d: %s\n", prog, ifname,
			(int)pid, strerror(errno));
		return 1;
	}
	if (pid <= 0)
		nl_link_delete(ifname);	/* no daemon of ours: just the link */
	if (!wait_gone(pid, ifname)) {
		fprintf(stderr, "%s: %s: daemon did not exit\n", prog, ifname);
		return 1;
	}
	return 0;
}

static int down(const char *ifname, const char *arg, pid_t pid)
{
	struct quick_state st;
	bool have_state = quick_state_load(ifname, &st) == 0;
	struct config c;
	bool have_conf = down_config(&c, arg, &st, have_state);
	int ret;

	if (have_conf && quick_hooks(&c, CONFIG_PRE_DOWN) < 0)
		fprintf(stderr, "%s: %s: going down all the same\n", prog, ifname);
	if (have_conf && c.save_config) {
		ret = quick_save_config(&c);
		if (ret < 0)
			fprintf(stderr, "%s: %s: cannot save the configuration to %s: %s\n",
				prog, ifname, c.path, strerror(-ret));
	}
	ret = stop(ifname, pid);
	if (ret == 0 && have_state)
		quick_undo(ifname, &st);
	if (ret == 0 && have_conf && quick_hooks(&c, CONFIG_POST_DOWN) < 0)
		ret = 1;
	if (have_conf)
		config_free(&c);
	return ret;
}

int cmd_down(int argc, char **argv)
{
	struct quick_state st;
	char ifname[16];
	pid_t pid;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: %s down IFNAME|CONFIG\n", prog);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-' ||
	    ifname_of(argv[1], ifname, sizeof(ifname)) < 0) {
		fprintf(stderr, "Usage: %s down IFNAME|CONFIG\n", prog);
		return 2;
	}
	if (privs_require_admin(prog) < 0)
		return 1;
	/* /var/run/wireguard is shared by every network namespace: a
	 * daemon born in another one is not ours to stop. */
	if (ipc_foreign_daemon(ifname) > 0) {
		fprintf(stderr, "%s: %s belongs to another network namespace\n",
			prog, ifname);
		return 1;
	}
	pid = master_pid(ifname);
	if (pid <= 0 && stale_cleanup(ifname) > 0) {
		fprintf(stderr, "%s: %s: removed what a dead daemon left behind\n",
			prog, ifname);
		if (nl_link_index(ifname) < 0) {
			if (quick_state_load(ifname, &st) == 0)
				quick_undo(ifname, &st);
			return 0;
		}
	}
	if (pid <= 0 && nl_link_index(ifname) < 0) {
		/* A daemon that died left its rules: remove them now. */
		if (quick_state_load(ifname, &st) == 0) {
			fprintf(stderr, "%s: %s was not running; removing what it "
				"left behind\n", prog, ifname);
			quick_undo(ifname, &st);
			return 0;
		}
		fprintf(stderr, "%s: %s is not up\n", prog, ifname);
		return 1;
	}
	if (pid <= 0 && !stale_is_tun(ifname)) {
		fprintf(stderr, "%s: %s is not a tunlane interface\n", prog, ifname);
		return 1;
	}
	return down(ifname, argv[1], pid);
}
