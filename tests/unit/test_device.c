// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two complete in-process WireGuard devices talking over real UDP sockets
 * on 127.0.0.1. Each device's "tun" is one end of a datagram socketpair, so
 * the test sees exactly what would reach the kernel. The protocol clock is
 * the fake one, so every timer of whitepaper section 6 is driven without
 * sleeping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "clock.h"
#include "crypto.h"
#include "device.h"
#include "lane.h"
#include "noise.h"
#include "uapi.h"

#define START_MONO (1000 * NSEC_PER_SEC)
#define START_REAL (1700000000ULL * NSEC_PER_SEC)
#define BUF 2048

struct node {
	struct wg_device dev;
	int tun[2];		/* [0] is the device's tun fd, [1] the test's */
	uint16_t port;
	uint8_t priv[32], pub[32];
	const char *inner;	/* our tunnel address */
};

static struct node A = { .inner = "10.0.0.1" }, B = { .inner = "10.0.0.2" };
/* Lane number of both devices: a lane sends to the peer's port + lane and
 * takes lane off the port it hears from, so endpoints are port - lane. */
static unsigned int lane_no;

static uint16_t bind_udp(int *fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(*fd >= 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

static void node_init(struct node *n)
{
	assert_int_equal(device_init(&n->dev, "test", true, lane_no), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0,
				    n->tun), 0);
	n->dev.tun_fd = n->tun[0];
	n->port = bind_udp(&n->dev.udp_fd);
	n->dev.udp_family = AF_INET;
	assert_int_equal(crypto_x25519_genkey(n->priv), 0);
	assert_int_equal(crypto_x25519_public(n->pub, n->priv), 0);
}

static void apply(struct node *n, const char *fmt, ...)
{
	struct uapi_set set;
	char text[2048], err[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	assert_int_equal(uapi_parse_set(&set, text, strlen(text), err,
					sizeof(err)), 0);
	assert_int_equal(device_apply(&n->dev, &set), 0);
	uapi_set_free(&set);
}

/* Gives n the other node as its one peer, allowed the other's /32. */
static void configure(struct node *n, struct node *o, unsigned int keepalive)
{
	char priv[CRYPTO_KEY_HEX_LEN], pub[CRYPTO_KEY_HEX_LEN];

	crypto_key_to_hex(priv, n->priv);
	crypto_key_to_hex(pub, o->pub);
	apply(n, "private_key=%s\nlisten_port=%u\npublic_key=%s\n"
		 "endpoint=127.0.0.1:%u\npersistent_keepalive_interval=%u\n"
		 "allowed_ip=%s/32\n\n",
	      priv, n->port, pub, o->port - lane_no, keepalive, o->inner);
}

static int setup(void **state)
{
	crypto_init();
	noise_init();
	clock_fake_set(START_MONO, START_REAL);
	node_init(&A);
	node_init(&B);
	configure(&A, &B, 0);
	configure(&B, &A, 0);
	return 0;
}

static int teardown(void **state)
{
	for (struct node *n = &A; n; n = n == &A ? &B : NULL) {
		device_free(&n->dev);
		close(n->tun[0]);
		close(n->tun[1]);
		close(n->dev.udp_fd);
	}
	clock_fake_clear();
	noise_bind_lane(0);
	lane_no = 0;
	return 0;
}

/* Both devices as lane 1 of a multi-lane daemon, where retire notices and
 * lane-bound sessions live. */
static int setup_lane1(void **state)
{
	lane_no = 1;
	return setup(state);
}

/* Reads one datagram addressed to n; 0 when none is waiting. */
static ssize_t wire_read(struct node *n, uint8_t *buf, union endpoint *src)
{
	socklen_t slen = sizeof(*src);
	ssize_t r = recvfrom(n->dev.udp_fd, buf, BUF, 0, &src->sa, &slen);

	return r < 0 ? 0 : r;
}

/* Delivers everything waiting on n's socket; returns how many. */
static int pump(struct node *n)
{
	uint8_t buf[BUF];
	union endpoint src;
	ssize_t len;
	int count = 0;

	while ((len = wire_read(n, buf, &src)) > 0) {
		receive_packet(&n->dev, buf, (size_t)len, &src);
		count++;
	}
	return count;
}

static void exchange(void)
{
	for (int i = 0; i < 20 && (pump(&A) + pump(&B)); i++)
		;
}

static size_t make_ip4(uint8_t *p, const char *src, const char *dst,
		       size_t payload)
{
	size_t len = 20 + payload;

	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 17;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	for (size_t i = 0; i < payload; i++)
		p[20 + i] = (uint8_t)(i * 7 + 3);
	return len;
}

/* Hands a packet to n as if read from its tun (with header room). */
static void tun_inject(struct node *n, const uint8_t *pkt, size_t len)
{
	static uint8_t buf[MESSAGE_DATA_HEADER_LEN + BUF + 64];

	memcpy(buf + MESSAGE_DATA_HEADER_LEN, pkt, len);
	send_tun_packet(&n->dev, buf + MESSAGE_DATA_HEADER_LEN, len);
}

static ssize_t tun_read(struct node *n, uint8_t *buf)
{
	ssize_t r = recv(n->tun[1], buf, BUF, MSG_DONTWAIT);

	return r < 0 ? 0 : r;
}

static struct wg_peer *peer_of(struct node *n)
{
	return n->dev.peers;
}

static void send_and_check(struct node *from, struct node *to, size_t payload)
{
	uint8_t pkt[BUF], got[BUF];
	size_t len = make_ip4(pkt, from->inner, to->inner, payload);

	tun_inject(from, pkt, len);
	exchange();
	assert_int_equal(tun_read(to, got), (ssize_t)len);
	assert_memory_equal(got, pkt, len);
}

static void establish(void)
{
	send_and_check(&A, &B, 100);
}

static void test_handshake_and_data(void **state)
{
	establish();
	send_and_check(&B, &A, 1000);
	send_and_check(&A, &B, 0);	/* an empty UDP datagram inside */
	assert_int_equal(A.dev.stats->handshakes, 1);
	assert_int_equal(B.dev.stats->handshakes, 1);
	assert_int_equal(peer_of(&A)->last_handshake_sec,
			 (int64_t)(START_REAL / NSEC_PER_SEC));
	assert_true(peer_of(&B)->tx_bytes > 1000);
	assert_true(peer_of(&A)->rx_bytes > 1000);
	assert_int_equal(peer_of(&A)->tx_bytes, peer_of(&B)->rx_bytes);
	/* The responder promoted its next keypair on the first data packet. */
	assert_non_null(peer_of(&B)->keypairs.current_keypair);
	assert_null(peer_of(&B)->keypairs.next_keypair);
	assert_int_equal(stats_drops_total(A.dev.stats), 0);
	assert_int_equal(stats_drops_total(B.dev.stats), 0);
}

/* Captures the next data datagram A sends to B without delivering it. */
static size_t capture_data(uint8_t *buf, union endpoint *src)
{
	uint8_t pkt[BUF];
	size_t len = make_ip4(pkt, A.inner, B.inner, 64);
	ssize_t n;

	tun_inject(&A, pkt, len);
	n = wire_read(&B, buf, src);
	assert_true(n > 0);
	assert_int_equal(buf[0], MESSAGE_DATA);
	return (size_t)n;
}

static void feed(struct node *n, const uint8_t *buf, size_t len,
		 const union endpoint *src)
{
	uint8_t copy[BUF];

	memcpy(copy, buf, len);
	receive_packet(&n->dev, copy, len, src);
}

static void test_bad_packets_dropped(void **state)
{
	uint8_t buf[BUF], got[BUF], junk[BUF];
	union endpoint src;
	size_t len;

	establish();
	len = capture_data(buf, &src);
	feed(&B, buf, len, &src);
	assert_true(tun_read(&B, got) > 0);
	feed(&B, buf, len, &src);			/* replayed */
	assert_int_equal(B.dev.stats->drops[DROP_REPLAY], 1);
	buf[len - 1] ^= 1;				/* forged tag */
	feed(&B, buf, len, &src);
	assert_int_equal(B.dev.stats->drops[DROP_BAD_AUTH], 1);
	buf[4] ^= 0x55;					/* unknown index */
	feed(&B, buf, len, &src);
	assert_int_equal(B.dev.stats->drops[DROP_UNKNOWN_INDEX], 1);
	feed(&B, buf, 10, &src);			/* truncated */
	memset(junk, 0, sizeof(junk));
	junk[0] = MESSAGE_HANDSHAKE_INITIATION;
	feed(&B, junk, MESSAGE_INITIATION_LEN + 1, &src);	/* oversized */
	assert_int_equal(B.dev.stats->drops[DROP_SHORT], 2);
	feed(&B, junk, MESSAGE_INITIATION_LEN, &src);	/* no valid mac1 */
	assert_int_equal(B.dev.stats->drops[DROP_BAD_MAC], 1);
	junk[0] = 9;
	feed(&B, junk, 100, &src);
	junk[0] = MESSAGE_DATA;
	junk[1] = 1;					/* reserved byte set */
	feed(&B, junk, 100, &src);
	assert_int_equal(B.dev.stats->drops[DROP_BAD_TYPE], 2);
	assert_int_equal(tun_read(&B, got), 0);
	send_and_check(&A, &B, 10);			/* still working */
}

static void test_forged_counter_keeps_session(void **state)
{
	uint8_t buf[BUF], got[BUF];
	union endpoint src;
	uint64_t huge = htole64(UINT64_MAX - 5);
	size_t len;

	establish();
	len = capture_data(buf, &src);
	/* The key index is visible on the wire; the counter is not yet
	 * authenticated when it is read, so it must not retire the key. */
	memcpy(buf + 8, &huge, sizeof(huge));
	feed(&B, buf, len, &src);
	assert_int_equal(B.dev.stats->drops[DROP_BAD_AUTH], 1);
	assert_int_equal(B.dev.stats->drops[DROP_EXPIRED], 0);
	assert_int_equal(tun_read(&B, got), 0);
	send_and_check(&A, &B, 10);
	assert_int_equal(B.dev.stats->handshakes, 1);
}

/* Handshakes are bound to their lane: lane 1 and lane 1 agree, lane 1
 * and lane 0 (plain WireGuard) do not. */
static void test_lane_binding(void **state)
{
	uint8_t pkt[BUF];
	size_t len = make_ip4(pkt, A.inner, B.inner, 10);

	noise_bind_lane(1);
	establish();
	assert_int_equal(B.dev.stats->handshakes, 1);
	peer_of(&A)->last_sent_handshake = 0;
	noise_keypairs_clear(&peer_of(&A)->keypairs, &A.dev.index);
	tun_inject(&A, pkt, len);	/* a lane-1 initiation ... */
	noise_bind_lane(0);
	pump(&B);			/* ... offered to lane 0 */
	assert_int_equal(B.dev.stats->drops[DROP_HANDSHAKE], 1);
	assert_int_equal(B.dev.stats->handshakes, 1);
}

static void test_inner_source_filtered(void **state)
{
	uint8_t pkt[BUF], got[BUF];
	size_t len;

	establish();
	/* A routes by destination, but B must refuse a source A may not use. */
	len = make_ip4(pkt, "10.0.0.99", B.inner, 40);
	tun_inject(&A, pkt, len);
	exchange();
	assert_int_equal(tun_read(&B, got), 0);
	assert_int_equal(B.dev.stats->drops[DROP_ALLOWED_IPS], 1);
	/* A truncated inner packet (length field beyond the data) too. */
	len = make_ip4(pkt, A.inner, B.inner, 40);
	pkt[2] = 0x10;
	tun_inject(&A, pkt, len);
	exchange();
	assert_int_equal(tun_read(&B, got), 0);
	assert_int_equal(B.dev.stats->drops[DROP_BAD_PACKET], 1);
}

static int count_type(struct node *n, uint8_t type)
{
	uint8_t buf[BUF];
	union endpoint src;
	ssize_t len;
	int count = 0;

	while ((len = wire_read(n, buf, &src)) > 0)
		count += buf[0] == type;
	return count;
}

static void advance_and_run(struct node *n, uint64_t ns)
{
	clock_fake_advance(ns);
	timers_run(&n->dev);
}

static void test_retransmit_then_give_up(void **state)
{
	uint8_t pkt[BUF];
	size_t len = make_ip4(pkt, A.inner, B.inner, 10);
	int sent;

	tun_inject(&A, pkt, len);	/* B never answers: we don't pump it */
	sent = count_type(&B, MESSAGE_HANDSHAKE_INITIATION);
	for (int i = 0; i < 40; i++) {
		advance_and_run(&A, REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX);
		sent += count_type(&B, MESSAGE_HANDSHAKE_INITIATION);
	}
	/* The first try plus MAX_TIMER_HANDSHAKES + 1 retries, then silence. */
	assert_int_equal(sent, MAX_TIMER_HANDSHAKES + 2);
	assert_int_equal(peer_of(&A)->staged_count, 0);
	assert_true(timers_pending(peer_of(&A), TIMER_ZERO_KEY_MATERIAL));
}

static void test_passive_keepalive(void **state)
{
	uint8_t got[BUF];

	establish();
	/* B got data and sent nothing back: after KEEPALIVE_TIMEOUT it must
	 * send an empty packet so A knows the session works. */
	advance_and_run(&B, KEEPALIVE_TIMEOUT - 1);
	assert_int_equal(pump(&A), 0);
	advance_and_run(&B, 1);
	assert_int_equal(pump(&A), 1);
	assert_int_equal(tun_read(&A, got), 0);
	assert_int_equal(peer_of(&A)->rx_bytes,
			 MESSAGE_RESPONSE_LEN + MESSAGE_MINIMUM_LENGTH);
}

static void test_new_handshake_when_unanswered(void **state)
{
	uint8_t pkt[BUF];
	size_t len = make_ip4(pkt, A.inner, B.inner, 10);

	establish();
	tun_inject(&A, pkt, len);
	assert_int_equal(count_type(&B, MESSAGE_DATA), 1);
	/* No reply to data for KEEPALIVE + REKEY_TIMEOUT (+ jitter): rekey. */
	advance_and_run(&A, NEW_HANDSHAKE_TIMEOUT - 1);
	assert_int_equal(count_type(&B, MESSAGE_HANDSHAKE_INITIATION), 0);
	advance_and_run(&A, REKEY_TIMEOUT_JITTER_MAX + 1);
	assert_int_equal(count_type(&B, MESSAGE_HANDSHAKE_INITIATION), 1);
}

static void test_rekey_after_time(void **state)
{
	uint8_t pkt[BUF];
	size_t len = make_ip4(pkt, A.inner, B.inner, 10);

	establish();
	send_and_check(&B, &A, 10);
	clock_fake_advance(REKEY_AFTER_TIME);
	tun_inject(&A, pkt, len);
	/* The old session still carries the packet, and A starts a rekey. */
	assert_int_equal(pump(&B), 2);
	exchange();
	assert_int_equal(A.dev.stats->handshakes, 2);
	send_and_check(&A, &B, 10);
}

static void test_reject_after_time(void **state)
{
	uint8_t pkt[BUF];
	size_t len = make_ip4(pkt, A.inner, B.inner, 10);

	establish();
	clock_fake_advance(REJECT_AFTER_TIME);
	tun_inject(&A, pkt, len);
	/* The expired session must not be used: stage and handshake. */
	assert_int_equal(count_type(&B, MESSAGE_DATA), 0);
	assert_int_equal(peer_of(&A)->staged_count, 1);
}

static void test_zero_key_material(void **state)
{
	establish();
	assert_non_null(peer_of(&A)->keypairs.current_keypair);
	advance_and_run(&A, ZERO_KEYS_AFTER);
	assert_null(peer_of(&A)->keypairs.current_keypair);
	assert_null(peer_of(&A)->keypairs.previous_keypair);
	assert_null(peer_of(&A)->keypairs.next_keypair);
}

static void test_persistent_keepalive(void **state)
{
	configure(&A, &B, 25);	/* turning it on sends one at once */
	exchange();
	assert_int_equal(A.dev.stats->handshakes, 1);
	assert_int_equal(B.dev.stats->handshakes, 1);
	establish();
	send_and_check(&B, &A, 10);	/* A owes B a passive keepalive */
	advance_and_run(&A, KEEPALIVE_TIMEOUT);
	assert_int_equal(count_type(&B, MESSAGE_DATA), 1);
	/* From that last packet on, the persistent interval counts. */
	advance_and_run(&A, 24 * NSEC_PER_SEC);
	assert_int_equal(count_type(&B, MESSAGE_DATA), 0);
	advance_and_run(&A, 1 * NSEC_PER_SEC);
	assert_int_equal(count_type(&B, MESSAGE_DATA), 1);
}

static void make_b_busy(void)
{
	receive_under_load(&B.dev, UNDER_LOAD_BACKLOG);
}

static void test_cookie_under_load(void **state)
{
	uint8_t pkt[BUF];
	size_t len = make_ip4(pkt, A.inner, B.inner, 10);

	make_b_busy();
	tun_inject(&A, pkt, len);
	pump(&B);	/* B answers the initiation with a cookie reply */
	assert_int_equal(B.dev.stats->handshakes, 0);
	assert_int_equal(pump(&A), 1);
	assert_true(peer_of(&A)->latest_cookie.is_valid);
	/* The retransmission carries mac2 and gets through the load. */
	advance_and_run(&A, REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX);
	make_b_busy();
	exchange();
	assert_int_equal(B.dev.stats->handshakes, 1);
	assert_int_equal(A.dev.stats->handshakes, 1);
}

/* A forged initiation with a valid mac1 for B (anyone who knows B's
 * public key can make one) and no cookie. */
static void forge_initiation(struct message_handshake_initiation *m)
{
	static struct cookie c;

	cookie_init(&c);
	cookie_precompute_peer_keys(&c, B.pub);
	memset(m, 0, sizeof(*m));
	m->header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	crypto_random(&m->sender_index,
		      offsetof(struct message_handshake_initiation, macs) -
		      offsetof(struct message_handshake_initiation, sender_index));
	cookie_add_mac_to_packet(m, sizeof(*m), &c);
}

/* n handles what waits on its socket, then its whole handshake queue. */
static int pump_all(struct node *n)
{
	int count = pump(n);

	while (receive_handshakes(&n->dev, HANDSHAKE_BUDGET))
		;
	return count;
}

static void flood_b(int count, const union endpoint *from)
{
	struct message_handshake_initiation m;

	for (int i = 0; i < count; i++) {
		forge_initiation(&m);
		receive_packet(&B.dev, (uint8_t *)&m, sizeof(m), from);
	}
}

/*
 * A flood of forged initiations from one source at a lane with a handshake
 * queue: only the backlog that puts it under load costs Curve25519 work,
 * at HANDSHAKE_BUDGET per turn; the rest costs no more than mac1 and a
 * ration check, with cookie replies held to the per-source burst. Data of an
 * established session flows throughout, and the real peer, from another
 * source, still completes a new handshake through the cookie path.
 */
static void test_flood_is_rationed(void **state)
{
	const uint64_t *drops = B.dev.stats->drops;
	union endpoint flooder = { 0 };
	int n = 1000;

	establish();
	flooder.in.sin_family = AF_INET;
	flooder.in.sin_port = htons(9);	/* discard: replies go nowhere */
	inet_pton(AF_INET, "127.0.0.2", &flooder.in.sin_addr);
	assert_int_equal(receive_queue_init(&B.dev), 0);
	flood_b(n, &flooder);
	assert_int_equal(B.dev.hsq_len, UNDER_LOAD_BACKLOG);
	assert_true(drops[DROP_COOKIE_REPLY] >= 1);
	assert_true(drops[DROP_COOKIE_REPLY] <= RATELIMIT_BURST + 1);
	assert_int_equal(drops[DROP_COOKIE_REPLY] + drops[DROP_COOKIE_LIMITED],
			 n - UNDER_LOAD_BACKLOG);
	assert_int_equal(drops[DROP_HANDSHAKE], 0);	/* no DH yet */
	assert_true(receive_handshakes(&B.dev, HANDSHAKE_BUDGET));
	assert_int_equal(drops[DROP_HANDSHAKE], HANDSHAKE_BUDGET);
	/* The session keeps carrying data, both ways. */
	send_and_check(&A, &B, 40);
	send_and_check(&B, &A, 40);
	/* A new handshake by A: first a cookie reply, then its retry with
	 * mac2 gets through, though the flood goes on. */
	noise_expire_current_peer_keypairs(&peer_of(&A)->keypairs);
	peer_of(&A)->last_sent_handshake = 0;
	send_handshake_initiation(peer_of(&A), false);
	flood_b(100, &flooder);
	pump_all(&B);
	assert_int_equal(B.dev.stats->handshakes, 1);	/* establish()'s */
	assert_int_equal(pump(&A), 1);
	assert_true(peer_of(&A)->latest_cookie.is_valid);
	advance_and_run(&A, REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX);
	flood_b(100, &flooder);
	assert_true(receive_under_load(&B.dev, B.dev.hsq_len));
	for (int i = 0; i < 10 && pump_all(&B) + pump(&A); i++)
		;
	assert_int_equal(B.dev.stats->handshakes, 2);
	send_and_check(&A, &B, 50);
}

/*
 * Junk that knows no key (mac1 invalid, mac2 zero) from many spoofed
 * sources, under load, must not spend the cookie-reply budget (the global
 * rate and the per-source table): each is dropped on its mac1, and the real
 * peer still gets its cookie reply and then its handshake.
 */
static void test_junk_spends_no_cookie_budget(void **state)
{
	const uint64_t *drops = B.dev.stats->drops;
	struct message_handshake_initiation m;
	union endpoint spoofed = { 0 };
	const int n = 20000;	/* more than the per-source table holds */

	establish();
	make_b_busy();
	spoofed.in.sin_family = AF_INET;
	spoofed.in.sin_port = htons(9);
	for (int i = 0; i < n; i++) {
		uint32_t a = 0x0a000000u | (uint32_t)i;	/* 10.0.0.0/8 */

		spoofed.in.sin_addr.s_addr = htonl(a);
		forge_initiation(&m);
		m.macs.mac1[0] ^= 1;
		receive_packet(&B.dev, (uint8_t *)&m, sizeof(m), &spoofed);
	}
	assert_int_equal(drops[DROP_BAD_MAC], n);
	assert_int_equal(drops[DROP_COOKIE_LIMITED], 0);
	assert_int_equal(drops[DROP_COOKIE_REPLY], 0);
	/* A's new initiation: a cookie reply, then the retry with mac2. */
	noise_expire_current_peer_keypairs(&peer_of(&A)->keypairs);
	peer_of(&A)->last_sent_handshake = 0;
	send_handshake_initiation(peer_of(&A), false);
	make_b_busy();
	pump(&B);
	assert_int_equal(drops[DROP_COOKIE_REPLY], 1);
	assert_int_equal(pump(&A), 1);
	assert_true(peer_of(&A)->latest_cookie.is_valid);
	advance_and_run(&A, REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX);
	make_b_busy();
	exchange();
	assert_int_equal(B.dev.stats->handshakes, 2);
	send_and_check(&A, &B, 50);
}

static void test_endpoint_roams(void **state)
{
	char ep[ENDPOINT_STR_LEN], want[ENDPOINT_STR_LEN];
	int old = A.dev.udp_fd;
	uint16_t port;

	establish();
	port = bind_udp(&A.dev.udp_fd);	/* A moves to a new port */
	close(old);
	send_and_check(&A, &B, 20);
	endpoint_format(&peer_of(&B)->endpoint, ep, sizeof(ep));
	snprintf(want, sizeof(want), "127.0.0.1:%u", port);
	assert_string_equal(ep, want);
	A.port = port;
	send_and_check(&B, &A, 20);
}

static void test_same_private_key_keeps_sessions(void **state)
{
	char priv[CRYPTO_KEY_HEX_LEN];

	establish();
	crypto_key_to_hex(priv, A.priv);
	apply(&A, "private_key=%s\n\n", priv);	/* what wg syncconf sends */
	assert_true(peer_of(&A)->keypairs.current_keypair->sending.is_valid);
	send_and_check(&A, &B, 30);
	assert_int_equal(A.dev.stats->handshakes, 1);
}

static void test_get_reply(void **state)
{
	char *out = NULL, pub[CRYPTO_KEY_HEX_LEN], line[128];
	size_t len = 0;

	establish();
	assert_int_equal(device_get(&A.dev, &out, &len), 0);
	crypto_key_to_hex(pub, B.pub);
	snprintf(line, sizeof(line), "public_key=%s\n", pub);
	assert_non_null(strstr(out, line));
	snprintf(line, sizeof(line), "endpoint=127.0.0.1:%u\n", B.port);
	assert_non_null(strstr(out, line));
	assert_non_null(strstr(out, "allowed_ip=10.0.0.2/32\n"));
	assert_non_null(strstr(out, "last_handshake_time_sec=1700000000\n"));
	assert_non_null(strstr(out, "protocol_version=1\n"));
	free(out);
}

static void test_private_key_change_forces_handshake(void **state)
{
	char priv[CRYPTO_KEY_HEX_LEN], pub[CRYPTO_KEY_HEX_LEN];

	establish();
	assert_int_equal(crypto_x25519_genkey(A.priv), 0);
	assert_int_equal(crypto_x25519_public(A.pub, A.priv), 0);
	crypto_key_to_hex(priv, A.priv);
	apply(&A, "private_key=%s\n\n", priv);
	assert_false(peer_of(&A)->keypairs.current_keypair->sending.is_valid);
	crypto_key_to_hex(pub, A.pub);
	apply(&B, "replace_peers=true\npublic_key=%s\nendpoint=127.0.0.1:%u\n"
		  "allowed_ip=10.0.0.1/32\n\n", pub, A.port);
	advance_and_run(&A, REKEY_TIMEOUT);
	send_and_check(&A, &B, 30);
	assert_int_equal(A.dev.stats->handshakes, 2);
}

/* Hands B one recvmsg result, with a UDP_GRO control message of the given
 * cmsg_len when seg > 0. */
static void feed_msghdr(uint8_t *buf, size_t len, int seg, size_t cmsg_len,
			int flags, const union endpoint *src)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_flags = flags };
	struct cmsghdr *cm;

	if (seg > 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_UDP;
		cm->cmsg_type = UDP_GRO;
		cm->cmsg_len = cmsg_len;
		memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	}
	receive_msghdr(&B.dev, &mh, len, src);
}

