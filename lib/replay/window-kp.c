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
 * When the kernel read mm_users.  A kprobe event's timestamp is taken
 * when its ring-buffer slot is reserved; the probe fetches oldmm's fields
 * into it after that, and before the reader's next event.  So the value
 * is of some instant in [read ts, reader's next event ts], not of the
 * timestamp: under qemu TCG the fetch comes microseconds later (a guest
 * 6.1 read mm_users 1 with the monitor's ioctl in flight at the timestamp,
 * and 2 with none in flight but one entering 2 us later).  A UFFDIO_*
 * ioctl holds its mmget() only between its sys_enter and sys_exit events.
 * So the ioctls whose [enter, exit] meets the read's interval are those
 * that may hold the reference the kernel counted: the holders the trace
 * shows.  Equal timestamps meet (the clock ticks coarsely: 10 ns on a
 * guest's HPET).
 */

static bool kp_other(const struct task *x, const struct task *t)
{
	return x != t && x->tgid > 0 && x->tgid != t->tgid;
}

static void kp_holder_add(struct fl_holder *list, int *nr, const struct task *x)
{
	struct fl_holder *h;
	int i;

	for (i = 0; i < *nr; i++)
		if (list[i].pid == x->pid)
			return;
	if (*nr >= FL_FORK_HOLDERS)
		return;
	h = &list[(*nr)++];
	h->kind = FL_HOLD_UFFD_IOCTL;
	h->pid = x->pid;
	memcpy(h->comm, x->comm, sizeof(h->comm));
}

static void kp_cand_add(struct kp_cand *list, int *nr, const struct task *x)
{
	struct kp_cand *c;
	int i;

	for (i = 0; i < *nr; i++)
		if (list[i].pid == x->pid && list[i].fd == x->ioctl_fd)
			return;
	if (*nr >= FL_FORK_HOLDERS)
		return;
	c = &list[(*nr)++];
	*c = (struct kp_cand){ .pid = x->pid, .tgid = x->tgid, .fd = x->ioctl_fd };
	memcpy(c->comm, x->comm, sizeof(c->comm));
}

/* Where the holders of @t's read at @read_ts go: on @t, or on its fork's record. */
struct kp_lists {
	struct fl_holder *held;
	int *nr_held;
	struct kp_cand *cand;
	int *nr_cand;
};

static bool kp_lists(struct task *t, uint64_t read_ts, struct kp_lists *l)
{
	struct fork_rec *rec = t->rec && t->rec->is_fork ? t->rec : t->pending;

	if (t->kp_dup && t->kp_read_ts == read_ts) {
		*l = (struct kp_lists){ t->kp_inflight, &t->kp_nr_inflight,
					t->kp_unres, &t->kp_nr_unres };
		return true;
	}
	if (rec && rec->kp_read_ts == read_ts) {
		*l = (struct kp_lists){ rec->inflight, &rec->nr_inflight,
					rec->unres, &rec->nr_unres };
		return true;
	}
	return false;
}

/* @x's ioctl meets @t's read: a holder if its uffd is @t's mm's, a candidate if of none yet */
static void kp_meets(struct replay *rp, struct task *t, struct task *x, struct kp_lists *l)
{
	struct fl_mm *owner = uffd_owner(rp, x->tgid, x->ioctl_fd);

	if (owner == t->mm)
		kp_holder_add(l->held, l->nr_held, x);
	else if (!owner)
		kp_cand_add(l->cand, l->nr_cand, x);
}

/*
 * Other processes with a UFFDIO_* ioctl in flight at the read's
 * timestamp (or ended at that very tick): each holds an mmget()
 * reference (mm_users) though it is no thread.  Those entering later in
 * the read's interval come through win_kp_ioctl_enter().  On 6.1 (no
 * per-VMA locks) the ioctl may hold oldmm's mmap_lock for read before
 * the fork asks for it, so it never shows in the window.
 */
static void kp_inflight(struct replay *rp, struct task *t, uint64_t ts)
{
	struct kp_lists l = { t->kp_inflight, &t->kp_nr_inflight, t->kp_unres, &t->kp_nr_unres };
	size_t i = 0;
	void *val;

	t->kp_nr_inflight = t->kp_nr_unres = 0;
	if (!t->mm || t->tgid <= 0)
		return;
	while (u64map_next(&rp->tasks, &i, NULL, &val)) {
		struct task *x = val;

		if (kp_other(x, t) && (x->in_uffd_ioctl || (x->ioctl_end_ts && x->ioctl_end_ts >= ts)))
			kp_meets(rp, t, x, &l);
	}
}

/*
 * The read point: dup_mmap() entry (before oldmm's lock) or uprobe_dup_mmap()
 * (inside it, oldmm write-locked, before the new mm's lock).  Either way the
 * fork's record takes the values when the nested lock makes it a fork.
 */
void win_kp_dup_mmap(struct replay *rp, struct task *t, uint64_t oldmm, int users, int count,
		     int map_count, uint64_t ts)
{
	t->kp_dup = true;
	t->kp_oldmm = oldmm;
	t->kp_users = users;
	t->kp_count = count;
	t->kp_map_count = map_count;
	t->kp_read_ts = ts;
	t->kp_read_end = 0;
	kp_inflight(rp, t, ts);
	if (t->mm && t->tgid > 0) {
		int i = rp->kp_reads_next;

		rp->kp_reads_next = (i + 1) % FL_KP_READS;
		rp->kp_reads[i].pid = t->pid;
		rp->kp_reads[i].ts = ts;
		rp->kp_reads[i].end = 0;
		t->kp_read_open = true;
	}
}

/* The reader's first event after its read: the fetch was before it. */
void win_kp_read_end(struct replay *rp, struct task *t, uint64_t ts)
{
	int i;

	t->kp_read_open = false;
	t->kp_read_end = ts;
	for (i = 0; i < FL_KP_READS; i++)
		if (rp->kp_reads[i].pid == t->pid && rp->kp_reads[i].ts == t->kp_read_ts)
			rp->kp_reads[i].end = ts;
	if (t->rec && t->rec->is_fork && t->rec->kp_read_ts == t->kp_read_ts)
		t->rec->kp_read_end = ts;
}

/*
 * @x entered a UFFDIO_* ioctl at @ts: inside the interval of a read
 * (up to the reader's next event, that tick included) of its uffd's mm,
 * or of any mm if its uffd is of none known yet, it may hold the
 * mm_users the read counted.
 */
void win_kp_ioctl_enter(struct replay *rp, struct task *x, uint64_t ts)
{
	int i;

	if (x->tgid <= 0)
		return;
	for (i = 0; i < FL_KP_READS; i++) {
		struct task *t;
		struct kp_lists l;

		if (!rp->kp_reads[i].pid || ts < rp->kp_reads[i].ts ||
		    (rp->kp_reads[i].end && ts > rp->kp_reads[i].end))
			continue;
		t = model_task_find(rp, rp->kp_reads[i].pid);
		if (t && t->mm && kp_other(x, t) && kp_lists(t, rp->kp_reads[i].ts, &l))
			kp_meets(rp, t, x, &l);
	}
}

/* @tgid closed @fd: a candidate on it is no longer the uffd it was */
void win_kp_close(struct replay *rp, int tgid, int fd)
{
	int i, j;

	for (i = 0; i < FL_KP_READS; i++) {
		struct task *t = rp->kp_reads[i].pid ? model_task_find(rp, rp->kp_reads[i].pid) : NULL;
		struct kp_lists l;

		if (!t || !kp_lists(t, rp->kp_reads[i].ts, &l))
			continue;
		for (j = 0; j < *l.nr_cand; j++)
			if (l.cand[j].tgid == tgid && l.cand[j].fd == fd)
				l.cand[j].closed = true;
	}
}

/*
 * The fork is handed over: a candidate whose fd has since been tied to
 * oldmm (its ioctl, or a later one on the same fd, took oldmm's
 * mmap_lock) and was not closed in between is a holder of the read.
 */
void win_kp_resolve(struct replay *rp, struct fork_rec *rec)
{
	struct fl_mm *mm = rec->f.oldmm ? u64map_get(&rp->mms, rec->f.oldmm) : NULL;
	int i, j;

	for (i = 0; mm && i < rec->nr_unres; i++) {
		struct kp_cand *c = &rec->unres[i];
		struct fl_holder *h;

		if (c->closed || uffd_owner(rp, c->tgid, c->fd) != mm)
			continue;
		for (j = 0; j < rec->nr_inflight; j++)
			if (rec->inflight[j].pid == c->pid)
				break;
		if (j < rec->nr_inflight || rec->nr_inflight >= FL_FORK_HOLDERS)
			continue;
		h = &rec->inflight[rec->nr_inflight++];
		h->kind = FL_HOLD_UFFD_IOCTL;
		h->pid = c->pid;
		memcpy(h->comm, c->comm, sizeof(h->comm));
	}
	rec->nr_unres = 0;
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
