// SPDX-License-Identifier: GPL-2.0-only
/*
 * Receiver-index table (kernel peerlookup.c). Every handshake and keypair
 * we own is named on the wire by a 32-bit index we chose (whitepaper 5.4.2,
 * I_i and I_r). Indices are random, so they reveal neither how many
 * sessions exist nor which one is which, and an attacker cannot guess a
 * live one cheaply. Lookups are by index and type, hashed into chained
 * buckets; each lane owns its table and is single-threaded, so no locks.
 */
#include "index.h"

#include <stdbool.h>
#include <string.h>

#include "crypto.h"

#define INDEX_BUCKETS (1U << INDEX_TABLE_BITS)

/*
 * Multiplicative (Fibonacci) hash as the kernel's hash_32(): our own
 * indices are random, but lookups are for indices chosen by whoever sent
 * the packet, and mixing all 32 bits keeps low-bit patterns from piling
 * into one chain.
 */
static struct index_entry **bucket_of(const struct index_table *t,
				      uint32_t index)
{
	uint32_t h = (index * 0x61C88647U) >> (32 - INDEX_TABLE_BITS);

	return (struct index_entry **)&t->buckets[h];
}

void index_table_init(struct index_table *t)
{
	memset(t, 0, sizeof(*t));
}

void index_table_set_lane(struct index_table *t, uint32_t lane)
{
	t->lane = lane & ((1U << INDEX_LANE_BITS) - 1);
	t->lane_fixed = true;
}

static bool index_in_use(const struct index_table *t, uint32_t index)
{
	for (const struct index_entry *e = *bucket_of(t, index); e; e = e->next)
		if (e->index == index)
			return true;
	return false;
}

/*
 * Unlinks e if it is linked. We search by pointer rather than trusting a
 * flag, so removing an entry twice, or one whose index was handed over by
 * index_table_replace(), is harmless (the kernel relies on the same).
 */
void index_table_remove(struct index_table *t, struct index_entry *e)
{
	struct index_entry **pp;

	for (pp = bucket_of(t, e->index); *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			e->next = NULL;
			t->count--;
			return;
		}
	}
}

static uint32_t random_index(const struct index_table *t)
{
	uint32_t index = 0;

	/* crypto_random only fails when the OS CSPRNG does; retry rather than
	 * hand out a predictable index. */
	while (crypto_random(&index, sizeof(index)) != 0)
		;
	return t->lane_fixed ? index_with_lane(t->lane, index) : index;
}

uint32_t index_table_insert(struct index_table *t, struct index_entry *e)
{
	struct index_entry **head;
	uint32_t index;

	index_table_remove(t, e);
	/* Draw until the index is unique among all types, as the kernel does,
	 * so one index never names both a handshake and a keypair. */
	do
		index = random_index(t);
	while (index_in_use(t, index));

	e->index = index;
	head = bucket_of(t, index);
	e->next = *head;
	*head = e;
	t->count++;
	return index;
}

/*
 * The new entry takes over old's slot and index (kernel
 * wg_index_hashtable_replace): a completed handshake becomes a keypair
 * and the peer keeps addressing it by the index it already knows.
 */
void index_table_replace(struct index_table *t, struct index_entry *old,
			 struct index_entry *new)
{
	struct index_entry **pp;

	index_table_remove(t, new);
	for (pp = bucket_of(t, old->index); *pp; pp = &(*pp)->next) {
		if (*pp == old) {
			new->index = old->index;
			new->next = old->next;
			*pp = new;
			old->next = NULL;
			return;
		}
	}
}

struct index_entry *index_table_lookup(const struct index_table *t,
				       uint32_t index, enum index_type type)
{
	for (struct index_entry *e = *bucket_of(t, index); e; e = e->next)
		if (e->index == index && e->type == type)
			return e;
	return NULL;
}
