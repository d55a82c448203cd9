// SPDX-License-Identifier: GPL-2.0-only
#include "stale.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "defaults.h"
#include "netlink.h"
#include "netns.h"
#include "stats.h"
#include "unixsock.h"

char stale_proc_state(pid_t pid, bool *is_tunlaned)
{
	char path[64], buf[256], *p;
	char state = 0;
	FILE *f;

	if (is_tunlaned)
		*is_tunlaned = false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	/* The command may hold anything, ')' included: the last one ends it. */
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    p[1] == ' ' && p[2]) {
		state = p[2];
		if (is_tunlaned)
			*is_tunlaned = !strncmp(buf + strcspn(buf, "("),
						"(tunlaned)", 10);
	}
	fclose(f);
	return state;
}

/* Is pid a running tunlaned? A pid can be reused, and a master killed
 * with SIGKILL can stay a zombie for a while: neither counts. */
static bool daemon_running(int pid)
{
	bool tunlaned;
	char state = stale_proc_state(pid, &tunlaned);

	return state && tunlaned && state != 'Z' && state != 'X';
}

/* The master the stats page names; 0 without a page. */
static int page_master(const char *ifname, bool *alive)
{
	struct stats_page *sp;
	int pid;

	*alive = false;
	if (stats_read(&sp, ifname) < 0)
		return 0;
	pid = sp->master_pid;
	free(sp);
	*alive = pid > 0 && daemon_running(pid);
	return pid > 0 ? pid : 0;
}

/* Removes the socket file at path if nobody listens on it (ECONNREFUSED):
 * 1 when it did. */
static int sock_unlink_stale_path(const char *path)
{
	int fd = unixsock_connect(path, 0);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return fd == -ECONNREFUSED && unlink(path) == 0;
}

/* This namespace's own socket, and the stock path that any namespace's
 * daemon may have served (netns.h). */
static int sock_unlink_stale(const char *ifname)
{
	char path[128];
	int n = 0;

	if (netns_path(NULL, ifname, "sock", path, sizeof(path)) == 0)
		n += sock_unlink_stale_path(path);
	snprintf(path, sizeof(path), "%s/%s.sock", UAPI_SOCK_DIR, ifname);
	return n + sock_unlink_stale_path(path);
}

bool stale_is_tun(const char *ifname)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", ifname);
	return access(path, F_OK) == 0;
}

int stale_cleanup(const char *ifname)
{
	bool alive;
	int pid = page_master(ifname, &alive), n;

	if (alive)
		return 0;
	n = sock_unlink_stale(ifname);
	if (!pid)
		return n;
	/* Only with a page of ours (a root-only directory) naming a dead
	 * master is a tun of that name a leftover of ours. */
	stats_unlink(ifname);
	n++;
	if (stale_is_tun(ifname) && nl_link_delete(ifname) == 0)
		n++;
	return n;
}
