// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The forking task off-CPU inside its window, from sched_switch and
 * sched_waking (events/events.c has their filters):
 *
 *   sched_switch prev = T, prev_state blocked (D, ...)  -> a block of T opens
 *   sched_switch prev = T, runnable (R, or R+ preempted) -> T is preempted
 *   sched_waking pid = T (common_pid W)                  -> the block ends; W woke T;
 *                                                           runnable until T runs
 *   any event of T, or sched_switch next = T             -> T runs again
 *
 * Off-CPU time is split in two: blocked (not runnable: switched out
 * blocked until woken) and preempted (runnable: preempted, or woken and
 * waiting for a CPU).  A waker may run try_to_wake_up() after the task
 * set its sleeping state and before its switch is traced (the wakeup then
 * completes on the task's CPU): that sched_waking comes first, and the
 * block that follows is charged to it.  Each block records its waker and what the trace
 * last saw the waker do (a UFFDIO_* ioctl in flight, a page fault in the
 * same mm, a wait for oldmm's mmap_lock, something else), and where in the
 * copy loop the fork was: the VMA whose mas_store came next (window.c
 * calls offcpu_vma() with its range; its kind is from vmamap.c).  Only the
 * hold of a write-locked mm is followed (t->rec): blocks before the window
 * opened are its lock wait (lock_wait_ns), not counted here.
 */
#include <stdio.h>
#include <string.h>

#include "replay/replay-int.h"

/* prev_state bits (include/linux/sched.h, as sched_switch reports them) */
#define FL_TASK_REPORT		0x7f	/* S D T t X Z P */
#define FL_TASK_REPORT_MAX	0x100	/* the "+" of R+: preempted */

static struct fl_block *block_add(struct replay *rp, struct fork_rec *rec)
{
	struct fl_block *b;

	if (rec->f.nr_blocks == rec->alloc_blocks) {
		uint32_t alloc = rec->alloc_blocks ? rec->alloc_blocks * 2 : 4;
		struct fl_block *n = replay_realloc(rp, rec->blocks, alloc, sizeof(*n));

		if (!n)
			return NULL;
		rec->blocks = n;
		rec->alloc_blocks = alloc;
	}
	b = &rec->blocks[rec->f.nr_blocks++];
	memset(b, 0, sizeof(*b));
	b->waker_pid = -1;
	b->waker_tgid = -1;
	b->waker_same_mm = -1;
	b->uffd_on_oldmm = -1;
	b->vma_kind = FL_VMA_UNKNOWN;
	b->activity = FL_WAKE_UNSEEN;
	b->placed = rp->dec.ids[FL_EV_MA_WRITE] >= 0 && !rp->light ? 0 : -1;
	return b;
}

void offcpu_switch_out(struct replay *rp, struct task *t, int64_t state, uint64_t ts)
{
	struct fork_rec *rec = t->rec;
	bool early = t->early_wake;

	offcpu_ran(rp, t, ts);
	t->early_wake = early;
	if (!rec)
		return;
	t->off_cpu = true;
	t->off_ts = ts;
	t->off_woken = false;
	t->off_block = -1;
	t->off_blocked = (state & FL_TASK_REPORT) && !(state & FL_TASK_REPORT_MAX);
	if (t->off_blocked && block_add(rp, rec)) {
		struct fl_block *b = &rec->blocks[rec->f.nr_blocks - 1];

		t->off_block = (int)rec->f.nr_blocks - 1;
		if (t->early_wake) {
			int8_t placed = b->placed;

			/* woken already: blocked until it runs, behind that waker */
			*b = t->early;
			b->placed = placed;
			t->off_woken = true;
			t->off_wake_ts = 0;
		}
		b->ts = ts;
	}
	t->early_wake = false;
}

/* What @w was doing when it woke @t, as far as the trace last saw it. */
static void waker_activity(struct replay *rp, struct fl_block *b, struct task *w,
			   struct task *t)
{
	if (w->in_uffd_ioctl) {
		struct fl_mm *owner = w->tgid > 0 ? uffd_owner(rp, w->tgid, w->ioctl_fd) : NULL;

		b->activity = FL_WAKE_UFFD_IOCTL;
		b->uffd_cmd = w->ioctl_cmd & 0xff;
		if (owner && t->mm)
			b->uffd_on_oldmm = owner == t->mm;
	} else if (w->fault_pending && w->mm && w->mm == t->mm) {
		b->activity = FL_WAKE_SIBLING_FAULT;
	} else if (w->acc_rec && w->acc_rec == t->rec &&
		   (w->acc_kind == FL_ACC_MMAP_LOCK || w->acc_kind == FL_ACC_FAULT_FALLBACK)) {
		b->activity = FL_WAKE_MMAP_LOCK;
	} else if (w->acc_rec && w->acc_rec == t->rec && w->acc_kind == FL_ACC_REMOTE) {
		b->activity = FL_WAKE_REMOTE;
	} else {
		b->activity = FL_WAKE_OTHER;
	}
}

void offcpu_waking(struct replay *rp, int waker_pid, int pid, uint64_t ts)
{
	struct task *t = model_task_find(rp, pid);
	struct task *w = waker_pid > 0 ? model_task_find(rp, waker_pid) : NULL;
	struct fl_block *b;

	if (!t || !t->rec)
		return;
	if (!t->off_cpu) {
		/* on the CPU still: its switch out, if one follows, is this sleep */
		b = &t->early;
		memset(b, 0, sizeof(*b));
		b->vma_kind = FL_VMA_UNKNOWN;
		b->waker_tgid = -1;
		t->early_wake = true;
	} else {
		if (!t->off_blocked || t->off_woken)
			return;
		t->off_woken = true;
		t->off_wake_ts = ts;
		if (t->off_block < 0)
			return;
		b = &t->rec->blocks[t->off_block];
		b->ns = ts - t->off_ts;
		t->rec->f.fork_blocked_ns += b->ns;
	}
	b->waker_pid = waker_pid;
	b->waker_same_mm = -1;
	b->uffd_on_oldmm = -1;
	if (!w) {
		/* from an interrupt on an idle CPU (common_pid 0), or a task never seen */
		snprintf(b->waker_comm, sizeof(b->waker_comm), "%s",
			 waker_pid > 0 ? "<unknown>" : "<idle>");
		b->activity = FL_WAKE_OTHER;
		return;
	}
	b->waker_tgid = w->tgid;
	memcpy(b->waker_comm, w->comm, sizeof(b->waker_comm));
	if (w->mm && t->mm)
		b->waker_same_mm = w->mm == t->mm;
	waker_activity(rp, b, w, t);
}

void offcpu_ran(struct replay *rp, struct task *t, uint64_t ts)
{
	struct fork_rec *rec = t->rec;

	t->early_wake = false;
	if (!t->off_cpu)
		return;
	t->off_cpu = false;
	if (!rec || ts < t->off_ts)
		return;
	if (t->off_blocked && (!t->off_woken || !t->off_wake_ts)) {
		/* woken before its switch, or no waking seen (an upper bound): until it ran */
		if (t->off_block >= 0) {
			struct fl_block *b = &rec->blocks[t->off_block];

			b->ns = ts - t->off_ts;
			rec->f.fork_blocked_ns += b->ns;
		}
	} else if (t->off_blocked) {
		rec->f.fork_preempted_ns += ts - t->off_wake_ts;
	} else {
		rec->f.fork_preempted_ns += ts - t->off_ts;
	}
}

/* The hold ends (or is cut): nothing may point into its record any more. */
void offcpu_hold_end(struct replay *rp, struct task *t, uint64_t ts)
{
	offcpu_ran(rp, t, ts);
	t->off_cpu = false;
}

/* @t's next mas_store in its window: the VMA each pending block waited on. */
void offcpu_vma(struct replay *rp, struct task *t, uint64_t index, uint64_t last)
{
	struct fork_rec *rec = t->rec;
	enum fl_vma_kind kind;

	if (!rec || rec->vma_pending >= rec->f.nr_blocks)
		return;
	kind = vmamap_kind(t->mm, index);
	for (; rec->vma_pending < rec->f.nr_blocks; rec->vma_pending++) {
		struct fl_block *b = &rec->blocks[rec->vma_pending];

		b->vma_start = index;
		b->vma_end = last + 1;
		b->vma_kind = kind;
		b->placed = 1;
	}
}
