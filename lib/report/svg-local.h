/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to lib/report/svg*.c: the plot's data (svg.c keeps it), its text
 * (svg-text.c: escaping, units, the title's lines) and its drawing
 * (svg-draw.c).
 */
#ifndef FORKLOCK_SVG_LOCAL_H
#define FORKLOCK_SVG_LOCAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "report/svg.h"

struct svg_point {
	uint64_t window_ns;
	uint32_t vmas;
	int series;
	enum fl_svg_vmas from;
	const char *tier;		/* READ: who read it (static) */
	bool partial, lost;
};

struct svg_series {
	char name[64];
	char colour[16];
	uint64_t n;
	bool fit;
	double intercept, slope;
	uint32_t vmin, vmax;
};

struct svg_source {
	char *path, *kernel, *tier, *host, *command, *cut;
	uint64_t lost_events;
	bool lost_unknown;
};

struct fl_svg {
	char *title, *colour_by;
	enum fl_svg_hist mode;
	int nr_series;
	struct svg_series *series;
	struct svg_point *pts;
	uint64_t nr_pts, alloc_pts;
	int nr_sources;
	struct svg_source *sources;
	bool nomem;
};

/* @s as XML character data: markup escaped, bytes XML cannot hold as \xNN */
void svg_xml_text(FILE *out, const char *s);
/* @s cut to @max bytes ending "..." (before escaping: never inside an entity) */
void svg_clip(char *buf, size_t len, const char *s, size_t max);
/* a <text> element at (@x, @y); @extra: more attributes, or NULL */
void svg_text(FILE *out, double x, double y, const char *anchor, const char *extra,
	      const char *s);
void svg_textf(FILE *out, double x, double y, const char *anchor, const char *extra,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

struct svg_unit {
	const char *name;
	double ns;
};

/* the unit for times up to @ns */
struct svg_unit svg_time_unit(double ns);
/* a tick of a linear axis: as many decimals as its @step needs */
void svg_fmt_linear(char *buf, size_t len, double v, double step);
/* a tick of a log time axis: each in its own unit */
void svg_fmt_time(char *buf, size_t len, double ns);

#define SVG_HEADER_LINES 4
/*
 * The title's lines (what, which traces; kernel, tier, host, forks; the
 * workload; what was lost, if anything) into @line; @warn[i] marks a
 * warning.  Returns how many.
 */
int svg_header(const struct fl_svg *g, char line[SVG_HEADER_LINES][512],
	       bool warn[SVG_HEADER_LINES]);

#endif
