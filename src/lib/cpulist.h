/* SPDX-License-Identifier: GPL-2.0-only */
/* CPU lists in the kernel's cpulist syntax ("0-3,6"), for --cpus/CPUs=. */
#ifndef TUNLANE_CPULIST_H
#define TUNLANE_CPULIST_H

#include <stddef.h>

/* Parses s into cpus[] (at most max entries, in order); returns the count
 * or -EINVAL (bad syntax, CPU >= 1024, empty) / -E2BIG. */
int cpulist_parse(const char *s, int *cpus, int max);
/* Fills cpus[i] for n lanes: from list (cycled) or, when list is NULL,
 * the i-th CPU this process may run on. 0 or -errno. */
int cpulist_assign(int *cpus, unsigned int n, const int *list, int nlist);
/* The first CPU of list this process may not run on (sched_getaffinity:
 * offline, or outside a cpuset or taskset), or -1 when all are allowed.
 * allowed gets the allowed set in cpulist syntax, for the message. */
int cpulist_first_disallowed(const int *list, int n, char *allowed,
			     size_t len);

#endif
