// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Text output: a summary read in ten seconds, then the details.  With
 * --forks, one line per fork first.
 */
#include <stdlib.h>
#include <string.h>

#include "report/blocked-out.h"
#include "report/render.h"

#define FL_TEXT_COLUMNS 100

struct text_ctx {
	struct fl_render_opts opts;
	bool header;
};

static void *text_begin(const struct fl_render_opts *opts)
{
	struct text_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->opts = *opts;
	if (opts->extra && opts->extra->text)
		opts->extra->text(opts->out, false, opts->extra->arg);
	return c;
}

static const char *threads_str(char *buf, size_t len, int threads)
{
	if (threads < 0)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%d", threads);
	return buf;
}

static void text_fork(void *ctx, const struct fl_fork *f, const struct fl_policy_set *set,
		      const struct fl_decision *d)
{
	struct text_ctx *c = ctx;
	FILE *out = c->opts.out;
	char w[32], th[16], mu[16];
	uint32_t i;

	if (!c->opts.forks)
		return;
	if (!c->header) {
		fprintf(out, "%-18s %-16s %7s %7s %7s %7s %8s %-7s %6s %6s %10s  %s\n", "time", "comm",
			"pid", "tgid", "child", "threads", "mm_users", "uffd", "locked", "copied",
			"window", "notes");
		c->header = true;
	}
	if (f->mm_users >= 0)
		snprintf(mu, sizeof(mu), "%d", f->mm_users);
	else
		snprintf(mu, sizeof(mu), "-");
	fprintf(out, "%-18.6f %-16s %7d %7d %7d %7s %8s %-7s %6u %6u %10s", f->ts / 1e9, f->comm,
		f->parent_pid, f->parent_tgid, f->child_pid, threads_str(th, sizeof(th), f->threads),
		mu, fl_uffd_name(f->uffd), f->vmas_locked, f->vmas_copied,
		fl_fmt_ns(w, sizeof(w), f->window_ns));
	if (f->locked_quality == FL_LOCKED_ESTIMATED)
		fputs(" locked-estimated", out);
	else if (f->locked_quality == FL_LOCKED_KERNEL)
		fprintf(out, " locked-read(%s)", fl_source_name(f->src.vmas_locked));
	if (f->vmas_dontcopy > 0)
		fprintf(out, " dontcopy=%d", f->vmas_dontcopy);
	if (f->mm_users >= 0 && f->threads > f->mm_users)
		fputs(" mm_users<threads", out);	/* model and kernel disagree */
	if (fl_fork_extra_users(f)) {
		fprintf(out, " mm_users>threads:");
		for (i = 0; i < f->nr_holders; i++)
			if (f->holder[i].pid >= 0)
				fprintf(out, "%s%s:%s/%d", i ? "," : "", fl_holder_name(f->holder[i].kind),
					f->holder[i].comm, f->holder[i].pid);
			else
				fprintf(out, "%s%s", i ? "," : "", fl_holder_name(f->holder[i].kind));
	}
	if (f->partial)
		fputs(" partial", out);
	else if (fl_fork_aborted(f))
		fputs(" aborted", out);
	if (f->lost_events)
		fputs(" lost-events", out);
	for (i = 0; i < f->nr_detail; i++) {
		const struct fl_accessor *a = &f->accessor[i];

		fprintf(out, " %s:%s/%d", fl_access_name(a->kind), a->comm, a->pid);
	}
	if (f->nr_accessors > f->nr_detail)
		fprintf(out, " (+%u more)", f->nr_accessors - f->nr_detail);
	for (i = 0; d && i < (uint32_t)set->nr; i++)
		if (d[i].decision != FORKLOCK_LOCK)
			fprintf(out, " %s=%s%s%s", set->v[i].p->name, fl_decision_name(d[i].decision),
				d[i].safety == FL_SAFETY_NA ? "" : "/",
				d[i].safety == FL_SAFETY_NA ? "" : fl_safety_name(d[i].safety));
	fputc('\n', out);
}

