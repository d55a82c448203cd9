// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-peer lanes without a kernel: the lane encoded in receiver indices,
 * the shared table of live lanes (as the steering program reads it), and
 * the mirror of allowed-IPs into the steering routes after add, remove and
 * replace, checked against a fake map.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "crypto.h"
#include "device.h"
#include "index.h"
#include "mirror.h"
#include "steer.h"
#include "uapi.h"

static void test_index_lane(void **state)
{
	struct index_table *t = calloc(1, sizeof(*t));
	struct index_entry e[64];

	assert_non_null(t);
	assert_int_equal(index_lane_of(index_with_lane(0, 0xffffffff)), 0);
	assert_int_equal(index_lane_of(index_with_lane(255, 0)), 255);
	assert_int_equal(index_with_lane(3, 0xabcdef12) & INDEX_RANDOM_MASK,
			 0xcdef12);
	for (uint32_t lane = 0; lane < 256; lane += 51) {
		uint32_t seen_low = 0;

		index_table_init(t);
		index_table_set_lane(t, lane);
		for (int i = 0; i < 64; i++) {
			memset(&e[i], 0, sizeof(e[i]));
			e[i].type = INDEX_KEYPAIR;
			assert_int_equal(index_lane_of(index_table_insert(t, &e[i])),
					 lane);
			seen_low |= e[i].index & INDEX_RANDOM_MASK;
			assert_ptr_equal(index_table_lookup(t, e[i].index,
							    INDEX_KEYPAIR), &e[i]);
		}
		/* The other 24 bits are random: all of them show up. */
		assert_int_equal(seen_low, INDEX_RANDOM_MASK);
	}
	free(t);
}

/* The live-lane table: each lane owns its bit, home follows the last lane
 * to go live, a dead lane's bits go at once, endpoints round-trip. */
static void test_live_set(void **state)
{
	struct steer s;
	union endpoint ep = { 0 }, got;

	assert_int_equal(steer_setup(&s, 4, -1, false), 0);
	assert_false(steer_has_bpf(&s));
	assert_int_equal(steer_home(&s, 7), -1);
	steer_set_live(&s, 7, 0, true);
	steer_set_live(&s, 7, 3, true);
	steer_set_live(&s, 7, 9, true);		/* no such lane: ignored */
	steer_set_live(&s, PEER_SLOTS, 0, true);	/* no such slot */
	assert_true(steer_is_live(&s, 7, 0));
	assert_false(steer_is_live(&s, 7, 1));
	assert_true(steer_is_live(&s, 7, 3));
	assert_int_equal(s.slots[7].live[0], 0x9);
	assert_int_equal(steer_home(&s, 7), 3);
	steer_set_live(&s, 8, 3, true);
	steer_lane_died(&s, 3);
	assert_false(steer_is_live(&s, 7, 3));
	assert_false(steer_is_live(&s, 8, 3));
	assert_true(steer_is_live(&s, 7, 0));
	/* Home stays where the traffic should wait for the respawned lane. */
	assert_int_equal(steer_home(&s, 8), 3);
	steer_set_live(&s, 7, 0, false);
	assert_int_equal(s.slots[7].live[0], 0);
	assert_false(steer_get_endpoint(&s, 7, &got));
	assert_int_equal(endpoint_parse(&ep, "192.0.2.1:51820"), 0);
	steer_put_endpoint(&s, 7, 2, &ep);
	assert_true(steer_get_endpoint(&s, 7, &got));
	assert_true(endpoint_equal(&ep, &got));
	/* Lane 2 died holding the lock: the master frees it. */
	s.slots[7].ep_lock = 3;
	s.slots[7].ep_seq++;
	assert_false(steer_get_endpoint(&s, 7, &got));
	steer_lane_died(&s, 2);
	assert_int_equal(s.slots[7].ep_lock, 0);
	steer_put_endpoint(&s, 7, 1, &ep);
	assert_true(steer_get_endpoint(&s, 7, &got));
	/* Whether lanes >= 1 may probe: what lane 0 learned of the peer. */
	assert_false(steer_is_multi(&s, 7));
	steer_set_multi(&s, 7, true);
	steer_set_multi(&s, PEER_SLOTS, true);	/* no such slot: ignored */
	assert_true(steer_is_multi(&s, 7));
	assert_false(steer_is_multi(&s, 8));
	steer_slot_reset(&s, 7);
	assert_false(steer_get_endpoint(&s, 7, &got));
	assert_int_equal(steer_home(&s, 7), -1);
	assert_false(steer_is_multi(&s, 7));	/* a new peer in the slot */
	steer_free(&s);
}

