// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock compare's output: text and mail share one layout of at most 72
 * columns (mail adds the command lines that produced it); JSON is schema
 * forklock-compare/1 (docs/forklock-compare.1).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compare/compare.h"
#include "report/mail.h"
#include "report/render.h"

#define COMPARE_SCHEMA "forklock-compare/1"

struct unit {
	const char *name;
	double ns;
	int decimals;		/* 4 significant digits of the largest number */
};

static void grow(double *m, const struct fl_ci *ci)
{
	if (!ci->valid)
		return;
	if (fabs(ci->est) > *m)
		*m = fabs(ci->est);
	if (fabs(ci->lo) > *m)
		*m = fabs(ci->lo);
	if (fabs(ci->hi) > *m)
		*m = fabs(ci->hi);
}

/* the unit that keeps a row group's numbers under 1000, and 4 digits of them */
static struct unit row_unit(const struct fl_cmp_row *r)
{
	struct unit u = { "ns", 1, 1 };
	double m = 0;
	int s;

	for (s = 0; s < 2; s++) {
		grow(&m, &r->side[s].p50);
		grow(&m, &r->side[s].p99);
	}
	grow(&m, &r->d50);
	grow(&m, &r->d99);
	if (m >= 999.95e6)
		u = (struct unit){ "s", 1e9, 1 };
	else if (m >= 999.95e3)
		u = (struct unit){ "ms", 1e6, 1 };
	else if (m >= 999.95)
		u = (struct unit){ "us", 1e3, 1 };
	m /= u.ns;
	if (u.ns > 1)
		u.decimals = m < 9.9995 ? 3 : m < 99.995 ? 2 : 1;
	return u;
}

static const char *triple(char *buf, size_t len, const struct fl_ci *ci, double scale,
			  int decimals, bool sign)
{
	const char *fmt = sign ? "%+.*f [%+.*f, %+.*f]" : "%.*f [%.*f, %.*f]";
	char zero[16];

	if (!ci->valid) {
		snprintf(buf, len, "-");
		return buf;
	}
	snprintf(buf, len, fmt, decimals, ci->est / scale, decimals, ci->lo / scale, decimals,
		 ci->hi / scale);
	/* "-0.0" reads as a change; it is none */
	snprintf(zero, sizeof(zero), "-%.*f", decimals, 0.0);
	for (char *p = buf; (p = strstr(p, zero)); p++)
		if (p[strlen(zero)] < '0' || p[strlen(zero)] > '9')
			p[0] = '+';
	return buf;
}

static void side_lines(FILE *out, const struct fl_cmp_side *s, const char *label)
{
	char a[32];

	fl_mail_printf(out, 12, "%-11s %s", label, s->path);
	fl_mail_printf(out, 12, "%-11s kernel %s, %s tier, %d trace%s, %s, %llu events, "
		       "%llu lost", "", s->kernel, s->tier, s->nr_traces, s->nr_traces == 1 ? "" : "s",
		       fl_mail_ns(a, sizeof(a), s->duration_ns), (unsigned long long)s->events,
		       (unsigned long long)s->lost_events);
}

static void window_rows(FILE *out, const struct fl_comparison *c)
{
	static const char *names[] = { "base", "patched" };
	bool small_p99 = false;
	char a[64], b[64], range[64];
	int i, s;

	fl_mail_printf(out, 2, "Window by VMAs locked: median and p99 [%.0f%% interval];",
		       c->level * 100);
	fl_mail_printf(out, 2, "change = patched - base");
	fl_mail_printf(out, 2, "%-12s %8s  %-23s  %s", "", "forks", "median", "p99");
	for (i = 0; i < c->nr_rows; i++) {
		const struct fl_cmp_row *r = &c->rows[i];
		struct unit u = row_unit(r);

		if (r->all)
			snprintf(range, sizeof(range), "all forks");
		else if (r->hi == UINT32_MAX)
			snprintf(range, sizeof(range), "VMAs %u+", r->lo);
		else
			snprintf(range, sizeof(range), "VMAs %u-%u", r->lo, r->hi);
		fl_mail_printf(out, 4, "  %s (%s)", range, u.name);
		for (s = 0; s < 2; s++) {
			const struct fl_cmp_cell *cell = &r->side[s];

			fl_mail_printf(out, 4, "    %-8s %8llu  %-23s  %s", names[s],
				       (unsigned long long)cell->n,
				       triple(a, sizeof(a), &cell->p50, u.ns, u.decimals, false),
				       triple(b, sizeof(b), &cell->p99, u.ns, u.decimals, false));
			if (cell->n && cell->n < 100)
				small_p99 = true;
		}
		fl_mail_printf(out, 4, "    %-8s %8s  %-23s  %s", "change", "",
			       triple(a, sizeof(a), &r->d50, u.ns, u.decimals, true),
			       triple(b, sizeof(b), &r->d99, u.ns, u.decimals, true));
	}
	if (small_p99)
		fl_mail_printf(out, 2, "  (the p99 of fewer than 100 forks is their maximum: its "
			       "interval says little)");
}

