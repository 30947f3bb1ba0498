/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The forklock subcommands: one file each, cmd/cmd-<name>.c. */
#ifndef FORKLOCK_CMD_H
#define FORKLOCK_CMD_H

int cmd_check(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_merge(int argc, char **argv);


/*
 * One-line error for what getopt_long() rejected (call with opterr = 0 and
 * an optstring starting with ":" or "+:").  Returns FL_EXIT_USAGE.
 */
int cmd_bad_option(int c, char **argv);

#endif