/* UDP GRO (udp(7)): one buffer holding several same-size datagrams, cut
 * at the segment size the kernel reports, the last one possibly shorter. */
static void test_gro_buffer(void **state)
{
	uint8_t buf[3 * BUF], got[BUF];
	union endpoint src;
	size_t l1, l2, l3;

	establish();
	l1 = capture_data(buf, &src);
	l2 = capture_data(buf + l1, &src);
	assert_int_equal(l1, l2);
	l3 = capture_data(buf + 2 * l1, &src);
	feed_msghdr(buf, l1 + l2 + l3, (int)l1, CMSG_LEN(sizeof(int)), 0, &src);
	for (int i = 0; i < 3; i++)
		assert_true(tun_read(&B, got) > 0);
	assert_int_equal(stats_drops_total(B.dev.stats), 0);
	/* Truncated by the kernel: dropped as a whole. */
	l1 = capture_data(buf, &src);
	feed_msghdr(buf, l1, 0, 0, MSG_TRUNC, &src);
	assert_int_equal(B.dev.stats->drops[DROP_SHORT], 1);
	/* A control message too short for its int is ignored: one datagram. */
	feed_msghdr(buf, l1, 1, CMSG_LEN(0), 0, &src);
	assert_int_equal(tun_read(&B, got), 64 + 20);
	assert_int_equal(B.dev.stats->drops[DROP_SHORT], 1);
}

