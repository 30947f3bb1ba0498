// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SVG plots: a scatter of window length against VMAs locked (linear axes)
 * above a histogram of window lengths (log-spaced bins, since fork windows
 * spread over decades).  Plain SVG 1.1 with presentation attributes, so
 * every viewer and browser draws it the same.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "report/render.h"
#include "report/svg.h"

#define WIDTH		960
#define HEIGHT		900
#define LEFT		90		/* plot area of both panels */
#define RIGHT		930
#define SCAT_TOP	80
#define SCAT_BOTTOM	520
#define HIST_TOP	610
#define HIST_BOTTOM	840
#define NR_BINS		40

struct svg_point {
	uint64_t window_ns;
	uint32_t vmas;
	int series;
};

struct svg_series {
	char name[64];
	char colour[16];
	uint64_t n;
	bool fit;
	double intercept, slope;
	uint32_t vmin, vmax;
};

struct fl_svg {
	char *title, *subtitle;
	enum fl_svg_hist mode;
	int nr_series;
	struct svg_series *series;
	struct svg_point *pts;
	uint64_t nr_pts, alloc_pts;
};

struct fl_svg *fl_svg_new(const char *title, const char *subtitle, enum fl_svg_hist mode)
{
	struct fl_svg *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->title = strdup(title ? title : "");
	g->subtitle = strdup(subtitle ? subtitle : "");
	g->mode = mode;
	if (!g->title || !g->subtitle) {
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

int fl_svg_point(struct fl_svg *g, int series, uint32_t vmas, uint64_t window_ns)
{
	struct svg_series *s;

	if (series < 0 || series >= g->nr_series)
		return -1;
	if (g->nr_pts == g->alloc_pts) {
		uint64_t alloc = g->alloc_pts ? g->alloc_pts * 2 : 1024;
		struct svg_point *n = realloc(g->pts, alloc * sizeof(*n));

		if (!n)
			return -1;
		g->pts = n;
		g->alloc_pts = alloc;
	}
	g->pts[g->nr_pts++] = (struct svg_point){ window_ns, vmas, series };
	s = &g->series[series];
	s->n++;
	if (vmas < s->vmin)
		s->vmin = vmas;
	if (vmas > s->vmax)
		s->vmax = vmas;
	return 0;
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
	if (!g)
		return;
	free(g->title);
	free(g->subtitle);
	free(g->series);
	free(g->pts);
	free(g);
}

enum { SVG_LOCK, SVG_UNDECIDED, SVG_SKIP_SAFE, SVG_SKIP_UNKNOWN, SVG_SKIP_UNSAFE };

struct fl_svg *fl_svg_new_policy(const char *title, const char *policy)
{
	/* Okabe-Ito colours: told apart with any colour vision */
	static const char *names[] = { "lock", "undecided", "skip, safe", "skip, unknown safety",
				       "skip, unsafe" };
	static const char *colours[] = { "#0072B2", "#999999", "#009E73", "#E69F00", "#D55E00" };
	char sub[160];
	struct fl_svg *g;
	int i;

	if (policy)
		snprintf(sub, sizeof(sub), "dots coloured by the decisions of policy %s", policy);
	else
		snprintf(sub, sizeof(sub), "no policy loaded: every fork in one colour");
	g = fl_svg_new(title, sub, FL_SVG_STACKED);
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

/* ---- drawing ------------------------------------------------------------------ */

static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&apos;", out); break;
		default:
			/* XML 1.0 forbids most control characters; keep ASCII */
			fputc(c < 0x20 || c > 0x7e ? '?' : c, out);
		}
	}
}

static void text(FILE *out, double x, double y, const char *anchor, const char *extra,
		 const char *s)
{
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y, anchor,
		extra ? " " : "", extra ? extra : "");
	xml_text(out, s);
	fputs("</text>\n", out);
}

