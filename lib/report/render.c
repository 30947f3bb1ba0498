// SPDX-License-Identifier: GPL-2.0-or-later
/* The renderer table, and what every output shares (render.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/mail.h"
#include "report/render.h"

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

int fl_render_end(FILE *out)
{
	if (render_nomem) {
		errno = ENOMEM;
		return -1;
	}
	return ferror(out) ? -1 : 0;
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
