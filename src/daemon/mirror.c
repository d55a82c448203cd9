// SPDX-License-Identifier: GPL-2.0-only
#include "mirror.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct collect {
	struct mirror_entry *e;
	size_t n, cap;
	int err;
};

static int collect_one(void *arg, void *peer, int family, const uint8_t *addr,
		       uint8_t cidr)
{
	const struct wg_peer *p = peer;
	struct collect *c = arg;
	struct mirror_entry *e;

	if (p->slot == PEER_NO_SLOT)
		return 0;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct mirror_entry *ne = realloc(c->e, ncap * sizeof(*ne));

		if (!ne)
			return c->err = -ENOMEM;
		c->e = ne;
		c->cap = ncap;
	}
	e = &c->e[c->n++];
	memset(e, 0, sizeof(*e));
	e->family = (uint8_t)family;
	e->cidr = cidr;
	memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
	e->slot = p->slot;
	return 0;
}

/* Orders by prefix only, so an entry and its new slot meet in the merge. */
static int entry_cmp(const void *a, const void *b)
{
	const struct mirror_entry *x = a, *y = b;
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->cidr != y->cidr)
		return x->cidr < y->cidr ? -1 : 1;
	r = memcmp(x->addr, y->addr, sizeof(x->addr));
	return r;
}

/* Sends the difference between the sorted old and new lists. */
static int mirror_diff(const struct mirror *old, const struct collect *new,
		       const struct mirror_ops *ops)
{
	size_t i = 0, j = 0;
	int ret = 0, r;

	while (i < old->n || j < new->n) {
		const struct mirror_entry *o = i < old->n ? &old->e[i] : NULL;
		const struct mirror_entry *n = j < new->n ? &new->e[j] : NULL;
		int c = !o ? 1 : !n ? -1 : entry_cmp(o, n);

		if (c < 0) {
			r = ops->remove(ops->ctx, o->family, o->addr, o->cidr);
			i++;
		} else if (c > 0 || o->slot != n->slot) {
			r = ops->update(ops->ctx, n->family, n->addr, n->cidr,
					n->slot);
			j++;
			i += c == 0;
		} else {
			r = 0;
			i++;
			j++;
		}
		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}

int mirror_sync(struct mirror *m, const struct wg_device *dev,
		const struct mirror_ops *ops)
{
	struct collect c = { 0 };
	int ret;

	allowedips_walk_all(&dev->allowedips, collect_one, &c);
	if (c.err) {
		free(c.e);
		return c.err;
	}
	if (c.n)
		qsort(c.e, c.n, sizeof(*c.e), entry_cmp);
	ret = mirror_diff(m, &c, ops);
	free(m->e);
	m->e = c.e;
	m->n = c.n;
	/* After a failed op the map may differ from the list: forget it,
	 * so the next sync sends everything again. */
	if (ret < 0)
		m->n = 0;
	return ret;
}

void mirror_free(struct mirror *m)
{
	free(m->e);
	m->e = NULL;
	m->n = 0;
}
