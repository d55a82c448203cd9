/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The WireGuard device as one lane sees it: identity, peers, routing table,
 * sessions and timers. The master keeps a device too, holding only the
 * configuration (no sessions), from which it answers "get" and which a
 * freshly forked lane inherits.
 */
#ifndef TUNLANE_DEVICE_H
#define TUNLANE_DEVICE_H

#include <net/if.h>
#include <sys/uio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "allowedips.h"
#include "cookie.h"
#include "endpoint.h"
#include "index.h"
#include "messages.h"
#include "noise.h"
#include "offload.h"
#include "peerhash.h"
#include "ratelimiter.h"
#include "stats.h"

struct uapi_set;

#define MAX_STAGED_PACKETS 128
/* Peers get a slot, the lowest free one, so that the master and every lane
 * (which apply the same configuration in the same order) agree on it; the
 * kernel's steering tables are indexed by it. Peers past the last slot
 * still work, on lane 0 only. */
#define PEER_SLOTS     65536
#define PEER_NO_SLOT   UINT32_MAX

/* A handshake message waiting for its turn (receive.c). */
struct handshake_item {
	union endpoint src;
	/* Our address it was sent to: handled later, after other datagrams
	 * have overwritten dev->rx_local, and the reply must leave from it. */
	struct endpoint_src local;
	bool shared;			/* came in on udp_shared_fd */
	uint32_t len;
	uint8_t buf[MESSAGE_INITIATION_LEN];
};

struct staged_packet {
	struct staged_packet *next;
	size_t len;
	uint8_t data[];
};

/* Timer deadlines in clock_now() ns; 0 means not armed (timers.c). */
enum peer_timer {
	TIMER_RETRANSMIT_HANDSHAKE,
	TIMER_SEND_KEEPALIVE,
	TIMER_NEW_HANDSHAKE,
	TIMER_ZERO_KEY_MATERIAL,
	TIMER_PERSISTENT_KEEPALIVE,
	TIMER_MAX,
};

struct wg_device;
struct wg_peer;

/*
 * Datagrams encrypted in one pass over the tun, sent together: runs of
 * equal-size datagrams to one peer leave in one sendmsg with UDP_SEGMENT
 * (GSO), so the kernel pays per batch rather than per packet.
 */
#define TX_BATCH 64

struct tx_batch {
	unsigned int n;
	bool gso;			/* cleared when the kernel refuses GSO */
	struct wg_peer *peer[TX_BATCH];
	struct iovec iov[TX_BATCH];
};

/*
 * Decrypted packets waiting to be written to the tun: with a vnet header,
 * consecutive segments of one TCP flow are written as one super-packet.
 */
#define RX_BATCH 128

struct rx_batch {
	unsigned int n;
	struct offload_pkt pkt[RX_BATCH];
	struct offload_out out[RX_BATCH];
	struct iovec iov[RX_BATCH];	/* super-packets' payloads */
};

struct wg_peer {
	struct wg_peer *next, *prev;	/* dev->peers, newest first */
	struct wg_peer *hash_next;	/* dev->peerhash chain */
	struct wg_device *dev;
	struct noise_handshake handshake;
	struct noise_keypairs keypairs;
	struct cookie latest_cookie;
	/* Endpoint as configured or last roamed to, in lane-0 terms: lane i
	 * sends to port + i (docs/design.md section 1). sa_family 0 = unknown. */
	union endpoint endpoint;
	union endpoint last_src;	/* raw source of the last packet */
	/* Our address that the peer last sent to, to send from (sticky
	 * source, as the kernel's WireGuard); cleared when it goes away or
	 * the endpoint is set by hand. */
	struct endpoint_src src;
	uint16_t persistent_keepalive;	/* seconds, 0 = off */
	uint64_t rx_bytes, tx_bytes;
	int64_t last_handshake_sec, last_handshake_nsec;
	/* Master only: each lane's last reported byte counts for this peer,
	 * and what lanes that have since died had counted, so the sums in a
	 * "get" never go backwards when a lane is respawned. */
	struct peer_lane_bytes {
		uint64_t rx, tx;
	} *lane_bytes;
	uint64_t carried_rx, carried_tx;
	uint64_t timers[TIMER_MAX];
	/* Place + 1 in dev->timer_heap (0: not there) and the deadline it is
	 * filed under there, never later than its earliest armed timer. */
	size_t timer_slot;
	uint64_t timer_key;
	unsigned int timer_handshake_attempts;
	/* Since when initiations went unanswered (0 = none pending), and
	 * whether that was reported: data resets the attempt count, not this. */
	uint64_t unanswered_since;
	bool warned_unanswered;
	bool timer_need_another_keepalive;
	bool sent_lastminute_handshake;
	uint64_t last_sent_handshake;	/* clock_now() ns, 0 = never */
	struct staged_packet *staged_head, *staged_tail;
	unsigned int staged_count;
	uint64_t id;			/* for log lines */
	uint32_t slot;			/* PEER_NO_SLOT when none was free */
	bool live;			/* this lane can send to it (last told) */
	/* Lanes 1..N-1: this peer's session here is plain WireGuard through
	 * the shared ListenPort socket (a stock client the kernel sent here),
	 * not the lane-bound one through ListenPort + lane. */
	bool plain;
	/* Lanes 1..N-1: next bound handshake to try, and the wait after it. */
	uint64_t next_probe, probe_wait;
	/* Lanes 1..N-1: the peer's lane of our number retired (its notice,
	 * MESSAGE_LANE_RETIRE): until then (clock_now() ns, 0 = never) we send
	 * it no initiation, so tun traffic or a timer does not open a session
	 * to a lane about to die. Its own initiations are still answered: its
	 * lane may come back (a Lanes change up again). */
	uint64_t retired_until;
};

