// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cost of one vma_start_write(), for the savings a policy would make.
 *
 * Tracepoints cannot time a 20-50 ns lock (and a kprobe's own cost is
 * larger than the lock), so the estimate is calibrated on what the trace
 * does measure: dup_mmap()'s time per copied VMA, the median over the
 * complete forks of window length / VMAs locked (a median: one workload
 * with long contended windows does not move it).  fb49c455323f ("fork:
 * lock VMAs of the parent process when forking") measured the lock at
 * about 5% of fork time for 10000 VMAs, where dup_mmap() is nearly all of
 * fork: one lock is taken as 5% of the per-VMA time.  --lock-cost-ns
 * replaces it with your own number.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/cost.h"
#include "report/render.h"
#include "report/summary.h"

#define FL_LOCK_SHARE_PER_VMA 0.05
#define FL_CALIBRATION_FORKS 10		/* fewer forks: the default */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int fl_lock_cost_calibrate(const struct fl_summary *s, struct fl_lock_cost *cost,
			   char *source, size_t len)
{
	double *per_vma, median;
	uint64_t i, n = 0;

	per_vma = malloc((s->nr_points ? s->nr_points : 1) * sizeof(*per_vma));
	if (!per_vma) {
		fl_render_nomem();	/* not "too few forks": the report fails */
		return -1;
	}
	for (i = 0; i < s->nr_points; i++)
		if (s->points[i].vmas_locked)
			per_vma[n++] = (double)s->points[i].window_ns / s->points[i].vmas_locked;
	if (n < FL_CALIBRATION_FORKS) {
		free(per_vma);
		return -1;
	}
	qsort(per_vma, n, sizeof(*per_vma), cmp_double);
	median = per_vma[fl_rank(n, 0.50) - 1];	/* the report's p50 */
	free(per_vma);
	cost->ns = (uint64_t)llround(median * FL_LOCK_SHARE_PER_VMA);
	snprintf(source, len, "assumed: 5%% of the per-VMA dup_mmap() time (median %.0f ns "
		 "here; the lock's share of fork in fb49c455323f)", median);
	cost->source = source;
	return 0;
}

bool fl_lock_cost_is_automatic(const char *source)
{
	/* "calibrated:" and "default:" are what reports of forklock 0.1.0 say */
	return source && (!strncmp(source, "assumed:", 8) || !strncmp(source, "calibrated:", 11) ||
			  !strncmp(source, "default:", 8));
}

const char *fl_lock_cost_basis(const char *source)
{
	if (fl_lock_cost_is_automatic(source))
		return "assumed";
	if (source && !strncmp(source, "measured:", 9))
		return "measured";
	return "given";
}
