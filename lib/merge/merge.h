/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * forklock merge: many hosts' JSON reports (made with --forks) summed into
 * the report forklock report would have printed for all their traces at
 * once.  Every fork goes through the same fl_summary_add_fork() as in
 * report, so counts, nearest-rank percentiles, VMA-count buckets and top
 * commands are recomputed, not averaged; the policies' results are summed
 * and their evidence kept by the rule judge.c follows (the first unsafe
 * forks, else the first of unknown safety, five at most).
 *
 * Two passes, so memory does not grow with the number of reports: the
 * first checks every report (schema, per-fork data, the same policies and
 * lock cost, a summary that matches its forks) and keeps one row per host;
 * the second streams the forks to a renderer.
 */
#ifndef FORKLOCK_MERGE_H
#define FORKLOCK_MERGE_H

#include <stdio.h>

#include <jansson.h>

#include "report/render.h"
#include "report/summary.h"
#include "report/svg.h"

struct fl_merge_host {
	char *path;
	char *label;			/* the report's file name without ".json" */
	char kernel[96];
	int nr_traces;
	uint64_t forks, single_threaded_forks, vma_locks, window_total_ns;
	uint64_t duration_ns, lost_events;
	struct fl_pct window;
};

struct fl_merge {
	int nr_hosts;
	struct fl_merge_host *hosts;
	/* the policies of the reports, by name (no plugin is loaded) */
	struct fl_policy_set policies;
	struct forklock_policy *defs;
	struct fl_policy_result *results;
	struct fl_decision *decisions;
	struct fl_lock_cost cost;
	char *cost_source;
	char cost_text[192];		/* a calibration over the merged forks */
	struct fl_summary summary;
	struct fl_trace_info *traces;	/* what summary.traces point into, to free */
	int nr_traces;
};

/* Pass 1.  Returns 0 or an FL_EXIT_* code after one error line. */
int fl_merge_check(struct fl_merge *m, char **paths, int nr);

/*
 * Pass 2: every fork to @r (and, when judged, to @svg coloured by the
 * decision of policy @svg_policy, -1: none), then the summary is finished.
 * The caller then calls r->end() with fl_merge_report().
 */
int fl_merge_run(struct fl_merge *m, char **paths, const struct fl_renderer *r, void *ctx,
		 struct fl_svg *svg, int svg_policy);
struct fl_report fl_merge_report(const struct fl_merge *m);

/* The per-host table (text; @mail: 72 columns). */
void fl_merge_hosts_text(FILE *out, const struct fl_merge *m, bool mail);
/* The per-host table as a JSON array. */
json_t *fl_merge_hosts_json(const struct fl_merge *m);

void fl_merge_free(struct fl_merge *m);

#endif
