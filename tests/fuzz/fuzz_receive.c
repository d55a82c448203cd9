// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the UDP receive path of a lane (src/wg receive.c,
 * through receive_msghdr() as the lane's recvmmsg loop calls it).
 *
 * Each input gets two fresh in-process devices, A and B, that are each
 * other's peer, over real UDP sockets on 127.0.0.1 (as in
 * tests/unit/test_device.c). B is the device under test: its "tun" is
 * /dev/null, optionally with a vnet header so decrypted packets go through
 * TCP GRO (offload_gro_batch) before the write. A is a helper that turns
 * fuzzed inner packets into genuine handshakes and data messages, so the
 * fuzzer reaches the code behind authentication too.
 *
 * Input: one flags byte, then records (fuzz.h) of op, length, payload:
 *   0 raw      the payload is one datagram from A's address to B
 *   1 seal     the payload is an inner IP packet A sends through the
 *              tunnel (a handshake first, when there is no session)
 *   2 gro      start (or end and deliver) a UDP GRO buffer: datagrams for
 *              B are glued into one buffer, delivered with a UDP_GRO
 *              control message whose segment size is the payload's first
 *              16 bits (0: the first datagram's length)
 *   3 mutate   the last datagram B got, XORed with the payload, again
 *   4 time     advance the clock by payload[0..1] * 100 ms, run timers
 *   5 rekey    A starts a new handshake
 * Flags: bit 0 vnet header on B's tun, bit 1 B under load (cookies), bit 2
 * no rx batch (each packet written at once), bit 3 B queues handshakes as
 * a lane does (done after each record), bit 4 a preshared key, bit 5
 * persistent keepalive (1 s) on A.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "crypto.h"
#include "device.h"
#include "fuzz.h"
#include "log.h"
#include "noise.h"
#include "uapi.h"

#define BUFSZ (MESSAGE_MAX_SIZE + 64)
#define PSK "preshared_key=0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f\n"
#define START_MONO (1000 * NSEC_PER_SEC)
#define START_REAL (1700000000ULL * NSEC_PER_SEC)

struct node {
	struct wg_device dev;
	int sock;
	uint16_t port;
	uint8_t priv[32], pub[32];
};

static struct node A, B;
static int devnull = -1;
static union endpoint a_addr;
static uint8_t rxbuf[BUFSZ], last[BUFSZ], tunbuf[BUFSZ + 64];
static size_t last_len;
static uint8_t gro_buf[BUFSZ];
static size_t gro_len, gro_seg;
static int gro_on;
static struct rx_batch rxb;
static int debug;

static uint16_t bind_loopback(int *fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(*fd, (struct sockaddr *)&a, &len) < 0)
		abort();
	return ntohs(a.sin_port);
}

static void apply(struct wg_device *dev, const char *text)
{
	struct uapi_set set;
	char err[256];

	if (uapi_parse_set(&set, text, strlen(text), err, sizeof(err)) < 0 ||
	    device_apply(dev, &set) < 0)
		abort();
	uapi_set_free(&set);
}

static void configure(struct node *n, struct node *o, const char *allowed)
{
	char priv[CRYPTO_KEY_HEX_LEN], pub[CRYPTO_KEY_HEX_LEN], text[1024];

	crypto_key_to_hex(priv, n->priv);
	crypto_key_to_hex(pub, o->pub);
	snprintf(text, sizeof(text),
		 "private_key=%s\nlisten_port=%u\npublic_key=%s\n"
		 "endpoint=127.0.0.1:%u\n%s\n", priv, n->port, pub, o->port,
		 allowed);
	apply(&n->dev, text);
}

static void keepalive(struct node *n, struct node *o)
{
	char pub[CRYPTO_KEY_HEX_LEN], text[256];

	crypto_key_to_hex(pub, o->pub);
	snprintf(text, sizeof(text),
		 "public_key=%s\npersistent_keepalive_interval=1\n\n", pub);
	apply(&n->dev, text);
}

static void node_once(struct node *n, uint8_t seed)
{
	n->port = bind_loopback(&n->sock);
	memset(n->priv, seed, sizeof(n->priv));
	if (crypto_x25519_public(n->pub, n->priv) < 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!getenv("TUNLANE_FUZZ_DEBUG"))
		log_set_max_priority(-1);
	if (crypto_init() < 0)
		abort();
	noise_init();
	node_once(&A, 0x41);
	node_once(&B, 0x42);
	a_addr.in.sin_family = AF_INET;
	a_addr.in.sin_port = htons(A.port);
	a_addr.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	debug = getenv("TUNLANE_FUZZ_DEBUG") != NULL;
	if (devnull < 0)
		abort();
	return 0;
}

static void drain(int fd)
{
	while (recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT) >= 0)
		;
}

static void node_start(struct node *n)
{
	if (device_init(&n->dev, "fuzz", true, 0) < 0)
		abort();
	n->dev.udp_fd = n->sock;
	n->dev.udp_family = AF_INET;
	n->dev.tun_fd = devnull;
}

/* Hands B one recvmsg's worth, as the lane does, then flushes the tun. */
static void b_recvmsg(uint8_t *buf, size_t len, size_t seg)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (seg) {
		struct cmsghdr *cm;
		int s = (int)seg;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_UDP;
		cm->cmsg_type = UDP_GRO;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &s, sizeof(s));
	}
	receive_msghdr(&B.dev, &mh, len, &a_addr);
	receive_flush(&B.dev);
}