static void set_local(struct wg_device *dev, const char *addr)
{
	memset(&dev->rx_local, 0, sizeof(dev->rx_local));
	dev->rx_local.family = AF_INET;
	inet_pton(AF_INET, addr, &dev->rx_local.addr.v4);
}

/*
 * A handshake waits in the queue while later datagrams, sent to other
 * addresses of ours, are read: its answer must still leave from the
 * address it was sent to. A hub with one address per client link that
 * answered from another link's address sent the client away: the client
 * takes the answer's source as our endpoint, and cannot reach it.
 */
static void test_queued_handshake_keeps_local_address(void **state)
{
	uint8_t buf[BUF], pkt[BUF];
	size_t len = make_ip4(pkt, A.inner, B.inner, 10);
	union endpoint src;
	char ep[ENDPOINT_STR_LEN], want[ENDPOINT_STR_LEN];
	ssize_t n;

	assert_int_equal(receive_queue_init(&B.dev), 0);
	tun_inject(&A, pkt, len);	/* A initiates */
	n = wire_read(&B, buf, &src);
	assert_true(n > 0);
	set_local(&B.dev, "127.0.0.1");	/* where A sent it */
	receive_packet(&B.dev, buf, (size_t)n, &src);
	assert_int_equal(B.dev.hsq_len, 1);
	set_local(&B.dev, "127.0.0.3");	/* a later datagram's */
	assert_false(receive_handshakes(&B.dev, HANDSHAKE_BUDGET));
	assert_int_equal(peer_of(&B)->src.family, AF_INET);
	assert_int_equal(ntohl(peer_of(&B)->src.addr.v4.s_addr), 0x7f000001);
	assert_int_equal(ntohl(B.dev.rx_local.addr.v4.s_addr), 0x7f000003);
	/* A sees the response come from where it sent the initiation. */
	assert_int_equal(pump(&A), 1);
	endpoint_format(&peer_of(&A)->endpoint, ep, sizeof(ep));
	snprintf(want, sizeof(want), "127.0.0.1:%u", B.port);
	assert_string_equal(ep, want);
	exchange();
	assert_int_equal(tun_read(&B, buf), (ssize_t)len);
}

