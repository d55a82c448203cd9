// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state file that "tunshare show" reads: one line per lane, rewritten
 * (into a temporary file, then renamed, so a reader never sees half of
 * it) whenever a lane starts or exits.
 */
#include "tunshare.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* /run is shared by every network namespace, a device name is not: the
 * namespace's inode number keeps two supervisors of one name apart. */
int ts_state_path(char *buf, size_t len, const char *dev)
{
	struct stat st;
	int n;

	if (stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	n = snprintf(buf, len, "%s/%s@%lu.state", TS_STATE_DIR, dev,
		     (unsigned long)st.st_ino);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Server mode: each lane's pool and status file, for show. */
static void state_print_server(FILE *f, const struct ts_conf *c,
			       const struct ts_lane *lanes)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint32_t start, end;

	for (unsigned int i = 0; i < c->lanes; i++) {
		const char *st = ts_clients_status_path(lanes[i].argv);

		if (c->server) {
			ts_pool_slice(&c->pool, i, &start, &end);
			fprintf(f, "pool %u %s-%s\n", i, ts_pool_ntop(start, a),
				ts_pool_ntop(end, b));
		}
		if (st && !strchr(st, '\n'))
			fprintf(f, "status %u %s\n", i, st);
	}
}

static void state_print(FILE *f, const struct ts_conf *c,
			const struct ts_lane *lanes)
{
	fprintf(f, "# tunshare state: read by \"tunshare show\"\n");
	fprintf(f, "dev %s\nsupervisor %d\nlanes %u\nuid %u\n", c->dev,
		(int)getpid(), c->lanes, c->user ? (unsigned int)c->uid : 0u);
	for (unsigned int i = 0; i < c->lanes; i++) {
		const struct ts_lane *l = &lanes[i];

		fprintf(f, "lane %u %d %d %d %u %lld\n", l->idx, (int)l->pid,
			l->cpu, l->port, l->starts,
			l->pid ? (long long)l->since : 0LL);
	}
	state_print_server(f, c, lanes);
}

/* /var/run/tunshare, root's and not writable by others: show trusts what it
 * reads there. */
static int state_dir(void)
{
	struct stat st;

	if (mkdir(TS_STATE_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(TS_STATE_DIR, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

int ts_state_write(const struct ts_conf *c, const struct ts_lane *lanes)
{
	char path[256], tmp[262];
	FILE *f;
	int fd, ret;

	if ((ret = ts_state_path(path, sizeof(path), c->dev)) < 0)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((ret = state_dir()) < 0)
		return ret;
	/* A name someone placed there (a link, a file) is removed, never
	 * followed or written through. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		unlink(tmp);
		return ret;
	}
	state_print(f, c, lanes);
	ret = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

void ts_state_remove(const char *dev)
{
	char path[256];

	if (ts_state_path(path, sizeof(path), dev) == 0)
		unlink(path);
}
