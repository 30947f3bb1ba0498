// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Judging forks (lib/policy/judge.c): forklock, not the plugin, says
 * whether a decision was safe.  The rules, table-driven over the decision
 * (lock / skip / undecided) x who touched oldmm in the window (nobody, a
 * sibling's fault that reaches a VMA, another process's mmap_lock that
 * does not) x lost events x a partial skip; then the counts, the
 * evidence, and what is not judged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "forklock-exit.h"
#include "log.h"
#include "policy/policy.h"

/* ---- a policy that says what the test tells it ------------------------------ */

static struct forklock_verdict next;	/* what decide() answers */
static struct forklock_fork seen;	/* what it was shown */
static int decide_ret;

static int decide(const struct forklock_fork *f, struct forklock_verdict *v)
{
	seen = *f;
	*v = next;
	return decide_ret;
}

static const struct forklock_policy told = {
	.abi = FORKLOCK_POLICY_ABI, .name = "told", .summary = "does what it is told",
	.decide = decide,
};

static struct fl_policy one = { .p = &told };
static const struct fl_policy_set set = { .nr = 1, .v = &one };

enum who { NOBODY, SIBLING_FAULT, REMOTE_LOCK };

/* A complete fork of 40 locked VMAs, touched by @who. */
static struct fl_fork fork_of(enum who who, bool lost)
{
	struct fl_fork f = { .ts = 1000, .window_ns = 5000, .parent_pid = 10, .parent_tgid = 10,
			     .child_pid = 11, .threads = 2, .mm_users = -1, .mm_count = -1,
			     .vmas_locked = 40, .lost_events = lost };

	strcpy(f.comm, "parent");
	if (who != NOBODY) {
		enum fl_access kind = who == SIBLING_FAULT ? FL_ACC_SIBLING_FAULT : FL_ACC_REMOTE;

		f.nr_accessors = 1;
		f.accessors_by_kind[kind] = 1;
		f.nr_detail = 1;
		f.accessor[0] = (struct fl_accessor){ .kind = kind, .pid = 12, .tgid = 10,
						      .ts = 1200, .blocked_ns = -1 };
		strcpy(f.accessor[0].comm, "sibling");
	}
	return f;
}

/* ---- the safety rules --------------------------------------------------------- */

#define L FORKLOCK_LOCK
#define S FORKLOCK_SKIP
#define U FORKLOCK_UNDECIDED

