// SPDX-License-Identifier: GPL-2.0-only
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void stats_path(char *out, size_t len, const char *ifname)
{
	snprintf(out, len, "%s/%s.stats", STATS_DIR, ifname);
}

static size_t page_len(unsigned lanes)
{
	return sizeof(struct stats_page) + lanes * sizeof(struct lane_stats);
}

/*
 * The page decides nothing for anyone, but a name others could create
 * first would let them stop the daemon from starting: keep it in a
 * directory only we can write.
 */
static int stats_dir(void)
{
	struct stat st;

	if (mkdir(STATS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(STATS_DIR, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

int stats_create(struct stats_page **out, const char *ifname, unsigned lanes)
{
	char path[128];
	size_t len = page_len(lanes);
	void *p;
	int fd, ret = 0;

	if ((ret = stats_dir()) < 0)
		return ret;
	stats_path(path, sizeof(path), ifname);
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
		(*out)->lane[i].cpu = -1;
out:
	close(fd);
	if (ret)
		unlink(path);
	return ret;
}

int stats_open(const struct stats_page **out, size_t *len, const char *ifname)
{
	char path[128];
	struct stat st;
	const struct stats_page *p;
	int fd, ret = 0;

	stats_path(path, sizeof(path), ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	/* Only a page its owner alone could have written is read. */
	if (fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(*p) ||
	    (st.st_mode & 022) || (st.st_uid != 0 && st.st_uid != geteuid())) {
		ret = -EINVAL;
		goto out;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	if (p->magic != STATS_MAGIC || p->version != STATS_VERSION ||
	    page_len(p->lanes) > (size_t)st.st_size) {
		munmap((void *)p, (size_t)st.st_size);
		ret = -EINVAL;
		goto out;
	}
	*out = p;
	*len = (size_t)st.st_size;
out:
	close(fd);
	return ret;
}

void stats_unlink(const char *ifname)
{
	char path[128];

	stats_path(path, sizeof(path), ifname);
	unlink(path);
}

uint64_t stats_drops_total(const struct lane_stats *l)
{
	uint64_t t = 0;

	for (int i = 0; i < DROP_MAX; i++)
		t += l->drops[i];
	return t;
}
