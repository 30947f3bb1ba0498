// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock merge: see merge.h.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "forklock-exit.h"
#include "log.h"
#include "merge/merge.h"
#include "report/json.h"
#include "report/mail.h"

/* ---- the policies of a report --------------------------------------------------- */

/* A report's "policies" object and its "lock_cost" (not checked here). */
static int policies_member(const char *path, json_t *root, json_t **pol, json_t **cost)
{
	*pol = json_object_get(root, "policies");
	*cost = json_object_get(root, "lock_cost");
	if (!json_is_object(*pol))
		return fl_err(FL_EXIT_FORMAT, "%s: \"policies\" is not an object", path);
	return 0;
}

static int policies_of(struct fl_merge *m, const char *path, json_t *root)
{
	json_t *pol, *cost, *p;
	const char *name;
	int i = 0;

	if (policies_member(path, root, &pol, &cost))
		return FL_EXIT_FORMAT;
	if (!json_is_integer(json_object_get(cost, "ns")))
		return fl_err(FL_EXIT_FORMAT, "%s: \"lock_cost\" has no \"ns\"", path);
	m->policies.nr = json_object_size(pol);
	m->policies.v = calloc(m->policies.nr + 1, sizeof(*m->policies.v));
	m->defs = calloc(m->policies.nr + 1, sizeof(*m->defs));
	m->results = calloc(m->policies.nr + 1, sizeof(*m->results));
	m->decisions = calloc(m->policies.nr + 1, sizeof(*m->decisions));
	if (!m->policies.v || !m->defs || !m->results || !m->decisions)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	json_object_foreach(pol, name, p) {
		json_t *summary = json_object_get(p, "summary"), *plugin = json_object_get(p, "plugin");

		m->defs[i].abi = FORKLOCK_POLICY_ABI;
		m->defs[i].name = strdup(name);
		m->defs[i].summary = strdup(json_is_string(summary) ? json_string_value(summary) : "");
		m->policies.v[i].p = &m->defs[i];
		m->policies.v[i].path = json_is_string(plugin) ? strdup(json_string_value(plugin)) : NULL;
		if (!m->defs[i].name || !m->defs[i].summary ||
		    (json_is_string(plugin) && !m->policies.v[i].path))
			return fl_err(FL_EXIT_FAILURE, "out of memory");
		i++;
	}
	m->cost.ns = json_integer_value(json_object_get(cost, "ns"));
	p = json_object_get(cost, "source");
	m->cost_source = strdup(json_is_string(p) ? json_string_value(p) : "");
	if (!m->cost_source)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	m->cost.source = m->cost_source;
	return 0;
}

/* the same policies, in the same order, and the same lock cost as the first report */
static int same_policies(const struct fl_merge *m, const char *path, json_t *root)
{
	json_t *pol, *cost, *p;
	const char *name;
	int i = 0;

	if (policies_member(path, root, &pol, &cost))
		return FL_EXIT_FORMAT;
	if ((int)json_object_size(pol) != m->policies.nr)
		goto differ;
	json_object_foreach(pol, name, p) {
		if (strcmp(name, m->defs[i].name))
			goto differ;
		i++;
	}
	/* automatic costs differ by host: merge calibrates again on every fork */
	if (fl_lock_cost_is_automatic(m->cost_source) &&
	    fl_lock_cost_is_automatic(json_string_value(json_object_get(cost, "source"))))
		return 0;
	if (!json_is_integer(json_object_get(cost, "ns")) ||
	    (uint64_t)json_integer_value(json_object_get(cost, "ns")) != m->cost.ns)
		return fl_err(FL_EXIT_MISMATCH, "%s was made with a lock cost of %lld ns, %s with "
			      "%llu ns: make them with the same --lock-cost-ns", path,
			      json_integer_value(json_object_get(cost, "ns")), m->hosts[0].path,
			      (unsigned long long)m->cost.ns);
	return 0;
differ:
	return fl_err(FL_EXIT_MISMATCH, "%s was judged by other policies than %s: make the reports "
		      "with the same policies (--policy NAME,...)", path, m->hosts[0].path);
}