struct tsfloor_entry;
/* Told when this lane gains or loses a session that can send to peer. */
typedef void (*device_live_fn)(struct wg_device *dev, struct wg_peer *peer,
			       bool live);

struct wg_device {
	char ifname[IFNAMSIZ];
	unsigned int lane;		/* this process's lane index */
	bool is_lane;			/* false in the master: config only */
	struct noise_static_identity static_identity;
	struct cookie_checker cookie_checker;
	struct ratelimiter ratelimiter;
	struct index_table index;
	struct allowedips allowedips;
	struct wg_peer *peers;
	size_t npeers;
	struct peerhash peerhash;	/* the same peers, by public key */
	uint64_t next_peer_id;
	uint16_t listen_port;		/* lane 0's port; lane i has + i */
	uint32_t fwmark;
	int tun_fd;
	int udp_fd;
	int udp_shared_fd;		/* lanes 1..N-1: ListenPort, -1 = none */
	bool rx_shared;			/* the datagram came in on udp_shared_fd */
	int udp_family;			/* AF_INET6 (dual stack) or AF_INET */
	unsigned int mtu;
	bool vnet_hdr;			/* tun I/O carries virtio_net_hdr */
	struct rx_batch *rxb;		/* lanes coalesce writes; NULL writes at once */
	struct tx_batch *txb;		/* lanes batch sends; NULL sends at once */
	unsigned int send_waits;	/* waits for socket room left (send.c) */
	/* Our address the datagram being processed was sent to (its
	 * IP_PKTINFO / IPV6_PKTINFO), for peer_set_endpoint_from. */
	struct endpoint_src rx_local;
	struct lane_stats *stats;	/* this lane's shared slot (or local) */
	struct tsfloor_entry *tsfloor;	/* replay floors kept over respawns */
	struct lane_stats local_stats;
	/* Handshake admission (receive.c): the queue (NULL: handshakes are
	 * handled as they come, as in unit tests), when it last was under
	 * load, and the ration of cookie replies. */
	struct handshake_item *hsq;
	unsigned int hsq_head, hsq_len;
	uint64_t last_under_load;
	struct ratelimiter cookie_ratelimiter;
	uint64_t cookie_tokens, cookie_tokens_time;
	uint64_t next_timer;		/* earliest armed peer timer, 0 = none */
	/* Peers with a timer armed, as a binary min-heap on timer_key, so a
	 * timer pass touches only the peers that are due (timers.c). */
	struct wg_peer **timer_heap;
	size_t timer_heap_len, timer_heap_cap;
	bool timer_heap_full;		/* a peer could not be filed */
	uint64_t slot_used[PEER_SLOTS / 64];
	device_live_fn on_live;		/* NULL: nobody listens */
	void (*on_endpoint)(struct wg_device *dev, struct wg_peer *peer);
	/* The peer's lane retired (MESSAGE_LANE_RETIRE on this session). */
	void (*on_retire)(struct wg_device *dev, struct wg_peer *peer);
	void *live_arg;
	/* The master is taking this lane away (a live Lanes change): it
	 * neither answers nor sends handshakes, so no session starts on a lane
	 * that will not be there to carry it. */
	bool retiring;
};

/* Sets up an empty device. is_lane enables sessions and I/O. */
int device_init(struct wg_device *dev, const char *ifname, bool is_lane,
		unsigned int lane);
void device_free(struct wg_device *dev);

/* Applies a parsed set request (uapi.h). Validation happened in the
 * parser; this only fails on -ENOMEM. */
