/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The privileged master (nginx's master/worker model, iked's privsep):
 * creates the tun and the sockets, forks one lane per queue, serves the
 * UAPI socket, fans "set" out to every lane, sums "get", and respawns
 * lanes that die. Signals only set state through a signalfd.
 */
#ifndef TUNLANE_MASTER_H
#define TUNLANE_MASTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "device.h"
#include "netns.h"
#include "lane.h"
#include "steer.h"

/* A lane that is stopped (SIGSTOP by anyone of its uid) or stuck in a loop
 * keeps its queue and silently swallows its flows: a ping every second on
 * the control channel, and no answer within 3 s (stopped) or 10 s (running
 * but silent) means SIGKILL and the usual respawn. */
#define HEARTBEAT_EVERY   (NSEC_PER_SEC)
#define HEARTBEAT_TIMEOUT (3 * NSEC_PER_SEC)	/* stopped */
#define HEARTBEAT_STUCK   (10 * NSEC_PER_SEC)	/* running, yet no answer */
#define HEARTBEAT_PING    "ping=1\n\n"

struct master_opts {
	const char *ifname;
	unsigned int lanes;
	int cpus[LANES_MAX];		/* CPU of lane i, -1 = not pinned */
	struct lane_privs privs;
	bool no_offload;		/* plain tun I/O, no vnet header */
	bool no_bpf;			/* no kernel steering (steer.h) */
	int notify_fd;			/* daemonize pipe, -1 in the foreground */
	int ready_fd;			/* tunlane up's "configured" pipe, or -1 */
};

struct lane_slot {
	pid_t pid;			/* 0 when not running */
	int tun_fd;
	int udp_fd;			/* ListenPort + i (lane 0: in the group) */
	int shared_fd;			/* lanes 1..N-1: ListenPort group, or -1 */
	int ctl_fd;			/* master's end of the socketpair */
	uint64_t started;		/* clock_now() at spawn */
	uint64_t respawn_at;		/* 0 = none pending */
	uint64_t ping_at;		/* heartbeat: next ping due */
	uint64_t ping_sent;		/* heartbeat in flight since; 0 = none */
};

struct master {
	struct master_opts opts;
	struct wg_device dev;		/* configuration only */
	struct lane_slot lane[LANES_MAX];
	struct stats_page *stats;	/* the whole file: master only */
	/* The most lanes run at once: the stats file's pages, the master's
	 * mapping of it, and the per-lane byte counts of each peer have room
	 * for this many; slots from opts.lanes up keep a retired lane's
	 * detached queue and replay-floor table for a lane added again. */
	unsigned int lanes_hi;
	unsigned int ifindex;		/* at creation: a new queue's check */
	int stats_fd;			/* lanes map their slot from it */
	struct tsfloor_entry *tsfloor[LANES_MAX];	/* lane i's, never read here */
	struct steer steer;		/* per-peer lanes, shared with lanes */
	int udp_family;
	int offloads;			/* TUN_F_* in force, 0 = plain tun */
	int uapi_fd;
	int sig_fd;
	int ep_fd;
	char sock_path[108];	/* our namespace's socket (netns.h) */
	ino_t sock_ino;
	struct netns_id netns;		/* where we were born */
	bool netns_init;		/* ...the init namespace */
	uint64_t netns_cookie;		/* ...its SO_NETNS_COOKIE */
	int pub_fd;			/* the stock path, while we serve it */
	int pub_lock_fd;		/* its lock file, locked while we do */
	char pub_path[108];		/* RUNSTATEDIR/wireguard/IFNAME.sock */
	ino_t pub_ino;
	uint64_t pub_retry_at;		/* next try to take it over */
	bool shared;			/* lanes share ListenPort (steer.h) */
	bool stop;
	bool created;			/* the interface is ours to remove */
	bool ports_final;		/* a "set" fixed the ports (logged) */
	int exit_code;
};

/* Creates the interface, sockets and UAPI socket. Errors are logged;
 * 0 or -errno. */
int master_setup(struct master *m, const struct master_opts *opts);
/* Forks lane i from the master's configuration. 0 or -errno. */
int master_spawn(struct master *m, unsigned int i);
/* SIGTERM, then SIGKILL, to lanes from..to-1, each reaped, none respawned. */
void master_stop_lanes(struct master *m, unsigned int from, unsigned int to);
void master_close_slot(struct lane_slot *s);
/* master_resize.c: a live Lanes change ("tunlane_set_lanes=N", tunlaned(8)):
 * grows by opening queues and sockets and forking lanes from the master's
 * configuration, shrinks by retiring the highest lanes; the lanes that stay
 * are not touched. cpus: a CPU list for the new lanes, or NULL. */
int master_set_lanes(struct master *m, unsigned int lanes, const char *cpus);
/* The request's text ("tunlane_set_lanes=N", "cpus=LIST"), checked. */
int master_set_lanes_request(struct master *m, const char *req, size_t len);
/* Forks every lane (after a daemon has detached, so lanes log where the
 * master does). 0 or -errno. */
int master_start_lanes(struct master *m);
/* Serves until told to stop; returns the process exit code. */
int master_run(struct master *m);
void master_teardown(struct master *m);
/* Logs the UDP ports the lanes listen on, once a "set" made them final
 * (before it they are temporary). */
void master_log_ports(struct master *m);
/* Takes lane i's answer to a heartbeat still in flight, so that a request
 * that follows gets its own reply. 0, or -ETIMEDOUT after killing a lane
 * that did not answer in time. */
int master_heartbeat_settle(struct master *m, unsigned int i);
/* master_open.c: the tun's queues and the lanes' sockets. */
int master_open_queues(struct master *m);
int master_open_sockets(struct master *m);
/* One INFO line naming the TUN_F_* offloads in force. */
void master_log_offloads(int flags);
/* Puts fds[0] and shared[1..] in the steered ListenPort group (closing
 * shared on failure); true when they are. */
bool master_attach_group(struct master *m, const int *fds, int *shared);
/* Pings every lane that is due and kills one whose answer is overdue. */
void master_heartbeat(struct master *m);

#endif
