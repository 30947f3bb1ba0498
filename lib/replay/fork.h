/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One fork as replay reconstructs it: the oldmm write-lock window of
 * dup_mmap(), what it copied, who shared oldmm, and who touched oldmm while
 * the window was open.  This is what the policies and renderers see.
 */
#ifndef FORKLOCK_FORK_H
#define FORKLOCK_FORK_H

#include <stdbool.h>
#include <stdint.h>

/* clone flags (include/uapi/linux/sched.h) */
#define FL_CLONE_VM		0x00000100ULL	/* shares the mm: no dup_mmap() */
#define FL_CLONE_FILES		0x00000400ULL
#define FL_CLONE_VFORK		0x00004000ULL
#define FL_CLONE_THREAD		0x00010000ULL

enum fl_uffd {
	FL_UFFD_NONE,		/* no userfaultfd context on oldmm, as far as the trace shows */
	FL_UFFD_PRESENT,	/* one is (or its holder's fd is) open */
	FL_UFFD_UNKNOWN,	/* the trace cannot tell */
};

enum fl_tier {
	FL_TIER_TRACEPOINT,	/* inferred from tracepoints */
	FL_TIER_KPROBE,		/* read inside dup_mmap() by kprobes */
	FL_TIER_BPF,		/* read by BPF programs on tracepoints */
};

/*
 * Where one value of a fork came from: nowhere (not known), the replay's
 * model of the tracepoints, or a kernel-side read (kprobe, BPF).  Every
 * output says it beside the value.
 */
enum fl_source {
	FL_SRC_NONE,		/* not known */
	FL_SRC_TRACEPOINT,	/* inferred by the replay from tracepoints */
	FL_SRC_KPROBE,		/* read by the kernel-side probe */
	FL_SRC_BPF,		/* read by a BPF program */
	FL_SRC_NR
};

struct fl_sources {
	enum fl_source threads, mm_users, mm_count, map_count, vmas_locked, vmas_copied;
};

/* A fork and forklock record -- COMMAND's process tree. */
enum fl_command_tree {
	FL_TREE_NONE,		/* no COMMAND recorded (or a report that does not say) */
	FL_TREE_IN,		/* by COMMAND or a task it (or its descendants) created */
	FL_TREE_OUT,		/* by another task of the host */
};

/* How vmas_locked is known. */
enum fl_locked_quality {
	FL_LOCKED_EXACT,	/* from the trace: copied VMAs + VM_DONTCOPY ones, both sure */
	FL_LOCKED_KERNEL,	/* read by the kernel (map_count, or each lock counted) */
	FL_LOCKED_ESTIMATED,	/* the trace cannot be sure (VM_DONTCOPY part unknown or guessed) */
	FL_LOCKED_NR
};

/*
 * Why mm_users may be above threads: something else holds an mmget()
 * reference on oldmm while dup_mmap() reads it (the seed thread's
 * transient mm_users).  What the trace names as such a holder.
 */
enum fl_holder_kind {
	FL_HOLD_UFFD_IOCTL,	/* a UFFDIO_* ioctl into oldmm by another process */
	FL_HOLD_REMOTE,		/* another process took oldmm's mmap_lock (/proc reader, ...) */
	FL_HOLD_PTRACE,		/* a tracer (access_process_vm) */
	FL_HOLD_UNKNOWN,	/* mm_users > threads and the trace names no one */
	FL_HOLD_NR
};

enum fl_access {
	FL_ACC_SIBLING_FAULT,	/* a thread sharing oldmm faulted (page_fault_user) */
	FL_ACC_FAULT_FALLBACK,	/* ... and fell back to mmap_lock on oldmm */
	FL_ACC_MMAP_LOCK,	/* a thread sharing oldmm took mmap_lock outside a fault */
	FL_ACC_REMOTE,		/* another process took oldmm's mmap_lock (/proc, ptrace, ...) */
	FL_ACC_UFFD_IOCTL,	/* a UFFDIO_* ioctl into oldmm (any process) */
	FL_ACC_NR
};

/* Can this kind of access reach a VMA without oldmm's mmap_lock? */
static inline bool fl_access_reaches_vma(enum fl_access kind)
{
	return kind == FL_ACC_SIBLING_FAULT || kind == FL_ACC_FAULT_FALLBACK ||
	       kind == FL_ACC_UFFD_IOCTL;
}

const char *fl_access_name(enum fl_access kind);
void fl_comm_clean(char *comm);
const char *fl_uffd_name(enum fl_uffd uffd);
const char *fl_tier_name(enum fl_tier tier);
const char *fl_source_name(enum fl_source src);
const char *fl_locked_quality_name(enum fl_locked_quality q);
const char *fl_holder_name(enum fl_holder_kind kind);

