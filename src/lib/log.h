/* SPDX-License-Identifier: GPL-2.0-only */
/* One line per event, to stderr (foreground, or the journal) or syslog. */
#ifndef TUNLANE_LOG_H
#define TUNLANE_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_open(const char *ident, bool use_syslog);
/* Whether stderr is the journal's stream that systemd gave us
 * (JOURNAL_STREAM names its device and inode, systemd.exec(5)). */
bool log_stderr_is_journal(void);
void log_set_prefix(const char *prefix);
/* Drops messages less urgent than prio (syslog order; -1 drops all). For
 * the fuzz harnesses, whose millions of runs would only log noise. */
void log_set_max_priority(int prio);
void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
