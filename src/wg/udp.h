/* SPDX-License-Identifier: GPL-2.0-only */
/* The lanes' UDP sockets: lane i is bound to base port + i. */
#ifndef TUNLANE_UDP_H
#define TUNLANE_UDP_H

#include <stdint.h>

/* Opens one socket per lane on consecutive ports from base (0 = pick a
 * free random base). Dual-stack IPv6 when the host has IPv6, else IPv4.
 * On success fills fds, *base_out and *family; 0 or -errno. */
int udp_open_lanes(int *fds, unsigned int n, uint16_t base, uint32_t fwmark,
		   uint16_t *base_out, int *family);
/* Sets SO_MARK (needs CAP_NET_ADMIN, so only the master calls it). */
int udp_set_fwmark(int fd, uint32_t mark);
void udp_close_all(int *fds, unsigned int n);

#endif
