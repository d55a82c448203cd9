// SPDX-License-Identifier: GPL-2.0-only
/*
 * tunshare show: the lanes (from the supervisor's state file) and the
 * device's counters. tun keeps no per-queue counters of its own; the
 * per-queue figures are those of the mq qdisc's classes, one per tx queue,
 * which count what the kernel handed each queue (to its lane). Received
 * traffic (lanes to the kernel) exists only as device totals.
 */
#include "tunshare.h"

#include <dirent.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct show_lane {
	unsigned int idx, starts;
	int pid, cpu, port;
	long long since;
	char pool[40];		/* server mode: "first-last" */
	char status[200];	/* its --status file, if any */
};

struct show_state {
	int supervisor;
	unsigned int uid;	/* the lanes' user: owns their status files */
	unsigned int nlanes;
	struct show_lane lanes[TS_MAX_LANES];
};

/* "pool LANE A-B" and "status LANE PATH" lines (after the lane lines). */
static int state_read_extra(const char *line, struct show_state *st)
{
	char pool[sizeof(st->lanes[0].pool)];
	unsigned int i;
	int at = 0;

	if (sscanf(line, "pool %u %39s", &i, pool) == 2 && i < st->nlanes) {
		memcpy(st->lanes[i].pool, pool, sizeof(pool));
		return 1;
	}
	if (sscanf(line, "status %u %n", &i, &at) == 1 && at && i < st->nlanes) {
		snprintf(st->lanes[i].status, sizeof(st->lanes[i].status),
			 "%.*s", (int)strcspn(line + at, "\n"), line + at);
		return 1;
	}
	return 0;
}

static int state_read(const char *dev, struct show_state *st, char *path,
		      size_t len)
{
	char line[256];
	FILE *f;
	int ret;

	if ((ret = ts_state_path(path, len, dev)) < 0)
		return ret;
	if (!(f = fopen(path, "re")))
		return -errno;
	memset(st, 0, sizeof(*st));
	while (fgets(line, sizeof(line), f)) {
		struct show_lane *l = &st->lanes[st->nlanes];

		if (sscanf(line, "supervisor %d", &st->supervisor) == 1 ||
		    sscanf(line, "uid %u", &st->uid) == 1 ||
		    state_read_extra(line, st))
			continue;
		if (st->nlanes < TS_MAX_LANES &&
		    sscanf(line, "lane %u %d %d %d %u %lld", &l->idx, &l->pid,
			   &l->cpu, &l->port, &l->starts, &l->since) == 6)
			st->nlanes++;
	}
	fclose(f);
	return 0;
}

/* CPU seconds (user + system) of a process, from /proc/PID/stat; -1 when
 * it is gone. */
static double cpu_seconds(int pid)
{
	unsigned long long ut, stime;
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "re")))
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip past the
	 * last ')', then state is field 3 and utime, stime fields 14, 15. */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ut, &stime) != 2)
		return -1;
	return (double)(ut + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void show_lane(const struct show_lane *l, uid_t uid)
{
	time_t now = time(NULL);
	double cpu;

	printf("  lane %u: ", l->idx);
	if (l->pid > 0)
		printf("pid %d", l->pid);
	else
		printf("not running (restart pending)");
	printf(", cpu %d", l->cpu);
	if (l->port >= 0)
		printf(", port %d", l->port);
	printf(", %u start%s", l->starts, l->starts == 1 ? "" : "s");
	if (l->pid > 0 && l->since)
		printf(", up %lld s", (long long)now - l->since);
	if (l->pid > 0 && (cpu = cpu_seconds(l->pid)) >= 0)
		printf(", cpu time %.2f s", cpu);
	if (l->pool[0])
		printf(", pool %s", l->pool);
	printf("\n");
	if (l->status[0] && ts_clients_show(l->status, uid) == 0)
		printf("    no clients\n");
}

struct qstat {
	uint64_t bytes;
	uint32_t packets, drops;
	int valid;
};

struct qdump {
	int ifindex;
	unsigned int nq;
	struct qstat *q;
};

static void stats2_parse(const struct nlattr *nest, struct qstat *q)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		size_t len = mnl_attr_get_payload_len(a);

		if (mnl_attr_get_type(a) == TCA_STATS_BASIC) {
			struct gnet_stats_basic b = { 0 };

			memcpy(&b, mnl_attr_get_payload(a),
			       len < sizeof(b) ? len : sizeof(b));
			q->bytes = b.bytes;
			q->packets = b.packets;
			q->valid = 1;
		} else if (mnl_attr_get_type(a) == TCA_STATS_QUEUE) {
			struct gnet_stats_queue qs = { 0 };

			memcpy(&qs, mnl_attr_get_payload(a),
			       len < sizeof(qs) ? len : sizeof(qs));
			q->drops = qs.drops;
		}
	}
}

