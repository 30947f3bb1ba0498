// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * single-user-no-uffd: skip when mm_users == 1 and mm_count == 1 (the
 * refinement in the 2025 thread): no userfaultfd context holds the mm and
 * nobody else (lazy TLB, ksm, /proc/PID/mem) does either.  mm_count is only
 * read in the kprobe tier; from tracepoints a fork with a userfaultfd is
 * known to fail the rule, any other one is undecided: the other holders of
 * mm_count cannot be seen.
 */
#include "forklock-policy.h"

static int decide(const struct forklock_fork *fork, struct forklock_verdict *v)
{
	/* what the kernel read where it was read, the model's threads otherwise */
	int read = fork->mm_users >= 0;
	int users = read ? fork->mm_users : fork->threads;

	if (users > 1) {
		v->decision = FORKLOCK_LOCK;
		v->reason = read ? "mm_users > 1 (kernel-read)" : "threads > 1 (model)";
	} else if (fork->uffd == FORKLOCK_UFFD_PRESENT) {
		v->decision = FORKLOCK_LOCK;
		v->reason = "a userfaultfd holds mm_count";
	} else if (fork->mm_count > 1) {
		v->decision = FORKLOCK_LOCK;
		v->reason = "mm_count > 1";
	} else if (users == 1 && fork->mm_count == 1) {
		v->decision = FORKLOCK_SKIP;
		v->skipped_locks = fork->vmas_locked;
		v->reason = "mm_users == 1 and mm_count == 1 (kernel-read)";
	} else {
		v->decision = FORKLOCK_UNDECIDED;
		v->reason = users < 0 ? "mm_users not read, threads unknown" :
				    "mm_count not read (tracepoint tier)";
	}
	return 0;
}

static const struct forklock_policy policy = {
	.abi = FORKLOCK_POLICY_ABI,
	.name = "single-user-no-uffd",
	.summary = "skip all parent VMA locks when mm_users == 1 and mm_count == 1",
	.decide = decide,
};

const struct forklock_policy *forklock_policy_register(void)
{
	return &policy;
}
