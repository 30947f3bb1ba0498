// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * anon-vma-only: lock only the parent VMAs that have an anon_vma (Yang
 * Shi's proposal in the 2026 thread): a VMA without one has no anonymous
 * pages for a racing fault or UFFDIO_COPY to add behind fork's back.
 *
 * Which VMAs have an anon_vma is not in a tracepoint trace: a MAP_SHARED
 * VMA never has one (skipped), every other VMA is undecided unless the
 * tier that recorded the trace read it (struct forklock_vma.anon_vma).
 * So a fork is undecided unless all its VMAs are shared.
 */
#include "forklock-policy.h"

static int decide(const struct forklock_fork *fork, struct forklock_verdict *v)
{
	if (fork->kinds_quality != FORKLOCK_KINDS_UNKNOWN && fork->vmas_shared >= 0 &&
	    (uint32_t)fork->vmas_shared >= fork->vmas_locked && fork->vmas_locked) {
		v->decision = FORKLOCK_SKIP;
		v->skipped_locks = fork->vmas_locked;
		v->estimated = fork->kinds_quality != FORKLOCK_KINDS_EXACT;
		v->reason = "only shared mappings: none has an anon_vma";
		return 0;
	}
	v->decision = FORKLOCK_UNDECIDED;
	v->reason = "which VMAs have an anon_vma is not in the trace";
	return 0;
}

int forklock_policy_vma(const struct forklock_fork *fork, const struct forklock_vma *vma,
			struct forklock_verdict *v)
{
	if (vma->anon_vma > 0) {
		v->decision = FORKLOCK_LOCK;
		v->reason = "has an anon_vma";
	} else if (vma->anon_vma == 0 || vma->kind == FORKLOCK_VMA_SHARED) {
		v->decision = FORKLOCK_SKIP;
		v->reason = "no anon_vma";
	} else {
		v->decision = FORKLOCK_UNDECIDED;
		v->reason = "anon_vma not in the trace";
	}
	return 0;
}

static const struct forklock_policy policy = {
	.abi = FORKLOCK_POLICY_ABI,
	.name = "anon-vma-only",
	.summary = "lock only parent VMAs with an anon_vma; skip the others",
	.decide = decide,
};

const struct forklock_policy *forklock_policy_register(void)
{
	return &policy;
}
