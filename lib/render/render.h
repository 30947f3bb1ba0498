/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Renderers: the same report as text (for a terminal), JSON (schema
 * forklock-report/1, docs/forklock-report.schema.json) and later mail.
 * A renderer sees the forks one at a time (only with --forks) and the
 * summary once at the end.
 */
#ifndef FORKLOCK_RENDER_H
#define FORKLOCK_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "fork.h"
#include "summary.h"

struct fl_render_opts {
	FILE *out;
	bool forks;		/* --forks: every fork, not only the summary */
	int top;		/* how many top forking commands */
};

struct fl_renderer {
	const char *name;
	void *(*begin)(const struct fl_render_opts *opts);
	void (*fork)(void *ctx, const struct fl_fork *f);
	/* returns 0, or -1 if the output could not be written */
	int (*end)(void *ctx, const struct fl_summary *s);
};

extern const struct fl_renderer fl_render_text;
extern const struct fl_renderer fl_render_json;

const struct fl_renderer *fl_renderer_find(const char *name);

/* "52.1 us", "1.20 ms", "812 ns", "3.02 s" */
const char *fl_fmt_ns(char *buf, size_t len, uint64_t ns);

#endif
