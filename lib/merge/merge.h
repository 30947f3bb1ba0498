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
#include "report/sink.h"
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
 * Pass 2: every fork into @sink (the report's per-fork step, with the
 * reports' decisions; its summary and policies are the merge's), then the
 * summary is finished.  The caller then calls the renderer's end() with
 * fl_merge_report().
 */
int fl_merge_run(struct fl_merge *m, char **paths, struct fl_report_sink *sink);
struct fl_report fl_merge_report(const struct fl_merge *m);

/*
 * The per-host table, for the renderer (fl_render_opts.extra): before
 * the text or mail report, and as the JSON report's last member "hosts".
 */
struct fl_render_extra fl_merge_extra(struct fl_merge *m);

void fl_merge_free(struct fl_merge *m);

#endif
