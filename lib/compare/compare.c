// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock compare: reading each side (trace.dat through replay, or a
 * JSON report), naming its workload, and the statistics of compare.h.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "forklock-exit.h"
#include "log.h"
#include "replay/replay.h"
#include "report/json.h"

/* ---- reading a side ----------------------------------------------------------- */

static int side_add(struct fl_cmp_side *s, const char *comm, uint32_t vmas, uint64_t window_ns)
{
	int i;

	if (s->n == s->alloc) {
		uint64_t alloc = s->alloc ? s->alloc * 2 : 1024;
		struct fl_xy *n = realloc(s->pts, alloc * sizeof(*n));

		if (!n)
			return -1;
		s->pts = n;
		s->alloc = alloc;
	}
	s->pts[s->n++] = (struct fl_xy){ vmas, (double)window_ns };
	s->vma_locks += vmas;
	s->window_total_ns += window_ns;
	for (i = 0; i < s->nr_comms; i++)
		if (!strncmp(s->comms[i].comm, comm, sizeof(s->comms[i].comm)))
			break;
	if (i == s->nr_comms) {
		struct fl_cmp_comm *n = realloc(s->comms, (i + 1) * sizeof(*n));

		if (!n)
			return -1;
		s->comms = n;
		memset(&n[i], 0, sizeof(n[i]));
		snprintf(n[i].comm, sizeof(n[i].comm), "%s", comm);
		s->nr_comms++;
	}
	s->comms[i].forks++;
	return 0;
}

/* is @comm among the comms the side keeps? */
static bool side_keeps(const struct fl_cmp_side *s, const char *comm)
{
	size_t len = strlen(comm);
	const char *p = s->only;

	if (!p)
		return true;
	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == len && !strncmp(p, comm, n))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

static int side_trace(struct fl_cmp_side *s, const struct fl_trace_info *t)
{
	const char *kernel = t->kernel, *tier = fl_tier_name(t->tier);
	char **n = realloc(s->commands, (s->nr_traces + 1) * sizeof(*n));
	bool *b;

	if (!n)
		return -1;
	s->commands = n;
	n = realloc(s->files, (s->nr_traces + 1) * sizeof(*n));
	if (!n)
		return -1;
	s->files = n;
	b = realloc(s->snapshot, (s->nr_traces + 1) * sizeof(*b));
	if (!b)
		return -1;
	s->snapshot = b;
	b[s->nr_traces] = t->has_snapshot;
	s->commands[s->nr_traces] = strdup(t->command);
	s->files[s->nr_traces] = strdup(t->path);
	if (!s->commands[s->nr_traces] || !s->files[s->nr_traces]) {
		free(s->commands[s->nr_traces]);
		free(s->files[s->nr_traces]);
		return -1;
	}
	if (!s->nr_traces++) {
		snprintf(s->kernel, sizeof(s->kernel), "%s", kernel);
		snprintf(s->tier, sizeof(s->tier), "%s", tier);
	} else if (strcmp(s->kernel, kernel)) {
		snprintf(s->kernel, sizeof(s->kernel), "mixed");
	}
	return 0;
}

struct side_sink {
	struct fl_cmp_side *s;
	int error;
};

/* A fork of the side (of a kept parent comm): complete ones are its points. */
static int side_fork_add(struct fl_cmp_side *s, const struct fl_fork *f)
{
	if (!side_keeps(s, f->comm))
		return 0;
	if (f->partial)
		s->partial++;
	else if (fl_fork_aborted(f))
		s->aborted++;
	else if (side_add(s, f->comm, f->vmas_locked, f->window_ns) < 0)
		return -1;
	return 0;
}

static void side_fork(void *ctx, const struct fl_fork *f)
{
	struct side_sink *ss = ctx;

	if (!ss->s->all && f->command_tree == FL_TREE_OUT)
		return;		/* not COMMAND's: as forklock report does */
	if (side_fork_add(ss->s, f) < 0)
		ss->error = -1;
}

