// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A trace.dat is checked before libtracecmd reads it for real:
 *   - version 6 (forklock record's): every section and CPU offset inside
 *     the file, the header_page, printk_formats as libtraceevent splits
 *     them, and every ring-buffer page as kbuffer walks it;
 *   - libtracecmd's own open, in a child process (sandbox.c): a crash or
 *     hang there refuses the file; for version 7 (sections, compression:
 *     not walked here) the child also reads every event;
 *   - every event at least as long as its format's fixed fields.
 * What is refused gets one reason (fl_tdcheck.why) for the error line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event-parse.h>

#include "tracedat/bytes.h"
#include "tracedat/check.h"
#include "tracedat/format.h"
#include "tracedat/tracedat-local.h"

/*
 * libtracecmd 3.1.6 trusts the file: a CPU whose first page it cannot load
 * makes tracecmd_open() fail half way and then crash in its own
 * tracecmd_close() (lists of the later CPUs not set up), and
 * libtraceevent's kbuffer walks a page by the lengths written in it, past
 * the page or back onto the same event for ever.  So everything it will
 * read blindly is checked here first, within the limits of format.h.
 */
struct cursor {
	struct fl_cursor cur;	/* the file, in its byte order; why -> p->why */
	bool has_clock;		/* a TRACECLOCK option: its text follows the CPU offsets */
	uint16_t *shortest;	/* event id -> shortest payload in the data, 0: none */
	uint16_t *need;		/* event id -> bytes its format's fixed fields span, 0: no format */
	uint8_t *after_loss;	/* event id -> 1: first event of a page with lost events */
	const struct stat *st;
	bool header_only;	/* the wrong-endian guess: sections, no pages or open */
	struct fl_tdcheck *p;
};

/*
 * The pages and libtracecmd's open are checked once per file and process:
 * forklock report probes each file twice (fl_replay_check(), then
 * fl_replay_file()).  A file is the same if its inode, size and times are.
 */
#define CHECKED_FILES	16

static struct checked {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim, ctim;
} checked[CHECKED_FILES];
static unsigned int checked_next;

static bool same_file(const struct checked *k, const struct stat *st)
{
	return k->ino == st->st_ino && k->dev == st->st_dev && k->size == st->st_size &&
	       k->mtim.tv_sec == st->st_mtim.tv_sec && k->mtim.tv_nsec == st->st_mtim.tv_nsec &&
	       k->ctim.tv_sec == st->st_ctim.tv_sec && k->ctim.tv_nsec == st->st_ctim.tv_nsec;
}

static bool was_checked(const struct stat *st)
{
	unsigned int i;

	for (i = 0; i < CHECKED_FILES; i++)
		if (checked[i].ino && same_file(&checked[i], st))
			return true;
	return false;
}

static void remember_checked(const struct stat *st)
{
	struct checked *k = &checked[checked_next++ % CHECKED_FILES];

	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->size = st->st_size;
	k->mtim = st->st_mtim;
	k->ctim = st->st_ctim;
}

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

static int corrupt(struct cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int corrupt(struct cursor *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->p->why, sizeof(c->p->why), fmt, ap);
	va_end(ap);
	return -2;
}

/*
 * What libtracecmd 3.1.6 (handle_options()) does with an option's data
 * without looking: strdup()s or strtoll()s the text ones, writes
 * buf[size - 1] of CPUSTAT, reads an int of CPUCOUNT, and trusts the
 * counts of TIME_SHIFT and GUEST (a negative one indexes before its array).
 */
static int check_option(struct cursor *c, uint16_t id, const char *buf, uint32_t size)
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
			return corrupt(c, "option %u (%s) is not a terminated string", id, text[id]);
		return 0;
	}
	switch (id) {
	case TRACEDAT_OPT_CPUSTAT:
		if (!size)
			return corrupt(c, "an empty CPUSTAT option");
		break;
	case TRACEDAT_OPT_CPUCOUNT:
		if (size < 4)
			return corrupt(c, "a CPUCOUNT option of %u bytes", size);
		break;
	case TRACEDAT_OPT_TIME_SHIFT:	/* id, flags, cpus, per cpu: count, 3 x count u64 */
		if (size < 16)
			break;	/* ignored by libtracecmd */
		n = fl_get_u32(buf + 12, c->cur.swap);
		left = size - 16;
		for (i = 0; i < n; i++) {
			if (left < 4)
				return corrupt(c, "the TIME_SHIFT option is cut short");
			count = fl_get_u32(buf + size - left, c->cur.swap);
			left -= 4;
			if (count > left / 24)
				return corrupt(c, "the TIME_SHIFT option is cut short");
			left -= count * 24;
		}
		break;
	case TRACEDAT_OPT_GUEST:	/* name, u64 trace id, vcpus, per vcpu: cpu, pid */
		len = strnlen(buf, size);
		if (len == size || size - len - 1 < 12)
			return corrupt(c, "the GUEST option is cut short");
		left = size - (uint32_t)len - 1 - 12;
		n = fl_get_u32(buf + len + 1 + 8, c->cur.swap);
		if (n > left / 8)
			return corrupt(c, "the GUEST option is cut short");
		for (i = 0; i < n; i++) {
			uint32_t cpu = fl_get_u32(buf + len + 1 + 12 + i * 8, c->cur.swap);

			if (cpu >= n)
				return corrupt(c, "the GUEST option names vCPU %d of %u", (int)cpu, n);
		}
		break;
	}
	return 0;
}

