// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plot's data (svg.h): its series, the traces it names and one point
 * per fork, as the caller gives them.  Drawing is svg-draw.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "report/svg-local.h"

const char *fl_svg_colour(int i)
{
	static const char *palette[] = { "#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7",
					 "#56B4E9", "#000000", "#F0E442" };

	return palette[(i < 0 ? 0 : i) % 8];
}

struct fl_svg *fl_svg_new(const char *title, const char *colour_by, enum fl_svg_hist mode)
{
	struct fl_svg *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->title = strdup(title ? title : "");
	g->colour_by = strdup(colour_by ? colour_by : "");
	g->mode = mode;
	if (!g->title || !g->colour_by) {
		fl_svg_free(g);
		return NULL;
	}
	return g;
}

int fl_svg_series(struct fl_svg *g, const char *name, const char *colour)
{
	struct svg_series *n = realloc(g->series, (g->nr_series + 1) * sizeof(*n));

	if (!n)
		return -1;
	g->series = n;
	n = &g->series[g->nr_series];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	snprintf(n->colour, sizeof(n->colour), "%s", colour);
	n->vmin = UINT32_MAX;
	return g->nr_series++;
}

static char *dup_or_empty(const char *s, bool *nomem)
{
	char *d = strdup(s ? s : "");

	if (!d)
		*nomem = true;
	return d;
}

int fl_svg_source(struct fl_svg *g, const struct fl_svg_source *src)
{
	struct svg_source *n = realloc(g->sources, (g->nr_sources + 1) * sizeof(*n));
	bool nomem = false;

	if (!n)
		return -1;
	g->sources = n;
	n = &g->sources[g->nr_sources];
	n->path = dup_or_empty(src->path, &nomem);
	n->kernel = dup_or_empty(src->kernel, &nomem);
	n->tier = dup_or_empty(src->tier, &nomem);
	n->host = dup_or_empty(src->host, &nomem);
	n->command = dup_or_empty(src->command, &nomem);
	n->cut = src->cut ? dup_or_empty(src->cut, &nomem) : NULL;
	n->lost_events = src->lost_events;
	n->lost_unknown = src->lost_unknown;
	g->nr_sources++;
	return nomem ? -1 : 0;
}

int fl_svg_trace(struct fl_svg *g, const struct fl_trace_info *t)
{
	struct fl_svg_source s = {
		.path = t->path, .kernel = t->kernel, .tier = fl_tier_name(t->tier),
		.host = t->host, .command = t->command, .lost_events = fl_trace_lost(t),
		.lost_unknown = t->lost_unknown,
		.cut = t->stop_cut ? (t->stop_why[0] ? t->stop_why : "the trace lacks part of the run") :
		       NULL,
	};

	return fl_svg_source(g, &s);
}

static int add_point(struct fl_svg *g, const struct svg_point *p)
{
	struct svg_series *s;

	if (p->series < 0 || p->series >= g->nr_series)
		return -1;
	if (g->nr_pts == g->alloc_pts) {
		uint64_t alloc = g->alloc_pts ? g->alloc_pts * 2 : 1024;
		struct svg_point *n = realloc(g->pts, alloc * sizeof(*n));

		if (!n)
			return -1;
		g->pts = n;
		g->alloc_pts = alloc;
	}
	g->pts[g->nr_pts++] = *p;
	s = &g->series[p->series];
	s->n++;
	if (p->vmas < s->vmin)
		s->vmin = p->vmas;
	if (p->vmas > s->vmax)
		s->vmax = p->vmas;
	return 0;
}

int fl_svg_fork(struct fl_svg *g, int series, const struct fl_fork *f)
{
	struct svg_point p = {
		.window_ns = f->window_ns, .vmas = f->vmas_locked, .series = series,
		.partial = f->partial, .lost = f->lost_events,
	};

	switch (f->locked_quality) {
	case FL_LOCKED_EXACT:
		p.from = FL_SVG_VMAS_COUNTED;
		break;
	case FL_LOCKED_KERNEL:
		p.from = FL_SVG_VMAS_READ;
		p.tier = fl_source_name(f->src.vmas_locked);
		break;
	default:
		p.from = FL_SVG_VMAS_ESTIMATED;
	}
	return add_point(g, &p);
}

int fl_svg_point(struct fl_svg *g, int series, uint32_t vmas, uint64_t window_ns)
{
	struct svg_point p = {
		.window_ns = window_ns, .vmas = vmas, .series = series, .from = FL_SVG_VMAS_UNSAID,
	};

	return add_point(g, &p);
}

void fl_svg_fit(struct fl_svg *g, int series, double intercept_ns, double slope_ns)
{
	if (series < 0 || series >= g->nr_series)
		return;
	g->series[series].fit = true;
	g->series[series].intercept = intercept_ns;
	g->series[series].slope = slope_ns;
}

uint64_t fl_svg_points(const struct fl_svg *g)
{
	return g->nr_pts;
}

void fl_svg_free(struct fl_svg *g)
{
	int i;

	if (!g)
		return;
	for (i = 0; i < g->nr_sources; i++) {
		struct svg_source *s = &g->sources[i];

		free(s->path);
		free(s->kernel);
		free(s->tier);
		free(s->host);
		free(s->command);
		free(s->cut);
	}
	free(g->sources);
	free(g->title);
	free(g->colour_by);
	free(g->series);
	free(g->pts);
	free(g);
}

enum { SVG_LOCK, SVG_UNDECIDED, SVG_SKIP_SAFE, SVG_SKIP_UNKNOWN, SVG_SKIP_UNSAFE };

struct fl_svg *fl_svg_new_policy(const char *title, const char *policy)
{
	static const char *names[] = { "lock", "undecided", "skip, safe", "skip, unknown safety",
				       "skip, unsafe" };
	static const char *colours[] = { "#0072B2", "#999999", "#009E73", "#E69F00", "#D55E00" };
	char by[128];
	struct fl_svg *g;
	int i;

	if (policy)
		snprintf(by, sizeof(by), "the decision of policy %s", policy);
	else
		snprintf(by, sizeof(by), "nothing (no policy loaded)");
	g = fl_svg_new(title, by, FL_SVG_STACKED);
	if (!g)
		return NULL;
	for (i = 0; i < (policy ? 5 : 1); i++)
		if (fl_svg_series(g, policy ? names[i] : "fork", colours[i]) < 0) {
			fl_svg_free(g);
			return NULL;
		}
	return g;
}

int fl_svg_policy_series(const struct fl_decision *d)
{
	if (!d || d->decision == FORKLOCK_LOCK)
		return SVG_LOCK;
	if (d->decision != FORKLOCK_SKIP)
		return SVG_UNDECIDED;
	return d->safety == FL_SAFETY_UNSAFE ? SVG_SKIP_UNSAFE :
	       d->safety == FL_SAFETY_SAFE ? SVG_SKIP_SAFE : SVG_SKIP_UNKNOWN;
}
