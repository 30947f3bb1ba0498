// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An out-of-tree skip policy, built against the installed header only:
 *
 *	cc -shared -fPIC $(pkg-config --cflags forklock) \
 *		-o single-user-small.so single-user-small.c
 *	forklock report --policy-plugin ./single-user-small.so trace.dat
 *
 * single-user-small: like single-user, but only for parents with at most
 * FORKLOCK_SMALL_VMAS VMAs (default 64) -- a rule that keeps the locks
 * where a long window makes a race likelier.
 */
#include <stdlib.h>

#include <forklock-policy.h>

static uint32_t limit(void)
{
	const char *env = getenv("FORKLOCK_SMALL_VMAS");

	return env && *env ? (uint32_t)strtoul(env, NULL, 10) : 64;
}

static int decide(const struct forklock_fork *fork, struct forklock_verdict *v)
{
	int users = fork->mm_users >= 0 ? fork->mm_users : fork->threads;

	if (users < 0) {
		v->decision = FORKLOCK_UNDECIDED;
		v->reason = "mm_users unknown";
	} else if (users == 1 && fork->vmas_locked <= limit()) {
		v->decision = FORKLOCK_SKIP;
		v->skipped_locks = fork->vmas_locked;
		v->reason = "mm_users == 1, few VMAs";
	} else {
		v->decision = FORKLOCK_LOCK;
		v->reason = users > 1 ? "mm_users > 1" : "many VMAs";
	}
	return 0;
}

static const struct forklock_policy policy = {
	.abi = FORKLOCK_POLICY_ABI,
	.name = "single-user-small",
	.summary = "skip when mm_users == 1 and the parent has few VMAs (example plugin)",
	.decide = decide,
};

const struct forklock_policy *forklock_policy_register(void)
{
	return &policy;
}
