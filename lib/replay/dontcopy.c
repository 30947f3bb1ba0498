// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * VM_DONTCOPY VMAs of an mm.  dup_mmap() write-locks every VMA of oldmm,
 * then skips the VM_DONTCOPY ones: they make no ma_write mas_store, so the
 * VMAs a fork locks are its copied VMAs plus these (the tracepoint tier has
 * no map_count).  Where they come from:
 *
 *   the snapshot     smaps VmFlags "dc" of each process (exact then);
 *   fork, exec       the child / the new image has none (exact);
 *   madvise()        MADV_DONTFORK (10) / MADV_DOFORK (11), filtered in the
 *                    kernel; a failed one (sys_exit_madvise ret != 0) is
 *                    undone.
 *
 * A madvise changes the count by how many VMAs of its range change flags,
 * which the trace does not show in general.  It is sure of one case: a
 * range of one page whose write hold wrote nothing to the maple tree (no
 * split, no merge) changed one whole one-page VMA in place; the page then
 * says whether it was VM_DONTCOPY before (dc_pages), as long as every
 * VM_DONTCOPY VMA of the mm is such a page (dc_all_known).  Anything else
 * is counted as one VMA and marked estimated, and so is any other change of
 * the mm's VMAs the trace cannot attribute (a write hold of mmap(),
 * mremap(), ... while it has VM_DONTCOPY VMAs), lost events, and a trace
 * that did not record madvise at all.  Device mappings that set VM_DONTCOPY
 * themselves (perf ring buffers) are not seen here.
 */
#include <stdlib.h>

#include "replay/replay-int.h"

#define MADV_DONTFORK_ 10
#define MADV_DOFORK_ 11

static bool is_dc_page(const struct fl_mm *mm, uint64_t page, int *at)
{
	int i;

	for (i = 0; i < mm->nr_dc_pages; i++)
		if (mm->dc_pages[i] == page) {
			*at = i;
			return true;
		}
	return false;
}

static void add_dc_page(struct replay *rp, struct fl_mm *mm, uint64_t page)
{
	if (mm->nr_dc_pages == mm->alloc_dc_pages) {
		int alloc = mm->alloc_dc_pages ? mm->alloc_dc_pages * 2 : 8;
		uint64_t *n = replay_realloc(rp, mm->dc_pages, alloc, sizeof(*n));

		if (!n) {
			mm->dc_all_known = false;
			mm->dc_estimated = true;
			return;
		}
		mm->dc_pages = n;
		mm->alloc_dc_pages = alloc;
	}
	mm->dc_pages[mm->nr_dc_pages++] = page;
}

/* Known VM_DONTCOPY pages in [addr, addr + len): dropped, and how many. */
static int drop_dc_pages(struct fl_mm *mm, uint64_t addr, uint64_t len)
{
	int i = 0, n = 0;

	while (i < mm->nr_dc_pages) {
		if (mm->dc_pages[i] >= addr && mm->dc_pages[i] < addr + len) {
			mm->dc_pages[i] = mm->dc_pages[--mm->nr_dc_pages];
			n++;
			continue;
		}
		i++;
	}
	return n;
}

void dc_set(struct fl_mm *mm, int dontcopy)
{
	if (!mm)
		return;
	mm->dontcopy = dontcopy;
	mm->dc_estimated = false;
	mm->dc_all_known = dontcopy == 0;
	mm->nr_dc_pages = 0;
}

void dc_free(struct fl_mm *mm)
{
	free(mm->dc_pages);
	mm->dc_pages = NULL;
	mm->nr_dc_pages = mm->alloc_dc_pages = 0;
}

void dc_madvise_enter(struct replay *rp, struct task *t, uint64_t addr, uint64_t len, int advice)
{
	t->madv_pending = false;
	t->madv_applied = false;
	if (advice != MADV_DONTFORK_ && advice != MADV_DOFORK_)
		return;		/* a trace recorded without the filter */
	t->madv_pending = true;
	t->madv_advice = advice;
	t->madv_addr = addr;
	t->madv_len = len;
	t->madv_writes = 0;
	t->madv_delta = 0;
}

void dc_hold_write(struct task *t)
{
	if (t->madv_pending)
		t->madv_writes++;
}