/* B's lane 1 tells A it retires (as lane_retire does), under B's current
 * session; returns the notice as it reached A's socket, undelivered. */
static size_t capture_retire_notice(uint8_t *buf, union endpoint *src)
{
	ssize_t n;

	peer_stage_packet(peer_of(&B), (const uint8_t *)MESSAGE_LANE_RETIRE,
			  MESSAGE_LANE_RETIRE_LEN);
	send_staged_packets(peer_of(&B));
	send_flush(&B.dev);
	n = wire_read(&A, buf, src);
	assert_true(n > 0);
	assert_int_equal(buf[0], MESSAGE_DATA);
	return (size_t)n;
}

/* A session, B's retire notice for it captured on its way to A, and A's
 * lane acting on notices as a lane does: where every retire test starts. */
static size_t retire_setup(uint8_t *note, union endpoint *src)
{
	establish();
	A.dev.on_retire = lane_on_retire;
	return capture_retire_notice(note, src);
}

/* After a retire notice, traffic still in the tun queue for that lane
 * must not set up a new session with the retiring lane (which still runs
 * for its grace period): nothing goes on the wire until the probe wait is
 * over, and what waited is dropped, not sent later. */
static void test_retire_holds_off_initiation(void **state)
{
	uint8_t pkt[BUF], note[BUF];
	size_t len = make_ip4(pkt, A.inner, B.inner, 10), nlen;
	union endpoint src;

	nlen = retire_setup(note, &src);
	feed(&A, note, nlen, &src);
	assert_null(peer_of(&A)->keypairs.current_keypair);
	tun_inject(&A, pkt, len);
	assert_int_equal(wire_read(&B, note, &src), 0);
	assert_int_equal(peer_of(&A)->staged_count, 0);
	for (int i = 0; i < 10; i++) {
		advance_and_run(&A, REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX);
		assert_int_equal(wire_read(&B, note, &src), 0);
	}
	/* The hold-off ends with the probe wait (two minutes). */
	clock_fake_advance(120 * NSEC_PER_SEC);
	tun_inject(&A, pkt, len);
	assert_int_equal(count_type(&B, MESSAGE_HANDSHAKE_INITIATION), 1);
}