int device_apply(struct wg_device *dev, const struct uapi_set *set);
/* Writes the "get" reply body (without errno) into a malloc'd buffer. */
int device_get(struct wg_device *dev, char **out, size_t *outlen);
/* The same for a lane's runtime figures only: public_key, endpoint,
 * last_handshake_time_*, tx_bytes, rx_bytes per peer; at most
 * DEVICE_STATS_PEER_MAX bytes per peer. */
#define DEVICE_STATS_PEER_MAX 512
int device_get_stats(struct wg_device *dev, char **out, size_t *outlen);

struct wg_peer *device_peer_by_key(struct wg_device *dev,
				   const uint8_t key[NOISE_PUBLIC_KEY_LEN]);
void device_count_drop(struct wg_device *dev, enum stats_drop why);

/* peer.c */
struct wg_peer *peer_create(struct wg_device *dev,
			    const uint8_t public_key[NOISE_PUBLIC_KEY_LEN]);
void peer_remove(struct wg_peer *peer);
/* True when the current session can carry data now. */
bool peer_can_send(const struct wg_peer *peer);
/* Re-evaluates peer_can_send and tells dev->on_live when it changed. */
void peer_update_live(struct wg_peer *peer);
void peer_set_endpoint_from(struct wg_peer *peer, const union endpoint *src);
void peer_stage_packet(struct wg_peer *peer, const uint8_t *pkt, size_t len);
void peer_purge_staged(struct wg_peer *peer);
/* Key shown in logs: the first 8 base64 chars of the public key. */
const char *peer_name(const struct wg_peer *peer);

/* timers.c (kernel timers.c semantics, whitepaper 6) */
void timers_arm(struct wg_peer *peer, enum peer_timer t, uint64_t delay);
void timers_disarm(struct wg_peer *peer, enum peer_timer t);
bool timers_pending(const struct wg_peer *peer, enum peer_timer t);
/* Fires the expired timers of the peers that are due; returns the next
 * deadline or 0. */
uint64_t timers_run(struct wg_device *dev);
/* Forgets a peer's timers (before it is freed). */
void timers_peer_removed(struct wg_peer *peer);
void timers_free(struct wg_device *dev);
void timers_data_sent(struct wg_peer *peer);
void timers_data_received(struct wg_peer *peer);
void timers_any_authenticated_packet_sent(struct wg_peer *peer);
void timers_any_authenticated_packet_received(struct wg_peer *peer);
void timers_handshake_initiated(struct wg_peer *peer);
void timers_handshake_complete(struct wg_peer *peer);
void timers_session_derived(struct wg_peer *peer);
void timers_any_authenticated_packet_traversal(struct wg_peer *peer);

/* send.c */
void send_handshake_initiation(struct wg_peer *peer, bool is_retry);
void send_handshake_response(struct wg_peer *peer);
void send_handshake_cookie(struct wg_device *dev, const void *msg, size_t len,
			   uint32_t sender_index, const union endpoint *src);
void send_keepalive(struct wg_peer *peer);
/* Sends what is staged, starting a handshake when no session can. */
void send_staged_packets(struct wg_peer *peer);
/* A packet read from the tun: route it and encrypt it, or stage it. */
void send_tun_packet(struct wg_device *dev, uint8_t *pkt, size_t len);
/* The same, encrypting from pkt into slot (header + ciphertext + tag), so
 * a segment cut in place in a super-packet is not copied first. */
void send_tun_packet_to(struct wg_device *dev, const uint8_t *pkt, size_t len,
			uint8_t *slot);
/* Sends what the tx batch holds. */
void send_flush(struct wg_device *dev);

/* receive.c */
/* Handles one datagram; buf may be modified (decrypted in place). */
void receive_packet(struct wg_device *dev, uint8_t *buf, size_t len,
		    const union endpoint *src);
/* Handles what one recvmsg returned into mh's single iovec (len bytes):
 * one datagram, or several glued by UDP GRO (a UDP_GRO control message
 * gives their size). */
struct msghdr;
void receive_msghdr(struct wg_device *dev, struct msghdr *mh, size_t len,
		    const union endpoint *src);
/* Under load when backlog handshakes wait (UNDER_LOAD_BACKLOG or more),
 * and for UNDER_LOAD_AFTER since it last was. */
bool receive_under_load(struct wg_device *dev, unsigned int backlog);
/* Gives the device a handshake queue: handshakes that pass mac1 then wait
 * for receive_handshakes(). 0 or -ENOMEM. */
int receive_queue_init(struct wg_device *dev);
void receive_queue_free(struct wg_device *dev);
/* Handles at most budget queued handshakes; true if more wait. */
bool receive_handshakes(struct wg_device *dev, unsigned int budget);
/* Writes what the rx batch holds to the tun. */
void receive_flush(struct wg_device *dev);

#endif
