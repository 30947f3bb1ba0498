// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The task/mm model: which task shares which address space, from the
 * recorder's /proc snapshot and then task_newtask (FL_CLONE_VM, FL_CLONE_THREAD),
 * exec and exit.  An mm is known by its pointer only once a fork window (or
 * another write hold of its own task) shows it; exit_mmap and exec retire a
 * pointer, because the kernel reuses them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/replay-int.h"


struct task *model_task_find(struct replay *rp, int pid)
{
	return u64map_get(&rp->tasks, (uint64_t)pid + 1);
}

struct task *model_task(struct replay *rp, int pid)
{
	struct task *t = model_task_find(rp, pid);

	if (t)
		return t;
	t = replay_calloc(rp, 1, sizeof(*t));
	if (!t)
		return NULL;
	t->pid = pid;
	t->tgid = -1;
	t->acc_idx = -1;
	if (replay_map_put(rp, &rp->tasks, (uint64_t)pid + 1, t) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

void model_mm_join(struct replay *rp, struct task *t, struct fl_mm *mm)
{
	if (t->mm == mm)
		return;
	if (t->mm) {
		t->mm->users--;
		mm_put(rp, t->mm);
	}
	t->mm = mm;
	if (mm) {
		mm->users++;
		mm->refs++;
	}
}

int model_threads(struct replay *rp, struct task *t)
{
	if (!t->mm || !t->mm->users_known || !rp->have_exit)
		return -1;
	return t->mm->users;
}

enum fl_uffd model_uffd(struct replay *rp, struct task *t)
{
	if (!t->mm)
		return FL_UFFD_UNKNOWN;
	if (t->mm->uffd == FL_UFFD_NONE && !rp->have_uffd)
		return FL_UFFD_UNKNOWN;
	return t->mm->uffd;
}

/* ---- the snapshot (replay/snapshot.c reads its lines) ------------------------ */

struct fl_mm *model_snap_proc(struct replay *rp, int tgid, bool kthread, uint32_t vmas,
			      const struct fl_vma_kinds *kinds)
{
	struct fl_mm *mm, *old;

	if (kthread) {
		/* no mm: its tasks get mm NULL and kthread set */
		replay_map_put(rp, &rp->snap_mms, (uint64_t)tgid + 1, (void *)1);
		return NULL;
	}
	mm = mm_new(rp);
	if (!mm)
		return NULL;
	mm->users_known = true;
	mm->vmas = vmas;
	mm->kinds = *kinds;
	mm->uffd = FL_UFFD_NONE;
	mm->refs = 1;		/* held by snap_mms until the snapshot ends */
	old = u64map_get(&rp->snap_mms, (uint64_t)tgid + 1);
	if (old && old != (void *)1)
		mm_put(rp, old);	/* the same process twice: the last line counts */
	replay_map_put(rp, &rp->snap_mms, (uint64_t)tgid + 1, mm);
	return mm;
}

void model_snap_task(struct replay *rp, int pid, int tgid, const char *comm)
{
	struct fl_mm *mm;
	struct task *t;

	t = model_task(rp, pid);
	if (!t)
		return;
	t->tgid = tgid;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	mm = u64map_get(&rp->snap_mms, (uint64_t)tgid + 1);
	if (mm == (void *)1) {
		t->kthread = true;
		model_mm_join(rp, t, NULL);
	} else if (mm) {
		model_mm_join(rp, t, mm);
	}
}

void model_snap_end(struct replay *rp)
{
	size_t i = 0;
	void *val;

	while (u64map_next(&rp->snap_mms, &i, NULL, &val))
		if (val != (void *)1)
			mm_put(rp, val);
	u64map_free(&rp->snap_mms);
}

/* ---- lifecycle --------------------------------------------------------------- */

/* Forget @t: an exited task is freed by the ring, any other one now. */
static void task_drop(struct replay *rp, struct task *t)
{
	if (u64map_get(&rp->tasks, (uint64_t)t->pid + 1) == t)
		u64map_del(&rp->tasks, (uint64_t)t->pid + 1);
	if (!t->exited) {
		model_mm_join(rp, t, NULL);
		free(t);
	}
}


void model_comm(struct replay *rp, int pid, const char *comm)
{
	struct task *t = pid > 0 ? model_task_find(rp, pid) : NULL;

	if (!t || !*comm)
		return;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	fl_comm_clean(t->comm);
}

void model_newtask(struct replay *rp, struct task *parent, int child, uint64_t flags,
		   const char *comm, uint64_t newmm)
{
	struct task *c = model_task_find(rp, child);
	struct fl_mm *mm;

	if (c && c->exited)
		task_drop(rp, c);	/* the pid was reused */
	c = model_task(rp, child);
	if (!c)
		return;
	snprintf(c->comm, sizeof(c->comm), "%s", comm);
	fl_comm_clean(c->comm);
	c->kthread = parent->kthread;
	c->in_command = parent->in_command;	/* the tree is what COMMAND created */
	if (flags & FL_CLONE_THREAD)
		c->tgid = parent->tgid;
	else
		c->tgid = child;
	if (!(flags & FL_CLONE_FILES) && !(flags & FL_CLONE_THREAD) && parent->tgid > 0)
		uffd_fork(rp, parent->tgid, child);

	if (flags & FL_CLONE_VM) {
		model_mm_join(rp, c, parent->mm);
		return;
	}
	if (parent->kthread) {
		/* a user-mode helper: no mm until it execs */
		model_mm_join(rp, c, NULL);
		return;
	}
	mm = mm_new(rp);
	if (!mm)
		return;
	mm->users_known = true;
	dc_set(mm, 0);		/* VM_DONTCOPY VMAs are not copied: the child has none */
	if (parent->mm) {
		mm->vmas = parent->mm->vmas;
		mm->kinds = parent->mm->kinds;
		/* the child has the same mappings: same ranges */
		if (parent->mm->nr_shared) {
			mm->shared_ranges = replay_realloc(rp, NULL, parent->mm->nr_shared,
							   sizeof(struct fl_range));
			if (mm->shared_ranges) {
				memcpy(mm->shared_ranges, parent->mm->shared_ranges,
				       parent->mm->nr_shared * sizeof(struct fl_range));
				mm->nr_shared = mm->alloc_shared = parent->mm->nr_shared;
			}
		}
		/*
		 * Without UFFD_FEATURE_EVENT_FORK the child's VMAs lose their
		 * uffd; with it the child gets a context of its own.  The trace
		 * cannot tell which.
		 */
		mm->uffd = parent->mm->uffd == FL_UFFD_NONE ? FL_UFFD_NONE : FL_UFFD_UNKNOWN;
		vmamap_copy(rp, mm, parent->mm);
	} else {
		mm->uffd = FL_UFFD_UNKNOWN;
		mm->kinds = (struct fl_vma_kinds){ -1, -1, -1, -1, FL_KINDS_UNKNOWN };
	}
	model_mm_join(rp, c, mm);
	mm_learn_ptr(rp, mm, newmm);
}

struct task *model_exec_replaces(struct replay *rp, int pid, int old_pid)
{
	struct task *old, *gone;

	if (old_pid == pid || old_pid <= 0)
		return NULL;
	old = u64map_get(&rp->tasks, (uint64_t)old_pid + 1);
	gone = u64map_get(&rp->tasks, (uint64_t)pid + 1);
	return old && gone && gone != old ? gone : NULL;
}

void model_exec(struct replay *rp, int pid, int old_pid, const char *filename)
{
	struct task *t;
	struct fl_mm *mm;
	const char *base;

	if (old_pid != pid && old_pid > 0) {
		/* a thread exec'd: it takes over the leader's pid */
		struct task *old = u64map_del(&rp->tasks, (uint64_t)old_pid + 1);
		struct task *gone = u64map_get(&rp->tasks, (uint64_t)pid + 1);

		if (old) {
			if (gone && gone != old)
				task_drop(rp, gone);	/* its holds ended (win_task_gone()) */
			old->pid = pid;
			replay_map_put(rp, &rp->tasks, (uint64_t)pid + 1, old);
		}
	}
	t = model_task(rp, pid);
	if (!t)
		return;
	if (t->tgid > 0)
		uffd_exec(rp, t->tgid);
	else
		t->tgid = pid;
	mm = mm_new(rp);
	if (mm) {
		mm->users_known = true;
		mm->uffd = FL_UFFD_NONE;
		dc_set(mm, 0);	/* a new image: nothing madvise()d yet */
		/*
		 * The new image maps the binary, ld.so and the libraries
		 * private: the shared mappings are the ones mmap()ed from now.
		 */
		mm->kinds = (struct fl_vma_kinds){ 0, -1, -1, -1, FL_KINDS_ESTIMATED };
	}
	model_mm_join(rp, t, mm);
	t->kthread = false;
	base = strrchr(filename, '/');
	base = base ? base + 1 : filename;
	snprintf(t->comm, sizeof(t->comm), "%s", base);
	fl_comm_clean(t->comm);
}

struct task *model_exit(struct replay *rp, struct task *t)
{
	struct task *old;

	/* the last task of a process closes its files */
	if (t->tgid > 0 && (t->mm ? t->mm->users == 1 : t->pid == t->tgid))
		uffd_exit(rp, t->tgid);
	model_mm_join(rp, t, NULL);
	/* exit_mm() still comes: keep the task for its last events */
	t->exited = true;
	old = rp->exited[rp->exited_next];
	if (old && u64map_get(&rp->tasks, (uint64_t)old->pid + 1) == old)
		u64map_del(&rp->tasks, (uint64_t)old->pid + 1);
	rp->exited[rp->exited_next] = t;
	rp->exited_next = (rp->exited_next + 1) % FL_EXITED;
	return old;
}

void model_task_free(struct replay *rp, struct task *t)
{
	model_mm_join(rp, t, NULL);	/* an event after its exit gave it an mm */
	free(t);
}

void model_free(struct replay *rp)
{
	size_t i = 0;
	void *val;

	while (u64map_next(&rp->tasks, &i, NULL, &val)) {
		struct task *t = val;

		if (t->exited)
			continue;	/* the ring frees it */
		model_mm_join(rp, t, NULL);
		free(t);
	}
	u64map_free(&rp->tasks);
	for (i = 0; i < FL_EXITED; i++) {
		if (rp->exited[i])
			model_task_free(rp, rp->exited[i]);
		rp->exited[i] = NULL;
	}
	i = 0;
	while (u64map_next(&rp->snap_mms, &i, NULL, &val))
		if (val != (void *)1)
			mm_put(rp, val);
	u64map_free(&rp->snap_mms);
	u64map_free(&rp->mms);
	u64map_free(&rp->windows);
}
