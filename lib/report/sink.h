/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where every fork of a report goes, one at a time: into the summary, to
 * the renderer, and (when judged) onto the plot.  forklock report feeds
 * it from the replay after judging each fork, forklock merge from the
 * reports' JSON with the decisions they hold.
 */
#ifndef FORKLOCK_REPORT_SINK_H
#define FORKLOCK_REPORT_SINK_H

#include <stdbool.h>

#include "policy/policy.h"
#include "replay/fork.h"
#include "report/render.h"
#include "report/summary.h"
#include "report/svg.h"

struct fl_report_sink {
	struct fl_summary *summary;
	const struct fl_renderer *renderer;
	void *ctx;				/* the renderer's, from its begin() */
	const struct fl_policy_set *policies;
	struct fl_svg *svg;			/* NULL: no plot */
	int svg_policy;				/* the policy that colours the dots, -1: none */
	bool svg_by_input;			/* colour by input instead (merge: its hosts) */
	int input;				/* the input the forks now come from (merge) */
	int error;				/* an FL_EXIT_* code once something failed */
};

/* @d: each policy's decision for @f, NULL if it was not judged. */
void fl_report_fork(struct fl_report_sink *sink, const struct fl_fork *f,
		    const struct fl_decision *d);

#endif
