/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to lib/record/: the pieces of a recording and the state they
 * share.  One recording (recorder.c) runs, in order:
 *
 *   checks (privilege, tracefs, events, output, COMMAND) -- nothing touched yet
 *   remove stale forklock instances                             instance.c
 *   instance forklock-<boot>-<pidns>-<pid>-<rnd>, locked: tracing off, clock mono, buffer size, our own
 *     pid excluded, events on; the kprobe tier                  setup.c
 *   COMMAND forked, held on a pipe                              command.c
 *   per-CPU readers started                                     capture.c, stream.c
 *   tracing on; /proc snapshot; COMMAND released                snapshot.c, command.c
 *   wait: COMMAND exit, --duration, --max-size, a full disk, SIGINT,
 *     SIGTERM, SIGHUP, SIGQUIT                                  capture.c
 *   tracing off; readers drain and close; per-CPU stats read; instance removed
 *   trace.dat written: metadata, snapshot page, per-CPU pages   output.c
 */
#ifndef FORKLOCK_RECORD_LOCAL_H
#define FORKLOCK_RECORD_LOCAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "record/kprobes.h"
#include "record/record.h"

struct tracefs_instance;
struct tracedat_out;
struct fl_bpf;

/* ---- instance.c: the private instance, the recorder's identity --------- */

#define FL_INSTANCE_PREFIX "forklock-"
#define FL_INSTANCE_NAME_MAX 80

/* "forklock-<boot id>-<pidns inode>-<pid>-<random>": unique across namespaces and boots */
int fl_instance_make_name(char *buf, size_t len);

/*
 * Create instance @name and take its lock (flock on NAME/tracing_on, held in
 * *@lock_fd for the recorder's life; O_CLOEXEC), then claim it (trace_clock
 * set).  NULL with errno on failure, nothing left.
 */
struct tracefs_instance *fl_instance_claim(const char *name, int *lock_fd);

/* Tracing off, every event off, the lock dropped, rmdir.  Either may be NULL/-1. */
int fl_instance_release(struct tracefs_instance *instance, int *lock_fd);

/*
 * Remove every forklock instance whose owner is provably gone: its lock
 * taken here, and claimed (or older than a claim takes).  Returns the number
 * removed, names in @removed (caller frees each and the array) when not NULL.
 * Instances of other forklock versions (no lock) are left alone.
 */
int fl_instance_remove_stale(char ***removed);

/* Is instance @name gone, or its owner provably gone? */
bool fl_instance_gone(const char *name);

/* The kprobe group of instance @name ("forklock_<same, '_' for '-'>"). */
void fl_probe_group_name(char *buf, size_t len, const char *instance);
/* Is @group a group of this version whose recorder is provably gone? */
bool fl_probe_group_stale(const char *group);

/* Is this process in a PID namespace other than the initial one? */
bool fl_in_child_pidns(void);

/* ---- snapshot.c: /proc at the start of the recording ----------------- */

/*
 * The snapshot is a list of text lines (events/snapline.h), each becomes
 * one ftrace:print event at the start of the trace.
 */
struct fl_snapshot {
	char **lines;
	size_t nr, alloc;
	size_t procs, tasks;
};

