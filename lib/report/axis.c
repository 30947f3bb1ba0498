// SPDX-License-Identifier: GPL-2.0-or-later
/* Plot axes: the scale, the ends, the ticks (axis.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/axis.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* nearest rank on sorted @v */
static double rank(const double *v, size_t n, double p)
{
	size_t k = (size_t)ceil(p * n);

	return v[k ? k - 1 : 0];
}

int fl_axis_choose(const double *v, size_t n)
{
	double *s, lo, hi, p5, p95;

	if (!n)
		return FL_AXIS_LINEAR;
	s = malloc(n * sizeof(*s));
	if (!s)
		return -1;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	lo = s[0];
	hi = s[n - 1];
	p5 = rank(s, n, 0.05);
	p95 = rank(s, n, 0.95);
	free(s);
	if (!(lo > 0))
		return FL_AXIS_LINEAR;
	if (hi > 100 * lo)
		return FL_AXIS_LOG;
	if (hi > 10 * lo && p95 - p5 < (hi - lo) / 5)
		return FL_AXIS_LOG;
	return FL_AXIS_LINEAR;
}

double fl_axis_nice_step(double range, int n)
{
	double raw = range / (n > 0 ? n : 1), p, f;

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	p = pow(10, floor(log10(raw)));
	f = raw / p;
	return (f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10) * p;
}

static void fit_linear(struct fl_axis *a, double min, double max, int want)
{
	double step, k0, k1;
	int k;

	if (max - min <= 0) {		/* one value: an axis around it */
		double h = fabs(max) * 0.05;

		if (!(h > 0))
			h = 1;
		min -= h;
		max += h;
	}
	step = fl_axis_nice_step(max - min, want);
	k0 = floor(min / step);
	k1 = ceil(max / step);
	/* rounding must never leave a value outside the ends */
	if (k0 * step > min)
		k0--;
	if (k1 * step < max)
		k1++;
	a->step = step;
	a->lo = k0 * step;
	a->hi = k1 * step;
	a->nr_ticks = 0;
	for (k = 0; k0 + k <= k1 && a->nr_ticks < FL_AXIS_MAX_TICKS; k++)
		a->tick[a->nr_ticks++] = (k0 + k) * step;
}

/* 1, 2 and 5 times 10^d: index i is mult[i % 3] * 10^(i / 3) (floored) */
static double candidate(long i)
{
	static const double mult[] = { 1, 2, 5 };
	long d = i >= 0 ? i / 3 : -((-i + 2) / 3);

	return mult[i - d * 3] * pow(10, (double)d);
}

static long candidate_at_or_below(double v)
{
	long i = (long)floor(log10(v)) * 3 + 2;

	while (candidate(i) > v * (1 + 1e-12))
		i--;
	return i;
}

static long candidate_at_or_above(double v)
{
	long i = (long)floor(log10(v)) * 3 - 1;

	while (candidate(i) < v * (1 - 1e-12))
		i++;
	return i;
}

static void fit_log(struct fl_axis *a, double min, double max, int want)
{
	long i0 = candidate_at_or_below(min), i1 = candidate_at_or_above(max), i;
	long d0, d1, every, d;

	if (i0 == i1) {			/* one value, itself a tick: one step either side */
		i0--;
		i1++;
	}
	a->step = 0;
	a->nr_ticks = 0;
	if (i1 - i0 + 1 <= want + 2) {	/* 1, 2 and 5 times powers of ten */
		a->lo = candidate(i0);
		a->hi = candidate(i1);
		for (i = i0; i <= i1; i++)
			a->tick[a->nr_ticks++] = candidate(i);
		return;
	}
	/* powers of ten only, every one or every few */
	d0 = (long)floor(log10(min) + 1e-12);
	d1 = (long)ceil(log10(max) - 1e-12);
	if (pow(10, (double)d0) > min)
		d0--;
	if (pow(10, (double)d1) < max)
		d1++;
	every = (d1 - d0 + want) / (want + 1);	/* at most want + 2 ticks */
	if (every < 1)
		every = 1;
	d0 = d0 >= 0 ? d0 / every * every : -((-d0 + every - 1) / every * every);
	d1 = d1 >= 0 ? (d1 + every - 1) / every * every : -((-d1) / every * every);
	a->lo = pow(10, (double)d0);
	a->hi = pow(10, (double)d1);
	for (d = d0; d <= d1 && a->nr_ticks < FL_AXIS_MAX_TICKS; d += every)
		a->tick[a->nr_ticks++] = pow(10, (double)d);
}

int fl_axis_fit(struct fl_axis *a, enum fl_axis_scale scale, double min, double max, int want)
{
	if (!isfinite(min) || !isfinite(max) || min > max || want < 2 ||
	    want > FL_AXIS_MAX_TICKS - 2 || (scale == FL_AXIS_LOG && !(min > 0)) ||
	    (scale != FL_AXIS_LOG && scale != FL_AXIS_LINEAR)) {
		errno = EINVAL;
		return -1;
	}
	memset(a, 0, sizeof(*a));
	a->scale = scale;
	if (scale == FL_AXIS_LOG)
		fit_log(a, min, max, want);
	else
		fit_linear(a, min, max, want);
	return 0;
}

double fl_axis_pos(const struct fl_axis *a, double v)
{
	if (a->scale == FL_AXIS_LOG) {
		if (!(v > 0))
			return -1;
		return (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
	}
	return (v - a->lo) / (a->hi - a->lo);
}
