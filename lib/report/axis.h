/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Plot axes: which scale, where the ends go, which ticks.  Pure arithmetic
 * on doubles (no drawing, no units): the SVG output uses it, and
 * tests/report/test-axis.c pins it.
 *
 * An axis fits its data: the ends are the nearest "nice" values (1, 2 or 5
 * times a power of ten, or multiples of the tick step) at or outside the
 * data's least and greatest value, never 0 unless the data comes near it.
 * The first tick is at or below the least value, the last at or above the
 * greatest, so the labels cover every point; the renderer keeps a margin
 * of pixels between the ends and the frame, so no point sits on it.
 */
#ifndef FORKLOCK_AXIS_H
#define FORKLOCK_AXIS_H

#include <stddef.h>

#define FL_AXIS_MAX_TICKS 32

enum fl_axis_scale {
	FL_AXIS_LINEAR,
	FL_AXIS_LOG,		/* base 10; every value > 0 */
};

struct fl_axis {
	enum fl_axis_scale scale;
	double lo, hi;			/* the ends, in data units: lo < hi (log: lo > 0) */
	double step;			/* linear: between ticks; log: 0 */
	int nr_ticks;
	double tick[FL_AXIS_MAX_TICKS];	/* ascending, from lo to hi */
};

/*
 * The scale for @n values (any order; @v is not changed): log when every
 * value is > 0 and the greatest is more than 100 times the least (the
 * data spans more than two decades), or more than 10 times it while the
 * middle 90% of the values (5th to 95th percentile) take less than a fifth
 * of the linear range (a few outliers would flatten the rest); else linear.
 * Returns FL_AXIS_LINEAR for no values, and -1 without memory.
 */
int fl_axis_choose(const double *v, size_t n);

/*
 * Fit @a to values from @min to @max (@min <= @max; for log both > 0)
 * with about @want ticks (2 to FL_AXIS_MAX_TICKS - 2).  One value (@min ==
 * @max) gets an axis around it.  Returns 0, or -1 (errno EINVAL) for
 * arguments out of range.
 */
int fl_axis_fit(struct fl_axis *a, enum fl_axis_scale scale, double min, double max, int want);

/* Where @v falls between the ends: 0 at lo, 1 at hi (outside for values beyond them). */
double fl_axis_pos(const struct fl_axis *a, double v);

/* A step of 1, 2 or 5 times a power of ten for about @n steps over @range (> 0). */
double fl_axis_nice_step(double range, int n);

#endif
