/* SPDX-License-Identifier: GPL-2.0-only */
/* Growing arrays, for the parsers that build lists of peers and prefixes. */
#ifndef TUNLANE_ARRAY_H
#define TUNLANE_ARRAY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Makes room for element n of *arr, which has room for *cap elements of
 * size bytes: 8 at first, then doubling, up to limit elements (-E2BIG for
 * n at or past it). An array that holds keys (secret) is moved by hand, so
 * the old copy is wiped before it goes back to the allocator. 0, -E2BIG or
 * -ENOMEM; *arr and *cap are unchanged on error.
 */
int array_grow(void **arr, size_t *cap, size_t n, size_t size, size_t limit,
	       bool secret);

#endif
