// SPDX-License-Identifier: GPL-2.0-or-later
/* Nearest rank and VMA-count buckets (rank.h). */
#include <math.h>

#include "report/rank.h"

uint64_t fl_rank(uint64_t n, double q)
{
	uint64_t rank = (uint64_t)ceil(q * (double)n);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return rank;
}

uint64_t fl_percentile(const uint64_t *sorted, uint64_t n, double q)
{
	return n ? sorted[fl_rank(n, q) - 1] : 0;
}

uint32_t fl_bucket_lo(int b)
{
	return b ? 16U << (b - 1) : 0;
}

uint32_t fl_bucket_hi(int b)
{
	return b == FL_NR_BUCKETS - 1 ? UINT32_MAX : (16U << b) - 1;
}
