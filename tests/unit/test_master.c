// SPDX-License-Identifier: GPL-2.0-only
/*
 * The master's own changes to the lanes' sockets (master_uapi.c): a fwmark
 * is set on every lane's socket or on none, so that a failure partway
 * leaves nothing half-applied. Teardown gives up on a lane it cannot
 * signal or reap instead of looping forever.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "master.h"
#include "master_uapi.h"

static struct master m;

static uint32_t mark_of(int fd)
{
	uint32_t mark = 0;
	socklen_t len = sizeof(mark);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_MARK, &mark, &len), 0);
	return mark;
}

/* Lanes 0 and 1 have real sockets, lane 2 something that is not one: the
 * new mark fails on lane 2, and lanes 0 and 1 must keep the old mark. */
static void test_fwmark_all_or_none(void **state)
{
	int pfd[2];

	m.opts.lanes = 3;
	for (unsigned int i = 0; i < 3; i++)
		m.lane[i].shared_fd = -1;	/* no shared ListenPort sockets */
	for (unsigned int i = 0; i < 2; i++)
		m.lane[i].udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(m.lane[0].udp_fd >= 0 && m.lane[1].udp_fd >= 0);
	assert_int_equal(pipe(pfd), 0);
	m.lane[2].udp_fd = pfd[0];
	m.dev.fwmark = 0;
	/* SO_MARK needs CAP_NET_ADMIN: without it there is nothing to test. */
	if (setsockopt(m.lane[0].udp_fd, SOL_SOCKET, SO_MARK, &(uint32_t){ 0 },
		       sizeof(uint32_t)) < 0) {
		close(m.lane[0].udp_fd);
		close(m.lane[1].udp_fd);
		close(pfd[0]);
		close(pfd[1]);
		skip();
	}
	assert_int_equal(master_set_fwmark(&m, 0x51), -ENOTSOCK);
	assert_int_equal(mark_of(m.lane[0].udp_fd), 0);
	assert_int_equal(mark_of(m.lane[1].udp_fd), 0);
	/* With every socket able to take it, every one does. */
	m.opts.lanes = 2;
	assert_int_equal(master_set_fwmark(&m, 0x51), 0);
	assert_int_equal(mark_of(m.lane[0].udp_fd), 0x51);
	assert_int_equal(mark_of(m.lane[1].udp_fd), 0x51);
	close(m.lane[0].udp_fd);
	close(m.lane[1].udp_fd);
	close(pfd[0]);
	close(pfd[1]);
}

/* A lane pid that kill() keeps failing on (ESRCH here: a process that
 * is not the master's child; EPERM without CAP_KILL fails alike): the
 * teardown, run in a child with a 5 s alarm, must still return. */
static void test_teardown_unkillable_lane(void **state)
{
	pid_t gone = fork(), child;
	int status;

	(void)state;
	assert_true(gone >= 0);
	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, NULL, 0), gone);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct master t;

		memset(&t, 0, sizeof(t));
		alarm(5);
		t.opts.lanes = 1;
		t.uapi_fd = -1;
		t.lane[0] = (struct lane_slot){ .pid = gone, .ctl_fd = -1,
			.tun_fd = -1, .udp_fd = -1, .shared_fd = -1 };
		master_teardown(&t);
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fwmark_all_or_none),
		cmocka_unit_test(test_teardown_unkillable_lane),
	};

	log_set_max_priority(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