static const struct rule {
	int decision;
	enum who who;
	bool lost, partial;
	enum fl_safety safety;
} rules[] = {
	/* keeping every lock: nothing to judge */
	{ L, NOBODY,        0, 0, FL_SAFETY_NA },
	{ L, NOBODY,        0, 1, FL_SAFETY_NA },
	{ L, NOBODY,        1, 0, FL_SAFETY_NA },
	{ L, NOBODY,        1, 1, FL_SAFETY_NA },
	{ L, SIBLING_FAULT, 0, 0, FL_SAFETY_NA },
	{ L, SIBLING_FAULT, 0, 1, FL_SAFETY_NA },
	{ L, SIBLING_FAULT, 1, 0, FL_SAFETY_NA },
	{ L, SIBLING_FAULT, 1, 1, FL_SAFETY_NA },
	{ L, REMOTE_LOCK,   0, 0, FL_SAFETY_NA },
	{ L, REMOTE_LOCK,   0, 1, FL_SAFETY_NA },
	{ L, REMOTE_LOCK,   1, 0, FL_SAFETY_NA },
	{ L, REMOTE_LOCK,   1, 1, FL_SAFETY_NA },
	/* skipping: safe only if nothing could reach a VMA and nothing was lost */
	{ S, NOBODY,        0, 0, FL_SAFETY_SAFE },
	{ S, NOBODY,        0, 1, FL_SAFETY_SAFE },
	{ S, NOBODY,        1, 0, FL_SAFETY_UNKNOWN },
	{ S, NOBODY,        1, 1, FL_SAFETY_UNKNOWN },
	{ S, SIBLING_FAULT, 0, 0, FL_SAFETY_UNSAFE },
	{ S, SIBLING_FAULT, 0, 1, FL_SAFETY_UNKNOWN },	/* which VMA it reached: not known */
	{ S, SIBLING_FAULT, 1, 0, FL_SAFETY_UNKNOWN },
	{ S, SIBLING_FAULT, 1, 1, FL_SAFETY_UNKNOWN },
	{ S, REMOTE_LOCK,   0, 0, FL_SAFETY_SAFE },	/* it waits for oldmm's mmap_lock */
	{ S, REMOTE_LOCK,   0, 1, FL_SAFETY_SAFE },
	{ S, REMOTE_LOCK,   1, 0, FL_SAFETY_UNKNOWN },
	{ S, REMOTE_LOCK,   1, 1, FL_SAFETY_UNKNOWN },
	/* undecided: either choice was safe only if nothing could reach a VMA */
	{ U, NOBODY,        0, 0, FL_SAFETY_SAFE },
	{ U, NOBODY,        0, 1, FL_SAFETY_SAFE },
	{ U, NOBODY,        1, 0, FL_SAFETY_UNKNOWN },
	{ U, NOBODY,        1, 1, FL_SAFETY_UNKNOWN },
	{ U, SIBLING_FAULT, 0, 0, FL_SAFETY_UNKNOWN },
	{ U, SIBLING_FAULT, 0, 1, FL_SAFETY_UNKNOWN },
	{ U, SIBLING_FAULT, 1, 0, FL_SAFETY_UNKNOWN },
	{ U, SIBLING_FAULT, 1, 1, FL_SAFETY_UNKNOWN },
	{ U, REMOTE_LOCK,   0, 0, FL_SAFETY_SAFE },
	{ U, REMOTE_LOCK,   0, 1, FL_SAFETY_SAFE },
	{ U, REMOTE_LOCK,   1, 0, FL_SAFETY_UNKNOWN },
	{ U, REMOTE_LOCK,   1, 1, FL_SAFETY_UNKNOWN },
};

static void safety_rules(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule *t = &rules[i];
		struct fl_fork f = fork_of(t->who, t->lost);
		struct fl_policy_result res = { 0 };
		struct fl_decision d;

		next = (struct forklock_verdict){ .decision = t->decision, .skipped_locks = 30,
						  .partial_skip = t->partial };
		assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
		if (d.safety != t->safety)
			fail_msg("rule %zu (%s, accessor %d, lost %d, partial %d): %s, not %s", i,
				 fl_decision_name(t->decision), t->who, t->lost, t->partial,
				 fl_safety_name(d.safety), fl_safety_name(t->safety));
		assert_int_equal(d.decision, t->decision);
		assert_int_equal(d.skipped_locks, t->decision == S ? 30 : 0);

		/* the policy saw the fork, with the accessors that reach a VMA counted */
		assert_int_equal(seen.vmas_locked, 40);
		assert_int_equal(seen.accessors, t->who != NOBODY);
		assert_int_equal(seen.accessors_reaching_vma, t->who == SIBLING_FAULT);

		/* the result counts it once, where its decision and safety say */
		assert_int_equal(res.forks, 1);
		assert_int_equal(res.skipped_forks, t->decision == S);
		assert_int_equal(res.locked_forks, t->decision == L);
		assert_int_equal(res.undecided_forks, t->decision == U);
		assert_int_equal(res.skipped_locks, t->decision == S ? 30 : 0);
		assert_int_equal(res.undecided_locks, t->decision == U ? 40 : 0);
		assert_int_equal(res.skipped_window_ns, t->decision == S ? 5000 : 0);
		/* the verdict counts only decided forks: an undecided one is n/a */
		assert_int_equal(res.unsafe_forks, t->decision == S && t->safety == FL_SAFETY_UNSAFE);
		assert_int_equal(res.unknown_safety_forks,
				 t->decision == S && t->safety == FL_SAFETY_UNKNOWN);
		assert_int_equal(fl_policy_verdict(&res),
				 t->decision == U ? FL_VERDICT_NA :
				 t->safety == FL_SAFETY_UNSAFE ? FL_VERDICT_UNSAFE :
				 t->safety == FL_SAFETY_UNKNOWN ? FL_VERDICT_UNKNOWN : FL_VERDICT_SAFE);
		/* a touched fork is counted by what the policy did with it */
		assert_int_equal(res.touched_locked_forks, t->who != NOBODY && t->decision == L);
		assert_int_equal(res.touched_skipped_forks, t->who != NOBODY && t->decision == S);
		assert_int_equal(res.touched_undecided_forks, t->who != NOBODY && t->decision == U);
		/* evidence: the accessor that could reach a VMA, when the fork is not safe */
		if ((t->safety == FL_SAFETY_UNSAFE || t->safety == FL_SAFETY_UNKNOWN) &&
		    t->who == SIBLING_FAULT && t->decision == S) {
			assert_int_equal(res.nr_evidence, 1);
			assert_int_equal(res.evidence[0].a.pid, 12);
			assert_int_equal(res.evidence[0].parent_pid, 10);
			assert_string_equal(res.evidence[0].parent_comm, "parent");
		} else {
			assert_int_equal(res.nr_evidence, 0);
		}
	}
}

