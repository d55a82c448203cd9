// SPDX-License-Identifier: GPL-2.0-only
/*
 * Cryptokey routing table: a path-compressed binary trie per address family,
 * modelled on the WireGuard kernel module's allowedips.c.
 *
 * Every node holds a masked prefix (key, cidr). A node either carries a peer
 * (a real allowed-ip) or is an intermediate branch point with no peer; an
 * intermediate node always has two children, otherwise it is spliced out.
 * Going down, cidr strictly increases and a child's prefix extends its
 * parent's, with the parent's "next" bit (bit number parent->cidr) choosing
 * the child slot. So a root-to-leaf path has at most 33 / 129 nodes, and a
 * lookup touches each at most once: O(address bits), however many prefixes.
 *
 * Keys are held as two host-order 64-bit words (big-endian address bits,
 * IPv4 in the top 32 bits of word 0) so that prefix compares and finding the
 * first differing bit are a couple of word operations per node, as in the
 * kernel, which also compares in native words.
 */
#include "allowedips.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct allowedips_node {
	struct allowedips_node *child[2];
	struct allowedips_node *parent;	/* NULL for a root */
	void *peer;			/* NULL for an intermediate node */
	/* The peer's list of its nodes (only while peer is set): pprev
	 * points at the previous node's pnext or at the owner's head. */
	struct allowedips_node *pnext, **pprev;
	uint64_t key[2];		/* masked to cidr */
	uint8_t cidr;
	uint8_t v6;			/* which trie: for pruning from a list */
};

struct allowedips_owner {
	struct allowedips_owner *next;	/* bucket chain */
	void *peer;
	struct allowedips_node *head;
	size_t count;
};

#define OWNERS_MIN 16

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; ++i)
		v = (v << 8) | p[i];
	return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; --i, v >>= 8)
		p[i] = (uint8_t)v;
}

static void key_from_addr(uint64_t key[2], int family, const void *addr)
{
	const uint8_t *a = addr;

	if (family == AF_INET) {
		key[0] = (uint64_t)a[0] << 56 | (uint64_t)a[1] << 48 |
			 (uint64_t)a[2] << 40 | (uint64_t)a[3] << 32;
		key[1] = 0;
	} else {
		key[0] = load_be64(a);
		key[1] = load_be64(a + 8);
	}
}

static void key_to_addr(uint8_t *out, int family, const uint64_t key[2])
{
	uint8_t tmp[8];

	store_be64(tmp, key[0]);
	if (family == AF_INET) {
		memcpy(out, tmp, 4);
	} else {
		memcpy(out, tmp, 8);
		store_be64(out + 8, key[1]);
	}
}

/* Mask of the first cidr bits within word w (0 or 1) of a 128-bit key. */
static uint64_t word_mask(unsigned int cidr, unsigned int w)
{
	unsigned int bits = w ? (cidr > 64 ? cidr - 64 : 0)
			      : (cidr > 64 ? 64 : cidr);

	return bits ? ~0ULL << (64 - bits) : 0;
}

static void key_mask(uint64_t key[2], unsigned int cidr)
{
	key[0] &= word_mask(cidr, 0);
	key[1] &= word_mask(cidr, 1);
}

static bool prefix_matches(const struct allowedips_node *node,
			   const uint64_t key[2])
{
	return !((node->key[0] ^ key[0]) & word_mask(node->cidr, 0)) &&
	       !((node->key[1] ^ key[1]) & word_mask(node->cidr, 1));
}

/* Bit number @bit (0 = most significant) of the key. */
static unsigned int key_bit(const uint64_t key[2], unsigned int bit)
{
	return (key[bit >> 6] >> (63 - (bit & 63))) & 1;
}

/* Length of the common leading part of two keys, up to 128. */
static unsigned int common_bits(const uint64_t a[2], const uint64_t b[2])
{
	uint64_t x = a[0] ^ b[0];

	if (x)
		return (unsigned int)__builtin_clzll(x);
	x = a[1] ^ b[1];
	return x ? 64 + (unsigned int)__builtin_clzll(x) : 128;
}

/* Address width in bits for @family, or 0 if unsupported. */
static unsigned int family_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

static struct allowedips_node **family_root(struct allowedips *t, int family)
{
	return family == AF_INET ? &t->root4 : &t->root6;
}

/* Peer pointers are not secret and not chosen by anyone remote: a
 * multiplicative hash spreads them well enough. */
static size_t owner_bucket(const struct allowedips *t, const void *peer)
{
	uint64_t h = (uint64_t)(uintptr_t)peer * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 32) & t->owners_mask;
}

