/* SPDX-License-Identifier: GPL-2.0-only */
/* Requests fanned out to the lanes and their "get" replies merged
 * (master_lanes.c). Every int function returns 0 or -errno. */
#ifndef TUNLANE_MASTER_LANES_H
#define TUNLANE_MASTER_LANES_H

#include <stddef.h>

struct master;

#define LANE_REPLY_TIMEOUT_MS 3000
/* Deadlines grow with the work: +1 ms per this many peers or allowed IPs. */
#define LANE_SET_PEERS_PER_MS 1
#define LANE_SET_AIPS_PER_MS 20
#define LANE_GET_PEERS_PER_MS 10
/* A lane's reply: "errno=N" for a set; for a get, that plus at most
 * DEVICE_STATS_PEER_MAX per peer. */
#define LANE_REPLY_BASE_MAX 4096

/* Sends req to every running lane, then collects each reply within one
 * deadline of timeout_ms and reply_max bytes per reply; replies[i] is NULL
 * for a lane that is down or failed (and was restarted). */
int master_lanes_call(struct master *m, const char *req, size_t len,
		      const int *pass_fds, int timeout_ms, size_t reply_max,
		      char **replies, size_t *rlens);
/* The same for lanes from..to-1 only (replies[from..to-1] are set). */
int master_lanes_call_range(struct master *m, unsigned int from,
			    unsigned int to, const char *req, size_t len,
			    const int *pass_fds, int timeout_ms,
			    size_t reply_max, char **replies, size_t *rlens);
/* The errno a lane's reply names (EIO without one). */
int master_reply_errno(const char *reply);
/* "get": the configuration with runtime figures summed over the lanes. */
int master_get(struct master *m, char **out, size_t *olen);
/* "tunlane_lanes=1": each lane's peers and endpoints, no secrets. */
int master_get_lanes(struct master *m, char **out, size_t *olen);

#endif
