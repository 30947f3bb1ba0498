// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON output, schema "forklock-report/1" (docs/forklock-report.schema.json):
 * the members of forks, accessors and traces as json.c lists them.
 * Forks are streamed as they come (--forks), so memory does not grow with
 * them; the object is closed with trace, traces and summary at the end.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/cost.h"
#include "report/json.h"
#include "report/render.h"

struct json_ctx {
	struct fl_render_opts opts;
	bool first;
};

/*
 * A string from the trace (a comm, a path, a command line): jansson takes
 * UTF-8 only, and a comm is cut at 15 bytes, maybe inside a character.
 * Bytes that do not make UTF-8 become '?'.
 */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	char *copy, *p;

	if (j)
		return j;
	copy = strdup(s);
	if (!copy) {
		fl_render_nomem();
		return NULL;
	}
	for (p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

json_t *fl_json_str(const char *s)
{
	return jstr(s);
}

static json_t *int_or_null(long long v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static json_t *ptr_str(uint64_t p)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)p);
	return json_string(buf);
}

static long long load_int(const void *p, size_t size, bool is_signed)
{
	switch (size) {
	case 1:
		return is_signed ? (long long)*(const int8_t *)p : (long long)*(const uint8_t *)p;
	case 2: {
		uint16_t v;

		memcpy(&v, p, 2);
		return is_signed ? (long long)(int16_t)v : (long long)v;
	}
	case 4: {
		uint32_t v;

		memcpy(&v, p, 4);
		return is_signed ? (long long)(int32_t)v : (long long)v;
	}
	default: {
		uint64_t v;

		memcpy(&v, p, 8);
		return (long long)v;
	}
	}
}

/* The members of list @m (json.h) of @src; @hand sets the FL_J_HAND ones. */
static json_t *members_obj(const struct fl_jmember *m, const void *src,
			   void (*hand)(json_t *o, const char *key, const void *arg),
			   const void *arg)
{
	json_t *o = json_object();

	for (; m->key; m++) {
		const char *p = (const char *)src + m->off;

		switch (m->type) {
		case FL_J_INT:
			json_object_set_new(o, m->key,
					    json_integer(load_int(p, m->size, m->is_signed)));
			break;
		case FL_J_INT_NULL:
			json_object_set_new(o, m->key, int_or_null(load_int(p, m->size, m->is_signed)));
			break;
		case FL_J_BOOL:
			json_object_set_new(o, m->key, json_boolean(*(const bool *)p));
			break;
		case FL_J_STR:
			json_object_set_new(o, m->key, jstr(p));
			break;
		case FL_J_STR_NULL:
			json_object_set_new(o, m->key, *p ? jstr(p) : json_null());
			break;
		case FL_J_PTR:
			json_object_set_new(o, m->key, ptr_str((uint64_t)load_int(p, m->size, false)));
			break;
		case FL_J_NAME:
			json_object_set_new(o, m->key, json_string(m->name((int)load_int(p, m->size,
										     true))));
			break;
		case FL_J_HAND:
			hand(o, m->key, arg);
			break;
		}
	}
	return o;
}

static void accessor_hand(json_t *o, const char *key, const void *arg)
{
	const struct fl_accessor *a = arg;

	/* "reaches_vma" */
	json_object_set_new(o, key, json_boolean(fl_access_reaches_vma(a->kind)));
}

static json_t *accessor_obj(const struct fl_accessor *a)
{
	return members_obj(fl_json_accessor, a, accessor_hand, a);
}

struct fork_arg {
	const struct fl_fork *f;
	const struct fl_policy_set *set;
	const struct fl_decision *d;
};

