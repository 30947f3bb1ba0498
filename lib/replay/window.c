// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fork windows.  dup_mmap() write-locks oldmm, then (nested) the new mm,
 * stores one maple-tree entry per copied VMA, releases the new mm and then
 * oldmm; task_newtask follows with the child.  From mmap_lock events:
 *
 *   acquire_returned(A, write, success)   -> hold of A (start_locking before it
 *                                            gives the wait; a trylock has none)
 *   start_locking(B, write) while holding  -> nested: this hold is a fork window
 *   ma_write fn=mas_store while B is held  -> one copied VMA
 *   released(A, write)                     -> window closed
 *   acquire_returned(A, read) while held   -> mmap_write_downgrade(): hold ends
 *   task_newtask(child, !FL_CLONE_VM)         -> the fork's child
 *
 * Any other task that starts locking A, faults in A's mm, or issues a
 * UFFDIO_* ioctl into A while the window is open is a concurrent accessor.
 * A fork is handed to the sink once its child is known (or known not to
 * come) and every accessor that waited for A has got it.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/replay-int.h"


/*
 * VMAs dup_mmap() write-locks: every VMA of oldmm, VM_DONTCOPY ones
 * included (6.4+; none before).  Read by the kernel where a probe counted
 * the locks or read map_count; else the copied VMAs plus the VM_DONTCOPY
 * ones the replay knows of, estimated where it cannot be sure of those.
 */
static void fork_locked(struct replay *rp, struct fl_fork *f)
{
	if (f->kprobe && rp->info->has_vma_lock_probes) {
		/* __vma_start_write() counted the parent's locks */
		f->vmas_locked = f->parent_locks;
		f->locked_quality = FL_LOCKED_KERNEL;
		f->src.vmas_locked = FL_SRC_KPROBE;
	} else if (!rp->info->vma_locks) {
		f->vmas_locked = 0;		/* the kernel has no per-VMA locks */
		f->locked_quality = FL_LOCKED_EXACT;
		f->src.vmas_locked = FL_SRC_TRACEPOINT;
	} else if (f->map_count >= 0 && f->src.map_count != FL_SRC_NONE) {
		f->vmas_locked = (uint32_t)f->map_count;
		f->locked_quality = FL_LOCKED_KERNEL;
		f->src.vmas_locked = f->src.map_count;
	} else {
		f->vmas_locked = f->vmas_copied + (f->vmas_dontcopy > 0 ? f->vmas_dontcopy : 0);
		f->src.vmas_locked = FL_SRC_TRACEPOINT;
		if (f->lost_events)
			f->locked_quality = FL_LOCKED_ESTIMATED;
	}
}

/*
 * The kernel read more users of oldmm than the model has threads: name
 * the other holders the window shows (another process's UFFDIO_* ioctl
 * or remote mmap_lock on oldmm) and the ioctls whose time in flight
 * meets the read's (window-kp.c), or say that none is named.
 */
static void fork_holders(struct replay *rp, struct fork_rec *rec)
{
	struct fl_fork *f = &rec->f;
	uint32_t i, j;
	int k;

	f->nr_holders = 0;
	if (!fl_fork_extra_users(f))
		return;
	win_kp_resolve(rp, rec);
	for (i = 0; i < f->nr_detail && f->nr_holders < FL_FORK_HOLDERS; i++) {
		const struct fl_accessor *a = &f->accessor[i];
		struct fl_holder *h;

		if (a->kind != FL_ACC_UFFD_IOCTL && a->kind != FL_ACC_REMOTE)
			continue;
		if (a->tgid >= 0 && a->tgid == f->parent_tgid)
			continue;	/* a thread of the parent: counted in threads */
		/*
		 * An ioctl that entered after the kernel fetched mm_users (the
		 * reader's next event, window-kp.c) took its mmget() too late
		 * to be counted: not a holder of that read.
		 */
		if (a->kind == FL_ACC_UFFD_IOCTL && rec->kp_read_end && a->ts > rec->kp_read_end)
			continue;
		for (j = 0; j < f->nr_holders; j++)
			if (f->holder[j].pid == a->pid)
				break;
		if (j < f->nr_holders)
			continue;
		h = &f->holder[f->nr_holders++];
		h->kind = a->kind == FL_ACC_UFFD_IOCTL ? FL_HOLD_UFFD_IOCTL : FL_HOLD_REMOTE;
		h->pid = a->pid;
		memcpy(h->comm, a->comm, sizeof(h->comm));
	}
	/* an ioctl in flight when the kernel read mm_users, done before the window */
	for (k = 0; k < rec->nr_inflight && f->nr_holders < FL_FORK_HOLDERS; k++) {
		for (j = 0; j < f->nr_holders; j++)
			if (f->holder[j].pid == rec->inflight[k].pid)
				break;
		if (j == f->nr_holders)
			f->holder[f->nr_holders++] = rec->inflight[k];
	}
	if (!f->nr_holders) {
		f->holder[0] = (struct fl_holder){ .kind = FL_HOLD_UNKNOWN, .pid = -1 };
		f->nr_holders = 1;
	}
}

