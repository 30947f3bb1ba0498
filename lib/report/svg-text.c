// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The plot's text: every string from a trace escaped for XML (bytes it
 * cannot hold as \xNN), time units, and the title's lines naming the
 * traces, kernel, tier, host, workload and what was lost.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "report/svg-local.h"

#define MAX_SOURCES	4		/* named in the title; more are counted */
#define LINE_CHARS	118		/* a header line at 12 px in 800 px */

/* ---- text ----------------------------------------------------------------------- */

void svg_xml_text(FILE *out, const char *s)
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
			if (c < 0x20 || c > 0x7e)
				fprintf(out, "\\x%02x", c);
			else
				fputc(c, out);
		}
	}
}

void svg_clip(char *buf, size_t len, const char *s, size_t max)
{
	if (max + 1 > len)
		max = len - 1;
	if (strlen(s) <= max) {
		snprintf(buf, len, "%s", s);
		return;
	}
	snprintf(buf, len, "%.*s...", (int)(max - 3), s);
}

void svg_text(FILE *out, double x, double y, const char *anchor, const char *extra,
	      const char *s)
{
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s%s>", x, y, anchor,
		extra ? " " : "", extra ? extra : "");
	svg_xml_text(out, s);
	fputs("</text>\n", out);
}

void svg_textf(FILE *out, double x, double y, const char *anchor, const char *extra,
	       const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	svg_text(out, x, y, anchor, extra, buf);
}

struct svg_unit svg_time_unit(double ns)
{
	if (ns >= 1e9)
		return (struct svg_unit){ "s", 1e9 };
	if (ns >= 1e6)
		return (struct svg_unit){ "ms", 1e6 };
	if (ns >= 1e3)
		return (struct svg_unit){ "us", 1e3 };
	return (struct svg_unit){ "ns", 1 };
}

void svg_fmt_linear(char *buf, size_t len, double v, double step)
{
	int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	if (fabs(v) < step / 2)
		v = 0;			/* no "-0" */
	snprintf(buf, len, "%.*f", decimals, v);
}

void svg_fmt_time(char *buf, size_t len, double ns)
{
	struct svg_unit u = svg_time_unit(ns);

	snprintf(buf, len, "%g %s", ns / u.ns, u.name);
}

/* ---- the title ------------------------------------------------------------------ */

/* "a, b, c (+2 more)" of the distinct non-empty @field of the sources */
static void distinct(char *buf, size_t len, const struct fl_svg *g, size_t off, int limit)
{
	int i, j, shown = 0, more = 0;
	size_t at = 0;

	buf[0] = '\0';
	for (i = 0; i < g->nr_sources; i++) {
		const char *v = *(char **)((const char *)&g->sources[i] + off);

		if (!v || !v[0])
			continue;
		for (j = 0; j < i; j++) {
			const char *w = *(char **)((const char *)&g->sources[j] + off);

			if (w && !strcmp(v, w))
				break;
		}
		if (j < i)
			continue;
		if (shown == limit) {
			more++;
			continue;
		}
		if (at < len)
			at += snprintf(buf + at, len - at, "%s%s", shown ? ", " : "", v);
		shown++;
	}
	if (more && at < len)
		snprintf(buf + at, len - at, " (+%d more)", more);
}

#define FIELD(f) offsetof(struct svg_source, f)

int svg_header(const struct fl_svg *g, char line[SVG_HEADER_LINES][512],
	       bool warn[SVG_HEADER_LINES])
{
	char a[400], b[400], c[400], d[400];
	uint64_t lost = 0;
	bool lost_unknown = false;
	const char *cut = NULL;
	uint64_t k;
	int i, n = 0;

	for (i = 0; i < g->nr_sources; i++) {
		lost += g->sources[i].lost_events;
		lost_unknown |= g->sources[i].lost_unknown;
		if (!cut && g->sources[i].cut)
			cut = g->sources[i].cut;
	}
	distinct(a, sizeof(a), g, FIELD(path), MAX_SOURCES);
	if (g->nr_sources > 1)
		snprintf(line[n], 512, "%s: %d traces: %s", g->title, g->nr_sources, a);
	else
		snprintf(line[n], 512, "%s: %s", g->title, a[0] ? a : "no trace");
	warn[n++] = false;

	distinct(a, sizeof(a), g, FIELD(kernel), 3);
	distinct(b, sizeof(b), g, FIELD(tier), 3);
	distinct(c, sizeof(c), g, FIELD(host), 3);
	snprintf(line[n], 512, "kernel %.150s | tier %.60s | %s%.150s%s%llu fork%s plotted",
		 a[0] ? a : "unknown", b[0] ? b : "unknown", c[0] ? "host " : "", c,	/* or none */
		 c[0] ? " | " : "", (unsigned long long)g->nr_pts, g->nr_pts == 1 ? "" : "s");
	warn[n++] = false;

	distinct(d, sizeof(d), g, FIELD(command), 2);
	snprintf(line[n], 512, "workload: %.400s", d[0] ? d : "the whole host (no COMMAND recorded)");
	warn[n++] = false;

	if (lost || lost_unknown || cut) {
		a[0] = '\0';
		if (lost || lost_unknown)
			snprintf(a, sizeof(a), "%s%llu events lost in the recording%s",
				 lost_unknown ? "at least " : "", (unsigned long long)lost,
				 cut ? "; " : "");
		for (k = 0; k < g->nr_pts && !g->pts[k].partial && !g->pts[k].lost; k++)
			;
		snprintf(line[n], 512, "data lost: %.200s%s%.190s%s", a,
			 cut ? "recording cut short: " : "", cut ? cut : "",
			 k < g->nr_pts ? ": forks marked x had their window cut or lost events" : "");
		warn[n++] = true;
	}
	for (i = 0; i < n; i++) {
		char tmp[512];

		svg_clip(tmp, sizeof(tmp), line[i], i ? LINE_CHARS : LINE_CHARS * 12 / 15);
		memcpy(line[i], tmp, sizeof(tmp));
	}
	return n;
}
