// SPDX-License-Identifier: GPL-2.0-only
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool to_syslog;
static bool debug_on;
static char prefix[64];
static int max_prio = LOG_DEBUG;

void log_open(const char *ident, bool use_syslog)
{
	to_syslog = use_syslog;
	debug_on = getenv("TUNLANE_DEBUG") != NULL;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void log_set_prefix(const char *p)
{
	snprintf(prefix, sizeof(prefix), "%s", p ? p : "");
}

void log_set_max_priority(int prio)
{
	max_prio = prio;
}

void log_msg(int prio, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if ((prio == LOG_DEBUG && !debug_on) || prio > max_prio)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Keep it to one line whatever the caller passed in. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (to_syslog)
		syslog(prio, "%s%s", prefix, line);
	else
		fprintf(stderr, "%s%s\n", prefix, line);
}
