// SPDX-License-Identifier: GPL-2.0-only
/*
 * Anti-replay window for transport data counters.
 *
 * This is the RFC 6479 ring-of-words scheme exactly as the WireGuard kernel
 * module's counter_validate() applies it (drivers/net/wireguard/receive.c):
 * the window is a ring of COUNTER_BITS_TOTAL bits held in 64-bit words, and
 * one whole word is kept as slack so that advancing the window can clear
 * words wholesale instead of bit by bit. That slack is why only
 * COUNTER_WINDOW_SIZE (= total - one word) packets of reordering are
 * tolerated (whitepaper 5.4.6).
 *
 * Counters are stored shifted by one ("their_counter + 1"), so that
 * r->counter == 0 can mean "nothing received yet" while counter 0 itself is
 * still acceptable; r->counter is the highest counter seen plus one.
 */
#include "replay.h"

#include <string.h>

#define RING_WORDS (COUNTER_BITS_TOTAL / COUNTER_WORD_BITS)
#define WORD_SHIFT 6 /* log2(COUNTER_WORD_BITS) */

_Static_assert((RING_WORDS & (RING_WORDS - 1)) == 0,
	       "ring index is masked, so it must be a power of two");
_Static_assert(COUNTER_WORD_BITS == 64 && (1 << WORD_SHIFT) == 64,
	       "backtrack words are uint64_t");

void replay_init(struct replay_counter *r)
{
	memset(r, 0, sizeof(*r));
}

/*
 * Moves the top of the window up to @next (an already incremented counter)
 * and zeroes every ring word between the old top word and the new one. At
 * most the whole ring is cleared, however far the counter jumped, which
 * keeps this O(ring) rather than O(jump).
 */
static void window_advance(struct replay_counter *r, uint64_t next)
{
	uint64_t index = next >> WORD_SHIFT;
	uint64_t index_current = r->counter >> WORD_SHIFT;
	uint64_t top = index - index_current;
	uint64_t i;

	if (top > RING_WORDS)
		top = RING_WORDS;
	for (i = 1; i <= top; ++i)
		r->backtrack[(i + index_current) & (RING_WORDS - 1)] = 0;
	r->counter = next;
}

bool replay_counter_validate(struct replay_counter *r, uint64_t counter)
{
	uint64_t index, bit;
	bool seen;

	/* Past this point the nonce would be reused; the kernel refuses both
	 * the incoming counter and any state that already got there. */
	if (r->counter >= REJECT_AFTER_MESSAGES + 1 ||
	    counter >= REJECT_AFTER_MESSAGES)
		return false;

	++counter;

	/* Cannot overflow: counter <= REJECT_AFTER_MESSAGES here. */
	if (COUNTER_WINDOW_SIZE + counter < r->counter)
		return false;

	if (counter > r->counter)
		window_advance(r, counter);

	index = (counter >> WORD_SHIFT) & (RING_WORDS - 1);
	bit = 1ULL << (counter & (COUNTER_WORD_BITS - 1));
	seen = r->backtrack[index] & bit;
	r->backtrack[index] |= bit;
	return !seen;
}
