// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock JSON reports read back with jansson.  The inverse of
 * json-write.c: members it does not know are ignored, members it knows
 * must have the type json-write.c writes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "forklock-exit.h"
#include "log.h"
#include "report/json.h"

int fl_jreport_sniff(const char *path)
{
	FILE *f = fopen(path, "r");
	int c;

	if (!f)
		return -1;
	do
		c = getc(f);
	while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
	fclose(f);
	return c == '{';
}

int fl_jreport_load(const char *path, bool need_forks, json_t **root)
{
	json_error_t err;
	json_t *r, *schema;
	struct stat st;
	off_t size;
	FILE *f;

	*root = NULL;
	f = fopen(path, "r");
	if (!f)
		return fl_err(FL_EXIT_INPUT, "cannot open %s: %s", path, strerror(errno));
	r = json_loadf(f, 0, &err);
	size = fstat(fileno(f), &st) == 0 ? st.st_size : -1;
	fclose(f);
	if (!r) {
		/* a token cut by the end of the file ("fals") is a cut file too */
		if (json_error_code(&err) == json_error_premature_end_of_input ||
		    (json_error_code(&err) == json_error_invalid_syntax && size >= 0 &&
		     err.position >= size))
			return fl_err(FL_EXIT_TRUNCATED, "%s is truncated: the JSON ends at line %d",
				      path, err.line);
		return fl_err(FL_EXIT_FORMAT, "%s is not a forklock JSON report (line %d: %s)",
			      path, err.line, err.text);
	}
	schema = json_object_get(r, "schema");
	if (!json_is_object(r) || !json_is_string(schema) ||
	    strcmp(json_string_value(schema), FL_REPORT_SCHEMA)) {
		json_decref(r);
		return fl_err(FL_EXIT_FORMAT, "%s is JSON but not a forklock report (no \"schema\": "
			      "\"%s\")", path, FL_REPORT_SCHEMA);
	}
	if (!json_is_object(json_object_get(r, "summary")) ||
	    !json_is_array(json_object_get(r, "traces"))) {
		json_decref(r);
		return fl_err(FL_EXIT_FORMAT, "%s is not a whole forklock report: no \"summary\" "
			      "or \"traces\"", path);
	}
	if (need_forks && !json_is_array(json_object_get(r, "forks"))) {
		json_decref(r);
		return fl_err(FL_EXIT_LAYOUT, "%s has no per-fork data: make it with "
			      "'forklock report --format json --forks'", path);
	}
	*root = r;
	return FL_EXIT_OK;
}

/* ---- typed members -------------------------------------------------------------- */

struct where {
	const char *path;
	const char *what;	/* "fork", "trace" */
	size_t i;
};

static int bad(const struct where *w, const char *key, const char *want)
{
	if (w->what)
		return fl_err(FL_EXIT_FORMAT, "%s: %s %zu: \"%s\" is not %s", w->path, w->what, w->i,
			      key, want);
	return fl_err(FL_EXIT_FORMAT, "%s: \"%s\" is not %s", w->path, key, want);
}

/* an integer member; absent: @def; null: -1 if @nullable */
static int get_int(const struct where *w, json_t *o, const char *key, long long def,
		   bool nullable, long long *v)
{
	json_t *x = json_object_get(o, key);

	if (!x) {
		*v = def;
		return 0;
	}
	if (json_is_null(x) && nullable) {
		*v = -1;
		return 0;
	}
	if (!json_is_integer(x))
		return bad(w, key, nullable ? "an integer or null" : "an integer");
	*v = json_integer_value(x);
	return 0;
}

static int get_bool(const struct where *w, json_t *o, const char *key, bool *v)
{
	json_t *x = json_object_get(o, key);

	if (!x) {
		*v = false;
		return 0;
	}
	if (!json_is_boolean(x))
		return bad(w, key, "true or false");
	*v = json_is_true(x);
	return 0;
}

