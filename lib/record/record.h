/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The recorder: a private tracefs instance, the tracepoint set, a /proc
 * snapshot, per-CPU streaming and the trace.dat it all ends in.
 */
#ifndef FORKLOCK_RECORD_H
#define FORKLOCK_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tracefs_instance;

/* ---- host.c: what this host offers ---------------------------------- */

struct fl_host {
	char release[128];		/* uname -r */
	char version[256];		/* uname -v */
	int kmajor, kminor;
	bool privileged;		/* root or CAP_SYS_ADMIN */
	bool tracefs_mounted;
	bool tracefs_mountable;		/* not mounted, but "tracefs" is a known fs */
	char tracefs[256];		/* where it is (or would be) mounted */
	bool kprobes;			/* kprobe_events exists and can be opened for writing */
	bool vma_locks;			/* per-VMA locks: 6.4 and later */
	int nr_cpus;			/* per_cpu/cpuN directories */
};

/*
 * Fill @host.  With @mount, mount tracefs at /sys/kernel/tracing when it
 * is not mounted anywhere.  Never fails: what cannot be found is false.
 */
void fl_host_probe(struct fl_host *host, bool mount);
bool fl_kernel_at_least(const struct fl_host *host, int major, int minor);

/* Is SYSTEM/NAME present in this kernel's tracefs? (the table: events/events.h) */
bool fl_event_present(const char *system, const char *name);

/* ---- recorder.c: one recording ---------------------------------------- */

enum fl_tier_opt {
	FL_TIER_AUTO,			/* kprobe where its plan holds, else bpf, else tracepoint */
	FL_TIER_OPT_TRACEPOINT,
	FL_TIER_OPT_KPROBE,		/* fail if kprobes cannot be used */
	FL_TIER_OPT_BPF,		/* fail if the BPF programs cannot be loaded */
};

struct fl_record_opts {
	const char *output;		/* trace.dat path */
	enum fl_tier_opt tier;
	bool force;			/* replace an existing output (no FILE.old) */
	bool no_clobber;		/* refuse an existing output */
	double duration;		/* seconds, 0 = until COMMAND exits or a signal */
	uint64_t max_size;		/* bytes of trace data, 0 = no limit */
	uint64_t min_free;		/* stop below this much free space, 0 = no guard */
	unsigned int buffer_kb;		/* per-CPU ring buffer, 0 = default */
	char **command;			/* NULL or argv of COMMAND */
	int argc;			/* this forklock record's own arguments, */
	char **argv;			/* kept in the trace to say how it was made */
	bool quiet;
	bool light;			/* no per-VMA events: VMA counts from map_count (bpf tier) */
	unsigned int bpf_buffer_kb;	/* the bpf tier's ring buffer, 0 = default */
};

struct fl_record_stats {
	uint64_t events;		/* records in the file, as trace-cmd counts them */
	uint64_t bytes;			/* size of the trace.dat */
	uint64_t duration_ns;
	int nr_cpus;
	uint64_t *lost;			/* per CPU: overrun + dropped from per_cpu stats */
	uint64_t lost_total;
	int command_status;		/* wait status of COMMAND, -1 if none */
	int missing_events;		/* optional events this kernel lacks */
	const char *tier;		/* "tracepoint" or "kprobe" */
	int nr_probes;			/* kprobes recorded */
	const char *cut;		/* the trace was written but is cut short: why */
	const char *limit;		/* a limit stopped the recording, COMMAND ran on: why */
	uint64_t bpf_records;		/* bpf tier: fork records in the file */
	uint64_t bpf_lost;		/* ... and lost (the BPF ring buffer was full) */
};

#define FL_DEFAULT_BUFFER_KB 8192
/* the bpf tier's ring buffer: about 37000 fork records */
#define FL_DEFAULT_BPF_BUFFER_KB 4096
/* readers start at the lowest priority and are raised when a buffer fills */
#define FL_READER_NICE_IDLE 19
#define FL_READER_NICE_BUSY 0
/* stop before the output's file system has less free space than this */
#define FL_MIN_FREE_BYTES (256ULL << 20)

int fl_record(const struct fl_record_opts *opts, struct fl_record_stats *stats);

/* ---- bpf.c: the bpf tier ------------------------------------------------------ */

/*
 * Can the bpf tier record here?  Loads, attaches and removes the programs;
 * @why says what worked or the first reason it did not.
 */
bool fl_bpf_possible(char *why, size_t len);
/* The kernel BTF the programs are relocated against ($FORKLOCK_BTF or sysfs). */
const char *fl_bpf_btf_path(void);
void fl_record_stats_free(struct fl_record_stats *stats);

#endif