/* a "nice" tick step (1, 2 or 5 times a power of ten) for about @n ticks */
static double nice_step(double range, int n)
{
	double raw = range / n, p, f;

	if (raw <= 0)
		return 1;
	p = pow(10, floor(log10(raw)));
	f = raw / p;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

struct unit {
	const char *name;
	double ns;
};

static struct unit time_unit(double max_ns)
{
	if (max_ns >= 1e9)
		return (struct unit){ "s", 1e9 };
	if (max_ns >= 1e6)
		return (struct unit){ "ms", 1e6 };
	if (max_ns >= 1e3)
		return (struct unit){ "us", 1e3 };
	return (struct unit){ "ns", 1 };
}

static void fmt_tick(char *buf, size_t len, double v, double step)
{
	int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	snprintf(buf, len, "%.*f", decimals, v);
}

static void legend(FILE *out, const struct fl_svg *g)
{
	double x = LEFT + 10, y = SCAT_TOP + 16;
	int i;

	for (i = 0; i < g->nr_series; i++) {
		const struct svg_series *s = &g->series[i];
		char label[128];

		snprintf(label, sizeof(label), "%s (%llu)", s->name, (unsigned long long)s->n);
		fprintf(out, "<rect class=\"legend\" x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" "
			"fill=\"%s\"/>\n", x, y - 9, s->colour);
		text(out, x + 15, y, "start", NULL, label);
		y += 16;
	}
}

/* The grid lines across a plot @h high, and their labels: 0, @step, ... @max at @bottom up. */
static void y_grid(FILE *out, int bottom, double h, double max, double step)
{
	char buf[64];
	double v;

	for (v = 0; v <= max + step / 2; v += step) {
		double y = bottom - h * v / max;

		fprintf(out, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"stroke=\"#dddddd\"/>\n", LEFT, y, RIGHT, y);
		fmt_tick(buf, sizeof(buf), v, step);
		text(out, LEFT - 6, y + 4, "end", NULL, buf);
	}
}

static void scatter(FILE *out, const struct fl_svg *g)
{
	double xmax = 0, ymax = 0, xstep, ystep, v;
	const double w = RIGHT - LEFT, h = SCAT_BOTTOM - SCAT_TOP;
	struct unit u;
	char buf[64];
	uint64_t i;
	int s;

	for (i = 0; i < g->nr_pts; i++) {
		if (g->pts[i].vmas > xmax)
			xmax = g->pts[i].vmas;
		if (g->pts[i].window_ns > ymax)
			ymax = g->pts[i].window_ns;
	}
	xstep = nice_step(xmax > 0 ? xmax : 1, 8);
	xmax = ceil((xmax > 0 ? xmax : 1) / xstep) * xstep;
	u = time_unit(ymax);
	ystep = nice_step(ymax > 0 ? ymax / u.ns : 1, 6);
	ymax = ceil((ymax > 0 ? ymax / u.ns : 1) / ystep) * ystep;
	if (ymax <= 0)
		ymax = ystep;

	fputs("<g class=\"scatter\">\n", out);
	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#ffffff\" "
		"stroke=\"#444444\"/>\n", LEFT, SCAT_TOP, RIGHT - LEFT, SCAT_BOTTOM - SCAT_TOP);
	for (v = 0; v <= xmax + xstep / 2; v += xstep) {
		double x = LEFT + w * v / xmax;

		fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#dddddd\"/>\n", x, SCAT_TOP, x, SCAT_BOTTOM);
		fmt_tick(buf, sizeof(buf), v, xstep);
		text(out, x, SCAT_BOTTOM + 16, "middle", NULL, buf);
	}
	y_grid(out, SCAT_BOTTOM, h, ymax, ystep);
	text(out, (LEFT + RIGHT) / 2.0, SCAT_BOTTOM + 36, "middle", NULL, "parent VMAs locked");
	snprintf(buf, sizeof(buf), "oldmm write window (%s)", u.name);
	fprintf(out, "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" "
		"transform=\"rotate(-90 20 %.1f)\">%s</text>\n",
		(SCAT_TOP + SCAT_BOTTOM) / 2.0, (SCAT_TOP + SCAT_BOTTOM) / 2.0, buf);

	/* dots, series by series: the later ones on top */
	for (s = 0; s < g->nr_series; s++) {
		fprintf(out, "<g fill=\"%s\" fill-opacity=\"0.55\">\n", g->series[s].colour);
		for (i = 0; i < g->nr_pts; i++) {
			const struct svg_point *p = &g->pts[i];

			if (p->series != s)
				continue;
			fprintf(out, "<circle class=\"fork\" data-series=\"%d\" cx=\"%.1f\" cy=\"%.1f\" "
				"r=\"2.5\"/>\n", s, LEFT + w * p->vmas / xmax,
				SCAT_BOTTOM - h * (p->window_ns / u.ns) / ymax);
		}
		fputs("</g>\n", out);
	}
	for (s = 0; s < g->nr_series; s++) {
		const struct svg_series *se = &g->series[s];
		double x1, x2, y1, y2;

		if (!se->fit || !se->n)
			continue;
		x1 = se->vmin;
		x2 = se->vmax > se->vmin ? se->vmax : xmax;
		if (se->vmax == se->vmin)
			x1 = 0;		/* through the origin: from 0 on */
		y1 = (se->intercept + se->slope * x1) / u.ns;
		y2 = (se->intercept + se->slope * x2) / u.ns;
		fprintf(out, "<line class=\"fit\" data-series=\"%d\" x1=\"%.1f\" y1=\"%.1f\" "
			"x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>\n", s,
			LEFT + w * x1 / xmax, SCAT_BOTTOM - h * y1 / ymax,
			LEFT + w * x2 / xmax, SCAT_BOTTOM - h * y2 / ymax, se->colour);
	}
	legend(out, g);
	fputs("</g>\n", out);
}

