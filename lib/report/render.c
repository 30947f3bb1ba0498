// SPDX-License-Identifier: GPL-2.0-or-later
/* The renderer table, and what every output shares (render.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "report/mail.h"
#include "report/render.h"
#include "report/summary.h"

static bool render_nomem;

void fl_render_nomem(void)
{
	render_nomem = true;
}

bool fl_render_out_of_memory(void)
{
	return render_nomem;
}

static void *json_watch_malloc(size_t size)
{
	void *p = malloc(size);

	if (!p)
		render_nomem = true;
	return p;
}

void fl_render_watch_json(void)
{
	json_set_alloc_funcs(json_watch_malloc, free);
}

static bool reader_gone(FILE *out)
{
	struct pollfd p = { .fd = fileno(out), .events = POLLOUT };
	struct stat st;

	if (p.fd < 0 || fstat(p.fd, &st) || !S_ISFIFO(st.st_mode))
		return false;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
}

int fl_render_end(FILE *out)
{
	if (render_nomem) {
		errno = ENOMEM;
		return -1;
	}
	/*
	 * What is still buffered is written now, so a full disk is seen here.
	 * A write that failed earlier left only the stream's error flag: its
	 * reason is gone: a pipe whose reader went away is told by poll()
	 * (EPIPE, which commands do not report), else errno 0 (no reason).
	 */
	errno = 0;
	if (!fflush(out) && !ferror(out))
		return 0;
	if (!errno)
		errno = reader_gone(out) ? EPIPE : 0;
	return -1;
}

static void pad(FILE *out, int n)
{
	while (n-- > 0)
		fputc(' ', out);
}

/* @n bytes of @s, a non-breaking space printed as a space */
static void put(FILE *out, const char *s, size_t n)
{
	size_t i;

	while (n && s[n - 1] == ' ')
		n--;			/* no trailing blanks */
	for (i = 0; i < n; i++)
		fputc(s[i] == FL_RENDER_NBSP ? ' ' : s[i], out);
	fputc('\n', out);
}

void fl_render_wrap(FILE *out, int cols, int indent, const char *s)
{
	size_t lead = strspn(s, " ");
	bool first = true;

	if (indent > cols / 2)
		indent = cols / 2;
	for (;;) {
		size_t avail = cols - (first ? 0 : indent);
		size_t len, cut, i, end;

		if (!first)
			s += strspn(s, " ");
		len = strlen(s);
		if (!first && !len)
			return;
		if (!first)
			pad(out, indent);
		if (len <= avail) {
			put(out, s, len);
			return;
		}
		/* the last space that leaves a line of at most avail columns */
		cut = 0;
		for (i = avail; i > (first ? lead : 0); i--)
			if (s[i] == ' ') {
				cut = i;
				break;
			}
		if (!cut)
			cut = avail;
		end = cut;
		while (end > 0 && s[end - 1] == ' ')
			end--;
		put(out, s, end);
		s += cut;
		first = false;
	}
}

static const struct fl_renderer *renderers[] = {
	&fl_render_text,
	&fl_render_json,
	&fl_render_mail,
};

const struct fl_renderer *fl_renderer_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++)
		if (!strcmp(renderers[i]->name, name))
			return renderers[i];
	return NULL;
}

const char *fl_render_view(char *buf, size_t len, const struct fl_summary *s,
			   const struct fl_trace_info *t)
{
	char ran[48] = "", d[32];

	if (!t->has_command_tree) {
		snprintf(buf, len, "the host (%s): %llu forks", t->command[0] ?
			 "COMMAND's process tree is not in the trace" : "recorded without COMMAND",
			 (unsigned long long)t->host_forks);
		return buf;
	}
	if (t->command_start_ns >= 0 && t->command_end_ns >= t->command_start_ns)
		snprintf(ran, sizeof(ran), ", ran %s",
			 fl_fmt_ns(d, sizeof(d), t->command_end_ns - t->command_start_ns));
	else if (t->command_start_ns >= 0)
		snprintf(ran, sizeof(ran), ", still running at the end");
	if (s->command_view)
		snprintf(buf, len, "COMMAND's process tree (pid %d%s): %llu of the host's %llu "
			 "forks (--all: host)", t->command_pid, ran,
			 (unsigned long long)t->command_forks, (unsigned long long)t->host_forks);
	else
		snprintf(buf, len, "the host (--all): %llu forks, %llu of them by COMMAND's "
			 "process tree (pid %d%s)", (unsigned long long)t->host_forks,
			 (unsigned long long)t->command_forks, t->command_pid, ran);
	return buf;
}

const char *fl_fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", ns / 1e9);
	return buf;
}