static int options(struct cursor *c)
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
			return corrupt(c, "out of memory");
		if (fl_cursor_read(&c->cur, buf, size, "option data") < 0) {
			free(buf);
			return -1;
		}
		ret = check_option(c, id, buf, size);
		if (ret < 0) {
			free(buf);
			return ret;
		}
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


/*
 * events/header_page as libtraceevent parses it.  libtracecmd loads no page
 * without an 8-byte timestamp field, and an empty header_page means a
 * pre-2.6.31 ring buffer whose pages kbuffer reads in the old layout.
 * The sub-buffer it describes must be the page size of the file.
 */
static int check_header_page(struct cursor *c, uint64_t size)
{
	struct tep_handle *tep;
	int ts_size, subbuf;
	char *buf;

	if (!size)
		return corrupt(c, "the header_page is empty (a ring buffer older than Linux 2.6.31?)");
	if (size > TRACEDAT_MAX_HEADER)
		return corrupt(c, "a header_page of %" PRIu64 " bytes", size);
	buf = malloc(size + 1);
	if (!buf)
		return corrupt(c, "out of memory");
	if (fl_cursor_read(&c->cur, buf, size, "header_page") < 0) {
		free(buf);
		return -1;
	}
	buf[size] = '\0';
	tep = tep_alloc();
	if (!tep) {
		free(buf);
		return corrupt(c, "out of memory");
	}
	tep_set_loglevel(TEP_LOG_NONE);
	tep_parse_header_page(tep, buf, size, c->p->long_size);
	ts_size = tep_get_header_timestamp_size(tep);
	subbuf = tep_get_sub_buffer_size(tep);
	tep_free(tep);
	free(buf);
	if (ts_size != 8)
		return corrupt(c, "the header_page has no 8-byte timestamp field");
	if ((uint32_t)subbuf != c->p->page_size)
		return corrupt(c, "page size %u, but the header_page describes %d-byte pages",
			       c->p->page_size, subbuf);
	return 0;
}

/*
 * printk_formats, split as libtraceevent's tep_parse_printk_formats() does
 * (strtok_r on "\n", then on ":"): it copies the format from one byte past
 * the end of the address, so a line without a format after its colon makes
 * it read past the end of the text, and it looks for a '\n' two bytes
 * before the end of the format, before the start of a shorter one.
 */
