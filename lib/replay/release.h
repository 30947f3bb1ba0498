/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replay memory: libtracecmd maps each CPU's data of a trace.dat in chunks
 * as large as that data, and every page it has read stays resident, so a
 * plain replay's RSS grows with the trace.  Replay reads each CPU's data
 * once, front to back: the pages well behind the current record of every
 * CPU are dropped from our mapping (MADV_DONTNEED on a read-only private
 * file mapping: if touched again they are read back from the file).
 * Private to lib/replay/.
 */
#ifndef FORKLOCK_RELEASE_H
#define FORKLOCK_RELEASE_H

#include <stdint.h>
#include <sys/types.h>

#define FL_RELEASE_CPUS 1024

struct fl_release {
	dev_t dev;
	ino_t ino;
	int nr_cpus;
	uint64_t start[FL_RELEASE_CPUS];	/* first record offset seen, per CPU */
	uint64_t pos[FL_RELEASE_CPUS];		/* current record offset, per CPU */
	uint64_t released;			/* bytes given back so far */
};

int fl_release_init(struct fl_release *r, const char *path);

static inline void fl_release_note(struct fl_release *r, int cpu, uint64_t offset)
{
	if (cpu < 0 || cpu >= FL_RELEASE_CPUS)
		return;
	if (!r->start[cpu])
		r->start[cpu] = offset;
	r->pos[cpu] = offset;
	if (cpu >= r->nr_cpus)
		r->nr_cpus = cpu + 1;
}

/* Drop what every CPU is done with.  Cheap enough to call every ~64 K records. */
void fl_release_run(struct fl_release *r);

#endif
