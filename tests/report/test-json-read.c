// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The JSON reader (lib/report/json-read.c) against the writer
 * (json-write.c): a report the writer made is read back member by member
 * into what it was made from; a file that is not a forklock report of
 * this schema, or one member of the wrong type, is refused with its code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "forklock-exit.h"
#include "log.h"
#include "policy/policy.h"
#include "report/json.h"
#include "report/render.h"
#include "report/summary.h"

static int decide(const struct forklock_fork *f, struct forklock_verdict *v)
{
	return 0;
}

static const struct forklock_policy pol = {
	.abi = FORKLOCK_POLICY_ABI, .name = "some-rule", .summary = "a rule", .decide = decide,
};
static struct fl_policy one = { .p = &pol, .path = "/usr/lib/forklock/plugins/some-rule.so" };
static const struct fl_policy_set set = { .nr = 1, .v = &one };

static const uint64_t waits[3] = { 120, 4500, 77 };

/* A fork with a value of its own in every member the report keeps. */
static struct fl_fork a_fork(void)
{
	struct fl_fork f = {
		.ts = 123456789012ULL, .window_ns = 45678, .lock_wait_ns = 321,
		.parent_pid = 4242, .parent_tgid = 4240, .child_pid = 4300,
		.clone_flags = 0x1200011, .oldmm = 0xffff8881234abcd0ULL,
		.threads = 3, .mm_users = 4, .mm_count = 2, .uffd = FL_UFFD_PRESENT,
		.vmas_copied = 211, .vmas_locked = 199,
		.kinds = { 5, 60, 120, 3, FL_KINDS_ESTIMATED },
		.tier = FL_TIER_KPROBE, .lost_events = true,
		.nr_accessors = 11, .blocked_ns = 999, .nr_detail = 2,
		.kprobe = true, .dup_mmap_ret = -12, .parent_locks = 199, .child_locks = 198,
		.rcu_fallbacks = 6, .nr_vma_waits = 3, .vma_wait_max_ns = 4500,
		.vma_wait_total_ns = 4697, .vma_wait_ns = waits,
	};

	strcpy(f.comm, "make");
	f.accessors_by_kind[FL_ACC_SIBLING_FAULT] = 7;
	f.accessors_by_kind[FL_ACC_REMOTE] = 1;
	f.accessors_by_kind[FL_ACC_UFFD_IOCTL] = 3;
	f.accessor[0] = (struct fl_accessor){ .kind = FL_ACC_SIBLING_FAULT, .pid = 4241,
					      .tgid = 4240, .ts = 123456789100ULL,
					      .blocked_ns = 5000 };
	strcpy(f.accessor[0].comm, "cc1");
	f.accessor[1] = (struct fl_accessor){ .kind = FL_ACC_UFFD_IOCTL, .pid = 77, .tgid = -1,
					      .ts = 123456789200ULL, .blocked_ns = -1 };
	strcpy(f.accessor[1].comm, "monitor");
	return f;
}

static struct fl_trace_info a_trace(void)
{
	struct fl_trace_info t = {
		.file_version = 6, .nr_cpus = 2, .tier = FL_TIER_KPROBE, .has_snapshot = true,
		.vma_locks = true, .events = 98765, .unknown_events = 4, .lost_events = 17,
		.lost_events_cpustat = 9, .lost_unknown = true, .duration_ns = 1500000000ULL,
		.fn_unresolved = true, .nr_missing = 2,
		.missing = { "syscalls:sys_enter_ioctl", "exceptions:page_fault_user" },
	};

	strcpy(t.path, "/tmp/t.dat");
	strcpy(t.kernel, "6.18.0-test");
	strcpy(t.clock, "mono");
	strcpy(t.command, "make -j2");
	strcpy(t.record_command, "forklock record -o t.dat -- make -j2");
	strcpy(t.probes, "btf");
	return t;
}

static char path[] = "/tmp/test-json-read.XXXXXX";

