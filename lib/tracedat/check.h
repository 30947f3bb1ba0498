/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A look at a trace.dat before libtracecmd opens it: is it one at all,
 * which version, and (for version 6) is every section, every CPU's data
 * and every ring-buffer page inside the file and readable by libtracecmd
 * without harm (check.c says how)?  libtracecmd reads the file; this only
 * tells the user precisely why a file cannot be read, and gives the
 * options libtracecmd keeps private (UNAME, CPUSTAT, TRACECLOCK).
 */
#ifndef FORKLOCK_TRACEDAT_CHECK_H
#define FORKLOCK_TRACEDAT_CHECK_H

#include <stdbool.h>
#include <stdint.h>

enum fl_tdcheck_result {
	FL_TDCHECK_OK,
	FL_TDCHECK_NOT_TRACEDAT,	/* no trace.dat magic */
	FL_TDCHECK_BAD_VERSION,		/* a version this reader does not know */
	FL_TDCHECK_TRUNCATED,		/* a section or CPU data runs past the end */
	FL_TDCHECK_CORRUPT,		/* a section that makes no sense */
	FL_TDCHECK_NOMEM,		/* out of memory: the file was not judged */
};

struct fl_tdcheck {
	int version;
	bool big_endian;
	int long_size;
	uint32_t page_size;
	int nr_cpus;
	uint64_t file_size;
	uint64_t data_end;	/* v6: end of the last CPU's data */
	char uname[256];	/* UNAME option, "" if none */
	char clock[32];		/* bracketed clock of TRACECLOCK, "" if none */
	uint64_t overrun;	/* sum of CPUSTAT overrun + commit overrun + dropped events */
	bool has_cpustat;
	char why[160];		/* what is wrong, for the error line */
	/*
	 * Version 6: the data events (records libtracecmd will give) in each
	 * CPU's data, nr_cpus of them, as the walk counted them page by page;
	 * NULL when not counted (version 7).  fl_tdcheck_free() frees it.
	 */
	uint64_t *cpu_events;
	int nr_buffers;		/* v6: named buffers (BUFFER options), walked like the top one */
	uint64_t buffer_events;	/* ... and the data events in their pages */
	/*
	 * Version 6: where each CPU's data is (offset and size in the file),
	 * nr_cpus of each; NULL for version 7.  Freed by fl_tdcheck_free().
	 */
	uint64_t *cpu_offset, *cpu_size;
	/* an option libtracecmd shifts or scales timestamps by (DATE, OFFSET, TSC2NSEC) */
	bool ts_adjusted;
	/* ... the first named buffers' names and flyrecord offsets, for the replay */
	int nr_named;
	bool named_more;	/* more than fit here */
	struct fl_tdbuffer {
		char name[64];
		uint64_t offset;
	} named[4];
};

/*
 * Check the trace.dat open on @fd.  The pages and libtracecmd's open are
 * checked once per file (inode, size and times) and process.
 */
enum fl_tdcheck_result fl_tdcheck_file(int fd, struct fl_tdcheck *p);
void fl_tdcheck_free(struct fl_tdcheck *p);

/*
 * Where the CPU data of named buffer @i (p->named[i]) of the version 6
 * trace open on @fd is, as libtracecmd reads it (a "flyrecord" section of
 * p->nr_cpus offsets and sizes): into @offs and @sizes, nr_cpus each.
 * Returns 0, or -1 when it is not there or not whole pages inside the file.
 */
int fl_tdcheck_buffer_cpus(int fd, const struct fl_tdcheck *p, int i, uint64_t *offs,
			   uint64_t *sizes);

#endif
