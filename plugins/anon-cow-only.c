// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * anon-cow-only: lock only the parent VMAs whose pages fork copies or
 * write-protects (private anonymous and private file mappings, and the
 * special mappings, conservatively); skip MAP_SHARED ones, whose page tables
 * fork does not need to touch.  The count of shared mappings comes from
 * /proc/PID/maps at the start of the recording, inheritance through fork
 * and the MAP_SHARED mmap()/munmap() calls seen since; forklock marks it
 * estimated unless nothing could have changed it.
 */
#include "forklock-policy.h"

static int decide(const struct forklock_fork *fork, struct forklock_verdict *v)
{
	uint32_t skip;

	if (fork->kinds_quality == FORKLOCK_KINDS_UNKNOWN || fork->vmas_shared < 0) {
		v->decision = FORKLOCK_UNDECIDED;
		v->reason = "VMA kinds unknown";
		return 0;
	}
	skip = (uint32_t)fork->vmas_shared;
	if (skip > fork->vmas_locked)
		skip = fork->vmas_locked;	/* merged or unmapped since: at most all */
	if (!skip) {
		v->decision = FORKLOCK_LOCK;
		v->reason = "no shared mappings";
		return 0;
	}
	v->decision = FORKLOCK_SKIP;
	v->skipped_locks = skip;
	v->partial_skip = skip < fork->vmas_locked;
	v->estimated = fork->kinds_quality != FORKLOCK_KINDS_EXACT;
	v->reason = "shared mappings only";
	return 0;
}

/*
 * One VMA: vma_is_anonymous() || is_cow_mapping() is locked.  Every
 * private mapping is VM_MAYWRITE (copy-on-write) whatever its protection
 * or its file's open mode; a MAP_SHARED one (file or shmem) is neither.
 */
int forklock_policy_vma(const struct forklock_fork *fork, const struct forklock_vma *vma,
			struct forklock_verdict *v)
{
	switch (vma->kind) {
	case FORKLOCK_VMA_ANON:
	case FORKLOCK_VMA_COW:
		v->decision = FORKLOCK_LOCK;
		v->reason = "anonymous or copy-on-write";
		break;
	case FORKLOCK_VMA_SHARED:
		v->decision = FORKLOCK_SKIP;
		v->reason = "shared mapping";
		break;
	default:
		v->decision = FORKLOCK_UNDECIDED;
		v->reason = "VMA kind unknown";
	}
	return 0;
}

static const struct forklock_policy policy = {
	.abi = FORKLOCK_POLICY_ABI,
	.name = "anon-cow-only",
	.summary = "lock only anonymous and copy-on-write VMAs; skip MAP_SHARED ones",
	.decide = decide,
};

const struct forklock_policy *forklock_policy_register(void)
{
	return &policy;
}
