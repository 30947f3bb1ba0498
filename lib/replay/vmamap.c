// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VMA map of an mm: the address ranges mmap() created while traced,
 * with the kind each made (private anonymous, private file = copy-on-write,
 * MAP_SHARED), inherited through fork, removed by munmap() and by a
 * MAP_FIXED mapping over them, dropped at exec.  A VMA is looked up by its
 * start address (from ma_write's index): its kind is the kind of the
 * mapping it lies in, unknown where no recorded mmap() covers it (the
 * recording began later, exec's own mappings, brk, mremap).  Merging and
 * splitting never change a VMA's kind, so a lookup by address is exact
 * where the map has the range.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/replay-int.h"

#define FL_MAX_VMAMAP 65536	/* ranges per mm; beyond it the map is incomplete */

#define FL_MAP_SHARED		0x01
#define FL_MAP_SHARED_VALIDATE	0x03
#define FL_MAP_ANONYMOUS	0x20

enum fl_vma_kind vmamap_kind_of_mmap(uint64_t flags)
{
	if ((flags & FL_MAP_SHARED_VALIDATE) == FL_MAP_SHARED ||
	    (flags & FL_MAP_SHARED_VALIDATE) == FL_MAP_SHARED_VALIDATE)
		return FL_VMA_SHARED;
	return flags & FL_MAP_ANONYMOUS ? FL_VMA_ANON : FL_VMA_COW;
}

/* Cut [start, end) out of the map: the ranges left are sorted, disjoint. */
static void map_cut(struct replay *rp, struct fl_vmamap *m, uint64_t start, uint64_t end)
{
	int i;

	for (i = 0; i < m->n; i++) {
		struct fl_vrange *r = &m->r[i];

		if (r->end <= start || r->start >= end)
			continue;
		if (r->start < start && r->end > end) {
			/* a hole in the middle: split in two */
			struct fl_vrange tail = { end, r->end, r->kind };
			struct fl_vrange *n;

			if (m->n == m->alloc) {
				int alloc = m->alloc ? m->alloc * 2 : 16;

				n = replay_realloc(rp, m->r, alloc, sizeof(*n));
				if (!n)
					return;
				m->r = n;
				m->alloc = alloc;
			}
			r = &m->r[i];
			r->end = start;
			memmove(&m->r[i + 2], &m->r[i + 1], (m->n - i - 1) * sizeof(*r));
			m->r[i + 1] = tail;
			m->n++;
			return;
		}
		if (r->start < start) {
			r->end = start;
		} else if (r->end > end) {
			r->start = end;
		} else {
			memmove(r, r + 1, (m->n - i - 1) * sizeof(*r));
			m->n--;
			i--;
		}
	}
}

void vmamap_mmap(struct replay *rp, struct fl_mm *mm, uint64_t addr, uint64_t len,
		 enum fl_vma_kind kind)
{
	struct fl_vmamap *m;
	uint64_t end = addr + len;
	int i;

	if (!mm || !len || end < addr)
		return;
	m = &mm->vmamap;
	map_cut(rp, m, addr, end);
	if (m->n >= FL_MAX_VMAMAP) {
		m->incomplete = true;
		return;
	}
	if (m->n == m->alloc) {
		int alloc = m->alloc ? m->alloc * 2 : 16;
		struct fl_vrange *n = replay_realloc(rp, m->r, alloc, sizeof(*n));

		if (!n)
			return;
		m->r = n;
		m->alloc = alloc;
	}
	for (i = m->n; i > 0 && m->r[i - 1].start > addr; i--)
		m->r[i] = m->r[i - 1];
	m->r[i] = (struct fl_vrange){ addr, end, kind };
	m->n++;
}

void vmamap_munmap(struct replay *rp, struct fl_mm *mm, uint64_t addr, uint64_t len)
{
	if (mm && len && addr + len > addr)
		map_cut(rp, &mm->vmamap, addr, addr + len);
}

enum fl_vma_kind vmamap_kind(const struct fl_mm *mm, uint64_t start)
{
	const struct fl_vmamap *m = mm ? &mm->vmamap : NULL;
	int lo = 0, hi = m ? m->n : 0;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (m->r[mid].end <= start)
			lo = mid + 1;
		else if (m->r[mid].start > start)
			hi = mid;
		else
			return m->r[mid].kind;
	}
	return FL_VMA_UNKNOWN;
}

void vmamap_copy(struct replay *rp, struct fl_mm *dst, const struct fl_mm *src)
{
	if (!dst || !src || !src->vmamap.n)
		return;
	dst->vmamap.r = replay_realloc(rp, NULL, src->vmamap.n, sizeof(struct fl_vrange));
	if (!dst->vmamap.r)
		return;
	memcpy(dst->vmamap.r, src->vmamap.r, src->vmamap.n * sizeof(struct fl_vrange));
	dst->vmamap.n = dst->vmamap.alloc = src->vmamap.n;
	dst->vmamap.incomplete = src->vmamap.incomplete;
}

void vmamap_clear(struct fl_mm *mm)
{
	if (!mm)
		return;
	free(mm->vmamap.r);
	memset(&mm->vmamap, 0, sizeof(mm->vmamap));
}
