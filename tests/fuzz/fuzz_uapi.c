// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the UAPI (wireguard.com/xplatform) "set" parser
 * and the "get" that follows it: the input is a request body as a client
 * writes it to the socket. What parses is applied to a fresh lane device
 * (no sockets: nothing leaves the process) and read back with a "get";
 * parsing must never change the device when it fails, and a request that
 * parsed once must parse the same way again (the master parses it, then
 * every lane does).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "log.h"
#include "device.h"
#include "noise.h"
#include "uapi.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!getenv("TUNLANE_FUZZ_DEBUG"))
		log_set_max_priority(-1);
	if (crypto_init() < 0)
		abort();
	noise_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uapi_set set, again;
	struct wg_device dev;
	char err[256], *text, *out = NULL;
	size_t outlen = 0;
	int ret;

	/* The socket layer hands over NUL-terminated text. */
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	ret = uapi_parse_set(&set, text, size, err, sizeof(err));
	if (ret < 0) {
		if (!memchr(err, '\0', sizeof(err)) || !err[0])
			abort();	/* an error always says why */
		free(text);
		return 0;
	}
	if (uapi_parse_set(&again, text, size, err, sizeof(err)) < 0 ||
	    again.n_peers != set.n_peers)
		abort();
	uapi_set_free(&again);
	if (device_init(&dev, "fuzz", true, 0) < 0)
		abort();
	if (device_apply(&dev, &set) == 0 && device_get(&dev, &out, &outlen) == 0)
		free(out);
	device_free(&dev);
	uapi_set_free(&set);
	free(text);
	return 0;
}