static json_t *kprobe_of(const struct fl_fork *f)
{
	json_t *waits;
	uint32_t i;

	if (!f->kprobe)
		return json_null();
	waits = json_array();
	for (i = 0; i < f->nr_vma_waits; i++)
		json_array_append_new(waits, json_integer((json_int_t)f->vma_wait_ns[i]));
	return json_pack("{s:i,s:i,s:i,s:i,s:i,s:I,s:I,s:o}",
		"dup_mmap_ret", f->dup_mmap_ret, "parent_vma_locks", (int)f->parent_locks,
		"child_vma_locks", (int)f->child_locks, "rcu_fallbacks", (int)f->rcu_fallbacks,
		"vma_lock_waits", (int)f->nr_vma_waits,
		"vma_lock_wait_total_ns", (json_int_t)f->vma_wait_total_ns,
		"vma_lock_wait_max_ns", (json_int_t)f->vma_wait_max_ns,
		"vma_lock_wait_ns", waits);
}

static json_t *decisions_of(const struct fl_policy_set *set, const struct fl_decision *d)
{
	json_t *pol;
	int p;

	if (!d)
		return json_null();
	pol = json_object();
	for (p = 0; p < set->nr; p++)
		json_object_set_new(pol, set->v[p].p->name, json_pack(
			"{s:s,s:I,s:b,s:s,s:o,s:o,s:o}", "decision", fl_decision_name(d[p].decision),
			"skipped_locks", (json_int_t)d[p].skipped_locks,
			"estimated", d[p].estimated, "safety", fl_safety_name(d[p].safety),
			"avoided_blocked_ns", int_or_null(d[p].avoided_blocked_ns),
			"exposed_accessors", int_or_null(d[p].exposed_accessors),
			/* a plugin's string: what it decided on (kernel-read or model) */
			"reason", d[p].reason ? jstr(d[p].reason) : json_null()));
	return pol;
}

static void fork_hand(json_t *o, const char *key, const void *arg)
{
	const struct fork_arg *fa = arg;
	const struct fl_fork *f = fa->f;
	json_t *v;
	uint32_t i;
	int k;

	if (!strcmp(key, "aborted")) {
		v = json_boolean(fl_fork_aborted(f));
	} else if (!strcmp(key, "vma_kinds")) {
		v = members_obj(fl_json_kinds, &f->kinds, NULL, NULL);
	} else if (!strcmp(key, "concurrent")) {
		v = json_array();
		for (i = 0; i < f->nr_detail; i++)
			json_array_append_new(v, accessor_obj(&f->accessor[i]));
	} else if (!strcmp(key, "concurrent_count")) {
		v = json_integer(f->nr_accessors);
	} else if (!strcmp(key, "concurrent_by_kind")) {
		v = json_object();
		for (k = 0; k < FL_ACC_NR; k++)
			json_object_set_new(v, fl_access_name(k), json_integer(f->accessors_by_kind[k]));
	} else if (!strcmp(key, "sources")) {
		v = members_obj(fl_json_sources, &f->src, NULL, NULL);
	} else if (!strcmp(key, "mm_users_holders")) {
		v = json_array();
		for (i = 0; i < f->nr_holders; i++)
			json_array_append_new(v, members_obj(fl_json_holder, &f->holder[i], NULL, NULL));
	} else if (!strcmp(key, "kprobe")) {
		v = kprobe_of(f);
	} else if (!strncmp(key, "fork_", 5)) {
		v = fl_json_blocked(f, key);	/* json-blocked.c */
	} else if (!strcmp(key, "mm_users_rise")) {
		v = f->rise_vma < 0 ? json_null() : json_pack("{s:i,s:i,s:o}",
			"vma_index", f->rise_vma, "mm_users", f->rise_mm_users,
			"holder", f->rise_pid < 0 ? json_null() :
			json_pack("{s:i,s:o}", "pid", f->rise_pid, "comm", jstr(f->rise_comm)));
	} else {	/* "policies" */
		v = decisions_of(fa->set, fa->d);
	}
	json_object_set_new(o, key, v);
}

static json_t *fork_obj(const struct fl_fork *f, const struct fl_policy_set *set,
			const struct fl_decision *d)
{
	struct fork_arg fa = { f, set, d };

	return members_obj(fl_json_fork, f, fork_hand, &fa);
}

