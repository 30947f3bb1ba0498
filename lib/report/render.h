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

#include "policy/policy.h"
#include "replay/fork.h"
#include "report/cost.h"
#include "report/summary.h"

struct json_t;

/* More of the report, from the command that renders it (merge: its hosts). */
struct fl_render_extra {
	/* text and mail: printed before the report (@mail: 72 columns) */
	void (*text)(FILE *out, bool mail, void *arg);
	/* JSON: top-level members set in @top after the report's own; -1 fails */
	int (*json)(struct json_t *top, void *arg);
	void *arg;
};

struct fl_render_opts {
	FILE *out;
	bool forks;		/* --forks: every fork, not only the summary */
	int top;		/* how many top forking commands */
	const struct fl_render_extra *extra;	/* NULL: none */
};

/* Everything at the end: the numbers and the policies' results. */
struct fl_report {
	const struct fl_summary *s;
	const struct fl_policy_set *policies;
	const struct fl_policy_result *results;	/* one per policy */
	struct fl_lock_cost cost;
};

struct fl_renderer {
	const char *name;
	void *(*begin)(const struct fl_render_opts *opts);
	/* @d: each policy's decision (policies->nr of them), NULL if not judged */
	void (*fork)(void *ctx, const struct fl_fork *f, const struct fl_policy_set *policies,
		     const struct fl_decision *d);
	/* returns 0, or -1 if the output could not be written */
	int (*end)(void *ctx, const struct fl_report *r);
};

extern const struct fl_renderer fl_render_text;
extern const struct fl_renderer fl_render_json;

const struct fl_renderer *fl_renderer_find(const char *name);

/*
 * Memory that ran out while an output was made (a JSON value, a copied
 * string, the plot's bins, the lock cost's calibration) is noted with
 * fl_render_nomem(): every output's end then fails (-1, errno ENOMEM) and
 * the command says "out of memory" (fl_render_out_of_memory()), so a report
 * is never written short or with a value left out.  fl_render_watch_json()
 * has jansson's allocations noted too.
 */
void fl_render_nomem(void);
bool fl_render_out_of_memory(void);
void fl_render_watch_json(void);
/*
 * How an output ends: @out flushed and checked; 0, or -1 with errno ENOMEM
 * when memory ran out, else @out's error (EIO when the stream lost it).
 */
int fl_render_end(FILE *out);

/*
 * One line @s without '\n' wrapped at spaces to @cols columns; continuation
 * lines start with @indent spaces (at most @cols / 2).  A word longer than
 * a line is cut; FL_RENDER_NBSP is a space no line breaks at.
 */
#define FL_RENDER_NBSP '\x1f'
void fl_render_wrap(FILE *out, int cols, int indent, const char *s);

/*
 * Which tasks' forks a trace's report counts, in one line for the header:
 * "COMMAND's process tree (pid 42, ran 1.20 s): 21 of the host's 50 forks;
 * --all shows the host", or "the host ...".
 */
const char *fl_render_view(char *buf, size_t len, const struct fl_summary *s,
			   const struct fl_trace_info *t);

/* "52.1 us", "1.20 ms", "812 ns", "3.02 s" */
const char *fl_fmt_ns(char *buf, size_t len, uint64_t ns);

#endif
