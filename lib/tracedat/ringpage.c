// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Ring-buffer sub-buffer pages: a builder that lays events out the way the
 * kernel's ring buffer does, and a counter that reads pages with
 * libtraceevent's kbuffer (the parser libtracecmd and trace-cmd use).
 *
 * Builder rules (kernel/trace/ring_buffer.c):
 * - the first event of a page has time_delta 0; the page timestamp is its
 *   time;
 * - later events carry the delta to the previous event; a delta that does
 *   not fit 27 bits is preceded by a time extend (type_len 30, the upper
 *   bits in array[0]) and the event itself then has delta 0;
 * - payloads of up to 112 bytes use type_len = length / 4, bigger ones
 *   type_len 0 with array[0] = padded length + 4;
 * - a page that follows lost events has RB_MISSED_EVENTS in its commit
 *   word, and RB_MISSED_STORED with the count stored right after the data
 *   when it fits.  A count of 0 passed to ringpage_missed() means "unknown":
 *   the page is flagged but no count is stored (trace-cmd then prints
 *   "[EVENTS DROPPED]" without a number).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <traceevent/kbuffer.h>

#include "tracedat/bytes.h"
#include "tracedat/format.h"
#include "tracedat/ringpage.h"

#define RP_HDR_SIZE		16	/* u64 timestamp + 8-byte commit */
#define RP_MISSED_SIZE		8	/* the stored count is a 64-bit long */
#define RP_EXTEND_MAX		((1ULL << (TRACEDAT_RB_TS_BITS + 32)) - 1)

struct ringpage_builder {
	unsigned int	page_size;
	unsigned char	*buf;
	size_t		nr_pages;	/* pages in buf, the open one included */
	size_t		alloc_pages;

	bool		open;		/* the last page in buf takes events */
	size_t		used;		/* data bytes in the open page */
	uint64_t	last_ts;	/* time of the last event added */
	bool		have_ts;

	bool		missed_flag;	/* open page has RB_MISSED_EVENTS */
	bool		missed_stored;	/* ... and a stored count */
	unsigned long	missed_count;

	bool		pending;	/* lost events before the next event */
	bool		pending_unknown;
	unsigned long	pending_count;
};

static size_t data_room(const struct ringpage_builder *b)
{
	return b->page_size - RP_HDR_SIZE;
}

static unsigned char *open_page(struct ringpage_builder *b)
{
	return b->buf + (b->nr_pages - 1) * (size_t)b->page_size;
}

