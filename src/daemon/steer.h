/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-peer lanes (tunlaned(8), "PER-PEER LANES"): which lanes hold a live
 * session with which peer, shared by the master and every lane, and the
 * kernel side that uses it. With BPF, the table is the steering program's
 * map (mmapped), the program is attached to the tun, and the master mirrors
 * allowed-IPs into its LPM tries; without (refused by the kernel, or
 * TUNLANE_BPF=off), the same table lives in plain shared memory and the
 * tun spreads flows by its own hash, as before.
 */
#ifndef TUNLANE_STEER_H
#define TUNLANE_STEER_H

#include <stdbool.h>
#include <stdint.h>
#include "device.h"
#include "lanes_bpf.h"
#include "mirror.h"

struct ebpf_obj;

struct steer {
	struct ebpf_obj *obj;		/* NULL without BPF */
	struct ebpf_obj *sel;		/* the SO_REUSEPORT program */
	int socks_fd;			/* its REUSEPORT_SOCKARRAY */
	int routes4_fd, routes6_fd;
	struct tl_peer_slot *slots;	/* PEER_SLOTS, shared with lanes */
	size_t slots_len;
	unsigned int lanes;
	struct mirror mirror;
};

/* Sets up the table and, if want_bpf and the kernel agrees, the steering
 * program on tun_fd. Says in one log line which it is (nothing for a
 * single lane). 0 or -errno (only when not even shared memory can be
 * had). */
int steer_setup(struct steer *s, unsigned int lanes, int tun_fd, bool want_bpf);
bool steer_has_bpf(const struct steer *s);
/* Master: make the kernel's routes match dev's allowed-IPs. */
void steer_sync_routes(struct steer *s, const struct wg_device *dev);
/* Master: lane died, so no peer may be steered to it any more. */
void steer_lane_died(struct steer *s, unsigned int lane);
/* A lane forked: it keeps the table and drops everything else. */
void steer_lane_detach(struct steer *s);
void steer_set_live(struct steer *s, uint32_t slot, unsigned int lane,
		    bool live);
bool steer_is_live(const struct steer *s, uint32_t slot, unsigned int lane);
/* Whether a lane other than except holds a live session with the peer. */
bool steer_other_live(const struct steer *s, uint32_t slot, unsigned int except);
/* The lane that last had a live session with the peer, -1 if none. */
int steer_home(const struct steer *s, uint32_t slot);
/* The lane with the peer's plain session, -1 if none. */
int steer_plain_owner(const struct steer *s, uint32_t slot);
void steer_set_plain_owner(struct steer *s, uint32_t slot, unsigned int lane);
/* Whether the peer's lane 0 is that of a multi-lane tunlane (tl_peer_slot). */
bool steer_is_multi(const struct steer *s, uint32_t slot);
void steer_set_multi(struct steer *s, uint32_t slot, bool multi);
/* Master: the slot was given to a new peer; forget the old one's state. */
void steer_slot_reset(struct steer *s, uint32_t slot);
/* The last endpoint a lane saw the peer at; false when none. */
bool steer_get_endpoint(const struct steer *s, uint32_t slot,
			union endpoint *ep);
void steer_put_endpoint(struct steer *s, uint32_t slot, unsigned int lane,
			const union endpoint *ep);
/* Master: lane i receives plain WireGuard through fds[i] of one
 * SO_REUSEPORT group (fds[0] first); the program steers by receiver
 * index. 0 or -errno (logged by the caller; lanes then use only their
 * own ports, as without BPF). */
int steer_attach_group(struct steer *s, const int *fds);
/* Master, a live Lanes change (tunlaned(8)): the lane count the BPF
 * programs steer over. 0 or -errno. */
int steer_set_lanes(struct steer *s, unsigned int lanes);
/* Master: lane i's socket joins (fd >= 0) or leaves (fd < 0) the shared
 * ListenPort's REUSEPORT_SOCKARRAY. 0 or -errno. */
int steer_set_member(struct steer *s, uint32_t lane, int fd);
/* Master, after lanes >= lanes were retired: a peer homed there waits on
 * lane 0 instead, and a plain session held there is nobody's. true when
 * the peer had one of them and no lane is live with it now: it needs a
 * handshake from a lane that stays. */
bool steer_rehome(struct steer *s, uint32_t slot, unsigned int lanes);
void steer_free(struct steer *s);

#endif