/* a string member; absent or null: "" */
static int get_str(const struct where *w, json_t *o, const char *key, char *buf, size_t len)
{
	json_t *x = json_object_get(o, key);

	buf[0] = '\0';
	if (!x || json_is_null(x))
		return 0;
	if (!json_is_string(x))
		return bad(w, key, "a string");
	snprintf(buf, len, "%s", json_string_value(x));
	return 0;
}

/* a name among @n of @name_of(k); absent: @def */
static int get_enum(const struct where *w, json_t *o, const char *key, int n,
		    const char *(*name_of)(int), int def, int *v)
{
	json_t *x = json_object_get(o, key);
	int k;

	*v = def;
	if (!x)
		return 0;
	if (json_is_string(x))
		for (k = 0; k < n; k++)
			if (!strcmp(json_string_value(x), name_of(k))) {
				*v = k;
				return 0;
			}
	return bad(w, key, "a name forklock knows");
}

static const char *decision_name(int k) { return fl_decision_name(k); }
static const char *safety_name(int k) { return fl_safety_name(k); }

static void store_int(void *p, size_t size, long long v)
{
	switch (size) {
	case 1: {
		uint8_t x = (uint8_t)v;

		memcpy(p, &x, 1);
		break;
	}
	case 2: {
		uint16_t x = (uint16_t)v;

		memcpy(p, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = (uint32_t)v;

		memcpy(p, &x, 4);
		break;
	}
	default: {
		uint64_t x = (uint64_t)v;

		memcpy(p, &x, 8);
		break;
	}
	}
}

/* The members of list @m (json.h) of object @o into @dst; FL_J_HAND ones are left. */
static int read_members(const struct where *w, json_t *o, const struct fl_jmember *m, void *dst)
{
	for (; m->key; m++) {
		char *p = (char *)dst + m->off, buf[32];
		long long v;
		int k;

		switch (m->type) {
		case FL_J_INT:
		case FL_J_INT_NULL:
			if (get_int(w, o, m->key, m->type == FL_J_INT ? 0 : -1,
				    m->type == FL_J_INT_NULL, &v))
				return FL_EXIT_FORMAT;
			store_int(p, m->size, v);
			break;
		case FL_J_BOOL:
			if (get_bool(w, o, m->key, (bool *)p))
				return FL_EXIT_FORMAT;
			break;
		case FL_J_STR:
		case FL_J_STR_NULL:
			if (get_str(w, o, m->key, p, m->size))
				return FL_EXIT_FORMAT;
			break;
		case FL_J_PTR:
			if (get_str(w, o, m->key, buf, sizeof(buf)))
				return FL_EXIT_FORMAT;
			store_int(p, m->size, (long long)strtoull(buf, NULL, 16));
			break;
		case FL_J_NAME:
			if (get_enum(w, o, m->key, m->nr_names, m->name, m->absent, &k))
				return FL_EXIT_FORMAT;
			store_int(p, m->size, k);
			break;
		case FL_J_HAND:
			break;
		}
	}
	return 0;
}

#define INT(o, key, def, nullable, dst) do {					\
	long long v_ = 0;							\
	if (get_int(&w, o, key, def, nullable, &v_))				\
		return FL_EXIT_FORMAT;						\
	dst = v_;								\
} while (0)

static int accessor_of(const struct where *w, json_t *ja, struct fl_accessor *a)
{
	if (!json_is_object(ja))
		return bad(w, "concurrent", "an array of objects");
	memset(a, 0, sizeof(*a));
	return read_members(w, ja, fl_json_accessor, a);
}

int fl_jreport_accessor(const char *path, const char *what, size_t i, json_t *ja,
			struct fl_accessor *a)
{
	struct where w = { path, what, i };

	return accessor_of(&w, ja, a);
}

