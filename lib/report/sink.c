// SPDX-License-Identifier: GPL-2.0-or-later
/* The report's per-fork step (sink.h). */
#include "forklock-exit.h"
#include "log.h"
#include "report/sink.h"

void fl_report_fork(struct fl_report_sink *sink, const struct fl_fork *f,
		    const struct fl_decision *d)
{
	fl_summary_add_fork(sink->summary, f);
	sink->renderer->fork(sink->ctx, f, sink->policies, d);
	if (sink->svg && d && !sink->error &&
	    fl_svg_fork(sink->svg, sink->svg_by_input ? sink->input :
			fl_svg_policy_series(sink->svg_policy < 0 ? NULL : &d[sink->svg_policy]),
			f) < 0)
		sink->error = fl_err(FL_EXIT_FAILURE, "out of memory");
}
