/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Nearest rank, and the report's VMA-count buckets (0-15, 16-31, 32-63,
 * ...): one definition for the report's percentiles (summary.c), compare's
 * rows and bootstrap (compare/) and the lock-cost calibration (cost.c).
 */
#ifndef FORKLOCK_REPORT_RANK_H
#define FORKLOCK_REPORT_RANK_H

#include <stdint.h>

#define FL_NR_BUCKETS 16

/* The nearest rank of quantile @q of @n values: ceil(q * n), from 1 to n (0 if n is). */
uint64_t fl_rank(uint64_t n, double q);
/* Nearest-rank percentile of a sorted array, 0 for none. */
uint64_t fl_percentile(const uint64_t *sorted, uint64_t n, double q);

/* VMAs locked of bucket @b, inclusive; the last bucket has no upper bound (UINT32_MAX). */
uint32_t fl_bucket_lo(int b);
uint32_t fl_bucket_hi(int b);

#endif
