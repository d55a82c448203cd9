/* SPDX-License-Identifier: GPL-2.0-only */
/* The master's side of the UAPI socket: clients, "set" fan-out and "get"
 * aggregation across lanes. */
#ifndef TUNLANE_MASTER_UAPI_H
#define TUNLANE_MASTER_UAPI_H

#include <stdint.h>

struct master;
struct uapi_client;

int master_uapi_listen(struct master *m);
void master_uapi_accept(struct master *m);
/* Serves fd (an accepted client, non-blocking) like any other. */
void master_uapi_adopt(struct master *m, int fd);
void master_uapi_client_event(struct master *m, struct uapi_client *c,
			      uint32_t events);
void master_uapi_close_clients(struct master *m);
/* Keeps what a dead lane had counted in the peers' totals. */
void master_uapi_lane_died(struct master *m, unsigned int lane);
/* Folds lane's "get" reply (NUL-terminated, modified) into the master's
 * peers, when its errno line says 0. */
void master_uapi_merge_reply(struct master *m, unsigned int lane, char *reply);
/* Sets the fwmark of every lane's socket, or of none (rolled back on a
 * failure partway); the configuration is the caller's. 0 or -errno. */
int master_set_fwmark(struct master *m, uint32_t mark);

#endif
