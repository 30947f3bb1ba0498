/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The forklock subcommands: one file each, cmd/cmd-<name>.c. */
#ifndef FORKLOCK_CMD_H
#define FORKLOCK_CMD_H

#include <stdio.h>

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
/* ... their entries in a command's struct option table */
#define CMD_RENDER_LONGOPTS						\
	{ "format",		required_argument,	NULL, 'F' },		\
	{ "forks",		no_argument,		NULL, 'k' },		\
	{ "top",		required_argument,	NULL, 't' }

/*
 * An output (@what: "the report", a file) could not be written: "cannot
 * write @what" and FL_EXIT_OUTPUT, or, when memory ran out making it
 * (fl_render_out_of_memory()), "out of memory" and FL_EXIT_FAILURE.
 * Reads errno for the reason; EPIPE gives FL_EXIT_OUTPUT with no line.
 */
int cmd_output_failed(const char *what);
/*
 * The end of every command: stdout flushed and checked.  Returns @ret, or
 * cmd_output_failed("standard output") when it is 0 and stdout failed.
 * EPIPE (the reader closed the pipe: `forklock report | head`) is no error
 * line, only FL_EXIT_OUTPUT.
 */
int cmd_stdout_done(int ret);
/*
 * Close an output file @f after its output's end returned @written (0 or
 * -1): -1 with the first failure's errno kept when either failed, else 0.
 */
int cmd_close_output(FILE *f, int written);
/* A half-written output removed: only a regular file (never /dev/full, a FIFO). */
void cmd_remove_partial(const char *path);

/*
 * Inputs that are to be summed (report's traces, merge's reports): the same
 * file named twice (by any path: same device and inode) would count twice,
 * so it is refused with FL_EXIT_USAGE.  @n < 0: @files ends with NULL.
 */
int cmd_inputs_distinct(char **files, int n);

/* This command line, for the mail output's "Produced by". */
void cmd_set_cmdline(int argc, char **argv);

/* --svg FILE and --svg-policy NAME (report, merge): the plot of the forks. */
#define CMD_PLOT_LONGOPTS						\
	{ "svg",		required_argument,	NULL, 's' },		\
	{ "svg-policy",		required_argument,	NULL, 'S' }

struct cmd_plot {
	const char *path;	/* NULL: no plot */
	const char *policy;	/* colours the dots; default single-user, else the first */
	struct fl_svg *svg;
	FILE *out;
	int index;		/* of the colouring policy in its set, -1: none */
};

struct fl_policy_set;

/* 's' (--svg) and 'S' (--svg-policy): 0 if @c was one and is taken, else -1. */
int cmd_plot_option(int c, struct cmd_plot *p);
/* --svg-policy without --svg: FL_EXIT_USAGE after an error line, else 0. */
int cmd_plot_check(const struct cmd_plot *p);
/*
 * Choose the colouring policy among @set (@no_such: what to say when
 * --svg-policy names none of them), make the plot and create its file.
 * Returns 0 or an FL_EXIT_* code after an error line.
 */
int cmd_plot_open(struct cmd_plot *p, const struct fl_policy_set *set, const char *title,
		  const char *no_such);
/* Write the plot if @ret is 0, close it (no half-written file); returns @ret or the error. */
int cmd_plot_close(struct cmd_plot *p, int ret);

#endif
