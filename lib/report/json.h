/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * forklock's JSON report (schema forklock-report/1,
 * docs/forklock-report.schema.json): written by json-write.c (the "json"
 * renderer) and read back here (json-read.c) by compare, which takes one
 * on either side, and merge, which sums many.  A fork of the "forks"
 * array becomes the struct fl_fork replay made, a trace of "traces" its
 * struct fl_trace_info.
 *
 * The members of a fork, an accessor, a fork's VMA kinds and a trace are
 * listed once (json.c), in the order they are written: the writer writes
 * what the lists say, the reader reads by them.  What is not a plain
 * value of its C struct (marked FL_J_HAND) each side does by hand, at
 * that place.
 *
 * Every reading function that fails prints one error line naming the file
 * and returns an FL_EXIT_* code.
 */
#ifndef FORKLOCK_REPORT_JSON_H
#define FORKLOCK_REPORT_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "policy/policy.h"
#include "replay/fork.h"
#include "replay/replay.h"
#include "report/summary.h"

#define FL_REPORT_SCHEMA "forklock-report/1"

enum fl_jtype {
	FL_J_INT,	/* an integer member, of its size and signedness */
	FL_J_INT_NULL,	/* ... null when negative (read: null or absent is -1) */
	FL_J_BOOL,
	FL_J_STR,	/* a char[] member (bytes that are not UTF-8 become '?') */
	FL_J_STR_NULL,	/* ... null when empty */
	FL_J_PTR,	/* a pointer value: "0x..." */
	FL_J_NAME,	/* an enum, by its name */
	FL_J_HAND,	/* written and read by hand, at this place */
};

struct fl_jmember {
	const char *key;
	enum fl_jtype type;
	size_t off, size;		/* the member in its C struct */
	bool is_signed;
	const char *(*name)(int);	/* FL_J_NAME: the names, */
	int nr_names;			/* how many there are, */
	int absent;			/* and the value a report without the member means */
};

/* Each list ends with a NULL key. */
extern const struct fl_jmember fl_json_fork[];		/* struct fl_fork */
extern const struct fl_jmember fl_json_kinds[];		/* struct fl_vma_kinds */
extern const struct fl_jmember fl_json_accessor[];	/* struct fl_accessor */
extern const struct fl_jmember fl_json_sources[];	/* struct fl_sources */
extern const struct fl_jmember fl_json_holder[];	/* struct fl_holder */
extern const struct fl_jmember fl_json_trace[];		/* struct fl_trace_info */

/* A string from the trace as JSON (bytes that are not UTF-8 become '?'). */
json_t *fl_json_str(const char *s);

/* json-blocked.c: "fork_blocked_ns", "fork_preempted_ns", "fork_blocks" of @f */
json_t *fl_json_blocked(const struct fl_fork *f, const char *key);
/*
 * A fork's "fork_blocks" (and its blocked and preempted ns): sets f->sched
 * and f->blocks to *@blocks (free() it after the fork is used).
 */
int fl_jreport_fork_blocks(const char *path, size_t i, json_t *jf, struct fl_fork *f,
			   struct fl_block **blocks);
/* The summary's "fork_blocked": null when no trace has the scheduler events. */
json_t *fl_json_offcpu_summary(const struct fl_summary *s);
/* "UFFDIO_COPY" ..., or the waker's activity name */
const char *fl_block_activity(const struct fl_block *b);

/* 1: @path starts like JSON ('{'), 0: it does not, -1: cannot be read (errno). */
int fl_jreport_sniff(const char *path);

/*
 * Load and check @path: a JSON object of schema forklock-report/1 with a
 * "summary", and (@need_forks) a "forks" array.  Exit codes: FL_EXIT_INPUT
 * (cannot open), FL_EXIT_TRUNCATED (the JSON ends early), FL_EXIT_FORMAT
 * (not JSON, or not a forklock report), FL_EXIT_LAYOUT (no "forks").
 */
int fl_jreport_load(const char *path, bool need_forks, json_t **root);

/* forks[i] as replay made it. */
int fl_jreport_fork(const char *path, size_t i, json_t *jf, struct fl_fork *f);

/*
 * A kprobe-tier fork's timed VMA lock waits, one by one ("kprobe":
 * {"vma_lock_wait_ns": [...]}), which fl_summary_add_fork() needs when
 * f->nr_vma_waits: sets f->vma_wait_ns to *@waits (free() it after the
 * fork is summed).  FL_EXIT_LAYOUT when the report does not have them.
 */
int fl_jreport_fork_waits(const char *path, size_t i, json_t *jf, struct fl_fork *f,
			  uint64_t **waits);

/* An accessor object (of "concurrent", or a policy's "evidence"). */
int fl_jreport_accessor(const char *path, const char *what, size_t i, json_t *ja,
			struct fl_accessor *a);

/*
 * forks[i]'s decision by each policy of @set (by name); a reason points into
 * @jf, valid while it is.  Returns 0, 1 if
 * the fork was not judged ("policies": null), or FL_EXIT_FORMAT.
 */
int fl_jreport_decisions(const char *path, size_t i, json_t *jf, const struct fl_policy_set *set,
			 struct fl_decision *d);

/*
 * traces[i].  Its missing-event names are strdup()ed: free them with
 * fl_jreport_trace_free().
 */
int fl_jreport_trace(const char *path, size_t i, json_t *jt, struct fl_trace_info *t);
void fl_jreport_trace_free(struct fl_trace_info *t);

/*
 * The counts of a report's summary that are not per fork (clone_vm_spawns,
 * threads_created, vforks, kthread_spawns, unmatched_newtasks,
 * failed_write_locks), into @t.
 */
int fl_jreport_trace_counts(const char *path, json_t *root, struct fl_trace_info *t);

/*
 * Check that a report's summary says what its forks say (@s: the forks
 * summed again with fl_summary_add_fork() and fl_summary_finish()).
 * Returns 0 or FL_EXIT_FORMAT naming the first member that differs.
 */
int fl_jreport_check_summary(const char *path, json_t *root, const struct fl_summary *s);

#endif