/* a report's results of policy @name (and its evidence) */
static int result_of(const char *path, json_t *root, const char *name,
		     struct fl_policy_result *r)
{
	json_t *p = json_object_get(json_object_get(root, "policies"), name), *ev;
	static const char *keys[] = { "forks", "skipped_forks", "locked_forks", "undecided_forks",
				      "skipped_locks", "undecided_locks", "estimated_forks",
				      "unsafe_forks", "unknown_safety_forks" };
	uint64_t *dst[] = { &r->forks, &r->skipped_forks, &r->locked_forks, &r->undecided_forks,
			    &r->skipped_locks, &r->undecided_locks, &r->estimated_forks,
			    &r->unsafe_forks, &r->unknown_safety_forks };
	size_t k;

	memset(r, 0, sizeof(*r));
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		json_t *x = json_object_get(p, keys[k]);

		if (!json_is_integer(x))
			return fl_err(FL_EXIT_FORMAT, "%s: policy %s: \"%s\" is not an integer", path,
				      name, keys[k]);
		*dst[k] = json_integer_value(x);
	}
	/* newer members: a report without them had none to count */
	{
		static const char *more[] = { "avoided_blocked_ns", "avoided_forks",
					      "avoided_unknown_forks", "exposed_accessors" };
		uint64_t *mdst[] = { &r->avoided_blocked_ns, &r->avoided_forks,
				     &r->avoided_unknown_forks, &r->exposed_accessors };

		for (k = 0; k < sizeof(more) / sizeof(more[0]); k++) {
			json_t *x = json_object_get(p, more[k]);

			if (x && (!json_is_integer(x) || json_integer_value(x) < 0))
				return fl_err(FL_EXIT_FORMAT, "%s: policy %s: \"%s\" is not a "
					      "count", path, name, more[k]);
			*mdst[k] = x ? json_integer_value(x) : 0;
		}
	}
	ev = json_object_get(p, "evidence");
	for (k = 0; json_is_array(ev) && k < json_array_size(ev) && k < FL_EVIDENCE; k++) {
		json_t *x = json_array_get(ev, k), *y;
		struct fl_evidence *e = &r->evidence[r->nr_evidence];
		char what[96];
		int ret;

		snprintf(what, sizeof(what), "policy %s: evidence", name);
		ret = fl_jreport_accessor(path, what, k, x, &e->a);
		if (ret)
			return ret;
		y = json_object_get(x, "fork_ts_ns");
		e->fork_ts = json_integer_value(y);
		e->parent_pid = json_integer_value(json_object_get(x, "fork_parent_pid"));
		y = json_object_get(x, "fork_comm");
		snprintf(e->parent_comm, sizeof(e->parent_comm), "%s",
			 json_is_string(y) ? json_string_value(y) : "");
		r->nr_evidence++;
	}
	return 0;
}

/* what judging would have kept over the reports in order */
static void add_result(struct fl_policy_result *m, const struct fl_policy_result *r)
{
	fl_policy_evidence_keep(m, r->unsafe_forks > 0, r->evidence, r->nr_evidence);
	m->forks += r->forks;
	m->skipped_forks += r->skipped_forks;
	m->locked_forks += r->locked_forks;
	m->undecided_forks += r->undecided_forks;
	m->skipped_locks += r->skipped_locks;
	m->undecided_locks += r->undecided_locks;
	m->estimated_forks += r->estimated_forks;
	m->unsafe_forks += r->unsafe_forks;
	m->unknown_safety_forks += r->unknown_safety_forks;
	m->avoided_blocked_ns += r->avoided_blocked_ns;
	m->avoided_forks += r->avoided_forks;
	m->avoided_unknown_forks += r->avoided_unknown_forks;
	m->exposed_accessors += r->exposed_accessors;
}

/* a touched fork's decisions: counted from the forks, as judging counts them */
static void add_touched(struct fl_merge *m, const struct fl_decision *d)
{
	int p;

	for (p = 0; p < m->policies.nr; p++) {
		struct fl_policy_result *r = &m->results[p];

		if (d[p].decision == FORKLOCK_SKIP)
			r->touched_skipped_forks++;
		else if (d[p].decision == FORKLOCK_LOCK)
			r->touched_locked_forks++;
		else
			r->touched_undecided_forks++;
	}
}

/* ---- pass 1 --------------------------------------------------------------------- */

