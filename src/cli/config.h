/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration file of `tunlane up CONFIG|IFNAME`: wg-quick's format
 * ([Interface] and [Peer] sections of "Key = Value" lines, '#' comments,
 * keys case-insensitive) plus tunlane's Lanes, CPUs and User keys. See
 * tunlane.conf(5).
 *
 * The whole file is parsed and checked before config_load() returns, so a
 * caller either gets a complete config or an error and nothing else.
 */
#ifndef TUNLANE_CONFIG_H
#define TUNLANE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defaults.h"
#include "endpoint.h"
#include "ifname.h"
#include "prefix.h"

#define CONFIG_TABLE_MAIN 254	/* RT_TABLE_MAIN, what Table = main means */

struct config_peer {
	uint8_t public_key[32];
	bool has_psk;
	uint8_t psk[32];
	bool has_endpoint;
	union endpoint endpoint;	/* resolved; lane i adds i to its port */
	uint16_t keepalive;		/* seconds, 0 = off */
	struct prefix *allowed;		/* host bits cleared */
	size_t n_allowed;
	unsigned int line;		/* of its [Peer] header, for messages */
};

/* wg-quick's hooks, in the order it runs them (wg-quick(8)). */
enum config_hook { CONFIG_PRE_UP, CONFIG_POST_UP, CONFIG_PRE_DOWN,
		   CONFIG_POST_DOWN, CONFIG_N_HOOKS };

/* A list of strings as written in the file (hook commands, DNS items). */
struct config_strs {
	char **v;
	size_t n;
};

struct config {
	char ifname[16];
	char path[4096];		/* the file that was read */
	uint8_t private_key[32];
	bool has_listen_port;		/* absent: the daemon picks one */
	uint16_t listen_port;
	struct prefix *addresses;	/* host bits kept */
	size_t n_addresses;
	unsigned int mtu;
	unsigned int lanes;
	int cpus[LANES_MAX];
	int n_cpus;			/* n_cpus 0 = default placement */
	bool has_user;
	char user[64];
	uint32_t fwmark;		/* 0 = none (also "off") */
	enum { CONFIG_TABLE_AUTO, CONFIG_TABLE_OFF, CONFIG_TABLE_ID } table_mode;
	uint32_t table;			/* CONFIG_TABLE_ID only; main = 254 */
	struct config_peer *peers;
	size_t n_peers;
	bool world_readable;		/* others may read it: warn, as wg-quick */
	/* wg-quick's own keys, carried out by `tunlane up`/`down` */
	bool has_mtu, has_table;	/* given: SaveConfig writes them back */
	struct config_strs dns;		/* nameserver addresses */
	struct config_strs dns_search;	/* DNS items that are not addresses */
	struct config_strs hooks[CONFIG_N_HOOKS];
	bool save_config;
};

/*
 * The file arg names: arg itself when it holds a '/' or ends in ".conf",
 * else (a valid interface name) CONFIG_DIR/arg.conf, or CONFIG_WG_DIR/
 * arg.conf when only that one exists. 0 or -ENAMETOOLONG.
 */
int config_path(const char *arg, char *out, size_t len);

/*
 * Reads and checks the file that arg names (see config_path). Returns 0, or
 * -EINVAL for a bad file, -errno when it cannot be read, -ENOMEM; then err
 * holds one line "FILE:LINE: message" (or "FILE: message") per problem,
 * separated by '\n', every problem of the file in one go, and *c is
 * zeroed. Key material is never quoted in err. Free with config_free().
 */
int config_load(struct config *c, const char *arg, char *err, size_t errlen);
/* config_load(), with each problem on its own "PROG: ..." line on stderr. */
int config_load_report(struct config *c, const char *arg, const char *prog);

/* Frees *c and wipes its keys (crypto_wipe). Safe on a zeroed struct. */
void config_free(struct config *c);

/*
 * The UAPI "set" request that applies c: set=1, private_key (hex),
 * listen_port (if set), fwmark, replace_peers=true, each peer with
 * public_key, preshared_key (if any), endpoint (if any),
 * persistent_keepalive_interval, replace_allowed_ips=true and its
 * allowed_ip lines, then the empty line. malloc'd, NUL-terminated, in *out
 * with its length (without the NUL) in *len; it holds the private key, so
 * wipe it before free. 0 or -ENOMEM.
 */
int config_to_uapi(const struct config *c, char **out, size_t *len);

#endif
