// SPDX-License-Identifier: GPL-2.0-only
#include "cpulist.h"

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>

#define CPU_LIMIT 1024

static int parse_num(const char **s)
{
	long v;
	char *end;

	if (!isdigit((unsigned char)**s))
		return -EINVAL;
	v = strtol(*s, &end, 10);
	if (v >= CPU_LIMIT)
		return -EINVAL;
	*s = end;
	return (int)v;
}

int cpulist_parse(const char *s, int *cpus, int max)
{
	int n = 0;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		int lo = parse_num(&s), hi;

		if (lo < 0)
			return lo;
		hi = lo;
		if (*s == '-') {
			s++;
			if ((hi = parse_num(&s)) < 0 || hi < lo)
				return -EINVAL;
		}
		for (int c = lo; c <= hi; c++) {
			if (n >= max)
				return -E2BIG;
			cpus[n++] = c;
		}
		if (!*s)
			return n;
		if (*s++ != ',')
			return -EINVAL;
	}
}

int cpulist_assign(int *cpus, unsigned int n, const int *list, int nlist)
{
	cpu_set_t set;
	int allowed[CPU_LIMIT], na = 0;

	if (list && nlist > 0) {
		for (unsigned int i = 0; i < n; i++)
			cpus[i] = list[i % (unsigned int)nlist];
		return 0;
	}
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	for (int c = 0; c < CPU_LIMIT && c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			allowed[na++] = c;
	for (unsigned int i = 0; i < n; i++)
		cpus[i] = na ? allowed[i % (unsigned int)na] : -1;
	return 0;
}