static char *label_of(const char *path)
{
	char *copy = strdup(path), *base, *label, *dot;

	if (!copy)
		return NULL;
	base = basename(copy);
	label = strdup(base);
	free(copy);
	if (label && (dot = strrchr(label, '.')) && dot != label && !strcmp(dot, ".json"))
		*dot = '\0';
	return label;
}

static int check_one(struct fl_merge *m, struct fl_merge_host *h, json_t *root)
{
	json_t *forks = json_object_get(root, "forks"), *traces = json_object_get(root, "traces");
	struct fl_policy_result *sum = calloc(m->policies.nr + 1, sizeof(*sum));
	struct fl_summary s;
	size_t i;
	int p, ret = 0;

	if (!sum)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	fl_summary_init(&s);
	for (i = 0; i < json_array_size(traces) && !ret; i++) {
		struct fl_trace_info t;

		ret = fl_jreport_trace(h->path, i, json_array_get(traces, i), &t);
		if (ret)
			break;
		fl_jreport_trace_free(&t);
		if (!h->nr_traces++)
			snprintf(h->kernel, sizeof(h->kernel), "%s", t.kernel);
		else if (strcmp(h->kernel, t.kernel))
			snprintf(h->kernel, sizeof(h->kernel), "mixed");
		h->duration_ns += t.duration_ns;
		h->lost_events += t.lost_events;
	}
	if (!ret && !h->nr_traces)
		ret = fl_err(FL_EXIT_FORMAT, "%s: \"traces\" is empty", h->path);
	for (i = 0; i < json_array_size(forks) && !ret; i++) {
		json_t *jf = json_array_get(forks, i);
		struct fl_fork f;

		struct fl_block *blocks = NULL;
		uint64_t *waits = NULL;

		ret = fl_jreport_fork(h->path, i, jf, &f);
		if (!ret)
			ret = fl_jreport_fork_waits(h->path, i, jf, &f, &waits);
		if (!ret)
			ret = fl_jreport_fork_blocks(h->path, i, jf, &f, &blocks);
		if (ret) {
			free(waits);
			break;
		}
		fl_summary_add_fork(&s, &f);
		free(waits);
		free(blocks);
		ret = fl_jreport_decisions(h->path, i, jf, &m->policies, m->decisions);
		if (ret == 1) {
			ret = 0;
			continue;
		}
		for (p = 0; p < m->policies.nr && !ret; p++) {
			const struct fl_decision *d = &m->decisions[p];

			sum[p].forks++;
			if (d->decision == FORKLOCK_SKIP) {
				sum[p].skipped_forks++;
				sum[p].skipped_locks += d->skipped_locks;
			} else if (d->decision == FORKLOCK_UNDECIDED) {
				sum[p].undecided_forks++;
			}
		}
	}
	if (!ret) {
		ret = fl_summary_finish(&s) < 0 ? fl_err(FL_EXIT_FAILURE, "out of memory") :
		      fl_jreport_check_summary(h->path, root, &s);
	}
	for (p = 0; p < m->policies.nr && !ret; p++) {
		struct fl_policy_result r;

		ret = result_of(h->path, root, m->defs[p].name, &r);
		if (!ret && (r.forks != sum[p].forks || r.skipped_forks != sum[p].skipped_forks ||
			     r.skipped_locks != sum[p].skipped_locks ||
			     r.undecided_forks != sum[p].undecided_forks))
			ret = fl_err(FL_EXIT_FORMAT, "%s: policy %s's results do not match its forks' "
				     "decisions (edited, or cut short?)", h->path, m->defs[p].name);
	}
	h->forks = s.forks;
	h->single_threaded_forks = s.single_threaded_forks;
	h->vma_locks = s.vma_locks;
	h->window_total_ns = s.window_total_ns;
	h->window = s.window;
	fl_summary_free(&s);
	free(sum);
	return ret;
}