static void gro_deliver(void)
{
	if (gro_len)
		b_recvmsg(gro_buf, gro_len, gro_seg);
	gro_len = 0;
	gro_seg = 0;
}

/* A datagram for B: delivered now, or glued onto the GRO buffer. */
static void to_b(const uint8_t *p, size_t len)
{
	if (p != last)		/* (op 3 hands last itself back) */
		memcpy(last, p, len);
	last_len = len;
	if (!gro_on) {
		memcpy(rxbuf, p, len);
		b_recvmsg(rxbuf, len, 0);
		return;
	}
	if (gro_len + len > sizeof(gro_buf))
		gro_deliver();
	if (!gro_seg)
		gro_seg = len;
	memcpy(gro_buf + gro_len, p, len);
	gro_len += len;
}

/* Moves what each side sent to the other until both are quiet. */
static void exchange(void)
{
	union endpoint src;

	for (int round = 0; round < 8; round++) {
		int moved = 0;
		ssize_t n;
		socklen_t sl;

		while (sl = sizeof(src),
		       (n = recvfrom(A.sock, rxbuf, sizeof(rxbuf), MSG_DONTWAIT,
				     &src.sa, &sl)) >= 0) {
			receive_packet(&A.dev, rxbuf, (size_t)n, &src);
			moved++;
		}
		while ((n = recv(B.sock, tunbuf, sizeof(tunbuf), MSG_DONTWAIT)) >= 0) {
			to_b(tunbuf, (size_t)n);
			moved++;
		}
		if (!moved)
			break;
	}
}

static void seal(const uint8_t *p, size_t len)
{
	if (len > MESSAGE_MAX_SIZE - 64)
		len = MESSAGE_MAX_SIZE - 64;
	memcpy(tunbuf + MESSAGE_DATA_HEADER_LEN, p, len);
	send_tun_packet(&A.dev, tunbuf + MESSAGE_DATA_HEADER_LEN, len);
}

static void run_op(int op, const uint8_t *p, size_t len)
{
	struct fuzz_in in = { p, len };

	switch (op % 6) {
	case 0:
		to_b(p, len);
		break;
	case 1:
		seal(p, len);
		break;
	case 2:
		gro_deliver();
		gro_on = !gro_on;
		gro_seg = fuzz_u16(&in);
		break;
	case 3:
		for (size_t i = 0; i < len && i < last_len; i++)
			last[i] ^= p[i];
		to_b(last, last_len);
		break;
	case 4:
		clock_fake_advance(fuzz_u16(&in) * 100 * NSEC_PER_MSEC);
		timers_run(&A.dev);
		timers_run(&B.dev);
		break;
	case 5:
		A.dev.peers->last_sent_handshake = 0;
		send_handshake_initiation(A.dev.peers, false);
		break;
	}
	exchange();
}

/* TUNLANE_FUZZ_DEBUG=1: what each input did, to check the seeds. */
static void report(void)
{
	const struct lane_stats *s = B.dev.stats;

	fprintf(stderr, "B: rx %llu packets, %llu handshakes, %llu dropped:",
		(unsigned long long)s->rx_packets,
		(unsigned long long)s->handshakes,
		(unsigned long long)stats_drops_total(s));
	for (int i = 0; i < DROP_MAX; i++)
		if (s->drops[i])
			fprintf(stderr, " %s %llu", stats_drop_names[i],
				(unsigned long long)s->drops[i]);
	fprintf(stderr, "; peer rx %llu bytes\n",
		(unsigned long long)(B.dev.peers ? B.dev.peers->rx_bytes : 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	int flags = fuzz_u8(&in), op;
	const uint8_t *p;
	size_t len;

	if (flags < 0)
		return 0;
	clock_fake_set(START_MONO, START_REAL);
	drain(A.sock);
	drain(B.sock);
	node_start(&A);
	node_start(&B);
	configure(&A, &B, flags & 16 ? "allowed_ip=0.0.0.0/0\nallowed_ip=::/0\n" PSK :
				      "allowed_ip=0.0.0.0/0\nallowed_ip=::/0\n");
	configure(&B, &A, flags & 16 ? "allowed_ip=10.1.0.0/16\nallowed_ip=fd00:1::/32\n" PSK :
				      "allowed_ip=10.1.0.0/16\nallowed_ip=fd00:1::/32\n");
	if (flags & 32)
		keepalive(&A, &B);
	B.dev.vnet_hdr = flags & 1;
	rxb.n = 0;
	B.dev.rxb = flags & 4 ? NULL : &rxb;
	if (flags & 2)
		receive_under_load(&B.dev, UNDER_LOAD_BACKLOG);
	/* As in a lane: handshakes wait in the queue, done after the data. */
	if ((flags & 8) && receive_queue_init(&B.dev) < 0)
		abort();
	last_len = 0;
	gro_len = gro_seg = 0;
	gro_on = 0;
	while (fuzz_record(&in, &op, &p, &len)) {
		run_op(op, p, len);
		while (receive_handshakes(&B.dev, HANDSHAKE_BUDGET))
			;
	}
	gro_deliver();
	while (receive_handshakes(&B.dev, HANDSHAKE_BUDGET))
		;
	if (debug)
		report();
	device_free(&A.dev);
	device_free(&B.dev);
	clock_fake_clear();
	return 0;
}
