// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * single-user: skip every parent VMA lock when oldmm->mm_users == 1, the
 * 2023/2025 proposal (dup_mmap() reads mm_users after taking oldmm's
 * mmap_lock for write).  mm_users comes from dup_mmap() itself in the
 * kprobe tier, otherwise from the tasks sharing oldmm.
 */
#include "forklock-policy.h"

static int decide(const struct forklock_fork *fork, struct forklock_verdict *v)
{
	/* what the kernel read where it was read, the model's threads otherwise */
	int read = fork->mm_users >= 0;
	int users = read ? fork->mm_users : fork->threads;

	if (users < 0) {
		v->decision = FORKLOCK_UNDECIDED;
		v->reason = "mm_users not read, threads unknown";
	} else if (users == 1) {
		v->decision = FORKLOCK_SKIP;
		v->skipped_locks = fork->vmas_locked;
		v->reason = read ? "mm_users == 1 (kernel-read)" : "threads == 1 (model)";
	} else {
		v->decision = FORKLOCK_LOCK;
		v->reason = read ? "mm_users > 1 (kernel-read)" : "threads > 1 (model)";
	}
	return 0;
}

static const struct forklock_policy policy = {
	.abi = FORKLOCK_POLICY_ABI,
	.name = "single-user",
	.summary = "skip all parent VMA locks when mm_users == 1",
	.decide = decide,
};

const struct forklock_policy *forklock_policy_register(void)
{
	return &policy;
}
