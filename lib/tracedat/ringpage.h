/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ring-buffer sub-buffer pages: build them, and count what is in them.
 *
 * The page layout is the kernel's (events/header_page, events/header_event),
 * for a 64-bit little- or big-endian host as compiled:
 *   u64 timestamp; local_t commit (8 bytes, low bits = data length, bit 31 =
 *   RB_MISSED_EVENTS, bit 30 = RB_MISSED_STORED); data[page_size - 16].
 *   Each event: u32 header { type_len:5, time_delta:27 } and payload.
 *   type_len 1..28: payload of type_len*4 bytes; 0: array[0] holds the length
 *   (+4) and payload follows; 29 padding; 30 time extend; 31 absolute stamp.
 * When missed events are stored (RB_MISSED_STORED) their count is an
 * unsigned long placed right after the data (commit bytes into data).
 *
 * ringpage_builder is used by the recorder (the /proc snapshot is written
 * as ftrace:print events on their own page) and by the tests (fixtures of
 * any kernel's events).
 */
#ifndef FORKLOCK_RINGPAGE_H
#define FORKLOCK_RINGPAGE_H

#include <stddef.h>
#include <stdint.h>

struct ringpage_builder;

struct ringpage_builder *ringpage_builder_new(unsigned int page_size);
void ringpage_builder_free(struct ringpage_builder *b);

/*
 * Append one event record at time @ts (ns, in the trace clock).  @payload is
 * the raw event as the kernel lays it out: it starts with the common fields
 * (u16 common_type, u8 common_flags, u8 common_preempt_count,
 * s32 common_pid) followed by the event's own fields.  @ts must not go
 * backwards.  A new page is started when the event does not fit.
 */
int ringpage_add(struct ringpage_builder *b, uint64_t ts,
		 const void *payload, size_t len);

/*
 * Mark that @count events were lost before the next event added: the next
 * page started gets RB_MISSED_EVENTS (and RB_MISSED_STORED with @count when
 * it fits).  Forces a new page.
 */
int ringpage_missed(struct ringpage_builder *b, unsigned long count);

/* Pages built so far (page_size * n bytes), valid until the next call. */
const void *ringpage_data(struct ringpage_builder *b, size_t *len);

/*
 * Count what a run of pages holds: records (as libtraceevent's kbuffer
 * yields them; padding and time extends are not records), pages with
 * missed events and the missed count stored in them.  Returns 0, or -1 on a
 * malformed page.
 */
struct ringpage_count {
	uint64_t events;
	uint64_t pages;
	uint64_t missed_pages;		/* pages flagged RB_MISSED_EVENTS */
	uint64_t missed_events;		/* sum of stored counts */
	uint64_t first_ts;
	uint64_t last_ts;
};
int ringpage_count(const void *pages, size_t len, unsigned int page_size,
		   struct ringpage_count *count);

#endif