static int apply(struct replay *rp, struct fl_mm *mm, struct task *t, bool *sure)
{
	uint64_t page = rp->page_size ? rp->page_size : 4096;
	uint64_t addr = t->madv_addr & ~(page - 1);
	bool one = t->madv_len && t->madv_len <= page && !t->madv_writes;
	int at;

	*sure = false;
	if (t->madv_advice == MADV_DONTFORK_) {
		if (one && is_dc_page(mm, addr, &at)) {
			*sure = true;
			return 0;			/* it already was */
		}
		if (one && mm->dc_all_known) {
			add_dc_page(rp, mm, addr);
			*sure = true;
			return 1;
		}
		mm->dc_all_known = false;
		return 1;				/* one VMA, as far as we know */
	}
	/* MADV_DOFORK */
	at = drop_dc_pages(mm, t->madv_addr, t->madv_len ? t->madv_len : page);
	if (mm->dc_all_known && (one || !at)) {
		*sure = true;
		return -at;
	}
	mm->dc_all_known = false;
	return at ? -at : -1;
}

/*
 * The write hold of @t's madvise ended: its change of @mm's VM_DONTCOPY
 * VMAs.  Returns false when @t has no madvise in flight (the hold was
 * something else).
 */
bool dc_hold_end(struct replay *rp, struct task *t, struct fl_mm *mm)
{
	bool sure;
	int delta;

	if (!t->madv_pending)
		return false;
	t->madv_pending = false;
	if (!mm || mm->dontcopy < 0)
		return true;
	delta = apply(rp, mm, t, &sure);
	if (mm->dontcopy + delta < 0)
		delta = -mm->dontcopy;
	mm->dontcopy += delta;
	t->madv_delta = delta;
	t->madv_applied = true;
	if (!sure)
		mm->dc_estimated = true;
	return true;
}

/* madvise() returned an error: undo what its hold was counted to do. */
void dc_madvise_failed(struct replay *rp, struct task *t)
{
	uint64_t page = rp->page_size ? rp->page_size : 4096;
	struct fl_mm *mm = t->mm;
	int at;

	t->madv_pending = false;
	if (!t->madv_applied || !mm || mm->dontcopy < 0)
		return;
	t->madv_applied = false;
	mm->dontcopy -= t->madv_delta;
	if (mm->dontcopy < 0)
		mm->dontcopy = 0;
	/*
	 * A one-page range that wrote nothing failed as a whole (ENOMEM: not
	 * mapped): nothing changed.  A longer one may have changed some VMAs
	 * before it failed.
	 */
	if (t->madv_writes || !t->madv_len || t->madv_len > page) {
		mm->dc_estimated = true;
		mm->dc_all_known = false;
	} else if (t->madv_delta > 0 && is_dc_page(mm, t->madv_addr & ~(page - 1), &at)) {
		mm->dc_pages[at] = mm->dc_pages[--mm->nr_dc_pages];
	} else if (t->madv_delta < 0) {
		add_dc_page(rp, mm, t->madv_addr & ~(page - 1));
	}
}

/* munmap() of [addr, addr + len): VM_DONTCOPY VMAs in it are gone. */
void dc_munmap(struct fl_mm *mm, uint64_t addr, uint64_t len)
{
	if (!mm || mm->dontcopy <= 0)
		return;
	mm->dontcopy -= drop_dc_pages(mm, addr, len);
	if (mm->dontcopy < 0)
		mm->dontcopy = 0;
	if (!mm->dc_all_known)
		mm->dc_estimated = true;	/* it may have unmapped others */
}

/* Something the trace cannot attribute changed @mm's VMAs. */
void dc_vmas_changed(struct fl_mm *mm)
{
	if (mm && mm->dontcopy > 0)
		mm->dc_estimated = true;
}

/* What a fork of @mm reads: its VM_DONTCOPY VMAs and how sure that is. */
void dc_of_fork(const struct replay *rp, const struct fl_mm *mm, struct fl_fork *f)
{
	f->vmas_dontcopy = mm ? mm->dontcopy : -1;
	if (f->vmas_dontcopy < 0 || mm->dc_estimated || !rp->have_madvise || rp->lost_seen)
		f->locked_quality = FL_LOCKED_ESTIMATED;
	else
		f->locked_quality = FL_LOCKED_EXACT;
}
