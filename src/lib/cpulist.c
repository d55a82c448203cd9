// SPDX-License-Identifier: GPL-2.0-only
#include "cpulist.h"

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
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

/* "0-3,6" from a CPU set. */
static void cpulist_format(const cpu_set_t *set, char *out, size_t len)
{
	size_t off = 0;

	out[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && off < len; c++) {
		int end = c;

		if (!CPU_ISSET(c, set))
			continue;
		while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, set))
			end++;
		off += (size_t)snprintf(out + off, len - off, end > c ? "%s%d-%d" : "%s%d",
					off ? "," : "", c, end);
		c = end;
	}
}

int cpulist_first_disallowed(const int *list, int n, char *allowed,
			     size_t len)
{
	cpu_set_t set;

	if (len)
		allowed[0] = '\0';
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -1;	/* cannot tell: the lane's own pinning will */
	if (len)
		cpulist_format(&set, allowed, len);
	for (int i = 0; i < n; i++)
		if (list[i] < 0 || list[i] >= CPU_SETSIZE || !CPU_ISSET(list[i], &set))
			return list[i];
	return -1;
}
