// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests for the anti-replay window (src/replay.c). The fixed sequences are
 * the input/expected pairs of the WireGuard kernel module's
 * wg_packet_counter_selftest() (drivers/net/wireguard/selftest/counter.c),
 * rewritten as tables; a randomized differential test against a naive
 * "set of seen counters" model covers what the fixed cases do not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "replay.h"

/* The kernel selftest's T_LIM: one beyond the usable window. */
#define LIM ((uint64_t)COUNTER_WINDOW_SIZE + 1)
#define RAM REJECT_AFTER_MESSAGES

struct step {
	uint64_t counter;
	bool accept;
};

static void run_steps(struct replay_counter *r, const struct step *s,
		      size_t n)
{
	size_t i;

	for (i = 0; i < n; ++i) {
		bool got = replay_counter_validate(r, s[i].counter);

		if (got != s[i].accept)
			fail_msg("step %zu: counter %llu: got %d, want %d",
				 i + 1, (unsigned long long)s[i].counter, got,
				 s[i].accept);
	}
}

static void expect(struct replay_counter *r, uint64_t c, bool want)
{
	bool got = replay_counter_validate(r, c);

	if (got != want)
		fail_msg("counter %llu: got %d, want %d",
			 (unsigned long long)c, got, want);
}

/* Kernel selftest steps 1-34, one continuous window. */
static void test_kernel_sequence(void **state)
{
	static const struct step seq[] = {
		{ 0, true }, { 1, true }, { 1, false }, { 9, true },
		{ 8, true }, { 7, true }, { 7, false },
		/* Jumping to the window edge keeps 1..LIM-1 reachable. */
		{ LIM, true }, { LIM - 1, true }, { LIM - 1, false },
		{ LIM - 2, true }, { 2, true }, { 2, false },
		/* Moving 16 further pushes 3 out of the window. */
		{ LIM + 16, true }, { 3, false }, { LIM + 16, false },
		/* Large jump: exactly at the trailing edge is accepted,
		 * one below it is not. */
		{ LIM * 4, true }, { LIM * 4 - (LIM - 1), true },
		{ 10, false }, { LIM * 4 - LIM, false },
		{ LIM * 4 - (LIM + 1), false },
		{ LIM * 4 - (LIM - 2), true },
		{ LIM * 4 + 1 - LIM, false }, { 0, false },
		/* Near the hard limit on messages per key. */
		{ RAM, false }, { RAM - 1, true }, { RAM, false },
		{ RAM - 1, false }, { RAM - 2, true }, { RAM + 1, false },
		{ RAM + 2, false }, { RAM - 2, false }, { RAM - 3, true },
		{ 0, false },
	};
	struct replay_counter r;

	replay_init(&r);
	run_steps(&r, seq, sizeof(seq) / sizeof(seq[0]));
	/* Highest accepted was RAM - 1, stored plus one. */
	assert_int_equal(r.counter, RAM);
}

/*
 * The kernel also refuses everything once the stored top has passed the
 * limit. The API cannot get there (counters >= the limit are refused), so
 * plant the state directly to check the guard.
 */
static void test_exhausted_state(void **state)
{
	struct replay_counter r;

	replay_init(&r);
	r.counter = RAM + 1;
	expect(&r, RAM - 1, false);
	expect(&r, RAM - 2, false);
	r.counter = RAM;
	expect(&r, RAM - 2, true);
}

/* Ascending 1..W leaves 0 exactly at the trailing edge. */
static void test_fill_then_zero(void **state)
{
	struct replay_counter r;
	uint64_t i;

	replay_init(&r);
	for (i = 1; i <= COUNTER_WINDOW_SIZE; ++i)
		expect(&r, i, true);
	expect(&r, 0, true);
	expect(&r, 0, false);
}

/* Ascending 2..W+1: 1 is at the edge, 0 is one beyond it. */
static void test_fill_shifted(void **state)
{
	struct replay_counter r;
	uint64_t i;

	replay_init(&r);
	for (i = 2; i <= COUNTER_WINDOW_SIZE + 1; ++i)
		expect(&r, i, true);
	expect(&r, 1, true);
	expect(&r, 0, false);
}

/* Descending W..0: every one of them fits in the window. */
static void test_descending_full(void **state)
{
	struct replay_counter r;
	uint64_t i;

	replay_init(&r);
	for (i = COUNTER_WINDOW_SIZE + 1; i-- > 0;)
		expect(&r, i, true);
}

/* Descending W+1..1: 0 is then one beyond the edge. */
static void test_descending_shifted(void **state)
{
	struct replay_counter r;
	uint64_t i;

	replay_init(&r);
	for (i = COUNTER_WINDOW_SIZE + 2; i-- > 1;)
		expect(&r, i, true);
	expect(&r, 0, false);
}