static void rec_finish(struct replay *rp, struct fork_rec *rec)
{
	if (rec->refs > 0 || !rec->settled)
		return;
	if (rec->is_fork && rp->sink && rp->sink->fork) {
		fork_locked(rp, &rec->f);
		fork_holders(rp, rec);
		if (rec->aborted)
			rec->f.child_pid = -1;
		rec->f.vma_wait_ns = rec->waits;
		rp->info->host_forks++;
		if (rec->f.command_tree == FL_TREE_IN)
			rp->info->command_forks++;
		rec->f.sched = rp->info->has_sched;
		rec->f.blocks = rec->blocks;
		bpf_fork_done(rp, &rec->f);
		rp->sink->fork(rp->sink->ctx, &rec->f);
	}
	free(rec->waits);
	free(rec->blocks);
	free(rec);
}

static void rec_put(struct replay *rp, struct fork_rec *rec)
{
	rec->refs--;
	rec_finish(rp, rec);
}

/* ---- the hold of the owner ------------------------------------------------ */

static void hold_open(struct replay *rp, struct task *t, uint64_t mm, uint64_t ts)
{
	struct fork_rec *rec = replay_calloc(rp, 1, sizeof(*rec));

	if (!rec)
		return;
	rec->refs = 1;
	t->rec = rec;
	t->win = WIN_HOLD;
	t->win_mm = mm;
	t->win_newmm = 0;
	t->win_acquired = ts;
	t->win_start = t->lock_start_mm == mm ? t->lock_start_ts : ts;
	t->lock_start_mm = 0;
	replay_map_put(rp, &rp->windows, mm, t);
	if (t->mm && (!t->mm->ptr || t->mm->ptr == mm))
		t->mm->window = t;
}

