// SPDX-License-Identifier: GPL-2.0-or-later
/* always-lock: what kernels 6.4 and later do, every parent VMA locked. */
#include "forklock-policy.h"

static int decide(const struct forklock_fork *fork, struct forklock_verdict *v)
{
	v->decision = FORKLOCK_LOCK;
	v->reason = "every parent VMA is locked";
	return 0;
}

int forklock_policy_vma(const struct forklock_fork *fork, const struct forklock_vma *vma,
			struct forklock_verdict *v)
{
	v->decision = FORKLOCK_LOCK;
	v->reason = "every parent VMA is locked";
	return 0;
}

static const struct forklock_policy policy = {
	.abi = FORKLOCK_POLICY_ABI,
	.name = "always-lock",
	.summary = "lock every parent VMA (kernels 6.4 and later)",
	.decide = decide,
};

const struct forklock_policy *forklock_policy_register(void)
{
	return &policy;
}
