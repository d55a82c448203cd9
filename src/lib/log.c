// SPDX-License-Identifier: GPL-2.0-only
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool to_syslog;
static bool to_journal;		/* stderr is the journal: "<N>" levels */
static bool debug_on;
static char prefix[64];
static int max_prio = LOG_DEBUG;

void log_open(const char *ident, bool use_syslog)
{
	to_syslog = use_syslog;
	to_journal = !use_syslog && log_stderr_is_journal();
	debug_on = getenv("TUNLANE_DEBUG") != NULL;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || isatty(STDERR_FILENO))
		return false;
	return fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
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
	else if (to_journal)	/* sd-daemon(3): the journal reads the level */
		fprintf(stderr, "<%d>%s%s\n", prio, prefix, line);
	else
		fprintf(stderr, "%s%s%s\n", prefix, prio <= LOG_ERR ? "error: " :
			prio == LOG_WARNING ? "warning: " : "", line);
}