static int check_printk(struct cursor *c, uint32_t size)
{
	char *buf, *line, *next = NULL, *fmt = NULL, *f;
	int nr = 0, ret = 0;

	buf = malloc((size_t)size + 1);
	if (!buf)
		return corrupt(c, "out of memory");
	if (fl_cursor_read(&c->cur, buf, size, "printk_formats") < 0) {
		free(buf);
		return -1;
	}
	buf[size] = '\0';
	for (line = strtok_r(buf, "\n", &next); line; line = strtok_r(NULL, "\n", &next)) {
		nr++;
		if (!strtok_r(line, ":", &fmt))
			break;		/* where libtraceevent stops too */
		if (!*fmt) {
			ret = corrupt(c, "printk_formats line %d has no format after its address", nr);
			break;
		}
		/* tep_register_print_string(): skips one byte and a quote, then
		 * looks at the last three bytes of what is left */
		f = fmt + 1;
		if (*f == '"')
			f++;
		if (strlen(f) < 3) {
			ret = corrupt(c, "printk_formats line %d has a format too short to read", nr);
			break;
		}
	}
	free(buf);
	return ret;
}

/*
 * An event's payload is read by field offsets from its format, by forklock
 * and by libtraceevent (tep_print_event() checks nothing): the fixed part
 * must be there.  The formats are known only after try_open(): here the
 * shortest event of each id is noted, check_lengths() compares.
 */
