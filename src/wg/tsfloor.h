/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A lane's replay floor that survives the lane: the newest TAI64N
 * timestamp it accepted from each peer's initiation (whitepaper 5.1),
 * kept in a shared mapping the master creates per lane and never reads.
 * A respawned lane starts from it, so an initiation recorded before the
 * respawn is still refused after it (issue 9).
 *
 * The table is a fixed open-addressing hash keyed by the first 8 bytes of
 * the peer's public key: configured keys are not chosen by an attacker,
 * and a collision between two peers would only make one's floor too high
 * (a refused initiation, retried by the initiator with a newer time), never
 * too low. When the probe window is full, a peer goes without a floor, as
 * every peer did before.
 */
#ifndef TUNLANE_TSFLOOR_H
#define TUNLANE_TSFLOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "noise.h"

#define TSFLOOR_SLOTS (1U << 16)	/* 1.5 MiB per lane, touched lazily */

struct tsfloor_entry {
	uint64_t tag;			/* 0: empty */
	uint8_t ts[NOISE_TIMESTAMP_LEN];
	uint32_t pad;
};

/* A zeroed shared mapping of TSFLOOR_SLOTS entries; NULL on failure. */
struct tsfloor_entry *tsfloor_map(void);
void tsfloor_unmap(struct tsfloor_entry *tab);
/* Raises key's floor to ts (never lowers it). */
void tsfloor_store(struct tsfloor_entry *tab,
		   const uint8_t key[NOISE_PUBLIC_KEY_LEN],
		   const uint8_t ts[NOISE_TIMESTAMP_LEN]);
/* Raises ts to key's floor, if there is one. */
void tsfloor_apply(const struct tsfloor_entry *tab,
		   const uint8_t key[NOISE_PUBLIC_KEY_LEN],
		   uint8_t ts[NOISE_TIMESTAMP_LEN]);

#endif
