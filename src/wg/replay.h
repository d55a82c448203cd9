/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sliding anti-replay window for transport data counters (RFC 6479,
 * WireGuard whitepaper 5.4.6): a ring of COUNTER_BITS_TOTAL bits of which
 * COUNTER_WINDOW_SIZE are usable, so out-of-order arrival within 8128
 * packets is accepted once.
 */
#ifndef TUNLANE_REPLAY_H
#define TUNLANE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include "messages.h"

struct replay_counter {
	uint64_t counter;	/* highest counter seen plus one; 0 = none yet */
	uint64_t backtrack[COUNTER_BITS_TOTAL / COUNTER_WORD_BITS];
};

void replay_init(struct replay_counter *r);
/*
 * Returns true when counter is acceptable (not too old, not seen before,
 * below REJECT_AFTER_MESSAGES) and records it. Call only after the packet
 * authenticated, so forged packets cannot move the window.
 */
bool replay_counter_validate(struct replay_counter *r, uint64_t counter);

#endif