static void fill_fork(struct replay *rp, struct task *t, struct fork_rec *rec)
{
	struct fl_fork *f = &rec->f;

	f->parent_pid = t->pid;
	f->parent_tgid = t->tgid;
	f->command_tree = !rp->info->has_command_tree ? FL_TREE_NONE :
			  t->in_command ? FL_TREE_IN : FL_TREE_OUT;
	memcpy(f->comm, t->comm, sizeof(f->comm));
	f->child_pid = -1;
	f->threads = model_threads(rp, t);
	f->mm_users = -1;
	f->mm_count = -1;
	f->map_count = -1;
	f->vmas_dontcopy = -1;
	f->mm_users_max = f->mm_users_end = f->mm_count_end = f->map_count_end = -1;
	f->rise_vma = f->rise_pid = -1;
	f->vmas_anon_vma = -1;
	f->light = rp->info->light;
	f->src = (struct fl_sources){
		.threads = f->threads >= 0 ? FL_SRC_TRACEPOINT : FL_SRC_NONE,
		.vmas_copied = FL_SRC_TRACEPOINT,
	};
	f->uffd = model_uffd(rp, t);
	dc_of_fork(rp, t->mm, f);
	f->tier = FL_TIER_TRACEPOINT;
	f->fn_unresolved = rp->info->fn_unresolved;
	if (t->mm)
		f->kinds = t->mm->kinds;
	else
		f->kinds = (struct fl_vma_kinds){ -1, -1, -1, -1, FL_KINDS_UNKNOWN };
	/* read inside dup_mmap(): authoritative where present */
	if (t->kp_dup && t->kp_oldmm == t->win_mm) {
		f->kprobe = true;
		f->tier = FL_TIER_KPROBE;
		/* kept apart from the model's threads: a holder may be no thread */
		f->mm_users = t->kp_users;
		f->mm_count = t->kp_count;
		f->src.mm_users = FL_SRC_KPROBE;
		f->src.mm_count = FL_SRC_KPROBE;
		/* the VMAs dup_mmap()'s loop visits: each is write-locked */
		if (t->kp_map_count >= 0) {
			f->map_count = t->kp_map_count;
			f->src.map_count = FL_SRC_KPROBE;
		}
		memcpy(rec->inflight, t->kp_inflight, sizeof(rec->inflight));
		rec->nr_inflight = t->kp_nr_inflight;
		memcpy(rec->unres, t->kp_unres, sizeof(rec->unres));
		rec->nr_unres = t->kp_nr_unres;
		rec->kp_read_ts = t->kp_read_ts;
		rec->kp_read_end = t->kp_read_end;
		if (t->kp_count == 1)
			f->uffd = FL_UFFD_NONE;	/* nothing else holds the mm */
	}
	t->kp_dup = false;
}

/* The hold ends: a fork window waits for its child, anything else is dropped. */
static void hold_close(struct replay *rp, struct task *t, uint64_t ts)
{
	struct fork_rec *rec = t->rec;

	offcpu_hold_end(rp, t, ts);
	u64map_del(&rp->windows, t->win_mm);
	if (t->mm && t->mm->window == t)
		t->mm->window = NULL;
	t->rec = NULL;
	if (rec && rec->is_fork) {
		struct fl_fork *f = &rec->f;

		rec->closed = true;
		f->window_ns = ts - t->win_acquired;
		f->lock_wait_ns = t->win_acquired - t->win_start;
		/* this task learns its mm pointer; the new mm belongs to the child */
		mm_learn_ptr(rp, t->mm, t->win_mm);
		if (t->mm) {
			/* a fork copies every VMA: the count is exact now */
			uint32_t vmas = f->vmas_copied +
					(f->vmas_dontcopy > 0 ? (uint32_t)f->vmas_dontcopy : 0);

			if (t->mm->vmas != vmas)
				mm_vmas_changed(t->mm);
			t->mm->vmas = vmas;
		}
		win_abort_pending(rp, t);
		t->pending = rec;
	} else if (rec) {
		/* mmap, munmap, mprotect, brk...: this mm's VMAs may have changed */
		if (t->mm && (!t->mm->ptr || t->mm->ptr == t->win_mm)) {
			mm_vmas_changed(t->mm);
			/* madvise(DONTFORK/DOFORK) and munmap are followed */
			if (!dc_hold_end(rp, t, t->mm) && !t->hold_accounted)
				dc_vmas_changed(t->mm);
		}
		t->hold_accounted = false;
		rec->settled = true;
		rec_put(rp, rec);
	}
	t->win = WIN_NONE;
	t->win_mm = t->win_newmm = 0;
}

void win_abort_pending(struct replay *rp, struct task *t)
{
	struct fork_rec *rec = t->pending;

	if (!rec)
		return;
	t->pending = NULL;
	rec->aborted = true;
	rec->settled = true;
	rec_put(rp, rec);
}

struct fork_rec *win_take_pending(struct replay *rp, struct task *parent)
{
	struct fork_rec *rec = parent->pending;

	parent->pending = NULL;
	return rec;
}

void win_settle(struct replay *rp, struct fork_rec *rec, int child, uint64_t flags)
{
	rec->f.child_pid = child;
	rec->f.clone_flags = flags;
	rec->settled = true;
	rec_put(rp, rec);
}

/* ---- accessors ------------------------------------------------------------------ */

