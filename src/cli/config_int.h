/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the files of the configuration parser share: the parser state and
 * its helpers. config.c reads the file and its sections, config_keys.c
 * holds the key table and the value parsers, config_check.c the checks
 * that need the whole file, config_uapi.c turns the result into a UAPI
 * set request. Nothing outside src/cli/config*.c includes this.
 */
#ifndef TUNLANE_CONFIG_INT_H
#define TUNLANE_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "text.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A config with thousands of peers is a few hundred KiB; more is junk. */
#define CONFIG_MAX_FILE (8U << 20)
/* How much of an offending value is quoted back in a message. */
#define ECHO_MAX 64
#define ECHO_BUF TEXT_ECHO_BUF(ECHO_MAX)
#define N_KEYS_MAX 32
#define IPV6_MIN_MTU 1280	/* RFC 8200 section 5 */
#define IPV4_MIN_MTU 576	/* RFC 791: every host must take 576 */

/* SEC_SKIP: after a broken or repeated section header, whose keys are
 * skipped rather than each reported again. */
enum section { SEC_NONE, SEC_INTERFACE, SEC_PEER, SEC_SKIP };

/* Where things were written, for messages about the file as a whole. */
struct peer_meta {
	unsigned int key_line;		/* 0: no PublicKey yet */
	unsigned int endpoint_line;
};

struct parser {
	struct config *c;
	const char *file;		/* as messages name it */
	unsigned int line;		/* 0: a message about the whole file */
	enum section sec;
	unsigned int seen[N_KEYS_MAX];	/* line of each key in this section */
	unsigned int iface_line;
	bool has_private_key;
	unsigned int listen_port_line;
	unsigned int mtu_line;
	struct peer_meta *meta;		/* one per c->peers[] */
	char *err;
	size_t errlen;
	bool reported;			/* err already holds the message */
	unsigned int n_errors;		/* messages written to err so far */
};

/*
 * Adds "FILE:LINE: message" (or "FILE: message") as one more line of
 * p->err and returns ret, for tail calls.
 */
int config_fail(struct parser *p, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Room for element n of an array of capacity implied by n (config.c). */
int config_grow(void **arr, size_t n, size_t size, bool secret);

/* wg-quick's own keys (config_quick.c). */
int config_key_dns(struct parser *p, const char *v);
int config_key_save_config(struct parser *p, const char *v);
int config_key_pre_up(struct parser *p, const char *v);
int config_key_post_up(struct parser *p, const char *v);
int config_key_pre_down(struct parser *p, const char *v);
int config_key_post_down(struct parser *p, const char *v);
void config_strs_free(struct config_strs *s);

/* One "Key = Value" line of the current section (config_keys.c). */
int config_dispatch(struct parser *p, const char *key, char *value);

/* The checks that need the whole file (config_check.c). */
int config_check_interface(struct parser *p);
int config_check_peers(struct parser *p);

#endif
