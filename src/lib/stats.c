// SPDX-License-Identifier: GPL-2.0-only
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"

const char *const stats_drop_names[DROP_MAX] = {
	[DROP_SHORT] = "short",
	[DROP_BAD_TYPE] = "bad_type",
	[DROP_UNKNOWN_INDEX] = "unknown_index",
	[DROP_BAD_AUTH] = "bad_auth",
	[DROP_REPLAY] = "replay",
	[DROP_BAD_MAC] = "bad_mac",
	[DROP_HANDSHAKE] = "handshake_failed",
	[DROP_ALLOWED_IPS] = "allowed_ips",
	[DROP_RATELIMITED] = "ratelimited",
	[DROP_NO_ROUTE] = "no_route",
	[DROP_BAD_PACKET] = "bad_packet",
	[DROP_EXPIRED] = "expired",
	[DROP_TX_ERROR] = "tx_error",
	[DROP_COOKIE_REPLY] = "cookie_reply",
	[DROP_COOKIE_LIMITED] = "cookie_limited",
	[DROP_HANDSHAKE_BACKLOG] = "handshake_backlog",
};

/* In the caller's network namespace's directory (netns.h): two namespaces
 * may each run an interface of the same name. */
static int stats_path(char *out, size_t len, const char *ifname)
{
	return netns_path(NULL, ifname, "stats", out, len);
}

size_t stats_len(unsigned lanes)
{
	return (size_t)STATS_SLOT * (lanes + 1);
}

int stats_create(struct stats_page **out, int *fdp, const char *ifname,
		 unsigned lanes)
{
	char path[128];
	size_t len = stats_len(lanes);
	void *p;
	int fd, ret = 0;

	/* The page decides nothing for anyone, but a name others could
	 * create first would let them stop the daemon from starting:
	 * netns_mkdir() makes sure only we can write the directory. */
	if ((ret = netns_mkdir()) < 0 ||
	    (ret = stats_path(path, sizeof(path), ifname)) < 0)
		return ret;
	unlink(path);
	/* Readable by root only: traffic volumes are not everyone's business. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) < 0) {
		ret = -errno;
		goto out;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	memset(p, 0, len);
	*out = p;
	(*out)->magic = STATS_MAGIC;
	(*out)->version = STATS_VERSION;
	(*out)->lanes = lanes;
	(*out)->master_pid = getpid();
	for (unsigned i = 0; i < lanes; i++)
		stats_lane(*out, i)->cpu = -1;
out:
	if (ret) {
		close(fd);
		unlink(path);
		return ret;
	}
	*fdp = fd;
	return 0;
}

int stats_map_lane(struct lane_stats **out, int fd, unsigned i)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p;

	/* Pages bigger than a slot cannot map one slot alone. */
	if (pg <= 0 || STATS_SLOT % pg)
		return -EOPNOTSUPP;
	p = mmap(NULL, STATS_SLOT, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)STATS_SLOT * (i + 1));
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

/* Reads exactly len bytes from the start of fd. */
static int read_whole(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EINVAL;	/* shrank under us */
		got += (size_t)n;
	}
	return 0;
}

/*
 * A file with our magic but another version comes from a tunlaned of
 * another build, whose layout (lane slots, number of drop reasons) may
 * differ in any way: -EPROTO, checked before the size, which such a file
 * need not match either, so that readers can say why.
 */
static int check_version(int fd, const struct stat *st)
{
	struct stats_page h;

	if (st->st_size < (off_t)sizeof(h) ||
	    read_whole(fd, (uint8_t *)&h, sizeof(h)) < 0)
		return 0;	/* the size check says so */
	return h.magic == STATS_MAGIC && h.version != STATS_VERSION ?
		       -EPROTO : 0;
}

/* A copy, not a mapping: a file that changes or shrinks while we read
 * cannot fault us (SIGBUS), and what we check is what we use. */
static int stats_read_once(struct stats_page **out, const char *ifname)
{
	char path[128];
	struct stat st;
	struct stats_page *p = NULL;
	int fd, ret = 0;

	if ((ret = stats_path(path, sizeof(path), ifname)) < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	/* Only a file its owner alone could have written is read. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 022) ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		ret = -EPERM;
		goto out;
	}
	ret = check_version(fd, &st);
	if (ret < 0)
		goto out;
	if (st.st_size < (off_t)stats_len(1) ||
	    st.st_size > (off_t)stats_len(LANES_MAX) || st.st_size % STATS_SLOT) {
		ret = -EINVAL;
		goto out;
	}
	p = malloc((size_t)st.st_size);
	if (!p) {
		ret = -ENOMEM;
		goto out;
	}
	ret = read_whole(fd, (uint8_t *)p, (size_t)st.st_size);
	/* The file keeps the pages of the most lanes the daemon ever ran
	 * (Lanes changed live): the header's count says how many are in
	 * use, and may be fewer. */
	if (!ret && (p->magic != STATS_MAGIC || p->version != STATS_VERSION ||
		     !p->lanes || p->lanes > LANES_MAX ||
		     stats_len(p->lanes) > (size_t)st.st_size))
		ret = -EINVAL;
out:
	close(fd);
	if (ret) {
		free(p);
		return ret;
	}
	*out = p;
	return 0;
}

/* A live Lanes change grows the file before it raises the header's count:
 * a reader that took the size before and the header after sees too short
 * a file, once. */
int stats_read(struct stats_page **out, const char *ifname)
{
	int ret = stats_read_once(out, ifname);

	return ret == -EINVAL ? stats_read_once(out, ifname) : ret;
}

void stats_unlink(const char *ifname)
{
	char path[128];

	if (stats_path(path, sizeof(path), ifname) == 0)
		unlink(path);
}

uint64_t stats_drops_total(const struct lane_stats *l)
{
	uint64_t t = 0;

	for (int i = 0; i < DROP_MAX; i++)
		t += l->drops[i];
	return t;
}
