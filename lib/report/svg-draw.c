// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plot drawn (svg.h): the title, a scatter of window length against
 * VMAs locked with the legend beside it, and a histogram of window lengths
 * on the scatter's window axis.  The axes fit the data (report/axis.c);
 * every mark stays a margin inside its frame.  Plain SVG 1.1 with
 * presentation attributes, so every viewer and browser draws it the same.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/axis.h"
#include "report/render.h"
#include "report/svg-local.h"

#define WIDTH		800
#define LEFT		72		/* both plots' frames */
#define RIGHT		574
#define LEGEND_X	592		/* the legend, right of the scatter */
#define SCAT_H		360
#define HIST_H		190
#define PAD		9		/* between the frame and the axes' ends: no mark on it */
#define DOT_R		3.0
#define NR_BINS		40

/* ---- axes ----------------------------------------------------------------------- */

/* a plot's frame and where its axes' ends go inside it */
struct frame {
	double x0, y0, x1, y1;		/* the frame */
	double px0, px1, py0, py1;	/* the axes' ends: x lo..hi, y lo (bottom)..hi (top) */
};

static struct frame frame_at(double top, double h, bool pad_bottom)
{
	struct frame f = { LEFT, top, RIGHT, top + h };

	f.px0 = f.x0 + PAD;
	f.px1 = f.x1 - PAD;
	f.py0 = f.y1 - (pad_bottom ? PAD : 0);
	f.py1 = f.y0 + PAD;
	return f;
}

static double fx(const struct frame *f, const struct fl_axis *a, double v)
{
	return f->px0 + (f->px1 - f->px0) * fl_axis_pos(a, v);
}

static double fy(const struct frame *f, const struct fl_axis *a, double v)
{
	return f->py0 - (f->py0 - f->py1) * fl_axis_pos(a, v);
}

static void draw_frame(FILE *out, const struct frame *f, const char *plot)
{
	fprintf(out, "<rect class=\"frame\" data-plot=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\" fill=\"#ffffff\" stroke=\"#444444\"/>\n", plot, f->x0, f->y0,
		f->x1 - f->x0, f->y1 - f->y0);
}

enum tick_fmt { TICK_NUMBER, TICK_TIME };

/* a vertical axis (@vertical) or a horizontal one, its grid lines and labels */
static void draw_axis(FILE *out, const struct frame *f, const struct fl_axis *a, const char *name,
		      bool vertical, enum tick_fmt fmt, double unit)
{
	char buf[64];
	int i;

	fprintf(out, "<g class=\"axis\" data-axis=\"%s\" data-scale=\"%s\" data-lo=\"%.17g\" "
		"data-hi=\"%.17g\">\n", name, a->scale == FL_AXIS_LOG ? "log" : "linear",
		a->lo, a->hi);
	for (i = 0; i < a->nr_ticks; i++) {
		double v = a->tick[i];

		if (fmt == TICK_TIME && a->scale == FL_AXIS_LOG)
			svg_fmt_time(buf, sizeof(buf), v);
		else
			svg_fmt_linear(buf, sizeof(buf), v / unit, a->step / unit);
		if (vertical) {
			double y = fy(f, a, v);

			fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", f->x0, y, f->x1, y);
			fprintf(out, "<text class=\"tick\" data-value=\"%.17g\" data-at=\"%.2f\" "
				"x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%s</text>\n",
				v, y, f->x0 - 5, y + 4, buf);
		} else {
			double x = fx(f, a, v);

			fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				"y2=\"%.1f\" stroke=\"#e4e4e4\"/>\n", x, f->y0, x, f->y1);
			fprintf(out, "<text class=\"tick\" data-value=\"%.17g\" data-at=\"%.2f\" "
				"x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%s</text>\n",
				v, x, x, f->y1 + 15, buf);
		}
	}
	fputs("</g>\n", out);
}

static void vertical_label(FILE *out, const struct frame *f, const char *s)
{
	double y = (f->y0 + f->y1) / 2;

	fprintf(out, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" "
		"transform=\"rotate(-90 16 %.1f)\">", y, y);
	svg_xml_text(out, s);
	fputs("</text>\n", out);
}

