/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Time sources. Every timer decision reads clock_now(), so tests can drive
 * protocol timers by setting a fake clock instead of sleeping.
 */
#ifndef TUNLANE_CLOCK_H
#define TUNLANE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Monotonic nanoseconds (CLOCK_BOOTTIME, so suspend counts as elapsed). */
uint64_t clock_now(void);
/*
 * One reading for a batch: from clock_batch_begin() to clock_batch_end(),
 * clock_now() returns what begin read. A lane's turn over a batch of
 * packets checks key ages and arms timers per packet; protocol time there
 * is at most one turn stale (milliseconds, against timers of seconds),
 * and never goes back. The fake clock is never held.
 */
uint64_t clock_batch_begin(void);
void clock_batch_end(void);
/* Real monotonic milliseconds (CLOCK_MONOTONIC, never the fake clock): for
 * I/O deadlines, which are wall time whatever clock the protocol runs on. */
int64_t clock_mono_ms(void);
/* True once lifetime has passed since birthdate (both clock_now() ns). */
static inline bool clock_expired(uint64_t birthdate, uint64_t lifetime)
{
	return birthdate + lifetime <= clock_now();
}

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/* Wall clock as TAI64N (whitepaper 5.4.2), big-endian seconds since 1970
 * plus 2^62 + 10, then nanoseconds, so initiations order strictly. */
#define CLOCK_TAI64N_LEN 12
void clock_tai64n(uint8_t out[CLOCK_TAI64N_LEN]);
/* Wall clock seconds/nanoseconds for last_handshake_time. */
void clock_realtime(int64_t *sec, int64_t *nsec);

/* Test hooks: fixes both clocks at the given values until cleared. */
void clock_fake_set(uint64_t mono_ns, uint64_t real_ns);
void clock_fake_advance(uint64_t ns);
void clock_fake_clear(void);

#endif
