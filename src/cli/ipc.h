/* SPDX-License-Identifier: GPL-2.0-only */
/* Client side of the UAPI socket, for the tunlane CLI. */
#ifndef TUNLANE_IPC_H
#define TUNLANE_IPC_H

#include <stddef.h>
#include <stdint.h>
#include "crypto.h"
#include "endpoint.h"

struct ipc_peer {
	uint8_t public_key[CRYPTO_X25519_LEN];
	union endpoint endpoint;
	int64_t last_handshake_sec;
	uint64_t rx_bytes, tx_bytes;
	unsigned int persistent_keepalive;
	char **allowed_ips;
	size_t n_allowed_ips;
	int has_psk;
	union endpoint *lane_ep;	/* ipc_get_lanes: one per lane */
	unsigned int n_lane_ep;
	uint64_t live[4];		/* ipc_get_lanes: bit i, lane i is live */
};

struct ipc_device {
	uint8_t public_key[CRYPTO_X25519_LEN];
	int has_key;
	unsigned int listen_port;
	uint32_t fwmark;
	struct ipc_peer *peers;
	size_t n_peers;
};

/* Sends req (a complete request ending in "\n\n") to IFNAME's socket and
 * returns the reply in a malloc'd buffer. 0, or -errno (the daemon's
 * errno when it answered with one). */
int ipc_transact(const char *ifname, const char *req, char **reply,
		 size_t *rlen);
/* get=1 parsed. The private key is read only to derive the public one. */
int ipc_get(const char *ifname, struct ipc_device *dev);
/* ipc_get without the interface's own key (dev->has_key stays 0): for the
 * exporter, which must hold no secret; private_key and preshared_key
 * values are wiped from the reply as soon as they are read. */
int ipc_get_stats(const char *ifname, struct ipc_device *dev);
void ipc_device_free(struct ipc_device *dev);
/* tunlaned only: fills each peer's lane_ep[0..lanes-1] with the endpoint
 * each lane talks to (family 0 = none yet), and live with the lanes that
 * hold a session with it now. 0 or -errno. */
int ipc_get_lanes(const char *ifname, struct ipc_device *dev,
		  unsigned int lanes);
/* 1 when pid runs in the caller's network namespace (/proc/PID/ns/net
 * and /proc/self/ns/net are the same namespace), 0 when not, or -errno. */
int ipc_same_netns(int pid);
/* The pid serving IFNAME's socket, when it runs in another network
 * namespace than the caller: > 0 then, else 0. */
int ipc_foreign_daemon(const char *ifname);
/* The pid serving IFNAME's socket when it runs in the caller's network
 * namespace: > 0 then, else 0. */
int ipc_local_daemon(const char *ifname);
/* Calls fn for every interface served by a daemon of the caller's network
 * namespace (its own sockets, then the stock path for others such as
 * wireguard-go), each once. The number of calls. */
int ipc_list(void (*fn)(const char *ifname, void *arg), void *arg);
/* The pid of the process serving IFNAME's socket, from the kernel
 * (SO_PEERCRED), so no file a user could forge names it. > 0 or -errno. */
int ipc_daemon_pid(const char *ifname);

#endif
