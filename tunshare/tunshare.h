/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tunshare(8): runs N copies of an unmodified tun program as the lanes
 * (queues) of one multi-queue tun device. Shared declarations of the
 * supervisor's modules; every int function returns 0 or -errno unless it
 * says otherwise.
 */
#ifndef TUNSHARE_H
#define TUNSHARE_H

#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "defaults.h"
#include "netlink.h"

/* One tun queue per lane (LANES_MAX in all); the supervisor holds one. */
#define TS_MAX_LANES (LANES_MAX - 1)
#define TS_MAX_ADDRS 32

/* --server [ADDR:]PORT: the one UDP address every lane binds. */
struct ts_bind {
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa;
	socklen_t len;
	uint16_t port;
};

/* --pool CIDR: the client subnet, cut into one slice per lane (ts_pool.c).
 * Addresses in host byte order. */
struct ts_pool {
	uint32_t net, first, size;
	unsigned int prefix;
};
/* A lane's output is passed on line by line, "lane N: " in front; a
 * longer line is cut at this length. */
#define TS_OUT_LINE 1024
/* Exit statuses of a command that could not start (as a shell uses). */
#define TS_EXIT_CANNOT_EXEC 126
#define TS_EXIT_NOT_FOUND 127

struct ts_conf {
	char dev[IFNAMSIZ];
	unsigned int lanes;
	int cpus[TS_MAX_LANES];		/* lane i runs on cpus[i] */
	int base_port;			/* 0: no --base-port */
	struct prefix addrs[TS_MAX_ADDRS];
	const char *addr_text[TS_MAX_ADDRS];	/* as given, for messages */
	struct prefix routes[TS_MAX_ADDRS];	/* via the device, main table */
	const char *route_text[TS_MAX_ADDRS];
	unsigned int nroutes;
	unsigned int naddrs;
	unsigned int mtu;		/* 0: leave the kernel's default */
	const char *user;		/* NULL: lanes keep our credentials */
	uid_t uid;
	gid_t gid;
	gid_t groups[64];		/* the user's supplementary groups */
	int ngroups;
	char preload[4096];		/* absolute path of libtunshare.so */
	char **cmd;			/* NULL-terminated, before {lane} etc. */
	bool server;			/* --server: one port, steered lanes */
	struct ts_bind server_bind;
	struct ts_pool pool;		/* valid with server */
	unsigned int max_clients;	/* server: size of the client table */
};

struct ts_lane {
	unsigned int idx;
	int cpu;
	int port;			/* -1 without --base-port */
	int qfd;			/* its queue, attached while it runs */
	pid_t pid;			/* 0 while not running */
	unsigned int starts;
	uint64_t started_ms;		/* monotonic, for backoff */
	time_t since;			/* wall clock, for show */
	uint64_t due_ms;		/* next start; 0: none pending */
	unsigned int backoff_ms;
	int udp_fd;			/* server mode: the lane's socket */
	int out_fd;			/* its stdout+stderr pipe, -1: none */
	size_t out_len;			/* a partial line in out_buf */
	char out_buf[TS_OUT_LINE];
	char **argv;			/* with {lane}, {port}, {cpu} replaced */
	char **envp;
};

/* One line to stderr, prefixed with "tunshare[DEV]: ". */
void ts_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern const char *ts_log_dev;

/* ts_dev.c */
int ts_dev_create(const struct ts_conf *c);	/* >= 0: the held fd */
int ts_dev_configure(const struct ts_conf *c);
void ts_dev_remove(int fd, const char *dev);
/* One more queue of the device, detached, close-on-exec: >= 0 the fd. */
int ts_dev_open_queue(const struct ts_conf *c);
/* Attaches (true) or detaches (false) a queue opened above. */
int ts_dev_queue(int fd, bool attach);

/* ts_lane.c */
/* qfds[i]: lane i's queue, which lanes[i] takes over; udp_fds[i] (server
 * mode, else NULL): its socket. */
int ts_lanes_prepare(const struct ts_conf *c, struct ts_lane *lanes,
		     const int *qfds, const int *udp_fds);
void ts_lanes_free(struct ts_lane *lanes, unsigned int n);
/* One {key} of a lane's command line and its value. */
#define TS_MAX_VARS 8
struct ts_var {
	const char *key;
	char val[48];
};
unsigned int ts_lane_vars(const struct ts_conf *c, const struct ts_lane *l,
			  struct ts_var *v);
char *ts_subst(const char *arg, const struct ts_var *vars, unsigned int n);
/* Forks and execs one lane; the child never returns. */
int ts_lane_spawn(const struct ts_conf *c, struct ts_lane *l,
		  const sigset_t *childmask);

/* Passes on what a lane wrote (readable out_fd); closes it at EOF. */
void ts_lane_output(struct ts_lane *l);
void ts_lane_output_close(struct ts_lane *l);

/* ts_run.c */
int ts_run(const struct ts_conf *c);
uint64_t ts_now_ms(void);

/* ts_state.c */
int ts_state_path(char *buf, size_t len, const char *dev);
int ts_state_write(const struct ts_conf *c, const struct ts_lane *lanes);
void ts_state_remove(const char *dev);

/* ts_pool.c */
int ts_pool_parse(struct ts_pool *p, const char *s, unsigned int lanes);
uint32_t ts_pool_server(const struct ts_pool *p);
uint32_t ts_pool_netmask(const struct ts_pool *p);
void ts_pool_slice(const struct ts_pool *p, unsigned int lane,
		   uint32_t *start, uint32_t *end);
int ts_pool_lane(const struct ts_pool *p, unsigned int lanes, uint32_t addr);
const char *ts_pool_ntop(uint32_t addr, char *buf);

/* ts_server.c */
int ts_server_parse(struct ts_bind *b, const char *s);
int ts_server_open(const struct ts_conf *c, int *udp_fds);
int ts_server_steer(int tun_fd);
void ts_server_sweep(void);
#define TS_SWEEP_MS 30000
void ts_server_close(const struct ts_conf *c, int *udp_fds);

/* ts_clients.c */
const char *ts_clients_status_path(char *const *argv);
/* One line of a status file: 1 and the fields (pointing into line) for a
 * client, else 0. in_routing carries the v1 section state between lines. */
int ts_clients_line(char *line, int *in_routing, char **cn, char **real,
		    char **virt);
int ts_clients_show(const char *path, uid_t owner);

/* ts_show.c */
int ts_show(const char *dev);

#endif
