/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * forklock compare: the fork windows of two recordings (BASE and PATCHED),
 * each a trace.dat or a forklock JSON report made with --forks.
 *
 * Per VMA-count bucket (the report's: 0-15, 16-31, 32-63, ...) and over
 * all forks: the nearest-rank median and p99 of the window on each side,
 * and patched - base, each with a percentile-bootstrap interval; the
 * ns-per-VMA slope of each side by least squares of window_ns on
 * vmas_locked, and its difference.
 *
 * The bootstrap (fl_compare_run): B resamples with replacement of each
 * side, within a bucket for the bucket's quantiles and of all (vmas,
 * window) pairs for the slope.  Both sides are drawn from the same seeded
 * stream (splitmix64, one stream per bucket and one for the slope), so
 * equal inputs give equal intervals; the difference's replicate k is
 * patched's replicate k+1 (mod B) minus base's replicate k, resamples drawn
 * from different parts of the stream, as independent resampling of the
 * two sides requires.  Intervals are the 2.5th and 97.5th nearest-rank
 * percentiles of the replicates.
 */
#ifndef FORKLOCK_COMPARE_H
#define FORKLOCK_COMPARE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "compare/stats.h"
#include "report/rank.h"

struct fl_cmp_comm {
	char comm[16];
	uint64_t forks;
};

/* One side: every complete fork of one input, and what identifies its workload. */
struct fl_cmp_side {
	const char *name;		/* "base", "patched" */
	const char *only;		/* comma-separated parent comms to keep, NULL: all */
	bool all;			/* every task's forks, not only record -- COMMAND's tree */
	char *path;
	bool json;			/* read from a forklock JSON report */
	char kernel[96];		/* "mixed" over traces of different kernels */
	char tier[16];
	int nr_traces;
	char **commands;		/* recorded COMMAND of each trace, "" when none */
	char **files;			/* each trace.dat, as the report named it */
	bool *snapshot;			/* ... was written by forklock record */
	int nr_comms;
	struct fl_cmp_comm *comms;	/* forks by parent comm, most first */
	struct fl_xy *pts;		/* x = vmas_locked, y = window_ns */
	uint64_t n, alloc;
	uint64_t partial, aborted, vma_locks, window_total_ns;
	uint64_t events, lost_events, duration_ns;
};

/*
 * Read @path (trace.dat or JSON, told apart by the first byte); with
 * @only_comms ("make,sh"), only the forks of parents of those comms; without
 * @all, a trace of record -- COMMAND gives only the forks of COMMAND's tree.
 * Returns 0 or an FL_EXIT_* code after one error line naming the file.
 */
int fl_cmp_side_load(struct fl_cmp_side *s, const char *name, const char *path,
		     const char *only_comms, bool all);
void fl_cmp_side_free(struct fl_cmp_side *s);

/*
 * The workload of a side, as a line: the recorded commands (the program's
 * base name and its arguments) when every trace has one, else the parent
 * comms that made at least 5% of its forks.
 */
char *fl_cmp_workload(const struct fl_cmp_side *s, bool *by_command);

struct fl_cmp_cell {		/* one side, one bucket */
	uint64_t n;
	struct fl_ci p50, p99;
};

struct fl_cmp_row {
	bool all;			/* every fork, not one bucket */
	uint32_t lo, hi;		/* VMAs locked, inclusive; hi UINT32_MAX: no bound */
	struct fl_cmp_cell side[2];
	struct fl_ci d50, d99;		/* patched - base */
};

struct fl_comparison {
	const struct fl_cmp_side *side[2];
	unsigned replicates;
	uint64_t seed;
	double level;			/* 0.95 */
	/* workload */
	char *workload[2];
	bool by_command;		/* told apart by recorded command, else by comms */
	bool same_workload, forced;
	/* windows by bucket, then the row of all forks */
	int nr_rows;
	struct fl_cmp_row rows[FL_NR_BUCKETS + 1];
	/* ns per VMA */
	bool origin;			/* through the origin: a side has one VMA count */
	struct fl_fit fit[2];
	struct fl_ci slope[2], slope_diff;
	uint64_t degenerate[2];		/* resamples without x variance (dropped) */
};

#define FL_CMP_REPLICATES 2000
#define FL_CMP_SEED 1

/*
 * Returns 0; FL_EXIT_MISMATCH after one error line if the workloads differ
 * and !@force; FL_EXIT_FAILURE without memory.
 */
int fl_compare_run(struct fl_comparison *c, const struct fl_cmp_side *base,
		   const struct fl_cmp_side *patched, unsigned replicates, uint64_t seed,
		   bool force);
void fl_compare_free(struct fl_comparison *c);

/* Output: text, mail (72 columns) and JSON (schema forklock-compare/1). */
int fl_compare_text(FILE *out, const struct fl_comparison *c, bool mail);
int fl_compare_json(FILE *out, const struct fl_comparison *c);

#endif
