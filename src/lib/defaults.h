/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Limits and places that tunlaned, tunlane and tunshare must agree on,
 * defined once. The directories come from the Makefile (RUNSTATEDIR,
 * SYSCONFDIR, passed to every compile), so a packager who moves them
 * moves them for every program at once.
 */
#ifndef TUNLANE_DEFAULTS_H
#define TUNLANE_DEFAULTS_H

#if !defined(RUNSTATEDIR) || !defined(SYSCONFDIR)
#error "build with the Makefile: it defines RUNSTATEDIR and SYSCONFDIR"
#endif

/*
 * One lane per tun queue, and a multi-queue tun has at most 256 queues
 * (MAX_TAP_QUEUES in the kernel's drivers/net/tun.c).
 */
#define LANES_MAX	256

/*
 * The longest "tunlane_set_lanes=N" request (tunlane reload to tunlaned):
 * the line, then "cpus=" and LANES_MAX CPU numbers of up to 4 digits
 * with their commas, then the empty line.
 */
#define LANES_REQ_MAX	(32 + 5 + LANES_MAX * 5 + 2)

/*
 * WireGuard's default (wg-quick): 1500 less the largest overhead, an IPv6
 * outer header (40), UDP (8), the data header (16) and the tag (16).
 */
#define DEFAULT_MTU	1420

/* Where wg(8) looks for IFNAME.sock (wireguard.com/xplatform). */
#define UAPI_SOCK_DIR	RUNSTATEDIR "/wireguard"
/* IFNAME.stats pages; root only, unlike /dev/shm where anyone could
 * create the name first. */
#define STATS_DIR	RUNSTATEDIR "/tunlane"
/* tunshare's NAME@NETNS.state files. */
#define TS_STATE_DIR	RUNSTATEDIR "/tunshare"
/* Where `tunlane up IFNAME` looks for IFNAME.conf. */
#define CONFIG_DIR	SYSCONFDIR "/tunlane"
/* ...and, when CONFIG_DIR has none, where wg-quick keeps it. */
#define CONFIG_WG_DIR	SYSCONFDIR "/wireguard"

#endif
