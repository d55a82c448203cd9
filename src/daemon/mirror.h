/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Keeps a kernel map (the steering program's LPM tries) equal to the
 * allowed-IPs of a device: prefix -> peer slot. Pure code: the map is
 * reached only through mirror_ops, so tests check the contents without a
 * kernel. Each sync walks the whole table (linear, in memory) and touches
 * the map only for the prefixes that changed.
 */
#ifndef TUNLANE_MIRROR_H
#define TUNLANE_MIRROR_H

#include <stddef.h>
#include <stdint.h>
#include "device.h"

struct mirror_ops {
	/* Sets family/addr/cidr -> slot (insert or overwrite); 0 or -errno. */
	int (*update)(void *ctx, int family, const uint8_t *addr, uint8_t cidr,
		      uint32_t slot);
	int (*remove)(void *ctx, int family, const uint8_t *addr, uint8_t cidr);
	void *ctx;
};

struct mirror_entry {
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t cidr;
	uint8_t addr[16];		/* zero past the address */
	uint32_t slot;
};

struct mirror {
	struct mirror_entry *e;		/* what the map holds, sorted */
	size_t n;
};

/* Makes the map hold exactly dev's allowed-IPs of peers with a slot.
 * 0, or the first -errno of an op (the mirror then re-sends next time). */
int mirror_sync(struct mirror *m, const struct wg_device *dev,
		const struct mirror_ops *ops);
void mirror_free(struct mirror *m);

#endif