static void *json_begin(const struct fl_render_opts *opts)
{
	struct json_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	fl_render_watch_json();
	c->opts = *opts;
	c->first = true;
	fprintf(opts->out, "{\n\"schema\": \"%s\"", FL_REPORT_SCHEMA);
	if (opts->forks)
		fprintf(opts->out, ",\n\"forks\": [");
	return c;
}

static void json_fork(void *ctx, const struct fl_fork *f, const struct fl_policy_set *set,
		      const struct fl_decision *d)
{
	struct json_ctx *c = ctx;
	json_t *o;

	if (!c->opts.forks)
		return;
	o = fork_obj(f, set, d);
	fprintf(c->opts.out, "%s\n  ", c->first ? "" : ",");
	/* a failed write leaves the stream's error for fl_render_end() */
	if (!o || (json_dumpf(o, c->opts.out, JSON_COMPACT) < 0 && !ferror(c->opts.out)))
		fl_render_nomem();
	json_decref(o);
	c->first = false;
}

static json_t *pct(const struct fl_pct *p)
{
	return json_pack("{s:I,s:I,s:I}", "p50", (json_int_t)p->p50, "p99", (json_int_t)p->p99,
			 "max", (json_int_t)p->max);
}

static void trace_hand(json_t *o, const char *key, const void *arg)
{
	const struct fl_trace_info *t = arg;
	json_t *missing;
	int i;

	if (!strcmp(key, "lost_events")) {
		json_object_set_new(o, key, json_integer((json_int_t)fl_trace_lost(t)));
		return;
	}
	if (!strcmp(key, "bpf")) {
		json_object_set_new(o, key, !t->bpf ? json_null() : json_pack(
			"{s:I,s:I,s:I,s:o,s:o,s:o}",
			"records", (json_int_t)t->bpf_records, "joined", (json_int_t)t->bpf_joined,
			"unjoined", (json_int_t)t->bpf_unjoined,
			"windows", t->bpf_stats ? json_integer((json_int_t)t->bpf_windows) : json_null(),
			"lost", t->bpf_stats ? json_integer((json_int_t)t->bpf_lost) : json_null(),
			"unmatched", t->bpf_stats ? json_integer((json_int_t)t->bpf_unmatched) :
			json_null()));
		return;
	}
	/* "missing_events" */
	missing = json_array();
	for (i = 0; i < t->nr_missing; i++)
		json_array_append_new(missing, json_string(t->missing[i]));
	json_object_set_new(o, key, missing);
}

static json_t *trace_obj(const struct fl_trace_info *t)
{
	return members_obj(fl_json_trace, t, trace_hand, t);
}

static json_t *kprobe_obj(const struct fl_summary *s)
{
	json_t *o, *longest;
	int i;

	if (!s->kprobe_forks)
		return json_null();	/* a tracepoint trace: nothing built */
	longest = json_array();
	for (i = 0; i < s->nr_longest; i++)
		json_array_append_new(longest, json_pack("{s:I,s:i,s:o,s:I,s:I,s:i}",
			"ts_ns", (json_int_t)s->longest[i].ts, "parent_pid", s->longest[i].pid,
			"comm", jstr(s->longest[i].comm), "max_ns", (json_int_t)s->longest[i].max_ns,
			"total_ns", (json_int_t)s->longest[i].total_ns, "waits", (int)s->longest[i].waits));
	o = json_object();
	json_object_set_new(o, "forks", json_integer((json_int_t)s->kprobe_forks));
	json_object_set_new(o, "parent_vma_locks", json_integer((json_int_t)s->parent_locks));
	json_object_set_new(o, "child_vma_locks", json_integer((json_int_t)s->child_locks));
	json_object_set_new(o, "rcu_fallbacks", json_integer((json_int_t)s->rcu_fallbacks));
	json_object_set_new(o, "vma_lock_waits", json_integer((json_int_t)s->nr_vma_waits));
	json_object_set_new(o, "vma_lock_wait_ns", s->nr_vma_waits ? pct(&s->vma_wait) : json_null());
	json_object_set_new(o, "longest_waits", longest);
	return o;
}