static void slope_rows(FILE *out, const struct fl_comparison *c)
{
	static const char *names[] = { "base", "patched" };
	char a[64], b[32], note[96];
	int s;

	fputc('\n', out);
	if (c->origin)
		fl_mail_printf(out, 2, "Slope: least squares through the origin of window on VMAs "
			       "locked, ns per VMA [%.0f%% interval]", c->level * 100);
	else
		fl_mail_printf(out, 2, "Slope: least squares of window on VMAs locked, ns per VMA "
			       "[%.0f%% interval]", c->level * 100);
	for (s = 0; s < 2; s++) {
		const struct fl_cmp_side *side = c->side[s];

		note[0] = '\0';
		if (c->fit[s].valid && !c->origin)
			snprintf(note, sizeof(note), "  intercept %s",
				 fl_mail_ns(b, sizeof(b), c->fit[s].intercept > 0 ?
					    (uint64_t)llround(c->fit[s].intercept) : 0));
		if (c->fit[s].valid && !c->origin && c->fit[s].intercept < 0)
			snprintf(note, sizeof(note), "  intercept -%s",
				 fl_mail_ns(b, sizeof(b), (uint64_t)llround(-c->fit[s].intercept)));
		fl_mail_printf(out, 4, "    %-8s %8llu  %-23s%s", names[s],
			       (unsigned long long)side->n,
			       triple(a, sizeof(a), &c->slope[s], 1, 1, false), note);
	}
	fl_mail_printf(out, 4, "    %-8s %8s  %s", "change", "",
		       triple(a, sizeof(a), &c->slope_diff, 1, 1, true));
	if (c->origin) {
		fl_mail_printf(out, 2, "  (a side whose forks all locked the same number of VMAs "
			       "cannot separate a fixed cost from a cost per VMA: both slopes are "
			       "window / VMAs, fixed costs included)");
	}
	for (s = 0; s < 2; s++)
		if (c->degenerate[s])
			fl_mail_printf(out, 2, "  (%s: %llu of %u resamples had one VMA count and "
				       "were left out)", names[s], (unsigned long long)c->degenerate[s],
				       c->replicates);
}

static void produced_by(FILE *out, const struct fl_comparison *c)
{
	bool note = false;
	int s, i;

	fputc('\n', out);
	fl_mail_printf(out, 2, "Produced by forklock %s:", FORKLOCK_VERSION);
	for (s = 0; s < 2; s++) {
		const struct fl_cmp_side *side = c->side[s];

		for (i = 0; i < side->nr_traces; i++) {
			char *rec, *line;

			if (!side->snapshot[i])
				continue;
			rec = fl_shell_join("forklock record -o", 1, &side->files[i]);
			if (!rec || asprintf(&line, "%s%s%s", rec, side->commands[i][0] ? " -- " : "",
					     side->commands[i]) < 0) {
				free(rec);
				continue;
			}
			fl_mail_command(out, 2, line);
			free(line);
			free(rec);
			note = true;
		}
		if (side->json) {
			char *cmd = fl_shell_join("forklock report --format json --forks",
						  side->nr_traces, side->files);
			char *to = fl_shell_join(" >", 1, &((struct fl_cmp_side *)side)->path);
			char *line;

			if (cmd && to && asprintf(&line, "%s%s", cmd, to) >= 0) {
				fl_mail_command(out, 2, line);
				free(line);
			}
			free(cmd);
			free(to);
		}
	}
	if (fl_render_cmdline())
		fl_mail_command(out, 2, fl_render_cmdline());
	if (note)
		fl_mail_printf(out, 1, "(trace.dat keeps the recorded command with its arguments "
			       "joined by spaces, not the other options of forklock record)");
	if (c->side[0]->json || c->side[1]->json)
		fl_mail_printf(out, 1, "(a JSON report does not keep the options of the forklock "
			       "report that wrote it)");
}

