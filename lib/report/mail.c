// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Mail output: what a reader of a patch thread needs, in plain ASCII of at
 * most 72 columns, and the forklock command lines that produced it.  The
 * wording is fixed (tests/report/golden/ holds it); numbers are the same
 * as the JSON report's.  --forks has no effect: one line per fork does not
 * belong in a mail.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "report/blocked-out.h"
#include "report/mail.h"
#include "shell.h"

#define LABEL "%-19s "		/* the label column of the summary */
#define SUBLABEL "  %-17s "

static char *this_cmdline;

void fl_render_set_cmdline(const char *cmdline)
{
	free(this_cmdline);
	this_cmdline = cmdline ? strdup(cmdline) : NULL;
	if (cmdline && !this_cmdline)
		fl_render_nomem();
}

const char *fl_render_cmdline(void)
{
	return this_cmdline;
}

/* printable ASCII only: tabs become spaces, anything else '?' */
static void sanitize(char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '\t')
			*s = ' ';
		else if (c < 0x20 || c > 0x7e)
			*s = '?';
	}
}

static void pad(FILE *out, int n)
{
	while (n-- > 0)
		fputc(' ', out);
}

const char *fl_mail_ns(char *buf, size_t len, uint64_t ns)
{
	char *sp;

	fl_fmt_ns(buf, len, ns);
	sp = strchr(buf, ' ');
	if (sp)
		*sp = FL_MAIL_NBSP;
	return buf;
}

void fl_mail_printf(FILE *out, int indent, const char *fmt, ...)
{
	char *text, *line, *next;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fl_render_nomem();
		return;
	}
	for (line = text; *line; line++)
		if (*line != '\n' && *line != FL_MAIL_NBSP &&
		    (*line == '\t' || (unsigned char)*line < 0x20 ||
				      (unsigned char)*line > 0x7e))
			*line = *line == '\t' ? ' ' : '?';
	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!next && !*line && line != text)
			break;		/* a trailing '\n' */
		fl_render_wrap(out, FL_MAIL_COLUMNS, indent, line);
	}
	free(text);
}

/* ---- shell command lines ----------------------------------------------------- */

/* the next word of @s (split at spaces outside single quotes); returns its length */
static size_t shell_word(const char *s)
{
	bool quoted = false;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] == '\'')
			quoted = !quoted;
		else if (s[i] == ' ' && !quoted)
			break;
	}
	return i;
}

struct cmd_out {
	FILE *out;
	int col;
};

static void cmd_newline(struct cmd_out *o, int indent)
{
	fputs(" \\\n", o->out);
	pad(o->out, indent);
	o->col = indent;
}

/* a word too long for any line: cut it with backslash-newlines */
static void cmd_cut_word(struct cmd_out *o, const char *w, size_t len)
{
	bool quoted = false;
	size_t i;

	for (i = 0; i < len; i++) {
		/* room for the char, and for "'\" after it */
		if (o->col + 1 + (quoted || w[i] == '\'' ? 2 : 1) > FL_MAIL_COLUMNS) {
			fputs(quoted ? "'\\\n'" : "\\\n", o->out);
			o->col = quoted ? 1 : 0;
		}
		if (w[i] == '\'')
			quoted = !quoted;
		fputc(w[i], o->out);
		o->col++;
	}
}

void fl_mail_command(FILE *out, int indent, const char *cmd)
{
	struct cmd_out o = { .out = out, .col = indent };
	int cont = indent + 4;
	char *text = strdup(cmd ? cmd : ""), *s;
	bool first = true;

	if (!text) {
		fl_render_nomem();
		return;
	}
	sanitize(text);
	pad(out, indent);
	for (s = text; *s; ) {
		size_t len;

		s += strspn(s, " ");
		if (!*s)
			break;
		len = shell_word(s);
		/* keep 2 columns for " \" */
		if (!first && o.col + 1 + (int)len + 2 > FL_MAIL_COLUMNS)
			cmd_newline(&o, cont);
		else if (!first) {
			fputc(' ', out);
			o.col++;
		}
		if (o.col + (int)len + 2 > FL_MAIL_COLUMNS)
			cmd_cut_word(&o, s, len);
		else {
			fwrite(s, 1, len, out);
			o.col += len;
		}
		first = false;
		s += len;
	}
	fputc('\n', out);
	free(text);
}