int fl_merge_check(struct fl_merge *m, char **paths, int nr)
{
	bool command_view = nr > 0;
	int i, ret;

	memset(m, 0, sizeof(*m));
	fl_summary_init(&m->summary);
	m->hosts = calloc(nr, sizeof(*m->hosts));
	if (!m->hosts)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	for (i = 0; i < nr; i++) {
		struct fl_merge_host *h = &m->hosts[m->nr_hosts];
		json_t *root;

		if (fl_jreport_sniff(paths[i]) == 0)
			return fl_err(FL_EXIT_FORMAT, "%s is not a forklock JSON report (merge reads "
				      "what 'forklock report --format json --forks' writes)", paths[i]);
		ret = fl_jreport_load(paths[i], true, &root);
		if (ret)
			return ret;
		h->path = strdup(paths[i]);
		h->label = label_of(paths[i]);
		m->nr_hosts++;
		if (!h->path || !h->label)
			ret = fl_err(FL_EXIT_FAILURE, "out of memory");
		else if (!i)
			ret = policies_of(m, paths[i], root);
		else
			ret = same_policies(m, paths[i], root);
		if (!ret)
			ret = check_one(m, h, root);
		/* a merge of command views is one; any host view makes it the host's */
		if (!json_is_string(json_object_get(root, "view")) ||
		    strcmp(json_string_value(json_object_get(root, "view")), "command"))
			command_view = false;
		json_decref(root);
		if (ret)
			return ret;
	}
	m->summary.command_view = command_view;
	return 0;
}

/* ---- pass 2 --------------------------------------------------------------------- */

int fl_merge_run(struct fl_merge *m, char **paths, struct fl_report_sink *sink)
{
	int i, p, ret = 0;

	sink->summary = &m->summary;
	sink->policies = &m->policies;
	for (i = 0; i < m->nr_hosts && !ret; i++) {
		const char *path = paths[i];
		json_t *root, *forks, *traces;
		size_t k;

		ret = fl_jreport_load(path, true, &root);
		if (ret)
			return ret;
		sink->input = i;
		traces = json_object_get(root, "traces");
		for (k = 0; k < json_array_size(traces) && !ret; k++) {
			struct fl_trace_info *t, *n;

			n = realloc(m->traces, (m->nr_traces + 1) * sizeof(*n));
			if (!n) {
				ret = fl_err(FL_EXIT_FAILURE, "out of memory");
				break;
			}
			m->traces = n;
			t = &m->traces[m->nr_traces];
			ret = fl_jreport_trace(path, k, json_array_get(traces, k), t);
			if (ret)
				break;
			m->nr_traces++;
			/* the counts that are not per fork: the report's, on its first trace */
			if (!k)
				ret = fl_jreport_trace_counts(path, root, t);
			fl_summary_add_trace(&m->summary, t);
		}
		forks = json_object_get(root, "forks");
		for (k = 0; k < json_array_size(forks) && !ret; k++) {
			json_t *jf = json_array_get(forks, k);
			struct fl_block *blocks = NULL;
			uint64_t *waits = NULL;
			struct fl_fork f;
			int judged;

			ret = fl_jreport_fork(path, k, jf, &f);
			if (!ret)
				ret = fl_jreport_fork_waits(path, k, jf, &f, &waits);
			if (!ret)
				ret = fl_jreport_fork_blocks(path, k, jf, &f, &blocks);
			if (ret) {
				free(waits);
				break;
			}
			judged = fl_jreport_decisions(path, k, jf, &m->policies, m->decisions);
			if (judged > 1) {
				free(waits);
				free(blocks);
				ret = judged;
				break;
			}
			fl_report_fork(sink, &f, judged == 0 ? m->decisions : NULL);
			if (judged == 0 && f.nr_accessors)
				add_touched(m, m->decisions);
			free(waits);
			free(blocks);
			ret = sink->error;
		}
		for (p = 0; p < m->policies.nr && !ret; p++) {
			struct fl_policy_result res;

			ret = result_of(path, root, m->defs[p].name, &res);
			if (!ret)
				add_result(&m->results[p], &res);
		}
		json_decref(root);
	}
	if (!ret && fl_summary_finish(&m->summary) < 0)
		ret = fl_err(FL_EXIT_FAILURE, "out of memory");
	if (!ret && fl_lock_cost_is_automatic(m->cost_source)) {
		/* what report would say of all the traces together */
		m->cost = (struct fl_lock_cost){ FL_DEFAULT_LOCK_COST_NS, FL_DEFAULT_LOCK_COST_SOURCE };
		fl_lock_cost_calibrate(&m->summary, &m->cost, m->cost_text, sizeof(m->cost_text));
	}
	return ret;
}