/* The seed experiment's bpftrace map @[only_user, locked] = count. */
static json_t *dup_probe_obj(const struct fl_summary *s)
{
	json_t *a;
	int u, l;

	if (!s->has_dup_probe)
		return json_null();
	a = json_array();
	for (u = 0; u < 2; u++)
		for (l = 0; l < 2; l++)
			if (s->dup_probe[u][l])
				json_array_append_new(a, json_pack("{s:i,s:i,s:I}", "only_user", u,
						      "locked", l, "count", (json_int_t)s->dup_probe[u][l]));
	return a;
}

static json_t *policies_obj(const struct fl_report *rep)
{
	json_t *o = json_object();
	int i, e;

	for (i = 0; i < rep->policies->nr; i++) {
		const struct fl_policy_result *r = &rep->results[i];
		uint64_t saved = r->skipped_locks * rep->cost.ns;
		json_t *p = json_object(), *ev = json_array();

		json_object_set_new(p, "summary", jstr(rep->policies->v[i].p->summary ?
						 rep->policies->v[i].p->summary : ""));
		json_object_set_new(p, "plugin", rep->policies->v[i].path ?
				    jstr(rep->policies->v[i].path) : json_null());
		json_object_set_new(p, "forks", json_integer((json_int_t)r->forks));
		json_object_set_new(p, "skipped_forks", json_integer((json_int_t)r->skipped_forks));
		json_object_set_new(p, "locked_forks", json_integer((json_int_t)r->locked_forks));
		json_object_set_new(p, "undecided_forks", json_integer((json_int_t)r->undecided_forks));
		json_object_set_new(p, "skipped_locks", json_integer((json_int_t)r->skipped_locks));
		json_object_set_new(p, "undecided_locks", json_integer((json_int_t)r->undecided_locks));
		json_object_set_new(p, "estimated_forks", json_integer((json_int_t)r->estimated_forks));
		json_object_set_new(p, "saved_ns_estimate", json_integer((json_int_t)saved));
		json_object_set_new(p, "saved_share_of_window", json_real(rep->s->window_total_ns ?
				    (double)saved / rep->s->window_total_ns : 0.0));
		json_object_set_new(p, "unsafe_forks", json_integer((json_int_t)r->unsafe_forks));
		json_object_set_new(p, "unknown_safety_forks",
				    json_integer((json_int_t)r->unknown_safety_forks));
		json_object_set_new(p, "avoided_blocked_ns", json_integer((json_int_t)r->avoided_blocked_ns));
		json_object_set_new(p, "avoided_forks", json_integer((json_int_t)r->avoided_forks));
		json_object_set_new(p, "avoided_unknown_forks",
				    json_integer((json_int_t)r->avoided_unknown_forks));
		json_object_set_new(p, "exposed_accessors", json_integer((json_int_t)r->exposed_accessors));
		json_object_set_new(p, "verdict", json_string(fl_verdict_name(fl_policy_verdict(r))));
		json_object_set_new(p, "decided_forks",
				    json_integer((json_int_t)(r->skipped_forks + r->locked_forks)));
		json_object_set_new(p, "touched_forks", json_pack("{s:I,s:I,s:I}",
				    "locked", (json_int_t)r->touched_locked_forks,
				    "skipped", (json_int_t)r->touched_skipped_forks,
				    "undecided", (json_int_t)r->touched_undecided_forks));
		for (e = 0; e < r->nr_evidence; e++) {
			json_t *x = accessor_obj(&r->evidence[e].a);

			json_object_set_new(x, "fork_ts_ns", json_integer((json_int_t)r->evidence[e].fork_ts));
			json_object_set_new(x, "fork_parent_pid", json_integer(r->evidence[e].parent_pid));
			json_object_set_new(x, "fork_comm", jstr(r->evidence[e].parent_comm));
			json_array_append_new(ev, x);
		}
		json_object_set_new(p, "evidence", ev);
		json_object_set_new(o, rep->policies->v[i].p->name, p);
	}
	return o;
}

