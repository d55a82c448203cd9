// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench/forged-init: CPU time a lane spends on one forged handshake
 * initiation (valid mac1, unknown static key) that reaches the Curve25519
 * work, with a given number of peers configured. Not a test (make check
 * never runs it): see bench/README.md.
 *
 *   build/bench/forged-init [PEERS...]     (default: 0 16384)
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cookie.h"
#include "crypto.h"
#include "device.h"
#include "noise.h"

#define FORGED 2000

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void forge(struct message_handshake_initiation *m, struct cookie *c)
{
	memset(m, 0, sizeof(*m));
	m->header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	crypto_random(&m->sender_index,
		      offsetof(struct message_handshake_initiation, macs) -
		      offsetof(struct message_handshake_initiation, sender_index));
	cookie_add_mac_to_packet(m, sizeof(*m), c);
}

static int run(unsigned long npeers)
{
	static struct message_handshake_initiation msgs[FORGED];
	struct noise_static_identity *id;
	union endpoint src = { 0 };
	struct wg_device dev;
	uint8_t key[NOISE_PUBLIC_KEY_LEN];
	struct cookie c;
	double t0, spent;

	/* Lane 1 of a device with no sockets: replies go nowhere, and lane
	 * 0's per-peer log lines stay quiet. */
	if (device_init(&dev, "bench", true, 1) < 0)
		return -1;
	id = &dev.static_identity;
	crypto_x25519_genkey(id->static_private);
	crypto_x25519_public(id->static_public, id->static_private);
	id->has_identity = true;
	cookie_checker_precompute_device_keys(&dev.cookie_checker);
	for (unsigned long i = 0; i < npeers; i++) {
		crypto_random(key, sizeof(key));
		if (!peer_create(&dev, key))
			return -1;
	}
	cookie_init(&c);
	cookie_precompute_peer_keys(&c, id->static_public);
	for (int i = 0; i < FORGED; i++)
		forge(&msgs[i], &c);
	src.in.sin_family = AF_INET;
	src.in.sin_port = htons(9);
	inet_pton(AF_INET, "127.0.0.2", &src.in.sin_addr);
	t0 = cpu_seconds();
	for (int i = 0; i < FORGED; i++)
		receive_packet(&dev, (uint8_t *)&msgs[i], sizeof(msgs[i]), &src);
	spent = cpu_seconds() - t0;
	printf("%7lu peers: %.1f us per forged initiation (%llu of %d failed to authenticate)\n",
	       npeers, spent / FORGED * 1e6,
	       (unsigned long long)dev.stats->drops[DROP_HANDSHAKE], FORGED);
	device_free(&dev);
	return 0;
}

int main(int argc, char **argv)
{
	static const unsigned long defaults[] = { 0, 16384 };

	if (crypto_init() < 0)
		return 1;
	noise_init();
	if (argc < 2) {
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			if (run(defaults[i]) < 0)
				return 1;
		return 0;
	}
	for (int i = 1; i < argc; i++)
		if (run(strtoul(argv[i], NULL, 10)) < 0)
			return 1;
	return 0;
}