static inline int check_event(struct cursor *c, int cpu, uint64_t at, uint32_t off,
			      const uint8_t *payload, uint32_t len, bool first_after_loss)
{
	uint16_t id;

	if (len < 8)
		return corrupt(c, "CPU %d: the page at offset %" PRIu64 " has an event of %u bytes "
			       "at +%u, shorter than the common fields", cpu, at, len, off);
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
static int check_lengths(struct cursor *c)
{
	uint32_t id;

	for (id = 0; id <= TRACEDAT_MAX_EVENT_ID; id++) {
		if (c->shortest[id] && c->need[id] > c->shortest[id])
			return corrupt(c, "events of id %u have %u bytes, their format has fields "
				       "up to byte %u", id, c->shortest[id], c->need[id]);
		/* libtracecmd 3.1.6 looks up the event of a record that follows
		 * lost events, and ends the whole iteration if it has no format */
		if (c->after_loss[id] && !c->need[id])
			return corrupt(c, "events were lost before an event of id %u, which has "
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
static int check_page(struct cursor *c, int cpu, const uint8_t *page, uint64_t at)
{
	uint32_t page_size = c->p->page_size, hdr = 8 + c->p->long_size;
	uint64_t commit = fl_get_long(page + 8, c->p->long_size, c->cur.swap);
	uint32_t size = commit & TRACEDAT_RB_COMMIT_MASK, idx = 0;
	bool first = (commit & TRACEDAT_RB_MISSED_EVENTS) != 0;

	if (size > page_size - hdr)
		return corrupt(c, "CPU %d: the page at offset %" PRIu64 " says it holds %u bytes "
			       "of events, it has room for %u", cpu, at, size, page_size - hdr);
	if ((commit & TRACEDAT_RB_MISSED_EVENTS) && (commit & TRACEDAT_RB_MISSED_STORED) &&
	    size + c->p->long_size > page_size - hdr)
		return corrupt(c, "CPU %d: the page at offset %" PRIu64 " has its lost-event count "
			       "outside the page", cpu, at);
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
				return corrupt(c, "CPU %d: the page at offset %" PRIu64 " has an event "
					       "of length %u at +%u", cpu, at, len, hdr + idx);
			next = (uint64_t)idx + 8 + (((uint64_t)len - 4 + 3) & ~3ULL);
			if (next > size || len > INT32_MAX)
				goto past;
			if (check_event(c, cpu, at, hdr + idx, e + 8, (uint32_t)(next - idx - 8),
					first) < 0)
				return -2;
			first = false;
			break;
		default:
			next = (uint64_t)idx + 4 + type_len * 4;
			if (next > size)
				goto past;
			if (check_event(c, cpu, at, hdr + idx, e + 4, type_len * 4, first) < 0)
				return -2;
			first = false;
			break;
		}
		if (next <= idx)
			goto past;
		idx = next > size ? size : (uint32_t)next;
	}
	return 0;
past:
	return corrupt(c, "CPU %d: the page at offset %" PRIu64 " has an event at +%u that runs "
		       "past its %u bytes of data", cpu, at, hdr + idx, size);
}

/*
 * libtracecmd's own open, in a child (sandbox.c): if it crashes, hangs or
 * fails, the file is refused.  It also gives, for every event format, how
 * many bytes its fixed fields span (c->need), for check_lengths().
 */
static int try_open(struct cursor *c)
{
	c->need = calloc(TRACEDAT_MAX_EVENT_ID + 1, sizeof(*c->need));
	if (!c->need)
		return corrupt(c, "out of memory");
	return fl_sandbox_open(c->cur.fd, c->p->version, c->cur.size, c->need,
			       c->p->why, sizeof(c->p->why));
}

/* Every page of one CPU's data, read in chunks of whole pages. */
static int check_pages(struct cursor *c, int cpu, uint64_t off, uint64_t size)
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
		return corrupt(c, "out of memory");
	while (!ret && done < size) {
		size_t n = size - done < chunk ? size - done : chunk;

		if (pread(c->cur.fd, buf, n, (off_t)(off + done)) != (ssize_t)n) {
			snprintf(c->p->why, sizeof(c->p->why), "cannot read CPU %d data", cpu);
			ret = -1;
			break;
		}
		for (i = 0; !ret && i < n; i += page_size)
			ret = check_page(c, cpu, buf + i, off + done + i);
		done += n;
	}
	free(buf);
	return ret;
}

static int walk_v6(struct cursor *c)
{
	uint64_t size64, off, *offs = NULL, *sizes = NULL;
	uint32_t n, m, i, j, size32;
	char name[128];
	int ret, cpu;

	if ((ret = fl_cursor_expect(&c->cur, TRACEDAT_HEADER_PAGE, "header_page")) < 0 ||
	    fl_cursor_u64(&c->cur, &size64, "header_page size") < 0 ||
	    fl_cursor_need(&c->cur, size64, "header_page") < 0)
		return ret < 0 ? ret : -1;
	if ((ret = check_header_page(c, size64)) < 0)
		return ret;
	if ((ret = fl_cursor_expect(&c->cur, TRACEDAT_HEADER_EVENT, "header_event")) < 0 ||
	    fl_cursor_u64(&c->cur, &size64, "header_event size") < 0 ||
	    fl_cursor_skip(&c->cur, size64, "header_event") < 0)
		return ret < 0 ? ret : -1;
	if (fl_cursor_u32(&c->cur, &n, "ftrace format count") < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (fl_cursor_u64(&c->cur, &size64, "ftrace format size") < 0 ||
		    fl_cursor_skip(&c->cur, size64, "ftrace format") < 0)
			return -1;
	if (fl_cursor_u32(&c->cur, &n, "event system count") < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((ret = fl_cursor_str(&c->cur, name, sizeof(name), "event system name")) < 0 ||
		    fl_cursor_u32(&c->cur, &m, "event count") < 0)
			return ret < 0 ? ret : -1;
		for (j = 0; j < m; j++)
			if (fl_cursor_u64(&c->cur, &size64, "event format size") < 0 ||
			    fl_cursor_skip(&c->cur, size64, "event format") < 0)
				return -1;
	}
	if (fl_cursor_u32(&c->cur, &size32, "kallsyms size") < 0 ||
	    fl_cursor_skip(&c->cur, size32, "kallsyms") < 0 ||
	    fl_cursor_u32(&c->cur, &size32, "printk_formats size") < 0)
		return -1;
	if ((ret = check_printk(c, size32)) < 0)
		return ret;
	if (fl_cursor_u64(&c->cur, &size64, "saved cmdlines size") < 0 ||
	    fl_cursor_skip(&c->cur, size64, "saved cmdlines") < 0 ||
	    fl_cursor_u32(&c->cur, &n, "cpu count") < 0)
		return -1;
	if (n > TRACEDAT_MAX_CPUS)
		return corrupt(c, "%u CPUs", n);
	c->p->nr_cpus = (int)n;
	for (;;) {
		if ((ret = fl_cursor_str(&c->cur, name, sizeof(name), "section name")) < 0)
			return ret;
		if (!strcmp(name, TRACEDAT_OPTIONS)) {
			if ((ret = options(c)) < 0)
				return ret;
			continue;
		}
		if (!strcmp(name, TRACEDAT_LATENCY))	/* libtracecmd 3.1.6 crashes iterating it */
			return corrupt(c, "a latency tracer's text trace, not a recording of events");
		if (!strcmp(name, TRACEDAT_FLYRECORD))
			break;
		snprintf(c->p->why, sizeof(c->p->why), "unknown section \"%s\"", name);
		return -2;
	}
	offs = calloc(c->p->nr_cpus + 1, sizeof(*offs));
	sizes = calloc(c->p->nr_cpus + 1, sizeof(*sizes));
	if (!offs || !sizes) {
		ret = corrupt(c, "out of memory");
		goto out;
	}
	ret = -1;
	for (cpu = 0; cpu < c->p->nr_cpus; cpu++) {
		if (fl_cursor_u64(&c->cur, &off, "cpu data offset") < 0 ||
		    fl_cursor_u64(&c->cur, &size64, "cpu data size") < 0)
			goto out;
		offs[cpu] = off;
		sizes[cpu] = size64;
		if (!size64)
			continue;
		if (off + size64 < off || off + size64 > c->cur.size) {
			snprintf(c->p->why, sizeof(c->p->why),
				 "CPU %d data ends at %" PRIu64 ", the file has %" PRIu64 " bytes",
				 cpu, off + size64 < off ? UINT64_MAX : off + size64, c->cur.size);
			goto out;
		}
		if (off % c->p->page_size || size64 % c->p->page_size) {
			ret = corrupt(c, "CPU %d data (offset %" PRIu64 ", %" PRIu64 " bytes) is not "
				      "made of whole %u-byte pages", cpu, off, size64, c->p->page_size);
			goto out;
		}
		if (off + size64 > c->p->data_end)
			c->p->data_end = off + size64;
	}
	/* libtracecmd reads the clock text after the offsets whole */
	if (c->has_clock && (fl_cursor_u64(&c->cur, &size64, "trace clock size") < 0 ||
			     fl_cursor_skip(&c->cur, size64, "trace clock") < 0))
		goto out;
	if (c->header_only || (c->st && was_checked(c->st))) {
		ret = 0;
		goto out;
	}
	c->shortest = calloc(TRACEDAT_MAX_EVENT_ID + 1, sizeof(*c->shortest));
	c->after_loss = calloc(TRACEDAT_MAX_EVENT_ID + 1, sizeof(*c->after_loss));
	if (!c->shortest || !c->after_loss) {
		ret = corrupt(c, "out of memory");
		goto out;
	}
	for (cpu = 0; cpu < c->p->nr_cpus; cpu++) {
		if (sizes[cpu] && (ret = check_pages(c, cpu, offs[cpu], sizes[cpu])) < 0)
			goto out;
	}
	if ((ret = try_open(c)) < 0 || (ret = check_lengths(c)) < 0)
		goto out;
	if (c->st)
		remember_checked(c->st);
	ret = 0;
out:
	free(offs);
	free(sizes);
	free(c->need);
	free(c->shortest);
	free(c->after_loss);
	c->need = c->shortest = NULL;
	c->after_loss = NULL;
	return ret;
}

/*
 * Everything after the endian byte, read as @swap says.  Returns 0, -1
 * (truncated) or -2 (corrupt), with p->why set.
 */
static int walk(int fd, const struct stat *st, struct fl_tdcheck *p, bool swap, uint8_t lsize)
{
	struct cursor c = {
		.cur = { .fd = fd, .size = p->file_size, .swap = swap,
			 .why = p->why, .why_len = sizeof(p->why) },
		.st = st, .p = p, .header_only = !st,
	};

	/* magic, version, endian byte and long size are behind */
	c.cur.pos = TRACEDAT_MAGIC_LEN + strlen(p->version == 6 ? "6" : "7") + 1 + 2;
	p->long_size = lsize;
	if (lsize != 4 && lsize != 8)
		return corrupt(&c, "long size %u", lsize);
	if (fl_cursor_u32(&c.cur, &p->page_size, "page size") < 0)
		return -1;
	if (p->page_size < TRACEDAT_MIN_PAGE_SIZE || p->page_size > TRACEDAT_MAX_PAGE_SIZE ||
	    (p->page_size & (p->page_size - 1)))
		return corrupt(&c, "page size %u", p->page_size);
	if (p->version != 6) {
		int ret = 0;

		/* sections are not walked: libtracecmd's open and read are tried */
		if (st && !was_checked(st)) {
			ret = try_open(&c);
			if (!ret && st)
				remember_checked(st);
		}
		free(c.need);
		return ret;
	}
	return walk_v6(&c);
}

enum fl_tdcheck_result fl_tdcheck_file(int fd, struct fl_tdcheck *p)
{
	struct fl_cursor c = { .fd = fd, .why = p->why, .why_len = sizeof(p->why) };
	char head[12], ver[8];
	uint8_t endian, lsize;
	struct stat st;
	bool swap;
	int ret;

	memset(p, 0, sizeof(*p));
	if (fstat(fd, &st) < 0)
		return FL_TDCHECK_CORRUPT;
	c.size = p->file_size = st.st_size;
	if (c.size == 0) {
		snprintf(p->why, sizeof(p->why), "the file is empty");
		return FL_TDCHECK_NOT_TRACEDAT;
	}
	if (c.size < TRACEDAT_MAGIC_LEN) {
		if (pread(fd, head, c.size, 0) == (ssize_t)c.size &&
		    !memcmp(head, TRACEDAT_MAGIC, c.size)) {
			snprintf(p->why, sizeof(p->why), "only %" PRIu64 " bytes", c.size);
			return FL_TDCHECK_TRUNCATED;
		}
		snprintf(p->why, sizeof(p->why), "no trace.dat magic");
		return FL_TDCHECK_NOT_TRACEDAT;
	}
	if (fl_cursor_read(&c, head, TRACEDAT_MAGIC_LEN, "magic") < 0 ||
	    memcmp(head, TRACEDAT_MAGIC, TRACEDAT_MAGIC_LEN)) {
		snprintf(p->why, sizeof(p->why), "no trace.dat magic");
		return FL_TDCHECK_NOT_TRACEDAT;
	}
	ret = fl_cursor_str(&c, ver, sizeof(ver), "version");
	if (ret == -1)
		return FL_TDCHECK_TRUNCATED;
	if (ret < 0 || (strcmp(ver, "6") && strcmp(ver, "7"))) {
		snprintf(p->why, sizeof(p->why), "unsupported trace.dat version \"%.7s\"", ver);
		return FL_TDCHECK_BAD_VERSION;
	}
	p->version = atoi(ver);
	if (fl_cursor_read(&c, &endian, 1, "endianness") < 0 ||
	    fl_cursor_read(&c, &lsize, 1, "long size") < 0)
		return FL_TDCHECK_TRUNCATED;
	if (endian > 1) {
		snprintf(p->why, sizeof(p->why), "endian byte %u (0 little, 1 big)", endian);
		return FL_TDCHECK_CORRUPT;
	}
	p->big_endian = endian;
	swap = p->big_endian != tracedat_host_big_endian();
	ret = walk(fd, &st, p, swap, lsize);
	if (ret < 0) {
		/* a wrong endian byte: does the file read the other way round? */
		struct fl_tdcheck other = *p;

		other.big_endian = !p->big_endian;
		other.why[0] = '\0';
		if (walk(fd, NULL, &other, !swap, lsize) == 0) {
			snprintf(p->why, sizeof(p->why),
				 "the endian byte says %s-endian, but the file is %s-endian",
				 p->big_endian ? "big" : "little", p->big_endian ? "little" : "big");
			return FL_TDCHECK_CORRUPT;
		}
		/* otherwise the first walk's reason stands */
	}
	if (ret == -1)
		return FL_TDCHECK_TRUNCATED;
	if (ret < 0)
		return FL_TDCHECK_CORRUPT;
	return FL_TDCHECK_OK;
}
