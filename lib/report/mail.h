/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Mail output: plain ASCII of at most FL_MAIL_COLUMNS columns, no tabs, no
 * colour, ready to paste into a reply on a mailing list.  The renderer
 * (fl_render_mail) and the helpers that compare and merge share.
 */
#ifndef FORKLOCK_MAIL_H
#define FORKLOCK_MAIL_H

#include <stdio.h>

#include "report/render.h"
#include "shell.h"

#define FL_MAIL_COLUMNS 72
#define FL_MAIL_NBSP FL_RENDER_NBSP	/* a space fl_mail_printf() does not break a line at */

extern const struct fl_renderer fl_render_mail;

/*
 * One logical line (or several, split at '\n'), wrapped at spaces to
 * FL_MAIL_COLUMNS; continuation lines start with @indent spaces.  A word
 * longer than a line is cut.  Bytes that are not printable ASCII become
 * '?', tabs become spaces.
 */
void fl_mail_printf(FILE *out, int indent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A shell command line, @indent spaces in, wrapped with " \" so that it
 * still runs when pasted.  Words are split at spaces outside single
 * quotes; a word too long for a line is cut with a backslash-newline
 * (closing and reopening a single quote around the cut).
 */
void fl_mail_command(FILE *out, int indent, const char *cmd);

/* fl_fmt_ns() with a non-breaking space between number and unit */
const char *fl_mail_ns(char *buf, size_t len, uint64_t ns);


/*
 * The command line of this forklock run, as the mail output prints it
 * under "Produced by".  Set by the command (cmd_report, cmd_merge ...).
 */
void fl_render_set_cmdline(const char *cmdline);
const char *fl_render_cmdline(void);

#endif
