// SPDX-License-Identifier: GPL-2.0-only
#include "ifname.h"

#include <string.h>

bool ifname_valid(const char *s, size_t n)
{
	size_t i;

	/* The kernel's dev_valid_name() refuses these two. */
	if (n < 1 || n > 15 || (n == 1 && s[0] == '.') ||
	    (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("_=+.-", ch)))
			return false;
	}
	return true;
}
