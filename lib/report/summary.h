/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The numbers of a report: counts over every fork of every trace given,
 * percentiles of window length, VMAs locked and lock wait, the top forking
 * commands and window length by VMA-count bucket.
 *
 * Memory: 24 bytes per complete fork (exact percentiles need every value)
 * plus one entry per distinct command; nothing per event.
 */
#ifndef FORKLOCK_SUMMARY_H
#define FORKLOCK_SUMMARY_H

#include <stdint.h>

#include "replay/fork.h"
#include "replay/replay.h"
#include "report/offcpu.h"
#include "report/rank.h"

struct fl_fork_point {
	uint64_t window_ns;
	uint64_t lock_wait_ns;
	uint32_t vmas_locked;
};

struct fl_comm_stat {
	char comm[16];
	uint64_t forks;
	uint64_t vmas;
	uint64_t window_ns;
};


struct fl_bucket {
	uint32_t lo, hi;		/* VMAs locked, inclusive */
	uint64_t forks;
	uint64_t p50_ns, p99_ns, max_ns;
};

struct fl_pct {
	uint64_t p50, p99, max;
};

#define FL_LONGEST 5

/* A fork whose parent VMA locks waited longest (kprobe tier). */
struct fl_longest {
	uint64_t ts;
	int pid;
	char comm[16];
	uint64_t max_ns, total_ns;
	uint32_t waits;
};

struct fl_summary {
	/*
	 * The view, set before the forks come: only record -- COMMAND's process
	 * tree (the forks it made, its spawns) where a trace has one, or the host
	 */
	bool command_view;
	/* what was read */
	int nr_traces;
	struct fl_trace_info *traces;
	uint64_t events, lost_events, duration_ns;
	bool lost_unknown;
	/* forks */
	uint64_t forks;			/* complete (not partial, not aborted) */
	uint64_t single_threaded_forks;	/* threads == 1 */
	uint64_t multi_threaded_forks;	/* threads > 1 */
	uint64_t unknown_threads_forks;	/* threads not known */
	uint64_t uffd_forks;		/* uffd present */
	uint64_t uffd_unknown_forks;
	uint64_t partial_forks;
	uint64_t aborted_forks;
	uint64_t lossy_forks;		/* events lost during the window */
	uint64_t forks_with_accessors;
	uint64_t forks_with_vma_reachers;	/* an accessor that could reach a VMA */
	uint64_t accessors_by_kind[FL_ACC_NR];
	uint64_t blocked_ns;
	/* not forks */
	uint64_t clone_vm_spawns, threads_created, vforks, kthread_spawns;
	uint64_t unmatched_newtasks, failed_write_locks;
	/* locks */
	uint64_t vma_locks;		/* sum of vmas_locked over complete forks */
	uint64_t vmas_copied;
	uint64_t vmas_dontcopy;		/* VM_DONTCOPY VMAs known, summed */
	uint64_t locked_kernel_forks;	/* vmas_locked read by the kernel side */
	uint64_t locked_estimated_forks;	/* vmas_locked estimated (VM_DONTCOPY part) */
	uint64_t mm_users_read_forks;	/* mm_users read by the kernel side */
	uint64_t users_disagree_forks;	/* mm_users read != threads of the model */
	uint64_t extra_users_forks;	/* mm_users > threads: transient mm_users */
	uint64_t window_total_ns;
	struct fl_pct vmas, window, lock_wait;	/* over complete forks */
	int nr_buckets;
	struct fl_bucket buckets[FL_NR_BUCKETS];
	int nr_comms;
	struct fl_comm_stat *comms;	/* sorted by forks, descending */
	bool fn_unresolved;
	bool vma_locks_known;		/* every trace is from a kernel with per-VMA locks */
	/* kprobe tier */
	uint64_t kprobe_forks;		/* forks decided by probes in dup_mmap() */
	uint64_t parent_locks, child_locks, rcu_fallbacks;
	uint64_t *vma_waits;		/* every timed parent VMA lock, ns */
	uint64_t nr_vma_waits, alloc_vma_waits;
	struct fl_pct vma_wait;
	int nr_longest;
	struct fl_longest longest[FL_LONGEST];	/* by longest single wait */
	bool has_dup_probe;
	uint64_t dup_probe[2][2];	/* [only_user][locked] */
	/* forks blocked inside their windows (offcpu.h) */
	struct fl_offcpu_sum offcpu;
	/* accumulation */
	bool oom;			/* an allocation failed: some values are missing */
	struct fl_fork_point *points;
	uint64_t nr_points, alloc_points;
	int alloc_comms;
};

void fl_summary_init(struct fl_summary *s);
void fl_summary_add_fork(struct fl_summary *s, const struct fl_fork *f);
/* "command" when some trace's forks were shown for COMMAND's tree only, else "host" */
const char *fl_summary_view(const struct fl_summary *s);
void fl_summary_add_trace(struct fl_summary *s, const struct fl_trace_info *info);
/*
 * Percentiles, buckets, command order: call once after the last fork.
 * Returns -1 if memory ran out on the way (the numbers are not all there).
 */
int fl_summary_finish(struct fl_summary *s);
void fl_summary_free(struct fl_summary *s);

#endif
