// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The capture: the per-CPU files the readers (stream.c) splice into, the
 * readers kept at the lowest priority that keeps up, and the wait for the
 * end of the recording: COMMAND's exit, --duration, --max-size, a nearly
 * full disk or a signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <tracefs.h>

#include "forklock-exit.h"
#include "log.h"
#include "record/record-local.h"

/* Unlinked temporary files next to the output: nothing is left on a crash. */
int capture_open_files(struct recorder *r)
{
	char *dup = strdup(r->opts->output);
	const char *dir;
	int cpu;

	if (!dup)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	dir = dirname(dup);
	r->cpu_fds = malloc(sizeof(int) * r->nr_cpus);
	if (!r->cpu_fds) {
		free(dup);
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	}
	for (cpu = 0; cpu < r->nr_cpus; cpu++)
		r->cpu_fds[cpu] = -1;
	for (cpu = 0; cpu < r->nr_cpus; cpu++) {
		r->cpu_fds[cpu] = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (r->cpu_fds[cpu] < 0) {
			char tmpl[4096];

			/* file systems without O_TMPFILE */
			snprintf(tmpl, sizeof(tmpl), "%s/.forklock-cpu%d-XXXXXX", dir, cpu);
			r->cpu_fds[cpu] = mkostemp(tmpl, O_CLOEXEC);
			if (r->cpu_fds[cpu] >= 0)
				unlink(tmpl);
		}
		if (r->cpu_fds[cpu] < 0) {
			int ret = fl_err(FL_EXIT_OUTPUT, "cannot create temporary files in %s: %s",
					 dir, strerror(errno));
			free(dup);
			return ret;
		}
	}
	free(dup);
	return 0;
}

/* A number of a per_cpu/cpuN/stats text ("overrun: 12"), 0 if absent. */
uint64_t capture_stat_value(const char *stats, const char *key)
{
	const char *p = stats;
	size_t kl = strlen(key);

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ':')
			return strtoull(p + kl + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

/* The per-CPU stats, summed: read events, entries, lost; and the ring bytes. */
struct ring_now {
	uint64_t events, lost;
};

static void clear_progress(struct recorder *r)
{
	if (r->progress_shown) {
		fputs("\r\033[K", stderr);
		r->progress_shown = false;
	}
}

/*
 * Keep the readers at the lowest priority that keeps up: a CPU whose ring
 * buffer is more than half full gets its reader raised, for good.
 */
static void tend_readers(struct recorder *r, struct ring_now *now)
{
	uint64_t half = (uint64_t)(r->opts->buffer_kb ? r->opts->buffer_kb : FL_DEFAULT_BUFFER_KB) * 512;
	int cpu;

	memset(now, 0, sizeof(*now));
	for (cpu = 0; cpu < r->nr_cpus; cpu++) {
		char file[64], *stats;
		uint64_t bytes;

		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
		stats = tracefs_instance_file_read(r->instance, file, NULL);
		bytes = capture_stat_value(stats, "bytes");
		now->events += capture_stat_value(stats, "read events") +
			       capture_stat_value(stats, "entries");
		now->lost += capture_stat_value(stats, "overrun") +
			     capture_stat_value(stats, "commit overrun") +
			     capture_stat_value(stats, "dropped events");
		free(stats);
		if (bytes > half && fl_stream_renice(r->stream, cpu, FL_READER_NICE_BUSY) > 0) {
			clear_progress(r);
			fl_notice("cpu%d's buffer was half full: its reader now runs at nice %d",
				  cpu, FL_READER_NICE_BUSY);
		}
	}
}

/* On a terminal: elapsed, events, MiB written and lost, about once a second. */
static void show_progress(struct recorder *r, const struct ring_now *now, uint64_t t)
{
	if (!r->progress || t < r->progress_next)
		return;
	r->progress_next = t + 1000000000ULL;
	fprintf(stderr, "\r\033[K%s: %.0f s, %llu events, %.1f MiB, %llu lost", fl_log_prog(),
		(t - r->t0) / 1e9, (unsigned long long)now->events,
		fl_stream_total_bytes(r->stream) / 1048576.0, (unsigned long long)now->lost);
	fflush(stderr);
	r->progress_shown = true;
}

/* Why to stop for space, or NULL: --max-size, or the disk filling up. */
static const char *out_of_space(struct recorder *r, char *buf, size_t len)
{
	uint64_t written = fl_stream_total_bytes(r->stream);
	struct statvfs vfs;

	if (r->opts->max_size && written >= r->opts->max_size) {
		snprintf(buf, len, "--max-size reached (%.1f MiB of trace data)", written / 1048576.0);
		return buf;
	}
	if (r->opts->min_free && fstatvfs(r->cpu_fds[0], &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < r->opts->min_free) {
		snprintf(buf, len, "the output's file system is nearly full (%.0f MiB free, "
			 "--min-free %llu MiB)", (double)vfs.f_bavail * vfs.f_frsize / 1048576.0,
			 (unsigned long long)(r->opts->min_free >> 20));
		return buf;
	}
	return NULL;
}

void capture_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGCHLD);
}

/* Why the recording ended. */
static const char *wait_end(struct recorder *r)
{
	uint64_t deadline = r->opts->duration > 0 ?
		r->t0 + (uint64_t)(r->opts->duration * 1e9) : 0;
	static char space[128];
	sigset_t set;

	capture_signals(&set);
	for (;;) {
		struct timespec ts = { .tv_nsec = 100000000 };	/* limits checked each 100 ms */
		uint64_t now = fl_mono_ns();
		struct ring_now ring;
		const char *full;
		int sig;

		tend_readers(r, &ring);
		show_progress(r, &ring, now);
		/* another process (a cleanup that took us for stale) switched us off */
		if (tracefs_trace_is_on(r->instance) == 0) {
			r->cut = "tracing in the instance was switched off by another process";
			return r->cut;
		}
		/* the disk filled up under the readers: what they wrote is the trace */
		if (fl_stream_error(r->stream) == ENOSPC) {
			r->cut = "the output's file system is full (ENOSPC)";
			return r->cut;
		}
		/* a limit stops the recording, never COMMAND: it runs on to its end */
		full = out_of_space(r, space, sizeof(space));
		if (full) {
			r->limit = full;
			return full;
		}
		if (deadline) {
			if (now >= deadline) {
				command_signal(r, SIGTERM);
				return "duration";
			}
			if (deadline - now < 100000000ULL)
				ts.tv_nsec = (long)(deadline - now);
		}
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGCHLD) {
			if (command_exited(r))
				return "command exited";
		} else if (sig > 0) {
			command_signal(r, sig);
			return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
			       sig == SIGHUP ? "SIGHUP" : "SIGQUIT";
		}
	}
}

void capture_read_stats(struct recorder *r)
{
	int cpu;

	r->stats = calloc(r->nr_cpus, sizeof(char *));
	if (!r->stats)
		return;
	for (cpu = 0; cpu < r->nr_cpus; cpu++) {
		char file[64];

		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
		r->stats[cpu] = tracefs_instance_file_read(r->instance, file, NULL);
	}
}

const char *capture_wait(struct recorder *r)
{
	const char *why;

	r->progress = !r->opts->quiet && isatty(STDERR_FILENO);
	r->progress_next = r->t0 + 1000000000ULL;
	why = wait_end(r);
	clear_progress(r);
	return why;
}
