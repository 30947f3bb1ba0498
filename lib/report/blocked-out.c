// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Forks blocked in their windows, in the text and mail outputs: how often,
 * how long, on what kind of VMA, behind whom; and what each policy would
 * have avoided of it, with the exposure that comes with the saving.  Said
 * only of traces with scheduler events (a trace without them says so).
 */
#include <stdbool.h>

#include "report/blocked-out.h"
#include "report/mail.h"

static bool any_sched(const struct fl_summary *s)
{
	int i;

	for (i = 0; i < s->nr_traces; i++)
		if (s->traces[i].has_sched)
			return true;
	return false;
}

static const char *size_str(char *buf, size_t len, const struct fl_offcpu_vma *v)
{
	uint64_t n = v->end - v->start;

	if (!v->end)
		snprintf(buf, len, "after the last VMA");
	else if (n >= (1ull << 20))
		snprintf(buf, len, "%.1f MiB", n / 1048576.0);
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)(n >> 10));
	return buf;
}

void fl_text_blocked(FILE *out, const struct fl_report *rep)
{
	const struct fl_summary *s = rep->s;
	const struct fl_offcpu_sum *o = &s->offcpu;
	char a[32], b[32], c[32], d[32];
	int i;

	if (!any_sched(s)) {
		fprintf(out, "fork blocked in window   (no sched_switch/sched_waking in the trace)\n");
		return;
	}
	fprintf(out, "fork blocked in window %9llu   of %llu forks; blocked %s: p50 %s, p99 %s, max %s\n",
		(unsigned long long)o->forks_blocked, (unsigned long long)o->sched_forks,
		fl_fmt_ns(a, sizeof(a), o->blocked_ns), fl_fmt_ns(b, sizeof(b), o->blocked.p50),
		fl_fmt_ns(c, sizeof(c), o->blocked.p99), fl_fmt_ns(d, sizeof(d), o->blocked.max));
	fprintf(out, "  preempted (runnable) %10s   (apart from blocked)\n",
		fl_fmt_ns(a, sizeof(a), o->preempted_ns));
	for (i = 0; i < FL_WAKE_NR; i++)
		if (o->wake_blocks[i])
			fprintf(out, "  woken by %-12s %9llu   blocks, %s\n", fl_wake_name(i),
				(unsigned long long)o->wake_blocks[i],
				fl_fmt_ns(a, sizeof(a), o->wake_ns[i]));
	for (i = 0; i < o->nr_vmas && i < FL_OFFCPU_TOP; i++) {
		const struct fl_offcpu_vma *v = &o->vmas[i];

		fprintf(out, "  on %-6s VMA %#llx %s: %llu forks, %s\n", fl_vma_kind_name(v->kind),
			(unsigned long long)v->start, size_str(b, sizeof(b), v),
			(unsigned long long)v->forks, fl_fmt_ns(a, sizeof(a), v->ns));
	}
}

void fl_text_avoided(FILE *out, const struct fl_report *rep)
{
	char a[32];
	int i;

	if (!any_sched(rep->s) || !rep->policies->nr)
		return;
	fprintf(out, "\nblocked time the policies would avoid (blocks on VMAs they skip)\n");
	fprintf(out, "  %-22s %12s %8s %10s %9s\n", "policy", "avoided", "forks", "not known",
		"exposed");
	for (i = 0; i < rep->policies->nr; i++) {
		const struct fl_policy_result *r = &rep->results[i];

		fprintf(out, "  %-22s %12s %8llu %10llu %9llu\n", rep->policies->v[i].p->name,
			fl_fmt_ns(a, sizeof(a), r->avoided_blocked_ns),
			(unsigned long long)r->avoided_forks,
			(unsigned long long)r->avoided_unknown_forks,
			(unsigned long long)r->exposed_accessors);
	}
}

void fl_mail_blocked(FILE *out, const struct fl_report *rep)
{
	const struct fl_summary *s = rep->s;
	const struct fl_offcpu_sum *o = &s->offcpu;
	char a[32], b[32], c[32], d[32], e[32];
	int i;

	fputc('\n', out);
	if (!any_sched(s)) {
		fl_mail_printf(out, 2, "Blocked: not known (no sched_switch/sched_waking in the "
			       "trace)");
		return;
	}
	fl_mail_printf(out, 2, "Blocked: %llu of %llu forks blocked inside their window, "
		       "%s in all (p50 %s, p99 %s, max %s per blocked fork); preempted %s "
		       "apart", (unsigned long long)o->forks_blocked,
		       (unsigned long long)o->sched_forks, fl_mail_ns(a, sizeof(a), o->blocked_ns),
		       fl_mail_ns(b, sizeof(b), o->blocked.p50),
		       fl_mail_ns(c, sizeof(c), o->blocked.p99),
		       fl_mail_ns(d, sizeof(d), o->blocked.max),
		       fl_mail_ns(e, sizeof(e), o->preempted_ns));
	for (i = 0; i < FL_WAKE_NR; i++)
		if (o->wake_blocks[i])
			fl_mail_printf(out, 4, "  behind %s: %llu blocks, %s", fl_wake_name(i),
				       (unsigned long long)o->wake_blocks[i],
				       fl_mail_ns(a, sizeof(a), o->wake_ns[i]));
	for (i = 0; i < o->nr_vmas && i < FL_OFFCPU_TOP; i++) {
		const struct fl_offcpu_vma *v = &o->vmas[i];

		fl_mail_printf(out, 4, "  on %s VMA of %s: %llu forks, %s",
			       fl_vma_kind_name(v->kind), size_str(b, sizeof(b), v),
			       (unsigned long long)v->forks, fl_mail_ns(a, sizeof(a), v->ns));
	}
	if (rep->policies->nr)
		fl_mail_printf(out, 2, "  %-19s %12s %8s %9s", "avoided by", "blocked", "forks",
			       "exposed");
	for (i = 0; i < rep->policies->nr; i++) {
		const struct fl_policy_result *r = &rep->results[i];

		fl_mail_printf(out, 2, "  %-19s %12s %8llu %9llu%s", rep->policies->v[i].p->name,
			       fl_mail_ns(a, sizeof(a), r->avoided_blocked_ns),
			       (unsigned long long)r->avoided_forks,
			       (unsigned long long)r->exposed_accessors,
			       r->avoided_unknown_forks ? " (some not known)" : "");
	}
}
