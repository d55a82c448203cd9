/* SPDX-License-Identifier: GPL-2.0-only */
/* What crypto.c and crypto_aead.c share, and nothing outside them uses. */
#ifndef TUNLANE_CRYPTO_INT_H
#define TUNLANE_CRYPTO_INT_H

/* The AEAD's algorithms and contexts, made and freed with the rest by
 * crypto_init() and crypto_fini(). */
int crypto_aead_init(void);
void crypto_aead_fini(void);

#endif
