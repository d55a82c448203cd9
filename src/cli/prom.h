/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prometheus text exposition format (version 0.0.4) of tunlane's
 * interfaces, for `tunlane show --prometheus` (node_exporter's textfile
 * collector) and `tunlane metrics` (an HTTP exporter). Per-peer names
 * follow the common WireGuard exporters (wireguard_received_bytes_total,
 * wireguard_sent_bytes_total, wireguard_latest_handshake_seconds, labels
 * interface and public_key), so their dashboards carry over; lane metrics
 * are tunlane_lane_*.
 */
#ifndef TUNLANE_PROM_H
#define TUNLANE_PROM_H

#include <stdio.h>

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Writes every interface with a UAPI socket (ifname NULL) or one. Returns
 * the number of interfaces that could not be read (each is also counted
 * in tunlane_scrape_errors), or -errno when f failed. */
int prom_write(FILE *f, const char *ifname);

#endif