static struct allowedips_owner *owner_find(const struct allowedips *t,
					   const void *peer)
{
	struct allowedips_owner *o;

	if (!t->owners)
		return NULL;
	for (o = t->owners[owner_bucket(t, peer)]; o; o = o->next)
		if (o->peer == peer)
			return o;
	return NULL;
}

static void owners_rehash(struct allowedips *t, struct allowedips_owner **nb,
			  size_t n)
{
	struct allowedips_owner **old = t->owners;
	size_t oldn = t->owners ? t->owners_mask + 1 : 0;

	t->owners = nb;
	t->owners_mask = n - 1;
	for (size_t i = 0; i < oldn; i++) {
		struct allowedips_owner *o, *next;

		for (o = old[i]; o; o = next) {
			size_t b = owner_bucket(t, o->peer);

			next = o->next;
			o->next = nb[b];
			nb[b] = o;
		}
	}
	free(old);
}

/* The peer's owner record, created on first use; NULL on -ENOMEM. */
static struct allowedips_owner *owner_get(struct allowedips *t, void *peer)
{
	struct allowedips_owner *o = owner_find(t, peer);
	size_t n, b;

	if (o)
		return o;
	n = t->owners ? t->owners_mask + 1 : 0;
	if (t->nowners >= n) {
		size_t nn = n ? n * 2 : OWNERS_MIN;
		struct allowedips_owner **nb = calloc(nn, sizeof(*nb));

		if (nb)
			owners_rehash(t, nb, nn);
		else if (!n)
			return NULL;	/* a full table still works, if slower */
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->peer = peer;
	b = owner_bucket(t, peer);
	o->next = t->owners[b];
	t->owners[b] = o;
	t->nowners++;
	return o;
}

static void owner_drop(struct allowedips *t, struct allowedips_owner *o)
{
	struct allowedips_owner **pp = &t->owners[owner_bucket(t, o->peer)];

	for (; *pp; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	t->nowners--;
	free(o);
}

static void node_link(struct allowedips_owner *o, struct allowedips_node *n)
{
	n->pnext = o->head;
	if (o->head)
		o->head->pprev = &n->pnext;
	o->head = n;
	n->pprev = &o->head;
	o->count++;
}

/* Takes a node off its peer's list, and the peer's record away with its
 * last node. */
static void node_unlink(struct allowedips *t, struct allowedips_node *n)
{
	struct allowedips_owner *o = owner_find(t, n->peer);

	*n->pprev = n->pnext;
	if (n->pnext)
		n->pnext->pprev = n->pprev;
	n->pnext = NULL;
	n->pprev = NULL;
	if (o && !--o->count)
		owner_drop(t, o);
}

static struct allowedips_node *node_new(const uint64_t key[2], uint8_t cidr,
					void *peer)
{
	struct allowedips_node *node = calloc(1, sizeof(*node));

	if (!node)
		return NULL;
	node->key[0] = key[0];
	node->key[1] = key[1];
	key_mask(node->key, cidr);
	node->cidr = cidr;
	node->peer = peer;
	return node;
}

/* Puts @new where @old hangs (a child slot of @parent, or the root). */
static void replace_child(struct allowedips_node **rootp,
			  struct allowedips_node *parent,
			  struct allowedips_node *old,
			  struct allowedips_node *new)
{
	if (!parent)
		*rootp = new;
	else
		parent->child[parent->child[1] == old] = new;
	if (new)
		new->parent = parent;
}

/*
 * Walks down while the node's prefix covers (key, cidr); only the first cidr
 * bits of key are read, so host bits need not be masked off. Returns the node
 * whose prefix is exactly (key, cidr) if there is one; otherwise NULL, with
 * *parentp the deepest covering node and *downp the subtree under it (in the
 * slot the key would go into) that does not cover the key.
 */
static struct allowedips_node *descend(struct allowedips_node *root,
				       const uint64_t key[2], uint8_t cidr,
				       struct allowedips_node **parentp,
				       struct allowedips_node **downp)
{
	struct allowedips_node *parent = NULL, *node = root;

	while (node && node->cidr <= cidr && prefix_matches(node, key)) {
		if (node->cidr == cidr)
			return node;
		parent = node;
		node = node->child[key_bit(key, node->cidr)];
	}
	*parentp = parent;
	*downp = node;
	return NULL;
}

/*
 * Links @new into the trie where @down used to be the subtree in the key's
 * slot under @parent. Either @new covers @down and adopts it, or the two
 * diverge at some bit and need a peerless branch node there (allocated into
 * *mid by the caller, freed here if unused).
 */
static void splice_in(struct allowedips_node **rootp,
		      struct allowedips_node *parent,
		      struct allowedips_node *down,
		      struct allowedips_node *new,
		      struct allowedips_node *mid)
{
	unsigned int common;

	if (!down) {
		if (parent)
			parent->child[key_bit(new->key, parent->cidr)] = new;
		else
			*rootp = new;
		new->parent = parent;
		free(mid);
		return;
	}
	common = common_bits(down->key, new->key);
	if (common >= new->cidr) {
		/* descend() stopped at down, so down->cidr > new->cidr. */
		replace_child(rootp, parent, down, new);
		new->child[key_bit(down->key, new->cidr)] = down;
		down->parent = new;
		free(mid);
		return;
	}
	/* Diverge at bit 'common' < both cidrs: the keys differ there. */
	mid->cidr = (uint8_t)common;
	mid->key[0] = new->key[0];
	mid->key[1] = new->key[1];
	key_mask(mid->key, common);
	replace_child(rootp, parent, down, mid);
	mid->child[key_bit(down->key, common)] = down;
	mid->child[key_bit(new->key, common)] = new;
	down->parent = mid;
	new->parent = mid;
}

static int trie_insert(struct allowedips *t, int family, const uint64_t key[2],
		       uint8_t cidr, void *peer)
{
	struct allowedips_node **rootp = family_root(t, family);
	struct allowedips_node *parent, *down, *node, *new, *mid;
	struct allowedips_owner *o = owner_get(t, peer);

	if (!o)
		return -ENOMEM;
	node = descend(*rootp, key, cidr, &parent, &down);
	if (node) {
		/* Same prefix again moves it to the new peer, as the kernel
		 * does (allowedips.c add()). */
		if (node->peer == peer)
			return 0;
		if (node->peer)
			node_unlink(t, node);
		node->peer = peer;
		node_link(o, node);
		return 0;
	}
	new = node_new(key, cidr, peer);
	/* Allocated up front so that failure leaves the trie unchanged. */
	mid = down ? node_new(key, 0, NULL) : NULL;
	if (!new || (down && !mid)) {
		free(new);
		free(mid);
		if (!o->count)
			owner_drop(t, o);
		return -ENOMEM;
	}
	new->v6 = family == AF_INET6;
	if (mid)
		mid->v6 = new->v6;
	splice_in(rootp, parent, down, new, mid);
	node_link(o, new);
	return 0;
}

/*
 * After @node lost its peer: remove it if it has fewer than two children,
 * and keep going up while that leaves a peerless parent with one child.
 * This restores the "intermediate nodes have two children" invariant.
 */
static void prune(struct allowedips_node **rootp, struct allowedips_node *node)
{
	struct allowedips_node *child, *parent;

	while (node && !node->peer) {
		if (node->child[0] && node->child[1])
			return;
		child = node->child[0] ? node->child[0] : node->child[1];
		parent = node->parent;
		replace_child(rootp, parent, node, child);
		free(node);
		if (child)
			return; /* parent's child count is unchanged */
		node = parent;
	}
}

void allowedips_init(struct allowedips *t)
{
	memset(t, 0, sizeof(*t));
}

/*
 * Post-order pass that clears @peer's prefixes (all of them when @peer is
 * NULL) and frees the nodes left redundant; returns the new subtree root.
 * Recursion depth is the trie depth, at most 129.
 */
static struct allowedips_node *strip(struct allowedips_node *node,
				     void *peer, bool all,
				     struct allowedips_node *parent)
{
	struct allowedips_node *child;

	if (!node)
		return NULL;
	node->child[0] = strip(node->child[0], peer, all, node);
	node->child[1] = strip(node->child[1], peer, all, node);
	if (all || node->peer == peer)
		node->peer = NULL;
	node->parent = parent;
	if (node->peer || (node->child[0] && node->child[1]))
		return node;
	child = node->child[0] ? node->child[0] : node->child[1];
	free(node);
	if (child)
		child->parent = parent;
	return child;
}

void allowedips_free(struct allowedips *t)
{
	t->root4 = strip(t->root4, NULL, true, NULL);
	t->root6 = strip(t->root6, NULL, true, NULL);
	for (size_t i = 0; t->owners && i <= t->owners_mask; i++) {
		struct allowedips_owner *o, *next;

		for (o = t->owners[i]; o; o = next) {
			next = o->next;
			free(o);
		}
	}
	free(t->owners);
	t->owners = NULL;
	t->owners_mask = t->nowners = 0;
	++t->seq;
}

int allowedips_insert(struct allowedips *t, int family, const void *addr,
		      uint8_t cidr, void *peer)
{
	unsigned int bits = family_bits(family);
	uint64_t key[2];
	int ret;

	/* A NULL peer would be indistinguishable from a branch node. */
	if (!bits || cidr > bits || !peer || !addr)
		return -EINVAL;
	/* Host bits are dropped by node_new(); descend() reads only the
	 * first cidr bits, so the key needs no masking here. */
	key_from_addr(key, family, addr);
	ret = trie_insert(t, family, key, cidr, peer);
	if (!ret)
		++t->seq;
	return ret;
}

int allowedips_remove(struct allowedips *t, int family, const void *addr,
		      uint8_t cidr, void *peer)
{
	struct allowedips_node *node, *parent, *down;
	unsigned int bits = family_bits(family);
	uint64_t key[2];

	if (!bits || cidr > bits || !addr)
		return -EINVAL;
	key_from_addr(key, family, addr);
	node = descend(*family_root(t, family), key, cidr, &parent, &down);
	if (!node || !node->peer || node->peer != peer)
		return -ENOENT;
	node_unlink(t, node);
	node->peer = NULL;
	prune(family_root(t, family), node);
	++t->seq;
	return 0;
}

/* O(k * depth) for the peer's k prefixes: its list names them, and each
 * is pruned where it sits. */
void allowedips_remove_by_peer(struct allowedips *t, void *peer)
{
	struct allowedips_owner *o = peer ? owner_find(t, peer) : NULL;

	if (!o)
		return;
	while (o->head) {
		struct allowedips_node *n = o->head;
		bool last = o->count == 1;

		node_unlink(t, n);	/* frees o with the last node */
		n->peer = NULL;
		prune(n->v6 ? &t->root6 : &t->root4, n);
		if (last)
			break;
	}
	++t->seq;
}

void *allowedips_lookup(const struct allowedips *t, int family,
			const void *addr)
{
	unsigned int bits = family_bits(family);
	const struct allowedips_node *node;
	uint64_t key[2];
	void *best = NULL;

	if (!bits || !addr)
		return NULL;
	key_from_addr(key, family, addr);
	node = family == AF_INET ? t->root4 : t->root6;
	/* Prefixes only get longer going down, so the last match wins. */
	for (; node && prefix_matches(node, key);
	     node = node->child[key_bit(key, node->cidr)]) {
		if (node->peer)
			best = node->peer;
		if (node->cidr >= bits)
			break;
	}
	return best;
}

/* IPv4 before IPv6, then address order, then shorter prefixes first. */
static int cmp_nodes(const void *a, const void *b)
{
	const struct allowedips_node *x = *(const struct allowedips_node *const *)a;
	const struct allowedips_node *y = *(const struct allowedips_node *const *)b;

	if (x->v6 != y->v6)
		return x->v6 < y->v6 ? -1 : 1;
	for (int w = 0; w < 2; w++)
		if (x->key[w] != y->key[w])
			return x->key[w] < y->key[w] ? -1 : 1;
	return (x->cidr > y->cidr) - (x->cidr < y->cidr);
}

static int walk_all(const struct allowedips_node *node, int family,
		    allowedips_walk_all_fn cb, void *arg)
{
	uint8_t addr[16];
	int ret;

	for (; node; node = node->child[1]) {
		if (node->peer) {
			key_to_addr(addr, family, node->key);
			ret = cb(arg, node->peer, family, addr, node->cidr);
			if (ret)
				return ret;
		}
		ret = walk_all(node->child[0], family, cb, arg);
		if (ret)
			return ret;
	}
	return 0;
}

int allowedips_walk_all(const struct allowedips *t, allowedips_walk_all_fn cb,
			void *arg)
{
	int ret = walk_all(t->root4, AF_INET, cb, arg);

	return ret ? ret : walk_all(t->root6, AF_INET6, cb, arg);
}

int allowedips_walk_by_peer(const struct allowedips *t, void *peer,
			    allowedips_walk_fn cb, void *arg)
{
	const struct allowedips_owner *o = peer ? owner_find(t, peer) : NULL;
	struct allowedips_node **v;
	uint8_t addr[16];
	size_t n = 0;
	int ret = 0;

	if (!o)
		return 0;
	v = malloc(o->count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (struct allowedips_node *node = o->head; node; node = node->pnext)
		v[n++] = node;
	qsort(v, n, sizeof(*v), cmp_nodes);
	for (size_t i = 0; i < n && !ret; i++) {
		int family = v[i]->v6 ? AF_INET6 : AF_INET;

		key_to_addr(addr, family, v[i]->key);
		ret = cb(arg, family, addr, v[i]->cidr);
	}
	free(v);
	return ret;
}

size_t allowedips_count_by_peer(const struct allowedips *t, void *peer)
{
	const struct allowedips_owner *o = peer ? owner_find(t, peer) : NULL;

	return o ? o->count : 0;
}
