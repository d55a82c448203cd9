// SPDX-License-Identifier: GPL-2.0-only
/*
 * The master <-> lane control channel (ctl.c): one deadline per message,
 * however the sender spreads its bytes, and a size cap checked before
 * anything is allocated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl.h"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct trickle {
	int fd;
	int gap_ms;
	size_t bytes;		/* how many to send, one at a time */
};

/* A lane gone bad: announces 64 bytes, then sends one byte per gap. */
static void *trickler(void *arg)
{
	struct trickle *t = arg;
	uint32_t hdr = 64;
	uint8_t *h = (uint8_t *)&hdr;

	for (size_t i = 0; i < t->bytes; i++) {
		uint8_t b = i < sizeof(hdr) ? h[i] : 'x';

		if (send(t->fd, &b, 1, MSG_NOSIGNAL) != 1)
			break;
		usleep((useconds_t)t->gap_ms * 1000);
	}
	return NULL;
}

/* Each byte comes well within the timeout, the message never does: the
 * reader must give up once the message's deadline passes. */
static void test_trickle_hits_message_deadline(void **state)
{
	struct trickle t = { .gap_ms = 150, .bytes = 4 + 64 };
	pthread_t th;
	int64_t start, took;
	size_t len;
	char *buf;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t.fd = sv[1];
	assert_int_equal(pthread_create(&th, NULL, trickler, &t), 0);
	start = mono_ms();
	assert_int_equal(ctl_recv(sv[0], &buf, &len, NULL, 1000), -ETIMEDOUT);
	took = mono_ms() - start;
	assert_true(took >= 900);
	assert_true(took < 2000);	/* the whole message would take 10 s */
	close(sv[0]);			/* the trickler's next send fails */
	pthread_join(th, NULL);
	close(sv[1]);
}

/* A header split over reads is still one message, within the deadline. */
static void test_split_header_within_deadline(void **state)
{
	struct trickle t = { .gap_ms = 5, .bytes = 4 + 64 };
	pthread_t th;
	size_t len;
	char *buf;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t.fd = sv[1];
	assert_int_equal(pthread_create(&th, NULL, trickler, &t), 0);
	assert_int_equal(ctl_recv(sv[0], &buf, &len, NULL, 5000), 0);
	assert_int_equal(len, 64);
	assert_int_equal(buf[63], 'x');
	assert_int_equal(buf[64], '\0');
	free(buf);
	pthread_join(th, NULL);
	close(sv[0]);
	close(sv[1]);
}

static void test_size_cap(void **state)
{
	uint32_t hdr = 1 << 20;
	size_t len;
	char *buf;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(send(sv[1], &hdr, sizeof(hdr), 0), sizeof(hdr));
	/* Refused from the header alone: no wait for a megabyte. */
	assert_int_equal(ctl_recv_max(sv[0], &buf, &len, NULL, 1000, 4096),
			 -EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
}

static void test_roundtrip_with_fd(void **state)
{
	size_t len;
	char *buf;
	int sv[2], pfd[2], got;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(ctl_send(sv[1], "get=1\n\n", 7, pfd[0]), 0);
	assert_int_equal(ctl_recv_max(sv[0], &buf, &len, &got, 1000, 7), 0);
	assert_int_equal(len, 7);
	assert_string_equal(buf, "get=1\n\n");
	assert_true(got >= 0);
	close(got);
	free(buf);
	/* Over the cap: refused, and the fd that came with it is closed. */
	assert_int_equal(ctl_send(sv[1], "get=1\n\n", 7, pfd[0]), 0);
	assert_int_equal(ctl_recv_max(sv[0], &buf, &len, &got, 1000, 6),
			 -EMSGSIZE);
	assert_int_equal(got, -1);
	close(pfd[0]);
	close(pfd[1]);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A lane's reply that is already queued is read even when the caller's
 * deadline has passed (timeout 0): the master collects every lane within
 * one shared deadline, and one slow lane used up must not make every later
 * lane look dead (it would be killed and all its sessions lost).
 */
static void test_queued_reply_read_after_deadline(void **state)
{
	size_t len;
	char *buf;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(ctl_send(sv[1], "errno=0\n\n", 9, -1), 0);
	assert_int_equal(ctl_recv(sv[0], &buf, &len, NULL, 0), 0);
	assert_int_equal(len, 9);
	assert_string_equal(buf, "errno=0\n\n");
	free(buf);
	/* Nothing queued and no time left: a timeout, at once. */
	assert_int_equal(ctl_recv(sv[0], &buf, &len, NULL, 0), -ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trickle_hits_message_deadline),
		cmocka_unit_test(test_split_header_within_deadline),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_roundtrip_with_fd),
		cmocka_unit_test(test_queued_reply_read_after_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
