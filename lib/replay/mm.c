// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Address spaces: an fl_mm is shared by the tasks that use one mm_struct
 * and the userfaultfd contexts that hold it, counted (refs), known by its
 * pointer once a write hold of its own task showed it (rp->mms), and its
 * VMAs by kind, followed through MAP_SHARED mmap() and munmap().  The
 * kernel reuses mm pointers: exit_mmap and exec retire one.
 */
#include <stdlib.h>

#include "replay/replay-int.h"

struct fl_mm *mm_new(struct replay *rp)
{
	struct fl_mm *mm = replay_calloc(rp, 1, sizeof(struct fl_mm));

	if (mm)
		mm->dontcopy = -1;	/* until the snapshot, a fork or an exec says */
	return mm;
}

void mm_put(struct replay *rp, struct fl_mm *mm)
{
	if (!mm || --mm->refs > 0)
		return;
	if (mm->ptr && u64map_get(&rp->mms, mm->ptr) == mm)
		u64map_del(&rp->mms, mm->ptr);
	free(mm->shared_ranges);
	dc_free(mm);
	vmamap_clear(mm);
	free(mm);
}

void mm_learn_ptr(struct replay *rp, struct fl_mm *mm, uint64_t ptr)
{
	struct fl_mm *old;

	if (!mm || !ptr || mm->ptr == ptr)
		return;
	if (mm->ptr && u64map_get(&rp->mms, mm->ptr) == mm)
		u64map_del(&rp->mms, mm->ptr);
	old = u64map_get(&rp->mms, ptr);
	if (old && old != mm)
		old->ptr = 0;	/* that mm is gone: its pointer was reused */
	mm->ptr = ptr;
	replay_map_put(rp, &rp->mms, ptr, mm);
}

void mm_retire_ptr(struct replay *rp, uint64_t ptr)
{
	struct fl_mm *mm = u64map_del(&rp->mms, ptr);

	if (mm)
		mm->ptr = 0;
}

/* ---- VMA kinds ------------------------------------------------------------ */

/* Something may have added, split or merged VMAs of @mm. */
void mm_vmas_changed(struct fl_mm *mm)
{
	if (mm && mm->kinds.quality == FL_KINDS_EXACT)
		mm->kinds.quality = FL_KINDS_ESTIMATED;
}

#define FL_MAX_SHARED_RANGES 65536

void mm_mmap_shared(struct replay *rp, struct fl_mm *mm, uint64_t addr, uint64_t len)
{
	if (!mm)
		return;
	mm_vmas_changed(mm);
	if (mm->kinds.shared < 0)
		return;
	/* a MAP_FIXED mapping replaces what was there */
	mm_munmap(rp, mm, addr, len);
	if (mm->nr_shared == mm->alloc_shared) {
		int alloc = mm->alloc_shared ? mm->alloc_shared * 2 : 8;
		struct fl_range *n;

		if (alloc > FL_MAX_SHARED_RANGES) {
			/* too many to follow: say we do not know */
			mm->kinds.shared = -1;
			mm->kinds.quality = FL_KINDS_UNKNOWN;
			return;
		}
		n = replay_realloc(rp, mm->shared_ranges, alloc, sizeof(*n));
		if (!n)
			return;
		mm->shared_ranges = n;
		mm->alloc_shared = alloc;
	}
	mm->shared_ranges[mm->nr_shared++] = (struct fl_range){ addr, addr + len };
	mm->kinds.shared++;
}

void mm_munmap(struct replay *rp, struct fl_mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;
	int i = 0;

	if (!mm)
		return;
	mm_vmas_changed(mm);
	dc_munmap(mm, addr, len);
	while (i < mm->nr_shared) {
		struct fl_range *r = &mm->shared_ranges[i];

		if (r->end <= addr || r->start >= end) {
			i++;
			continue;
		}
		if (r->start >= addr && r->end <= end) {
			/* wholly unmapped */
			*r = mm->shared_ranges[--mm->nr_shared];
			if (mm->kinds.shared > 0)
				mm->kinds.shared--;
			continue;
		}
		/* trimmed at one end (a hole in the middle leaves two VMAs: counted once) */
		if (r->start < addr)
			r->end = addr;
		else
			r->start = end;
		i++;
	}
}
