// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fork windows, the kprobe tier's part: values read inside dup_mmap() at
 * the read point (dup_mmap() entry, or uprobe_dup_mmap() where dup_mmap()
 * is inlined), the per-VMA lock probes and lock_vma_under_rcu()'s return,
 * kept on the task until window.c makes the fork's record.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/replay-int.h"

/* ---- the kprobe tier ---------------------------------------------------------- */

/*
 * Other processes with a UFFDIO_* ioctl into @t's mm in flight at the read
 * point: each holds an mmget() reference (mm_users) though it is no thread.
 * On 6.1 (no per-VMA locks) the ioctl may hold oldmm's mmap_lock for read
 * before the fork asks for it, so it never shows in the window.
 */
static void kp_inflight(struct replay *rp, struct task *t)
{
	size_t i = 0;
	void *val;

	t->kp_nr_inflight = 0;
	if (!t->mm || t->tgid <= 0)
		return;
	while (t->kp_nr_inflight < FL_FORK_HOLDERS && u64map_next(&rp->tasks, &i, NULL, &val)) {
		struct task *x = val;
		struct fl_holder *h;

		if (x == t || !x->in_uffd_ioctl || x->tgid <= 0 || x->tgid == t->tgid ||
		    uffd_owner(rp, x->tgid, x->ioctl_fd) != t->mm)
			continue;
		h = &t->kp_inflight[t->kp_nr_inflight++];
		h->kind = FL_HOLD_UFFD_IOCTL;
		h->pid = x->pid;
		memcpy(h->comm, x->comm, sizeof(h->comm));
	}
}

/*
 * The read point: dup_mmap() entry (before oldmm's lock) or uprobe_dup_mmap()
 * (inside it, oldmm write-locked, before the new mm's lock).  Either way the
 * fork's record takes the values when the nested lock makes it a fork.
 */
void win_kp_dup_mmap(struct replay *rp, struct task *t, uint64_t oldmm, int users, int count,
		     int map_count)
{
	t->kp_dup = true;
	t->kp_oldmm = oldmm;
	t->kp_users = users;
	t->kp_count = count;
	t->kp_map_count = map_count;
	kp_inflight(rp, t);
}

/* uprobe_end_dup_mmap(): dup_mmap() is done; its outcome is the tracepoints' */
void win_kp_dup_mmap_end(struct replay *rp, struct task *t)
{
	t->kp_dup = false;
}

void win_kp_dup_mmap_ret(struct replay *rp, struct task *t, int ret)
{
	struct fork_rec *rec = t->pending ? t->pending : t->rec;

	t->kp_dup = false;
	if (!rec || !rec->is_fork)
		return;
	rec->f.dup_mmap_ret = ret;
	if (ret && rec == t->pending)
		win_abort_pending(rp, t);	/* dup_mmap() failed: no child will come */
}

void win_kp_vma_start_write(struct replay *rp, struct task *t, uint64_t vm_mm, uint64_t ts)
{
	struct fork_rec *rec = t->rec;

	t->vsw_open = false;
	if (!rec || !rec->is_fork)
		return;
	if (vm_mm == t->win_mm) {
		rec->f.parent_locks++;
		t->vsw_open = t->vsw_parent = true;
		t->vsw_ts = ts;
	} else if (vm_mm == t->win_newmm) {
		rec->f.child_locks++;
	}
}

void win_kp_vma_start_write_ret(struct replay *rp, struct task *t, uint64_t ts)
{
	struct fork_rec *rec = t->rec;
	uint64_t wait;

	if (!t->vsw_open || !t->vsw_parent || !rec)
		return;
	t->vsw_open = false;
	wait = ts - t->vsw_ts;
	if (rec->f.nr_vma_waits == rec->alloc_waits) {
		uint32_t alloc = rec->alloc_waits ? rec->alloc_waits * 2 : 64;
		uint64_t *n = replay_realloc(rp, rec->waits, alloc, sizeof(*n));

		if (!n)
			return;
		rec->waits = n;
		rec->alloc_waits = alloc;
	}
	rec->waits[rec->f.nr_vma_waits++] = wait;
	rec->f.vma_wait_total_ns += wait;
	if (wait > rec->f.vma_wait_max_ns)
		rec->f.vma_wait_max_ns = wait;
}

/* lock_vma_under_rcu() returned NULL: a reader of oldmm fell back. */
void win_kp_rcu_ret(struct replay *rp, struct task *t, uint64_t ret)
{
	struct task *owner;

	if (ret || !t->mm || !(owner = t->mm->window) || owner == t || !owner->rec)
		return;
	owner->rec->f.rcu_fallbacks++;
}
