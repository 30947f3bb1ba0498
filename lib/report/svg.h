/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SVG plots (--svg FILE of report, compare and merge): window length
 * against VMAs locked, one marker per fork, above the histogram of window
 * lengths.  One self-contained file (no script, no external font, style or
 * image), 800 pixels wide, to paste into a mail or a web page.
 *
 * What it shows comes from the caller: the forks (their VMA count, how it
 * is known, whether their window is partial or lost events), the traces
 * (file, kernel, tier, host, workload, lost events) and the series the
 * colours stand for.  The plot computes only its own layout: the axes
 * (report/axis.h: ends that fit the data, a log window axis for heavy
 * tails), bins, legend.
 *
 * Elements a test can read: each plot's frame is <rect class="frame"
 * data-plot="scatter|histogram">; every fork is one element of class
 * "fork" (a <circle>, or a <rect> square for a VMA count the kernel read)
 * with data-series, data-vmas-from, data-vmas and data-window-ns; a fork
 * whose window is partial or lost events also gets data-flag and a <path
 * class="flag">; every histogram bar is a <rect class="bar" data-series
 * data-count>; a least-squares line a <path class="fit" data-series>;
 * each axis a <g class="axis" data-axis="x|y|bins|count" data-scale
 * data-lo data-hi> holding its <text class="tick" data-value>; the legend
 * a <g class="legend"> of <text class="legend-entry">.
 */
#ifndef FORKLOCK_SVG_H
#define FORKLOCK_SVG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/policy.h"
#include "replay/fork.h"
#include "replay/replay.h"

enum fl_svg_hist {
	FL_SVG_STACKED,		/* series stacked in one bar per bin (parts of one whole) */
	FL_SVG_SIDE_BY_SIDE,	/* one bar per series in each bin (samples to compare) */
};

/* How a fork's VMA count is known: its marker. */
enum fl_svg_vmas {
	FL_SVG_VMAS_COUNTED,	/* counted from the trace's events (filled circle) */
	FL_SVG_VMAS_READ,	/* read by the kernel side: kprobe or BPF (filled square) */
	FL_SVG_VMAS_ESTIMATED,	/* the trace cannot be sure (hollow circle) */
	FL_SVG_VMAS_UNSAID,	/* the caller does not know (compare): filled circle */
	FL_SVG_VMAS_NR
};

struct fl_svg;

/*
 * A plot titled @title ("forklock report"); @colour_by says what the
 * colours stand for ("single-user's decision", "side", "host").
 */
struct fl_svg *fl_svg_new(const char *title, const char *colour_by, enum fl_svg_hist mode);
/* A series of markers; returns its index, or -1 without memory. */
int fl_svg_series(struct fl_svg *g, const char *name, const char *colour);
/* The @i-th colour of the plots' palette (Okabe-Ito: told apart with any colour vision). */
const char *fl_svg_colour(int i);

/*
 * Where the forks came from, for the title: each call one trace (or one
 * side of a comparison).  Strings may be NULL or "" (not known) and are
 * copied; every byte of them is escaped in the file.
 */
struct fl_svg_source {
	const char *path, *kernel, *tier, *host, *command;
	uint64_t lost_events;
	bool lost_unknown;		/* pages said events were lost, without a count */
	const char *cut;		/* the recording stopped early: why; NULL: it did not */
};
int fl_svg_source(struct fl_svg *g, const struct fl_svg_source *src);
/* fl_svg_source() of a replayed (or JSON-read) trace. */
int fl_svg_trace(struct fl_svg *g, const struct fl_trace_info *t);

/* A fork as the replay gave it; returns 0, or -1 without memory. */
int fl_svg_fork(struct fl_svg *g, int series, const struct fl_fork *f);
/* A fork known only by its VMA count and window (FL_SVG_VMAS_UNSAID). */
int fl_svg_point(struct fl_svg *g, int series, uint32_t vmas, uint64_t window_ns);
/* A fitted line window = intercept + slope * vmas over the series' VMA range. */
void fl_svg_fit(struct fl_svg *g, int series, double intercept_ns, double slope_ns);
uint64_t fl_svg_points(const struct fl_svg *g);

/*
 * A plot whose markers are coloured by one policy's decision: lock,
 * undecided, skip (safe), skip (unknown safety), skip (unsafe).  With
 * @policy NULL, one series "fork".  fl_svg_policy_series() is the series
 * of a fork of such a plot (@d: the policy's decision, NULL without one).
 */
struct fl_svg *fl_svg_new_policy(const char *title, const char *policy);
int fl_svg_policy_series(const struct fl_decision *d);

/* Returns 0, or -1 if @out could not be written (or memory ran out). */
int fl_svg_write(struct fl_svg *g, FILE *out);
void fl_svg_free(struct fl_svg *g);

#endif
