/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Receiver-index table (kernel peerlookup.c): maps the random 32-bit
 * session indices we hand to peers back to the handshake or keypair they
 * name. Indices are random so they reveal nothing and are hard to guess.
 */
#ifndef TUNLANE_INDEX_H
#define TUNLANE_INDEX_H

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
};

void index_table_init(struct index_table *t);
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
