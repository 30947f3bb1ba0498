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
#include <pthread.h>
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


/*
 * A page's contents, as one number: equal pages hash equal.  Four lanes
 * of 8-byte words, independent until the end, so the multiplies overlap
 * (every page of the trace is hashed: this was a tenth of a report).
 */
static uint64_t page_hash(const uint8_t *page, uint32_t page_size)
{
	uint64_t h[4] = { 0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL,
			  0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL }, w;
	uint32_t i;
	int k;

	for (i = 0; i + 32 <= page_size; i += 32)
		for (k = 0; k < 4; k++) {
			memcpy(&w, page + i + 8 * k, 8);
			h[k] = (h[k] ^ w) * 0x100000001b3ULL;
			h[k] ^= h[k] >> 29;
		}
	for (k = 1; k < 4; k++)
		h[0] = (h[0] ^ h[k]) * 0x100000001b3ULL;
	return h[0] ^ (h[0] >> 29);
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

/* ---- every CPU's pages, on threads when there is much to walk ---------------- */

struct td_part {
	pthread_t thread;
	struct td_walk w;		/* its own tables and reason */
	struct fl_tdcheck p;		/* ... a copy: why is its own, cpu_events shared */
	const uint64_t *offs, *sizes;
	int first, step, nr_cpus;
	int ret, bad_cpu;		/* its first failure and where */
};

static void *walk_part(void *arg)
{
	struct td_part *t = arg;
	int cpu;

	for (cpu = t->first; cpu < t->nr_cpus; cpu += t->step) {
		if (!t->sizes[cpu])
			continue;
		t->ret = td_check_pages(&t->w, cpu, t->offs[cpu], t->sizes[cpu]);
		if (t->ret < 0) {
			t->bad_cpu = cpu;
			break;
		}
	}
	return NULL;
}

int td_check_cpus(struct td_walk *c, const uint64_t *offs, const uint64_t *sizes)
{
	long host = sysconf(_SC_NPROCESSORS_ONLN);
	int n = c->p->nr_cpus, cpu, i, k, nr = 0, with_data = 0, ret = 0, bad = -1;
	struct td_part *t;
	uint64_t bytes = 0;

	for (cpu = 0; cpu < n; cpu++) {
		bytes += sizes[cpu];
		with_data += sizes[cpu] != 0;
	}
	nr = host < with_data ? (int)host : with_data;
	if (nr > 64)
		nr = 64;
	if (nr < 2 || bytes < (4U << 20)) {
		/* one after another: a small trace is walked before a thread starts */
		for (cpu = 0; cpu < n; cpu++)
			if (sizes[cpu] && (ret = td_check_pages(c, cpu, offs[cpu], sizes[cpu])) < 0)
				return ret;
		return 0;
	}
	t = calloc(nr, sizeof(*t));
	if (!t)
		return td_nomem(c);
	for (k = 0; k < nr; k++) {
		t[k].p = *c->p;
		t[k].p.why[0] = '\0';
		t[k].w = *c;
		t[k].w.p = &t[k].p;
		t[k].w.cur.why = t[k].p.why;
		t[k].w.seen = NULL;
		t[k].w.nr_seen = t[k].w.cap_seen = 0;
		t[k].w.shortest = calloc(TRACEDAT_MAX_EVENT_ID + 1, sizeof(*t[k].w.shortest));
		t[k].w.after_loss = calloc(TRACEDAT_MAX_EVENT_ID + 1, sizeof(*t[k].w.after_loss));
		t[k].offs = offs;
		t[k].sizes = sizes;
		t[k].first = k;
		t[k].step = nr;
		t[k].nr_cpus = n;
		t[k].bad_cpu = -1;
		if (!t[k].w.shortest || !t[k].w.after_loss) {
			t[k].ret = td_nomem(&t[k].w);
			t[k].bad_cpu = n;
		} else if (pthread_create(&t[k].thread, NULL, walk_part, &t[k])) {
			walk_part(&t[k]);	/* no thread: walked here */
			t[k].step = -t[k].step;
		}
	}
	for (k = 0; k < nr; k++) {
		if (t[k].step > 0 && t[k].w.shortest && t[k].w.after_loss)
			pthread_join(t[k].thread, NULL);
		/* the lowest CPU's failure, as the walk one after another finds it */
		if (t[k].ret < 0 && (bad < 0 || t[k].bad_cpu < t[bad].bad_cpu))
			bad = k;
	}
	for (k = 0; k < nr; k++) {
		for (i = 0; !ret && t[k].w.shortest && i <= TRACEDAT_MAX_EVENT_ID; i++) {
			if (t[k].w.shortest[i] && (!c->shortest[i] || t[k].w.shortest[i] < c->shortest[i]))
				c->shortest[i] = t[k].w.shortest[i];
			c->after_loss[i] |= t[k].w.after_loss[i];
		}
		for (i = 0; !ret && (size_t)i < t[k].w.nr_seen; i++) {
			if (c->nr_seen == c->cap_seen) {
				size_t cap = c->cap_seen ? c->cap_seen * 2 : 1024;
				struct td_page_seen *s = realloc(c->seen, cap * sizeof(*s));

				if (!s) {
					ret = td_nomem(c);
					break;
				}
				c->seen = s;
				c->cap_seen = cap;
			}
			c->seen[c->nr_seen++] = t[k].w.seen[i];
		}
		free(t[k].w.shortest);
		free(t[k].w.after_loss);
		free(t[k].w.seen);
	}
	if (bad >= 0) {
		memcpy(c->p->why, t[bad].p.why, sizeof(c->p->why));
		ret = t[bad].ret;
	}
	free(t);
	return ret;
}
