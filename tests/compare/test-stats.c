// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * compare's statistics (lib/compare/stats.c): the seeded stream, nearest
 * rank, percentile intervals, the bootstrap of p50/p99 and of the slope.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "compare/stats.h"

/* splitmix64 from state 0: the published first outputs */
static void rng_is_splitmix64(void **state)
{
	struct fl_rng r = { 0 };

	assert_true(fl_rng_next(&r) == 0xe220a8397b1dcdafULL);
	assert_true(fl_rng_next(&r) == 0x6e789e6aa1b965f4ULL);
	assert_true(fl_rng_next(&r) == 0x06c45d188009454fULL);
	assert_true(fl_rng_next(&r) == 0xf88bb8a8724c81ecULL);
}

static void rng_streams_are_reproducible_and_distinct(void **state)
{
	struct fl_rng a, b, c;
	int i, same = 0;

	fl_rng_seed(&a, 42, 3);
	fl_rng_seed(&b, 42, 3);
	fl_rng_seed(&c, 42, 4);
	for (i = 0; i < 1000; i++) {
		uint64_t x = fl_rng_next(&a);

		assert_true(x == fl_rng_next(&b));
		same += x == fl_rng_next(&c);
	}
	assert_int_equal(same, 0);
}

/* [0, n), and even: 100000 draws in 10 bins, each within 5% of 10000 */
static void rng_below_is_in_range_and_even(void **state)
{
	unsigned bins[10] = { 0 };
	struct fl_rng r;
	int i;

	fl_rng_seed(&r, 1, 0);
	for (i = 0; i < 100000; i++) {
		uint64_t x = fl_rng_below(&r, 10);

		assert_true(x < 10);
		bins[x]++;
	}
	for (i = 0; i < 10; i++)
		assert_in_range(bins[i], 9500, 10500);
	assert_true(fl_rng_below(&r, 1) == 0);
}

static void quantile_is_nearest_rank(void **state)
{
	double v[100];
	int i;

	for (i = 0; i < 100; i++)
		v[i] = 100 - i;		/* unsorted: fl_quantile_d() sorts */
	assert_true(fl_quantile_d(v, 100, 0.50) == 50);
	assert_true(fl_quantile_d(v, 100, 0.99) == 99);
	assert_true(fl_quantile_d(v, 100, 1.00) == 100);
	assert_true(fl_quantile_d(v, 100, 0.00) == 1);	/* rank 1 at least */
	assert_true(fl_quantile_d(v, 1, 0.99) == 1);
	assert_true(isnan(fl_quantile_d(v, 0, 0.5)));
}

static void interval_drops_nan_and_takes_ranks(void **state)
{
	static double rep[1010];
	struct fl_ci ci;
	int i;

	for (i = 0; i < 1000; i++)
		rep[i] = 1000 - i;	/* 1..1000, reversed */
	for (; i < 1010; i++)
		rep[i] = NAN;		/* degenerate resamples: dropped */
	ci = fl_ci_of(7.5, rep, 1010, 0.95);
	assert_true(ci.valid);
	assert_true(ci.est == 7.5);
	/* ranks ceil(m * 0.025) and ceil(m * 0.975) of the 1000 left; the
	 * double (1 - 0.95) / 2 is a hair above 0.025, so the low rank is 26 */
	assert_true(ci.lo == 26);
	assert_true(ci.hi == 975);

	rep[0] = NAN;
	assert_false(fl_ci_of(1, rep, 1, 0.95).valid);		/* nothing left */
	rep[0] = 1;
	assert_false(fl_ci_of(NAN, rep, 1, 0.95).valid);	/* no estimate */
}

#define N 101
#define B 2000

static void boot(uint64_t seed, double *p50, double *p99)
{
	uint64_t sorted[N];
	struct fl_rng r;
	int i;

	for (i = 0; i < N; i++)
		sorted[i] = 1000 + 10 * i;	/* median (rank 51): 1500; p99 (rank 100): 1990 */
	fl_rng_seed(&r, seed, 0);
	assert_int_equal(fl_boot_quantiles(sorted, N, &r, B, p50, p99), 0);
}

