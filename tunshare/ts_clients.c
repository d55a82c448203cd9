// SPDX-License-Identifier: GPL-2.0-only
/*
 * The clients of each lane, for `tunshare show`: read from the lane's own
 * OpenVPN status file (its --status FILE), so they are what the process
 * itself believes. Versions 1, 2 and 3 of the format (--status-version)
 * are understood; the file is the lane's, so it is read as untrusted
 * text: long lines are cut, odd lines skipped.
 */
#include "tunshare.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* More than any status file of a lane with a few thousand clients. */
#define TS_STATUS_MAX (16L << 20)

/* Status file of a lane: the argument after "--status" in its command
 * line, or NULL. */
const char *ts_clients_status_path(char *const *argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		if (!strcmp(argv[i], "--status") && argv[i + 1])
			return argv[i + 1];
	return NULL;
}

/* Splits line at sep into at most max fields; returns their count. */
static unsigned int clients_split(char *line, char sep, char **f,
				  unsigned int max)
{
	unsigned int n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = p;
		if (!(p = strchr(p, sep)))
			break;
		*p++ = '\0';
	}
	return n;
}

/* v2/v3: "CLIENT_LIST<sep>cn<sep>real<sep>virtual...";
 * v1: "virtual,cn,real,last ref" in the ROUTING TABLE section. */
int ts_clients_line(char *line, int *in_routing, char **cn, char **real,
		    char **virt)
{
	char *f[5], sep = strchr(line, '\t') ? '\t' : ',';
	unsigned int n;

	if (!strncmp(line, "ROUTING TABLE", 13))
		*in_routing = 1;
	else if (!strncmp(line, "GLOBAL STATS", 12))
		*in_routing = 0;
	n = clients_split(line, sep, f, 5);
	if (n >= 4 && !strcmp(f[0], "CLIENT_LIST")) {
		*cn = f[1], *real = f[2], *virt = f[3];
		return 1;
	}
	if (*in_routing && n == 4 && strcmp(f[0], "Virtual Address")) {
		*virt = f[0], *cn = f[1], *real = f[2];
		return 1;
	}
	return 0;
}

/*
 * The lane writes this file, and may run as another user: a link, a FIFO
 * or a device in its place must not make a root `show` read what it
 * should not or block. So: no links, no blocking open, a regular file
 * owned by owner (the lanes' user), and at most TS_STATUS_MAX bytes read.
 */
static FILE *clients_open(const char *path, uid_t owner)
{
	struct stat st;
	FILE *f;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != owner && st.st_uid != 0) || !(f = fdopen(fd, "r"))) {
		close(fd);
		return NULL;
	}
	return f;
}

/* Prints one line per client of the file; returns how many. */
int ts_clients_show(const char *path, uid_t owner)
{
	char line[512], *cn, *real, *virt;
	int in_routing = 0, n = 0;
	FILE *f = clients_open(path, owner);
	long read = 0;

	if (!f) {
		printf("    (no readable status file %s)\n", path);
		return 0;
	}
	while (read < TS_STATUS_MAX && fgets(line, sizeof(line), f)) {
		read += (long)strlen(line);
		if (!strchr(line, '\n') && !feof(f)) {
			int ch;

			while (read++ < TS_STATUS_MAX &&
			       (ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		if (ts_clients_line(line, &in_routing, &cn, &real, &virt)) {
			printf("    client %s, from %s, address %s\n", cn, real,
			       *virt ? virt : "(none)");
			n++;
		}
	}
	fclose(f);
	return n;
}
