/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ring-buffer pages of one CPU's data in a version 6 trace.dat, read
 * front to back in chunks of whole pages (pread: nothing of the file stays
 * mapped or resident) and walked with libtraceevent's kbuffer as
 * libtracecmd 3.1.6 walks them (tracecmd_peek_data(): the same events, the
 * same timestamps when no option adjusts them (fl_tdcheck.ts_adjusted), the
 * same missed-event counts).  Each chunk gives a batch of records.
 *
 * Records whose event id the caller does not need (its @skip table) are
 * counted and left out of the batch, except where their timestamp could
 * decide how CPUs merge by time: the first record of a CPU up to its first
 * non-zero timestamp, a record followed by an older one, the last record
 * of a batch.  Those stay (and the caller's callback sees them as before).
 * A record that follows lost events always stays.
 */
#ifndef FORKLOCK_TRACEDAT_PAGEREAD_H
#define FORKLOCK_TRACEDAT_PAGEREAD_H

#include <stdbool.h>
#include <stdint.h>

/* what a record whose event id is not needed counts as */
enum fl_skip {
	FL_SKIP_NO = 0,		/* needed: in the batch */
	FL_SKIP_OTHER,		/* not needed, counted in fl_pagebatch.skipped */
	FL_SKIP_UNKNOWN,	/* an id without a format: counted in .skipped_unknown too */
};

struct fl_pagerec {
	uint64_t ts;
	const void *data;	/* the event's payload, inside the batch's pages */
	uint32_t size;
	int32_t missed;		/* kbuffer_missed_events(): >0 lost, -1 lost (how many unknown) */
};

struct fl_pagebatch {
	uint8_t *pages;		/* the chunk read */
	struct fl_pagerec *rec;
	uint32_t nr, alloc;
	uint64_t events;	/* records in the chunk, kept or not */
	uint64_t skipped;	/* left out */
	uint64_t skipped_unknown;	/* ... of them, ids without a format */
};

struct fl_pageread;

/*
 * A reader of @size bytes of CPU data at @offset of @fd (whole pages of
 * @page_size), in the file's @long_size and endianness.  @skip (may be
 * NULL: keep all) is indexed by event id, @nr_skip entries; ids past it
 * count as @skip_beyond.  The tables are the caller's and must outlive the
 * reader.  NULL with errno set when memory runs out.
 */
struct fl_pageread *fl_pageread_new(int fd, uint64_t offset, uint64_t size, uint32_t page_size,
				    int long_size, bool big_endian, const uint8_t *skip,
				    uint32_t nr_skip, enum fl_skip skip_beyond);
void fl_pageread_free(struct fl_pageread *r);

/*
 * Read the next chunk into @b (its memory is kept for the next fill).
 * Returns 1 (a chunk, even if all its records were left out), 0 at the end
 * of the data, or -1 with errno set: a read error or short read (EIO),
 * out of memory, or a page kbuffer says is larger than a page (EPROTO:
 * libtracecmd ends the CPU there).  After 0 or -1 the reader is done.
 */
int fl_pageread_fill(struct fl_pageread *r, struct fl_pagebatch *b);
void fl_pagebatch_free(struct fl_pagebatch *b);

#endif
