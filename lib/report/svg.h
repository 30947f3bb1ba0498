/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SVG plots (--svg FILE of report and compare): window length against VMAs
 * locked, one dot per fork, and the histogram of window lengths.  One
 * self-contained file: no script, no external font, style or image.
 *
 * Elements a test can count: every fork is one <circle class="fork"
 * data-series="K">; every histogram bar one <rect class="bar"
 * data-series="K" data-count="N">; a least-squares line is a <line
 * class="fit" data-series="K">.
 */
#ifndef FORKLOCK_SVG_H
#define FORKLOCK_SVG_H

#include <stdint.h>
#include <stdio.h>

#include "policy/policy.h"

enum fl_svg_hist {
	FL_SVG_STACKED,		/* series stacked in one bar per bin (parts of one whole) */
	FL_SVG_SIDE_BY_SIDE,	/* one bar per series in each bin (samples to compare) */
};

struct fl_svg;

struct fl_svg *fl_svg_new(const char *title, const char *subtitle, enum fl_svg_hist mode);
/* A series of dots; returns its index, or -1 without memory. */
int fl_svg_series(struct fl_svg *g, const char *name, const char *colour);
/* Returns 0, or -1 without memory. */
int fl_svg_point(struct fl_svg *g, int series, uint32_t vmas, uint64_t window_ns);
/* A fitted line window = intercept + slope * vmas over the series' VMA range. */
void fl_svg_fit(struct fl_svg *g, int series, double intercept_ns, double slope_ns);
uint64_t fl_svg_points(const struct fl_svg *g);
/*
 * A plot whose dots are coloured by one policy's decision: lock,
 * undecided, skip (safe), skip (unknown safety), skip (unsafe).  With
 * @policy NULL, one series "fork".  fl_svg_policy_series() is the series
 * of a fork of such a plot (@d: the policy's decision, NULL without one).
 */
struct fl_svg *fl_svg_new_policy(const char *title, const char *policy);
int fl_svg_policy_series(const struct fl_decision *d);

/* Returns 0, or -1 if @out could not be written. */
int fl_svg_write(struct fl_svg *g, FILE *out);
void fl_svg_free(struct fl_svg *g);

#endif
