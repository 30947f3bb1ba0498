// SPDX-License-Identifier: GPL-2.0-or-later
/* The cursor of bytes.h. */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "tracedat/bytes.h"

int fl_cursor_need(struct fl_cursor *c, uint64_t n, const char *what)
{
	if (c->pos + n > c->size || c->pos + n < c->pos) {
		snprintf(c->why, c->why_len,
			 "%s at offset %" PRIu64 " needs %" PRIu64 " bytes, the file has %" PRIu64,
			 what, c->pos, n, c->size);
		return -1;
	}
	return 0;
}

int fl_cursor_read(struct fl_cursor *c, void *buf, uint64_t n, const char *what)
{
	if (fl_cursor_need(c, n, what) < 0)
		return -1;
	if (pread(c->fd, buf, n, (off_t)c->pos) != (ssize_t)n) {
		snprintf(c->why, c->why_len, "cannot read %s", what);
		return -1;
	}
	c->pos += n;
	return 0;
}

int fl_cursor_skip(struct fl_cursor *c, uint64_t n, const char *what)
{
	if (fl_cursor_need(c, n, what) < 0)
		return -1;
	c->pos += n;
	return 0;
}

int fl_cursor_u16(struct fl_cursor *c, uint16_t *v, const char *what)
{
	if (fl_cursor_read(c, v, 2, what) < 0)
		return -1;
	*v = fl_get_u16(v, c->swap);
	return 0;
}

int fl_cursor_u32(struct fl_cursor *c, uint32_t *v, const char *what)
{
	if (fl_cursor_read(c, v, 4, what) < 0)
		return -1;
	*v = fl_get_u32(v, c->swap);
	return 0;
}

int fl_cursor_u64(struct fl_cursor *c, uint64_t *v, const char *what)
{
	if (fl_cursor_read(c, v, 8, what) < 0)
		return -1;
	*v = fl_get_u64(v, c->swap);
	return 0;
}

int fl_cursor_str(struct fl_cursor *c, char *buf, size_t max, const char *what)
{
	size_t i;

	for (i = 0; i < max; i++) {
		if (fl_cursor_read(c, &buf[i], 1, what) < 0)
			return -1;
		if (!buf[i])
			return 0;
	}
	snprintf(c->why, c->why_len, "%s is not a name", what);
	return -2;
}

int fl_cursor_expect(struct fl_cursor *c, const char *s, const char *what)
{
	char buf[32];
	int ret = fl_cursor_str(c, buf, sizeof(buf), what);

	if (ret < 0)
		return ret;
	if (strcmp(buf, s)) {
		snprintf(c->why, c->why_len, "expected \"%s\" at %s", s, what);
		return -2;
	}
	return 0;
}