/* A report from before "sources": what its tier can have read. */
static void sources_of_old(struct fl_fork *f)
{
	enum fl_source kernel = f->tier == FL_TIER_BPF ? FL_SRC_BPF : FL_SRC_KPROBE;

	f->src.threads = f->threads >= 0 ? FL_SRC_TRACEPOINT : FL_SRC_NONE;
	f->src.mm_users = f->mm_users >= 0 ? kernel : FL_SRC_NONE;
	f->src.mm_count = f->mm_count >= 0 ? kernel : FL_SRC_NONE;
	f->src.map_count = f->map_count >= 0 ? kernel : FL_SRC_NONE;
	f->src.vmas_locked = FL_SRC_TRACEPOINT;
	f->src.vmas_copied = FL_SRC_TRACEPOINT;
}

int fl_jreport_fork(const char *path, size_t i, json_t *jf, struct fl_fork *f)
{
	struct where w = { path, "fork", i };
	json_t *x;
	bool aborted = false;
	int k;

	memset(f, 0, sizeof(*f));
	if (!json_is_object(jf))
		return fl_err(FL_EXIT_FORMAT, "%s: fork %zu is not an object", path, i);
	/* what every use of a fork needs */
	if (!json_is_integer(json_object_get(jf, "window_ns")))
		return bad(&w, "window_ns", "an integer");
	if (!json_is_integer(json_object_get(jf, "vmas_locked")))
		return bad(&w, "vmas_locked", "an integer");
	if (read_members(&w, jf, fl_json_fork, f))
		return FL_EXIT_FORMAT;
	/* and by hand, as json.c lists them */
	if (get_bool(&w, jf, "aborted", &aborted))
		return FL_EXIT_FORMAT;
	if (aborted != fl_fork_aborted(f))
		return fl_err(FL_EXIT_FORMAT, "%s: fork %zu: \"aborted\" does not match "
			      "\"partial\" and \"child_pid\"", path, i);
	f->kinds = (struct fl_vma_kinds){ -1, -1, -1, -1, FL_KINDS_UNKNOWN };
	x = json_object_get(jf, "vma_kinds");
	if (json_is_object(x) && read_members(&w, x, fl_json_kinds, &f->kinds))
		return FL_EXIT_FORMAT;
	x = json_object_get(jf, "concurrent");
	if (x && !json_is_array(x))
		return bad(&w, "concurrent", "an array");
	for (k = 0; x && k < (int)json_array_size(x) && k < FL_FORK_ACCESSORS; k++)
		if (accessor_of(&w, json_array_get(x, k), &f->accessor[f->nr_detail++]))
			return FL_EXIT_FORMAT;
	INT(jf, "concurrent_count", f->nr_detail, false, f->nr_accessors);
	x = json_object_get(jf, "concurrent_by_kind");
	if (x && !json_is_object(x))
		return bad(&w, "concurrent_by_kind", "an object");
	for (k = 0; x && k < FL_ACC_NR; k++)
		INT(x, fl_access_name(k), 0, false, f->accessors_by_kind[k]);
	x = json_object_get(jf, "sources");
	if (x && !json_is_object(x))
		return bad(&w, "sources", "an object");
	if (x && read_members(&w, x, fl_json_sources, &f->src))
		return FL_EXIT_FORMAT;
	if (!x)
		sources_of_old(f);
	x = json_object_get(jf, "mm_users_holders");
	if (x && !json_is_array(x))
		return bad(&w, "mm_users_holders", "an array");
	for (k = 0; x && k < (int)json_array_size(x) && k < FL_FORK_HOLDERS; k++) {
		json_t *h = json_array_get(x, k);

		if (!json_is_object(h))
			return bad(&w, "mm_users_holders", "an array of objects");
		if (read_members(&w, h, fl_json_holder, &f->holder[f->nr_holders++]))
			return FL_EXIT_FORMAT;
	}
	/* bpf tier: where mm_users rose inside the window, and who held oldmm then */
	f->rise_vma = f->rise_pid = -1;
	f->mm_users_end = f->mm_count_end = f->map_count_end = f->vmas_anon_vma = -1;
	x = json_object_get(jf, "mm_users_rise");
	if (x && !json_is_null(x)) {
		json_t *h;

		if (!json_is_object(x))
			return bad(&w, "mm_users_rise", "an object or null");
		INT(x, "vma_index", 0, false, f->rise_vma);
		INT(x, "mm_users", 0, false, f->rise_mm_users);
		h = json_object_get(x, "holder");
		if (h && !json_is_null(h)) {
			if (!json_is_object(h))
				return bad(&w, "mm_users_rise", "a holder object or null");
			INT(h, "pid", -1, false, f->rise_pid);
			if (get_str(&w, h, "comm", f->rise_comm, sizeof(f->rise_comm)))
				return FL_EXIT_FORMAT;
		}
	}
	/* kprobe tier: what the probes inside dup_mmap() read */
	x = json_object_get(jf, "kprobe");
	if (x && !json_is_null(x)) {
		if (!json_is_object(x))
			return bad(&w, "kprobe", "an object or null");
		f->kprobe = true;
		INT(x, "dup_mmap_ret", 0, false, f->dup_mmap_ret);
		INT(x, "parent_vma_locks", 0, false, f->parent_locks);
		INT(x, "child_vma_locks", 0, false, f->child_locks);
		INT(x, "rcu_fallbacks", 0, false, f->rcu_fallbacks);
		INT(x, "vma_lock_waits", 0, false, f->nr_vma_waits);
		INT(x, "vma_lock_wait_total_ns", 0, false, f->vma_wait_total_ns);
		INT(x, "vma_lock_wait_max_ns", 0, false, f->vma_wait_max_ns);
	}
	return 0;
}

