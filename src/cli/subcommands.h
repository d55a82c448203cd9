/* SPDX-License-Identifier: GPL-2.0-only */
/* tunlane subcommands, one file each, dispatched from tunlane.c. Each
 * returns the process exit code: 0 ok, 1 failure, 2 bad usage. */
#ifndef TUNLANE_SUBCOMMANDS_H
#define TUNLANE_SUBCOMMANDS_H

extern const char *prog;

int cmd_genkey(int argc, char **argv);
int cmd_genpsk(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_strip(int argc, char **argv);
int cmd_reload(int argc, char **argv);

#endif
