// SPDX-License-Identifier: GPL-2.0-only
#include "clock.h"

#include <string.h>
#include <time.h>

static bool fake_on;
static uint64_t fake_mono, fake_real;
static uint64_t batch_now;	/* 0: no batch, read the clock */

static uint64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t clock_now(void)
{
	if (fake_on)
		return fake_mono;
	return batch_now ? batch_now : ts_ns(CLOCK_BOOTTIME);
}

uint64_t clock_batch_begin(void)
{
	batch_now = 0;
	if (!fake_on)
		batch_now = ts_ns(CLOCK_BOOTTIME);
	return clock_now();
}

void clock_batch_end(void)
{
	batch_now = 0;
}

int64_t clock_mono_ms(void)
{
	return (int64_t)(ts_ns(CLOCK_MONOTONIC) / NSEC_PER_MSEC);
}

static uint64_t real_ns(void)
{
	return fake_on ? fake_real : ts_ns(CLOCK_REALTIME);
}

void clock_realtime(int64_t *sec, int64_t *nsec)
{
	uint64_t ns = real_ns();

	*sec = (int64_t)(ns / NSEC_PER_SEC);
	*nsec = (int64_t)(ns % NSEC_PER_SEC);
}

void clock_tai64n(uint8_t out[CLOCK_TAI64N_LEN])
{
	uint64_t ns = real_ns();
	/* TAI64 label: 2^62 + 10 leap-second offset + seconds since epoch. */
	uint64_t sec = 0x400000000000000aULL + ns / NSEC_PER_SEC;
	/* Round nanoseconds down to ~16 ms so the timestamp leaks less about
	 * the host clock (same choice as the kernel module). */
	uint32_t nsec = (uint32_t)(ns % NSEC_PER_SEC);

	nsec -= nsec % (uint32_t)(NSEC_PER_SEC / 64);
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(sec >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		out[8 + i] = (uint8_t)(nsec >> (24 - 8 * i));
}

void clock_fake_set(uint64_t mono_ns, uint64_t real_ns_val)
{
	fake_on = true;
	fake_mono = mono_ns;
	fake_real = real_ns_val;
}

void clock_fake_advance(uint64_t ns)
{
	fake_mono += ns;
	fake_real += ns;
}

void clock_fake_clear(void)
{
	fake_on = false;
}