static void acc_add(struct replay *rp, struct task *owner, struct task *x,
		    enum fl_access kind, uint64_t ts)
{
	struct fork_rec *rec = owner->rec;
	struct fl_fork *f;
	struct fl_accessor *a;

	if (!rec)
		return;
	win_acc_forget(rp, x);
	f = &rec->f;
	f->nr_accessors++;
	f->accessors_by_kind[kind]++;
	rec->refs++;		/* dropped by win_acc_forget() */
	x->acc_rec = rec;
	x->acc_idx = -1;
	x->acc_kind = kind;
	if (f->nr_detail >= FL_FORK_ACCESSORS)
		return;
	x->acc_idx = (int)f->nr_detail;
	a = &f->accessor[f->nr_detail++];
	a->kind = kind;
	a->pid = x->pid;
	a->tgid = x->tgid;
	memcpy(a->comm, x->comm, sizeof(a->comm));
	a->ts = ts;
	a->blocked_ns = -1;
	a->uffd_cmd = kind == FL_ACC_UFFD_IOCTL ? (x->ioctl_cmd & 0xff) : 0;
}

/* Change the kind of @x's accessor in @rec (a fault that fell back, ...). */
static void acc_rekind(struct task *x, enum fl_access kind)
{
	struct fl_fork *f = &x->acc_rec->f;

	if (x->acc_kind == kind)
		return;
	f->accessors_by_kind[x->acc_kind]--;
	f->accessors_by_kind[kind]++;
	x->acc_kind = kind;
	if (x->acc_idx >= 0)	/* counted only, beyond the detailed ones */
		f->accessor[x->acc_idx].kind = kind;
}

/*
 * A task refers to the fork it is an accessor of while its access goes on
 * (a fault, an ioctl, a wait for oldmm); the reference keeps the fork from
 * being handed over before the wait is known.
 */
void win_acc_forget(struct replay *rp, struct task *x)
{
	struct fork_rec *rec = x->acc_rec;

	x->acc_waiting = false;
	x->acc_rec = NULL;
	x->acc_idx = -1;
	if (rec)
		rec_put(rp, rec);
}

static void acc_wait(struct task *x, uint64_t mm, uint64_t ts)
{
	x->acc_waiting = true;
	x->acc_mm = mm;
	x->acc_start = ts;
}

static void acc_done_waiting(struct replay *rp, struct task *x, uint64_t ts)
{
	struct fork_rec *rec = x->acc_rec;
	uint64_t blocked = ts - x->acc_start;

	if (rec) {
		rec->f.blocked_ns += blocked;
		if (x->acc_idx >= 0)
			rec->f.accessor[x->acc_idx].blocked_ns = (int64_t)blocked;
	}
	win_acc_forget(rp, x);
}

/* ---- events ------------------------------------------------------------------ */

/*
 * A UFFDIO_* ioctl locking another process's mm (its pointer known from a
 * write hold): that mm owns the ioctl's uffd, even outside any window (a
 * uffd passed with SCM_RIGHTS is otherwise unseen).
 */
static void uffd_ioctl_lock(struct replay *rp, struct task *t, uint64_t ptr)
{
	struct fl_mm *mm;

	if (!t->in_uffd_ioctl || t->tgid <= 0 || (t->mm && t->mm->ptr == ptr))
		return;
	mm = u64map_get(&rp->mms, ptr);
	if (mm && mm != t->mm && !uffd_owner(rp, t->tgid, t->ioctl_fd))
		uffd_learn_owner(rp, t->tgid, t->ioctl_fd, mm);
}

