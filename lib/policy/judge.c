// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Judging forks with policies.  For every complete fork each policy says
 * lock, skip (how many of the parent's VMA locks) or undecided; forklock
 * then says whether that was safe: a skipped lock is unsafe if, while the
 * window was open, something could reach a VMA without oldmm's mmap_lock
 * (a sibling's page fault, a UFFDIO_* ioctl).
 */
#include <stdio.h>
#include <string.h>

#include "forklock-exit.h"
#include "log.h"
#include "policy/policy.h"

const char *fl_safety_name(enum fl_safety s)
{
	switch (s) {
	case FL_SAFETY_NA:	return "n/a";
	case FL_SAFETY_SAFE:	return "safe";
	case FL_SAFETY_UNSAFE:	return "unsafe";
	case FL_SAFETY_UNKNOWN:	return "unknown";
	}
	return "unknown";
}

const char *fl_verdict_name(enum fl_verdict v)
{
	switch (v) {
	case FL_VERDICT_SAFE:		return "safe";
	case FL_VERDICT_UNSAFE:		return "unsafe";
	case FL_VERDICT_NA:		return "n/a";
	case FL_VERDICT_UNKNOWN:	break;
	}
	return "unknown";
}

const char *fl_decision_name(int decision)
{
	switch (decision) {
	case FORKLOCK_LOCK:	return "lock";
	case FORKLOCK_SKIP:	return "skip";
	default:		return "undecided";
	}
}

static int32_t source_of(enum fl_source src)
{
	switch (src) {
	case FL_SRC_TRACEPOINT:	return FORKLOCK_SRC_TRACEPOINT;
	case FL_SRC_KPROBE:	return FORKLOCK_SRC_KPROBE;
	case FL_SRC_BPF:	return FORKLOCK_SRC_BPF;
	default:		return FORKLOCK_SRC_NONE;
	}
}

static void view_of(const struct fl_fork *f, struct forklock_fork *v)
{
	int k;

	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	v->tier = f->tier == FL_TIER_KPROBE ? FORKLOCK_TIER_KPROBE :
		  f->tier == FL_TIER_BPF ? FORKLOCK_TIER_BPF : FORKLOCK_TIER_TRACEPOINT;
	v->ts_ns = f->ts;
	v->window_ns = f->window_ns;
	v->parent_pid = f->parent_pid;
	v->parent_tgid = f->parent_tgid;
	v->child_pid = f->child_pid;
	memcpy(v->comm, f->comm, sizeof(v->comm));
	v->clone_flags = f->clone_flags;
	v->threads = f->threads;
	v->mm_users = f->mm_users;
	v->mm_count = f->mm_count;
	v->uffd = f->uffd == FL_UFFD_NONE ? FORKLOCK_UFFD_NONE :
		  f->uffd == FL_UFFD_PRESENT ? FORKLOCK_UFFD_PRESENT : FORKLOCK_UFFD_UNKNOWN;
	v->vmas_locked = f->vmas_locked;
	v->kinds_quality = f->kinds.quality == FL_KINDS_EXACT ? FORKLOCK_KINDS_EXACT :
			   f->kinds.quality == FL_KINDS_ESTIMATED ? FORKLOCK_KINDS_ESTIMATED :
			   FORKLOCK_KINDS_UNKNOWN;
	v->vmas_shared = f->kinds.shared;
	v->vmas_anon = f->kinds.anon;
	v->vmas_cow = f->kinds.cow;
	v->vmas_special = f->kinds.special;
	v->accessors = f->nr_accessors;
	for (k = 0; k < FL_ACC_NR; k++)
		if (fl_access_reaches_vma(k))
			v->accessors_reaching_vma += f->accessors_by_kind[k];
	v->map_count = f->src.map_count != FL_SRC_NONE ? f->map_count : -1;
	v->vmas_copied = f->vmas_copied;
	v->vmas_dontcopy = f->vmas_dontcopy;
	v->vmas_locked_estimated = f->locked_quality == FL_LOCKED_ESTIMATED;
	v->src_threads = source_of(f->src.threads);
	v->src_mm_users = source_of(f->src.mm_users);
	v->src_mm_count = source_of(f->src.mm_count);
	v->src_map_count = source_of(f->src.map_count);
	v->src_vmas_locked = source_of(f->src.vmas_locked);
	v->mm_users_holders = f->nr_holders;
	v->fork_blocked_ns = f->sched ? (int64_t)f->fork_blocked_ns : -1;
	v->fork_blocks = f->nr_blocks;
}

static const struct fl_accessor *first_reacher(const struct fl_fork *f)
{
	uint32_t i;

	for (i = 0; i < f->nr_detail; i++)
		if (fl_access_reaches_vma(f->accessor[i].kind))
			return &f->accessor[i];
	return NULL;
}

/* @f's evidence: its first accessor that could reach a VMA (0: none). */
static int evidence_of(const struct fl_fork *f, struct fl_evidence *e)
{
	const struct fl_accessor *a = first_reacher(f);

	if (!a)
		return 0;
	e->fork_ts = f->ts;
	e->parent_pid = f->parent_pid;
	memcpy(e->parent_comm, f->comm, sizeof(e->parent_comm));
	e->a = *a;
	return 1;
}

void fl_policy_evidence_keep(struct fl_policy_result *r, bool unsafe,
			     const struct fl_evidence *ev, int n)
{
	int i;

	if (unsafe && !r->unsafe_forks)
		r->nr_evidence = 0;	/* unsafe evidence replaces unknown */
	if (unsafe || !r->unsafe_forks)
		for (i = 0; i < n && r->nr_evidence < FL_EVIDENCE; i++)
			r->evidence[r->nr_evidence++] = ev[i];
}

int fl_policy_judge(const struct fl_policy_set *set, const struct fl_fork *f,
		    struct fl_decision *out, struct fl_policy_result *res)
{
	struct forklock_fork view;
	uint32_t reachers;
	int i;

	if (!fl_fork_complete(f))
		return 0;
	view_of(f, &view);
	reachers = view.accessors_reaching_vma;
	for (i = 0; i < set->nr; i++) {
		struct forklock_verdict v = { .decision = FORKLOCK_LOCK };
		struct fl_policy_result *r = &res[i];
		struct fl_decision *d = &out[i];

		if (set->v[i].p->decide(&view, &v) < 0)
			return fl_err(FL_EXIT_PLUGIN, "policy %s failed on the fork of pid %d at %llu",
				      set->v[i].p->name, f->parent_pid, (unsigned long long)f->ts);
		memset(d, 0, sizeof(*d));
		d->decision = v.decision;
		d->reason = v.reason;
		if (d->decision == FORKLOCK_SKIP && (!v.skipped_locks || !f->vmas_locked))
			d->decision = FORKLOCK_LOCK;	/* nothing to skip */
		r->forks++;
		if (f->nr_accessors)
			(d->decision == FORKLOCK_SKIP ? &r->touched_skipped_forks :
			 d->decision == FORKLOCK_LOCK ? &r->touched_locked_forks :
			 &r->touched_undecided_forks)[0]++;
		switch (d->decision) {
		case FORKLOCK_SKIP:
			d->skipped_locks = v.skipped_locks > f->vmas_locked ?
					   f->vmas_locked : v.skipped_locks;
			/* skipping an estimated count of locks is an estimate too */
			d->estimated = v.estimated || f->locked_quality == FL_LOCKED_ESTIMATED;
			if (f->lost_events)
				d->safety = FL_SAFETY_UNKNOWN;
			else if (!reachers)
				d->safety = FL_SAFETY_SAFE;
			else
				d->safety = v.partial_skip ? FL_SAFETY_UNKNOWN : FL_SAFETY_UNSAFE;
			r->skipped_forks++;
			r->skipped_locks += d->skipped_locks;
			r->skipped_window_ns += f->window_ns;
			if (d->estimated)
				r->estimated_forks++;
			break;
		case FORKLOCK_LOCK:
			d->safety = FL_SAFETY_NA;
			r->locked_forks++;
			break;
		default:
			d->decision = FORKLOCK_UNDECIDED;
			/* if nothing could reach a VMA, either choice was safe */
			d->safety = reachers || f->lost_events ? FL_SAFETY_UNKNOWN : FL_SAFETY_SAFE;
			r->undecided_forks++;
			r->undecided_locks += f->vmas_locked;
			break;
		}
		if (fl_policy_avoided(&set->v[i], f, &view, d))
			return FL_EXIT_PLUGIN;
		if (d->avoided_blocked_ns > 0) {
			r->avoided_blocked_ns += (uint64_t)d->avoided_blocked_ns;
			r->avoided_forks++;
		} else if (d->avoided_blocked_ns < 0 && f->sched && f->nr_blocks) {
			r->avoided_unknown_forks++;
		}
		if (d->exposed_accessors > 0)
			r->exposed_accessors += (uint64_t)d->exposed_accessors;
		/*
		 * The fork waited for a VMA the rule skips: its waker held that
		 * VMA inside the window, and without the lock would have raced
		 * with the copy.  Unsafe, whatever the accessors showed.
		 */
		if (d->decision == FORKLOCK_SKIP && d->first_avoided >= 0 && !f->lost_events)
			d->safety = FL_SAFETY_UNSAFE;
		/* the verdict is over the forks it decided: an undecided one is not its risk */
		if (d->decision == FORKLOCK_SKIP &&
		    (d->safety == FL_SAFETY_UNSAFE || d->safety == FL_SAFETY_UNKNOWN)) {
			bool unsafe = d->safety == FL_SAFETY_UNSAFE;
			struct fl_evidence e;
			int n = d->first_avoided >= 0 ? fl_policy_block_evidence(f, d, &e) :
							evidence_of(f, &e);

			fl_policy_evidence_keep(r, unsafe, &e, n);
			if (unsafe)
				r->unsafe_forks++;
			else
				r->unknown_safety_forks++;
		}
	}
	return 0;
}

const char *fl_verdict_text(char *buf, size_t len, const struct fl_policy_result *r)
{
	enum fl_verdict v = fl_policy_verdict(r);

	if (v == FL_VERDICT_NA)
		snprintf(buf, len, "n/a (undecided %llu)", (unsigned long long)r->undecided_forks);
	else
		snprintf(buf, len, "%s", fl_verdict_name(v));
	return buf;
}

enum fl_verdict fl_policy_verdict(const struct fl_policy_result *r)
{
	if (!r->skipped_forks && !r->locked_forks)
		return FL_VERDICT_NA;
	if (r->unsafe_forks)
		return FL_VERDICT_UNSAFE;
	if (r->unknown_safety_forks)
		return FL_VERDICT_UNKNOWN;
	return FL_VERDICT_SAFE;
}
