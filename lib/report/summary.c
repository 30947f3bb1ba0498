// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>
#include <string.h>

#include "report/summary.h"

void fl_summary_init(struct fl_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->vma_locks_known = true;
}

static struct fl_comm_stat *comm_stat(struct fl_summary *s, const char *comm)
{
	int i;

	for (i = 0; i < s->nr_comms; i++)
		if (!strncmp(s->comms[i].comm, comm, sizeof(s->comms[i].comm)))
			return &s->comms[i];
	if (s->nr_comms == s->alloc_comms) {
		int alloc = s->alloc_comms ? s->alloc_comms * 2 : 32;
		struct fl_comm_stat *n = realloc(s->comms, alloc * sizeof(*n));

		if (!n) {
			s->oom = true;
			return NULL;
		}
		s->comms = n;
		s->alloc_comms = alloc;
	}
	memset(&s->comms[s->nr_comms], 0, sizeof(s->comms[0]));
	memcpy(s->comms[s->nr_comms].comm, comm, sizeof(s->comms[0].comm) - 1);
	return &s->comms[s->nr_comms++];
}

static void add_waits(struct fl_summary *s, const struct fl_fork *f)
{
	if (s->nr_vma_waits + f->nr_vma_waits > s->alloc_vma_waits) {
		uint64_t alloc = s->alloc_vma_waits ? s->alloc_vma_waits : 1024;
		uint64_t *n;

		while (alloc < s->nr_vma_waits + f->nr_vma_waits)
			alloc *= 2;
		n = realloc(s->vma_waits, alloc * sizeof(*n));
		if (!n) {
			s->oom = true;
			return;
		}
		s->vma_waits = n;
		s->alloc_vma_waits = alloc;
	}
	memcpy(s->vma_waits + s->nr_vma_waits, f->vma_wait_ns, f->nr_vma_waits * sizeof(uint64_t));
	s->nr_vma_waits += f->nr_vma_waits;
}

/* Keep the FL_LONGEST forks with the longest single VMA lock wait. */
static void add_longest(struct fl_summary *s, const struct fl_fork *f)
{
	struct fl_longest l = { .ts = f->ts, .pid = f->parent_pid, .max_ns = f->vma_wait_max_ns,
				.total_ns = f->vma_wait_total_ns, .waits = f->nr_vma_waits };
	int i;

	memcpy(l.comm, f->comm, sizeof(l.comm));
	if (s->nr_longest == FL_LONGEST && s->longest[FL_LONGEST - 1].max_ns >= l.max_ns)
		return;
	if (s->nr_longest < FL_LONGEST)
		s->nr_longest++;
	for (i = s->nr_longest - 1; i > 0 && s->longest[i - 1].max_ns < l.max_ns; i--)
		s->longest[i] = s->longest[i - 1];
	s->longest[i] = l;
}

void fl_summary_add_fork(struct fl_summary *s, const struct fl_fork *f)
{
	struct fl_comm_stat *c;
	int k;

	if (f->partial) {
		s->partial_forks++;
		return;
	}
	if (fl_fork_aborted(f)) {
		s->aborted_forks++;
		return;
	}
	s->forks++;
	if (f->threads == 1)
		s->single_threaded_forks++;
	else if (f->threads > 1)
		s->multi_threaded_forks++;
	else
		s->unknown_threads_forks++;
	if (f->uffd == FL_UFFD_PRESENT)
		s->uffd_forks++;
	else if (f->uffd == FL_UFFD_UNKNOWN)
		s->uffd_unknown_forks++;
	if (f->lost_events)
		s->lossy_forks++;
	if (f->nr_accessors)
		s->forks_with_accessors++;
	for (k = 0; k < FL_ACC_NR; k++)
		s->accessors_by_kind[k] += f->accessors_by_kind[k];
	for (k = 0; k < FL_ACC_NR; k++)
		if (f->accessors_by_kind[k] && fl_access_reaches_vma(k)) {
			s->forks_with_vma_reachers++;
			break;
		}
	s->blocked_ns += f->blocked_ns;
	s->vma_locks += f->vmas_locked;
	s->vmas_copied += f->vmas_copied;
	if (f->vmas_dontcopy > 0)
		s->vmas_dontcopy += (uint64_t)f->vmas_dontcopy;
	if (f->locked_quality == FL_LOCKED_KERNEL)
		s->locked_kernel_forks++;
	else if (f->locked_quality == FL_LOCKED_ESTIMATED)
		s->locked_estimated_forks++;
	if (f->mm_users >= 0) {
		s->mm_users_read_forks++;
		if (f->threads >= 0 && f->threads != f->mm_users)
			s->users_disagree_forks++;
		if (fl_fork_extra_users(f))
			s->extra_users_forks++;
	}
	s->window_total_ns += f->window_ns;
	fl_offcpu_add(&s->offcpu, f);
	if (f->fn_unresolved)
		s->fn_unresolved = true;

	if (s->nr_points == s->alloc_points) {
		uint64_t alloc = s->alloc_points ? s->alloc_points * 2 : 1024;
		struct fl_fork_point *n = realloc(s->points, alloc * sizeof(*n));

		if (n) {
			s->points = n;
			s->alloc_points = alloc;
		} else {
			s->oom = true;
		}
	}
	if (s->nr_points < s->alloc_points) {
		struct fl_fork_point *p = &s->points[s->nr_points++];

		p->window_ns = f->window_ns;
		p->vmas_locked = f->vmas_locked;
		p->lock_wait_ns = f->lock_wait_ns;
	}
	if (f->kprobe) {
		s->kprobe_forks++;
		s->parent_locks += f->parent_locks;
		s->child_locks += f->child_locks;
		s->rcu_fallbacks += f->rcu_fallbacks;
	}
	if (f->nr_vma_waits) {
		add_waits(s, f);
		add_longest(s, f);
	}
	c = comm_stat(s, f->comm);
	if (c) {
		c->forks++;
		c->vmas += f->vmas_locked;
		c->window_ns += f->window_ns;
	}
}

