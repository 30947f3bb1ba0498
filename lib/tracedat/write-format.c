// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An event format as the v6 writer (write.c) stores it.
 *
 * Event formats are stored as given with one exception: libtraceevent
 * (1.7.1 here, and its HEAD) ends a quoted string at the first
 * non-printable byte, and the kernel prints TP_printk() strings with their
 * escapes compiled in.  maple_tree:ma_write's "%s\tNode %p ..." therefore
 * reaches tracefs with a real TAB and trace-cmd shows "[FAILED TO PARSE]"
 * instead of "mas_store".  Inside the quoted strings of the "print fmt:"
 * part, TAB, newline and CR are written back as \t, \n, \r (which
 * libtraceevent expands again when printing); other non-printable bytes
 * become '?'.  Field lines are never touched.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tracedat/tracedat-local.h"

/* Where "print fmt:" starts a line of @buf, or NULL. */
static const char *find_print_fmt(const char *buf, size_t len)
{
	static const char key[] = "print fmt:";
	const size_t klen = sizeof(key) - 1;
	size_t i;

	for (i = 0; i + klen <= len; i++) {
		if ((i == 0 || buf[i - 1] == '\n') && !memcmp(buf + i, key, klen))
			return buf + i;
	}
	return NULL;
}

static bool byte_printable(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/*
 * Copy a format, escaping what libtraceevent cannot read inside the quoted
 * strings of its print fmt (see the top of this file).
 */
char *td_escape_format(const char *buf, size_t len, size_t *out_len)
{
	const char *fmt = find_print_fmt(buf, len);
	bool quoted = false, escaped = false;
	size_t i, o;
	char *copy;

	/* at most two bytes for one */
	copy = malloc(len * 2);
	if (!copy)
		return NULL;
	o = fmt ? (size_t)(fmt - buf) : len;
	memcpy(copy, buf, o);
	for (i = o; i < len; i++) {
		unsigned char c = buf[i];

		if (!quoted) {
			if (c == '"')
				quoted = true;
			copy[o++] = c;
			continue;
		}
		if (escaped) {
			escaped = false;
			copy[o++] = byte_printable(c) ? c : '?';
			continue;
		}
		switch (c) {
		case '\\':
			escaped = true;
			copy[o++] = c;
			break;
		case '"':
			quoted = false;
			copy[o++] = c;
			break;
		case '\t':
			copy[o++] = '\\';
			copy[o++] = 't';
			break;
		case '\n':
			copy[o++] = '\\';
			copy[o++] = 'n';
			break;
		case '\r':
			copy[o++] = '\\';
			copy[o++] = 'r';
			break;
		default:
			copy[o++] = byte_printable(c) ? c : '?';
			break;
		}
	}
	*out_len = o;
	return copy;
}