int fl_compare_text(FILE *out, const struct fl_comparison *c, bool mail)
{
	fl_mail_printf(out, 0, "forklock compare: fork windows, base against patched");
	fputc('\n', out);
	side_lines(out, c->side[0], "Base:");
	side_lines(out, c->side[1], "Patched:");
	if (c->same_workload) {
		fl_mail_printf(out, 12, "%-11s %s", "Workload:", c->workload[0]);
		fl_mail_printf(out, 12, "%-11s %s", "", c->by_command ?
			       "(the same recorded command on both sides)" :
			       "(the same forking commands, 5% of forks or more, on both sides)");
	} else {
		fl_mail_printf(out, 12, "%-11s %s", "Workload:", c->by_command ?
			       "DIFFERENT recorded commands, compared because of --force" :
			       "DIFFERENT forking commands, compared because of --force");
		fl_mail_printf(out, 12, "%-11s %s", "  base:", c->workload[0]);
		fl_mail_printf(out, 12, "%-11s %s", "  patched:", c->workload[1]);
	}
	if (c->side[0]->only)
		fl_mail_printf(out, 12, "%-11s only the forks of %s (--comm)", "Parents:",
			       c->side[0]->only);
	fl_mail_printf(out, 12, "%-11s base %llu, patched %llu (complete; partial %llu and %llu, "
		       "aborted %llu and %llu)", "Forks:", (unsigned long long)c->side[0]->n,
		       (unsigned long long)c->side[1]->n, (unsigned long long)c->side[0]->partial,
		       (unsigned long long)c->side[1]->partial, (unsigned long long)c->side[0]->aborted,
		       (unsigned long long)c->side[1]->aborted);
	fl_mail_printf(out, 12, "%-11s base %llu, patched %llu", "VMA locks:",
		       (unsigned long long)c->side[0]->vma_locks,
		       (unsigned long long)c->side[1]->vma_locks);
	if (strcmp(c->side[0]->tier, c->side[1]->tier))
		fl_mail_printf(out, 12, "%-11s base was recorded with the %s tier, patched with "
			       "the %s tier: their windows are measured differently", "Note:",
			       c->side[0]->tier, c->side[1]->tier);
	fputc('\n', out);
	window_rows(out, c);
	slope_rows(out, c);
	fputc('\n', out);
	fl_mail_printf(out, 0, "Method: percentile bootstrap, %u resamples with replacement of "
		       "each side (within a bucket for median and p99, of all forks for the "
		       "slope), seed %llu; medians and p99 are nearest-rank, as in forklock "
		       "report.  The intervals cover the spread of forks within each recording, "
		       "not the difference between two runs of the same kernel: compare two "
		       "base recordings to see that.", c->replicates, (unsigned long long)c->seed);
	if (mail)
		produced_by(out, c);
	return fl_render_end(out);
}

/* ---- JSON --------------------------------------------------------------------- */

static json_t *ci_obj(const struct fl_ci *ci)
{
	if (!ci->valid)
		return json_null();
	return json_pack("{s:f,s:f,s:f}", "estimate", ci->est, "lo", ci->lo, "hi", ci->hi);
}

static json_t *side_obj(const struct fl_cmp_side *s, const char *workload)
{
	json_t *o = json_object(), *cmds = json_array(), *files = json_array();
	int i;

	for (i = 0; i < s->nr_traces; i++) {
		json_array_append_new(cmds, s->commands[i][0] ? json_string(s->commands[i]) :
				      json_null());
		json_array_append_new(files, json_string(s->files[i]));
	}
	json_object_set_new(o, "input", json_string(s->path));
	json_object_set_new(o, "format", json_string(s->json ? "json" : "trace.dat"));
	json_object_set_new(o, "kernel", json_string(s->kernel));
	json_object_set_new(o, "tier", json_string(s->tier));
	json_object_set_new(o, "traces", files);
	json_object_set_new(o, "commands", cmds);
	json_object_set_new(o, "workload", json_string(workload));
	json_object_set_new(o, "forks", json_integer((json_int_t)s->n));
	json_object_set_new(o, "partial_forks", json_integer((json_int_t)s->partial));
	json_object_set_new(o, "aborted_forks", json_integer((json_int_t)s->aborted));
	json_object_set_new(o, "vma_locks", json_integer((json_int_t)s->vma_locks));
	json_object_set_new(o, "window_total_ns", json_integer((json_int_t)s->window_total_ns));
	json_object_set_new(o, "events", json_integer((json_int_t)s->events));
	json_object_set_new(o, "lost_events", json_integer((json_int_t)s->lost_events));
	json_object_set_new(o, "duration_ns", json_integer((json_int_t)s->duration_ns));
	return o;
}

