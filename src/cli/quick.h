/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What wg-quick(8) does around the WireGuard interface, for `tunlane up`
 * and `tunlane down`: the PreUp/PostUp/PreDown/PostDown hooks, DNS through
 * resolvconf(8), the policy routing of a full tunnel, and SaveConfig.
 *
 * Everything `up` changes outside the interface itself (rules, DNS) is
 * written first to a state file, /var/run/tunlane/IFNAME.up, so that `down`
 * removes exactly that, and the next `up` or `down` after a crash finds
 * and removes it too. Routes go with the interface when it is deleted.
 */
#ifndef TUNLANE_QUICK_H
#define TUNLANE_QUICK_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "netlink.h"

#define QUICK_MAX_RULES 4	/* two per family */
#define QUICK_DEFAULT_TABLE 51820	/* wg-quick's first choice */

struct quick_state {
	char config[4096];		/* the file `up` read */
	struct nl_rule rules[QUICK_MAX_RULES];
	size_t n_rules;
	char dns_name[64];		/* resolvconf's record; "" = none */
};

/* 0, -ENOENT when there is none, or -errno / -EINVAL for a bad file. */
int quick_state_load(const char *ifname, struct quick_state *st);
int quick_state_save(const char *ifname, const struct quick_state *st);
/* Deletes st's rules, removes its DNS record and the state file; for
 * `down`, a failed `up`, and what a crashed daemon left. Never fails. */
void quick_undo(const char *ifname, struct quick_state *st);

/* Runs c's hooks of kind h in order through `sh -c`, %i replaced by the
 * interface name, each echoed as wg-quick does. 0, or -1 at the first
 * that fails (the rest are not run). */
int quick_hooks(const struct config *c, enum config_hook h);

/* Gives c's DNS to resolvconf, recording it in st; without resolvconf a
 * one-line notice and 0. 0 or -1 (resolvconf failed). */
int quick_dns_set(const struct config *c, struct quick_state *st);

/* resolvconf -d NAME -f: what quick_dns_set recorded. */
void quick_dns_unset(const char *name);

/* True when c asks for wg-quick's full tunnel: a /0 with Table = auto. */
bool quick_full_tunnel(const struct config *c);
/* The table (and fwmark) a full tunnel uses: FwMark when set, else the
 * first of 51820, 51821... with no routes in it. > 0 or -errno. */
long quick_pick_table(const struct config *c);
/* Adds the rules and the /0 route of family in table t through ifname,
 * as wg-quick's add_default, recording the rules in st first. 0/-errno. */
int quick_add_default(const char *ifname, int family, uint32_t t,
		      struct quick_state *st);

/* Writes the running configuration of c->ifname back to c->path, keeping
 * the file's own keys (Lanes, CPUs, User, DNS, hooks...). 0 or -errno. */
int quick_save_config(const struct config *c);

#endif
