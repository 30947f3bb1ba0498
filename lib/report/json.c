// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The members of the report's JSON objects, in the order they are written
 * (json.h).  docs/forklock-report.schema.json describes each.
 */
#include <stddef.h>
#include <stdint.h>

#include "report/json.h"

#define M(type_, key, st, member, sgn)						\
	{ key, type_, offsetof(st, member), sizeof(((st *)0)->member), sgn }
#define NAME(key, st, member, name_of, n, def)					\
	{ key, FL_J_NAME, offsetof(st, member), sizeof(((st *)0)->member), true,	\
	  name_of, n, def }
#define HAND(key)	{ key, FL_J_HAND }

static const char *access_name(int k) { return fl_access_name(k); }
static const char *uffd_name(int k) { return fl_uffd_name(k); }
static const char *tier_name(int k) { return fl_tier_name(k); }
static const char *quality_name(int k) { return fl_kinds_quality_name(k); }
static const char *source_name(int k) { return fl_source_name(k); }
static const char *locked_name(int k) { return fl_locked_quality_name(k); }
static const char *holder_name(int k) { return fl_holder_name(k); }

const struct fl_jmember fl_json_fork[] = {
	M(FL_J_INT, "ts_ns", struct fl_fork, ts, false),
	M(FL_J_INT, "parent_pid", struct fl_fork, parent_pid, true),
	M(FL_J_INT_NULL, "parent_tgid", struct fl_fork, parent_tgid, true),
	M(FL_J_STR, "comm", struct fl_fork, comm, false),
	M(FL_J_INT_NULL, "child_pid", struct fl_fork, child_pid, true),
	M(FL_J_INT, "clone_flags", struct fl_fork, clone_flags, false),
	M(FL_J_PTR, "oldmm", struct fl_fork, oldmm, false),
	M(FL_J_INT_NULL, "threads", struct fl_fork, threads, true),
	M(FL_J_INT_NULL, "mm_users", struct fl_fork, mm_users, true),
	M(FL_J_INT_NULL, "mm_count", struct fl_fork, mm_count, true),
	M(FL_J_INT_NULL, "map_count", struct fl_fork, map_count, true),
	HAND("mm_users_holders"),	/* fl_json_holder: mm_users > threads */
	M(FL_J_INT_NULL, "mm_users_max", struct fl_fork, mm_users_max, true),
	HAND("mm_users_rise"),		/* bpf tier: where mm_users changed in the window */
	NAME("uffd", struct fl_fork, uffd, uffd_name, 3, FL_UFFD_UNKNOWN),
	M(FL_J_INT, "vmas_locked", struct fl_fork, vmas_locked, false),
	NAME("vmas_locked_quality", struct fl_fork, locked_quality, locked_name, FL_LOCKED_NR,
	     FL_LOCKED_EXACT),
	M(FL_J_INT, "vmas_copied", struct fl_fork, vmas_copied, false),
	M(FL_J_INT_NULL, "vmas_dontcopy", struct fl_fork, vmas_dontcopy, true),
	HAND("sources"),		/* fl_json_sources: which tier gave each value */
	M(FL_J_INT, "window_ns", struct fl_fork, window_ns, false),
	M(FL_J_INT, "lock_wait_ns", struct fl_fork, lock_wait_ns, false),
	NAME("tier", struct fl_fork, tier, tier_name, 3, FL_TIER_TRACEPOINT),
	M(FL_J_BOOL, "partial", struct fl_fork, partial, false),
	HAND("aborted"),		/* !partial && no child: must agree */
	M(FL_J_BOOL, "lost_events", struct fl_fork, lost_events, false),
	M(FL_J_BOOL, "bpf_lost", struct fl_fork, bpf_lost, false),
	HAND("vma_kinds"),		/* fl_json_kinds */
	HAND("concurrent"),		/* the detailed accessors, fl_json_accessor */
	HAND("concurrent_count"),	/* all of them (read: the detailed ones if absent) */
	HAND("concurrent_by_kind"),
	M(FL_J_INT, "blocked_ns", struct fl_fork, blocked_ns, false),
	HAND("fork_blocked_ns"),	/* the forking task off-CPU: json-blocked.c */
	HAND("fork_preempted_ns"),
	HAND("fork_blocks"),
	HAND("kprobe"),			/* what the probes in dup_mmap() read, or null */
	HAND("policies"),		/* each policy's decision, or null */
	{ NULL },
};

