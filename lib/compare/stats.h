/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The statistics of forklock compare: a seeded random stream (so that the
 * same inputs give the same intervals on every machine), percentile
 * bootstrap of nearest-rank quantiles, and least squares of window length
 * against VMAs locked.
 */
#ifndef FORKLOCK_STATS_H
#define FORKLOCK_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/rank.h"

/* splitmix64: 64 bits of state, the same numbers everywhere */
struct fl_rng {
	uint64_t s;
};

/* A stream of its own for each (@seed, @stream) pair. */
void fl_rng_seed(struct fl_rng *r, uint64_t seed, uint64_t stream);
uint64_t fl_rng_next(struct fl_rng *r);
/* Uniform in [0, n) (Lemire's multiply-shift; bias below 2^-40 for n < 2^24). */
uint64_t fl_rng_below(struct fl_rng *r, uint64_t n);

/* The nearest-rank quantile of @n doubles (report/rank.h); sorts @v. */
double fl_quantile_d(double *v, size_t n, double q);

/* A confidence interval around an estimate; !valid when there is none. */
struct fl_ci {
	bool valid;
	double est, lo, hi;
};

/* Percentile interval of @level from @n replicates (sorts @rep; NaN = dropped). */
struct fl_ci fl_ci_of(double est, double *rep, size_t n, double level);

/*
 * Bootstrap of the p50 and p99 (nearest rank) of @sorted[0..n): @b
 * resamples with replacement drawn from @r; replicate k goes to p50[k] and
 * p99[k].  O(n) per replicate.  Returns 0, or -1 without memory.
 */
int fl_boot_quantiles(const uint64_t *sorted, uint64_t n, struct fl_rng *r, unsigned b,
		      double *p50, double *p99);

/* Least squares of y on x. */
struct fl_fit {
	bool valid;		/* !valid: no x variance (or no x at all, through the origin) */
	bool origin;		/* fitted through the origin: y = slope * x */
	double slope, intercept;
};

struct fl_xy {
	double x, y;
};

struct fl_fit fl_fit_xy(const struct fl_xy *p, uint64_t n, bool origin);
/*
 * Bootstrap of the slope: @b resamples of the pairs; a resample whose x
 * has no variance gives NaN.  Returns 0, or -1 without memory.
 */
int fl_boot_slope(const struct fl_xy *p, uint64_t n, bool origin, struct fl_rng *r, unsigned b,
		  double *slope);

#endif
