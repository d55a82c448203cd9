/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the libFuzzer harnesses in this folder: a reader that cuts the
 * fuzzer's input into records, so one input can drive a sequence of
 * operations (a handshake, then data, then a GRO buffer ...).
 */
#ifndef TUNLANE_FUZZ_H
#define TUNLANE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline int fuzz_u8(struct fuzz_in *in)
{
	if (!in->left)
		return -1;
	in->left--;
	return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v = 0;

	for (int i = 0; i < 2 && in->left; i++, in->left--)
		v |= (uint16_t)(*in->p++ << (8 * i));
	return v;
}

/* The next record: op byte, little-endian 16-bit length, then that many
 * bytes (fewer when the input ends). 0 at the end of the input. */
static inline int fuzz_record(struct fuzz_in *in, int *op,
			      const uint8_t **data, size_t *len)
{
	size_t n;

	*op = fuzz_u8(in);
	if (*op < 0)
		return 0;
	n = fuzz_u16(in);
	if (n > in->left)
		n = in->left;
	*data = in->p;
	*len = n;
	in->p += n;
	in->left -= n;
	return 1;
}

#endif