/* What the kprobe tier saw inside dup_mmap(), and the seed experiment. */
static void kprobe_sections(FILE *out, const struct fl_summary *s)
{
	char a[32], b[32], c[32];
	int i, u, l;

	if (s->kprobe_forks) {
		fprintf(out, "\ninside dup_mmap() (kprobes, %llu forks)\n",
			(unsigned long long)s->kprobe_forks);
		fprintf(out, "  parent VMA locks    %10llu   child VMA locks %llu (never wait)\n",
			(unsigned long long)s->parent_locks, (unsigned long long)s->child_locks);
		if (s->nr_vma_waits)
			fprintf(out, "  per-VMA lock wait               p50 %s, p99 %s, max %s (%llu locks)\n",
				fl_fmt_ns(a, sizeof(a), s->vma_wait.p50),
				fl_fmt_ns(b, sizeof(b), s->vma_wait.p99),
				fl_fmt_ns(c, sizeof(c), s->vma_wait.max),
				(unsigned long long)s->nr_vma_waits);
		fprintf(out, "  readers fell back   %10llu   (lock_vma_under_rcu() NULL in a window)\n",
			(unsigned long long)s->rcu_fallbacks);
		for (i = 0; i < s->nr_longest; i++)
			fprintf(out, "  longest wait: %s by %s/%d at %.6f (%u locks, %s in all)\n",
				fl_fmt_ns(a, sizeof(a), s->longest[i].max_ns), s->longest[i].comm,
				s->longest[i].pid, s->longest[i].ts / 1e9, s->longest[i].waits,
				fl_fmt_ns(b, sizeof(b), s->longest[i].total_ns));
	}
	if (s->has_dup_probe) {
		/* as bpftrace prints its map: by count, ascending */
		uint64_t done[2][2] = { { 0 } };
		int n;

		fprintf(out, "\nseed experiment: dup_probe(only_user, locked)\n"
			"  (bpftrace -e 'kprobe:dup_probe { @[arg0, arg1] = count(); }')\n");
		for (n = 0; n < 4; n++) {
			int bu = -1, bl = -1;

			for (u = 0; u < 2; u++)
				for (l = 0; l < 2; l++)
					if (s->dup_probe[u][l] && !done[u][l] &&
					    (bu < 0 || s->dup_probe[u][l] < s->dup_probe[bu][bl]))
						bu = u, bl = l;
			if (bu < 0)
				break;
			done[bu][bl] = 1;
			fprintf(out, "@[%d, %d]: %llu\n", bu, bl, (unsigned long long)s->dup_probe[bu][bl]);
		}
	}
}