void win_lock_start(struct replay *rp, struct task *t, uint64_t mm, bool write, uint64_t ts)
{
	struct task *owner;

	t->lock_seen = true;
	uffd_ioctl_lock(rp, t, mm);
	if (write) {
		if (t->win == WIN_HOLD && mm != t->win_mm) {
			/* mmap_write_lock_nested(mm) in dup_mmap(): a fork window */
			t->win = WIN_NESTED_LOCKING;
			t->win_newmm = mm;
			if (t->rec && !t->rec->is_fork) {
				t->rec->is_fork = true;
				t->rec->f.ts = t->win_acquired;
				t->rec->f.oldmm = t->win_mm;
				t->rec->f.newmm = mm;
				fill_fork(rp, t, t->rec);
			}
			return;
		}
		if (t->win == WIN_NONE) {
			t->lock_start_mm = mm;
			t->lock_start_ts = ts;
		}
	}

	owner = u64map_get(&rp->windows, mm);
	if (!owner || owner == t || !owner->rec)
		return;
	/* a failed trylock, then the blocking lock: the same access, still waiting */
	if (t->acc_waiting && t->acc_rec == owner->rec && t->acc_mm == mm)
		return;
	if (t->in_uffd_ioctl) {
		/* the ioctl fell back from the per-VMA lock to oldmm's mmap_lock */
		if (!t->ioctl_counted || t->acc_rec != owner->rec) {
			acc_add(rp, owner, t, FL_ACC_UFFD_IOCTL, t->ioctl_ts);
			t->ioctl_counted = true;
		}
		if (t->tgid > 0 && owner->mm)
			uffd_learn_owner(rp, t->tgid, t->ioctl_fd, owner->mm);
	} else if (t->fault_pending && t->acc_rec == owner->rec) {
		acc_rekind(t, FL_ACC_FAULT_FALLBACK);
	} else if (t->fault_pending && t->mm && t->mm == owner->mm) {
		/* the fault began before the window: it is the access */
		acc_add(rp, owner, t, FL_ACC_FAULT_FALLBACK, t->fault_ts);
	} else {
		acc_add(rp, owner, t, t->mm && t->mm == owner->mm ? FL_ACC_MMAP_LOCK : FL_ACC_REMOTE, ts);
	}
	if (t->acc_rec == owner->rec && !t->acc_waiting)
		acc_wait(t, mm, ts);
}

void win_lock_acquired(struct replay *rp, struct task *t, uint64_t mm, bool write,
		       bool success, uint64_t ts)
{
	t->lock_seen = true;
	/* mmap_read_trylock() failed: the blocking lock comes next, same wait */
	if (!success && !write)
		return;
	t->fault_pending = false;
	if (t->acc_waiting && t->acc_mm == mm)
		acc_done_waiting(rp, t, ts);
	else if (!t->acc_waiting && !t->in_uffd_ioctl)
		win_acc_forget(rp, t);

	if (!write) {
		/* a read acquire of the mm this task write-holds: mmap_write_downgrade() */
		if (t->win != WIN_NONE && mm == t->win_mm)
			hold_close(rp, t, ts);
		return;
	}
	if (t->win == WIN_NESTED_LOCKING && mm == t->win_newmm) {
		t->win = WIN_NESTED;
		return;
	}
	if (!success) {
		rp->info->failed_write_locks++;
		t->lock_start_mm = 0;
		return;
	}
	if (t->win != WIN_NONE) {
		if (mm == t->win_mm || mm == t->win_newmm)
			return;		/* already known held */
		/* events were lost: the old hold's release was never seen */
		hold_close(rp, t, ts);
	}
	hold_open(rp, t, mm, ts);
}

void win_lock_released(struct replay *rp, struct task *t, uint64_t mm, bool write, uint64_t ts)
{
	t->fault_pending = false;
	if (!t->acc_waiting && !t->in_uffd_ioctl)
		win_acc_forget(rp, t);
	if (!write)
		return;
	if (t->win != WIN_NONE) {
		if (mm == t->win_mm)
			hold_close(rp, t, ts);
		else if (mm == t->win_newmm && t->win == WIN_NESTED)
			t->win = WIN_NESTED_DONE;
		return;
	}
	if (t->lock_seen)
		return;
	/*
	 * The recording began inside a write hold of this task.  Two write
	 * releases in a row, the new mm first, are the end of a fork window
	 * that began before the trace: a partial fork.
	 */
	if (!t->partial_newmm) {
		t->partial_newmm = mm;
		return;
	}
	{
		struct fork_rec *rec = replay_calloc(rp, 1, sizeof(*rec));

		t->lock_seen = true;
		if (!rec)
			return;
		rec->refs = 1;
		rec->is_fork = true;
		rec->closed = true;
		fill_fork(rp, t, rec);
		rec->f.partial = true;
		rec->f.ts = rp->info->first_ts;
		rec->f.oldmm = mm;
		rec->f.newmm = t->partial_newmm;
		rec->f.vmas_copied = t->partial_vmas;
		rec->f.window_ns = ts - rp->info->first_ts;
		mm_learn_ptr(rp, t->mm, mm);
		win_abort_pending(rp, t);
		t->pending = rec;
	}
}

