/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Receiver-index table (kernel peerlookup.c): maps the random 32-bit
 * session indices we hand to peers back to the handshake or keypair they
 * name. Indices are random so they reveal nothing and are hard to guess.
 */
#ifndef TUNLANE_INDEX_H
#define TUNLANE_INDEX_H

#include <stdbool.h>
#include <stdint.h>

enum index_type {
	INDEX_NONE = 0,
	INDEX_HANDSHAKE = 1,
	INDEX_KEYPAIR = 2,
};

struct index_entry {
	struct index_entry *next;	/* hash chain */
	uint32_t index;
	enum index_type type;
	void *peer;			/* opaque owner */
};

#define INDEX_TABLE_BITS 13

struct index_table {
	struct index_entry *buckets[1U << INDEX_TABLE_BITS];
	uint32_t count;
	uint32_t lane;			/* put in the top bits of every index */
	bool lane_fixed;		/* else all 32 bits are random */
};

/*
 * The lane that handed out an index is its top INDEX_LANE_BITS bits, so the
 * kernel (the SO_REUSEPORT program, src/daemon/bpf/) can steer a response,
 * cookie or data message to that lane without any shared table; the other
 * 24 bits stay random. A lane owns 2^24 indices, far more than it can
 * have live handshakes and keypairs.
 */
#define INDEX_LANE_BITS  8
#define INDEX_LANE_SHIFT (32 - INDEX_LANE_BITS)
#define INDEX_RANDOM_MASK ((1U << INDEX_LANE_SHIFT) - 1)

static inline uint32_t index_lane_of(uint32_t index)
{
	return index >> INDEX_LANE_SHIFT;
}

static inline uint32_t index_with_lane(uint32_t lane, uint32_t random)
{
	return lane << INDEX_LANE_SHIFT | (random & INDEX_RANDOM_MASK);
}

void index_table_init(struct index_table *t);
/* Every index t hands out from now on names lane (< 2^INDEX_LANE_BITS).
 * Without this call (a single-lane daemon) indices are fully random, so
 * such a peer looks like any stock client to a multi-lane hub. */
void index_table_set_lane(struct index_table *t, uint32_t lane);
/* Assigns a fresh random index unused in t and links e. e->type and
 * e->peer must be set by the caller. If e is already linked it is moved.
 * Returns the index. */
uint32_t index_table_insert(struct index_table *t, struct index_entry *e);
/* Makes new take old's index (used when a handshake becomes a keypair). */
void index_table_replace(struct index_table *t, struct index_entry *old,
			 struct index_entry *new);
void index_table_remove(struct index_table *t, struct index_entry *e);
/* Returns the entry with this index and type, or NULL. */
struct index_entry *index_table_lookup(const struct index_table *t,
				       uint32_t index, enum index_type type);

#endif
