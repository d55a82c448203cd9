// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where a network namespace's runtime files go (src/lib/netns.c): the init
 * namespace keeps RUNSTATEDIR/tunlane, any other gets a directory of its
 * own by the inode of its namespace, so two namespaces never share a name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "defaults.h"
#include "netns.h"

static void test_self(void **state)
{
	struct netns_id a, b;

	assert_int_equal(netns_of(0, &a), 0);
	assert_int_equal(netns_of(getpid(), &b), 0);
	assert_true(netns_equal(&a, &b));
	b.ino++;
	assert_false(netns_equal(&a, &b));
	/* Beyond the largest pid_max (4194304): no such process. */
	assert_int_equal(netns_of(4194305 + 1, &b), -ENOENT);
}

static void test_paths(void **state)
{
	struct netns_id self, other;
	char want[128], got[128], tiny[8];

	assert_int_equal(netns_of(0, &self), 0);
	/* An inode that no live namespace has: never the init one. */
	other = (struct netns_id){ .dev = self.dev, .ino = 12345 };
	assert_false(netns_is_init(&other));
	assert_int_equal(netns_path(&other, "wg0", "sock", got, sizeof(got)), 0);
	snprintf(want, sizeof(want), "%s/netns/12345/wg0.sock", STATS_DIR);
	assert_string_equal(got, want);
	assert_int_equal(netns_dir(&other, got, sizeof(got)), 0);
	snprintf(want, sizeof(want), "%s/netns/12345", STATS_DIR);
	assert_string_equal(got, want);
	/* The caller's own: the init directory exactly when it is pid 1's. */
	assert_int_equal(netns_dir(NULL, got, sizeof(got)), 0);
	if (netns_is_init(&self))
		assert_string_equal(got, STATS_DIR);
	else
		assert_true(!strncmp(got, STATS_DIR "/netns/", strlen(STATS_DIR "/netns/")));
	assert_int_equal(netns_path(&other, "wg0", "stats", tiny, sizeof(tiny)),
			 -ENAMETOOLONG);
}

/* The namespace cookie: the same for every socket of one namespace, and
 * a socket made "in" our own namespace by netns_socket_in is ours. */
static void test_cookie(void **state)
{
	struct netns_id id, self;
	uint64_t a = 0, b = 0;
	int sv[2], nsfd, fd;

	if (netns_cookie_self(&a) == -ENOPROTOOPT)
		skip();	/* before Linux 5.14 */
	assert_int_equal(netns_cookie_self(&b), 0);
	assert_true(a != 0 && a == b);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(netns_cookie(sv[1], &b), 0);
	assert_true(a == b);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(netns_cookie(-1, &b), -EBADF);
	nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(nsfd >= 0);
	fd = netns_socket_in(nsfd, nsfd, &id);
	if (fd == -EPERM) {	/* setns needs CAP_SYS_ADMIN */
		close(nsfd);
		skip();
	}
	assert_true(fd >= 0);
	assert_int_equal(netns_cookie(fd, &b), 0);
	assert_true(a == b);
	assert_int_equal(netns_of(0, &self), 0);
	assert_true(netns_equal(&id, &self));
	close(fd);
	close(nsfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_cookie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