/* ---- the renderer ------------------------------------------------------------ */

struct mail_ctx {
	struct fl_render_opts opts;
};

static void *mail_begin(const struct fl_render_opts *opts)
{
	struct mail_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->opts = *opts;
	if (opts->extra && opts->extra->text)
		opts->extra->text(opts->out, true, opts->extra->arg);
	return c;
}

static void mail_fork(void *ctx, const struct fl_fork *f, const struct fl_policy_set *set,
		      const struct fl_decision *d)
{
}

static double pct_of(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0.0;
}

static void mail_traces(FILE *out, const struct fl_summary *s)
{
	char a[32], view[192];
	int i, k;

	for (i = 0; i < s->nr_traces; i++) {
		const struct fl_trace_info *t = &s->traces[i];

		fl_mail_printf(out, 12, "%-11s %s", "Trace:", t->path);
		fl_mail_printf(out, 12, "%-11s %s (%s tier, %d CPUs, clock %s)", "Kernel:", t->kernel,
			       fl_tier_name(t->tier), t->nr_cpus, t->clock[0] ? t->clock : "unknown");
		if (t->command[0])
			fl_mail_printf(out, 12, "%-11s %s", "Workload:", t->command);
		else if (t->has_snapshot)
			fl_mail_printf(out, 12, "%-11s %s", "Workload:",
				       "not recorded (no COMMAND given to forklock record)");
		else
			fl_mail_printf(out, 12, "%-11s %s", "Workload:",
				       "not recorded (not written by forklock record)");
		fl_mail_printf(out, 12, "%-11s %s", "View:", fl_render_view(view, sizeof(view), s, t));
		fl_mail_printf(out, 12, "%-11s %s, %llu events, %llu lost%s", "Duration:",
			       fl_mail_ns(a, sizeof(a), t->duration_ns),
			       (unsigned long long)t->events, (unsigned long long)fl_trace_lost(t),
			       t->lost_unknown ? " (and an unknown number)" : "");
		if (!t->has_snapshot)
			fl_mail_printf(out, 12, "%-11s %s", "Note:",
				       "no forklock snapshot: threads and uffd of processes that "
				       "existed before the trace are unknown");
		for (k = 0; k < t->nr_missing; k++)
			fl_mail_printf(out, 12, "%-11s not in this trace: %s", "Note:", t->missing[k]);
		if (t->unknown_events)
			fl_mail_printf(out, 12, "%-11s %llu events of ids the trace has no format "
				       "for: skipped", "Note:", (unsigned long long)t->unknown_events);
		if (t->fn_unresolved)
			fl_mail_printf(out, 12, "%-11s %s", "Note:",
				       "ma_write.fn did not resolve: every ma_write in a window "
				       "was counted as a copied VMA");
		if (!t->vma_locks)
			fl_mail_printf(out, 12, "%-11s kernel %s has no per-VMA locks (before 6.4): "
				       "VMAs locked are 0", "Note:", t->kernel);
		fputc('\n', out);
	}
	if (s->nr_traces > 1) {
		fl_mail_printf(out, 12, "%-11s %d traces, %s, %llu events, %llu lost%s", "Total:",
			       s->nr_traces, fl_mail_ns(a, sizeof(a), s->duration_ns),
			       (unsigned long long)s->events, (unsigned long long)s->lost_events,
			       s->lost_unknown ? " (and an unknown number)" : "");
		fputc('\n', out);
	}
}