/* the window axis, shared by the scatter (y) and the histogram (bins) */
static int window_axis(const struct fl_svg *g, struct fl_axis *a)
{
	double *v, lo = 0, hi = 0;
	uint64_t i;
	int scale;

	if (!g->nr_pts)
		return fl_axis_fit(a, FL_AXIS_LINEAR, 0, 1e3, 6);
	v = malloc(g->nr_pts * sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < g->nr_pts; i++) {
		v[i] = (double)g->pts[i].window_ns;
		if (!i || v[i] < lo)
			lo = v[i];
		if (!i || v[i] > hi)
			hi = v[i];
	}
	scale = fl_axis_choose(v, g->nr_pts);
	free(v);
	if (scale < 0)
		return -1;
	return fl_axis_fit(a, scale, lo, hi, 6);
}

/* ---- the markers ---------------------------------------------------------------- */

static const char *from_name(const struct svg_point *p)
{
	switch (p->from) {
	case FL_SVG_VMAS_COUNTED: return "counted";
	case FL_SVG_VMAS_READ: return p->tier ? p->tier : "kernel";
	case FL_SVG_VMAS_ESTIMATED: return "estimated";
	default: return "unsaid";
	}
}

/* one marker of @from centred on (x, y); @attrs go on the element */
static void marker(FILE *out, enum fl_svg_vmas from, double x, double y, const char *colour,
		   const char *attrs)
{
	switch (from) {
	case FL_SVG_VMAS_READ:
		fprintf(out, "<rect %sx=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"%s\" fill-opacity=\"0.6\"/>\n", attrs, x - DOT_R, y - DOT_R,
			2 * DOT_R, 2 * DOT_R, colour);
		break;
	case FL_SVG_VMAS_ESTIMATED:
		fprintf(out, "<circle %scx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"#ffffff\" "
			"fill-opacity=\"0\" stroke=\"%s\" stroke-width=\"1.2\"/>\n", attrs, x, y,
			DOT_R, colour);
		break;
	default:
		fprintf(out, "<circle %scx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" "
			"fill-opacity=\"0.6\"/>\n", attrs, x, y, DOT_R, colour);
	}
}

static void cross(FILE *out, double x, double y, const char *attrs)
{
	double r = DOT_R + 1.5;

	fprintf(out, "<path %sd=\"M%.1f %.1fL%.1f %.1fM%.1f %.1fL%.1f %.1f\" stroke=\"#000000\" "
		"stroke-width=\"1.2\" fill=\"none\"/>\n", attrs, x - r, y - r, x + r, y + r, x - r,
		y + r, x + r, y - r);
}

/* ---- the legend ----------------------------------------------------------------- */

struct marks {
	uint64_t from[FL_SVG_VMAS_NR];
	uint64_t flagged;
	const char *tier;		/* of the READ ones: one name, or "kernel" if several */
};

static struct marks count_marks(const struct fl_svg *g)
{
	struct marks m = { { 0 } };
	uint64_t i;

	for (i = 0; i < g->nr_pts; i++) {
		const struct svg_point *p = &g->pts[i];

		m.from[p->from]++;
		m.flagged += p->partial || p->lost;
		if (p->from == FL_SVG_VMAS_READ) {
			const char *t = p->tier ? p->tier : "kernel";

			if (!m.tier)
				m.tier = t;
			else if (strcmp(m.tier, t))
				m.tier = "kernel";
		}
	}
	return m;
}

/* @s in lines of up to @width bytes broken at spaces, @lines at most; returns the next y */
static double wrapped(FILE *out, double x, double y, const char *s, size_t width, int lines)
{
	char buf[128];

	while (*s && lines--) {
		size_t n = strlen(s);

		if (n > width && lines) {
			n = width;
			while (n > width / 2 && s[n] != ' ')
				n--;
			if (s[n] != ' ')
				n = width;
		}
		if (lines)
			snprintf(buf, sizeof(buf), "%.*s", (int)n, s);
		else
			svg_clip(buf, sizeof(buf), s, width);	/* the last line: cut with "..." */
		svg_text(out, x, y, "start", "class=\"legend-head\"", buf);
		y += 15;
		s += n;
		while (*s == ' ')
			s++;
	}
	return y;
}

