/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cryptokey routing table (whitepaper 2): a longest-prefix-match trie per
 * address family mapping prefixes to peers. Inserting a prefix that already
 * exists moves it to the new peer, as the kernel implementation does.
 */
#ifndef TUNLANE_ALLOWEDIPS_H
#define TUNLANE_ALLOWEDIPS_H

#include <stddef.h>
#include <stdint.h>

struct allowedips_node;
struct allowedips_owner;

struct allowedips {
	struct allowedips_node *root4;
	struct allowedips_node *root6;
	uint64_t seq;
	/* Each peer's prefixes in a list (the kernel keeps one per peer), found
	 * through a small table keyed by the peer pointer, so that removing or
	 * listing one peer's prefixes costs what that peer has, not the whole
	 * trie. */
	struct allowedips_owner **owners;
	size_t owners_mask, nowners;
};

void allowedips_init(struct allowedips *t);
void allowedips_free(struct allowedips *t);
/* family is AF_INET (4-byte addr) or AF_INET6 (16-byte addr). Host bits of
 * addr are masked off. 0, -EINVAL (bad family or cidr) or -ENOMEM. */
int allowedips_insert(struct allowedips *t, int family, const void *addr,
		      uint8_t cidr, void *peer);
/* Removes the exact prefix if it belongs to peer: 0 or -ENOENT. */
int allowedips_remove(struct allowedips *t, int family, const void *addr,
		      uint8_t cidr, void *peer);
void allowedips_remove_by_peer(struct allowedips *t, void *peer);
/* Longest-prefix match; NULL when no prefix covers addr. */
void *allowedips_lookup(const struct allowedips *t, int family,
			const void *addr);
/* Calls cb for each prefix of peer (masked address), IPv4 first, each
 * family in address order; O(k log k) for the peer's k prefixes. Stops on
 * non-zero return and passes it back. */
typedef int (*allowedips_walk_fn)(void *arg, int family, const uint8_t *addr,
				  uint8_t cidr);
int allowedips_walk_by_peer(const struct allowedips *t, void *peer,
			    allowedips_walk_fn cb, void *arg);
/* How many prefixes peer has. */
size_t allowedips_count_by_peer(const struct allowedips *t, void *peer);
/* Every prefix of every peer, in one pass (linear in the table). */
typedef int (*allowedips_walk_all_fn)(void *arg, void *peer, int family,
				      const uint8_t *addr, uint8_t cidr);
int allowedips_walk_all(const struct allowedips *t, allowedips_walk_all_fn cb,
			void *arg);

#endif
