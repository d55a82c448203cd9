// SPDX-License-Identifier: GPL-2.0-only
#include "steer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ebpf.h"
#include "log.h"

_Static_assert(TL_PEER_SLOTS == PEER_SLOTS, "slot counts differ");
_Static_assert(TL_LANES_MAX == LANES_MAX, "lane limits differ");
_Static_assert(sizeof(union endpoint) <= sizeof(((struct tl_peer_slot *)0)->ep),
	       "endpoint does not fit the slot");

/* The steering object, linked in by the Makefile (.incbin). */
/* The BPF objects, linked in as bytes; start and end are two symbols,
 * so their distance is taken as addresses, not by pointer arithmetic. */
extern const unsigned char tl_bpf_steer_start[], tl_bpf_steer_end[];
extern const unsigned char tl_bpf_select_start[], tl_bpf_select_end[];

static size_t slots_size(void)
{
	size_t len = (size_t)PEER_SLOTS * sizeof(struct tl_peer_slot);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) / page * page;
}

static int steer_map_slots(struct steer *s, int map_fd)
{
	void *p;

	s->slots_len = slots_size();
	p = map_fd >= 0 ? mmap(NULL, s->slots_len, PROT_READ | PROT_WRITE,
			       MAP_SHARED, map_fd, 0) :
			  mmap(NULL, s->slots_len, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	s->slots = p;
	return 0;
}

static int steer_load(struct steer *s, int tun_fd)
{
	struct tl_config cfg = { .lanes = s->lanes };
	uint32_t zero = 0;
	int ret, fd;

	ret = ebpf_open(tl_bpf_steer_start,
			(size_t)((uintptr_t)tl_bpf_steer_end -
				 (uintptr_t)tl_bpf_steer_start),
			"tunlane_steer", &s->obj);
	if (ret < 0)
		return ret;
	s->routes4_fd = ebpf_map_fd(s->obj, "tl_routes4");
	s->routes6_fd = ebpf_map_fd(s->obj, "tl_routes6");
	fd = ebpf_map_fd(s->obj, "tl_config");
	if (s->routes4_fd < 0 || s->routes6_fd < 0 || fd < 0)
		return -ENOENT;
	if ((ret = ebpf_map_update(fd, &zero, &cfg)) < 0 ||
	    (ret = steer_map_slots(s, ebpf_map_fd(s->obj, "tl_peers"))) < 0)
		return ret;
	ret = ebpf_open(tl_bpf_select_start,
			(size_t)((uintptr_t)tl_bpf_select_end -
				 (uintptr_t)tl_bpf_select_start),
			"tunlane_select", &s->sel);
	if (ret < 0)
		return ret;
	s->socks_fd = ebpf_map_fd(s->sel, "tl_socks");
	fd = ebpf_map_fd(s->sel, "tl_sel_config");
	if (s->socks_fd < 0 || fd < 0)
		return -ENOENT;
	if ((ret = ebpf_map_update(fd, &zero, &cfg)) < 0)
		return ret;
	fd = ebpf_prog_fd(s->obj, "tl_steer");
	return fd < 0 ? fd : ebpf_attach_tun(tun_fd, fd);
}

int steer_attach_group(struct steer *s, const int *fds)
{
	int prog, ret;

	if (!s->sel)
		return -EOPNOTSUPP;
	for (uint32_t i = 0; i < s->lanes; i++) {
		uint64_t fd = (uint64_t)fds[i];

		if ((ret = ebpf_map_update(s->socks_fd, &i, &fd)) < 0)
			return ret;
	}
	prog = ebpf_prog_fd(s->sel, "tl_select");
	return prog < 0 ? prog : ebpf_attach_reuseport(fds[0], prog);
}

int steer_setup(struct steer *s, unsigned int lanes, int tun_fd, bool want_bpf)
{
	int ret = 0;

	memset(s, 0, sizeof(*s));
	s->lanes = lanes;
	s->routes4_fd = s->routes6_fd = s->socks_fd = -1;
	if (want_bpf && (ret = steer_load(s, tun_fd)) == 0) {
		log_info("BPF steering on: each peer's traffic goes to the lanes that hold a session with it");
		return 0;
	}
	if (want_bpf)
		log_warn("BPF steering unavailable (%s%s%s): the tun spreads flows over all lanes by its own hash",
			 strerror(-ret), *ebpf_last_error() ? ": " : "",
			 ebpf_last_error());
	else if (lanes > 1)
		log_info("BPF steering off: the tun spreads flows over all lanes by its own hash");
	if (s->slots)
		munmap(s->slots, s->slots_len);
	s->slots = NULL;
	if (s->obj)	/* detach what may have been attached */
		ebpf_attach_tun(tun_fd, -1);
	ebpf_close(s->obj);
	ebpf_close(s->sel);
	s->obj = s->sel = NULL;
	s->routes4_fd = s->routes6_fd = s->socks_fd = -1;
	return steer_map_slots(s, -1);
}

bool steer_has_bpf(const struct steer *s)
{
	return s->obj != NULL;
}

static int route_update(void *ctx, int family, const uint8_t *addr,
			uint8_t cidr, uint32_t slot)
{
	struct steer *s = ctx;
	struct tl_route6 k6 = { .prefixlen = cidr };
	struct tl_route4 k4 = { .prefixlen = cidr };

	if (family == AF_INET) {
		memcpy(k4.addr, addr, 4);
		return ebpf_map_update(s->routes4_fd, &k4, &slot);
	}
	memcpy(k6.addr, addr, 16);
	return ebpf_map_update(s->routes6_fd, &k6, &slot);
}

static int route_remove(void *ctx, int family, const uint8_t *addr,
			uint8_t cidr)
{
	struct steer *s = ctx;
	struct tl_route6 k6 = { .prefixlen = cidr };
	struct tl_route4 k4 = { .prefixlen = cidr };
	int ret;

	if (family == AF_INET) {
		memcpy(k4.addr, addr, 4);
		ret = ebpf_map_delete(s->routes4_fd, &k4);
	} else {
		memcpy(k6.addr, addr, 16);
		ret = ebpf_map_delete(s->routes6_fd, &k6);
	}
	return ret == -ENOENT ? 0 : ret;
}

void steer_sync_routes(struct steer *s, const struct wg_device *dev)
{
	struct mirror_ops ops = { route_update, route_remove, s };
	int ret;

	if (!s->obj)
		return;
	ret = mirror_sync(&s->mirror, dev, &ops);
	if (ret < 0)
		log_warn("cannot update the BPF routes: %s (peers without one use lane 0)",
			 strerror(-ret));
}

void steer_lane_died(struct steer *s, unsigned int lane)
{
	uint64_t bit = 1ULL << (lane % 64);

	for (uint32_t i = 0; s->slots && i < PEER_SLOTS; i++) {
		struct tl_peer_slot *p = &s->slots[i];

		if (__atomic_load_n(&p->live[lane / 64], __ATOMIC_RELAXED) & bit)
			__atomic_fetch_and(&p->live[lane / 64], ~bit, __ATOMIC_RELEASE);
		/* Killed in the middle of writing an endpoint: drop the torn
		 * copy and the lock. */
		if (__atomic_load_n(&p->ep_lock, __ATOMIC_ACQUIRE) == lane + 1) {
			__atomic_store_n(&p->ep_seq, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&p->ep_lock, 0, __ATOMIC_RELEASE);
		}
	}
}

void steer_lane_detach(struct steer *s)
{
	ebpf_close(s->obj);
	ebpf_close(s->sel);
	s->obj = s->sel = NULL;
	s->routes4_fd = s->routes6_fd = s->socks_fd = -1;
	mirror_free(&s->mirror);
}

void steer_set_live(struct steer *s, uint32_t slot, unsigned int lane,
		    bool live)
{
	uint64_t bit = 1ULL << (lane % 64);
	struct tl_peer_slot *p;

	if (!s->slots || slot >= PEER_SLOTS || lane >= s->lanes)
		return;
	p = &s->slots[slot];
	if (live) {
		__atomic_store_n(&p->home, lane + 1, __ATOMIC_RELAXED);
		__atomic_fetch_or(&p->live[lane / 64], bit, __ATOMIC_RELEASE);
	} else {
		__atomic_fetch_and(&p->live[lane / 64], ~bit, __ATOMIC_RELEASE);
	}
}

bool steer_is_live(const struct steer *s, uint32_t slot, unsigned int lane)
{
	if (!s->slots || slot >= PEER_SLOTS || lane >= s->lanes)
		return false;
	return (__atomic_load_n(&s->slots[slot].live[lane / 64],
				__ATOMIC_ACQUIRE) >> (lane % 64)) & 1;
}

bool steer_other_live(const struct steer *s, uint32_t slot, unsigned int except)
{
	for (unsigned int w = 0; s->slots && slot < PEER_SLOTS && w < TL_LIVE_WORDS; w++) {
		uint64_t bits = __atomic_load_n(&s->slots[slot].live[w], __ATOMIC_ACQUIRE);

		if (except / 64 == w)
			bits &= ~(1ULL << (except % 64));
		if (bits)
			return true;
	}
	return false;
}

int steer_home(const struct steer *s, uint32_t slot)
{
	if (!s->slots || slot >= PEER_SLOTS)
		return -1;
	return (int)__atomic_load_n(&s->slots[slot].home, __ATOMIC_RELAXED) - 1;
}

int steer_plain_owner(const struct steer *s, uint32_t slot)
{
	if (!s->slots || slot >= PEER_SLOTS)
		return -1;
	return (int)__atomic_load_n(&s->slots[slot].plain_owner,
				    __ATOMIC_ACQUIRE) - 1;
}

void steer_set_plain_owner(struct steer *s, uint32_t slot, unsigned int lane)
{
	if (s->slots && slot < PEER_SLOTS && lane < s->lanes)
		__atomic_store_n(&s->slots[slot].plain_owner, lane + 1,
				 __ATOMIC_RELEASE);
}

bool steer_is_multi(const struct steer *s, uint32_t slot)
{
	if (!s->slots || slot >= PEER_SLOTS)
		return false;
	return __atomic_load_n(&s->slots[slot].multi, __ATOMIC_ACQUIRE) != 0;
}

void steer_set_multi(struct steer *s, uint32_t slot, bool multi)
{
	if (s->slots && slot < PEER_SLOTS)
		__atomic_store_n(&s->slots[slot].multi, multi, __ATOMIC_RELEASE);
}

void steer_slot_reset(struct steer *s, uint32_t slot)
{
	struct tl_peer_slot *p;

	if (!s->slots || slot >= PEER_SLOTS)
		return;
	p = &s->slots[slot];
	__atomic_store_n(&p->home, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->plain_owner, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->multi, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->ep_seq, 0, __ATOMIC_RELEASE);
}

bool steer_get_endpoint(const struct steer *s, uint32_t slot,
			union endpoint *ep)
{
	const struct tl_peer_slot *p;
	uint32_t seq;

	if (!s->slots || slot >= PEER_SLOTS)
		return false;
	p = &s->slots[slot];
	for (int tries = 0; tries < 100; tries++) {
		seq = __atomic_load_n(&p->ep_seq, __ATOMIC_ACQUIRE);
		if (!seq || (seq & 1))
			continue;
		memcpy(ep, p->ep, sizeof(*ep));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&p->ep_seq, __ATOMIC_RELAXED) == seq)
			return ep->sa.sa_family != 0;
	}
	return false;
}