/* The hold-off stops only us: the peer's lane coming back (its Lanes
 * grown again) initiates, and we answer and carry its traffic. */
static void test_retired_peer_may_initiate(void **state)
{
	uint8_t note[BUF];
	size_t nlen;
	union endpoint src;

	nlen = retire_setup(note, &src);
	feed(&A, note, nlen, &src);
	assert_true(peer_of(&A)->retired_until != 0);
	noise_keypairs_clear(&peer_of(&B)->keypairs, &B.dev.index);
	peer_of(&B)->last_sent_handshake = 0;
	send_and_check(&B, &A, 50);
	assert_int_equal(A.dev.stats->handshakes, 2);
	assert_int_equal(peer_of(&A)->retired_until, 0);
	send_and_check(&A, &B, 50);
}

/* A notice that comes late, under a keypair that is no longer the
 * current one, must not end the newer session. */
static void test_retire_notice_old_keypair_ignored(void **state)
{
	uint8_t note[BUF];
	size_t nlen;
	union endpoint src;

	nlen = retire_setup(note, &src);
	clock_fake_advance(NSEC_PER_SEC);	/* a newer TAI64N timestamp */
	peer_of(&A)->last_sent_handshake = 0;
	send_handshake_initiation(peer_of(&A), false);
	exchange();
	send_and_check(&A, &B, 20);
	assert_int_equal(A.dev.stats->handshakes, 2);
	assert_non_null(peer_of(&A)->keypairs.previous_keypair);
	feed(&A, note, nlen, &src);
	assert_non_null(peer_of(&A)->keypairs.current_keypair);
	assert_int_equal(peer_of(&A)->retired_until, 0);
	send_and_check(&A, &B, 20);
	send_and_check(&B, &A, 20);
}

