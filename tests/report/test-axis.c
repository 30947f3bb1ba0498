// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Plot axes (lib/report/axis.c): the scale chosen from the data, ends
 * that fit it (not from 0), ticks that are monotonic and cover it.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/axis.h"

/* what every fitted axis must be, whatever its data */
static void assert_fits(const struct fl_axis *a, double min, double max)
{
	int i;

	assert_true(a->nr_ticks >= 2 && a->nr_ticks <= FL_AXIS_MAX_TICKS);
	assert_true(a->lo < a->hi);
	assert_true(a->lo <= min && a->hi >= max);
	assert_true(a->tick[0] <= min * (1 + 1e-12) + 1e-300);
	assert_true(a->tick[a->nr_ticks - 1] >= max * (1 - 1e-12));
	assert_true(fabs(a->tick[0] - a->lo) <= 1e-9 * fabs(a->hi));
	assert_true(fabs(a->tick[a->nr_ticks - 1] - a->hi) <= 1e-9 * fabs(a->hi));
	for (i = 1; i < a->nr_ticks; i++)
		assert_true(a->tick[i] > a->tick[i - 1]);
	if (a->scale == FL_AXIS_LOG)
		assert_true(a->lo > 0);
	assert_true(fl_axis_pos(a, min) >= -1e-9 && fl_axis_pos(a, max) <= 1 + 1e-9);
}

/* the plot: every dot at 224-230 VMAs on a 0-250 axis */
static void linear_fits_a_narrow_range_not_from_zero(void **state)
{
	struct fl_axis a;

	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LINEAR, 224, 230, 6), 0);
	assert_fits(&a, 224, 230);
	assert_true(a.lo == 224 && a.hi == 230 && a.step == 1);
	assert_int_equal(a.nr_ticks, 7);
	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LINEAR, 3610, 15600, 6), 0);
	assert_fits(&a, 3610, 15600);
	assert_true(a.lo == 2000 && a.hi == 16000 && a.step == 2000);
}

static void linear_one_value_gets_an_axis_around_it(void **state)
{
	struct fl_axis a;

	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LINEAR, 227, 227, 6), 0);
	assert_fits(&a, 227, 227);
	assert_true(a.lo < 227 && a.hi > 227 && a.lo > 150);
	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LINEAR, 0, 0, 6), 0);
	assert_fits(&a, 0, 0);
	assert_true(a.lo < 0 && a.hi > 0);
}

static void log_ticks_are_one_two_five_over_few_decades(void **state)
{
	static const double want[] = { 2e3, 5e3, 1e4, 2e4 };
	struct fl_axis a;
	int i;

	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LOG, 3610, 15600, 6), 0);
	assert_fits(&a, 3610, 15600);
	assert_int_equal(a.nr_ticks, 4);
	for (i = 0; i < 4; i++)
		assert_true(fabs(a.tick[i] - want[i]) < 1e-6);
	assert_true(fabs(fl_axis_pos(&a, 2e3)) < 1e-12);
	assert_true(fabs(fl_axis_pos(&a, 2e4) - 1) < 1e-12);
	/* log: 1e4 is half way between 1e3 and 1e5 */
	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LOG, 1e3, 1e5, 8), 0);
	assert_true(fabs(fl_axis_pos(&a, 1e4) - 0.5) < 1e-12);
	/* one value that is itself a tick: a step either side */
	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LOG, 5e4, 5e4, 6), 0);
	assert_fits(&a, 5e4, 5e4);
	assert_true(a.lo < 5e4 && a.hi > 5e4);
}

static void log_over_many_decades_ticks_powers_of_ten(void **state)
{
	struct fl_axis a;
	int i;

	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LOG, 3000, 2.5e9, 6), 0);
	assert_fits(&a, 3000, 2.5e9);
	assert_true(a.lo == 1e3 && fabs(a.hi - 1e10) < 1);
	for (i = 0; i < a.nr_ticks; i++) {
		double l = log10(a.tick[i]);

		assert_true(fabs(l - round(l)) < 1e-9);
	}
	/* 30 decades for 4 ticks: every few decades, still covering */
	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LOG, 1e-15, 1e15, 4), 0);
	assert_fits(&a, 1e-15, 1e15);
	assert_true(a.nr_ticks <= 8);
}