int fl_jreport_fork_waits(const char *path, size_t i, json_t *jf, struct fl_fork *f,
			  uint64_t **waits)
{
	json_t *a = json_object_get(json_object_get(jf, "kprobe"), "vma_lock_wait_ns");
	size_t k;

	*waits = NULL;
	f->vma_wait_ns = NULL;
	if (!f->nr_vma_waits)
		return 0;
	if (!json_is_array(a) || json_array_size(a) != f->nr_vma_waits)
		return fl_err(FL_EXIT_LAYOUT, "%s: fork %zu: its %u timed VMA lock waits are not in "
			      "the report, one by one: their percentiles cannot be summed again",
			      path, i, f->nr_vma_waits);
	*waits = malloc(f->nr_vma_waits * sizeof(**waits));
	if (!*waits)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	for (k = 0; k < f->nr_vma_waits; k++) {
		json_t *v = json_array_get(a, k);

		if (!json_is_integer(v)) {
			free(*waits);
			*waits = NULL;
			return fl_err(FL_EXIT_FORMAT, "%s: fork %zu: \"vma_lock_wait_ns\" is not an "
				      "array of integers", path, i);
		}
		(*waits)[k] = json_integer_value(v);
	}
	f->vma_wait_ns = *waits;
	return 0;
}

int fl_jreport_decisions(const char *path, size_t i, json_t *jf, const struct fl_policy_set *set,
			 struct fl_decision *d)
{
	struct where w = { path, "fork", i };
	json_t *pol = json_object_get(jf, "policies");
	int p, k;

	if (!pol || json_is_null(pol))
		return 1;
	if (!json_is_object(pol))
		return bad(&w, "policies", "an object or null");
	for (p = 0; p < set->nr; p++) {
		json_t *x = json_object_get(pol, set->v[p].p->name);

		memset(&d[p], 0, sizeof(d[p]));
		if (!json_is_object(x))
			return fl_err(FL_EXIT_FORMAT, "%s: fork %zu has no decision of policy %s",
				      path, i, set->v[p].p->name);
		if (get_enum(&w, x, "decision", 3, decision_name, FORKLOCK_LOCK, &k))
			return FL_EXIT_FORMAT;
		d[p].decision = k;
		INT(x, "skipped_locks", 0, false, d[p].skipped_locks);
		if (get_bool(&w, x, "estimated", &d[p].estimated))
			return FL_EXIT_FORMAT;
		if (get_enum(&w, x, "safety", 4, safety_name, FL_SAFETY_NA, &k))
			return FL_EXIT_FORMAT;
		d[p].safety = k;
		INT(x, "avoided_blocked_ns", -1, true, d[p].avoided_blocked_ns);
		INT(x, "exposed_accessors", -1, true, d[p].exposed_accessors);
		/* the plugin's reason: valid while @jf is (the fork is handed on at once) */
		x = json_object_get(x, "reason");
		if (x && !json_is_null(x) && !json_is_string(x))
			return bad(&w, "reason", "a string or null");
		d[p].reason = json_is_string(x) ? json_string_value(x) : NULL;
	}
	return 0;
}

