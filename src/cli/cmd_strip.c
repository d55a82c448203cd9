// SPDX-License-Identifier: GPL-2.0-only
/*
 * tunlane strip CONFIG|IFNAME: the wg(8) part of a configuration file, as
 * `wg-quick strip` prints it, so that
 *   wg syncconf wg0 <(tunlane strip wg0)
 * changes a running interface's keys and peers in place (existing
 * sessions of unchanged peers survive). Left out: what wg(8) does not
 * know (Address, DNS, MTU, Table, the hooks, SaveConfig, and tunlane's
 * Lanes, CPUs and User). The file is read and checked as `up` reads it;
 * host names in Endpoint come out resolved.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "crypto.h"
#include "subcommands.h"

static void put_key(const char *name, const uint8_t key[32])
{
	char b64[CRYPTO_KEY_B64_LEN];

	crypto_key_to_base64(b64, key);
	printf("%s = %s\n", name, b64);
	crypto_wipe(b64, sizeof(b64));
}

static void put_peer(const struct config_peer *p)
{
	char ep[ENDPOINT_STR_LEN], addr[INET6_ADDRSTRLEN];

	printf("\n[Peer]\n");
	put_key("PublicKey", p->public_key);
	if (p->has_psk)
		put_key("PresharedKey", p->psk);
	if (p->has_endpoint) {
		endpoint_format(&p->endpoint, ep, sizeof(ep));
		printf("Endpoint = %s\n", ep);
	}
	if (p->n_allowed)
		printf("AllowedIPs = ");
	for (size_t i = 0; i < p->n_allowed; i++) {
		inet_ntop(p->allowed[i].family, p->allowed[i].addr, addr,
			  sizeof(addr));
		printf("%s%s/%u", i ? ", " : "", addr, p->allowed[i].cidr);
	}
	if (p->n_allowed)
		printf("\n");
	if (p->keepalive)
		printf("PersistentKeepalive = %u\n", p->keepalive);
}

int cmd_strip(int argc, char **argv)
{
	struct config c;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: %s strip CONFIG|IFNAME\n", prog);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "Usage: %s strip CONFIG|IFNAME\n", prog);
		return 2;
	}
	if (config_load_report(&c, argv[1], prog) < 0)
		return 1;
	printf("[Interface]\n");
	put_key("PrivateKey", c.private_key);
	if (c.has_listen_port)
		printf("ListenPort = %u\n", c.listen_port);
	if (c.fwmark)
		printf("FwMark = 0x%x\n", c.fwmark);
	for (size_t i = 0; i < c.n_peers; i++)
		put_peer(&c.peers[i]);
	fflush(stdout);
	config_free(&c);
	return 0;
}
