// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the configuration file parser (src/cli config):
 * the input is the file's content, loaded with config_load() as
 * `tunlane up` does. A file that loads must turn into a UAPI "set" the
 * daemon accepts (uapi_parse_set), or `tunlane up` would fail late.
 *
 * Endpoint names are resolved with getaddrinfo(); here every lookup is
 * made numeric-only, so the fuzzer never asks a resolver anything.
 */
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "crypto.h"
#include "log.h"
#include "uapi.h"

static char dir[] = "/tmp/tunlane-fuzz-config.XXXXXX", path[256];

/* libFuzzer ends with exit(): leave no file behind in /tmp. */
static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res)
{
	static int (*real)(const char *, const char *,
			   const struct addrinfo *, struct addrinfo **);
	struct addrinfo h = { 0 };

	if (!real)
		real = (int (*)(const char *, const char *,
				const struct addrinfo *,
				struct addrinfo **))dlsym(RTLD_NEXT, "getaddrinfo");
	if (hints)
		h = *hints;
	h.ai_flags |= AI_NUMERICHOST;
	return real(node, service, &h, res);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!getenv("TUNLANE_FUZZ_DEBUG"))
		log_set_max_priority(-1);
	if (crypto_init() < 0 || !mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/tl0.conf", dir);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct uapi_set set;
	char err[512], uerr[256], *text;
	size_t len;
	FILE *f = fopen(path, "w");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (config_load(&c, path, err, sizeof(err)) < 0) {
		if (!err[0])
			abort();	/* an error always says why */
		return 0;
	}
	if (config_to_uapi(&c, &text, &len) < 0)
		abort();
	if (uapi_parse_set(&set, text, len, uerr, sizeof(uerr)) < 0) {
		fprintf(stderr, "config loads but its UAPI text does not: %s\n",
			uerr);
		abort();
	}
	uapi_set_free(&set);
	crypto_wipe(text, len);
	free(text);
	config_free(&c);
	return 0;
}
