/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small open-addressing hash map from a u64 key (a pid, an mm pointer,
 * a (tgid, fd) pair) to a pointer.  Every key works: 0 and UINT64_MAX,
 * which mark empty and deleted slots in the table, live beside it (a pid
 * of -1 or -2 read from a trace is keyed pid + 1).  Replay keeps live tasks, mms
 * and open windows in these; nothing that grows with trace length.
 * Private to lib/replay/.
 */
#ifndef FORKLOCK_U64MAP_H
#define FORKLOCK_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys;		/* 0 = empty, UINT64_MAX = deleted */
	void **vals;
	size_t cap;		/* power of two */
	size_t used;		/* live + deleted slots */
	size_t nr;		/* live entries, the two below included */
	bool has_edge[2];	/* key 0, key UINT64_MAX: not in the table */
	void *edge[2];
};

void u64map_init(struct u64map *m);
void u64map_free(struct u64map *m);
void *u64map_get(const struct u64map *m, uint64_t key);
int u64map_put(struct u64map *m, uint64_t key, void *val);	/* replaces */
void *u64map_del(struct u64map *m, uint64_t key);		/* returns old value */

/* Iterate: for (i = 0; u64map_next(m, &i, &key, &val); ) (the edge keys last) */
int u64map_next(const struct u64map *m, size_t *iter, uint64_t *key, void **val);

#endif
