// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "replay/release.h"

/* keep this much behind each CPU's current record: libtracecmd's pages in use */
#define MARGIN (4ULL << 20)

int fl_release_init(struct fl_release *r, const char *path)
{
	struct stat st;

	memset(r, 0, sizeof(*r));
	if (stat(path, &st) < 0)
		return -1;
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	return 0;
}

static void drop(uint64_t map_start, uint64_t map_end, uint64_t map_off,
		 uint64_t from, uint64_t to, uint64_t *released)
{
	uint64_t len = map_end - map_start, lo, hi;
	long page = sysconf(_SC_PAGESIZE);

	lo = from > map_off ? from : map_off;
	hi = to < map_off + len ? to : map_off + len;
	lo = (lo + page - 1) & ~(uint64_t)(page - 1);
	hi &= ~(uint64_t)(page - 1);
	if (hi <= lo)
		return;
	if (madvise((void *)(uintptr_t)(map_start + (lo - map_off)), hi - lo, MADV_DONTNEED) == 0)
		*released += hi - lo;
}

void fl_release_run(struct fl_release *r)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		unsigned int maj, min;
		char perms[8];
		int cpu;

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &off,
			   &maj, &min, &ino) != 7)
			continue;
		if (ino != r->ino || makedev(maj, min) != r->dev || perms[1] == 'w')
			continue;
		for (cpu = 0; cpu < r->nr_cpus; cpu++)
			if (r->pos[cpu] > r->start[cpu] + MARGIN)
				drop(start, end, off, r->start[cpu], r->pos[cpu] - MARGIN,
				     &r->released);
	}
	fclose(f);
}