struct fl_report fl_merge_report(const struct fl_merge *m)
{
	return (struct fl_report){
		.s = &m->summary,
		.policies = &m->policies,
		.results = m->results,
		.cost = m->cost,
	};
}

/* ---- the hosts ------------------------------------------------------------------ */

static void hosts_text(FILE *out, bool mail, void *arg)
{
	const struct fl_merge *m = arg;
	char a[32], b[32];
	int i;

	fl_mail_printf(out, 2, "forklock merge: %d report%s, one line each", m->nr_hosts,
		       m->nr_hosts == 1 ? "" : "s");
	if (mail)
		fl_mail_printf(out, 2, "  %-16s %8s %7s %11s %10s %10s", "host", "forks", "single",
			       "VMA locks", "p50", "p99");
	else
		fprintf(out, "  %-20s %-24s %6s %8s %7s %11s %10s %10s\n", "host", "kernel", "traces",
			"forks", "single", "VMA locks", "p50", "p99");
	for (i = 0; i < m->nr_hosts; i++) {
		const struct fl_merge_host *h = &m->hosts[i];
		double single = h->forks ? 100.0 * h->single_threaded_forks / h->forks : 0.0;

		if (mail)
			fl_mail_printf(out, 4, "  %-16s %8llu %6.1f%% %11llu %10s %10s", h->label,
				       (unsigned long long)h->forks, single,
				       (unsigned long long)h->vma_locks,
				       fl_mail_ns(a, sizeof(a), h->window.p50),
				       fl_mail_ns(b, sizeof(b), h->window.p99));
		else
			fprintf(out, "  %-20s %-24s %6d %8llu %6.1f%% %11llu %10s %10s\n", h->label,
				h->kernel, h->nr_traces, (unsigned long long)h->forks, single,
				(unsigned long long)h->vma_locks, fl_fmt_ns(a, sizeof(a), h->window.p50),
				fl_fmt_ns(b, sizeof(b), h->window.p99));
	}
	fputc('\n', out);
}

static json_t *hosts_json(const struct fl_merge *m)
{
	json_t *a = json_array();
	int i;

	for (i = 0; i < m->nr_hosts; i++) {
		const struct fl_merge_host *h = &m->hosts[i];

		json_array_append_new(a, json_pack(
			"{s:s,s:s,s:s,s:i,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I},s:I,s:I}",
			"host", h->label, "report", h->path, "kernel", h->kernel,
			"traces", h->nr_traces, "forks", (json_int_t)h->forks,
			"single_threaded_forks", (json_int_t)h->single_threaded_forks,
			"vma_locks", (json_int_t)h->vma_locks,
			"window_total_ns", (json_int_t)h->window_total_ns,
			"window_ns", "p50", (json_int_t)h->window.p50, "p99",
			(json_int_t)h->window.p99, "max", (json_int_t)h->window.max,
			"duration_ns", (json_int_t)h->duration_ns,
			"lost_events", (json_int_t)h->lost_events));
	}
	return a;
}

static int hosts_member(json_t *top, void *arg)
{
	json_t *hosts = hosts_json(arg);

	return hosts ? json_object_set_new(top, "hosts", hosts) : -1;
}

struct fl_render_extra fl_merge_extra(struct fl_merge *m)
{
	return (struct fl_render_extra){ .text = hosts_text, .json = hosts_member, .arg = m };
}

void fl_merge_free(struct fl_merge *m)
{
	int i;

	for (i = 0; i < m->nr_hosts; i++) {
		free(m->hosts[i].path);
		free(m->hosts[i].label);
	}
	free(m->hosts);
	for (i = 0; m->defs && i < m->policies.nr; i++) {
		free((char *)m->defs[i].name);
		free((char *)m->defs[i].summary);
		free(m->policies.v[i].path);
	}
	free(m->defs);
	free(m->policies.v);
	free(m->results);
	free(m->decisions);
	free(m->cost_source);
	for (i = 0; i < m->nr_traces; i++)
		fl_jreport_trace_free(&m->traces[i]);
	free(m->traces);
	fl_summary_free(&m->summary);
	memset(m, 0, sizeof(*m));
}
