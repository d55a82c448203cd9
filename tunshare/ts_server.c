// SPDX-License-Identifier: GPL-2.0-only
/*
 * Server mode (tunshare run --server): the lanes are N stock OpenVPN
 * servers on ONE UDP port, each holding its own clients (tunshare(8),
 * SERVER MODE; the steering itself is tunshare/bpf/ts_server.bpf.c).
 *
 * The supervisor, as root and before any lane starts:
 *  - opens one UDP socket per lane, all bound to the same address and port
 *    in one SO_REUSEPORT group, and holds them for its whole life. A lane
 *    gets its socket when OpenVPN binds (libtunshare swaps it in), so the
 *    group never changes: a crashed lane's socket stays where it was, and
 *    no other lane's clients are moved (a socket leaving a reuseport group
 *    reorders the group, as Cloudflare's udpgrm notes describe);
 *  - loads the two steering programs, puts socket i at slot i of the
 *    REUSEPORT_SOCKARRAY, attaches the socket program to the group and the
 *    queue program to the tun.
 */
#include "tunshare.h"
#include "ts_bpf_maps.h"
#include "ts_server.skel.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_ATTACH_REUSEPORT_EBPF
#define SO_ATTACH_REUSEPORT_EBPF 52
#endif

/* Generous buffers: one socket carries a whole lane's clients, and the
 * lanes' own setsockopt calls went to the socket libtunshare replaced. */
#define TS_SERVER_SOCKBUF (4 << 20)

static struct ts_server *skel;

/* "[ADDR:]PORT", "[V6ADDR]:PORT"; ADDR defaults to 0.0.0.0. */
int ts_server_parse(struct ts_bind *b, const char *s)
{
	char host[INET6_ADDRSTRLEN + 2] = "0.0.0.0", *end;
	const char *colon = strrchr(s, ':'), *port = s;
	unsigned long v;

	memset(b, 0, sizeof(*b));
	if (colon) {
		size_t n = (size_t)(colon - s);

		if (s[0] == '[' && n >= 2 && s[n - 1] == ']')
			s++, n -= 2;
		if (n == 0 || n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, n);
		host[n] = '\0';
		port = colon + 1;
	}
	errno = 0;
	v = strtoul(port, &end, 10);
	if (errno || end == port || *end || v < 1 || v > 65535)
		return -EINVAL;
	b->port = (uint16_t)v;
	if (inet_pton(AF_INET, host, &b->sa.v4.sin_addr) == 1) {
		b->sa.v4.sin_family = AF_INET;
		b->sa.v4.sin_port = htons(b->port);
		b->len = sizeof(b->sa.v4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &b->sa.v6.sin6_addr) == 1) {
		b->sa.v6.sin6_family = AF_INET6;
		b->sa.v6.sin6_port = htons(b->port);
		b->len = sizeof(b->sa.v6);
		return 0;
	}
	return -EINVAL;
}

static int server_socket(const struct ts_bind *b)
{
	int one = 1, buf = TS_SERVER_SOCKBUF, fd, ret;

	fd = socket(b->sa.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, &b->sa.sa, b->len) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	/* Best effort: the defaults still work, only with more drops. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	return fd;
}

static int server_sockets(const struct ts_conf *c, int *udp_fds)
{
	int map = bpf_map__fd(skel->maps.ts_socks);
	int prog = bpf_program__fd(skel->progs.ts_udp_select);

	for (unsigned int i = 0; i < c->lanes; i++) {
		uint32_t key = i;
		uint64_t val;
		int fd = server_socket(&c->server_bind);

		if (fd < 0) {
			ts_log("cannot bind UDP port %u for lane %u: %s",
			       c->server_bind.port, i, strerror(-fd));
			return fd;
		}
		udp_fds[i] = fd;
		val = (uint64_t)fd;
		if (bpf_map_update_elem(map, &key, &val, BPF_ANY) < 0) {
			ts_log("lane %u: cannot add its socket to the steering "
			       "map: %s", i, strerror(errno));
			return -errno;
		}
	}
	if (setsockopt(udp_fds[0], SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF,
		       &prog, sizeof(prog)) < 0) {
		ts_log("cannot attach the socket steering program: %s",
		       strerror(errno));
		return -errno;
	}
	return 0;
}

static int server_conf(const struct ts_conf *c)
{
	struct ts_bpf_conf conf = {
		.lanes = c->lanes,
		.first = c->pool.first,
		.size = c->pool.size,
	};
	uint32_t zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(skel->maps.ts_conf), &zero, &conf,
				BPF_ANY) < 0)
		return -errno;
	return 0;
}

static int server_load(const struct ts_conf *c)
{
	int ret;

	skel = ts_server__open();
	if (!skel || bpf_map__set_max_entries(skel->maps.ts_clients,
					      c->max_clients) < 0 ||
	    ts_server__load(skel) < 0) {
		ret = errno ? -errno : -EOPNOTSUPP;
		ts_log("--server needs eBPF (SK_REUSEPORT and tun steering "
		       "programs), which this kernel refused: %s",
		       strerror(-ret));
		return ret;
	}
	return 0;
}

static void sweep_one(int fd, uint32_t key, uint64_t now)
{
	struct ts_bpf_client v;

	if (bpf_map_lookup_elem(fd, &key, &v) == 0 &&
	    now - v.seen > TS_BPF_IDLE_NS)
		bpf_map_delete_elem(fd, &key);
}

/*
 * Removes the clients not heard from for TS_BPF_IDLE_NS, so the table has
 * room for new ones (it never evicts by itself: see ts_server.bpf.c).
 * Linear in the table; the supervisor runs it every TS_SWEEP_MS. Each key
 * is deleted only after the walk has stepped past it.
 */
void ts_server_sweep(void)
{
	uint32_t key = 0, next;
	struct timespec ts;
	bool have = false;
	uint64_t now;
	int fd;

	if (!skel)
		return;
	fd = bpf_map__fd(skel->maps.ts_clients);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	while (bpf_map_get_next_key(fd, have ? &key : NULL, &next) == 0) {
		if (have)
			sweep_one(fd, key, now);
		key = next;
		have = true;
	}
	if (have)
		sweep_one(fd, key, now);
}

/* Loads the programs and opens the lanes' sockets (udp_fds[lane]). */
int ts_server_open(const struct ts_conf *c, int *udp_fds)
{
	int ret;

	for (unsigned int i = 0; i < c->lanes; i++)
		udp_fds[i] = -1;
	if ((ret = server_load(c)) < 0)
		return ret;
	if ((ret = server_conf(c)) < 0) {
		ts_log("cannot configure the steering programs: %s",
		       strerror(-ret));
		return ret;
	}
	return server_sockets(c, udp_fds);
}

/* The queue program, on the device of tun_fd (attached or not: the kernel
 * keeps it per device). Queue i must belong to lane i, since the program
 * returns lane numbers: the supervisor attaches the lanes' queues in lane
 * order once and never detaches them in server mode. */
int ts_server_steer(int tun_fd)
{
	int prog = bpf_program__fd(skel->progs.ts_tun_steer);

	if (ioctl(tun_fd, TUNSETSTEERINGEBPF, &prog) < 0) {
		ts_log("cannot attach the tun steering program: %s",
		       strerror(errno));
		return -errno;
	}
	return 0;
}

void ts_server_close(const struct ts_conf *c, int *udp_fds)
{
	for (unsigned int i = 0; i < c->lanes; i++) {
		if (udp_fds[i] >= 0)
			close(udp_fds[i]);
		udp_fds[i] = -1;
	}
	ts_server__destroy(skel);
	skel = NULL;
}