int fl_jreport_trace(const char *path, size_t i, json_t *jt, struct fl_trace_info *t)
{
	struct where w = { path, "trace", i };
	json_t *x;
	int k;

	memset(t, 0, sizeof(*t));
	if (!json_is_object(jt))
		return fl_err(FL_EXIT_FORMAT, "%s: trace %zu is not an object", path, i);
	if (read_members(&w, jt, fl_json_trace, t))
		return FL_EXIT_FORMAT;
	/* and by hand, as json.c lists them */
	INT(jt, "lost_events", 0, false, t->lost_events);
	t->has_command_tree = t->command_pid >= 0;
	/* the bpf tier's counts: null where the trace has none (merge keeps them) */
	x = json_object_get(jt, "bpf");
	if (x && !json_is_null(x)) {
		json_t *stats = json_object_get(x, "windows");

		if (!json_is_object(x))
			return bad(&w, "bpf", "an object or null");
		t->bpf = true;
		INT(x, "records", 0, false, t->bpf_records);
		INT(x, "joined", 0, false, t->bpf_joined);
		INT(x, "unjoined", 0, false, t->bpf_unjoined);
		t->bpf_stats = stats && !json_is_null(stats);
		if (t->bpf_stats) {
			INT(x, "windows", 0, false, t->bpf_windows);
			INT(x, "lost", 0, false, t->bpf_lost);
			INT(x, "unmatched", 0, false, t->bpf_unmatched);
		}
	}
	x = json_object_get(jt, "missing_events");
	if (x && !json_is_array(x))
		return bad(&w, "missing_events", "an array");
	for (k = 0; x && k < (int)json_array_size(x) && k < FL_MAX_MISSING; k++) {
		json_t *m = json_array_get(x, k);
		char *s;

		if (!json_is_string(m)) {
			fl_jreport_trace_free(t);
			return bad(&w, "missing_events", "an array of strings");
		}
		s = strdup(json_string_value(m));
		if (!s) {
			fl_jreport_trace_free(t);
			return fl_err(FL_EXIT_FAILURE, "out of memory");
		}
		t->missing[t->nr_missing++] = s;
	}
	return 0;
}

void fl_jreport_trace_free(struct fl_trace_info *t)
{
	int k;

	for (k = 0; k < t->nr_missing; k++)
		free((char *)t->missing[k]);
	t->nr_missing = 0;
}

int fl_jreport_trace_counts(const char *path, json_t *root, struct fl_trace_info *t)
{
	struct where w = { path, NULL, 0 };
	json_t *s = json_object_get(root, "summary"), *x;

	INT(s, "clone_vm_spawns", 0, false, t->clone_vm_spawns);
	INT(s, "threads_created", 0, false, t->threads_created);
	INT(s, "vforks", 0, false, t->vforks);
	INT(s, "kthread_spawns", 0, false, t->kthread_spawns);
	INT(s, "unmatched_newtasks", 0, false, t->unmatched_newtasks);
	INT(s, "failed_write_locks", 0, false, t->failed_write_locks);
	/* the report's counts are of its view already, whichever it was */
	t->command_clone_vm_spawns = t->clone_vm_spawns;
	t->command_threads_created = t->threads_created;
	t->command_vforks = t->vforks;
	/* the seed experiment: counts by (only_user, locked) */
	x = json_object_get(s, "dup_probe");
	if (x && !json_is_null(x)) {
		size_t i;

		if (!json_is_array(x))
			return bad(&w, "summary.dup_probe", "an array or null");
		t->has_dup_probe = true;
		for (i = 0; i < json_array_size(x); i++) {
			json_t *e = json_array_get(x, i);
			long long u = 0, l = 0, n = 0;

			if (get_int(&w, e, "only_user", -1, false, &u) ||
			    get_int(&w, e, "locked", -1, false, &l) ||
			    get_int(&w, e, "count", 0, false, &n))
				return FL_EXIT_FORMAT;
			if (u < 0 || u > 1 || l < 0 || l > 1)
				return bad(&w, "summary.dup_probe", "a list of only_user/locked 0 or 1");
			t->dup_probe[u][l] += n;
		}
	}
	return 0;
}

