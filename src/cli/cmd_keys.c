// SPDX-License-Identifier: GPL-2.0-only
/* genkey, genpsk and pubkey, byte-compatible with wg(8). */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "subcommands.h"

static int print_key(const uint8_t key[32])
{
	char b64[CRYPTO_KEY_B64_LEN];

	crypto_key_to_base64(b64, key);
	puts(b64);
	crypto_wipe(b64, sizeof(b64));
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

/* 0 to go on; otherwise the exit code (--help: usage on stdout, 0). */
static int no_args(int argc, char **argv)
{
	bool help = argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));

	if (argc == 1)
		return 0;
	fprintf(help ? stdout : stderr, "Usage: %s %s%s\n", prog, argv[0],
		!strcmp(argv[0], "pubkey") ? " < private.key" : "");
	return help ? -1 : 2;
}

/* Warn like wg when the key goes into a file others can read. */
static void check_umask(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & S_IRWXO))
		fprintf(stderr, "Warning: writing to world accessible file.\n"
				"Consider setting the umask to 077 and trying again.\n");
}

static int gen(int argc, char **argv, int is_private)
{
	uint8_t key[32];
	int ret;

	if ((ret = no_args(argc, argv)))
		return ret < 0 ? 0 : ret;
	check_umask();
	ret = is_private ? crypto_x25519_genkey(key) : crypto_random(key, 32);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot gather randomness\n", prog);
		return 1;
	}
	ret = print_key(key);
	crypto_wipe(key, sizeof(key));
	return ret;
}

int cmd_genkey(int argc, char **argv)
{
	return gen(argc, argv, 1);
}

int cmd_genpsk(int argc, char **argv)
{
	return gen(argc, argv, 0);
}

int cmd_pubkey(int argc, char **argv)
{
	char line[128];
	uint8_t priv[32], pub[32];
	size_t n;
	int ret = 1;

	if ((ret = no_args(argc, argv)))
		return ret < 0 ? 0 : ret;
	n = fread(line, 1, sizeof(line) - 1, stdin);
	line[n] = '\0';
	/* Accept surrounding whitespace, as `wg pubkey` does. */
	while (n && isspace((unsigned char)line[n - 1]))
		line[--n] = '\0';
	ret = 1;
	if (crypto_key_from_base64(priv, line + strspn(line, " \t\r\n")) < 0 ||
	    crypto_x25519_public(pub, priv) < 0)
		fprintf(stderr, "%s: Key is not the correct length or format\n", prog);
	else
		ret = print_key(pub);
	crypto_wipe(line, sizeof(line));
	crypto_wipe(priv, sizeof(priv));
	return ret;
}