static void legend(FILE *out, const struct fl_svg *g, double top)
{
	struct marks m = count_marks(g);
	double x = LEGEND_X, y = top + 12;
	char name[40];
	int i;

	fputs("<g class=\"legend\">\n", out);
	svg_text(out, x, y, "start", "font-weight=\"bold\"", "colour:");
	y += 15;
	y = wrapped(out, x, y, g->colour_by, 30, 3) + 3;
	for (i = 0; i < g->nr_series; i++) {
		const struct svg_series *s = &g->series[i];

		if (i == 8 && g->nr_series > 8) {
			svg_text(out, x, y, "start", "class=\"legend-entry\" font-size=\"11\"",
			     "(colours repeat from here)");
			y += 15;
		}
		svg_clip(name, sizeof(name), s->name, 24);
		fprintf(out, "<rect class=\"swatch\" data-series=\"%d\" x=\"%.1f\" y=\"%.1f\" "
			"width=\"10\" height=\"10\" fill=\"%s\"/>\n", i, x, y - 9, s->colour);
		svg_textf(out, x + 15, y, "start", "class=\"legend-entry\"", "%s (%llu)", name,
		      (unsigned long long)s->n);
		y += 16;
		if (y > top + SCAT_H + HIST_H) {	/* many hosts: the rest counted */
			svg_textf(out, x, y, "start", "class=\"legend-entry\"", "(+%d more)",
			      g->nr_series - i - 1);
			y += 16;
			break;
		}
	}
	y += 10;
	svg_text(out, x, y, "start", "font-weight=\"bold\"", "marker: VMAs locked");
	y += 16;
	for (i = 0; i < FL_SVG_VMAS_NR; i++) {
		static const char *what[] = { "counted from the trace", NULL,
					      "estimated (not sure)", "as compare reads them" };

		if (!m.from[i])
			continue;
		marker(out, i, x + 5, y - 4, "#555555", "class=\"legend-mark\" ");
		if (i == FL_SVG_VMAS_READ)
			svg_textf(out, x + 15, y, "start", "class=\"legend-entry\"",
			      "read by the %s tier (%llu)", m.tier, (unsigned long long)m.from[i]);
		else
			svg_textf(out, x + 15, y, "start", "class=\"legend-entry\"", "%s (%llu)",
			      what[i], (unsigned long long)m.from[i]);
		y += 16;
	}
	for (i = 0; i < g->nr_series && !(g->series[i].fit && g->series[i].n); i++)
		;
	if (i < g->nr_series) {
		fprintf(out, "<line class=\"legend-mark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\" stroke=\"#555555\" stroke-width=\"2\"/>\n", x, y - 4, x + 10,
			y - 4);
		svg_text(out, x + 15, y, "start", "class=\"legend-entry\"", "least-squares fit");
		y += 16;
	}
	if (m.flagged) {
		cross(out, x + 5, y - 4, "class=\"legend-mark\" ");
		svg_textf(out, x + 15, y, "start", "class=\"legend-entry\"", "window partial or");
		y += 14;
		svg_textf(out, x + 15, y, "start", "class=\"legend-entry\"", "events lost (%llu)",
		      (unsigned long long)m.flagged);
		y += 16;
	}
	fputs("</g>\n", out);
}

/* ---- the scatter ---------------------------------------------------------------- */

/* a fitted line, clipped to the plot: only where it lies between the axes' ends */
static void fit_line(FILE *out, const struct frame *f, const struct fl_axis *ax,
		     const struct fl_axis *ay, int s, const struct svg_series *se)
{
	double x0 = se->vmin, x1 = se->vmax;
	bool pen = false;
	int k;

	if (se->vmax == se->vmin) {		/* one VMA count: the line over the axis */
		x0 = ax->lo;
		x1 = ax->hi;
	}
	fprintf(out, "<path class=\"fit\" data-series=\"%d\" stroke=\"%s\" stroke-width=\"2\" "
		"fill=\"none\" d=\"", s, se->colour);
	for (k = 0; k <= 64; k++) {
		double x = x0 + (x1 - x0) * k / 64, y = se->intercept + se->slope * x;

		if (y < ay->lo || y > ay->hi) {
			pen = false;
			continue;
		}
		fprintf(out, "%s%.1f %.1f", pen ? "L" : "M", fx(f, ax, x), fy(f, ay, y));
		pen = true;
	}
	fputs("\"/>\n", out);
}

static const char *x_label(const struct marks *m, char *buf, size_t len)
{
	int kinds = 0, i;

	for (i = 0; i < FL_SVG_VMAS_NR; i++)
		kinds += !!m->from[i];
	if (kinds == 1 && m->from[FL_SVG_VMAS_COUNTED])
		return "parent VMAs locked (counted from the trace)";
	if (kinds == 1 && m->from[FL_SVG_VMAS_READ]) {
		snprintf(buf, len, "parent VMAs locked (read by the %s tier)", m->tier);
		return buf;
	}
	if (kinds == 1 && m->from[FL_SVG_VMAS_ESTIMATED])
		return "parent VMAs locked (estimated)";
	return kinds > 1 ? "parent VMAs locked (how each is known: the marker)" :
	       "parent VMAs locked";
}