struct fl_holder {
	enum fl_holder_kind kind;
	int pid;		/* -1: not known (FL_HOLD_UNKNOWN) */
	char comm[16];
};

#define FL_FORK_HOLDERS 4	/* extra mm_users holders named per fork */

struct fl_accessor {
	enum fl_access kind;
	int pid, tgid;		/* tgid -1: unknown */
	char comm[16];
	uint64_t ts;		/* when it started (fault, lock attempt, ioctl) */
	int64_t blocked_ns;	/* waited for oldmm's mmap_lock; -1: did not wait / unknown */
	uint32_t uffd_cmd;	/* for FL_ACC_UFFD_IOCTL: the UFFDIO_* number (_UFFDIO_COPY ...) */
};

#define FL_FORK_ACCESSORS 8	/* kept in detail; all are counted */

enum fl_kinds_quality {
	FL_KINDS_UNKNOWN,	/* nothing known about this mm's VMAs */
	FL_KINDS_ESTIMATED,	/* known once; mmap()/munmap()/... may have changed them */
	FL_KINDS_EXACT,		/* from /proc/PID/maps, nothing changed since */
};

const char *fl_kinds_quality_name(enum fl_kinds_quality q);

/* An mm's VMAs by kind; -1 where unknown (see lib/forklock-policy.h). */
struct fl_vma_kinds {
	int32_t shared, anon, cow, special;
	enum fl_kinds_quality quality;
};

/* A VMA's kind, as the replay's VMA map knows it (replay/vmamap.c). */
enum fl_vma_kind {
	FL_VMA_UNKNOWN,		/* no recorded mmap() covers it */
	FL_VMA_ANON,		/* private anonymous: vma_is_anonymous() */
	FL_VMA_COW,		/* private file mapping: is_cow_mapping() (VM_MAYWRITE) */
	FL_VMA_SHARED,		/* MAP_SHARED, file or anonymous: neither */
	FL_VMA_KIND_NR
};

/* What the waker of a blocked fork was doing, as the trace last saw it. */
enum fl_wake {
	FL_WAKE_UNSEEN,		/* no sched_waking for this block */
	FL_WAKE_UFFD_IOCTL,	/* a UFFDIO_* ioctl in flight */
	FL_WAKE_SIBLING_FAULT,	/* a page fault in the forking mm */
	FL_WAKE_MMAP_LOCK,	/* waiting for, or holding, oldmm's mmap_lock (same mm) */
	FL_WAKE_REMOTE,		/* another process at oldmm's mmap_lock (/proc, ptrace) */
	FL_WAKE_OTHER,		/* anything else */
	FL_WAKE_NR
};

const char *fl_vma_kind_name(enum fl_vma_kind kind);
const char *fl_wake_name(enum fl_wake w);
/* "UFFDIO_COPY" for _UFFDIO_COPY ..., NULL for another number */
const char *fl_uffdio_name(uint32_t nr);

/*
 * The forking task switched out not runnable inside its window
 * (sched_switch), until woken (sched_waking).
 */
struct fl_block {
	uint64_t ts;			/* switched out (trace clock) */
	uint64_t ns;			/* until woken; unwoken: until it ran again */
	uint64_t vma_start, vma_end;	/* the VMA whose mas_store came next; 0, 0: none */
	enum fl_vma_kind vma_kind;
	enum fl_wake activity;
	uint32_t uffd_cmd;		/* FL_WAKE_UFFD_IOCTL: _UFFDIO_COPY, ... */
	int waker_pid, waker_tgid;	/* -1: no waking seen, tgid unknown */
	int8_t waker_same_mm;		/* the waker shares oldmm: 1, 0, -1 unknown */
	int8_t uffd_on_oldmm;		/* FL_WAKE_UFFD_IOCTL into oldmm: 1, 0, -1 unknown */
	char waker_comm[16];
	/* a mas_store followed (vma_start/vma_end): 1; the window ended
	 * without one: 0; -1 the trace has no ma_write (--light) */
	int8_t placed;
};

