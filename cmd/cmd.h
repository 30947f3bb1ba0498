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

struct fl_renderer;
struct fl_render_opts;

/*
 * The options of every command that renders a report: 'F' (--format),
 * 'k' (--forks), 't' (--top).  Returns 0 if @c was one and is taken, -1 if
 * it is not one of them, or FL_EXIT_USAGE after an error line.
 */
int cmd_render_option(int c, const struct fl_renderer **renderer, struct fl_render_opts *ropts);

#endif
