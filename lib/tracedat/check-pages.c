// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ring-buffer pages of a version 6 trace.dat's CPU data, as the
 * checker (check.c) walks them: every page as libtraceevent's kbuffer will,
 * and every event at least as long as its format's fixed fields.  Pages a
 * recorder never writes are corruption too, as libtracecmd would read them
 * without a word: a zeroed page (or a hole of a sparse file), a page whose
 * timestamp is before its CPU's previous page's (pages swapped or moved),
 * and the same page twice (in one CPU's data or in two).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracedat/bytes.h"
#include "tracedat/check.h"
#include "tracedat/format.h"
#include "tracedat/tracedat-local.h"

/*
 * An event's payload is read by field offsets from its format, by forklock
 * and by libtraceevent (tep_print_event() checks nothing): the fixed part
 * must be there.  The formats are known only after try_open(): here the
 * shortest event of each id is noted, check_lengths() compares.
 */
static inline int check_event(struct td_walk *c, int cpu, uint64_t at, uint32_t off,
			      const uint8_t *payload, uint32_t len, bool first_after_loss)
{
	uint16_t id;

	if (len < 8)
		return td_corrupt(c, "%sCPU %d: the page at offset %" PRIu64 " has an event of %u bytes "
			       "at +%u, shorter than the common fields", c->label, cpu, at, len, off);
	id = fl_get_u16(payload, c->cur.swap);
	if (len > UINT16_MAX)
		len = UINT16_MAX;
	if (!c->shortest[id] || len < c->shortest[id])
		c->shortest[id] = (uint16_t)len;
	if (first_after_loss)
		c->after_loss[id] = 1;
	return 0;
}

/* After try_open(): is every event as long as its format says? */
int td_check_lengths(struct td_walk *c)
{
	uint32_t id;

	for (id = 0; id <= TRACEDAT_MAX_EVENT_ID; id++) {
		if (c->shortest[id] && c->need[id] > c->shortest[id])
			return td_corrupt(c, "events of id %u have %u bytes, their format has fields "
				       "up to byte %u", id, c->shortest[id], c->need[id]);
		/* libtracecmd 3.1.6 looks up the event of a record that follows
		 * lost events, and ends the whole iteration if it has no format */
		if (c->after_loss[id] && !c->need[id])
			return td_corrupt(c, "events were lost before an event of id %u, which has "
				       "no format", id);
	}
	return 0;
}

/*
 * One ring-buffer page as libtraceevent's kbuffer walks it (kbuffer-parse.c,
 * translate_data()): every word it reads must be inside the page, every
 * event inside the page's data (commit bytes), and every step must move
 * forward.  @at is the page's offset in the file, for the message.
 */
static int check_page(struct td_walk *c, int cpu, const uint8_t *page, uint64_t at)
{
	uint32_t page_size = c->p->page_size, hdr = 8 + c->p->long_size;
	uint64_t commit = fl_get_long(page + 8, c->p->long_size, c->cur.swap);
	uint32_t size = commit & TRACEDAT_RB_COMMIT_MASK, idx = 0;
	bool first = (commit & TRACEDAT_RB_MISSED_EVENTS) != 0;

	if (size > page_size - hdr)
		return td_corrupt(c, "%sCPU %d: the page at offset %" PRIu64 " says it holds %u bytes "
			       "of events, it has room for %u", c->label, cpu, at, size, page_size - hdr);
	if ((commit & TRACEDAT_RB_MISSED_EVENTS) && (commit & TRACEDAT_RB_MISSED_STORED) &&
	    size + c->p->long_size > page_size - hdr)
		return td_corrupt(c, "%sCPU %d: the page at offset %" PRIu64 " has its lost-event count "
			       "outside the page", c->label, cpu, at);
	while (idx < size) {
		const uint8_t *e = page + hdr + idx;
		uint32_t h, type_len, len;
		uint64_t next;

		/* kbuffer reads the header, and for most types the word after it */
		if ((uint64_t)hdr + idx + 8 > page_size)
			goto past;
		h = fl_get_u32(e, c->cur.swap);
		type_len = c->p->big_endian ? h >> 27 : h & 31;
		switch (type_len) {
		case 29:	/* padding: the word after the header is its length */
			next = (uint64_t)idx + 4 + fl_get_u32(e + 4, c->cur.swap);
			break;
		case 30:	/* time extend */
		case 31:	/* absolute time stamp */
			next = (uint64_t)idx + 8;
			break;
		case 0:		/* length (+4) in the word after the header */
			len = fl_get_u32(e + 4, c->cur.swap);
			if (len < 4)
				return td_corrupt(c, "%sCPU %d: the page at offset %" PRIu64 " has an event "
					       "of length %u at +%u", c->label, cpu, at, len, hdr + idx);
			next = (uint64_t)idx + 8 + (((uint64_t)len - 4 + 3) & ~3ULL);
			if (next > size || len > INT32_MAX)
				goto past;
			if (check_event(c, cpu, at, hdr + idx, e + 8, (uint32_t)(next - idx - 8),
					first) < 0)
				return -2;
			c->events[cpu]++;
			first = false;
			break;
		default:
			next = (uint64_t)idx + 4 + type_len * 4;
			if (next > size)
				goto past;
			if (check_event(c, cpu, at, hdr + idx, e + 4, type_len * 4, first) < 0)
				return -2;
			c->events[cpu]++;
			first = false;
			break;
		}
		if (next <= idx)
			goto past;
		idx = next > size ? size : (uint32_t)next;
	}
	return 0;
past:
	return td_corrupt(c, "%sCPU %d: the page at offset %" PRIu64 " has an event at +%u that runs "
		       "past its %u bytes of data", c->label, cpu, at, hdr + idx, size);
}


/* A page's contents, as one number: equal pages hash equal. */
static uint64_t page_hash(const uint8_t *page, uint32_t page_size)
{
	uint64_t h = 0xcbf29ce484222325ULL, w;
	uint32_t i;

	for (i = 0; i < page_size; i += 8) {
		memcpy(&w, page + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h;
}

/*
 * What a recorder never writes: a zeroed page, a page older than the one
 * before it on its CPU.  Non-empty pages are remembered by their hash, for
 * td_check_seen().
 */
static int check_order(struct td_walk *c, int cpu, const uint8_t *page, uint64_t at, bool first)
{
	uint64_t ts = fl_get_u64(page, c->cur.swap);
	uint64_t commit = fl_get_long(page + 8, c->p->long_size, c->cur.swap);
	struct td_page_seen *n;

	if (!ts && !commit)
		return td_corrupt(c, "%sCPU %d: the page at offset %" PRIu64 " is zeroed (overwritten, "
			       "or a hole in a sparse file)", c->label, cpu, at);
	if (!first && ts < c->last_ts)
		return td_corrupt(c, "%sCPU %d: the page at offset %" PRIu64 " is older than the page "
			       "before it (timestamp %" PRIu64 " after %" PRIu64 "): pages out of "
			       "order", c->label, cpu, at, ts, c->last_ts);
	c->last_ts = ts;
	if (!(commit & TRACEDAT_RB_COMMIT_MASK))
		return 0;
	if (c->nr_seen == c->cap_seen) {
		size_t cap = c->cap_seen ? c->cap_seen * 2 : 1024;

		n = realloc(c->seen, cap * sizeof(*n));
		if (!n)
			return td_nomem(c);
		c->seen = n;
		c->cap_seen = cap;
	}
	c->seen[c->nr_seen++] = (struct td_page_seen){ page_hash(page, c->p->page_size), at };
	return 0;
}

static int cmp_seen(const void *a, const void *b)
{
	const struct td_page_seen *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* Two pages alike (by hash, then byte for byte): one was copied over another. */
int td_check_seen(struct td_walk *c)
{
	uint32_t page_size = c->p->page_size;
	uint8_t *a = NULL, *b = NULL;
	size_t i;
	int ret = 0;

	if (c->nr_seen > 1)
		qsort(c->seen, c->nr_seen, sizeof(*c->seen), cmp_seen);
	for (i = 1; !ret && i < c->nr_seen; i++) {
		if (c->seen[i].hash != c->seen[i - 1].hash)
			continue;
		if (!a && (!(a = malloc(page_size)) || !(b = malloc(page_size)))) {
			ret = td_nomem(c);
			break;
		}
		if (pread(c->cur.fd, a, page_size, (off_t)c->seen[i - 1].at) != (ssize_t)page_size ||
		    pread(c->cur.fd, b, page_size, (off_t)c->seen[i].at) != (ssize_t)page_size) {
			snprintf(c->p->why, sizeof(c->p->why), "cannot read the CPU data again");
			ret = -1;
		} else if (!memcmp(a, b, page_size)) {
			ret = td_corrupt(c, "the page at offset %" PRIu64 " is the page at offset %"
				      PRIu64 " again: a page copied over another", c->seen[i].at,
				      c->seen[i - 1].at);
		}
	}
	free(a);
	free(b);
	return ret;
}

/* Every page of one CPU's data, read in chunks of whole pages. */
int td_check_pages(struct td_walk *c, int cpu, uint64_t off, uint64_t size)
{
	uint32_t page_size = c->p->page_size;
	size_t chunk = page_size >= (1U << 20) ? page_size : (1U << 20) / page_size * page_size;
	uint64_t done = 0, i;
	uint8_t *buf;
	int ret = 0;

	/*
	 * Read in chunks into one buffer: mapping the whole CPU data would
	 * make it all resident at once, as large as the trace.
	 */
	buf = malloc(chunk);
	if (!buf)
		return td_nomem(c);
	while (!ret && done < size) {
		size_t n = size - done < chunk ? size - done : chunk;

		if (pread(c->cur.fd, buf, n, (off_t)(off + done)) != (ssize_t)n) {
			snprintf(c->p->why, sizeof(c->p->why), "cannot read %sCPU %d data",
				 c->label, cpu);
			ret = -1;
			break;
		}
		for (i = 0; !ret && i < n; i += page_size) {
			ret = check_order(c, cpu, buf + i, off + done + i, done + i == 0);
			if (!ret)
				ret = check_page(c, cpu, buf + i, off + done + i);
		}
		done += n;
	}
	free(buf);
	return ret;
}