struct fl_fork {
	uint64_t ts;			/* oldmm write lock acquired (ns, trace clock) */
	uint64_t window_ns;		/* acquired -> released */
	uint64_t lock_wait_ns;		/* start_locking -> acquired */
	int parent_pid, parent_tgid;	/* tgid -1: unknown */
	char comm[16];
	int child_pid;			/* -1: not seen */
	uint64_t clone_flags;
	uint64_t oldmm, newmm;
	int threads;			/* tasks sharing oldmm (the model); -1 unknown */
	int mm_users;			/* oldmm->mm_users read by the kernel side; -1 not read */
	int mm_count;			/* oldmm->mm_count read by the kernel side; -1 not read */
	enum fl_uffd uffd;
	uint32_t vmas_copied;		/* ma_write fn=mas_store by the parent in the window */
	uint32_t vmas_locked;		/* parent VMAs dup_mmap() write-locks: VM_DONTCOPY
					 * ones included (locked_quality says how known) */
	struct fl_vma_kinds kinds;	/* oldmm's VMAs by kind, when known */
	enum fl_tier tier;
	bool partial;			/* window began before, or ended after, the recording */
	bool lost_events;		/* events were lost while the window was open */
	bool fn_unresolved;		/* ma_write.fn could not be resolved: all ma_write counted */
	/* concurrent accessors of oldmm inside the window */
	uint32_t nr_accessors;
	uint32_t accessors_by_kind[FL_ACC_NR];
	uint64_t blocked_ns;		/* time others waited for oldmm because of the fork */
	uint32_t nr_detail;
	struct fl_accessor accessor[FL_FORK_ACCESSORS];
	/* kprobe tier: inside dup_mmap() */
	bool kprobe;			/* dup_mmap() was probed for this fork */
	int dup_mmap_ret;		/* its return value */
	uint32_t parent_locks;		/* __vma_start_write() on oldmm's VMAs */
	uint32_t child_locks;		/* ... on the new mm's VMAs (never wait) */
	uint32_t rcu_fallbacks;		/* lock_vma_under_rcu() NULL by sharers of oldmm */
	uint32_t nr_vma_waits;		/* parent locks timed entry -> return */
	uint64_t vma_wait_max_ns, vma_wait_total_ns;
	const uint64_t *vma_wait_ns;	/* each of them (valid while the fork is handed over) */
	/* kernel-read values apart from the model's (grows at its end) */
	int map_count;			/* oldmm->map_count read by the kernel side; -1 not read */
	int vmas_dontcopy;		/* oldmm's VM_DONTCOPY VMAs (locked, not copied); -1 unknown */
	enum fl_locked_quality locked_quality;	/* how vmas_locked is known */
	struct fl_sources src;		/* which tier gave each value */
	/* mm_users > threads: the extra holders of oldmm the trace names */
	uint32_t nr_holders;
	struct fl_holder holder[FL_FORK_HOLDERS];
	enum fl_command_tree command_tree;	/* is the parent in record -- COMMAND's tree */
	/* the forking task off-CPU inside the window (sched_switch, sched_waking) */
	bool sched;			/* the trace has both events: the values below are known */
	uint64_t fork_blocked_ns;	/* not runnable: the blocks' ns summed */
	uint64_t fork_preempted_ns;	/* runnable off-CPU: preempted, or woken, not yet running */
	uint32_t nr_blocks;
	const struct fl_block *blocks;	/* each block (valid while the fork is handed over) */
	/* the bpf tier (lib/replay/bpf.c): oldmm read inside the window */
	int mm_users_max;		/* highest mm_users read in the window; -1 not read */
	int mm_users_end, mm_count_end, map_count_end;	/* ... at its end; -1 not read */
	bool light;			/* recorded --light: no per-VMA reads or events */
	bool rise_known;		/* mm_users was read at every copied VMA */
	int rise_vma;			/* first copied VMA (from 0) where mm_users changed; -1 none */
	int rise_mm_users;		/* mm_users read there */
	int rise_pid;			/* the process the window shows on oldmm then; -1 none */
	char rise_comm[16];
	int vmas_anon_vma;		/* copied VMAs with an anon_vma; -1 unknown */
	/*
	 * A bpf-tier trace whose ring buffer lost records, and this fork has
	 * none: its values are the model's (tier tracepoint) and lost_events
	 * is set, as for any window with lost events.
	 */
	bool bpf_lost;
};

/* mm_users was read and is above the model's threads: something else holds oldmm */
static inline bool fl_fork_extra_users(const struct fl_fork *f)
{
	return f->mm_users >= 0 && f->threads >= 0 && f->mm_users > f->threads;
}

/*
 * How a fork ended: complete (its child was seen), partial (its window
 * began before, or ended after, the recording) or aborted (dup_mmap() ran,
 * no child followed).  Only complete forks are counted and judged.
 */
static inline bool fl_fork_complete(const struct fl_fork *f)
{
	return !f->partial && f->child_pid >= 0;
}

static inline bool fl_fork_aborted(const struct fl_fork *f)
{
	return !f->partial && f->child_pid < 0;
}

#endif