/* A fake LPM map: what mirror_sync made of it. */
#define FAKE_MAX 64
struct fake_map {
	struct mirror_entry e[FAKE_MAX];
	bool used[FAKE_MAX];
	int updates, removes;
};

static int fake_find(struct fake_map *f, int family, const uint8_t *addr,
		     uint8_t cidr)
{
	for (int i = 0; i < FAKE_MAX; i++)
		if (f->used[i] && f->e[i].family == family &&
		    f->e[i].cidr == cidr &&
		    !memcmp(f->e[i].addr, addr, family == AF_INET ? 4 : 16))
			return i;
	return -1;
}

static int fake_update(void *ctx, int family, const uint8_t *addr,
		       uint8_t cidr, uint32_t slot)
{
	struct fake_map *f = ctx;
	int i = fake_find(f, family, addr, cidr);

	for (int j = 0; i < 0 && j < FAKE_MAX; j++)
		if (!f->used[j])
			i = j;
	memset(&f->e[i], 0, sizeof(f->e[i]));
	f->e[i].family = (uint8_t)family;
	f->e[i].cidr = cidr;
	memcpy(f->e[i].addr, addr, family == AF_INET ? 4 : 16);
	f->e[i].slot = slot;
	f->used[i] = true;
	f->updates++;
	return 0;
}

static int fake_remove(void *ctx, int family, const uint8_t *addr,
		       uint8_t cidr)
{
	struct fake_map *f = ctx;
	int i = fake_find(f, family, addr, cidr);

	assert_true(i >= 0);	/* never removes what it did not add */
	f->used[i] = false;
	f->removes++;
	return 0;
}

static int fake_count(const struct fake_map *f)
{
	int n = 0;

	for (int i = 0; i < FAKE_MAX; i++)
		n += f->used[i];
	return n;
}

/* The slot the fake map holds for a prefix ("10.0.0.0/24"), -1 if none. */
static int fake_slot(struct fake_map *f, const char *prefix)
{
	char buf[64], *slash;
	uint8_t addr[16] = { 0 };
	int family, i;

	snprintf(buf, sizeof(buf), "%s", prefix);
	slash = strchr(buf, '/');
	*slash = '\0';
	family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(family, buf, addr), 1);
	i = fake_find(f, family, addr, (uint8_t)atoi(slash + 1));
	return i < 0 ? -1 : (int)f->e[i].slot;
}

static void apply(struct wg_device *dev, const char *req)
{
	struct uapi_set set;
	char err[256];

	assert_int_equal(uapi_parse_set(&set, req, strlen(req), err, sizeof(err)), 0);
	assert_int_equal(device_apply(dev, &set), 0);
	uapi_set_free(&set);
}

#define KEY(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	       c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

/* Lanes retired live (steer_rehome): a peer homed or plain-owned on a
 * retired lane waits on lane 0, and needs lane 0's handshake only when no
 * lane that stays is live with it. */
static void test_rehome(void **state)
{
	struct steer s;

	(void)state;
	assert_int_equal(steer_setup(&s, 3, -1, false), 0);
	steer_set_live(&s, 1, 2, true);		/* a stock client on lane 2 */
	steer_set_plain_owner(&s, 1, 2);
	steer_set_live(&s, 2, 0, true);		/* a tunlane on lanes 0 and 2 */
	steer_set_live(&s, 2, 2, true);
	steer_set_live(&s, 3, 1, true);		/* on lane 1, which stays */
	steer_set_plain_owner(&s, 3, 1);
	assert_int_equal(steer_set_lanes(&s, 2), 0);
	steer_lane_died(&s, 2);
	assert_true(steer_rehome(&s, 1, 2));
	assert_int_equal(steer_home(&s, 1), 0);
	assert_int_equal(steer_plain_owner(&s, 1), -1);
	assert_false(steer_rehome(&s, 2, 2));	/* lane 0 still live */
	assert_int_equal(steer_home(&s, 2), 0);
	assert_false(steer_rehome(&s, 3, 2));	/* nothing was on lane 2 */
	assert_int_equal(steer_plain_owner(&s, 3), 1);
	assert_false(steer_rehome(&s, 4, 2));	/* never live */
	assert_false(steer_rehome(&s, PEER_SLOTS, 2));
	assert_int_equal(steer_set_member(&s, 1, -1), -EOPNOTSUPP);
	steer_free(&s);
}

