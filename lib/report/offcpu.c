// SPDX-License-Identifier: GPL-2.0-or-later
/* The numbers of forks blocked inside their windows (offcpu.h). */
#include <stdlib.h>
#include <string.h>

#include "report/offcpu.h"
#include "report/rank.h"

static struct fl_offcpu_vma *vma_of(struct fl_offcpu_sum *s, const struct fl_block *b)
{
	int i;

	for (i = 0; i < s->nr_vmas; i++) {
		struct fl_offcpu_vma *v = &s->vmas[i];

		if (v->start == b->vma_start && v->end == b->vma_end && v->kind == b->vma_kind)
			return v;
	}
	if (s->nr_vmas >= FL_OFFCPU_VMAS)
		return NULL;
	if (s->nr_vmas == s->alloc_vmas) {
		int alloc = s->alloc_vmas ? s->alloc_vmas * 2 : 16;
		struct fl_offcpu_vma *n = realloc(s->vmas, alloc * sizeof(*n));

		if (!n) {
			s->oom = true;
			return NULL;
		}
		s->vmas = n;
		s->alloc_vmas = alloc;
	}
	s->vmas[s->nr_vmas] = (struct fl_offcpu_vma){ b->vma_start, b->vma_end, b->vma_kind };
	return &s->vmas[s->nr_vmas++];
}

void fl_offcpu_add(struct fl_offcpu_sum *s, const struct fl_fork *f)
{
	uint32_t i, j;

	if (!f->sched)
		return;
	s->sched_forks++;
	s->preempted_ns += f->fork_preempted_ns;
	if (!f->nr_blocks)
		return;
	s->forks_blocked++;
	s->blocks += f->nr_blocks;
	s->blocked_ns += f->fork_blocked_ns;
	if (s->nr_fork_ns == s->alloc_fork_ns) {
		uint64_t alloc = s->alloc_fork_ns ? s->alloc_fork_ns * 2 : 256;
		uint64_t *n = realloc(s->fork_ns, alloc * sizeof(*n));

		if (n) {
			s->fork_ns = n;
			s->alloc_fork_ns = alloc;
		} else {
			s->oom = true;
		}
	}
	if (s->nr_fork_ns < s->alloc_fork_ns)
		s->fork_ns[s->nr_fork_ns++] = f->fork_blocked_ns;
	for (i = 0; i < f->nr_blocks; i++) {
		const struct fl_block *b = &f->blocks[i];
		struct fl_offcpu_vma *v;
		bool seen = false;

		if (b->activity < FL_WAKE_NR) {
			s->wake_blocks[b->activity]++;
			s->wake_ns[b->activity] += b->ns;
		}
		v = vma_of(s, b);
		if (!v) {
			s->other_vma_blocks++;
			s->other_vma_ns += b->ns;
			continue;
		}
		/* a fork counts once per VMA however often it blocked on it */
		for (j = 0; j < i && !seen; j++)
			seen = f->blocks[j].vma_start == b->vma_start &&
			       f->blocks[j].vma_end == b->vma_end &&
			       f->blocks[j].vma_kind == b->vma_kind;
		if (!seen)
			v->forks++;
		v->blocks++;
		v->ns += b->ns;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_vma(const void *a, const void *b)
{
	const struct fl_offcpu_vma *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? 1 : -1;
	return (x->start > y->start) - (x->start < y->start);
}

int fl_offcpu_finish(struct fl_offcpu_sum *s)
{
	uint64_t n = s->nr_fork_ns;

	qsort(s->fork_ns, n, sizeof(*s->fork_ns), cmp_u64);
	s->blocked.p50 = fl_percentile(s->fork_ns, n, 0.50);
	s->blocked.p99 = fl_percentile(s->fork_ns, n, 0.99);
	s->blocked.max = n ? s->fork_ns[n - 1] : 0;
	qsort(s->vmas, s->nr_vmas, sizeof(*s->vmas), cmp_vma);
	return s->oom ? -1 : 0;
}

void fl_offcpu_free(struct fl_offcpu_sum *s)
{
	free(s->vmas);
	free(s->fork_ns);
	memset(s, 0, sizeof(*s));
}