/* A lane the master is retiring answers no initiation and sends none:
 * a session set up now would outlive the lane. */
static void test_retiring_lane_refuses_handshakes(void **state)
{
	uint8_t pkt[BUF];
	size_t len = make_ip4(pkt, A.inner, B.inner, 10), rlen;
	char *reply = NULL;

	lane_ctl_request(&B.dev, "retire=1\n\n", 10, &reply, &rlen);
	assert_string_equal(reply, "errno=0\n\n");
	free(reply);
	tun_inject(&A, pkt, len);
	assert_int_equal(pump(&B), 1);
	assert_int_equal(B.dev.stats->drops[DROP_HANDSHAKE], 1);
	assert_int_equal(B.dev.stats->handshakes, 0);
	assert_int_equal(count_type(&A, MESSAGE_HANDSHAKE_RESPONSE), 0);
	len = make_ip4(pkt, B.inner, A.inner, 10);
	tun_inject(&B, pkt, len);
	assert_int_equal(count_type(&A, MESSAGE_HANDSHAKE_INITIATION), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T1(f) cmocka_unit_test_setup_teardown(f, setup_lane1, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_handshake_and_data),
		T(test_bad_packets_dropped),
		T(test_forged_counter_keeps_session),
		T(test_lane_binding),
		T(test_inner_source_filtered),
		T(test_retransmit_then_give_up),
		T(test_passive_keepalive),
		T(test_new_handshake_when_unanswered),
		T(test_rekey_after_time),
		T(test_reject_after_time),
		T(test_zero_key_material),
		T(test_persistent_keepalive),
		T(test_cookie_under_load),
		T(test_junk_spends_no_cookie_budget),
		T(test_flood_is_rationed),
		T(test_queued_handshake_keeps_local_address),
		T(test_endpoint_roams),
		T(test_same_private_key_keeps_sessions),
		T(test_get_reply),
		T(test_private_key_change_forces_handshake),
		T(test_gro_buffer),
		T1(test_retire_holds_off_initiation),
		T1(test_retired_peer_may_initiate),
		T1(test_retire_notice_old_keypair_ignored),
		T1(test_retiring_lane_refuses_handshakes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