static int side_tracedat(struct fl_cmp_side *s, const char *path)
{
	struct side_sink ss = { .s = s };
	struct fl_sink sink = { .fork = side_fork, .ctx = &ss };
	struct fl_trace_info info;
	int ret;

	ret = fl_replay_check(path);
	if (ret)
		return ret;
	ret = fl_replay_file(path, &sink, &info);
	if (ret)
		return ret;
	if (ss.error || side_trace(s, &info) < 0)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	s->events = info.events;
	s->lost_events = fl_trace_lost(&info);
	s->duration_ns = info.duration_ns;
	return 0;
}

static int side_json(struct fl_cmp_side *s, const char *path)
{
	json_t *root, *forks, *traces, *trace;
	size_t i;
	int ret;

	ret = fl_jreport_load(path, true, &root);
	if (ret)
		return ret;
	s->json = true;
	traces = json_object_get(root, "traces");
	for (i = 0; i < json_array_size(traces); i++) {
		struct fl_trace_info t;

		ret = fl_jreport_trace(path, i, json_array_get(traces, i), &t);
		if (ret)
			goto out;
		fl_jreport_trace_free(&t);
		if (side_trace(s, &t) < 0) {
			ret = fl_err(FL_EXIT_FAILURE, "out of memory");
			goto out;
		}
	}
	forks = json_object_get(root, "forks");
	for (i = 0; i < json_array_size(forks); i++) {
		struct fl_fork f;

		ret = fl_jreport_fork(path, i, json_array_get(forks, i), &f);
		if (ret)
			goto out;
		if (side_fork_add(s, &f) < 0) {
			ret = fl_err(FL_EXIT_FAILURE, "out of memory");
			goto out;
		}
	}
	trace = json_object_get(root, "trace");
	s->events = json_integer_value(json_object_get(trace, "events"));
	s->lost_events = json_integer_value(json_object_get(trace, "lost_events"));
	s->duration_ns = json_integer_value(json_object_get(trace, "duration_ns"));
out:
	json_decref(root);
	return ret;
}

static int cmp_comm_forks(const void *a, const void *b)
{
	const struct fl_cmp_comm *x = a, *y = b;

	if (x->forks != y->forks)
		return x->forks < y->forks ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

int fl_cmp_side_load(struct fl_cmp_side *s, const char *name, const char *path,
		     const char *only_comms, bool all)
{
	int json, ret;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->only = only_comms;
	s->all = all;
	s->path = strdup(path);
	if (!s->path)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	json = fl_jreport_sniff(path);
	if (json < 0)
		return fl_err(FL_EXIT_INPUT, "cannot open %s: %s", path, strerror(errno));
	ret = json ? side_json(s, path) : side_tracedat(s, path);
	if (ret)
		return ret;
	if (s->nr_comms)	/* no forks: comms is NULL, and qsort(NULL, 0) undefined */
		qsort(s->comms, s->nr_comms, sizeof(*s->comms), cmp_comm_forks);
	return 0;
}

void fl_cmp_side_free(struct fl_cmp_side *s)
{
	int i;

	for (i = 0; i < s->nr_traces; i++) {
		free(s->commands[i]);
		free(s->files[i]);
	}
	free(s->commands);
	free(s->files);
	free(s->snapshot);
	free(s->comms);
	free(s->pts);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

/* ---- the workload ------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *fl_cmp_workload(const struct fl_cmp_side *s, bool *by_command)
{
	size_t len = 1;
	char *w, **names;
	int i, n = 0;

	*by_command = s->nr_traces > 0;
	for (i = 0; i < s->nr_traces; i++) {
		if (!s->commands[i][0])
			*by_command = false;
		len += strlen(s->commands[i]) + 2;
	}
	if (*by_command) {
		w = malloc(len);
		if (!w)
			return NULL;
		w[0] = '\0';
		for (i = 0; i < s->nr_traces; i++) {
			const char *c = s->commands[i];
			size_t prog = strcspn(c, " ");
			const char *base = c;

			/* the program by its base name: builds live in different places */
			for (const char *p = c; p < c + prog; p++)
				if (*p == '/')
					base = p + 1;
			if (i)
				strcat(w, "; ");
			strcat(w, base);
		}
		return w;
	}
	/* the parent comms that made at least 5% of the forks, by name */
	names = calloc(s->nr_comms + 1, sizeof(*names));
	if (!names)
		return NULL;
	len = 16;
	for (i = 0; i < s->nr_comms; i++)
		if (s->comms[i].forks * 20 >= s->n) {
			names[n++] = (char *)s->comms[i].comm;
			len += strlen(s->comms[i].comm) + 4;
		}
	qsort(names, n, sizeof(*names), cmp_str);
	w = malloc(len);
	if (w) {
		strcpy(w, n ? "" : "no forks");
		for (i = 0; i < n; i++) {
			if (i)
				strcat(w, ", ");
			strcat(w, names[i][0] ? names[i] : "?");
		}
	}
	free(names);
	return w;
}