/* member @m of @got is what it was in @want (an integer or a bool) */
#define SAME(got, want, m) do {							\
	if ((got).m != (want).m)						\
		fail_msg("%s: read back %lld, written %lld", #m,		\
			 (long long)(got).m, (long long)(want).m);		\
} while (0)

/* forklock report --format json --forks of one fork of @t into @path */
static void write_report(const struct fl_fork *f, const struct fl_decision *d,
			 const struct fl_trace_info *t)
{
	struct fl_policy_result res[1] = { { 0 } };
	struct fl_render_opts ropts = { .forks = true, .top = 10 };
	struct fl_report rep = { .policies = &set, .results = res,
				 .cost = { 30, "--lock-cost-ns" } };
	struct fl_summary s;
	void *ctx;
	int fd;

	strcpy(path, "/tmp/test-json-read.XXXXXX");
	fd = mkstemp(path);

	assert_true(fd >= 0);
	ropts.out = fdopen(fd, "w");
	assert_non_null(ropts.out);
	fl_summary_init(&s);
	ctx = fl_render_json.begin(&ropts);
	assert_non_null(ctx);
	fl_summary_add_fork(&s, f);
	fl_render_json.fork(ctx, f, &set, d);
	fl_summary_add_trace(&s, t);
	assert_int_equal(fl_summary_finish(&s), 0);
	rep.s = &s;
	assert_int_equal(fl_render_json.end(ctx, &rep), 0);
	assert_int_equal(fclose(ropts.out), 0);
	fl_summary_free(&s);
}

static void reads_back_what_the_writer_wrote(void **state)
{
	struct fl_decision d = { .decision = FORKLOCK_SKIP, .skipped_locks = 150, .estimated = true,
				 .safety = FL_SAFETY_UNSAFE }, e[1];
	struct fl_fork f = a_fork(), g;
	struct fl_trace_info t = a_trace(), u;
	json_t *root, *forks, *traces;
	uint64_t *w;
	int k;

	write_report(&f, &d, &t);
	assert_int_equal(fl_jreport_sniff(path), 1);
	assert_int_equal(fl_jreport_load(path, true, &root), FL_EXIT_OK);
	forks = json_object_get(root, "forks");
	assert_int_equal(json_array_size(forks), 1);

	assert_int_equal(fl_jreport_fork(path, 0, json_array_get(forks, 0), &g), 0);
	SAME(g, f, ts);
	SAME(g, f, parent_pid);
	SAME(g, f, parent_tgid);
	assert_string_equal(g.comm, f.comm);
	SAME(g, f, child_pid);
	SAME(g, f, clone_flags);
	SAME(g, f, oldmm);
	SAME(g, f, threads);
	SAME(g, f, mm_users);
	SAME(g, f, mm_count);
	SAME(g, f, uffd);
	SAME(g, f, vmas_locked);
	SAME(g, f, vmas_copied);
	SAME(g, f, window_ns);
	SAME(g, f, lock_wait_ns);
	SAME(g, f, tier);
	SAME(g, f, partial);
	SAME(g, f, lost_events);
	assert_memory_equal(&g.kinds, &f.kinds, sizeof(f.kinds));
	SAME(g, f, nr_detail);
	for (k = 0; k < (int)f.nr_detail; k++) {
		SAME(g, f, accessor[k].kind);
		SAME(g, f, accessor[k].pid);
		SAME(g, f, accessor[k].tgid);
		assert_string_equal(g.accessor[k].comm, f.accessor[k].comm);
		SAME(g, f, accessor[k].ts);
		SAME(g, f, accessor[k].blocked_ns);
	}
	SAME(g, f, nr_accessors);
	assert_memory_equal(g.accessors_by_kind, f.accessors_by_kind, sizeof(f.accessors_by_kind));
	SAME(g, f, blocked_ns);
	SAME(g, f, kprobe);
	SAME(g, f, dup_mmap_ret);
	SAME(g, f, parent_locks);
	SAME(g, f, child_locks);
	SAME(g, f, rcu_fallbacks);
	SAME(g, f, nr_vma_waits);
	SAME(g, f, vma_wait_total_ns);
	SAME(g, f, vma_wait_max_ns);
	assert_int_equal(fl_jreport_fork_waits(path, 0, json_array_get(forks, 0), &g, &w), 0);
	assert_memory_equal(w, waits, sizeof(waits));
	free(w);

	assert_int_equal(fl_jreport_decisions(path, 0, json_array_get(forks, 0), &set, e), 0);
	assert_int_equal(e[0].decision, d.decision);
	assert_int_equal(e[0].skipped_locks, d.skipped_locks);
	assert_int_equal(e[0].estimated, d.estimated);
	assert_int_equal(e[0].safety, d.safety);

	traces = json_object_get(root, "traces");
	assert_int_equal(json_array_size(traces), 1);
	assert_int_equal(fl_jreport_trace(path, 0, json_array_get(traces, 0), &u), 0);
	assert_string_equal(u.path, t.path);
	assert_string_equal(u.kernel, t.kernel);
	SAME(u, t, tier);
	SAME(u, t, events);
	assert_true(u.lost_events == fl_trace_lost(&t));	/* the larger of the two counts */
	SAME(u, t, lost_unknown);
	SAME(u, t, unknown_events);
	SAME(u, t, duration_ns);
	SAME(u, t, file_version);
	SAME(u, t, nr_cpus);
	assert_string_equal(u.clock, t.clock);
	SAME(u, t, has_snapshot);
	assert_string_equal(u.command, t.command);
	assert_string_equal(u.record_command, t.record_command);
	SAME(u, t, vma_locks);
	SAME(u, t, fn_unresolved);
	assert_string_equal(u.probes, t.probes);
	assert_int_equal(u.nr_missing, t.nr_missing);
	for (k = 0; k < t.nr_missing; k++)
		assert_string_equal(u.missing[k], t.missing[k]);
	fl_jreport_trace_free(&u);
	json_decref(root);
	unlink(path);
}