static void mail_summary(FILE *out, const struct fl_summary *s)
{
	char a[32], b[32], c[32], d[32];

	fl_mail_printf(out, 20, LABEL "%llu complete", "Forks:", (unsigned long long)s->forks);
	fl_mail_printf(out, 20, LABEL "%llu (%.1f%%)", "  single-threaded",
		       (unsigned long long)s->single_threaded_forks,
		       pct_of(s->single_threaded_forks, s->forks));
	fl_mail_printf(out, 20, LABEL "%llu", "  multi-threaded",
		       (unsigned long long)s->multi_threaded_forks);
	fl_mail_printf(out, 20, LABEL "%llu", "  threads unknown",
		       (unsigned long long)s->unknown_threads_forks);
	if (s->mm_users_read_forks)
		fl_mail_printf(out, 20, LABEL "%llu (kernel-read; differs from threads in %llu)",
			       "  mm_users read", (unsigned long long)s->mm_users_read_forks,
			       (unsigned long long)s->users_disagree_forks);
	if (s->extra_users_forks)
		fl_mail_printf(out, 20, LABEL "%llu forks (mm_users > threads: another holder of "
			       "the mm, not a thread)", "  transient mm_users",
			       (unsigned long long)s->extra_users_forks);
	fl_mail_printf(out, 20, LABEL "%llu (unknown %llu)", "  with userfaultfd",
		       (unsigned long long)s->uffd_forks, (unsigned long long)s->uffd_unknown_forks);
	fl_mail_printf(out, 20, LABEL "%llu", "  with lost events", (unsigned long long)s->lossy_forks);
	fl_mail_printf(out, 20, LABEL "%llu partial, %llu aborted", "Not counted:",
		       (unsigned long long)s->partial_forks, (unsigned long long)s->aborted_forks);
	fl_mail_printf(out, 20, LABEL "%llu (threads %llu, vforks %llu; no dup_mmap)",
		       "CLONE_VM clones:", (unsigned long long)s->clone_vm_spawns,
		       (unsigned long long)s->threads_created, (unsigned long long)s->vforks);
	fl_mail_printf(out, 20, LABEL "%llu (per fork p50 %llu, p99 %llu, max %llu)",
		       "Parent VMA locks:", (unsigned long long)s->vma_locks,
		       (unsigned long long)s->vmas.p50, (unsigned long long)s->vmas.p99,
		       (unsigned long long)s->vmas.max);
	if (s->vmas_dontcopy)
		fl_mail_printf(out, 20, LABEL "%llu (locked, not copied; %llu copied)",
			       "  VM_DONTCOPY", (unsigned long long)s->vmas_dontcopy,
			       (unsigned long long)s->vmas_copied);
	if (s->locked_kernel_forks)
		fl_mail_printf(out, 20, LABEL "%llu forks", "  kernel-read",
			       (unsigned long long)s->locked_kernel_forks);
	if (s->locked_estimated_forks)
		fl_mail_printf(out, 20, LABEL "%llu forks (VM_DONTCOPY part not sure)", "  estimated",
			       (unsigned long long)s->locked_estimated_forks);
	fl_mail_printf(out, 20, LABEL "total %s, p50 %s, p99 %s, max %s", "Write window:",
		       fl_mail_ns(a, sizeof(a), s->window_total_ns),
		       fl_mail_ns(b, sizeof(b), s->window.p50), fl_mail_ns(c, sizeof(c), s->window.p99),
		       fl_mail_ns(d, sizeof(d), s->window.max));
	fl_mail_printf(out, 20, LABEL "p50 %s, p99 %s, max %s", "Wait for oldmm:",
		       fl_mail_ns(b, sizeof(b), s->lock_wait.p50),
		       fl_mail_ns(c, sizeof(c), s->lock_wait.p99),
		       fl_mail_ns(d, sizeof(d), s->lock_wait.max));
	fl_mail_printf(out, 20, LABEL "%llu forks (%llu could reach a VMA), others blocked %s",
		       "Touched in window:", (unsigned long long)s->forks_with_accessors,
		       (unsigned long long)s->forks_with_vma_reachers,
		       fl_mail_ns(a, sizeof(a), s->blocked_ns));
	for (int k = 0; k < FL_ACC_NR; k++)
		if (s->accessors_by_kind[k])
			fl_mail_printf(out, 20, SUBLABEL "%llu", fl_access_name(k),
				       (unsigned long long)s->accessors_by_kind[k]);
	fl_mail_printf(out, 20, LABEL "%llu%s", "Lost events:", (unsigned long long)s->lost_events,
		       s->lost_unknown ? " (and an unknown number)" : "");
}