/* ---- statistics --------------------------------------------------------------- */

enum { STREAM_ALL = FL_NR_BUCKETS, STREAM_SLOPE };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* patched replicate k+1 minus base replicate k */
static struct fl_ci diff_ci(double est, const double *base, const double *patched, unsigned b,
			    double level, double *work)
{
	unsigned k;

	for (k = 0; k < b; k++)
		work[k] = patched[(k + 1) % b] - base[k];
	return fl_ci_of(est, work, b, level);
}

static int row_stats(struct fl_comparison *c, struct fl_cmp_row *row, int stream, double *work)
{
	unsigned b = c->replicates, k;
	double *rep[2][2] = { { NULL } };
	int s, ret = -1;

	for (s = 0; s < 2; s++) {
		const struct fl_cmp_side *side = c->side[s];
		struct fl_cmp_cell *cell = &row->side[s];
		uint64_t i, n = 0, *v;
		struct fl_rng rng;

		v = malloc((side->n ? side->n : 1) * sizeof(*v));
		rep[s][0] = malloc(b * sizeof(double));
		rep[s][1] = malloc(b * sizeof(double));
		if (!v || !rep[s][0] || !rep[s][1]) {
			free(v);
			goto out;
		}
		for (i = 0; i < side->n; i++)
			if (row->all || (side->pts[i].x >= row->lo && side->pts[i].x <= row->hi))
				v[n++] = (uint64_t)side->pts[i].y;
		qsort(v, n, sizeof(*v), cmp_u64);
		cell->n = n;
		for (k = 0; k < b; k++)
			rep[s][0][k] = rep[s][1][k] = NAN;
		if (n) {
			double e50 = v[fl_rank(n, 0.50) - 1], e99 = v[fl_rank(n, 0.99) - 1];

			/* the same stream on both sides: equal inputs, equal intervals */
			fl_rng_seed(&rng, c->seed, stream);
			if (fl_boot_quantiles(v, n, &rng, b, rep[s][0], rep[s][1]) < 0) {
				free(v);
				goto out;
			}
			memcpy(work, rep[s][0], b * sizeof(double));
			cell->p50 = fl_ci_of(e50, work, b, c->level);
			memcpy(work, rep[s][1], b * sizeof(double));
			cell->p99 = fl_ci_of(e99, work, b, c->level);
		}
		free(v);
	}
	if (row->side[0].n && row->side[1].n) {
		row->d50 = diff_ci(row->side[1].p50.est - row->side[0].p50.est, rep[0][0], rep[1][0],
				   b, c->level, work);
		row->d99 = diff_ci(row->side[1].p99.est - row->side[0].p99.est, rep[0][1], rep[1][1],
				   b, c->level, work);
	}
	ret = 0;
out:
	for (s = 0; s < 2; s++) {
		free(rep[s][0]);
		free(rep[s][1]);
	}
	return ret;
}

static bool varies(const struct fl_cmp_side *s)
{
	uint64_t i;

	for (i = 1; i < s->n; i++)
		if (s->pts[i].x != s->pts[0].x)
			return true;
	return false;
}

