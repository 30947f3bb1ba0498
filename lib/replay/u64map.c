// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>
#include <string.h>

#include "replay/u64map.h"

#define DELETED UINT64_MAX

/* The keys the table cannot hold: 0 (empty) and DELETED, kept beside it. */
static inline int edge_of(uint64_t key)
{
	return key == 0 ? 0 : key == DELETED ? 1 : -1;
}

static inline size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

void u64map_init(struct u64map *m)
{
	memset(m, 0, sizeof(*m));
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static int grow(struct u64map *m)
{
	size_t cap = m->cap ? m->cap : 64, i;
	struct u64map n;

	/* rehash in place of tombstones when mostly deleted, else double */
	if (m->cap && m->nr * 4 >= m->cap)
		cap = m->cap * 2;
	n.keys = calloc(cap, sizeof(*n.keys));
	n.vals = calloc(cap, sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	n.cap = cap;
	n.used = 0;
	memcpy(n.has_edge, m->has_edge, sizeof(n.has_edge));
	memcpy(n.edge, m->edge, sizeof(n.edge));
	n.nr = n.has_edge[0] + n.has_edge[1];
	for (i = 0; i < m->cap; i++) {
		size_t s;

		if (!m->keys[i] || m->keys[i] == DELETED)
			continue;
		s = slot_of(m->keys[i], cap);
		while (n.keys[s])
			s = (s + 1) & (cap - 1);
		n.keys[s] = m->keys[i];
		n.vals[s] = m->vals[i];
		n.used++;
		n.nr++;
	}
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
	int e = edge_of(key);
	size_t s;

	if (e >= 0)
		return m->has_edge[e] ? m->edge[e] : NULL;
	if (!m->cap)
		return NULL;
	for (s = slot_of(key, m->cap); m->keys[s]; s = (s + 1) & (m->cap - 1))
		if (m->keys[s] == key)
			return m->vals[s];
	return NULL;
}

int u64map_put(struct u64map *m, uint64_t key, void *val)
{
	size_t s, tomb = SIZE_MAX;
	int e = edge_of(key);

	if (e >= 0) {
		m->nr += !m->has_edge[e];
		m->has_edge[e] = true;
		m->edge[e] = val;
		return 0;
	}
	if ((m->used + 1) * 2 > m->cap && grow(m) < 0)
		return -1;
	for (s = slot_of(key, m->cap); m->keys[s]; s = (s + 1) & (m->cap - 1)) {
		if (m->keys[s] == key) {
			m->vals[s] = val;
			return 0;
		}
		if (m->keys[s] == DELETED && tomb == SIZE_MAX)
			tomb = s;
	}
	if (tomb != SIZE_MAX)
		s = tomb;
	else
		m->used++;
	m->keys[s] = key;
	m->vals[s] = val;
	m->nr++;
	return 0;
}

void *u64map_del(struct u64map *m, uint64_t key)
{
	int e = edge_of(key);
	size_t s;

	if (e >= 0) {
		void *val = m->edge[e];

		if (!m->has_edge[e])
			return NULL;
		m->has_edge[e] = false;
		m->edge[e] = NULL;
		m->nr--;
		return val;
	}
	if (!m->cap)
		return NULL;
	for (s = slot_of(key, m->cap); m->keys[s]; s = (s + 1) & (m->cap - 1)) {
		if (m->keys[s] == key) {
			void *val = m->vals[s];

			m->keys[s] = DELETED;
			m->vals[s] = NULL;
			m->nr--;
			return val;
		}
	}
	return NULL;
}

int u64map_next(const struct u64map *m, size_t *iter, uint64_t *key, void **val)
{
	for (; *iter < m->cap; (*iter)++) {
		if (m->keys[*iter] && m->keys[*iter] != DELETED) {
			if (key)
				*key = m->keys[*iter];
			if (val)
				*val = m->vals[*iter];
			(*iter)++;
			return 1;
		}
	}
	/* then the edge keys: *iter is cap, then cap + 1 */
	for (; *iter < m->cap + 2; (*iter)++) {
		int e = (int)(*iter - m->cap);

		if (m->has_edge[e]) {
			if (key)
				*key = e ? DELETED : 0;
			if (val)
				*val = m->edge[e];
			(*iter)++;
			return 1;
		}
	}
	return 0;
}
