// SPDX-License-Identifier: GPL-2.0-or-later
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/stats.h"

uint64_t fl_rng_next(struct fl_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void fl_rng_seed(struct fl_rng *r, uint64_t seed, uint64_t stream)
{
	r->s = seed;
	r->s = fl_rng_next(r) ^ ((stream + 1) * 0xd1b54a32d192ed03ULL);
}

uint64_t fl_rng_below(struct fl_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)fl_rng_next(r) * n) >> 64);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double fl_quantile_d(double *v, size_t n, double q)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_d);
	return v[fl_rank(n, q) - 1];
}

struct fl_ci fl_ci_of(double est, double *rep, size_t n, double level)
{
	struct fl_ci ci = { .est = est };
	size_t i, m = 0;

	for (i = 0; i < n; i++)
		if (!isnan(rep[i]))
			rep[m++] = rep[i];
	if (!m || isnan(est))
		return ci;
	qsort(rep, m, sizeof(*rep), cmp_d);
	ci.valid = true;
	ci.lo = rep[fl_rank(m, (1 - level) / 2) - 1];
	ci.hi = rep[fl_rank(m, 1 - (1 - level) / 2) - 1];
	return ci;
}

int fl_boot_quantiles(const uint64_t *sorted, uint64_t n, struct fl_rng *r, unsigned b,
		      double *p50, double *p99)
{
	uint64_t r50 = fl_rank(n, 0.50), r99 = fl_rank(n, 0.99), i, cum;
	uint32_t *count;
	unsigned k;

	if (!n)
		return 0;
	count = malloc(n * sizeof(*count));
	if (!count)
		return -1;
	for (k = 0; k < b; k++) {
		memset(count, 0, n * sizeof(*count));
		for (i = 0; i < n; i++)
			count[fl_rng_below(r, n)]++;
		/* the r-th smallest of the resample is sorted[j] for the first j
		 * whose cumulative count reaches r */
		for (i = 0, cum = 0; i < n; i++) {
			uint64_t before = cum;

			cum += count[i];
			if (before < r50 && cum >= r50)
				p50[k] = (double)sorted[i];
			if (cum >= r99) {
				p99[k] = (double)sorted[i];
				break;
			}
		}
	}
	free(count);
	return 0;
}

struct fl_fit fl_fit_xy(const struct fl_xy *p, uint64_t n, bool origin)
{
	struct fl_fit f = { .origin = origin };
	double mx = 0, my = 0, sxx = 0, sxy = 0, xmin = INFINITY, xmax = -INFINITY;
	uint64_t i;

	if (!n)
		return f;
	if (origin) {
		for (i = 0; i < n; i++) {
			sxx += p[i].x * p[i].x;
			sxy += p[i].x * p[i].y;
		}
		if (sxx > 0) {
			f.valid = true;
			f.slope = sxy / sxx;
		}
		return f;
	}
	for (i = 0; i < n; i++) {
		mx += p[i].x;
		my += p[i].y;
		if (p[i].x < xmin)
			xmin = p[i].x;
		if (p[i].x > xmax)
			xmax = p[i].x;
	}
	mx /= n;
	my /= n;
	if (xmin == xmax)
		return f;
	for (i = 0; i < n; i++) {
		sxx += (p[i].x - mx) * (p[i].x - mx);
		sxy += (p[i].x - mx) * (p[i].y - my);
	}
	f.valid = true;
	f.slope = sxy / sxx;
	f.intercept = my - f.slope * mx;
	return f;
}

int fl_boot_slope(const struct fl_xy *p, uint64_t n, bool origin, struct fl_rng *r, unsigned b,
		  double *slope)
{
	double mx = 0, my = 0;
	uint64_t i;
	unsigned k;

	if (!n)
		return 0;
	if (!origin) {
		/* shift by the sample's means: the sums below stay small */
		for (i = 0; i < n; i++) {
			mx += p[i].x;
			my += p[i].y;
		}
		mx /= n;
		my /= n;
	}
	for (k = 0; k < b; k++) {
		double sx = 0, sy = 0, sxx = 0, sxy = 0, xmin = INFINITY, xmax = -INFINITY, d;

		for (i = 0; i < n; i++) {
			const struct fl_xy *q = &p[fl_rng_below(r, n)];
			double x = q->x - mx, y = q->y - my;

			sx += x;
			sy += y;
			sxx += x * x;
			sxy += x * y;
			if (q->x < xmin)
				xmin = q->x;
			if (q->x > xmax)
				xmax = q->x;
		}
		if (origin) {
			slope[k] = sxx > 0 ? sxy / sxx : NAN;
			continue;
		}
		d = sxx - sx * sx / n;
		slope[k] = xmin == xmax || d <= 0 ? NAN : (sxy - sx * sy / n) / d;
	}
	return 0;
}
