// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>

#include "log.h"

static const char *prog = "forklock";
static bool quiet;

void fl_log_set_prog(const char *name)
{
	prog = name;
}

const char *fl_log_prog(void)
{
	return prog;
}

void fl_log_set_quiet(bool q)
{
	quiet = q;
}

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s", prog, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int fl_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
	return code;
}

void fl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void fl_notice(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}
