// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * never-lock: dup_mmap() takes no per-VMA lock at all (Barry Song's
 * proposal in the 2026 thread): every parent VMA's vma_start_write() is
 * skipped.  What a fork blocked on a VMA lock would have saved, and what
 * could then reach a VMA while it is copied, forklock counts.
 */
#include "forklock-policy.h"

static int decide(const struct forklock_fork *fork, struct forklock_verdict *v)
{
	v->decision = FORKLOCK_SKIP;
	v->skipped_locks = fork->vmas_locked;
	v->reason = "no parent VMA is locked";
	return 0;
}

int forklock_policy_vma(const struct forklock_fork *fork, const struct forklock_vma *vma,
			struct forklock_verdict *v)
{
	v->decision = FORKLOCK_SKIP;
	v->reason = "no parent VMA is locked";
	return 0;
}

static const struct forklock_policy policy = {
	.abi = FORKLOCK_POLICY_ABI,
	.name = "never-lock",
	.summary = "lock no parent VMA: vma_start_write() removed from dup_mmap()",
	.decide = decide,
};

const struct forklock_policy *forklock_policy_register(void)
{
	return &policy;
}
