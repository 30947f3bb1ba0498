/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replay: one streaming pass over a trace.dat (libtracecmd), events decoded
 * by field name (decode.h), a task/mm model, fork windows and their
 * accessors.  Finished forks go to a sink one at a time; nothing here keeps
 * a fork after it is handed over.
 */
#ifndef FORKLOCK_REPLAY_H
#define FORKLOCK_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "replay/fork.h"

struct fl_sink {
	/* called once per fork (complete, partial or aborted) */
	void (*fork)(void *ctx, const struct fl_fork *f);
	void *ctx;
};

#define FL_MAX_MISSING 16

/* What a trace was and what replay found in it besides forks. */
struct fl_trace_info {
	char path[512];
	char kernel[96];		/* release, "unknown" */
	char host[65];			/* the node name of the trace's uname, "" unknown */
	char clock[32];
	char command[512];		/* COMMAND given to forklock record (quoted for sh), "" */
	char record_command[1024];	/* the forklock record command line, "" */
	int file_version;		/* trace.dat version */
	int nr_cpus;
	enum fl_tier tier;
	bool has_snapshot;		/* forklock's /proc snapshot was in the trace */
	bool vma_locks;			/* kernel has per-VMA locks (6.4+) */
	uint64_t events;
	uint64_t unknown_events;	/* records whose event id has no format: skipped */
	uint64_t lost_events;		/* from page headers (missed events) */
	uint64_t lost_events_cpustat;	/* from the CPUSTAT options */
	bool lost_unknown;		/* a page said events were lost without a count */
	uint64_t first_ts, last_ts;
	uint64_t duration_ns;
	bool fn_unresolved;		/* ma_write.fn did not resolve: all ma_write counted */
	int nr_missing;
	const char *missing[FL_MAX_MISSING];	/* optional events absent from the trace */
	/* counts of things that are not forks */
	uint64_t clone_vm_spawns;	/* CLONE_VM clones by user tasks (no dup_mmap) */
	uint64_t threads_created;	/* ... of which CLONE_THREAD */
	uint64_t vforks;		/* ... of which CLONE_VFORK */
	uint64_t kthread_spawns;	/* clones by kernel threads (not counted above) */
	uint64_t failed_write_locks;	/* mmap_write_lock_killable() that failed */
	uint64_t unmatched_newtasks;	/* non-CLONE_VM task_newtask without a window */
	/* the seed experiment: dup_probe(only_user, locked) counts */
	bool has_dup_probe;
	uint64_t dup_probe[2][2];
	bool has_vma_lock_probes;	/* __vma_start_write() was probed */
	char probes[16];		/* "btf", "offsets" or "" */
	/*
	 * record -- COMMAND: its process tree, every task COMMAND and its
	 * descendants created (each fork is marked in or out, fl_fork's
	 * command_tree), and when it ran; -1 where the trace does not say.
	 */
	bool has_command_tree;
	int command_pid;
	int64_t command_start_ns, command_end_ns;	/* trace clock */
	int command_status;		/* its wait status; -1 unknown (still running) */
	/* the counts above that are not forks, of the tree's tasks only */
	uint64_t command_clone_vm_spawns, command_threads_created, command_vforks;
	uint64_t command_forks;		/* forks (complete or not) by the tree */
	uint64_t host_forks;		/* forks of every task, the tree's among them */
	bool has_sched;			/* sched_switch and sched_waking: forks' off-CPU time */
	/*
	 * The recording stopped before its end (a full disk, the free-space
	 * guard, --max-size, tracing switched off elsewhere) or was put
	 * together by forklock recover: why, and up to when (trace clock).
	 */
	bool stopped;
	bool stop_cut;			/* the trace lacks part of the run */
	bool recovered;
	int64_t stop_ns;
	char stop_why[192];
	/* the bpf tier (its own buffer in the trace) */
	bool bpf;			/* the trace has the bpf tier's buffer */
	bool light;			/* recorded --light: no per-VMA events */
	bool bpf_stats;			/* its end-of-recording counts were found */
	uint64_t bpf_windows;		/* windows the BPF programs closed */
	uint64_t bpf_lost;		/* ... whose record the ring buffer had no room for */
	uint64_t bpf_unmatched;		/* write locks its per-task map had no room for */
	uint64_t bpf_lost_pages;	/* pages of its buffer flagged with missed events */
	uint64_t bpf_records;		/* fork records read */
	uint64_t bpf_unjoined;		/* ... that matched no fork window of the replay */
	uint64_t bpf_joined;		/* ... joined to their fork */
};

/* Events lost: the larger of the pages' count and the CPUSTAT options'. */
static inline uint64_t fl_trace_lost(const struct fl_trace_info *t)
{
	return t->lost_events > t->lost_events_cpustat ? t->lost_events : t->lost_events_cpustat;
}

/*
 * Replay @path.  Returns 0 (FL_EXIT_OK) or an FL_EXIT_* code after printing
 * one error line.
 */
int fl_replay_file(const char *path, const struct fl_sink *sink, struct fl_trace_info *info);

/* The checks of fl_replay_file() without the replay: is @path usable? */
int fl_replay_check(const char *path);

#endif
