/* SPDX-License-Identifier: GPL-2.0-only */
/* Which UDP port of a lane range another socket holds, to say so. */
#ifndef TUNLANE_PORTPROBE_H
#define TUNLANE_PORTPROBE_H

#include <stdint.h>

/* Which of the ports base..base+n-1 another socket holds (bound the way
 * lanes bind: dual-stack IPv6, or IPv4 without IPv6): its index, that is
 * the lane, or -1 when all are free now. */
int portprobe_busy(uint16_t base, unsigned int n);

#endif