/* One class of the dump: mq's class :N is tx queue N-1. */
static int class_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	unsigned int minor = TC_H_MIN(tcm->tcm_handle);
	const struct nlattr *a, *stats = NULL;
	struct qdump *d = data;
	const char *kind = NULL;

	if (tcm->tcm_ifindex != d->ifindex)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*tcm)) {
		if (mnl_attr_get_type(a) == TCA_KIND)
			kind = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == TCA_STATS2)
			stats = a;
	}
	if (kind && !strcmp(kind, "mq") && stats && minor >= 1 &&
	    minor <= d->nq)
		stats2_parse(stats, &d->q[minor - 1]);
	return MNL_CB_OK;
}

static int class_dump(struct mnl_socket *nl, struct qdump *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = (unsigned int)time(NULL);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct tcmsg *tcm;
	ssize_t n;
	int ret = 0;

	nlh->nlmsg_type = RTM_GETTCLASS;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = d->ifindex;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, (size_t)n, seq,
				 mnl_socket_get_portid(nl), class_cb, d);
		if (ret <= 0)
			break;
	}
	return n < 0 || ret < 0 ? -errno : 0;
}

static int queue_stats(int ifindex, struct qstat *q, unsigned int nq)
{
	struct qdump d = { .ifindex = ifindex, .nq = nq, .q = q };
	struct mnl_socket *nl;
	int ret;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		ret = -errno;
	else
		ret = class_dump(nl, &d);
	mnl_socket_close(nl);
	return ret;
}

/* The kernel's current number of tx queues: one per attached lane. */
static unsigned int tx_queues(const char *dev)
{
	char path[128];
	struct dirent *e;
	unsigned int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", dev);
	if (!(d = opendir(path)))
		return 0;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "tx-", 3);
	closedir(d);
	return n > TS_MAX_LANES + 1 ? TS_MAX_LANES + 1 : n;
}

static void show_queues(const char *dev)
{
	static struct qstat q[TS_MAX_LANES + 1];
	unsigned int nq = tx_queues(dev), shown = 0;
	int idx = nl_link_index(dev), ret;

	memset(q, 0, sizeof(q));
	if (idx < 0 || !nq)
		return;
	ret = queue_stats(idx, q, nq);
	for (unsigned int i = 0; ret == 0 && i < nq; i++) {
		if (!q[i].valid)
			continue;
		printf("  queue %u: tx %llu bytes, %u packets, %u dropped\n",
		       i, (unsigned long long)q[i].bytes, q[i].packets,
		       q[i].drops);
		shown++;
	}
	if (shown)
		printf("  (queue counters count what the kernel handed each "
		       "queue; tun counts received packets per device only, "
		       "and queue numbers change as lanes come and go)\n");
	else
		printf("  (no per-queue counters: the root qdisc is not mq, "
		       "and tun keeps none itself)\n");
}

static unsigned long long sysfs_stat(const char *dev, const char *name)
{
	unsigned long long v = 0;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", dev,
		 name);
	if ((f = fopen(path, "re"))) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static void show_totals(const char *dev)
{
	if (nl_link_index(dev) < 0) {
		printf("  device %s does not exist\n", dev);
		return;
	}
	printf("  device: rx %llu bytes, %llu packets, %llu dropped; "
	       "tx %llu bytes, %llu packets, %llu dropped\n",
	       sysfs_stat(dev, "rx_bytes"), sysfs_stat(dev, "rx_packets"),
	       sysfs_stat(dev, "rx_dropped"), sysfs_stat(dev, "tx_bytes"),
	       sysfs_stat(dev, "tx_packets"), sysfs_stat(dev, "tx_dropped"));
}

int ts_show(const char *dev)
{
	static struct show_state st;
	char path[256];
	int ret, alive;

	ret = state_read(dev, &st, path, sizeof(path));
	if (ret == -ENOENT) {
		fprintf(stderr, "tunshare: no supervisor for %s in this "
			"network namespace (no %s)\n", dev, path);
		return ret;
	}
	if (ret < 0) {
		fprintf(stderr, "tunshare: cannot read %s: %s\n", path,
			strerror(-ret));
		return ret;
	}
	alive = st.supervisor > 0 &&
		(kill(st.supervisor, 0) == 0 || errno == EPERM);
	printf("%s: %u lanes, supervisor pid %d%s\n", dev, st.nlanes,
	       st.supervisor, alive ? "" : " (not running: stale state)");
	for (unsigned int i = 0; i < st.nlanes; i++)
		show_lane(&st.lanes[i], (uid_t)st.uid);
	show_queues(dev);
	show_totals(dev);
	return 0;
}
