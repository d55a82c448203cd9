// SPDX-License-Identifier: GPL-2.0-only
/* tunlane: the command-line tool, one subcommand per file (wg(8) style). */
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "defaults.h"
#include "subcommands.h"
#include "version.h"

const char *prog = "tunlane";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} subcommands[] = {
	{ "up", cmd_up,
	  "Starts an interface from CONFIG or " CONFIG_DIR "/IFNAME.conf" },
	{ "down", cmd_down, "Stops an interface and removes it" },
	{ "show", cmd_show, "Shows interfaces, lanes and peers" },
	{ "reload", cmd_reload, "Applies an edited CONFIG to a running interface" },
	{ "strip", cmd_strip, "Prints the wg(8) part of CONFIG, for wg syncconf" },
	{ "metrics", cmd_metrics, "Serves Prometheus metrics over HTTP" },
	{ "genkey", cmd_genkey, "Generates a new private key and writes it to stdout" },
	{ "genpsk", cmd_genpsk, "Generates a new preshared key and writes it to stdout" },
	{ "pubkey", cmd_pubkey, "Reads a private key from stdin and writes a public key to stdout" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s <cmd> [<args>]\n       %s help <cmd> | --help | --version\n\n"
		"Available subcommands:\n", prog, prog);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    (!strcmp(argv[1], "help") && argc == 2)) {
		usage(stdout);
		return 0;
	}
	/* "tunlane help up" is "tunlane up --help". */
	if (!strcmp(argv[1], "help")) {
		char *help_argv[] = { argv[2], "--help", NULL };

		for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
			if (!strcmp(argv[2], subcommands[i].name))
				return subcommands[i].fn(2, help_argv);
		fprintf(stderr, "%s: no subcommand `%s'\n", prog, argv[2]);
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "-v") ||
	    !strcmp(argv[1], "--version")) {
		printf("tunlane %s\n", TUNLANE_VERSION);
		return 0;
	}
	if (crypto_init() < 0) {
		fprintf(stderr, "%s: cannot initialise libcrypto\n", prog);
		return 1;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "%s: invalid subcommand `%s'\n", prog, argv[1]);
	usage(stderr);
	return 2;
}