/* Not judged, no kprobe, unknowns: nulls read back as -1 and "not judged". */
static void reads_back_nulls(void **state)
{
	struct fl_fork f = { .window_ns = 10, .parent_pid = 1, .parent_tgid = -1, .child_pid = -1,
			     .threads = -1, .mm_users = -1, .mm_count = -1, .uffd = FL_UFFD_UNKNOWN,
			     .kinds = { -1, -1, -1, -1, FL_KINDS_UNKNOWN } }, g;
	struct fl_trace_info t = a_trace();
	struct fl_decision e[1];
	json_t *root, *jf;

	write_report(&f, NULL, &t);
	assert_int_equal(fl_jreport_load(path, true, &root), FL_EXIT_OK);
	jf = json_array_get(json_object_get(root, "forks"), 0);
	assert_int_equal(fl_jreport_fork(path, 0, jf, &g), 0);
	assert_int_equal(g.parent_tgid, -1);
	assert_int_equal(g.child_pid, -1);	/* an aborted fork, and "aborted" agrees */
	assert_int_equal(g.threads, -1);
	assert_int_equal(g.mm_users, -1);
	assert_int_equal(g.mm_count, -1);
	assert_int_equal(g.uffd, FL_UFFD_UNKNOWN);
	assert_int_equal(g.kinds.shared, -1);
	assert_int_equal(g.kinds.quality, FL_KINDS_UNKNOWN);
	assert_false(g.kprobe);
	assert_int_equal(fl_jreport_decisions(path, 0, jf, &set, e), 1);
	json_decref(root);
	unlink(path);
}

