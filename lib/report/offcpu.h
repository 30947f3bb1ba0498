/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The report's numbers of forks blocked inside their windows (the forking
 * task off-CPU, replay/offcpu.c): how many forks blocked, for how long
 * (total, and p50/p99/max over the forks that blocked), preempted time
 * apart, by waker activity, and the VMAs forks blocked on most.
 *
 * Memory: 8 bytes per blocked fork, one entry per distinct VMA blocked on
 * (FL_OFFCPU_VMAS at most; beyond it the blocks are counted as "others").
 */
#ifndef FORKLOCK_REPORT_OFFCPU_H
#define FORKLOCK_REPORT_OFFCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "replay/fork.h"

#define FL_OFFCPU_VMAS	4096
#define FL_OFFCPU_TOP	5

/* A VMA (by range and kind) forks blocked on. */
struct fl_offcpu_vma {
	uint64_t start, end;		/* 0, 0: no mas_store followed the block */
	enum fl_vma_kind kind;
	uint64_t forks, blocks, ns;
};

struct fl_offcpu_pct {
	uint64_t p50, p99, max;
};

struct fl_offcpu_sum {
	uint64_t sched_forks;		/* complete forks whose trace has the scheduler events */
	uint64_t forks_blocked;		/* ... that blocked at least once */
	uint64_t blocks;
	uint64_t blocked_ns, preempted_ns;
	struct fl_offcpu_pct blocked;	/* over the forks that blocked */
	uint64_t wake_blocks[FL_WAKE_NR], wake_ns[FL_WAKE_NR];	/* by waker activity */
	uint64_t other_vma_blocks, other_vma_ns;	/* beyond FL_OFFCPU_VMAS VMAs */
	int nr_vmas, alloc_vmas;
	struct fl_offcpu_vma *vmas;	/* sorted by ns, descending, after finish */
	uint64_t *fork_ns;
	uint64_t nr_fork_ns, alloc_fork_ns;
	bool oom;
};

void fl_offcpu_add(struct fl_offcpu_sum *s, const struct fl_fork *f);
/* Percentiles and the VMA order; -1 if memory ran out on the way. */
int fl_offcpu_finish(struct fl_offcpu_sum *s);
void fl_offcpu_free(struct fl_offcpu_sum *s);

#endif