int fl_snapshot_take(struct fl_snapshot *snap, pid_t recorder, const char *clock);
int fl_snapshot_add(struct fl_snapshot *snap, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void fl_snapshot_free(struct fl_snapshot *snap);

/* ---- stream.c: per-CPU readers ---------------------------------------- */

struct fl_stream;

/*
 * Open per_cpu/cpuN/trace_pipe_raw of @instance for every CPU and start one
 * reader thread each, splicing full pages to the file descriptors in
 * @cpu_fds (which the caller owns).  @nice: the readers' nice value.
 */
struct fl_stream *fl_stream_start(struct tracefs_instance *instance, int nr_cpus,
				  const int *cpu_fds, int nice);
/*
 * Stop the readers (call after tracing is off): each drains what is left,
 * including the last partial page, and closes its trace_pipe_raw.
 * Returns 0, or -1 if a reader failed (errno of the first failure).
 */
int fl_stream_stop(struct fl_stream *stream);
/* errno of the first reader that failed while running (ENOSPC: disk full), 0 */
int fl_stream_error(struct fl_stream *stream);
/* Bytes written for @cpu so far, and for all CPUs. */
uint64_t fl_stream_bytes(struct fl_stream *stream, int cpu);
uint64_t fl_stream_total_bytes(struct fl_stream *stream);
/* Thread id of @cpu's reader (waits for it to start). */
pid_t fl_stream_tid(struct fl_stream *stream, int cpu);
/* Set @cpu's reader to @nice: 1 if changed, 0 if it already was, -1 on error. */
int fl_stream_renice(struct fl_stream *stream, int cpu, int nice);
void fl_stream_free(struct fl_stream *stream);

/* ---- one recording: the state its pieces share ---------------------------- */

#define TRACE_CLOCK "mono"

struct recorder {
	const struct fl_record_opts *opts;
	struct fl_host host;
	struct tracefs_instance *instance;
	char instance_name[FL_INSTANCE_NAME_MAX];
	int lock_fd;		/* flock on the instance: held while we live */
	struct fl_stream *stream;
	struct fl_snapshot snap;
	int out_fd;
	bool out_created;
	bool kept_old;		/* the previous output was renamed to old_path */
	char old_path[4096];
	int *cpu_fds;
	int nr_cpus;
	unsigned int page_size;
	char clock[32];
	uint64_t t0;
	pid_t child;
	int child_go;		/* write end: one byte releases COMMAND */
	int child_err;		/* read end: errno of a failed exec */
	int child_status;
	int root_pid;		/* COMMAND's pid, kept after it is reaped */
	uint64_t child_start_ns, child_end_ns;	/* released, seen exited (trace clock); 0: not */
	const char *cut;	/* why the trace is cut short, or NULL */
	const char *limit;	/* a limit (free space, --max-size) stopped the recording */
	bool progress;		/* stderr is a terminal: a progress line */
	bool progress_shown;
	uint64_t progress_next;
	char **stats;		/* per-CPU stats text */
	bool kprobe_tier;
	struct fl_probe_set probes;
	const struct fl_dynevent_ops *probe_ops;
	struct fl_probe_injection inject;
	struct fl_bpf *bpf;		/* the bpf tier, NULL if not recorded */
	char tier_note[1200];		/* --tier auto: why a tier was passed over, or "" */
	int max_event_id;		/* highest id among the formats written */
};

static inline uint64_t fl_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The steps of fl_record() below are its error layer (HACKING): those that
 * return int return 0, or an FL_EXIT_* code after one error line.
 */

/* setup.c: the instance and the kprobe tier */
int setup_check_events(void);
int setup_instance(struct recorder *r);
int setup_exclude_readers(struct recorder *r);
unsigned int setup_page_size(void);
int setup_kprobes(struct recorder *r);

/* command.c: COMMAND, forked before tracing starts and held until it runs */
int command_resolve(const char *name, char *path, size_t len);
int command_fork(struct recorder *r, const char *path);
int command_release(struct recorder *r);
bool command_exited(struct recorder *r);	/* reaps it if it did */
void command_signal(struct recorder *r, int sig);
void command_reap(struct recorder *r);		/* a moment for it to go, after the end */
void command_wait_end(struct recorder *r);	/* until it exits; signals passed on */
void command_cleanup(struct recorder *r, bool failed);

/* capture.c: the per-CPU data and when the recording ends */
void capture_signals(sigset_t *set);	/* the signals that end it, and SIGCHLD */
int capture_open_files(struct recorder *r);
const char *capture_wait(struct recorder *r);
void capture_read_stats(struct recorder *r);
uint64_t capture_stat_value(const char *stats, const char *key);

/* bpf.c: the bpf tier (programs, ring buffer, its buffer in the trace.dat) */
/*
 * Load and attach the programs.  @required (--tier bpf): a refusal is the
 * error line and its code; else (--tier auto) 0 with r->bpf NULL and the
 * reason in @why.
 */
int bpf_tier_start(struct recorder *r, bool required, char *why, size_t len);
void bpf_tier_stop(struct recorder *r);		/* detach and drain; idempotent */
void bpf_tier_on(struct recorder *r, bool on);	/* records only while tracing */
void bpf_tier_free(struct recorder *r);
uint64_t bpf_tier_lost(struct recorder *r);
int output_bpf(struct recorder *r, struct tracedat_out *out, int max_id, uint64_t *events);

/* output.c: the trace.dat */
int output_open(struct recorder *r);
void output_restore_old(struct recorder *r);	/* after a failure: FILE.old back to FILE */
int output_write(struct recorder *r, struct fl_record_stats *st);

#endif
