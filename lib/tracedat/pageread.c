// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One CPU's ring-buffer pages, read in chunks and walked with kbuffer
 * (pageread.h says what a batch holds and which records it leaves out).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kbuffer.h>

#include "tracedat/bytes.h"
#include "tracedat/format.h"
#include "tracedat/pageread.h"

/* bytes of pages per batch (at least one page) */
#define CHUNK	(256U << 10)

struct fl_pageread {
	int fd;
	uint64_t offset, size, pos;	/* the CPU's data, and how far it is read */
	uint32_t page_size, chunk;
	int long_size;
	bool swap;
	struct kbuffer *kbuf;
	const uint8_t *skip;
	uint32_t nr_skip;
	enum fl_skip skip_beyond;
	bool seen_ts;		/* a record with a non-zero timestamp was given */
	bool done;
	int err;		/* the errno the next fill gives, 0: none */
};

struct fl_pageread *fl_pageread_new(int fd, uint64_t offset, uint64_t size, uint32_t page_size,
				    int long_size, bool big_endian, const uint8_t *skip,
				    uint32_t nr_skip, enum fl_skip skip_beyond)
{
	struct fl_pageread *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = fd;
	r->offset = offset;
	r->size = size - size % page_size;
	r->page_size = page_size;
	r->long_size = long_size;
	r->chunk = page_size >= CHUNK ? page_size : CHUNK / page_size * page_size;
	r->swap = big_endian != tracedat_host_big_endian();
	r->skip = skip;
	r->nr_skip = nr_skip;
	r->skip_beyond = skip_beyond;
	/* as libtracecmd allocates its kbuffer (trace-input.c, init_cpu_data()) */
	r->kbuf = kbuffer_alloc(long_size == 8 ? KBUFFER_LSIZE_8 : KBUFFER_LSIZE_4,
				big_endian ? KBUFFER_ENDIAN_BIG : KBUFFER_ENDIAN_LITTLE);
	if (!r->kbuf) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

void fl_pageread_free(struct fl_pageread *r)
{
	if (!r)
		return;
	kbuffer_free(r->kbuf);
	free(r);
}

void fl_pagebatch_free(struct fl_pagebatch *b)
{
	free(b->pages);
	free(b->rec);
	memset(b, 0, sizeof(*b));
}

static int add(struct fl_pagebatch *b, const struct fl_pagerec *rec)
{
	if (b->nr == b->alloc) {
		uint32_t alloc = b->alloc ? b->alloc * 2 : 4096;
		struct fl_pagerec *n = realloc(b->rec, alloc * sizeof(*n));

		if (!n)
			return -1;
		b->rec = n;
		b->alloc = alloc;
	}
	b->rec[b->nr++] = *rec;
	return 0;
}

static enum fl_skip skip_of(const struct fl_pageread *r, const struct fl_pagerec *rec)
{
	uint16_t id;

	if (!r->skip || rec->missed)
		return FL_SKIP_NO;
	if (rec->size < 8)
		return FL_SKIP_OTHER;	/* no common fields: nothing reads it */
	id = fl_get_u16(rec->data, r->swap);
	return id < r->nr_skip ? (enum fl_skip)r->skip[id] : r->skip_beyond;
}

static int read_chunk(struct fl_pageread *r, uint8_t *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t got = pread(r->fd, buf + done, n - done, (off_t)(r->offset + r->pos + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (!got)
				errno = EIO;	/* the file is shorter than it was */
			return -1;
		}
		done += (size_t)got;
	}
	return 0;
}

int fl_pageread_fill(struct fl_pageread *r, struct fl_pagebatch *b)
{
	struct fl_pagerec pending = { 0 };
	bool have_pending = false;
	enum fl_skip pending_skip = FL_SKIP_NO;
	size_t n, i;

	b->nr = 0;
	b->events = b->skipped = b->skipped_unknown = 0;
	if (r->err) {
		errno = r->err;
		r->err = 0;
		r->done = true;
		return -1;
	}
	if (r->done || r->pos >= r->size) {
		r->done = true;
		return 0;
	}
	n = r->size - r->pos < r->chunk ? (size_t)(r->size - r->pos) : r->chunk;
	/* zeroed room after the chunk: what kbuffer may read past a page stays inside */
	if (!b->pages && !(b->pages = calloc(1, (size_t)r->chunk + r->page_size + 16)))
		goto fail;
	if (read_chunk(r, b->pages, n) < 0)
		goto fail;
	r->pos += n;
	for (i = 0; i < n; i += r->page_size) {
		unsigned long long ts;
		void *data;

		/*
		 * kbuffer trusts the page's commit (it reads the lost-event count
		 * after that many bytes): a page saying more than a page is where
		 * libtracecmd's update_page_info() ends the CPU ("bad page read").
		 * Pages the checker walked never do; a named buffer's are not walked.
		 */
		if ((fl_get_long(b->pages + i + 8, r->long_size, r->swap) &
		     TRACEDAT_RB_COMMIT_MASK) > r->page_size) {
			r->err = EPROTO;
			r->pos = r->size;
			break;
		}
		kbuffer_load_subbuffer(r->kbuf, b->pages + i);
		if (kbuffer_subbuffer_size(r->kbuf) > (int)r->page_size) {
			/* libtracecmd's update_page_info(): "bad page read", the CPU ends */
			r->err = EPROTO;
			r->pos = r->size;
			break;
		}
		for (data = kbuffer_read_event(r->kbuf, &ts); data;
		     data = kbuffer_next_event(r->kbuf, &ts)) {
			struct fl_pagerec rec = {
				.ts = ts, .data = data,
				.size = (uint32_t)kbuffer_event_size(r->kbuf),
				.missed = kbuffer_missed_events(r->kbuf),
			};
			enum fl_skip s = skip_of(r, &rec);

			b->events++;
			if (have_pending) {
				/* left out only if the merge order cannot depend on it */
				if (rec.ts < pending.ts) {
					if (add(b, &pending) < 0)
						goto fail;
				} else {
					b->skipped++;
					b->skipped_unknown += pending_skip == FL_SKIP_UNKNOWN;
				}
				have_pending = false;
			}
			if (s != FL_SKIP_NO && r->seen_ts) {
				pending = rec;
				pending_skip = s;
				have_pending = true;
				continue;
			}
			if (rec.ts)
				r->seen_ts = true;
			if (add(b, &rec) < 0)
				goto fail;
		}
	}
	if (have_pending && add(b, &pending) < 0)
		goto fail;
	return 1;
fail:
	r->done = true;
	if (!errno)
		errno = EIO;
	return -1;
}