const struct fl_jmember fl_json_kinds[] = {
	NAME("quality", struct fl_vma_kinds, quality, quality_name, 3, FL_KINDS_UNKNOWN),
	M(FL_J_INT_NULL, "shared", struct fl_vma_kinds, shared, true),
	M(FL_J_INT_NULL, "anon", struct fl_vma_kinds, anon, true),
	M(FL_J_INT_NULL, "cow", struct fl_vma_kinds, cow, true),
	M(FL_J_INT_NULL, "special", struct fl_vma_kinds, special, true),
	{ NULL },
};

#define SRC(key, member)	NAME(key, struct fl_sources, member, source_name, FL_SRC_NR, FL_SRC_NONE)

const struct fl_jmember fl_json_sources[] = {
	SRC("threads", threads),
	SRC("mm_users", mm_users),
	SRC("mm_count", mm_count),
	SRC("map_count", map_count),
	SRC("vmas_locked", vmas_locked),
	SRC("vmas_copied", vmas_copied),
	{ NULL },
};

const struct fl_jmember fl_json_holder[] = {
	M(FL_J_INT_NULL, "pid", struct fl_holder, pid, true),
	M(FL_J_STR, "comm", struct fl_holder, comm, false),
	NAME("kind", struct fl_holder, kind, holder_name, FL_HOLD_NR, FL_HOLD_UNKNOWN),
	{ NULL },
};

const struct fl_jmember fl_json_accessor[] = {
	NAME("kind", struct fl_accessor, kind, access_name, FL_ACC_NR, 0),
	M(FL_J_INT, "pid", struct fl_accessor, pid, true),
	M(FL_J_INT_NULL, "tgid", struct fl_accessor, tgid, true),
	M(FL_J_STR, "comm", struct fl_accessor, comm, false),
	M(FL_J_INT, "ts_ns", struct fl_accessor, ts, false),
	M(FL_J_INT_NULL, "blocked_ns", struct fl_accessor, blocked_ns, true),
	HAND("reaches_vma"),		/* written only: of its kind */
	{ NULL },
};

const struct fl_jmember fl_json_trace[] = {
	M(FL_J_STR, "file", struct fl_trace_info, path, false),
	M(FL_J_STR, "kernel", struct fl_trace_info, kernel, false),
	M(FL_J_STR_NULL, "host", struct fl_trace_info, host, false),
	NAME("tier", struct fl_trace_info, tier, tier_name, 3, FL_TIER_TRACEPOINT),
	M(FL_J_INT, "events", struct fl_trace_info, events, false),
	HAND("lost_events"),		/* written: fl_trace_lost(); read into lost_events */
	M(FL_J_BOOL, "lost_events_unknown", struct fl_trace_info, lost_unknown, false),
	M(FL_J_INT, "unknown_events", struct fl_trace_info, unknown_events, false),
	M(FL_J_INT, "duration_ns", struct fl_trace_info, duration_ns, false),
	M(FL_J_INT, "file_version", struct fl_trace_info, file_version, true),
	M(FL_J_INT, "cpus", struct fl_trace_info, nr_cpus, true),
	M(FL_J_STR, "clock", struct fl_trace_info, clock, false),
	M(FL_J_BOOL, "snapshot", struct fl_trace_info, has_snapshot, false),
	M(FL_J_STR_NULL, "command", struct fl_trace_info, command, false),
	M(FL_J_STR_NULL, "record_command", struct fl_trace_info, record_command, false),
	M(FL_J_INT_NULL, "command_pid", struct fl_trace_info, command_pid, true),
	M(FL_J_INT_NULL, "command_start_ns", struct fl_trace_info, command_start_ns, true),
	M(FL_J_INT_NULL, "command_end_ns", struct fl_trace_info, command_end_ns, true),
	M(FL_J_INT, "command_forks", struct fl_trace_info, command_forks, false),
	M(FL_J_INT, "host_forks", struct fl_trace_info, host_forks, false),
	M(FL_J_BOOL, "vma_locks", struct fl_trace_info, vma_locks, false),
	M(FL_J_BOOL, "fn_unresolved", struct fl_trace_info, fn_unresolved, false),
	M(FL_J_STR_NULL, "probes", struct fl_trace_info, probes, false),
	M(FL_J_BOOL, "sched_events", struct fl_trace_info, has_sched, false),
	M(FL_J_BOOL, "light", struct fl_trace_info, light, false),
	HAND("bpf"),			/* the bpf tier's own counts, or null */
	HAND("missing_events"),
	{ NULL },
};
