/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to lib/tracedat/: what the checker's files (check.c, the walk;
 * check-options.c; check-pages.c) share, what check.c takes from
 * sandbox.c, and what the writer (write.c) takes from write-format.c and
 * write-copy.c.
 */
#ifndef FORKLOCK_TRACEDAT_LOCAL_H
#define FORKLOCK_TRACEDAT_LOCAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "tracedat/bytes.h"
#include "tracedat/check.h"

/*
 * libtracecmd 3.1.6 trusts the file: a CPU whose first page it cannot load
 * makes tracecmd_open() fail half way and then crash in its own
 * tracecmd_close() (lists of the later CPUs not set up), and
 * libtraceevent's kbuffer walks a page by the lengths written in it, past
 * the page or back onto the same event for ever.  So everything it will
 * read blindly is checked here first, within the limits of format.h.
 */
struct td_page_seen {
	uint64_t hash, at;		/* the page's contents, its offset in the file */
};

/* A BUFFER option: where the named buffer's flyrecord is. */
struct td_buffer {
	uint64_t offset;
	char name[64];
};

#define TRACEDAT_MAX_BUFFERS	256

struct td_walk {
	struct fl_cursor cur;	/* the file, in its byte order; why -> p->why */
	struct td_buffer *bufs;	/* the BUFFER options, in their order */
	size_t nr_bufs;
	const char *label;	/* "" for the top buffer, "buffer NAME " for a named one */
	uint64_t *events;	/* per CPU: data events the page walk counts (the buffer's) */
	bool has_clock;		/* a TRACECLOCK option: its text follows the CPU offsets */
	uint16_t *shortest;	/* event id -> shortest payload in the data, 0: none */
	uint16_t *need;		/* event id -> bytes its format's fixed fields span, 0: no format */
	uint8_t *after_loss;	/* event id -> 1: first event of a page with lost events */
	struct td_page_seen *seen;	/* every non-empty page's hash, for pages found twice */
	size_t nr_seen, cap_seen;
	uint64_t last_ts;		/* timestamp of the CPU's previous page */
	const struct stat *st;
	bool header_only;	/* the wrong-endian guess: sections, no pages or open */
	struct fl_tdcheck *p;
};

/*
 * The walk's results: 0, -1 (truncated), -2 (corrupt) or -3 (out of
 * memory: nothing said of the file), with p->why set.  td_corrupt() sets
 * why and returns -2, td_nomem() -3.
 */
static inline int td_corrupt(struct td_walk *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline int td_corrupt(struct td_walk *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->p->why, sizeof(c->p->why), fmt, ap);
	va_end(ap);
	return -2;
}

static inline int td_nomem(struct td_walk *c)
{
	snprintf(c->p->why, sizeof(c->p->why), "out of memory");
	return -3;
}

/* check-options.c: the options section, up to its terminating id 0. */
int td_options(struct td_walk *c);

/* check-buffers.c: a BUFFER option's data noted (td_options()) ... */
int td_note_buffer(struct td_walk *c, const char *buf, uint32_t size);
/*
 * ... and, after the top buffer's pages, each named buffer's section and
 * pages (@hdr_end: where the file's headers end; the top buffer's ranges).
 */
int td_check_buffers(struct td_walk *c, uint64_t hdr_end, const uint64_t *top_offs,
		     const uint64_t *top_sizes);

/* check-pages.c: one CPU's data, @size bytes at @off, page by page ... */
int td_check_pages(struct td_walk *c, int cpu, uint64_t off, uint64_t size);
/* ... every CPU's, on threads (one per host CPU) when the data is 4 MiB or more ... */
int td_check_cpus(struct td_walk *c, const uint64_t *offs, const uint64_t *sizes);
/* ... no page found twice (after every CPU's td_check_pages()) ... */
int td_check_seen(struct td_walk *c);
/* ... and, once libtracecmd gave the formats (c->need), the events' lengths. */
int td_check_lengths(struct td_walk *c);

/*
 * Open the trace.dat @fd (of @file_size bytes, format @version) with
 * libtracecmd in a child process, and for version 7 read every event
 * there too.  @need[id] (TRACEDAT_MAX_EVENT_ID + 1 entries) gets how many
 * bytes the fixed fields of event @id's format span.  Returns 0, or -2
 * with @why set when the child crashes, hangs or fails.
 */
int fl_sandbox_open(int fd, int version, uint64_t file_size, uint16_t *need,
		    char *why, size_t len);

/*
 * write-format.c: a copy of the event format @buf (@len bytes) with its
 * print fmt's strings escaped for libtraceevent; NULL (errno) if no memory.
 */
char *td_escape_format(const char *buf, size_t len, size_t *out_len);

/* write-copy.c: 0, or -1 with errno set. */
int td_write_all(int fd, const void *buf, size_t len);
int td_write_zeros(int fd, uint64_t len);
int td_copy_fd(int out_fd, int src_fd, off_t offset, size_t len);	/* @len bytes at @offset */
/* The same in pieces, each punched out of @src_fd once copied. */
int td_move_fd(int out_fd, int src_fd, off_t offset, size_t len);

/* A buffer's CPU data: chunks from memory or from a capture file. */
struct td_chunk {
	void		*mem;		/* owned copy, or NULL when from fd */
	int		fd;
	off_t		offset;
	size_t		len;
	bool		release;	/* punch the source's blocks as they are copied */
};

struct td_cpu {
	struct td_chunk	*chunks;
	int		nr_chunks;
	uint64_t	size;
	uint64_t	file_offset;	/* set by finish */
};

int td_add_chunk(struct td_cpu *cpus, int cpu, struct td_chunk *chunk);
/* Page-aligned offsets from @pos; returns the end of the last non-empty CPU's data. */
uint64_t td_place_cpus(unsigned int page_size, int nr_cpus, struct td_cpu *cpus, uint64_t pos);
/* Every CPU's chunks at their offsets; @pos: where the file is now (updated). */
int td_write_cpus(int fd, int nr_cpus, struct td_cpu *cpus, uint64_t *pos);
void td_free_cpus(struct td_cpu *cpus, int nr_cpus);

#endif