static void hist_tick(FILE *out, double tv, double x)
{
	struct unit u = time_unit(tv);
	char buf[48];

	snprintf(buf, sizeof(buf), "%.3g %s", tv / u.ns, u.name);
	fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		"stroke=\"#dddddd\"/>\n", x, HIST_TOP, x, HIST_BOTTOM);
	text(out, x, HIST_BOTTOM + 16, "middle", NULL, buf);
}

static void histogram(FILE *out, const struct fl_svg *g)
{
	const double w = RIGHT - LEFT, h = HIST_BOTTOM - HIST_TOP;
	uint64_t *count, i, cmax = 1;
	double lo = 0, hi = 0, llo, lhi, cstep;
	double tick[64];
	int b, d, s, nt = 0, ns = g->nr_series ? g->nr_series : 1;

	count = calloc((size_t)NR_BINS * ns, sizeof(*count));
	if (!count) {
		fl_render_nomem();
		return;
	}
	for (i = 0; i < g->nr_pts; i++) {
		double x = g->pts[i].window_ns > 1 ? g->pts[i].window_ns : 1;

		if (!i || x < lo)
			lo = x;
		if (!i || x > hi)
			hi = x;
	}
	if (!g->nr_pts)
		lo = 1, hi = 10;
	llo = log10(lo);
	lhi = log10(hi);
	if (lhi - llo < 1e-9) {		/* one value: a decade around it */
		llo -= 0.5;
		lhi += 0.5;
	}
	for (i = 0; i < g->nr_pts; i++) {
		double x = g->pts[i].window_ns > 1 ? g->pts[i].window_ns : 1;

		b = (int)((log10(x) - llo) / (lhi - llo) * NR_BINS);
		if (b >= NR_BINS)
			b = NR_BINS - 1;
		if (b < 0)
			b = 0;
		count[b * ns + g->pts[i].series]++;
	}
	for (b = 0; b < NR_BINS; b++) {
		uint64_t sum = 0;

		for (s = 0; s < ns; s++) {
			sum += count[b * ns + s];
			if (count[b * ns + s] > cmax)
				cmax = count[b * ns + s];
		}
		if (g->mode == FL_SVG_STACKED && sum > cmax)
			cmax = sum;
	}
	cstep = nice_step(cmax, 4);
	if (cstep < 1)
		cstep = 1;
	cmax = (uint64_t)(ceil(cmax / cstep) * cstep);

	fputs("<g class=\"histogram\">\n", out);
	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#ffffff\" "
		"stroke=\"#444444\"/>\n", LEFT, HIST_TOP, RIGHT - LEFT, HIST_BOTTOM - HIST_TOP);
	y_grid(out, HIST_BOTTOM, h, (double)cmax, cstep);
	/* x ticks at 1, 2 and 5 times powers of ten; 5 even ones if that gives < 3 */
	for (d = (int)floor(llo); d <= (int)ceil(lhi); d++) {
		static const double mult[] = { 1, 2, 5 };
		int k;

		for (k = 0; k < 3 && nt < 64; k++) {
			double lv = log10(mult[k] * pow(10, d));

			if (lv >= llo - 1e-9 && lv <= lhi + 1e-9)
				tick[nt++] = lv;
		}
	}
	if (nt < 3)
		for (nt = 0; nt <= 4; nt++)
			tick[nt] = llo + (lhi - llo) * nt / 4;
	for (d = 0; d < nt; d++)
		hist_tick(out, pow(10, tick[d]), LEFT + w * (tick[d] - llo) / (lhi - llo));
	for (b = 0; b < NR_BINS; b++) {
		double x0 = LEFT + w * b / NR_BINS, bw = w / NR_BINS, base = HIST_BOTTOM;
		double e0 = pow(10, llo + (lhi - llo) * b / NR_BINS);
		double e1 = pow(10, llo + (lhi - llo) * (b + 1) / NR_BINS);

		for (s = 0; s < ns; s++) {
			uint64_t c = count[b * ns + s];
			double bh = h * c / cmax, x = x0, bwid = bw;

			if (!c)
				continue;
			if (g->mode == FL_SVG_SIDE_BY_SIDE) {
				bwid = bw / ns;
				x = x0 + s * bwid;
				base = HIST_BOTTOM;
			}
			fprintf(out, "<rect class=\"bar\" data-series=\"%d\" data-count=\"%llu\" "
				"data-from-ns=\"%.0f\" data-to-ns=\"%.0f\" x=\"%.1f\" y=\"%.1f\" "
				"width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.8\"/>\n",
				s, (unsigned long long)c, e0, e1, x + 0.5, base - bh,
				bwid > 1.5 ? bwid - 1 : bwid, bh,
				g->nr_series ? g->series[s].colour : "#0072B2");
			if (g->mode == FL_SVG_STACKED)
				base -= bh;
		}
	}
	text(out, (LEFT + RIGHT) / 2.0, HIST_BOTTOM + 36, "middle", NULL,
	     "oldmm write window (log scale)");
	fprintf(out, "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" "
		"transform=\"rotate(-90 20 %.1f)\">forks</text>\n",
		(HIST_TOP + HIST_BOTTOM) / 2.0, (HIST_TOP + HIST_BOTTOM) / 2.0);
	fputs("</g>\n", out);
	free(count);
}

int fl_svg_write(struct fl_svg *g, FILE *out)
{
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\" "
		"data-forks=\"%llu\">\n", WIDTH, HEIGHT, WIDTH, HEIGHT,
		(unsigned long long)g->nr_pts);
	fputs("<title>", out);
	xml_text(out, g->title);
	fputs("</title>\n<desc>", out);
	xml_text(out, g->subtitle);
	fputs("</desc>\n", out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
		WIDTH, HEIGHT);
	text(out, LEFT, 28, "start", "font-size=\"16\" font-weight=\"bold\"", g->title);
	text(out, LEFT, 48, "start", NULL, g->subtitle);
	text(out, LEFT, SCAT_TOP - 8, "start", "font-weight=\"bold\"",
	     "fork window against parent VMAs locked, one dot per fork");
	scatter(out, g);
	text(out, LEFT, HIST_TOP - 8, "start", "font-weight=\"bold\"",
	     g->mode == FL_SVG_STACKED ? "fork windows (bars stacked by series)" :
	     "fork windows (one bar per series in each bin)");
	histogram(out, g);
	fputs("</svg>\n", out);
	return fl_render_end(out);
}