static int json_end(void *ctx, const struct fl_report *rep)
{
	const struct fl_summary *s = rep->s;
	struct json_ctx *c = ctx;
	json_t *trace, *traces = json_array(), *sum, *kinds = json_object(), *top = json_array();
	json_t *buckets = json_array(), *rest = json_object();
	FILE *out = c->opts.out;
	const char *kernel = s->nr_traces ? s->traces[0].kernel : "unknown";
	int i, k;

	if (c->opts.forks)
		fprintf(out, "%s]", c->first ? "" : "\n");
	for (i = 0; i < s->nr_traces; i++) {
		json_array_append_new(traces, trace_obj(&s->traces[i]));
		if (strcmp(s->traces[i].kernel, kernel))
			kernel = "mixed";
	}
	trace = json_object();
	json_object_set_new(trace, "kernel", jstr(kernel));
	json_object_set_new(trace, "tier", json_string(s->nr_traces ? fl_tier_name(s->traces[0].tier) : "tracepoint"));
	json_object_set_new(trace, "events", json_integer((json_int_t)s->events));
	json_object_set_new(trace, "lost_events", json_integer((json_int_t)s->lost_events));
	json_object_set_new(trace, "duration_ns", json_integer((json_int_t)s->duration_ns));

	sum = json_object();
	json_object_set_new(sum, "forks", json_integer((json_int_t)s->forks));
	json_object_set_new(sum, "vma_locks", json_integer((json_int_t)s->vma_locks));
	json_object_set_new(sum, "vmas_copied", json_integer((json_int_t)s->vmas_copied));
	json_object_set_new(sum, "vmas_dontcopy", json_integer((json_int_t)s->vmas_dontcopy));
	json_object_set_new(sum, "vmas_locked_kernel_forks", json_integer((json_int_t)s->locked_kernel_forks));
	json_object_set_new(sum, "vmas_locked_estimated_forks",
			    json_integer((json_int_t)s->locked_estimated_forks));
	json_object_set_new(sum, "mm_users_read_forks", json_integer((json_int_t)s->mm_users_read_forks));
	json_object_set_new(sum, "threads_mm_users_disagree_forks",
			    json_integer((json_int_t)s->users_disagree_forks));
	json_object_set_new(sum, "transient_mm_users_forks", json_integer((json_int_t)s->extra_users_forks));
	json_object_set_new(sum, "single_threaded_forks", json_integer((json_int_t)s->single_threaded_forks));
	json_object_set_new(sum, "multi_threaded_forks", json_integer((json_int_t)s->multi_threaded_forks));
	json_object_set_new(sum, "unknown_threads_forks", json_integer((json_int_t)s->unknown_threads_forks));
	json_object_set_new(sum, "uffd_forks", json_integer((json_int_t)s->uffd_forks));
	json_object_set_new(sum, "uffd_unknown_forks", json_integer((json_int_t)s->uffd_unknown_forks));
	json_object_set_new(sum, "clone_vm_spawns", json_integer((json_int_t)s->clone_vm_spawns));
	json_object_set_new(sum, "threads_created", json_integer((json_int_t)s->threads_created));
	json_object_set_new(sum, "vforks", json_integer((json_int_t)s->vforks));
	json_object_set_new(sum, "kthread_spawns", json_integer((json_int_t)s->kthread_spawns));
	json_object_set_new(sum, "partial_forks", json_integer((json_int_t)s->partial_forks));
	json_object_set_new(sum, "aborted_forks", json_integer((json_int_t)s->aborted_forks));
	json_object_set_new(sum, "lossy_forks", json_integer((json_int_t)s->lossy_forks));
	json_object_set_new(sum, "unmatched_newtasks", json_integer((json_int_t)s->unmatched_newtasks));
	json_object_set_new(sum, "failed_write_locks", json_integer((json_int_t)s->failed_write_locks));
	json_object_set_new(sum, "window_total_ns", json_integer((json_int_t)s->window_total_ns));
	json_object_set_new(sum, "vmas_locked_per_fork", pct(&s->vmas));
	json_object_set_new(sum, "window_ns", pct(&s->window));
	json_object_set_new(sum, "lock_wait_ns", pct(&s->lock_wait));
	json_object_set_new(sum, "forks_with_concurrent", json_integer((json_int_t)s->forks_with_accessors));
	json_object_set_new(sum, "forks_with_vma_reachers", json_integer((json_int_t)s->forks_with_vma_reachers));
	json_object_set_new(sum, "blocked_ns", json_integer((json_int_t)s->blocked_ns));
	json_object_set_new(sum, "fork_blocked", fl_json_offcpu_summary(s));
	for (k = 0; k < FL_ACC_NR; k++)
		json_object_set_new(kinds, fl_access_name(k), json_integer((json_int_t)s->accessors_by_kind[k]));
	json_object_set_new(sum, "concurrent_by_kind", kinds);
	for (i = 0; i < s->nr_comms && i < c->opts.top; i++) {
		const struct fl_comm_stat *cs = &s->comms[i];

		json_array_append_new(top, json_pack("{s:o,s:I,s:I,s:I}", "comm", jstr(cs->comm),
			"forks", (json_int_t)cs->forks, "vma_locks", (json_int_t)cs->vmas,
			"window_total_ns", (json_int_t)cs->window_ns));
	}
	json_object_set_new(sum, "top_commands", top);
	for (i = 0; i < s->nr_buckets; i++) {
		const struct fl_bucket *b = &s->buckets[i];

		json_array_append_new(buckets, json_pack("{s:I,s:o,s:I,s:I,s:I,s:I}",
			"vmas_min", (json_int_t)b->lo,
			"vmas_max", b->hi == UINT32_MAX ? json_null() : json_integer(b->hi),
			"forks", (json_int_t)b->forks, "window_p50_ns", (json_int_t)b->p50_ns,
			"window_p99_ns", (json_int_t)b->p99_ns, "window_max_ns", (json_int_t)b->max_ns));
	}
	json_object_set_new(sum, "window_by_vmas", buckets);
	json_object_set_new(sum, "kprobe", kprobe_obj(s));
	json_object_set_new(sum, "dup_probe", dup_probe_obj(s));

	json_object_set_new(rest, "view", json_string(fl_summary_view(rep->s)));
	json_object_set_new(rest, "trace", trace);
	json_object_set_new(rest, "traces", traces);
	json_object_set_new(rest, "summary", sum);
	json_object_set_new(rest, "lock_cost", json_pack("{s:I,s:s,s:s}", "ns", (json_int_t)rep->cost.ns,
							 "source", rep->cost.source, "basis",
							 fl_lock_cost_basis(rep->cost.source)));
	json_object_set_new(rest, "policies", policies_obj(rep));
	if (c->opts.extra && c->opts.extra->json && c->opts.extra->json(rest, c->opts.extra->arg) < 0) {
		json_decref(rest);
		free(c);
		return -1;
	}
	/* the rest of the members after "schema" (and "forks") */
	{
		char *text = json_dumps(rest, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		char *body = text ? strchr(text, '{') : NULL;
		size_t len = body ? strlen(body) : 0;

		if (!text)
			fl_render_nomem();

		/* strip the outer braces and splice the members in */
		if (body && len >= 2) {
			char *end = strrchr(body, '}');

			*end = '\0';
			fprintf(out, ",%s}\n", body + 1);
		}
		free(text);
	}
	json_decref(rest);
	free(c);
	return fl_render_end(out);
}

const struct fl_renderer fl_render_json = {
	.name = "json",
	.begin = json_begin,
	.fork = json_fork,
	.end = json_end,
};
