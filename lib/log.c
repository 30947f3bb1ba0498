// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one error line, warnings and notices.  A message may carry bytes
 * from an input file (a section name, a comm, a path): every byte that is
 * not printable ASCII is written as \xNN, so no file can send escape
 * sequences to the terminal or split the line in two.
 */
#include <stdio.h>
#include <stdlib.h>

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

static void put_escaped(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char b = (unsigned char)s[i];

		if (b < 0x20 || b >= 0x7f)
			fprintf(stderr, "\\x%02x", b);
		else
			fputc(b, stderr);
	}
}

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	char small[1024], *buf = small;
	va_list again;
	int n;

	fflush(stdout);
	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		buf = malloc((size_t)n + 1);
		if (buf)
			vsnprintf(buf, (size_t)n + 1, fmt, again);
		else
			buf = small, n = sizeof(small) - 1;	/* cut, but still one line */
	}
	va_end(again);
	fprintf(stderr, "%s: %s", prog, kind);
	if (n > 0)
		put_escaped(buf, (size_t)n);
	fputc('\n', stderr);
	if (buf != small)
		free(buf);
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
