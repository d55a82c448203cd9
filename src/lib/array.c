// SPDX-License-Identifier: GPL-2.0-only
#include "array.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

int array_grow(void **arr, size_t *cap, size_t n, size_t size, size_t limit,
	       bool secret)
{
	size_t ncap;
	void *na;

	if (n < *cap)
		return 0;
	if (n >= limit)
		return -E2BIG;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > limit)
		ncap = limit;
	if (ncap > SIZE_MAX / size)
		return -ENOMEM;
	na = secret ? malloc(ncap * size) : realloc(*arr, ncap * size);
	if (!na)
		return -ENOMEM;
	if (secret && *arr) {
		memcpy(na, *arr, n * size);
		crypto_wipe(*arr, *cap * size);
		free(*arr);
	}
	*arr = na;
	*cap = ncap;
	return 0;
}