/* ---- what a skip may say ------------------------------------------------------ */

static void skip_of_nothing_is_a_lock(void **state)
{
	struct fl_fork f = fork_of(SIBLING_FAULT, false);
	struct fl_policy_result res = { 0 };
	struct fl_decision d;

	next = (struct forklock_verdict){ .decision = S, .skipped_locks = 0 };
	assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
	assert_int_equal(d.decision, L);
	assert_int_equal(d.safety, FL_SAFETY_NA);

	f = fork_of(SIBLING_FAULT, false);
	f.vmas_locked = 0;		/* before 6.4: no per-VMA locks to skip */
	next = (struct forklock_verdict){ .decision = S, .skipped_locks = 5 };
	assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
	assert_int_equal(d.decision, L);
	assert_int_equal(res.skipped_forks, 0);
	assert_int_equal(res.locked_forks, 2);
}

static void skip_is_at_most_the_locks(void **state)
{
	struct fl_fork f = fork_of(NOBODY, false);
	struct fl_policy_result res = { 0 };
	struct fl_decision d;

	next = (struct forklock_verdict){ .decision = S, .skipped_locks = 1000, .estimated = 1 };
	assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
	assert_int_equal(d.skipped_locks, 40);
	assert_true(d.estimated);
	assert_int_equal(res.skipped_locks, 40);
	assert_int_equal(res.estimated_forks, 1);
}

static void unknown_decisions_are_undecided(void **state)
{
	struct fl_fork f = fork_of(NOBODY, false);
	struct fl_policy_result res = { 0 };
	struct fl_decision d;

	next = (struct forklock_verdict){ .decision = 7 };
	assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
	assert_int_equal(d.decision, U);
	assert_int_equal(res.undecided_forks, 1);
}

/* a verdict is over the decided forks; with none decided it is n/a */
static void verdict_counts_decided_forks_only(void **state)
{
	struct fl_policy_result res = { 0 };
	struct fl_decision d;
	int i;

	for (i = 0; i < 3; i++) {
		struct fl_fork f = fork_of(SIBLING_FAULT, false);

		next = (struct forklock_verdict){ .decision = U };
		assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
		assert_int_equal(d.safety, FL_SAFETY_UNKNOWN);	/* the fork still says so */
	}
	assert_int_equal(res.undecided_forks, 3);
	assert_int_equal(res.unknown_safety_forks, 0);
	assert_int_equal(res.nr_evidence, 0);
	assert_int_equal(fl_policy_verdict(&res), FL_VERDICT_NA);
	assert_string_equal(fl_verdict_name(FL_VERDICT_NA), "n/a");
	assert_int_equal(res.touched_undecided_forks, 3);

	{
		struct fl_fork f = fork_of(NOBODY, false);

		next = (struct forklock_verdict){ .decision = S, .skipped_locks = 30 };
		assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
	}
	assert_int_equal(fl_policy_verdict(&res), FL_VERDICT_SAFE);
	{
		struct fl_fork f = fork_of(SIBLING_FAULT, false);

		next = (struct forklock_verdict){ .decision = L };
		assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
	}
	assert_int_equal(fl_policy_verdict(&res), FL_VERDICT_SAFE);
	assert_int_equal(res.touched_locked_forks, 1);
	assert_int_equal(res.touched_skipped_forks, 0);
}

