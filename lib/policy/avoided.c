// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a policy's skipped locks would have saved a fork that blocked in
 * its window, and what they would have exposed: each block (replay's
 * fork_blocks) sits before the VMA whose copy came next; the rule would
 * have avoided it if it skips that VMA's lock, and the block's waker (who
 * held that VMA) would then have reached the VMA unlocked.
 *
 * Whether a VMA is skipped: none when the fork's decision is lock, all
 * when it skips every lock; otherwise the plugin's forklock_policy_vma()
 * says, if it has one, else it is not known.  A block no copied VMA
 * followed (after the last one) was not a wait for a VMA lock: never
 * avoided; in a trace without ma_write (--light) where a block was is
 * not known, nor what it saved.  The tracepoint tier cannot tell a wait for the VMA lock from
 * another wait at the same place (memory, say): it counts the block.
 */
#include <string.h>

#include "forklock-exit.h"
#include "log.h"
#include "policy/policy.h"

static int32_t vma_kind_view(enum fl_vma_kind kind)
{
	switch (kind) {
	case FL_VMA_ANON:	return FORKLOCK_VMA_ANON;
	case FL_VMA_COW:	return FORKLOCK_VMA_COW;
	case FL_VMA_SHARED:	return FORKLOCK_VMA_SHARED;
	default:		return FORKLOCK_VMA_UNKNOWN;
	}
}

/* 1 skipped, 0 locked, -1 not known; -2 the plugin failed */
static int vma_skipped(const struct fl_policy *pol, const struct fl_fork *f,
		       const struct forklock_fork *view, const struct fl_decision *d,
		       const struct fl_block *b)
{
	struct forklock_verdict v = { .decision = FORKLOCK_UNDECIDED };
	struct forklock_vma vma;

	if (d->decision == FORKLOCK_LOCK)
		return 0;
	if (d->decision == FORKLOCK_SKIP && d->skipped_locks >= f->vmas_locked)
		return 1;
	if (!pol->decide_vma)
		return -1;
	memset(&vma, 0, sizeof(vma));
	vma.size = sizeof(vma);
	vma.kind = vma_kind_view(b->vma_kind);
	vma.start = b->vma_start;
	vma.end = b->vma_end;
	vma.anon_vma = b->vma_kind == FL_VMA_SHARED ? 0 : -1;
	if (pol->decide_vma(view, &vma, &v) < 0)
		return -2;
	return v.decision == FORKLOCK_SKIP ? 1 : v.decision == FORKLOCK_LOCK ? 0 : -1;
}

static bool has_pid(const int *pids, int n, int pid)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

int fl_policy_avoided(const struct fl_policy *pol, const struct fl_fork *f,
		      const struct forklock_fork *view, struct fl_decision *d)
{
	int pids[FL_FORK_ACCESSORS + 64], npids = 0;
	bool unknown = false, all = false;
	uint64_t avoided = 0;
	uint32_t i;

	d->avoided_blocked_ns = -1;
	d->exposed_accessors = -1;
	d->first_avoided = -1;
	if (!f->sched)
		return 0;
	for (i = 0; i < f->nr_blocks; i++) {
		const struct fl_block *b = &f->blocks[i];
		int s;

		if (b->placed < 0) {
			unknown = true;	/* no ma_write in the trace: where it was is unknown */
			continue;
		}
		if (!b->placed)
			continue;	/* after the last VMA: not a VMA lock */
		s = vma_skipped(pol, f, view, d, b);
		if (s == -2)
			return fl_err(FL_EXIT_PLUGIN, "policy %s failed on a VMA of the fork of "
				      "pid %d at %llu", pol->p->name, f->parent_pid,
				      (unsigned long long)f->ts);
		if (s < 0) {
			unknown = true;
			continue;
		}
		if (!s)
			continue;
		avoided += b->ns;
		if (d->first_avoided < 0 && b->waker_pid > 0)
			d->first_avoided = (int32_t)i;
		if (b->waker_pid > 0 && npids < (int)(sizeof(pids) / sizeof(pids[0])) &&
		    !has_pid(pids, npids, b->waker_pid))
			pids[npids++] = b->waker_pid;
	}
	/* every lock skipped: every accessor that could reach a VMA reached one unlocked */
	all = d->decision == FORKLOCK_SKIP && d->skipped_locks >= f->vmas_locked;
	if (all) {
		uint32_t reachers = 0, detailed = 0;
		int k;

		for (k = 0; k < FL_ACC_NR; k++)
			if (fl_access_reaches_vma(k))
				reachers += f->accessors_by_kind[k];
		for (i = 0; i < f->nr_detail; i++) {
			const struct fl_accessor *a = &f->accessor[i];

			if (!fl_access_reaches_vma(a->kind))
				continue;
			detailed++;
			if (npids < (int)(sizeof(pids) / sizeof(pids[0])) &&
			    !has_pid(pids, npids, a->pid))
				pids[npids++] = a->pid;
		}
		npids += reachers - detailed;	/* counted only, beyond the detailed ones */
	}
	if (unknown)
		return 0;
	d->avoided_blocked_ns = (int64_t)avoided;
	d->exposed_accessors = npids;
	return 0;
}

int fl_policy_block_evidence(const struct fl_fork *f, const struct fl_decision *d,
			     struct fl_evidence *e)
{
	const struct fl_block *b;

	if (d->first_avoided < 0 || (uint32_t)d->first_avoided >= f->nr_blocks)
		return 0;
	b = &f->blocks[d->first_avoided];
	memset(e, 0, sizeof(*e));
	e->fork_ts = f->ts;
	e->parent_pid = f->parent_pid;
	memcpy(e->parent_comm, f->comm, sizeof(e->parent_comm));
	switch (b->activity) {
	case FL_WAKE_UFFD_IOCTL:
		e->a.kind = FL_ACC_UFFD_IOCTL;
		e->a.uffd_cmd = b->uffd_cmd;
		break;
	case FL_WAKE_REMOTE:
		e->a.kind = FL_ACC_REMOTE;
		break;
	case FL_WAKE_MMAP_LOCK:
		e->a.kind = FL_ACC_MMAP_LOCK;
		break;
	default:
		/* it held the VMA's lock: it reached the VMA as a fault would */
		e->a.kind = b->waker_same_mm == 0 ? FL_ACC_REMOTE : FL_ACC_SIBLING_FAULT;
	}
	e->a.pid = b->waker_pid;
	e->a.tgid = b->waker_tgid;
	memcpy(e->a.comm, b->waker_comm, sizeof(e->a.comm));
	e->a.ts = b->ts;
	e->a.blocked_ns = -1;
	return 1;
}
