/* SPDX-License-Identifier: GPL-2.0-only */
/* CPU lists in the kernel's cpulist syntax ("0-3,6"), for --cpus/CPUs=. */
#ifndef TUNLANE_CPULIST_H
#define TUNLANE_CPULIST_H

/* Parses s into cpus[] (at most max entries, in order); returns the count
 * or -EINVAL (bad syntax, CPU >= 1024, empty) / -E2BIG. */
int cpulist_parse(const char *s, int *cpus, int max);
/* Fills cpus[i] for n lanes: from list (cycled) or, when list is NULL,
 * the i-th CPU this process may run on. 0 or -errno. */
int cpulist_assign(int *cpus, unsigned int n, const int *list, int nlist);

#endif