static void put_u32(void *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put_u64(void *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* The event header word { type_len:5, time_delta:27 } as the host lays it out. */
static uint32_t event_header(unsigned int type_len, uint32_t delta)
{
	return tracedat_event_header(type_len, delta, tracedat_host_big_endian());
}

static unsigned int event_type_len(uint32_t header)
{
	return tracedat_type_len(header, tracedat_host_big_endian());
}

/* Rewrite the commit word (and stored count) of the open page. */
static void sync_header(struct ringpage_builder *b)
{
	unsigned char *page = open_page(b);
	uint64_t commit = b->used;

	if (b->missed_flag)
		commit |= TRACEDAT_RB_MISSED_EVENTS;
	if (b->missed_stored) {
		commit |= TRACEDAT_RB_MISSED_STORED;
		put_u64(page + RP_HDR_SIZE + b->used, b->missed_count);
	}
	put_u64(page + 8, commit);
}

static int grow(struct ringpage_builder *b)
{
	unsigned char *buf;
	size_t n;

	if (b->nr_pages < b->alloc_pages)
		return 0;
	n = b->alloc_pages ? b->alloc_pages * 2 : 16;
	buf = realloc(b->buf, n * (size_t)b->page_size);
	if (!buf)
		return -1;
	b->buf = buf;
	b->alloc_pages = n;
	return 0;
}

/* Start a page whose first event is at @ts; it takes any pending loss. */
static int start_page(struct ringpage_builder *b, uint64_t ts, size_t first_size)
{
	unsigned char *page;

	if (grow(b))
		return -1;
	b->nr_pages++;
	page = open_page(b);
	memset(page, 0, b->page_size);
	put_u64(page, ts);

	b->open = true;
	b->used = 0;
	b->missed_flag = b->pending;
	b->missed_stored = b->pending && !b->pending_unknown &&
			   first_size + RP_MISSED_SIZE <= data_room(b);
	b->missed_count = b->pending_count;
	b->pending = false;
	b->pending_unknown = false;
	b->pending_count = 0;
	sync_header(b);
	return 0;
}

struct ringpage_builder *ringpage_builder_new(unsigned int page_size)
{
	struct ringpage_builder *b;

	/* Room for the header and at least one small event. */
	if (page_size < 64 || (page_size & (page_size - 1))) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->page_size = page_size;
	return b;
}

void ringpage_builder_free(struct ringpage_builder *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b);
}

int ringpage_add(struct ringpage_builder *b, uint64_t ts,
		 const void *payload, size_t len)
{
	size_t padded, rec_size, need, reserve;
	uint64_t delta = 0;
	bool extend = false;
	unsigned char *p;

	if (!b || !payload || !len) {
		errno = EINVAL;
		return -1;
	}
	if (b->have_ts && ts < b->last_ts) {
		errno = EINVAL;
		return -1;
	}
	padded = (len + 3) & ~(size_t)3;
	if (padded < len || padded > data_room(b)) {
		errno = EINVAL;
		return -1;
	}
	rec_size = padded <= TRACEDAT_RB_MAX_SMALL_DATA ? 4 + padded : 8 + padded;
	if (rec_size > data_room(b)) {
		errno = EINVAL;
		return -1;
	}

	if (b->open) {
		delta = ts - b->last_ts;
		if (delta > RP_EXTEND_MAX) {
			b->open = false;	/* too far: a new page has the full stamp */
		} else {
			extend = delta > TRACEDAT_RB_DELTA_MAX;
			need = rec_size + (extend ? 8 : 0);
			reserve = b->missed_stored ? RP_MISSED_SIZE : 0;
			if (b->used + need + reserve > data_room(b))
				b->open = false;
		}
	}
	if (!b->open) {
		if (start_page(b, ts, rec_size))
			return -1;
		delta = 0;
		extend = false;
	}

	p = open_page(b) + RP_HDR_SIZE + b->used;
	if (extend) {
		put_u32(p, event_header(TRACEDAT_RB_TYPE_TIME_EXTEND, delta & TRACEDAT_RB_DELTA_MAX));
		put_u32(p + 4, (uint32_t)(delta >> TRACEDAT_RB_TS_BITS));
		p += 8;
		b->used += 8;
		delta = 0;
	}
	if (padded <= TRACEDAT_RB_MAX_SMALL_DATA) {
		put_u32(p, event_header(padded / 4, delta));
		p += 4;
	} else {
		put_u32(p, event_header(0, delta));
		put_u32(p + 4, (uint32_t)(padded + 4));
		p += 8;
	}
	memcpy(p, payload, len);
	memset(p + len, 0, padded - len);
	b->used += rec_size;
	b->last_ts = ts;
	b->have_ts = true;
	sync_header(b);
	return 0;
}

int ringpage_missed(struct ringpage_builder *b, unsigned long count)
{
	if (!b) {
		errno = EINVAL;
		return -1;
	}
	b->open = false;
	if (!count)
		b->pending_unknown = true;
	if (b->pending_count + count < b->pending_count)
		b->pending_count = ~0UL;
	else
		b->pending_count += count;
	b->pending = true;
	return 0;
}

const void *ringpage_data(struct ringpage_builder *b, size_t *len)
{
	if (!b) {
		errno = EINVAL;
		return NULL;
	}
	if (len)
		*len = b->nr_pages * (size_t)b->page_size;
	return b->buf;
}

/*
 * Walk the records of one page without kbuffer, so that a corrupt length
 * cannot make kbuffer read past the page.
 */
static int check_page(const unsigned char *page, unsigned int page_size)
{
	uint64_t commit = fl_get_u64(page + 8, false);
	uint64_t size = commit & TRACEDAT_RB_COMMIT_MASK;
	uint64_t room = page_size - RP_HDR_SIZE;
	const unsigned char *data = page + RP_HDR_SIZE;
	uint64_t off = 0, length;
	uint32_t header;

	if (size > room)
		return -1;
	if ((commit & TRACEDAT_RB_MISSED_STORED) && size + RP_MISSED_SIZE > room)
		return -1;

	while (off < size) {
		if (size - off < 4)
			return -1;
		header = fl_get_u32(data + off, false);
		switch (event_type_len(header)) {
		case 0:
			if (size - off < 8)
				return -1;
			length = fl_get_u32(data + off + 4, false);
			if (length < 4)
				return -1;
			length = 8 + ((length - 4 + 3) & ~3ULL);
			break;
		case TRACEDAT_RB_TYPE_PADDING:
			if (size - off < 8)
				return -1;
			length = 4 + (uint64_t)fl_get_u32(data + off + 4, false);
			break;
		case TRACEDAT_RB_TYPE_TIME_EXTEND:
		case TRACEDAT_RB_TYPE_TIME_STAMP:
			length = 8;
			break;
		default:
			length = 4 + 4 * event_type_len(header);
			break;
		}
		if (length > size - off)
			return -1;
		off += length;
	}
	return 0;
}

int ringpage_count(const void *pages, size_t len, unsigned int page_size,
		   struct ringpage_count *count)
{
	const unsigned char *page;
	unsigned long long ts;
	struct kbuffer *kbuf;
	bool first_seen = false;
	size_t off;
	void *rec;
	int missed;

	if (!count || (len && !pages) || page_size <= RP_HDR_SIZE ||
	    len % page_size) {
		errno = EINVAL;
		return -1;
	}
	memset(count, 0, sizeof(*count));

	kbuf = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_SAME_AS_HOST);
	if (!kbuf)
		return -1;

	for (off = 0; off < len; off += page_size) {
		page = (const unsigned char *)pages + off;
		if (check_page(page, page_size)) {
			kbuffer_free(kbuf);
			errno = EINVAL;
			return -1;
		}
		count->pages++;
		if (fl_get_u64(page + 8, false) & TRACEDAT_RB_MISSED_EVENTS)
			count->missed_pages++;

		/* kbuffer only reads the page; it takes a non-const pointer */
		kbuffer_load_subbuffer(kbuf, (void *)page);
		rec = kbuffer_read_event(kbuf, &ts);
		if (rec) {
			missed = kbuffer_missed_events(kbuf);
			if (missed > 0)
				count->missed_events += missed;
		}
		for (; rec; rec = kbuffer_next_event(kbuf, &ts)) {
			if (!first_seen) {
				count->first_ts = ts;
				first_seen = true;
			}
			count->last_ts = ts;
			count->events++;
		}
	}
	kbuffer_free(kbuf);
	return 0;
}