static int scatter(FILE *out, const struct fl_svg *g, double top, const struct fl_axis *ay,
		   struct svg_unit u)
{
	struct frame f = frame_at(top, SCAT_H, true);
	struct marks m = count_marks(g);
	double vmin = 0, vmax = 0;
	struct fl_axis ax;
	char buf[128];
	uint64_t i;
	int s;

	for (i = 0; i < g->nr_pts; i++) {
		if (!i || g->pts[i].vmas < vmin)
			vmin = g->pts[i].vmas;
		if (!i || g->pts[i].vmas > vmax)
			vmax = g->pts[i].vmas;
	}
	if (fl_axis_fit(&ax, FL_AXIS_LINEAR, vmin, vmax, 8) < 0)
		return -1;

	fputs("<g class=\"scatter\">\n", out);
	draw_frame(out, &f, "scatter");
	draw_axis(out, &f, &ax, "x", false, TICK_NUMBER, 1);
	draw_axis(out, &f, ay, "y", true, TICK_TIME, u.ns);
	svg_text(out, (f.x0 + f.x1) / 2, f.y1 + 33, "middle", NULL, x_label(&m, buf, sizeof(buf)));
	if (ay->scale == FL_AXIS_LOG)
		vertical_label(out, &f, "oldmm write window (log scale)");
	else {
		snprintf(buf, sizeof(buf), "oldmm write window (%s)", u.name);
		vertical_label(out, &f, buf);
	}

	/* markers, series by series: the later ones on top */
	for (s = 0; s < g->nr_series; s++) {
		fprintf(out, "<g data-series=\"%d\">\n", s);
		for (i = 0; i < g->nr_pts; i++) {
			const struct svg_point *p = &g->pts[i];
			double x, y;
			char attrs[256];

			if (p->series != s)
				continue;
			x = fx(&f, &ax, p->vmas);
			y = fy(&f, ay, (double)p->window_ns);
			snprintf(attrs, sizeof(attrs), "class=\"fork\" data-series=\"%d\" "
				 "data-vmas-from=\"%s\" data-vmas=\"%u\" data-window-ns=\"%llu\"%s ",
				 s, from_name(p), p->vmas, (unsigned long long)p->window_ns,
				 p->partial && p->lost ? " data-flag=\"partial lost\"" :
				 p->partial ? " data-flag=\"partial\"" :
				 p->lost ? " data-flag=\"lost\"" : "");
			marker(out, p->from, x, y, g->series[s].colour, attrs);
			if (p->partial || p->lost)
				cross(out, x, y, "class=\"flag\" ");
		}
		fputs("</g>\n", out);
	}
	for (s = 0; s < g->nr_series; s++)
		if (g->series[s].fit && g->series[s].n)
			fit_line(out, &f, &ax, ay, s, &g->series[s]);
	fputs("</g>\n", out);
	return 0;
}

/* ---- the histogram -------------------------------------------------------------- */

static int histogram(FILE *out, const struct fl_svg *g, double top, const struct fl_axis *aw,
		     struct svg_unit u)
{
	struct frame f = frame_at(top, HIST_H, false);
	int b, s, ns = g->nr_series ? g->nr_series : 1;
	uint64_t *count, i, cmax = 1;
	struct fl_axis ac;
	char buf[96];

