/* SPDX-License-Identifier: GPL-2.0-only */
/* What the supervisor and ts_server.bpf.c share: the layout of the
 * configuration map and the map sizes. Included by both sides. */
#ifndef TS_BPF_MAPS_H
#define TS_BPF_MAPS_H

#include <linux/types.h>

#define TS_BPF_MAX_LANES   256
#define TS_BPF_MAX_CLIENTS 65536	/* default; --max-clients */
/* A client not heard from for this long leaves the table (OpenVPN's
 * keepalive pings every few seconds; its server side gives up sooner). */
#define TS_BPF_IDLE_NS (300ULL * 1000000000ULL)

struct ts_bpf_conf {
	__u32 lanes;	/* lanes in the group */
	__u32 first;	/* first pool address, host byte order */
	__u32 size;	/* addresses per lane's pool */
	__u32 next;	/* round-robin cursor for new clients */
};

struct ts_bpf_client {
	__u64 seen;	/* bpf_ktime_get_ns(), CLOCK_MONOTONIC */
	__u32 lane;
	__u32 pad;
};

#endif