/* @text as a file, loaded: the code fl_jreport_load() gives */
static int load_text(const char *text, bool need_forks)
{
	char p[] = "/tmp/test-json-read.XXXXXX";
	json_t *root = NULL;
	int fd = mkstemp(p), ret;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ret = fl_jreport_load(p, need_forks, &root);
	assert_true(ret ? root == NULL : root != NULL);
	json_decref(root);
	unlink(p);
	return ret;
}

static void refuses_what_is_not_this_schema(void **state)
{
	json_t *root = NULL;

	assert_int_equal(load_text("{\"schema\": \"" FL_REPORT_SCHEMA "\", \"summary\": {}, "
				   "\"traces\": [], \"forks\": []}", true), FL_EXIT_OK);
	assert_int_equal(load_text("{\"schema\": \"forklock-report/2\", \"summary\": {}, "
				   "\"traces\": [], \"forks\": []}", true), FL_EXIT_FORMAT);
	assert_int_equal(load_text("{\"schema\": \"forklock-compare/1\", \"summary\": {}, "
				   "\"traces\": []}", false), FL_EXIT_FORMAT);
	assert_int_equal(load_text("{\"summary\": {}, \"traces\": []}", false), FL_EXIT_FORMAT);
	assert_int_equal(load_text("[\"" FL_REPORT_SCHEMA "\"]", false), FL_EXIT_FORMAT);
	assert_int_equal(load_text("{\"schema\": \"" FL_REPORT_SCHEMA "\", \"traces\": []}",
				   false), FL_EXIT_FORMAT);
	assert_int_equal(load_text("{\"schema\": \"" FL_REPORT_SCHEMA "\", \"summary\": {}, "
				   "\"traces\": []}", true), FL_EXIT_LAYOUT);
	assert_int_equal(load_text("{\"schema\": \"" FL_REPORT_SCHEMA "\", \"summ", false),
			 FL_EXIT_TRUNCATED);
	assert_int_equal(load_text("schema: forklock-report/1\n", false), FL_EXIT_FORMAT);
	assert_int_equal(fl_jreport_load("/nonexistent/r.json", false, &root), FL_EXIT_INPUT);
	assert_null(root);
}

/* One member of the wrong type: the fork is refused, naming it. */
static void refuses_a_member_of_the_wrong_type(void **state)
{
	static const struct { const char *key; const char *json; } bad[] = {
		{ "threads", "\"three\"" },
		{ "parent_pid", "null" },		/* not nullable */
		{ "partial", "1" },
		{ "comm", "7" },
		{ "uffd", "\"maybe\"" },		/* not a name forklock knows */
		{ "tier", "\"ebpf\"" },
		{ "concurrent", "{}" },
		{ "kprobe", "[]" },
		{ "window_ns", "\"fast\"" },
	};
	struct fl_fork f = a_fork(), g;
	struct fl_trace_info t = a_trace();
	json_t *root, *jf;
	size_t i;

	write_report(&f, NULL, &t);
	assert_int_equal(fl_jreport_load(path, true, &root), FL_EXIT_OK);
	jf = json_array_get(json_object_get(root, "forks"), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *copy = json_deep_copy(jf);

		json_object_set_new(copy, bad[i].key, json_loads(bad[i].json, JSON_DECODE_ANY,
								 NULL));
		if (fl_jreport_fork(path, 0, copy, &g) != FL_EXIT_FORMAT)
			fail_msg("\"%s\": %s was read", bad[i].key, bad[i].json);
		json_decref(copy);
	}
	/* and "aborted" must agree with "partial" and "child_pid" */
	json_object_set_new(jf, "aborted", json_true());
	assert_int_equal(fl_jreport_fork(path, 0, jf, &g), FL_EXIT_FORMAT);
	json_decref(root);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_back_what_the_writer_wrote),
		cmocka_unit_test(reads_back_nulls),
		cmocka_unit_test(refuses_what_is_not_this_schema),
		cmocka_unit_test(refuses_a_member_of_the_wrong_type),
	};

	fl_log_set_prog("test-json-read");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