static void mail_policies(FILE *out, const struct fl_report *rep)
{
	const struct fl_summary *s = rep->s;
	char a[32], b[32];
	int i, e;

	if (!rep->policies->nr)
		return;
	fputc('\n', out);
	fl_mail_printf(out, 2, "If fork skipped vma_start_write() (a model: saved = locks skipped "
		       "x lock cost):");
	fl_mail_printf(out, 4, "  Lock cost: %s, %s", fl_mail_ns(a, sizeof(a), rep->cost.ns),
		       rep->cost.source);
	fl_mail_printf(out, 4, "  %-19s %9s %9s %6s %6s %6s  %s", "policy", "locks", "saved",
		       "share", "undec", "unsafe", "verdict");
	for (i = 0; i < rep->policies->nr; i++) {
		const struct fl_policy_result *r = &rep->results[i];
		uint64_t saved = r->skipped_locks * rep->cost.ns;

		fl_mail_printf(out, 4, "  %-19s %9llu %9s %5.1f%% %6llu %6llu  %s",
			       rep->policies->v[i].p->name, (unsigned long long)r->skipped_locks,
			       fl_mail_ns(a, sizeof(a), saved), pct_of(saved, s->window_total_ns),
			       (unsigned long long)r->undecided_forks,
			       (unsigned long long)r->unsafe_forks,
			       fl_verdict_name(fl_policy_verdict(r)));
	}
	fl_mail_printf(out, 4, "  locks: skipped; undec: undecided forks, not judged: a verdict "
		       "is over the forks the policy decided, n/a when it decided none.");
	for (i = 0; i < rep->policies->nr && s->forks_with_accessors; i++) {
		const struct fl_policy_result *r = &rep->results[i];

		if (!i)
			fl_mail_printf(out, 4, "  Of the %llu forks touched in their window:",
				       (unsigned long long)s->forks_with_accessors);
		fl_mail_printf(out, 6, "    %s locked %llu, skipped %llu, left %llu undecided",
			       rep->policies->v[i].p->name,
			       (unsigned long long)r->touched_locked_forks,
			       (unsigned long long)r->touched_skipped_forks,
			       (unsigned long long)r->touched_undecided_forks);
	}
	for (i = 0; i < rep->policies->nr; i++) {
		const struct fl_policy_result *r = &rep->results[i];

		if (!r->unsafe_forks && !r->unknown_safety_forks)
			continue;
		fl_mail_printf(out, 4, "  %s: %llu unsafe forks, %llu of unknown safety%s",
			       rep->policies->v[i].p->name, (unsigned long long)r->unsafe_forks,
			       (unsigned long long)r->unknown_safety_forks,
			       r->nr_evidence ? "; first ones:" : "; no accessor to show");
		for (e = 0; e < r->nr_evidence; e++) {
			const struct fl_evidence *ev = &r->evidence[e];
			char blocked[48] = "";

			if (ev->a.blocked_ns >= 0)
				snprintf(blocked, sizeof(blocked), ", blocked %s",
					 fl_mail_ns(b, sizeof(b), ev->a.blocked_ns));
			fl_mail_printf(out, 6, "    fork by %s/%d at %.6f s: %s by %s/%d at +%s%s",
				       ev->parent_comm, ev->parent_pid, ev->fork_ts / 1e9,
				       fl_access_name(ev->a.kind), ev->a.comm, ev->a.pid,
				       fl_mail_ns(a, sizeof(a), ev->a.ts > ev->fork_ts ?
						 ev->a.ts - ev->fork_ts : 0), blocked);
		}
	}
}