static void scale_is_log_only_for_heavy_tails(void **state)
{
	double v[100];
	int i;

	/* the base fixture's windows: 3.6 to 15.6 us */
	for (i = 0; i < 100; i++)
		v[i] = 3600 + 120 * i;
	assert_int_equal(fl_axis_choose(v, 100), FL_AXIS_LINEAR);
	/* more than two decades */
	v[99] = 3600 * 101;
	assert_int_equal(fl_axis_choose(v, 100), FL_AXIS_LOG);
	/* 20 times the least, and the middle 90% in a sliver: outliers */
	for (i = 0; i < 100; i++)
		v[i] = 10000 + i;
	v[98] = v[99] = 200000;
	assert_int_equal(fl_axis_choose(v, 100), FL_AXIS_LOG);
	/* 20 times, spread evenly: linear shows it best */
	for (i = 0; i < 100; i++)
		v[i] = 10000 + 1900 * i;
	assert_int_equal(fl_axis_choose(v, 100), FL_AXIS_LINEAR);
	/* a zero cannot go on a log axis */
	v[0] = 0;
	v[99] = 1e9;
	assert_int_equal(fl_axis_choose(v, 100), FL_AXIS_LINEAR);
	assert_int_equal(fl_axis_choose(v, 0), FL_AXIS_LINEAR);
	/* the order of the values does not matter, and they are not changed */
	for (i = 0; i < 100; i++)
		v[i] = i == 50 ? 1e7 : 1e4 + i;
	assert_int_equal(fl_axis_choose(v, 100), FL_AXIS_LOG);
	assert_true(v[50] == 1e7 && v[0] == 1e4);
}

static void bad_arguments_are_refused(void **state)
{
	struct fl_axis a;

	errno = 0;
	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LOG, 0, 10, 6), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LINEAR, 5, 4, 6), -1);
	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LINEAR, 0, NAN, 6), -1);
	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LINEAR, 0, 1, 1), -1);
	assert_int_equal(fl_axis_fit(&a, FL_AXIS_LINEAR, 0, 1, FL_AXIS_MAX_TICKS), -1);
}

/* many ranges of both scales: every axis fits its data */
static void every_range_fits(void **state)
{
	uint64_t x = 12345;
	int i;

	for (i = 0; i < 20000; i++) {
		double min, max;
		struct fl_axis a;
		int want = 2 + i % 10;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		min = pow(10, (double)((x >> 20) % 2000) / 100 - 6);
		max = min * (1 + (double)((x >> 40) % 100000) / ((x >> 10) % 7 ? 10 : 0.01));
		assert_int_equal(fl_axis_fit(&a, FL_AXIS_LINEAR, min, max, want), 0);
		assert_fits(&a, min, max);
		assert_true(a.nr_ticks <= want + 3);
		/* and not from zero when the data is far from it */
		if (max - min < min / 10)
			assert_true(a.lo > 0);
		assert_int_equal(fl_axis_fit(&a, FL_AXIS_LOG, min, max, want), 0);
		assert_fits(&a, min, max);
		assert_true(a.nr_ticks <= want + 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linear_fits_a_narrow_range_not_from_zero),
		cmocka_unit_test(linear_one_value_gets_an_axis_around_it),
		cmocka_unit_test(log_ticks_are_one_two_five_over_few_decades),
		cmocka_unit_test(log_over_many_decades_ticks_powers_of_ten),
		cmocka_unit_test(scale_is_log_only_for_heavy_tails),
		cmocka_unit_test(bad_arguments_are_refused),
		cmocka_unit_test(every_range_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