static json_t *cell_obj(const struct fl_cmp_cell *c)
{
	return json_pack("{s:I,s:o,s:o}", "forks", (json_int_t)c->n, "p50_ns", ci_obj(&c->p50),
			 "p99_ns", ci_obj(&c->p99));
}

static json_t *row_obj(const struct fl_cmp_row *r)
{
	json_t *o = json_object();

	if (!r->all) {
		json_object_set_new(o, "vmas_min", json_integer(r->lo));
		json_object_set_new(o, "vmas_max", r->hi == UINT32_MAX ? json_null() :
				    json_integer(r->hi));
	}
	json_object_set_new(o, "base", cell_obj(&r->side[0]));
	json_object_set_new(o, "patched", cell_obj(&r->side[1]));
	json_object_set_new(o, "change", json_pack("{s:o,s:o}", "p50_ns", ci_obj(&r->d50),
						   "p99_ns", ci_obj(&r->d99)));
	return o;
}

static json_t *fit_obj(const struct fl_comparison *c, int s)
{
	json_t *o = ci_obj(&c->slope[s]);

	if (json_is_null(o))
		return o;
	json_object_set_new(o, "intercept_ns", c->origin ? json_null() :
			    json_real(c->fit[s].intercept));
	json_object_set_new(o, "degenerate_resamples", json_integer((json_int_t)c->degenerate[s]));
	return o;
}

int fl_compare_json(FILE *out, const struct fl_comparison *c)
{
	json_t *o, *rows, *slope;
	int i, ret;

	fl_render_watch_json();
	o = json_object();
	rows = json_array();
	json_object_set_new(o, "schema", json_string(COMPARE_SCHEMA));
	json_object_set_new(o, "method", json_pack(
		"{s:s,s:I,s:I,s:f,s:s,s:s,s:s}",
		"bootstrap", "percentile",
		"replicates", (json_int_t)c->replicates,
		"seed", (json_int_t)c->seed,
		"level", c->level,
		"quantiles", "nearest-rank",
		"rng", "splitmix64, one stream per bucket and one for the slope, the same for both sides",
		"change_pairing", "patched replicate k+1 (mod B) minus base replicate k"));
	json_object_set_new(o, "workload", json_pack("{s:b,s:b,s:s}", "same", c->same_workload,
						     "forced", c->forced, "by",
						     c->by_command ? "command" : "forking commands"));
	json_object_set_new(o, "only_comms", c->side[0]->only ? json_string(c->side[0]->only) :
			    json_null());
	json_object_set_new(o, "base", side_obj(c->side[0], c->workload[0]));
	json_object_set_new(o, "patched", side_obj(c->side[1], c->workload[1]));
	for (i = 0; i < c->nr_rows; i++)
		if (!c->rows[i].all)
			json_array_append_new(rows, row_obj(&c->rows[i]));
	json_object_set_new(o, "window_by_vmas", rows);
	json_object_set_new(o, "window_all", row_obj(&c->rows[c->nr_rows - 1]));
	slope = json_object();
	json_object_set_new(slope, "model", json_string(c->origin ? "least squares through the origin" :
							"least squares"));
	json_object_set_new(slope, "base", fit_obj(c, 0));
	json_object_set_new(slope, "patched", fit_obj(c, 1));
	json_object_set_new(slope, "change", ci_obj(&c->slope_diff));
	json_object_set_new(o, "slope_ns_per_vma", slope);
	ret = json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	fputc('\n', out);
	json_decref(o);
	return fl_render_end(out) < 0 || ret ? -1 : 0;
}