static void boot_quantiles_cover_the_median_reproducibly(void **state)
{
	static double p50[B], p99[B], again50[B], again99[B], other50[B], other99[B];
	static double sorted50[B];
	struct fl_ci ci;
	int k;

	boot(20250501, p50, p99);
	for (k = 0; k < B; k++) {
		/* each replicate is a value of the sample */
		assert_true(fmod(p50[k] - 1000, 10) == 0 && p50[k] >= 1000 && p50[k] <= 2000);
		assert_true(fmod(p99[k] - 1000, 10) == 0 && p99[k] >= 1000 && p99[k] <= 2000);
		assert_true(p50[k] <= p99[k]);
	}
	memcpy(sorted50, p50, sizeof(p50));
	ci = fl_ci_of(1500, sorted50, B, 0.95);
	assert_true(ci.valid);
	assert_true(ci.lo <= 1500 && 1500 <= ci.hi);
	assert_true(ci.lo < ci.hi);			/* a resample moves the median */
	assert_true(ci.hi - ci.lo <= 400);		/* but not far: +-2 sd of ~10 ranks */

	/* the same seed: the same replicates, bit for bit; another: others */
	boot(20250501, again50, again99);
	assert_memory_equal(p50, again50, sizeof(p50));
	assert_memory_equal(p99, again99, sizeof(p99));
	boot(7, other50, other99);
	assert_memory_not_equal(p50, other50, sizeof(p50));
}

static void fit_recovers_a_line(void **state)
{
	struct fl_xy p[50];
	struct fl_fit f;
	int i;

	for (i = 0; i < 50; i++)
		p[i] = (struct fl_xy){ i + 1, 3.0 * (i + 1) + 7 };
	f = fl_fit_xy(p, 50, false);
	assert_true(f.valid && !f.origin);
	assert_true(fabs(f.slope - 3) < 1e-9);
	assert_true(fabs(f.intercept - 7) < 1e-9);
	f = fl_fit_xy(p, 50, true);
	assert_true(f.valid && f.origin);
	assert_true(f.intercept == 0);
	/* through the origin: sum(xy) / sum(x^2), here 3 + 7 * sum(x) / sum(x^2) */
	assert_true(fabs(f.slope - (3 + 7.0 * 1275 / 42925)) < 1e-9);

	for (i = 0; i < 50; i++)
		p[i].x = 5;
	assert_false(fl_fit_xy(p, 50, false).valid);	/* no x variance */
	assert_true(fl_fit_xy(p, 50, true).valid);	/* the origin is a second point */
	assert_false(fl_fit_xy(p, 0, false).valid);
	assert_false(fl_fit_xy(p, 0, true).valid);
}

static void boot_slope_of_a_line_is_the_line(void **state)
{
	static double slope[B], again[B];
	struct fl_xy p[50];
	struct fl_rng r;
	int i;

	for (i = 0; i < 50; i++)
		p[i] = (struct fl_xy){ 10 * i, 2.5 * 10 * i + 100 };
	fl_rng_seed(&r, 1, 9);
	assert_int_equal(fl_boot_slope(p, 50, false, &r, B, slope), 0);
	for (i = 0; i < B; i++)
		assert_true(fabs(slope[i] - 2.5) < 1e-9);
	fl_rng_seed(&r, 1, 9);
	assert_int_equal(fl_boot_slope(p, 50, false, &r, B, again), 0);
	assert_memory_equal(slope, again, sizeof(slope));

	/* one x only: every resample is degenerate */
	for (i = 0; i < 50; i++)
		p[i].x = 3;
	assert_int_equal(fl_boot_slope(p, 50, false, &r, 100, slope), 0);
	for (i = 0; i < 100; i++)
		assert_true(isnan(slope[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rng_is_splitmix64),
		cmocka_unit_test(rng_streams_are_reproducible_and_distinct),
		cmocka_unit_test(rng_below_is_in_range_and_even),
		cmocka_unit_test(quantile_is_nearest_rank),
		cmocka_unit_test(interval_drops_nan_and_takes_ranks),
		cmocka_unit_test(boot_quantiles_cover_the_median_reproducibly),
		cmocka_unit_test(fit_recovers_a_line),
		cmocka_unit_test(boot_slope_of_a_line_is_the_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
