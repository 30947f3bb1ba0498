/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * forklock-workload: programs that fork in known ways and print what they
 * did (the ground truth) as one JSON object.
 *
 * One file per mode (wl-storm.c, wl-uffd.c, wl-spawn.c, wl-busy.c,
 * wl-uffd-copy.c, wl-file-fault.c), the
 * sibling threads in wl-siblings.c, everything shared in wl-util.c.
 * Nothing here may create a VMA between the two VMA counts of a mode:
 * no stdio on stdout, no malloc, no thread creation inside the fork loop.
 */
#ifndef FORKLOCK_WORKLOAD_H
#define FORKLOCK_WORKLOAD_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "forklock-exit.h"

#define WL_PROG		"forklock-workload"

/* Options every mode accepts. */
struct wl_common {
	const char	*json_path;	/* --json FILE, NULL: stdout */
	int		json_fd;	/* opened before any work is done */
};

/* One mode: "storm", "uffd", ... */
struct wl_mode {
	const char	*name;
	int		(*run)(int argc, char **argv);
};

int wl_storm_run(int argc, char **argv);
int wl_uffd_run(int argc, char **argv);
int wl_uffd_monitor_run(int argc, char **argv);
int wl_spawn_run(int argc, char **argv);
int wl_busy_run(int argc, char **argv);
int wl_uffd_copy_run(int argc, char **argv);
int wl_uffd_copy_monitor_run(int argc, char **argv);
int wl_file_fault_run(int argc, char **argv);

/* forklock-workload.c */
void wl_usage(FILE *f);

/* ---- wl-util.c ---------------------------------------------------- */

/* "forklock-workload: error: <what>: <strerror(errno)>", exit 1. */
void wl_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Same without errno, exit 1. */
void wl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* One-line usage error, exit 2. */
void wl_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* "forklock-workload: <msg>" on stderr, without stdio buffers. */
void wl_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Option values: exit 2 with a clear message when out of range. */
unsigned long wl_parse_ulong(const char *opt, const char *arg,
			     unsigned long min, unsigned long max);

/*
 * The common part of every mode's getopt loop.  Returns true when it
 * handled c (--json, --help, errors); --help exits 0, errors exit 2.
 */
bool wl_common_opt(struct wl_common *com, int c, char **argv,
		   const struct option *longopts);
/* After getopt: no positional arguments allowed; opens --json FILE. */
void wl_common_finish(struct wl_common *com, int argc, char **argv);

#define WL_COMMON_LONGOPTS				\
	{ "json",	required_argument, NULL, 'J' },	\
	{ "help",	no_argument,	   NULL, 'h' }

uint64_t wl_now_ns(void);
/* CPU time (user + system) of this process and the children it reaped, ns */
uint64_t wl_cpu_ns(void);
void wl_sleep_ms(unsigned long ms);
void wl_sleep_until_ns(uint64_t deadline);
size_t wl_page_size(void);

/*
 * VMAs of this process: lines of /proc/self/maps minus [vsyscall], which
 * is not a VMA of the mm.  Reads into a static buffer: allocates nothing.
 * Main thread only.
 */
long wl_count_vmas(void);

/* The address range of a run of non-mergeable VMAs (see wl_region_create). */
struct wl_region {
	char		*start;
	size_t		len;
	unsigned long	vmas;
};

/*
 * n one-page anonymous private VMAs whose protections alternate
 * PROT_READ / PROT_READ|PROT_WRITE, with an unmapped page on each side so
 * neither end can merge with a neighbour.  touch: write every page first,
 * so every VMA has an anon_vma (the split halves share one).
 */
void wl_region_create(struct wl_region *r, unsigned long n, bool touch);

/*
 * @n one-page anonymous mappings, each with a hole on both sides and
 * madvise(MADV_DONTFORK) (VM_DONTCOPY: dup_mmap() write-locks them but does
 * not copy them).  Exactly @n VMAs; the region is @r.
 */
void wl_dontfork_create(struct wl_region *r, unsigned long n);
/* VMAs of /proc/self/smaps whose VmFlags have "dc" (VM_DONTCOPY). */
long wl_count_dontcopy(void);

/* fork() once: the child calls _exit(0) at once; waits for it. */
pid_t wl_fork_wait(void);
/* waitpid(pid) and check that it exited 0. */
void wl_reap(pid_t pid, const char *what);

/* --hold-ms: announce "holding pid P for MS ms" on stderr, then sleep. */
void wl_hold(unsigned long ms);

/* ---- JSON writer: one object on one line, printed after the work ---- */
struct wl_json {
	FILE	*f;
	char	*buf;
	size_t	len;
	bool	first;
};

void wl_json_begin(struct wl_json *j);
void wl_json_str(struct wl_json *j, const char *key, const char *val);
void wl_json_i64(struct wl_json *j, const char *key, int64_t val);
void wl_json_u64(struct wl_json *j, const char *key, uint64_t val);
void wl_json_bool(struct wl_json *j, const char *key, bool val);
void wl_json_null(struct wl_json *j, const char *key);
void wl_json_pids(struct wl_json *j, const char *key, const pid_t *pids, size_t n);
void wl_json_u64s(struct wl_json *j, const char *key, const uint64_t *v, size_t n);
void wl_json_i64s(struct wl_json *j, const char *key, const int64_t *v, size_t n);
/* pid, tgid, comm of the calling thread */
void wl_json_self(struct wl_json *j);
/* Closes the object and writes it to --json FILE or stdout. */
void wl_json_end(struct wl_json *j, const struct wl_common *com);

/* ---- wl-siblings.c: the threads that share the forking mm ---------- */

enum wl_sibling_kind {
	WL_SIB_IDLE,	/* blocked in read() on a pipe */
	WL_SIB_FAULT,	/* MADV_DONTNEED + write, over and over */
	WL_SIB_CHURN,	/* mmap + write + munmap of one page, over and over */
};

struct wl_siblings {
	unsigned int	n;
	struct wl_sibling *sib;
	int		pipe_rd, pipe_wr;	/* idle siblings */
	char		*fault_buf;		/* fault siblings, one slice each */
	size_t		fault_slice;
	int		stop;			/* __atomic */
	pid_t		*tids;			/* filled by wl_siblings_start */
};

/*
 * Allocate everything the siblings will use (call before the VMA count).
 * kinds[i] gives the kind of sibling i.
 */
void wl_siblings_prepare(struct wl_siblings *s, unsigned int n,
			 const enum wl_sibling_kind *kinds);
/* Start them and wait until each is in its loop (or blocked in read). */
void wl_siblings_start(struct wl_siblings *s);
/* Stop and join; returns loops done by all fault and churn siblings. */
void wl_siblings_stop(struct wl_siblings *s, uint64_t *fault_loops,
		      uint64_t *churn_ops);

#endif