/* Descending W..1, then W+1 moves the edge past 0. */
static void test_descending_then_advance(void **state)
{
	struct replay_counter r;
	uint64_t i;

	replay_init(&r);
	for (i = COUNTER_WINDOW_SIZE + 1; i-- > 1;)
		expect(&r, i, true);
	expect(&r, COUNTER_WINDOW_SIZE + 1, true);
	expect(&r, 0, false);
}

/* Descending W..1, then 0 (still in window), then W+1. */
static void test_descending_zero_then_advance(void **state)
{
	struct replay_counter r;
	uint64_t i;

	replay_init(&r);
	for (i = COUNTER_WINDOW_SIZE + 1; i-- > 1;)
		expect(&r, i, true);
	expect(&r, 0, true);
	expect(&r, COUNTER_WINDOW_SIZE + 1, true);
}

/*
 * A jump of a whole ring (or many rings) lands on ring words that still hold
 * bits of old counters; those must have been cleared, or fresh counters would
 * be mistaken for replays.
 */
static void test_jump_clears_stale_bits(void **state)
{
	static const uint64_t jumps[] = {
		1, 63, 64, 65, COUNTER_WINDOW_SIZE, COUNTER_BITS_TOTAL,
		COUNTER_BITS_TOTAL + 1, COUNTER_BITS_TOTAL * 10 + 7,
		1ULL << 40,
	};
	struct replay_counter r;
	uint64_t top, c;
	size_t j;

	for (j = 0; j < sizeof(jumps) / sizeof(jumps[0]); ++j) {
		replay_init(&r);
		for (c = 0; c < COUNTER_BITS_TOTAL; ++c)
			replay_counter_validate(&r, c);
		top = COUNTER_BITS_TOTAL - 1 + jumps[j];
		expect(&r, top, true);
		/* Everything in the window below top that was never sent is
		 * fresh; everything that was sent is a replay. */
		for (c = top - COUNTER_WINDOW_SIZE; c < top; ++c)
			expect(&r, c, c >= COUNTER_BITS_TOTAL);
		if (top > COUNTER_WINDOW_SIZE)
			expect(&r, top - COUNTER_WINDOW_SIZE - 1, false);
	}
}

/* Naive model for counters far below REJECT_AFTER_MESSAGES: accepted iff
 * not older than the window allows and never accepted before. */
struct model {
	uint8_t *seen; /* one byte per counter, counters < span */
	uint64_t next; /* highest accepted + 1, like r->counter */
};

static bool model_validate(struct model *m, uint64_t c)
{
	if (c + COUNTER_WINDOW_SIZE + 1 < m->next || m->seen[c])
		return false;
	m->seen[c] = 1;
	if (c + 1 > m->next)
		m->next = c + 1;
	return true;
}

/* splitmix64: a fixed-seed generator, so the run is the same on any libc. */
static uint64_t rng_state = 0x7e91a7;

static uint64_t rnd(uint64_t bound)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31)) % bound;
}

static uint64_t pick_counter(const struct model *m)
{
	uint64_t base = m->next ? m->next - 1 : 0;
	uint64_t d;

	switch (rnd(256)) {
	case 0: /* jump, sometimes beyond a whole ring */
		return base + rnd(3 * COUNTER_BITS_TOTAL);
	case 1 ... 60: /* just ahead */
		return base + rnd(4);
	default: /* behind, straddling the trailing edge */
		d = rnd(COUNTER_WINDOW_SIZE + 200);
		return d > base ? 0 : base - d;
	}
}

static void test_randomized_differential(void **state)
{
	const uint64_t span = 1ULL << 24;
	struct replay_counter r;
	struct model m = { .seen = calloc(span, 1), .next = 0 };
	uint64_t c;
	bool ok;
	long i, accepted = 0;

	assert_non_null(m.seen);
	replay_init(&r);
	for (i = 0; i < 2000000 && m.next < span - 4 * COUNTER_BITS_TOTAL;
	     ++i) {
		c = pick_counter(&m);
		ok = replay_counter_validate(&r, c);
		if (ok != model_validate(&m, c))
			fail_msg("op %ld counter %llu disagrees", i,
				 (unsigned long long)c);
		accepted += ok;
		assert_int_equal(r.counter, m.next);
	}
	/* Guard against a generator that exercises nothing. */
	assert_true(i > 100000);
	assert_true(accepted > i / 2 && i - accepted > i / 20);
	free(m.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_sequence),
		cmocka_unit_test(test_exhausted_state),
		cmocka_unit_test(test_fill_then_zero),
		cmocka_unit_test(test_fill_shifted),
		cmocka_unit_test(test_descending_full),
		cmocka_unit_test(test_descending_shifted),
		cmocka_unit_test(test_descending_then_advance),
		cmocka_unit_test(test_descending_zero_then_advance),
		cmocka_unit_test(test_jump_clears_stale_bits),
		cmocka_unit_test(test_randomized_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