/*
 * Writers are rare (a roam) but may be several lanes at once: a lock holding
 * the writer's lane + 1 orders them, the sequence number lets readers spot a
 * torn copy. A writer never waits long (the endpoint is a hint: the next
 * roam writes it again), and the master frees the lock of a lane that died
 * holding it (steer_lane_died).
 */
void steer_put_endpoint(struct steer *s, uint32_t slot, unsigned int lane,
			const union endpoint *ep)
{
	struct tl_peer_slot *p;
	uint32_t free_lock = 0;
	int tries = 0;

	if (!s->slots || slot >= PEER_SLOTS)
		return;
	p = &s->slots[slot];
	while (!__atomic_compare_exchange_n(&p->ep_lock, &free_lock, lane + 1, false,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		if (++tries == 10000)
			return;
		free_lock = 0;
	}
	__atomic_fetch_add(&p->ep_seq, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(p->ep, ep, sizeof(*ep));
	__atomic_fetch_add(&p->ep_seq, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&p->ep_lock, 0, __ATOMIC_RELEASE);
}

int steer_set_lanes(struct steer *s, unsigned int lanes)
{
	struct tl_config cfg = { .lanes = lanes };
	uint32_t zero = 0;
	int ret;

	s->lanes = lanes;
	if (!s->obj)
		return 0;
	ret = ebpf_map_update(ebpf_map_fd(s->obj, "tl_config"), &zero, &cfg);
	if (ret == 0 && s->sel)
		ret = ebpf_map_update(ebpf_map_fd(s->sel, "tl_sel_config"), &zero,
				      &cfg);
	return ret;
}

int steer_set_member(struct steer *s, uint32_t lane, int fd)
{
	uint64_t v = (uint64_t)fd;
	int ret;

	if (s->socks_fd < 0)
		return -EOPNOTSUPP;
	if (fd >= 0)
		return ebpf_map_update(s->socks_fd, &lane, &v);
	ret = ebpf_map_delete(s->socks_fd, &lane);
	return ret == -ENOENT ? 0 : ret;
}

bool steer_rehome(struct steer *s, uint32_t slot, unsigned int lanes)
{
	struct tl_peer_slot *p;
	bool moved = false;
	uint32_t v;

	if (!s->slots || slot >= PEER_SLOTS)
		return false;
	p = &s->slots[slot];
	v = __atomic_load_n(&p->home, __ATOMIC_RELAXED);
	if (v > lanes) {
		__atomic_store_n(&p->home, 1, __ATOMIC_RELAXED);
		moved = true;
	}
	v = __atomic_load_n(&p->plain_owner, __ATOMIC_ACQUIRE);
	if (v > lanes) {
		__atomic_store_n(&p->plain_owner, 0, __ATOMIC_RELEASE);
		moved = true;
	}
	return moved && !steer_other_live(s, slot, LANES_MAX);
}

void steer_free(struct steer *s)
{
	if (s->slots)
		munmap(s->slots, s->slots_len);
	s->slots = NULL;
	steer_lane_detach(s);
}
