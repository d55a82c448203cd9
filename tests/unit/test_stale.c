// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CLI's one reader of /proc/PID/stat (stale.c), which `tunlane up` and
 * `tunlane down` use to tell a live daemon from a gone or zombie one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "stale.h"

static void test_proc_state(void **state)
{
	bool tunlaned = true;
	char s = stale_proc_state(getpid(), &tunlaned);
	pid_t child;

	assert_true(s == 'R' || s == 'S');
	assert_false(tunlaned);		/* the test binary */
	child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(0);
	/* Exited, not reaped yet: a zombie, which counts as gone. */
	for (int i = 0; i < 200 && stale_proc_state(child, NULL) != 'Z'; i++)
		usleep(5000);
	assert_int_equal(stale_proc_state(child, NULL), 'Z');
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(stale_proc_state(child, &tunlaned), 0);
	assert_false(tunlaned);
}

static void test_is_tun(void **state)
{
	assert_false(stale_is_tun("lo"));
	assert_false(stale_is_tun("tl-no-such"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_state),
		cmocka_unit_test(test_is_tun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
