// SPDX-License-Identifier: GPL-2.0-only
#include "text.h"

#include <errno.h>
#include <string.h>

#include "crypto.h"

bool text_is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f' || ch == '\n';
}

char *text_trim(char *s)
{
	size_t n;

	while (text_is_space(*s))
		s++;
	n = strlen(s);
	while (n && text_is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

int text_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d = (unsigned int)(*s - '0');

		if (d > 9 || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (v < min)
		return -EINVAL;
	*out = v;
	return 0;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int text_parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!s[2])
			return -EINVAL;
		for (s += 2; *s; s++) {
			int d = hex_digit(*s);

			if (d < 0 || v > (UINT32_MAX >> 4))
				return -EINVAL;
			v = v << 4 | (unsigned int)d;
		}
	} else if (text_parse_uint(s, 0, UINT32_MAX, &v)) {
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

const char *text_echo(char *buf, size_t size, const char *s)
{
	size_t i, max = size > sizeof("...") ? size - sizeof("...") : 0;

	if (crypto_key_looks_base64(s))
		return "(hidden: looks like a key)";
	for (i = 0; i < max && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		buf[i] = (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') ?
			 '?' : (char)ch;
	}
	buf[i] = '\0';
	if (s[i])
		strcpy(buf + i, "...");
	return buf;
}
