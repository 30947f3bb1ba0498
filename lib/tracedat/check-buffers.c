// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The named buffers of a version 6 trace.dat (BUFFER options: an
 * instance's data, as `trace-cmd record -B` stores it and forklock
 * stores its forklock-bpf buffer), as the checker (check.c) walks them:
 * at the option's offset "flyrecord\0" and per CPU a u64 offset and size,
 * every CPU's data inside the file, in whole pages, apart from the
 * headers, the top buffer's data and each other; then every page as
 * check-pages.c walks the top buffer's.  libtracecmd reads them as
 * blindly as the top buffer's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedat/bytes.h"
#include "tracedat/check.h"
#include "tracedat/format.h"
#include "tracedat/tracedat-local.h"

int td_note_buffer(struct td_walk *c, const char *buf, uint32_t size)
{
	struct td_buffer *b;

	if (size < 9 || !memchr(buf + 8, '\0', size - 8))
		return td_corrupt(c, "the BUFFER option's name is not a terminated string");
	if (c->nr_bufs == TRACEDAT_MAX_BUFFERS)
		return td_corrupt(c, "more than %d BUFFER options", TRACEDAT_MAX_BUFFERS);
	b = realloc(c->bufs, (c->nr_bufs + 1) * sizeof(*b));
	if (!b)
		return td_nomem(c);
	c->bufs = b;
	b += c->nr_bufs++;
	b->offset = fl_get_u64(buf, c->cur.swap);
	snprintf(b->name, sizeof(b->name), "%s", buf + 8);
	return 0;
}

static bool overlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return an && bn && a < b + bn && b < a + an;
}

/* Buffer @b's CPU offsets and sizes into @offs, @sizes (nr_cpus each). */
static int buffer_ranges(struct td_walk *c, const struct td_buffer *b, uint64_t hdr_end,
			 const uint64_t *top_offs, const uint64_t *top_sizes,
			 uint64_t *offs, uint64_t *sizes)
{
	int nr = c->p->nr_cpus, cpu, i;
	uint64_t start = b->offset;
	int ret;

	if (start < hdr_end)
		return td_corrupt(c, "buffer %s starts at offset %" PRIu64 ", inside the file's "
			       "headers, which end at %" PRIu64, b->name, start, hdr_end);
	c->cur.pos = start;
	if ((ret = fl_cursor_expect(&c->cur, TRACEDAT_FLYRECORD, "a buffer's flyrecord")) < 0)
		return ret;
	for (cpu = 0; cpu < nr; cpu++)
		if (fl_cursor_u64(&c->cur, &offs[cpu], "buffer cpu data offset") < 0 ||
		    fl_cursor_u64(&c->cur, &sizes[cpu], "buffer cpu data size") < 0)
			return -1;
	for (cpu = 0; cpu < nr; cpu++)
		if (overlap(start, c->cur.pos - start, top_offs[cpu], top_sizes[cpu]))
			return td_corrupt(c, "buffer %s's header (offset %" PRIu64 ") overlaps CPU %d "
				       "data", b->name, start, cpu);
	for (cpu = 0; cpu < nr; cpu++) {
		uint64_t off = offs[cpu], size = sizes[cpu];

		if (!size)
			continue;
		if (off + size < off || off + size > c->cur.size) {
			snprintf(c->p->why, sizeof(c->p->why), "buffer %s CPU %d data ends at %" PRIu64
				 ", the file has %" PRIu64 " bytes", b->name, cpu,
				 off + size < off ? UINT64_MAX : off + size, c->cur.size);
			return -1;
		}
		if (off % c->p->page_size || size % c->p->page_size)
			return td_corrupt(c, "buffer %s CPU %d data (offset %" PRIu64 ", %" PRIu64
				       " bytes) is not made of whole %u-byte pages", b->name, cpu,
				       off, size, c->p->page_size);
		if (overlap(off, size, start, c->cur.pos - start) || off < hdr_end)
			return td_corrupt(c, "buffer %s CPU %d data (offset %" PRIu64 ") starts inside "
				       "a header", b->name, cpu, off);
		for (i = 0; i < nr; i++)
			if (overlap(off, size, top_offs[i], top_sizes[i]))
				return td_corrupt(c, "buffer %s CPU %d data (offset %" PRIu64 ", %" PRIu64
					       " bytes) overlaps CPU %d data", b->name, cpu, off,
					       size, i);
		for (i = 0; i < cpu; i++)
			if (overlap(off, size, offs[i], sizes[i]))
				return td_corrupt(c, "buffer %s CPU %d data (offset %" PRIu64 ", %" PRIu64
					       " bytes) overlaps its CPU %d data", b->name, cpu,
					       off, size, i);
	}
	return 0;
}

int td_check_buffers(struct td_walk *c, uint64_t hdr_end, const uint64_t *top_offs,
		     const uint64_t *top_sizes)
{
	int nr = c->p->nr_cpus, cpu, ret = 0;
	uint64_t *offs, *sizes, *events, pos = c->cur.pos;
	uint64_t *top_events = c->events;
	char label[sizeof(c->bufs->name) + 16];
	size_t i;

	if (!c->nr_bufs)
		return 0;
	offs = calloc(nr + 1, sizeof(*offs));
	sizes = calloc(nr + 1, sizeof(*sizes));
	events = calloc(nr + 1, sizeof(*events));
	if (!offs || !sizes || !events) {
		ret = td_nomem(c);
		goto out;
	}
	for (i = 0; !ret && i < c->nr_bufs; i++) {
		ret = buffer_ranges(c, &c->bufs[i], hdr_end, top_offs, top_sizes, offs, sizes);
		snprintf(label, sizeof(label), "buffer %s ", c->bufs[i].name);
		c->label = label;
		c->events = events;
		for (cpu = 0; !ret && cpu < nr; cpu++)
			if (sizes[cpu])
				ret = td_check_pages(c, cpu, offs[cpu], sizes[cpu]);
		c->label = "";
		c->events = top_events;
	}
	for (cpu = 0; !ret && cpu < nr; cpu++)
		c->p->buffer_events += events[cpu];
	c->p->nr_buffers = (int)c->nr_bufs;
out:
	c->cur.pos = pos;
	free(offs);
	free(sizes);
	free(events);
	return ret;
}