void win_ma_write(struct replay *rp, struct task *t, bool is_store, uint64_t index,
		  uint64_t last)
{
	/*
	 * Only mas_store counts, here and in a madvise(): the other maple
	 * tree writes (mas_store_prealloc, mas_wr_*) reach the replay only
	 * from recorders that do not filter ma_write in the kernel, and a
	 * trace is read the same whether they are in it or not.
	 */
	if (!is_store)
		return;
	if (t->win == WIN_HOLD)
		dc_hold_write(t);	/* a split or merge in a madvise() */
	if (t->win == WIN_NESTED && t->rec) {
		t->rec->f.vmas_copied++;
		offcpu_vma(rp, t, index, last);
	} else if (!t->lock_seen)
		t->partial_vmas++;
}

void win_fault(struct replay *rp, struct task *t, uint64_t ts)
{
	struct task *owner;

	if (!t->acc_waiting)
		win_acc_forget(rp, t);
	t->fault_pending = true;
	t->fault_ts = ts;
	if (!t->mm || !(owner = t->mm->window) || owner == t || !owner->rec)
		return;
	acc_add(rp, owner, t, FL_ACC_SIBLING_FAULT, ts);
}

void win_uffd_ioctl(struct replay *rp, struct task *t, uint64_t ts)
{
	struct fl_mm *mm = t->tgid > 0 ? uffd_owner(rp, t->tgid, t->ioctl_fd) : NULL;
	struct task *owner = mm ? mm->window : NULL;

	if (!owner || owner == t || !owner->rec)
		return;
	acc_add(rp, owner, t, FL_ACC_UFFD_IOCTL, ts);
	t->ioctl_counted = true;
}

/* ---- the end of a task, of events, of the trace ------------------------------ */

void win_task_gone(struct replay *rp, struct task *t)
{
	if (t->win != WIN_NONE)
		hold_close(rp, t, t->win_acquired);
	win_abort_pending(rp, t);
	win_acc_forget(rp, t);
}

/* Events were lost: every fork not yet finished may be missing some. */
void win_lost_events(struct replay *rp)
{
	size_t i = 0;
	void *val;

	rp->lost_seen = true;	/* a madvise() may be among them (dontcopy.c) */
	while (u64map_next(&rp->tasks, &i, NULL, &val)) {
		struct task *t = val;

		if (t->rec)
			t->rec->f.lost_events = true;
		if (t->pending)
			t->pending->f.lost_events = true;
	}
}

void win_end_of_trace(struct replay *rp)
{
	size_t i = 0;
	void *val;

	while (u64map_next(&rp->tasks, &i, NULL, &val)) {
		struct task *t = val;

		offcpu_hold_end(rp, t, rp->info->last_ts);
		if (t->rec && t->rec->is_fork) {
			/* window still open: cut by the end of the recording */
			t->rec->f.partial = true;
			t->rec->f.window_ns = rp->info->last_ts - t->win_acquired;
			t->rec->f.lock_wait_ns = t->win_acquired - t->win_start;
			t->rec->settled = true;
			u64map_del(&rp->windows, t->win_mm);
			rec_put(rp, t->rec);
		} else if (t->rec) {
			t->rec->settled = true;
			rec_put(rp, t->rec);
		}
		t->rec = NULL;
		t->win = WIN_NONE;
		if (t->pending) {
			/* the child would have come after the recording */
			t->pending->f.partial = true;
			t->pending->settled = true;
			rec_put(rp, t->pending);
			t->pending = NULL;
		}
	}
	i = 0;
	while (u64map_next(&rp->tasks, &i, NULL, &val))
		win_acc_forget(rp, val);
}
