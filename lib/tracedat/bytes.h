/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a trace.dat's bytes: numbers in the file's byte order (@swap:
 * it is not the host's), and a cursor that reads a file front to back and
 * never past its end, saying what ran out where.  The checker (check.c),
 * the ring-page code and the tests read with these.
 */
#ifndef FORKLOCK_TRACEDAT_BYTES_H
#define FORKLOCK_TRACEDAT_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t fl_get_u16(const void *p, bool swap)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return swap ? __builtin_bswap16(v) : v;
}

static inline uint32_t fl_get_u32(const void *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swap ? __builtin_bswap32(v) : v;
}

static inline uint64_t fl_get_u64(const void *p, bool swap)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return swap ? __builtin_bswap64(v) : v;
}

/* A kernel long: @long_size 4 or 8 bytes. */
static inline uint64_t fl_get_long(const void *p, int long_size, bool swap)
{
	return long_size == 4 ? fl_get_u32(p, swap) : fl_get_u64(p, swap);
}

/*
 * A file read at @pos by pread().  Every read names @what it reads: when
 * the file is too short or cannot be read, @why says so ("header_page size
 * at offset 12 needs 8 bytes, the file has 10") and the read returns -1;
 * a string that is not a name returns -2.
 */
struct fl_cursor {
	int fd;
	uint64_t pos, size;
	bool swap;
	char *why;
	size_t why_len;
};

int fl_cursor_need(struct fl_cursor *c, uint64_t n, const char *what);
int fl_cursor_read(struct fl_cursor *c, void *buf, uint64_t n, const char *what);
int fl_cursor_skip(struct fl_cursor *c, uint64_t n, const char *what);
int fl_cursor_u16(struct fl_cursor *c, uint16_t *v, const char *what);
int fl_cursor_u32(struct fl_cursor *c, uint32_t *v, const char *what);
int fl_cursor_u64(struct fl_cursor *c, uint64_t *v, const char *what);
/* A NUL-terminated string of at most @max bytes (-2: none that short). */
int fl_cursor_str(struct fl_cursor *c, char *buf, size_t max, const char *what);
/* The string @s (-2: another one). */
int fl_cursor_expect(struct fl_cursor *c, const char *s, const char *what);

#endif