static void test_mirror(void **state)
{
	struct wg_device *dev = calloc(1, sizeof(*dev));
	struct fake_map *f = calloc(1, sizeof(*f));
	struct mirror m = { 0 };
	struct mirror_ops ops = { fake_update, fake_remove, f };
	uint32_t a, b;

	assert_non_null(dev);
	assert_non_null(f);
	assert_int_equal(device_init(dev, "tltest", false, 0), 0);
	/* Add: two peers, v4 and v6. */
	apply(dev, "public_key=" KEY("1") "\nallowed_ip=10.1.0.0/16\n"
		   "allowed_ip=fd00::/64\n"
		   "public_key=" KEY("2") "\nallowed_ip=10.2.0.0/24\n"
		   "allowed_ip=10.2.0.7/32\n");
	assert_int_equal(mirror_sync(&m, dev, &ops), 0);
	a = dev->peers->next->slot;	/* peers are prepended */
	b = dev->peers->slot;
	assert_int_not_equal(a, b);
	assert_int_equal(fake_count(f), 4);
	assert_int_equal(fake_slot(f, "10.1.0.0/16"), a);
	assert_int_equal(fake_slot(f, "fd00::/64"), a);
	assert_int_equal(fake_slot(f, "10.2.0.0/24"), b);
	assert_int_equal(fake_slot(f, "10.2.0.7/32"), b);
	/* Nothing changed: no map operation at all. */
	f->updates = f->removes = 0;
	assert_int_equal(mirror_sync(&m, dev, &ops), 0);
	assert_int_equal(f->updates + f->removes, 0);
	/* A prefix moves to another peer (allowed-IPs semantics). */
	apply(dev, "public_key=" KEY("1") "\nallowed_ip=10.2.0.7/32\n");
	assert_int_equal(mirror_sync(&m, dev, &ops), 0);
	assert_int_equal(f->updates, 1);
	assert_int_equal(fake_slot(f, "10.2.0.7/32"), a);
	/* Replace: the peer's old prefixes go, the new one comes. */
	apply(dev, "public_key=" KEY("1") "\nreplace_allowed_ips=true\n"
		   "allowed_ip=10.9.0.0/16\n");
	assert_int_equal(mirror_sync(&m, dev, &ops), 0);
	assert_int_equal(fake_count(f), 2);
	assert_int_equal(fake_slot(f, "10.9.0.0/16"), a);
	assert_int_equal(fake_slot(f, "10.1.0.0/16"), -1);
	assert_int_equal(fake_slot(f, "fd00::/64"), -1);
	assert_int_equal(fake_slot(f, "10.2.0.7/32"), -1);
	assert_int_equal(fake_slot(f, "10.2.0.0/24"), b);
	/* Remove a peer: its prefixes go; its slot is reused, lowest first. */
	apply(dev, "public_key=" KEY("2") "\nremove=true\n");
	assert_int_equal(mirror_sync(&m, dev, &ops), 0);
	assert_int_equal(fake_count(f), 1);
	apply(dev, "public_key=" KEY("3") "\nallowed_ip=10.3.0.0/16\n");
	assert_int_equal(dev->peers->slot, b);
	assert_int_equal(mirror_sync(&m, dev, &ops), 0);
	assert_int_equal(fake_slot(f, "10.3.0.0/16"), b);
	assert_int_equal(fake_count(f), 2);
	/* Replace all peers. */
	apply(dev, "replace_peers=true\n");
	assert_int_equal(mirror_sync(&m, dev, &ops), 0);
	assert_int_equal(fake_count(f), 0);
	mirror_free(&m);
	device_free(dev);
	free(dev);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_lane),
		cmocka_unit_test(test_live_set),
		cmocka_unit_test(test_rehome),
		cmocka_unit_test(test_mirror),
	};

	crypto_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