/* ---- the summary against the forks ---------------------------------------------- */

static int check_u64(const char *path, json_t *o, const char *prefix, const char *key,
		     uint64_t want)
{
	json_t *x = json_object_get(o, key);

	if (!x)
		return 0;	/* an older or newer report may lack it */
	if (!json_is_integer(x) || (uint64_t)json_integer_value(x) != want)
		return fl_err(FL_EXIT_FORMAT, "%s: its summary does not match its forks: "
			      "%s%s is %lld, the forks say %llu (edited, or cut short?)", path,
			      prefix, key, json_is_integer(x) ? json_integer_value(x) : -1LL,
			      (unsigned long long)want);
	return 0;
}

static int check_pct(const char *path, json_t *sum, const char *key, const struct fl_pct *p)
{
	json_t *o = json_object_get(sum, key);
	char prefix[64];

	if (!json_is_object(o))
		return 0;
	snprintf(prefix, sizeof(prefix), "%s.", key);
	return check_u64(path, o, prefix, "p50", p->p50) ||
	       check_u64(path, o, prefix, "p99", p->p99) ||
	       check_u64(path, o, prefix, "max", p->max) ? FL_EXIT_FORMAT : 0;
}

int fl_jreport_check_summary(const char *path, json_t *root, const struct fl_summary *s)
{
	json_t *sum = json_object_get(root, "summary");
	static const struct {
		const char *key;
		size_t off;
	} counts[] = {
#define C(k, m) { k, offsetof(struct fl_summary, m) }
		C("forks", forks), C("vma_locks", vma_locks), C("vmas_copied", vmas_copied),
		C("single_threaded_forks", single_threaded_forks),
		C("multi_threaded_forks", multi_threaded_forks),
		C("unknown_threads_forks", unknown_threads_forks),
		C("uffd_forks", uffd_forks), C("uffd_unknown_forks", uffd_unknown_forks),
		C("partial_forks", partial_forks), C("aborted_forks", aborted_forks),
		C("lossy_forks", lossy_forks), C("window_total_ns", window_total_ns),
		C("forks_with_concurrent", forks_with_accessors),
		C("forks_with_vma_reachers", forks_with_vma_reachers),
		C("blocked_ns", blocked_ns), C("vmas_dontcopy", vmas_dontcopy),
		C("vmas_locked_kernel_forks", locked_kernel_forks),
		C("vmas_locked_estimated_forks", locked_estimated_forks),
		C("mm_users_read_forks", mm_users_read_forks),
		C("threads_mm_users_disagree_forks", users_disagree_forks),
		C("transient_mm_users_forks", extra_users_forks),
#undef C
	};
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (check_u64(path, sum, "summary.", counts[i].key,
			      *(const uint64_t *)((const char *)s + counts[i].off)))
			return FL_EXIT_FORMAT;
	if (check_pct(path, sum, "vmas_locked_per_fork", &s->vmas) ||
	    check_pct(path, sum, "window_ns", &s->window) ||
	    check_pct(path, sum, "lock_wait_ns", &s->lock_wait))
		return FL_EXIT_FORMAT;
	return 0;
}
