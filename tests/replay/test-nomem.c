// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Out of memory in the replay is an error, never a fork dropped silently.
 *
 * This program is linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc:
 * every allocation of libforklock's code (not of libtracecmd's, which are
 * shared libraries) goes through the wrappers below.  The trace is replayed
 * once to count them and keep what it gives, then once per allocation with
 * that one allocation failing.  Each run either fails as out of memory
 * (FL_EXIT_FAILURE, not a code that blames the file) or gives every fork
 * and every count the first run gave, byte for byte.
 *
 * The second test does the same for the whole report (the replay, the
 * summary, the lock cost and each renderer, --forks), each run in a child
 * process: the report either fails as out of memory or is the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "forklock-exit.h"
#include "log.h"
#include "policy/policy.h"
#include "replay/replay.h"
#include "report/cost.h"
#include "report/mail.h"
#include "report/render.h"
#include "report/sink.h"
#include "report/summary.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);

static unsigned long nr_allocs;	/* allocations so far in this run */
static unsigned long fail_at;	/* the one that fails (1-based), 0: none */

static bool fails(void)
{
	if (++nr_allocs != fail_at)
		return false;
	errno = ENOMEM;
	return true;
}

void *__wrap_malloc(size_t size)
{
	return fails() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return fails() ? NULL : __real_realloc(p, size);
}

/* What a run gave: the forks (their waits folded into a sum) and the trace. */
struct run {
	struct fl_fork *forks;
	size_t nr, alloc;
	struct fl_trace_info info;
	int ret;
};

static void on_fork(void *ctx, const struct fl_fork *f)
{
	struct run *r = ctx;
	struct fl_fork *k;
	uint32_t i;

	if (r->nr == r->alloc) {
		r->alloc = r->alloc ? r->alloc * 2 : 64;
		r->forks = __real_realloc(r->forks, r->alloc * sizeof(*r->forks));
		assert_non_null(r->forks);
	}
	k = &r->forks[r->nr++];
	*k = *f;
	k->vma_wait_ns = NULL;
	for (i = 0; i < f->nr_vma_waits; i++)
		k->vma_wait_total_ns ^= f->vma_wait_ns[i] * (i + 1);
}

/* The error lines of the failing runs are expected: they go to /dev/null. */
static int quiet_fd = -1;

static void run(const char *path, unsigned long fail, struct run *r)
{
	struct fl_sink sink = { .fork = on_fork, .ctx = r };
	int saved = -1;

	memset(r, 0, sizeof(*r));
	if (fail && quiet_fd >= 0) {
		fflush(stderr);
		saved = dup(2);
		dup2(quiet_fd, 2);
	}
	nr_allocs = 0;
	fail_at = fail;
	r->ret = fl_replay_file(path, &sink, &r->info);
	fail_at = 0;
	if (saved >= 0) {
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
	}
}

static void same_run(const struct run *want, const struct run *got, unsigned long fail)
{
	size_t i;

	if (got->nr != want->nr)
		fail_msg("allocation %lu failed: exit 0 with %zu forks, not %zu", fail,
			 got->nr, want->nr);
	for (i = 0; i < want->nr; i++)
		if (memcmp(&want->forks[i], &got->forks[i], sizeof(want->forks[i])))
			fail_msg("allocation %lu failed: exit 0 but fork %zu (pid %d) differs",
				 fail, i, got->forks[i].parent_pid);
	if (memcmp(&want->info, &got->info, sizeof(want->info)))
		fail_msg("allocation %lu failed: exit 0 but the trace's counts differ", fail);
}

static const char *trace_path;

static void every_allocation_fails_loudly(void **state)
{
	struct run base, r;
	unsigned long total, k, failed = 0;

	/* once first: the file's checks are made once per process (tracedat/check.c) */
	run(trace_path, 0, &base);
	assert_int_equal(base.ret, FL_EXIT_OK);
	free(base.forks);
	run(trace_path, 0, &base);
	assert_int_equal(base.ret, FL_EXIT_OK);
	assert_true(base.nr > 0);
	total = nr_allocs;
	assert_true(total > 0);

	for (k = 1; k <= total; k++) {
		run(trace_path, k, &r);
		if (r.ret == FL_EXIT_OK)
			same_run(&base, &r, k);
		else if (r.ret != FL_EXIT_FAILURE)
			fail_msg("allocation %lu failed: exit %d, not %d (out of memory)", k,
				 r.ret, FL_EXIT_FAILURE);
		else
			failed++;
		free(r.forks);
	}
	/* the replay's own allocations (tasks, mms, forks) are among them */
	assert_true(failed > 0);
	print_message("%s: %lu allocations, %lu failures refused the trace as out of "
		      "memory, the others changed nothing\n", trace_path, total, failed);
	free(base.forks);
}

/* ---- the report ------------------------------------------------------------ */