	count = calloc((size_t)NR_BINS * ns, sizeof(*count));
	if (!count)
		return -1;
	for (i = 0; i < g->nr_pts; i++) {
		double pos = fl_axis_pos(aw, (double)g->pts[i].window_ns);

		b = (int)(pos * NR_BINS);
		if (b >= NR_BINS)
			b = NR_BINS - 1;	/* the last bin holds its upper edge */
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
	if (fl_axis_fit(&ac, FL_AXIS_LINEAR, 0, (double)cmax, 4) < 0) {
		free(count);
		return -1;
	}
	if (ac.step < 1) {		/* whole forks */
		if (fl_axis_fit(&ac, FL_AXIS_LINEAR, 0, cmax < 2 ? 2 : (double)cmax, 2) < 0) {
			free(count);
			return -1;
		}
	}

	fputs("<g class=\"histogram\">\n", out);
	draw_frame(out, &f, "histogram");
	draw_axis(out, &f, &ac, "count", true, TICK_NUMBER, 1);
	draw_axis(out, &f, aw, "bins", false, TICK_TIME, u.ns);
	for (b = 0; b < NR_BINS; b++) {
		double e0 = aw->scale == FL_AXIS_LOG ?
			    pow(10, log10(aw->lo) + (log10(aw->hi) - log10(aw->lo)) * b / NR_BINS) :
			    aw->lo + (aw->hi - aw->lo) * b / NR_BINS;
		double e1 = aw->scale == FL_AXIS_LOG ?
			    pow(10, log10(aw->lo) + (log10(aw->hi) - log10(aw->lo)) * (b + 1) / NR_BINS) :
			    aw->lo + (aw->hi - aw->lo) * (b + 1) / NR_BINS;
		double x0 = fx(&f, aw, e0), bw = fx(&f, aw, e1) - x0, base = f.py0;

		for (s = 0; s < ns; s++) {
			uint64_t c = count[b * ns + s];
			double bh = fy(&f, &ac, 0) - fy(&f, &ac, (double)c), x = x0, bwid = bw;

			if (!c)
				continue;
			if (g->mode == FL_SVG_SIDE_BY_SIDE) {
				bwid = bw / ns;
				x = x0 + s * bwid;
				base = f.py0;
			}
			fprintf(out, "<rect class=\"bar\" data-series=\"%d\" data-count=\"%llu\" "
				"data-from-ns=\"%.0f\" data-to-ns=\"%.0f\" x=\"%.1f\" y=\"%.1f\" "
				"width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.8\"/>\n",
				s, (unsigned long long)c, e0, e1, x + 0.25, base - bh,
				bwid > 1.5 ? bwid - 0.5 : bwid, bh,
				g->nr_series ? g->series[s].colour : fl_svg_colour(0));
			if (g->mode == FL_SVG_STACKED)
				base -= bh;
		}
	}
	if (aw->scale == FL_AXIS_LOG)
		snprintf(buf, sizeof(buf), "oldmm write window (log scale, %d bins)", NR_BINS);
	else
		snprintf(buf, sizeof(buf), "oldmm write window (%s, %d bins)", u.name, NR_BINS);
	svg_text(out, (f.x0 + f.x1) / 2, f.y1 + 33, "middle", NULL, buf);
	vertical_label(out, &f, "forks");
	fputs("</g>\n", out);
	free(count);
	return 0;
}

int fl_svg_write(struct fl_svg *g, FILE *out)
{
	char line[SVG_HEADER_LINES][512];
	bool warn[SVG_HEADER_LINES];
	int n = svg_header(g, line, warn), i;
	double scat_top = 30 + 17 * n + 24, hist_top = scat_top + SCAT_H + 78;
	int height = (int)(hist_top + HIST_H + 48);
	struct fl_axis aw;
	struct svg_unit u;

	if (g->nomem || window_axis(g, &aw) < 0) {
		fl_render_nomem();
		return fl_render_end(out);
	}
	u = svg_time_unit(aw.hi);

	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\" "
		"data-forks=\"%llu\">\n", WIDTH, height, WIDTH, height,
		(unsigned long long)g->nr_pts);
	fputs("<title>", out);
	svg_xml_text(out, line[0]);
	fputs("</title>\n<desc>", out);
	for (i = 1; i < n; i++) {
		svg_xml_text(out, line[i]);
		fputs(i + 1 < n ? "; " : "", out);
	}
	fputs("; colour: ", out);
	svg_xml_text(out, g->colour_by);
	fputs("</desc>\n", out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
		WIDTH, height);
	fputs("<g class=\"header\">\n", out);
	svg_text(out, 16, 24, "start", "class=\"title\" font-size=\"15\" font-weight=\"bold\"", line[0]);
	for (i = 1; i < n; i++)
		svg_text(out, 16, 24 + 17 * i, "start",
		     warn[i] ? "class=\"warning\" fill=\"#b00000\" font-weight=\"bold\"" :
		     "class=\"subtitle\"", line[i]);
	fputs("</g>\n", out);
	svg_text(out, LEFT, scat_top - 8, "start", "font-weight=\"bold\"",
	     "oldmm write window against parent VMAs locked, one marker per fork");
	if (scatter(out, g, scat_top, &aw, u) < 0) {
		fl_render_nomem();
		return fl_render_end(out);
	}
	legend(out, g, scat_top);
	svg_text(out, LEFT, hist_top - 8, "start", "font-weight=\"bold\"",
	     g->mode == FL_SVG_STACKED ?
	     "forks per window length, each bar split by colour (as in the legend)" :
	     "forks per window length, one bar per colour in each bin");
	if (histogram(out, g, hist_top, &aw, u) < 0)
		fl_render_nomem();
	fputs("</svg>\n", out);
	return fl_render_end(out);
}