static int slope_stats(struct fl_comparison *c, double *work)
{
	unsigned b = c->replicates, k;
	double *rep[2];
	int s;

	c->origin = !varies(c->side[0]) || !varies(c->side[1]);
	rep[0] = malloc(b * sizeof(double));
	rep[1] = malloc(b * sizeof(double));
	if (!rep[0] || !rep[1]) {
		free(rep[0]);
		free(rep[1]);
		return -1;
	}
	for (s = 0; s < 2; s++) {
		const struct fl_cmp_side *side = c->side[s];
		struct fl_rng rng;

		c->fit[s] = fl_fit_xy(side->pts, side->n, c->origin);
		for (k = 0; k < b; k++)
			rep[s][k] = NAN;
		if (!c->fit[s].valid)
			continue;
		fl_rng_seed(&rng, c->seed, STREAM_SLOPE);
		fl_boot_slope(side->pts, side->n, c->origin, &rng, b, rep[s]);
		for (k = 0; k < b; k++)
			if (isnan(rep[s][k]))
				c->degenerate[s]++;
		memcpy(work, rep[s], b * sizeof(double));
		c->slope[s] = fl_ci_of(c->fit[s].slope, work, b, c->level);
	}
	if (c->fit[0].valid && c->fit[1].valid)
		c->slope_diff = diff_ci(c->fit[1].slope - c->fit[0].slope, rep[0], rep[1], b,
					c->level, work);
	free(rep[0]);
	free(rep[1]);
	return 0;
}

int fl_compare_run(struct fl_comparison *c, const struct fl_cmp_side *base,
		   const struct fl_cmp_side *patched, unsigned replicates, uint64_t seed,
		   bool force)
{
	uint32_t maxv = 0;
	double *work;
	uint64_t i;
	int b, s;
	bool cmd0, cmd1;

	memset(c, 0, sizeof(*c));
	c->side[0] = base;
	c->side[1] = patched;
	c->replicates = replicates;
	c->seed = seed;
	c->level = 0.95;
	c->workload[0] = fl_cmp_workload(base, &cmd0);
	c->workload[1] = fl_cmp_workload(patched, &cmd1);
	if (!c->workload[0] || !c->workload[1])
		return FL_EXIT_FAILURE;
	if (cmd0 != cmd1) {
		/* one side has no recorded command: both by comms */
		struct fl_cmp_side tmp;
		int k;

		for (k = 0; k < 2; k++) {
			tmp = *c->side[k];
			tmp.nr_traces = 0;
			free(c->workload[k]);
			c->workload[k] = fl_cmp_workload(&tmp, &cmd0);
			if (!c->workload[k])
				return FL_EXIT_FAILURE;
		}
		cmd0 = false;
	}
	c->by_command = cmd0;
	c->same_workload = !strcmp(c->workload[0], c->workload[1]);
	c->forced = force && !c->same_workload;
	if (!c->same_workload && !force)
		return fl_err(FL_EXIT_MISMATCH, "different workloads: base %s '%s', patched '%s' "
			      "(--force compares them anyway)", c->by_command ? "ran" :
			      "forked from", c->workload[0], c->workload[1]);

	work = malloc(replicates * sizeof(double));
	if (!work)
		return FL_EXIT_FAILURE;
	for (s = 0; s < 2; s++)
		for (i = 0; i < c->side[s]->n; i++)
			if (c->side[s]->pts[i].x > maxv)
				maxv = (uint32_t)c->side[s]->pts[i].x;
	for (b = 0; b < FL_NR_BUCKETS; b++) {
		struct fl_cmp_row *row = &c->rows[c->nr_rows];

		row->lo = fl_bucket_lo(b);
		row->hi = fl_bucket_hi(b);
		if (row_stats(c, row, b, work) < 0)
			goto fail;
		if (row->side[0].n || row->side[1].n)
			c->nr_rows++;
		else
			memset(row, 0, sizeof(*row));
		if (row->hi >= maxv)
			break;
	}
	c->rows[c->nr_rows].all = true;
	if (row_stats(c, &c->rows[c->nr_rows], STREAM_ALL, work) < 0)
		goto fail;
	c->nr_rows++;
	if (slope_stats(c, work) < 0)
		goto fail;
	free(work);
	return 0;
fail:
	free(work);
	return FL_EXIT_FAILURE;
}

void fl_compare_free(struct fl_comparison *c)
{
	free(c->workload[0]);
	free(c->workload[1]);
	c->workload[0] = c->workload[1] = NULL;
}