/* ---- what is not judged, and a failing plugin --------------------------------- */

static void partial_and_aborted_forks_are_not_judged(void **state)
{
	struct fl_policy_result res = { 0 };
	struct fl_decision d = { .decision = 99 };
	struct fl_fork f = fork_of(SIBLING_FAULT, false);

	next = (struct forklock_verdict){ .decision = S, .skipped_locks = 30 };
	f.partial = true;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
	f = fork_of(SIBLING_FAULT, false);
	f.child_pid = -1;		/* aborted: dup_mmap() ran, no child */
	assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
	assert_int_equal(res.forks, 0);
	assert_int_equal(d.decision, 99);	/* untouched */
	assert_int_equal(seen.size, 0);		/* the policy was not asked */
}

static void failing_plugin_is_an_exit_code(void **state)
{
	struct fl_fork f = fork_of(NOBODY, false);
	struct fl_policy_result res = { 0 };
	struct fl_decision d;

	decide_ret = -1;
	assert_int_equal(fl_policy_judge(&set, &f, &d, &res), FL_EXIT_PLUGIN);
	decide_ret = 0;
	assert_int_equal(res.forks, 0);
}

/* ---- the evidence kept -------------------------------------------------------- */

static void unsafe_evidence_replaces_unknown_and_is_bounded(void **state)
{
	struct fl_policy_result res = { 0 };
	struct fl_decision d;
	int i;

	/* unknown first (partial skips), then unsafe ones */
	for (i = 0; i < 3; i++) {
		struct fl_fork f = fork_of(SIBLING_FAULT, false);

		f.accessor[0].pid = 100 + i;
		next = (struct forklock_verdict){ .decision = S, .skipped_locks = 1,
						  .partial_skip = 1 };
		assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
	}
	assert_int_equal(res.nr_evidence, 3);
	assert_int_equal(res.evidence[0].a.pid, 100);
	for (i = 0; i < 8; i++) {
		struct fl_fork f = fork_of(SIBLING_FAULT, false);

		f.accessor[0].pid = 200 + i;
		next = (struct forklock_verdict){ .decision = S, .skipped_locks = 1 };
		assert_int_equal(fl_policy_judge(&set, &f, &d, &res), 0);
	}
	assert_int_equal(res.nr_evidence, FL_EVIDENCE);
	for (i = 0; i < FL_EVIDENCE; i++)
		assert_int_equal(res.evidence[i].a.pid, 200 + i);	/* the first unsafe ones */
	assert_int_equal(res.unsafe_forks, 8);
	assert_int_equal(res.unknown_safety_forks, 3);
	assert_int_equal(fl_policy_verdict(&res), FL_VERDICT_UNSAFE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(safety_rules),
		cmocka_unit_test(skip_of_nothing_is_a_lock),
		cmocka_unit_test(skip_is_at_most_the_locks),
		cmocka_unit_test(unknown_decisions_are_undecided),
		cmocka_unit_test(verdict_counts_decided_forks_only),
		cmocka_unit_test(partial_and_aborted_forks_are_not_judged),
		cmocka_unit_test(failing_plugin_is_an_exit_code),
		cmocka_unit_test(unsafe_evidence_replaces_unknown_and_is_bounded),
	};

	fl_log_set_prog("test-judge");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
