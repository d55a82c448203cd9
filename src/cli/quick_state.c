// SPDX-License-Identifier: GPL-2.0-only
/*
 * The full-tunnel routing of wg-quick(8) (its add_default) and the state
 * file that lets `down`, and the next `up` or `down` after a crash,
 * remove exactly the rules `up` added.
 *
 * A full tunnel routes everything through the interface except the
 * tunnel's own packets. The daemon marks its UDP sockets with fwmark T
 * (SO_MARK on every lane's socket), and two rules per family send the
 * rest to table T, which holds the /0 through the interface:
 *
 *   P-2: from all lookup main suppress_prefixlength 0
 *        (main's specific routes still win; its default route does not)
 *   P-1: not from all fwmark T lookup T
 *
 * P is the lowest non-zero priority in use (32766, main's, on most
 * hosts), so they land where `ip rule add` would put them. Their exact
 * priorities are recorded, so deleting them never touches a rule that
 * looks the same but is someone else's.
 */
#include "quick.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns.h"
#include "stats.h"

#define STATE_MAX 8192

/* Per network namespace (netns.h), like the daemon's own files. */
static int state_path(char *out, size_t len, const char *ifname)
{
	return netns_path(NULL, ifname, "up", out, len);
}

static int state_line(struct quick_state *st, char *line)
{
	struct nl_rule r = { 0 };
	unsigned int inv;

	if (!strncmp(line, "config ", 7)) {
		snprintf(st->config, sizeof(st->config), "%s", line + 7);
		return 0;
	}
	if (!strncmp(line, "dns ", 4)) {
		snprintf(st->dns_name, sizeof(st->dns_name), "%s", line + 4);
		return 0;
	}
	if (sscanf(line, "rule %d %u %u %u %u %d", &r.family, &r.priority,
		   &r.table, &r.fwmark, &inv, &r.suppress_prefixlen) != 6 ||
	    (r.family != AF_INET && r.family != AF_INET6) ||
	    st->n_rules == QUICK_MAX_RULES)
		return -EINVAL;
	r.invert = inv;
	st->rules[st->n_rules++] = r;
	return 0;
}

int quick_state_load(const char *ifname, struct quick_state *st)
{
	char path[128], buf[STATE_MAX + 1], *line, *save = NULL;
	ssize_t n;
	int fd, ret = 0;

	memset(st, 0, sizeof(*st));
	if ((ret = state_path(path, sizeof(path), ifname)) < 0)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, STATE_MAX);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line && !ret;
	     line = strtok_r(NULL, "\n", &save))
		ret = state_line(st, line);
	return ret;
}

/* Written whole to a temporary name and renamed: never half a file. */
int quick_state_save(const char *ifname, const struct quick_state *st)
{
	char path[128], tmp[160];
	FILE *f;
	int ret = 0;

	if ((ret = netns_mkdir()) < 0 ||
	    (ret = state_path(path, sizeof(path), ifname)) < 0)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	f = fopen(tmp, "wxe");
	if (!f)
		return -errno;
	fprintf(f, "config %s\n", st->config);
	for (size_t i = 0; i < st->n_rules; i++) {
		const struct nl_rule *r = &st->rules[i];

		fprintf(f, "rule %d %u %u %u %u %d\n", r->family, r->priority,
			r->table, r->fwmark, r->invert, r->suppress_prefixlen);
	}
	if (*st->dns_name)
		fprintf(f, "dns %s\n", st->dns_name);
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

void quick_undo(const char *ifname, struct quick_state *st)
{
	char path[128];

	for (size_t i = st->n_rules; i-- > 0;) {
		int ret = nl_rule_del(&st->rules[i]);

		if (ret < 0 && ret != -ENOENT)
			fprintf(stderr, "tunlane: %s: cannot delete a routing rule "
				"(priority %u): %s\n", ifname,
				st->rules[i].priority, strerror(-ret));
	}
	st->n_rules = 0;
	if (*st->dns_name)
		quick_dns_unset(st->dns_name);
	st->dns_name[0] = '\0';
	if (state_path(path, sizeof(path), ifname) == 0)
		unlink(path);
}

bool quick_full_tunnel(const struct config *c)
{
	if (c->table_mode != CONFIG_TABLE_AUTO)
		return false;
	for (size_t i = 0; i < c->n_peers; i++)
		for (size_t j = 0; j < c->peers[i].n_allowed; j++)
			if (c->peers[i].allowed[j].cidr == 0)
				return true;
	return false;
}

long quick_pick_table(const struct config *c)
{
	uint32_t t = QUICK_DEFAULT_TABLE;
	int ret;

	if (c->fwmark)
		return c->fwmark;
	while ((ret = nl_table_in_use(t)) == 1 && t < UINT32_MAX)
		t++;
	return ret < 0 ? ret : (long)t;
}

/* Marked packets must pass the kernel's reverse-path check, which looks
 * at the mark only with src_valid_mark (wg-quick sets it too). */
static int src_valid_mark(void)
{
	int fd = open("/proc/sys/net/ipv4/conf/all/src_valid_mark",
		      O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1\n", 2) != 2)
		ret = -errno;
	close(fd);
	return ret;
}

int quick_add_default(const char *ifname, int family, uint32_t t,
		      struct quick_state *st)
{
	struct prefix all = { .family = family };
	uint32_t prio;
	int ret;

	if (st->n_rules + 2 > QUICK_MAX_RULES)
		return -E2BIG;
	if ((ret = nl_rule_min_priority(family, &prio)) < 0)
		return ret;
	if (prio < 3)
		return -ERANGE;
	st->rules[st->n_rules++] = (struct nl_rule){
		.family = family, .priority = prio - 1, .table = t,
		.fwmark = t, .invert = true, .suppress_prefixlen = -1 };
	st->rules[st->n_rules++] = (struct nl_rule){
		.family = family, .priority = prio - 2,
		.table = CONFIG_TABLE_MAIN, .suppress_prefixlen = 0 };
	/* Recorded before they exist: a crash now leaves nothing unknown. */
	if ((ret = quick_state_save(ifname, st)) < 0)
		return ret;
	if ((ret = nl_route_add(ifname, &all, t)) < 0 && ret != -EEXIST)
		return ret;
	for (size_t i = st->n_rules - 2; i < st->n_rules; i++)
		if ((ret = nl_rule_add(&st->rules[i])) < 0)
			return ret;
	if (family == AF_INET && (ret = src_valid_mark()) < 0)
		return ret;
	return 0;
}
