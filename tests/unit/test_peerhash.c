// SPDX-License-Identifier: GPL-2.0-only
/*
 * Peers by public key (peerhash.c, SipHash) and the timer heap (timers.c)
 * at 20,000 peers: lookups find every peer and no stranger, and a timer
 * pass costs in proportion to the peers that are due, not to all of them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "clock.h"
#include "crypto.h"
#include "device.h"
#include "siphash.h"

#define NPEERS 20000
#define START_MONO (1000 * NSEC_PER_SEC)

static uint8_t (*keys)[NOISE_PUBLIC_KEY_LEN];

/* Reference vector of the SipHash paper (appendix A): key 00..0f,
 * message 00..0e. */
static void test_siphash_vector(void **state)
{
	struct siphash_key k;
	uint8_t kb[16], msg[15];

	for (int i = 0; i < 16; i++)
		kb[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	memcpy(&k.k0, kb, 8);		/* little-endian host */
	memcpy(&k.k1, kb + 8, 8);
	assert_true(siphash(&k, msg, 15) == 0xa129ca6149be45e5ULL);
	assert_true(siphash(&k, msg, 0) == 0x726fdb47dd0e0e31ULL);
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_peers(struct wg_device *dev)
{
	keys = malloc(NPEERS * sizeof(*keys));
	assert_non_null(keys);
	assert_int_equal(crypto_random(keys, NPEERS * sizeof(*keys)), 0);
	for (int i = 0; i < NPEERS; i++)
		assert_non_null(peer_create(dev, keys[i]));
	assert_int_equal(dev->npeers, NPEERS);
}

static void test_lookup_20k(void **state)
{
	struct wg_device dev;
	uint8_t stranger[NOISE_PUBLIC_KEY_LEN];
	double t0;

	assert_int_equal(device_init(&dev, "test", false, 0), 0);
	make_peers(&dev);
	t0 = cpu_seconds();
	for (int i = 0; i < NPEERS; i++) {
		struct wg_peer *p = device_peer_by_key(&dev, keys[i]);

		assert_non_null(p);
		assert_memory_equal(p->handshake.remote_static, keys[i], 32);
	}
	for (int i = 0; i < 1000; i++) {
		crypto_random(stranger, sizeof(stranger));
		assert_null(device_peer_by_key(&dev, stranger));
	}
	/* A linear scan needs seconds for this (2 x 10^8 key compares). */
	assert_true(cpu_seconds() - t0 < 0.2);
	/* Remove every other peer: the rest stay findable, the removed not. */
	for (int i = 0; i < NPEERS; i += 2)
		peer_remove(device_peer_by_key(&dev, keys[i]));
	assert_int_equal(dev.npeers, NPEERS / 2);
	for (int i = 0; i < NPEERS; i++) {
		if (i & 1)
			assert_non_null(device_peer_by_key(&dev, keys[i]));
		else
			assert_null(device_peer_by_key(&dev, keys[i]));
	}
	device_free(&dev);
	free(keys);
}

/*
 * Peer i's key material expires at START + (i + 1) ms. Passes at every
 * millisecond then fire exactly one peer each, in order; the whole series
 * of 2,000 passes must cost far less than 2,000 walks over 20,000 peers
 * (about half a second of CPU when every pass scans everyone).
 */
static void test_timers_touch_only_due(void **state)
{
	struct wg_device dev;
	struct wg_peer **byidx;
	double t0, spent;

	clock_fake_set(START_MONO, 1700000000ULL * NSEC_PER_SEC);
	/* Lane 1: lane 0 logs each peer created. */
	assert_int_equal(device_init(&dev, "test", true, 1), 0);
	make_peers(&dev);
	byidx = malloc(NPEERS * sizeof(*byidx));
	assert_non_null(byidx);
	for (int i = 0; i < NPEERS; i++) {
		byidx[i] = device_peer_by_key(&dev, keys[i]);
		timers_arm(byidx[i], TIMER_ZERO_KEY_MATERIAL,
			   (uint64_t)(i + 1) * 1000000);
	}
	assert_true(dev.next_timer == START_MONO + 1000000);
	t0 = cpu_seconds();
	for (int i = 0; i < 2000; i++) {
		clock_fake_advance(1000000);
		assert_true(timers_run(&dev) == START_MONO + (uint64_t)(i + 2) * 1000000);
		assert_false(timers_pending(byidx[i], TIMER_ZERO_KEY_MATERIAL));
		assert_true(timers_pending(byidx[i + 1], TIMER_ZERO_KEY_MATERIAL));
	}
	spent = cpu_seconds() - t0;
	assert_true(spent < 0.1);
	/* A disarmed timer does not fire, and removal takes a peer out. */
	timers_disarm(byidx[2000], TIMER_ZERO_KEY_MATERIAL);
	peer_remove(byidx[2001]);
	clock_fake_advance(3 * 1000000);
	assert_true(timers_run(&dev) == START_MONO + 2004ULL * 1000000);
	assert_false(timers_pending(byidx[2002], TIMER_ZERO_KEY_MATERIAL));
	assert_true(timers_pending(byidx[2003], TIMER_ZERO_KEY_MATERIAL));
	device_free(&dev);
	free(byidx);
	free(keys);
	clock_fake_clear();
}

static int setup(void **state)
{
	return crypto_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vector),
		cmocka_unit_test(test_lookup_20k),
		cmocka_unit_test(test_timers_touch_only_due),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