static void mail_tables(FILE *out, const struct fl_summary *s, int top)
{
	char a[32], b[32], c[32];
	int i;

	if (!s->forks)
		return;
	fputc('\n', out);
	fl_mail_printf(out, 2, "Window by VMAs locked:");
	fl_mail_printf(out, 2, "  %-13s %8s %10s %10s %10s", "VMAs", "forks", "p50", "p99", "max");
	for (i = 0; i < s->nr_buckets; i++) {
		const struct fl_bucket *bk = &s->buckets[i];
		char range[32];

		if (!bk->forks)
			continue;
		if (bk->hi == UINT32_MAX)
			snprintf(range, sizeof(range), "%u+", bk->lo);
		else
			snprintf(range, sizeof(range), "%u-%u", bk->lo, bk->hi);
		fl_mail_printf(out, 2, "  %-13s %8llu %10s %10s %10s", range,
			       (unsigned long long)bk->forks, fl_mail_ns(a, sizeof(a), bk->p50_ns),
			       fl_mail_ns(b, sizeof(b), bk->p99_ns), fl_mail_ns(c, sizeof(c), bk->max_ns));
	}
	if (top > 5)
		top = 5;
	if (!top || !s->nr_comms)
		return;
	fputc('\n', out);
	fl_mail_printf(out, 2, "Top forking commands:");
	fl_mail_printf(out, 2, "  %-16s %8s %10s %12s", "comm", "forks", "VMAs/fork", "window/fork");
	for (i = 0; i < s->nr_comms && i < top; i++) {
		const struct fl_comm_stat *cs = &s->comms[i];

		fl_mail_printf(out, 2, "  %-16s %8llu %10llu %12s", cs->comm[0] ? cs->comm : "?",
			       (unsigned long long)cs->forks, (unsigned long long)(cs->vmas / cs->forks),
			       fl_mail_ns(a, sizeof(a), cs->window_ns / cs->forks));
	}
}

static void mail_produced_by(FILE *out, const struct fl_summary *s)
{
	bool note_cmd = false, note_foreign = false;
	int i;

	fputc('\n', out);
	fl_mail_printf(out, 2, "Produced by forklock %s:", FORKLOCK_VERSION);
	for (i = 0; i < s->nr_traces; i++) {
		const struct fl_trace_info *t = &s->traces[i];
		char *path = (char *)t->path, *rec, *line;

		if (!t->has_snapshot) {
			note_foreign = true;
			continue;
		}
		if (t->record_command[0]) {
			/* as it was typed, kept in the trace */
			fl_mail_command(out, 2, t->record_command);
			continue;
		}
		rec = fl_shell_join("forklock record -o", 1, &path);
		if (!rec || asprintf(&line, "%s%s%s", rec, t->command[0] ? " -- " : "",
				     t->command) < 0) {
			fl_render_nomem();
			free(rec);
			continue;
		}
		fl_mail_command(out, 2, line);
		free(line);
		free(rec);
		note_cmd = true;
	}
	if (fl_render_cmdline())
		fl_mail_command(out, 2, fl_render_cmdline());
	if (note_cmd)
		fl_mail_printf(out, 1, "(trace.dat keeps the recorded command with its arguments "
			       "joined by spaces, not the other options of forklock record)");
	if (note_foreign)
		fl_mail_printf(out, 1, "(a trace without a forklock snapshot was not written by "
			       "forklock record: its recording command is unknown)");
}

static int mail_end(void *ctx, const struct fl_report *rep)
{
	struct mail_ctx *c = ctx;
	FILE *out = c->opts.out;

	fl_mail_printf(out, 0, "forklock report: fork() and the per-VMA locks of dup_mmap()");
	fputc('\n', out);
	mail_traces(out, rep->s);
	mail_summary(out, rep->s);
	mail_policies(out, rep);
	fl_mail_blocked(out, rep);
	mail_tables(out, rep->s, c->opts.top);
	mail_produced_by(out, rep->s);
	free(c);
	return fl_render_end(out);
}

const struct fl_renderer fl_render_mail = {
	.name = "mail",
	.begin = mail_begin,
	.fork = mail_fork,
	.end = mail_end,
};
