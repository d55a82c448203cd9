/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The text-parsing helpers of the configuration file and the UAPI: numbers
 * written strictly (no sign, space or locale), trimming, and quoting
 * untrusted text in a one-line message.
 */
#ifndef TUNLANE_TEXT_H
#define TUNLANE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whitespace as wg-quick's [[:space:]] in the C locale. */
bool text_is_space(char ch);

/* Cuts leading and trailing whitespace off s, in place. */
char *text_trim(char *s);

/* Decimal digits only (no sign, space or "0x"), within min..max; 0 or
 * -EINVAL. */
int text_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Decimal, or hex after "0x", as wg(8) takes FwMark; up to 2^32-1. */
int text_parse_u32(const char *s, uint32_t *out);

/*
 * Untrusted text fit to quote in a one-line message, in buf of size bytes:
 * bytes that are not printable ASCII (and quotes and backslashes) become
 * '?', text longer than size - sizeof("...") is cut short with "...", and
 * text that looks like a base64 key is not quoted at all, so a key pasted
 * in the wrong place never reaches a message or a log. Returns buf or a
 * constant string.
 */
const char *text_echo(char *buf, size_t size, const char *s);
/* The size of a buffer for text_echo() that quotes up to max bytes. */
#define TEXT_ECHO_BUF(max) ((max) + sizeof("..."))

#endif
