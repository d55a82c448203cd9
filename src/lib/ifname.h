/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one interface-name rule of tunlaned, tunlane up and tunlane down:
 * wg-quick's [a-zA-Z0-9_=+.-]{1,15}, minus the two names the kernel's
 * dev_valid_name() refuses ("." and "..").
 */
#ifndef TUNLANE_IFNAME_H
#define TUNLANE_IFNAME_H

#include <stdbool.h>
#include <stddef.h>

/* True when the n bytes at s form a valid interface name. */
bool ifname_valid(const char *s, size_t n);

#endif
