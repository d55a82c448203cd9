// SPDX-License-Identifier: GPL-2.0-only
#include "tsfloor.h"

#include <string.h>
#include <sys/mman.h>

#define PROBES 64

struct tsfloor_entry *tsfloor_map(void)
{
	/* Shared, so it outlives the lane that writes it; NORESERVE and
	 * anonymous, so only pages a peer hashes to take memory. */
	void *p = mmap(NULL, TSFLOOR_SLOTS * sizeof(struct tsfloor_entry),
		       PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void tsfloor_unmap(struct tsfloor_entry *tab)
{
	if (tab)
		munmap(tab, TSFLOOR_SLOTS * sizeof(*tab));
}

static uint64_t tag_of(const uint8_t key[NOISE_PUBLIC_KEY_LEN])
{
	uint64_t t;

	memcpy(&t, key, sizeof(t));
	return t ? t : 1;
}

/* key's entry, or the first free one in its window (NULL: neither). */
static struct tsfloor_entry *find(const struct tsfloor_entry *tab, uint64_t tag)
{
	for (unsigned int i = 0; i < PROBES; i++) {
		const struct tsfloor_entry *e =
			&tab[(tag + i) & (TSFLOOR_SLOTS - 1)];

		if (e->tag == tag || !e->tag)
			return (struct tsfloor_entry *)e;
	}
	return NULL;
}

void tsfloor_store(struct tsfloor_entry *tab,
		   const uint8_t key[NOISE_PUBLIC_KEY_LEN],
		   const uint8_t ts[NOISE_TIMESTAMP_LEN])
{
	uint64_t tag = tag_of(key);
	struct tsfloor_entry *e = tab ? find(tab, tag) : NULL;

	if (!e)
		return;
	if (e->tag == tag && memcmp(ts, e->ts, NOISE_TIMESTAMP_LEN) <= 0)
		return;
	/* Timestamp first: a lane killed between the two writes leaves a
	 * free slot, not a floor of zero for a key. */
	memcpy(e->ts, ts, NOISE_TIMESTAMP_LEN);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	e->tag = tag;
}

void tsfloor_apply(const struct tsfloor_entry *tab,
		   const uint8_t key[NOISE_PUBLIC_KEY_LEN],
		   uint8_t ts[NOISE_TIMESTAMP_LEN])
{
	uint64_t tag = tag_of(key);
	const struct tsfloor_entry *e = tab ? find(tab, tag) : NULL;

	if (e && e->tag == tag && memcmp(e->ts, ts, NOISE_TIMESTAMP_LEN) > 0)
		memcpy(ts, e->ts, NOISE_TIMESTAMP_LEN);
}
