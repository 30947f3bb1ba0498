/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Messages to the user.  Every error is one line on stderr:
 *   forklock record: error: <what went wrong>
 * fl_err() prints it and returns the exit code so callers can write
 *   return fl_err(FL_EXIT_OUTPUT, "cannot create %s: %s", path, strerror(errno));
 */
#ifndef FORKLOCK_LOG_H
#define FORKLOCK_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/* Name printed before messages ("forklock record"). */
void fl_log_set_prog(const char *prog);
const char *fl_log_prog(void);
/* -q: notices are suppressed; errors and warnings are not. */
void fl_log_set_quiet(bool quiet);

int fl_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fl_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