const char *fl_summary_view(const struct fl_summary *s)
{
	int i;

	for (i = 0; s->command_view && i < s->nr_traces; i++)
		if (s->traces[i].has_command_tree)
			return "command";
	return "host";
}

void fl_summary_add_trace(struct fl_summary *s, const struct fl_trace_info *info)
{
	struct fl_trace_info *n = realloc(s->traces, (s->nr_traces + 1) * sizeof(*n));

	if (!n) {
		s->oom = true;
		return;
	}
	s->traces = n;
	s->traces[s->nr_traces++] = *info;
	s->events += info->events;
	s->lost_events += fl_trace_lost(info);
	s->lost_unknown |= info->lost_unknown;
	s->duration_ns += info->duration_ns;
	if (s->command_view && info->has_command_tree) {
		s->clone_vm_spawns += info->command_clone_vm_spawns;
		s->threads_created += info->command_threads_created;
		s->vforks += info->command_vforks;
	} else {
		s->clone_vm_spawns += info->clone_vm_spawns;
		s->threads_created += info->threads_created;
		s->vforks += info->vforks;
	}
	s->kthread_spawns += info->kthread_spawns;
	s->unmatched_newtasks += info->unmatched_newtasks;
	s->failed_write_locks += info->failed_write_locks;
	if (info->fn_unresolved)
		s->fn_unresolved = true;
	if (!info->vma_locks)
		s->vma_locks_known = false;
	if (info->has_dup_probe) {
		s->has_dup_probe = true;
		s->dup_probe[0][0] += info->dup_probe[0][0];
		s->dup_probe[0][1] += info->dup_probe[0][1];
		s->dup_probe[1][0] += info->dup_probe[1][0];
		s->dup_probe[1][1] += info->dup_probe[1][1];
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_comm(const void *a, const void *b)
{
	const struct fl_comm_stat *x = a, *y = b;

	if (x->forks != y->forks)
		return x->forks < y->forks ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

static void pct_of(uint64_t *v, uint64_t n, struct fl_pct *p)
{
	if (n)		/* qsort(NULL, 0) is undefined */
		qsort(v, n, sizeof(*v), cmp_u64);
	p->p50 = fl_percentile(v, n, 0.50);
	p->p99 = fl_percentile(v, n, 0.99);
	p->max = n ? v[n - 1] : 0;
}

int fl_summary_finish(struct fl_summary *s)
{
	uint64_t n = s->nr_points, i, *v;
	uint32_t maxv = 0;
	int b;

	if (s->nr_comms)	/* no forks: comms is NULL, and qsort(NULL, 0) undefined */
		qsort(s->comms, s->nr_comms, sizeof(*s->comms), cmp_comm);
	if (fl_offcpu_finish(&s->offcpu))
		s->oom = true;
	if (s->nr_vma_waits)
		pct_of(s->vma_waits, s->nr_vma_waits, &s->vma_wait);
	if (!n)
		return s->oom ? -1 : 0;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = s->points[i].vmas_locked;
	pct_of(v, n, &s->vmas);
	for (i = 0; i < n; i++)
		v[i] = s->points[i].window_ns;
	pct_of(v, n, &s->window);
	for (i = 0; i < n; i++)
		v[i] = s->points[i].lock_wait_ns;
	pct_of(v, n, &s->lock_wait);

	/* buckets: 0-15, 16-31, 32-63, ... up to the largest VMA count */
	for (i = 0; i < n; i++)
		if (s->points[i].vmas_locked > maxv)
			maxv = s->points[i].vmas_locked;
	for (b = 0; b < FL_NR_BUCKETS; b++) {
		struct fl_bucket *bk = &s->buckets[b];
		uint64_t m = 0;

		bk->lo = fl_bucket_lo(b);
		bk->hi = fl_bucket_hi(b);
		for (i = 0; i < n; i++)
			if (s->points[i].vmas_locked >= bk->lo && s->points[i].vmas_locked <= bk->hi)
				v[m++] = s->points[i].window_ns;
		bk->forks = m;
		if (m) {
			struct fl_pct p;

			pct_of(v, m, &p);
			bk->p50_ns = p.p50;
			bk->p99_ns = p.p99;
			bk->max_ns = p.max;
		}
		s->nr_buckets = b + 1;
		if (bk->hi >= maxv)
			break;
	}
	free(v);
	return s->oom ? -1 : 0;
}

void fl_summary_free(struct fl_summary *s)
{
	free(s->points);
	free(s->vma_waits);
	free(s->comms);
	free(s->traces);
	fl_offcpu_free(&s->offcpu);
	memset(s, 0, sizeof(*s));
}