static void policies(FILE *out, const struct fl_report *rep)
{
	const struct fl_summary *s = rep->s;
	char a[32], b[32], line[320];
	int i, e;

	if (!rep->policies->nr)
		return;
	fprintf(out, "\nif fork skipped vma_start_write(): saved = locks skipped x %s per lock, a model\n",
		fl_fmt_ns(a, sizeof(a), rep->cost.ns));
	snprintf(line, sizeof(line), "  lock cost %s", rep->cost.source);
	fl_render_wrap(out, FL_TEXT_COLUMNS, 4, line);
	fprintf(out, "  %-19s %8s %9s %9s %10s %7s %7s  %s\n", "policy", "skipped", "undecided",
		"locks", "saved", "share", "unsafe", "verdict");
	for (i = 0; i < rep->policies->nr; i++) {
		const struct fl_policy_result *r = &rep->results[i];
		uint64_t saved = r->skipped_locks * rep->cost.ns;

		fprintf(out, "  %-19s %8llu %9llu %9llu %10s %6.2f%% %7llu  %s\n",
			rep->policies->v[i].p->name, (unsigned long long)r->skipped_forks,
			(unsigned long long)r->undecided_forks, (unsigned long long)r->skipped_locks,
			fl_fmt_ns(a, sizeof(a), saved),
			s->window_total_ns ? 100.0 * saved / s->window_total_ns : 0.0,
			(unsigned long long)r->unsafe_forks, fl_verdict_text(b, sizeof(b), r));
	}
	fprintf(out, "  (a verdict is over the forks the policy decided; undecided ones are not judged)\n");
	if (s->forks_with_accessors) {
		fprintf(out, "  %-19s %8s %9s %9s   of the %llu forks touched in their window\n",
			"touched forks", "locked", "skipped", "undecided",
			(unsigned long long)s->forks_with_accessors);
		for (i = 0; i < rep->policies->nr; i++) {
			const struct fl_policy_result *r = &rep->results[i];

			fprintf(out, "  %-19s %8llu %9llu %9llu\n", rep->policies->v[i].p->name,
				(unsigned long long)r->touched_locked_forks,
				(unsigned long long)r->touched_skipped_forks,
				(unsigned long long)r->touched_undecided_forks);
		}
	}
	for (i = 0; i < rep->policies->nr; i++) {
		const struct fl_policy_result *r = &rep->results[i];

		for (e = 0; e < r->nr_evidence; e++) {
			const struct fl_evidence *ev = &r->evidence[e];

			fprintf(out, "  %s: %s: fork by %s/%d at %.6f: %s by %s/%d at +%s",
				rep->policies->v[i].p->name, r->unsafe_forks ? "unsafe" : "unknown",
				ev->parent_comm, ev->parent_pid, ev->fork_ts / 1e9,
				fl_access_name(ev->a.kind), ev->a.comm, ev->a.pid,
				fl_fmt_ns(a, sizeof(a), ev->a.ts > ev->fork_ts ? ev->a.ts - ev->fork_ts : 0));
			if (ev->a.blocked_ns >= 0)
				fprintf(out, ", blocked %s", fl_fmt_ns(b, sizeof(b), ev->a.blocked_ns));
			fputc('\n', out);
		}
	}
}

