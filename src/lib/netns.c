// SPDX-License-Identifier: GPL-2.0-only
#include "netns.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "defaults.h"

int netns_of(pid_t pid, struct netns_id *id)
{
	char path[64];
	struct stat st;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/net");
	if (stat(path, &st) < 0)
		return -errno;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	return 0;
}

int netns_cookie(int fd, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
		return -errno;
	return len == sizeof(*cookie) ? 0 : -EPROTO;
}

int netns_cookie_self(uint64_t *cookie)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -errno;
	ret = netns_cookie(fd, cookie);
	close(fd);
	return ret;
}

int netns_socket_in(int nsfd, int selffd, struct netns_id *id)
{
	struct stat st;
	int fd, err = 0;

	if (fstat(nsfd, &st) < 0)
		return -errno;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	if (setns(nsfd, CLONE_NEWNET) < 0)
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		err = -errno;
	if (setns(selffd, CLONE_NEWNET) < 0) {
		if (fd >= 0)
			close(fd);
		return -ENOTRECOVERABLE;
	}
	return fd >= 0 ? fd : err;
}

bool netns_equal(const struct netns_id *a, const struct netns_id *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

bool netns_is_init(const struct netns_id *id)
{
	struct netns_id init = { 0 };

	return netns_of(1, &init) == 0 && netns_equal(id, &init);
}

int netns_dir(const struct netns_id *id, char *out, size_t len)
{
	struct netns_id self;
	int n, ret;

	if (!id) {
		if ((ret = netns_of(0, &self)) < 0)
			return ret;
		id = &self;
	}
	if (netns_is_init(id))
		n = snprintf(out, len, "%s", STATS_DIR);
	else
		n = snprintf(out, len, "%s/netns/%llu", STATS_DIR,
			     (unsigned long long)id->ino);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int netns_path(const struct netns_id *id, const char *ifname,
	       const char *suffix, char *out, size_t len)
{
	char dir[96];
	int n, ret;

	if ((ret = netns_dir(id, dir, sizeof(dir))) < 0)
		return ret;
	n = snprintf(out, len, "%s/%s.%s", dir, ifname, suffix);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int netns_mkdir_one(const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

int netns_mkdir(void)
{
	char dir[96];
	int ret;

	if ((ret = netns_dir(NULL, dir, sizeof(dir))) < 0 ||
	    (ret = netns_mkdir_one(STATS_DIR)) < 0)
		return ret;
	if (!strcmp(dir, STATS_DIR))
		return 0;
	if ((ret = netns_mkdir_one(STATS_DIR "/netns")) < 0)
		return ret;
	return netns_mkdir_one(dir);
}