enum outcome { SAME, NOMEM, DIFFERENT, OTHER_ERROR };

static void report_fork(void *ctx, const struct fl_fork *f)
{
	fl_report_fork(ctx, f, NULL);
}

/* forklock report --forks without policies, as cmd-report.c does it, into @text. */
static int report(const char *path, const struct fl_renderer *r, char **text, size_t *len)
{
	struct fl_render_opts ropts = { .top = 10 };
	struct fl_policy_set set = { 0 };
	struct fl_report rep = { .policies = &set,
				 .cost = { FL_DEFAULT_LOCK_COST_NS, FL_DEFAULT_LOCK_COST_SOURCE } };
	struct fl_report_sink sink = { .policies = &set, .renderer = r, .svg_policy = -1 };
	struct fl_sink replay_sink = { .fork = report_fork, .ctx = &sink };
	struct fl_trace_info info;
	struct fl_summary s;
	char source[256];
	int ret;

	ropts.out = open_memstream(text, len);	/* glibc's: its memory is not failed */
	ropts.forks = true;
	assert_non_null(ropts.out);
	fl_summary_init(&s);
	sink.summary = &s;
	rep.s = &s;
	sink.ctx = r->begin(&ropts);
	if (!sink.ctx) {
		ret = FL_EXIT_FAILURE;
		goto out;
	}
	ret = fl_replay_file(path, &replay_sink, &info);
	if (!ret)
		ret = sink.error;
	if (ret) {
		free(sink.ctx);
		goto out;
	}
	fl_summary_add_trace(&s, &info);
	if (fl_summary_finish(&s) < 0) {
		free(sink.ctx);
		ret = FL_EXIT_FAILURE;
		goto out;
	}
	fl_lock_cost_calibrate(&s, &rep.cost, source, sizeof(source));
	if (r->end(sink.ctx, &rep) < 0)
		ret = fl_render_out_of_memory() ? FL_EXIT_FAILURE : FL_EXIT_OUTPUT;
out:
	fl_summary_free(&s);
	fclose(ropts.out);
	return ret;
}

static enum outcome report_child(const struct fl_renderer *r, unsigned long fail,
				 const char *want, size_t want_len)
{
	char *text = NULL;
	size_t len = 0;
	int saved = -1, ret;

	if (quiet_fd >= 0) {
		saved = dup(2);
		dup2(quiet_fd, 2);
	}
	nr_allocs = 0;
	fail_at = fail;
	ret = report(trace_path, r, &text, &len);
	fail_at = 0;
	if (saved >= 0)
		dup2(saved, 2);
	if (ret)
		return ret == FL_EXIT_FAILURE ? NOMEM : OTHER_ERROR;
	return len == want_len && !memcmp(text, want, len) ? SAME : DIFFERENT;
}

static void every_report_allocation_fails_loudly(void **state)
{
	const struct fl_renderer *renderers[] = { &fl_render_text, &fl_render_json, &fl_render_mail };
	size_t i;

	for (i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++) {
		const struct fl_renderer *r = renderers[i];
		unsigned long total, k, nomem = 0;
		char *want = NULL;
		size_t want_len = 0;

		/* once first: the file's checks are made once per process */
		free(want);
		assert_int_equal(report(trace_path, r, &want, &want_len), 0);
		free(want);
		nr_allocs = 0;
		assert_int_equal(report(trace_path, r, &want, &want_len), 0);
		total = nr_allocs;
		assert_true(want_len > 100);

		for (k = 1; k <= total; k++) {
			pid_t pid;
			int status;

			fflush(NULL);
			pid = fork();
			assert_true(pid >= 0);
			if (!pid)
				_exit(report_child(r, k, want, want_len));
			assert_int_equal(waitpid(pid, &status, 0), pid);
			assert_true(WIFEXITED(status));
			switch (WEXITSTATUS(status)) {
			case SAME:
				break;
			case NOMEM:
				nomem++;
				break;
			case DIFFERENT:
				fail_msg("%s: allocation %lu failed: the report succeeded, different",
					 r->name, k);
				break;
			default:
				fail_msg("%s: allocation %lu failed: not said as out of memory",
					 r->name, k);
			}
		}
		assert_true(nomem > 0);
		print_message("%s, %s: %lu allocations, %lu failures refused as out of memory, "
			      "the others changed nothing\n", trace_path, r->name, total, nomem);
		free(want);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_allocation_fails_loudly),
		cmocka_unit_test(every_report_allocation_fails_loudly),
	};
	int ret = 0;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s TRACE.dat...\n", argv[0]);
		return 2;
	}
	fl_log_set_prog("test-nomem");
	if (!getenv("NOMEM_VERBOSE"))
		quiet_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	for (i = 1; i < argc; i++) {
		trace_path = argv[i];
		ret |= cmocka_run_group_tests(tests, NULL, NULL);
	}
	return ret;
}