static double pct_of(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

static void bar(FILE *out, uint64_t v, uint64_t max, int width)
{
	int n = max ? (int)((double)v * width / max + 0.5) : 0;

	if (v && !n)
		n = 1;
	while (n-- > 0)
		fputc('#', out);
}

static int text_end(void *ctx, const struct fl_report *rep)
{
	const struct fl_summary *s = rep->s;
	struct text_ctx *c = ctx;
	FILE *out = c->opts.out;
	char a[32], b[32], d[32], e[32], view[192], line[256];
	uint64_t maxp50 = 0;
	int i, k;

	if (c->header)
		fputc('\n', out);
	for (i = 0; i < s->nr_traces; i++) {
		const struct fl_trace_info *t = &s->traces[i];

		fprintf(out, "trace %s: kernel %s, tier %s, %d CPUs, %s, %llu events, %llu lost%s\n",
			t->path, t->kernel, fl_tier_name(t->tier), t->nr_cpus,
			fl_fmt_ns(a, sizeof(a), t->duration_ns), (unsigned long long)t->events,
			(unsigned long long)fl_trace_lost(t), t->lost_unknown ? " (and an unknown number)" : "");
		if (t->command[0])
			fprintf(out, "  command: %s\n", t->command);
		if (t->stopped) {
			char line[320];

			snprintf(line, sizeof(line), "  %s %.3f s into the trace: %s%s",
				 t->recovered ? "recovered: the recorder died; data up to" :
				 "recording stopped early",
				 (double)(t->stop_ns - (int64_t)t->first_ts) / 1e9, t->stop_why,
				 t->stop_cut ? " (the trace lacks the rest of the run)" : "");
			fl_render_wrap(out, FL_TEXT_COLUMNS, 4, line);
		}
		snprintf(line, sizeof(line), "  view: %s",
			 fl_render_view(view, sizeof(view), s, t));
		fl_render_wrap(out, FL_TEXT_COLUMNS, 4, line);
		if (t->unknown_events)
			fprintf(out, "  %llu events of ids the trace has no format for: skipped\n",
				(unsigned long long)t->unknown_events);
		if (t->tier == FL_TIER_KPROBE)
			fprintf(out, "  kprobes inside dup_mmap() (arguments by %s): mm_users and "
				"mm_count read, not inferred\n", t->probes[0] ? t->probes : "name");
		if (t->bpf)
			fprintf(out, "  bpf programs on tracepoints: mm_users, mm_count and map_count "
				"read, not inferred; %llu fork records (%llu joined to a fork, %llu to "
				"none), %s%llu lost (BPF ring buffer full)\n",
				(unsigned long long)t->bpf_records, (unsigned long long)t->bpf_joined,
				(unsigned long long)t->bpf_unjoined,
				t->bpf_stats ? "" : "no end record: unknown, ",
				(unsigned long long)t->bpf_lost);
		if (t->bpf_stats && t->bpf_lost)
			fprintf(out, "  %llu bpf fork records were lost: those forks have no kernel-read "
				"values (tier tracepoint, each marked bpf_lost and counted with lost events)\n",
				(unsigned long long)t->bpf_lost);
		if (t->light)
			fprintf(out, "  light mode (--light): no per-VMA events; VMAs locked are oldmm's "
				"map_count; VMA kinds and the VMA at which mm_users rose are not shown\n");
		if (!t->has_snapshot)
			fprintf(out, "  no forklock snapshot: threads and uffd of processes that existed "
				"before the trace are unknown\n");
		for (k = 0; k < t->nr_missing; k++)
			fprintf(out, "  not in this trace: %s\n", t->missing[k]);
		if (t->fn_unresolved)
			fprintf(out, "  ma_write.fn did not resolve (no printk_formats entry): "
				"every ma_write in a window was counted as a copied VMA\n");
		if (!t->vma_locks)
			fprintf(out, "  kernel %s has no per-VMA locks (before 6.4): dup_mmap() "
				"locks no VMA; VMAs locked are 0\n", t->kernel);
	}
	fputc('\n', out);

	fprintf(out, "forks                 %10llu   single-threaded %llu (%.1f%%), multi-threaded %llu",
		(unsigned long long)s->forks, (unsigned long long)s->single_threaded_forks,
		pct_of(s->single_threaded_forks, s->forks), (unsigned long long)s->multi_threaded_forks);
	if (s->unknown_threads_forks)
		fprintf(out, ", threads unknown %llu", (unsigned long long)s->unknown_threads_forks);
	fputc('\n', out);
	if (s->mm_users_read_forks)
		fprintf(out, "  mm_users read       %10llu   (kernel-read) differs from threads (model) in %llu\n",
			(unsigned long long)s->mm_users_read_forks,
			(unsigned long long)s->users_disagree_forks);
	if (s->extra_users_forks)
		fprintf(out, "  transient mm_users  %10llu   forks: mm_users > threads, another holder "
			"of the mm, not a thread\n", (unsigned long long)s->extra_users_forks);
	fprintf(out, "  with userfaultfd    %10llu", (unsigned long long)s->uffd_forks);
	if (s->uffd_unknown_forks)
		fprintf(out, "   (unknown: %llu)", (unsigned long long)s->uffd_unknown_forks);
	fputc('\n', out);
	fprintf(out, "  partial / aborted   %10llu / %llu\n", (unsigned long long)s->partial_forks,
		(unsigned long long)s->aborted_forks);
	if (s->lossy_forks)
		fprintf(out, "  with lost events    %10llu\n", (unsigned long long)s->lossy_forks);
	fprintf(out, "clone(CLONE_VM)       %10llu   threads %llu, vfork %llu, other %llu (no dup_mmap)\n",
		(unsigned long long)s->clone_vm_spawns, (unsigned long long)s->threads_created,
		(unsigned long long)s->vforks,
		(unsigned long long)(s->clone_vm_spawns - s->threads_created - s->vforks));
	fprintf(out, "parent VMA locks      %10llu   per fork p50 %llu, p99 %llu, max %llu\n",
		(unsigned long long)s->vma_locks, (unsigned long long)s->vmas.p50,
		(unsigned long long)s->vmas.p99, (unsigned long long)s->vmas.max);
	if (s->vmas_dontcopy)
		fprintf(out, "  VM_DONTCOPY         %10llu   locked, not copied (%llu copied)\n",
			(unsigned long long)s->vmas_dontcopy, (unsigned long long)s->vmas_copied);
	if (s->locked_kernel_forks)
		fprintf(out, "  read by the kernel  %10llu   forks\n",
			(unsigned long long)s->locked_kernel_forks);
	if (s->locked_estimated_forks)
		fprintf(out, "  estimated           %10llu   forks (their VM_DONTCOPY part is not sure)\n",
			(unsigned long long)s->locked_estimated_forks);
	fprintf(out, "oldmm write window    %10s   p50 %s, p99 %s, max %s (total)\n",
		fl_fmt_ns(a, sizeof(a), s->window_total_ns), fl_fmt_ns(b, sizeof(b), s->window.p50),
		fl_fmt_ns(d, sizeof(d), s->window.p99), fl_fmt_ns(e, sizeof(e), s->window.max));
	fprintf(out, "wait for oldmm lock               p50 %s, p99 %s, max %s\n",
		fl_fmt_ns(b, sizeof(b), s->lock_wait.p50), fl_fmt_ns(d, sizeof(d), s->lock_wait.p99),
		fl_fmt_ns(e, sizeof(e), s->lock_wait.max));
	fprintf(out, "touched during window %10llu   forks (could reach a VMA: %llu); others blocked %s\n",
		(unsigned long long)s->forks_with_accessors,
		(unsigned long long)s->forks_with_vma_reachers, fl_fmt_ns(a, sizeof(a), s->blocked_ns));
	for (k = 0; k < FL_ACC_NR; k++)
		if (s->accessors_by_kind[k])
			fprintf(out, "  %-20s%10llu\n", fl_access_name(k),
				(unsigned long long)s->accessors_by_kind[k]);

	fl_text_blocked(out, rep);
	kprobe_sections(out, s);
	policies(out, rep);
	fl_text_avoided(out, rep);
	if (s->nr_comms && c->opts.top > 0) {
		fprintf(out, "\ntop forking commands     forks  VMAs/fork  window/fork\n");
		for (i = 0; i < s->nr_comms && i < c->opts.top; i++) {
			const struct fl_comm_stat *cs = &s->comms[i];

			fprintf(out, "  %-20s %8llu %10llu %12s\n", cs->comm,
				(unsigned long long)cs->forks,
				(unsigned long long)(cs->vmas / cs->forks),
				fl_fmt_ns(a, sizeof(a), cs->window_ns / cs->forks));
		}
	}
	if (s->forks) {
		for (i = 0; i < s->nr_buckets; i++)
			if (s->buckets[i].p50_ns > maxp50)
				maxp50 = s->buckets[i].p50_ns;
		fprintf(out, "\nwindow by VMAs locked (bar: p50)\n");
		fprintf(out, "  %-13s %8s %10s %10s\n", "VMAs", "forks", "p50", "p99");
		for (i = 0; i < s->nr_buckets; i++) {
			const struct fl_bucket *bk = &s->buckets[i];
			char range[32];

			if (bk->hi == UINT32_MAX)
				snprintf(range, sizeof(range), "%u+", bk->lo);
			else
				snprintf(range, sizeof(range), "%u-%u", bk->lo, bk->hi);
			fprintf(out, "  %-13s %8llu %10s %10s", range, (unsigned long long)bk->forks,
				bk->forks ? fl_fmt_ns(a, sizeof(a), bk->p50_ns) : "-",
				bk->forks ? fl_fmt_ns(b, sizeof(b), bk->p99_ns) : "-");
			if (bk->p50_ns) {
				fputs("  ", out);
				bar(out, bk->p50_ns, maxp50, 30);
			}
			fputc('\n', out);
		}
	}
	free(c);
	return fl_render_end(out);
}

const struct fl_renderer fl_render_text = {
	.name = "text",
	.begin = text_begin,
	.fork = text_fork,
	.end = text_end,
};
