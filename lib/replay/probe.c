// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A trace.dat is checked before libtracecmd reads it for real:
 *   - version 6 (forklock record's): every section and CPU offset inside
 *     the file, the header_page, printk_formats as libtraceevent splits
 *     them, and every ring-buffer page as kbuffer walks it;
 *   - libtracecmd's own open, in a child process (try_open()): a crash or
 *     hang there refuses the file; for version 7 (sections, compression:
 *     not walked here) the child also reads every event;
 *   - every event at least as long as its format's fixed fields.
 * What is refused gets one reason (fl_probe.why) for the error line.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <trace-cmd.h>

#include "replay/probe.h"

/*
 * Limits of what libtracecmd 3.1.6 is given.  It trusts the file: a CPU whose
 * first page it cannot load makes tracecmd_open() fail half way and then
 * crash in its own tracecmd_close() (lists of the later CPUs not set up), and
 * libtraceevent's kbuffer walks a page by the lengths written in it, past
 * the page or back onto the same event for ever.  So everything it will
 * read blindly is checked here first.
 */
#define MAX_CPUS	65536		/* the kernel's NR_CPUS is at most 8192 */
#define MIN_PAGE_SIZE	4096		/* no ring-buffer sub-buffer is smaller */
#define MAX_PAGE_SIZE	(1U << 24)
#define MAX_HEADER	(1U << 20)	/* header_page / header_event text */
#define RB_COMMIT_MASK	((1U << 27) - 1)	/* kbuffer-parse.c COMMIT_MASK */
#define RB_MISSED_EVENTS (1ULL << 31)
#define RB_MISSED_STORED (1ULL << 30)
#define MAX_EVENT_ID	65535		/* common_type is a u16 */
#define OPEN_TIMEOUT_MS	20000		/* libtracecmd's open, in a child */
#define OPT_CPUSTAT	2
#define OPT_TRACECLOCK	4
#define OPT_UNAME	5

static const char magic[] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g' };

struct cursor {
	int fd;
	uint64_t pos, size;
	bool swap;
	bool has_clock;		/* a TRACECLOCK option: its text follows the CPU offsets */
	uint16_t *shortest;	/* event id -> shortest payload in the data, 0: none */
	uint16_t *need;		/* event id -> bytes its format's fixed fields span, 0: no format */
	uint8_t *after_loss;	/* event id -> 1: first event of a page with lost events */
	const struct stat *st;
	bool header_only;	/* the wrong-endian guess: sections, no pages or open */
	struct fl_probe *p;
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

static int need(struct cursor *c, uint64_t n, const char *what)
{
	if (c->pos + n > c->size || c->pos + n < c->pos) {
		snprintf(c->p->why, sizeof(c->p->why),
			 "%s at offset %" PRIu64 " needs %" PRIu64 " bytes, the file has %" PRIu64,
			 what, c->pos, n, c->size);
		return -1;
	}
	return 0;
}

static int rd(struct cursor *c, void *buf, uint64_t n, const char *what)
{
	if (need(c, n, what) < 0)
		return -1;
	if (pread(c->fd, buf, n, (off_t)c->pos) != (ssize_t)n) {
		snprintf(c->p->why, sizeof(c->p->why), "cannot read %s", what);
		return -1;
	}
	c->pos += n;
	return 0;
}

static int rd_u16(struct cursor *c, uint16_t *v, const char *what)
{
	if (rd(c, v, 2, what) < 0)
		return -1;
	if (c->swap)
		*v = __builtin_bswap16(*v);
	return 0;
}

static int rd_u32(struct cursor *c, uint32_t *v, const char *what)
{
	if (rd(c, v, 4, what) < 0)
		return -1;
	if (c->swap)
		*v = __builtin_bswap32(*v);
	return 0;
}

static int rd_u64(struct cursor *c, uint64_t *v, const char *what)
{
	if (rd(c, v, 8, what) < 0)
		return -1;
	if (c->swap)
		*v = __builtin_bswap64(*v);
	return 0;
}

static int skip(struct cursor *c, uint64_t n, const char *what)
{
	if (need(c, n, what) < 0)
		return -1;
	c->pos += n;
	return 0;
}

/* A NUL-terminated string of at most @max bytes. */
static int rd_str(struct cursor *c, char *buf, size_t max, const char *what)
{
	size_t i;

	for (i = 0; i < max; i++) {
		if (rd(c, &buf[i], 1, what) < 0)
			return -1;
		if (!buf[i])
			return 0;
	}
	snprintf(c->p->why, sizeof(c->p->why), "%s is not a name", what);
	return -2;
}

static int expect_str(struct cursor *c, const char *s, const char *what)
{
	char buf[32];
	int ret = rd_str(c, buf, sizeof(buf), what);

	if (ret < 0)
		return ret;
	if (strcmp(buf, s)) {
		snprintf(c->p->why, sizeof(c->p->why), "expected \"%s\" at %s", s, what);
		return -2;
	}
	return 0;
}

static void cpustat(struct fl_probe *p, const char *text)
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

static uint32_t opt_u32(const struct cursor *c, const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return c->swap ? __builtin_bswap32(v) : v;
}

/*
 * What libtracecmd 3.1.6 (handle_options()) does with an option's data
 * without looking: strdup()s or strtoll()s the text ones, writes
 * buf[size - 1] of CPUSTAT, reads an int of CPUCOUNT, and trusts the
 * counts of TIME_SHIFT and GUEST (a negative one indexes before its array).
 */
static int check_option(struct cursor *c, uint16_t id, const char *buf, uint32_t size)
{
	static const char *const text[] = {
		[1] = "DATE", [3] = "OFFSET", [4] = "TRACECLOCK", [5] = "UNAME", [6] = "HOOK",
		[7] = "BUFFER", [9] = "VERSION", [10] = "PROCMAPS", [15] = "BUFFER_TEXT",
	};
	uint32_t n, i, count, left;
	size_t len;

	if (id < sizeof(text) / sizeof(text[0]) && text[id]) {
		const char *str = id == 7 || id == 15 ? buf + 8 : buf;
		uint32_t room = id == 7 || id == 15 ? (size >= 8 ? size - 8 : 0) : size;

		if (!room || !memchr(str, '\0', room))
			return corrupt(c, "option %u (%s) is not a terminated string", id, text[id]);
		return 0;
	}
	switch (id) {
	case OPT_CPUSTAT:
		if (!size)
			return corrupt(c, "an empty CPUSTAT option");
		break;
	case 8:		/* CPUCOUNT */
		if (size < 4)
			return corrupt(c, "a CPUCOUNT option of %u bytes", size);
		break;
	case 12:	/* TIME_SHIFT: id, flags, cpus, per cpu: count, 3 x count u64 */
		if (size < 16)
			break;	/* ignored by libtracecmd */
		n = opt_u32(c, buf + 12);
		left = size - 16;
		for (i = 0; i < n; i++) {
			if (left < 4)
				return corrupt(c, "the TIME_SHIFT option is cut short");
			count = opt_u32(c, buf + size - left);
			left -= 4;
			if (count > left / 24)
				return corrupt(c, "the TIME_SHIFT option is cut short");
			left -= count * 24;
		}
		break;
	case 13:	/* GUEST: name, u64 trace id, vcpus, per vcpu: cpu, pid */
		len = strnlen(buf, size);
		if (len == size || size - len - 1 < 12)
			return corrupt(c, "the GUEST option is cut short");
		left = size - (uint32_t)len - 1 - 12;
		n = opt_u32(c, buf + len + 1 + 8);
		if (n > left / 8)
			return corrupt(c, "the GUEST option is cut short");
		for (i = 0; i < n; i++) {
			uint32_t cpu = opt_u32(c, buf + len + 1 + 12 + i * 8);

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

		if (rd_u16(c, &id, "option id") < 0)
			return -1;
		if (!id)
			return 0;
		if (rd_u32(c, &size, "option size") < 0)
			return -1;
		if (need(c, size, "option data") < 0)
			return -1;
		if (id == OPT_TRACECLOCK)
			c->has_clock = true;
		buf = calloc(1, (size_t)size + 1);
		if (!buf)
			return corrupt(c, "out of memory");
		if (rd(c, buf, size, "option data") < 0) {
			free(buf);
			return -1;
		}
		ret = check_option(c, id, buf, size);
		if (ret < 0) {
			free(buf);
			return ret;
		}
		if (id == OPT_CPUSTAT) {
			cpustat(c->p, buf);
		} else if (id == OPT_UNAME) {
			snprintf(c->p->uname, sizeof(c->p->uname), "%s", buf);
		} else if (id == OPT_TRACECLOCK) {
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
	if (size > MAX_HEADER)
		return corrupt(c, "a header_page of %" PRIu64 " bytes", size);
	buf = malloc(size + 1);
	if (!buf)
		return corrupt(c, "out of memory");
	if (rd(c, buf, size, "header_page") < 0) {
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
	if (rd(c, buf, size, "printk_formats") < 0) {
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

static inline uint64_t get_u32(const struct cursor *c, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return c->swap ? __builtin_bswap32(v) : v;
}

static uint64_t get_long(const struct cursor *c, const uint8_t *p)
{
	uint64_t v;

	if (c->p->long_size == 4)
		return get_u32(c, p);
	memcpy(&v, p, 8);
	return c->swap ? __builtin_bswap64(v) : v;
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
	memcpy(&id, payload, 2);
	if (c->swap)
		id = __builtin_bswap16(id);
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

	for (id = 0; id <= MAX_EVENT_ID; id++) {
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
	uint64_t commit = get_long(c, page + 8);
	uint32_t size = commit & RB_COMMIT_MASK, idx = 0;
	bool first = (commit & RB_MISSED_EVENTS) != 0;

	if (size > page_size - hdr)
		return corrupt(c, "CPU %d: the page at offset %" PRIu64 " says it holds %u bytes "
			       "of events, it has room for %u", cpu, at, size, page_size - hdr);
	if ((commit & RB_MISSED_EVENTS) && (commit & RB_MISSED_STORED) &&
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
		h = get_u32(c, e);
		type_len = c->p->big_endian ? h >> 27 : h & 31;
		switch (type_len) {
		case 29:	/* padding: the word after the header is its length */
			next = (uint64_t)idx + 4 + get_u32(c, e + 4);
			break;
		case 30:	/* time extend */
		case 31:	/* absolute time stamp */
			next = (uint64_t)idx + 8;
			break;
		case 0:		/* length (+4) in the word after the header */
			len = get_u32(c, e + 4);
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

/* ---- libtracecmd's own open, in a child -------------------------------- */

static uint32_t event_need(const struct tep_event *ev)
{
	const struct tep_format_field *f;
	int64_t end = 8;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (f = pass ? ev->format.fields : ev->format.common_fields; f; f = f->next) {
			if (f->offset < 0 || f->size < 0)
				return UINT16_MAX;
			if ((int64_t)f->offset + f->size > end)
				end = (int64_t)f->offset + f->size;
		}
	return end > UINT16_MAX ? UINT16_MAX : (uint32_t)end;
}

/*
 * Version 7 files (trace-cmd record's default: sections, usually
 * compressed) are not walked here: the child iterates every record as
 * replay will, and checks each is as long as its format.
 */
static uint16_t *child_need;

static int child_record(struct tracecmd_input *handle, struct tep_record *rec, int cpu, void *data)
{
	struct tep_handle *tep = data;
	int id;

	if (rec->size < 8)
		_exit(5);
	id = tep_data_type(tep, rec);
	if (id >= 0 && id <= MAX_EVENT_ID && child_need[id] > rec->size)
		_exit(5);
	return 0;
}

static void __attribute__((noreturn)) open_child(int fd, int out, bool iterate)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP };
	struct rlimit nocore = { 0, 0 };
	struct tracecmd_input *handle;
	struct tep_handle *tep;
	struct tep_event **all;
	uint32_t pair[2];
	size_t i;
	int null, n;

	/* die of a crash (no core, no fuzzer's or sanitizer's handler), quietly */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	setrlimit(RLIMIT_CORE, &nocore);
	null = open("/dev/null", O_WRONLY);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	tracecmd_set_loglevel(TEP_LOG_NONE);
	tep_set_loglevel(TEP_LOG_NONE);
	handle = tracecmd_open_fd(fd, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!handle)
		_exit(3);
	tep = tracecmd_get_tep(handle);
	all = tep_list_events(tep, TEP_EVENT_SORT_ID);
	n = tep_get_events_count(tep);
	child_need = calloc(MAX_EVENT_ID + 1, sizeof(*child_need));
	if (!child_need)
		_exit(4);
	for (i = 0; all && (int)i < n; i++) {
		if (all[i]->id < 0 || all[i]->id > MAX_EVENT_ID)
			continue;
		pair[0] = (uint32_t)all[i]->id;
		pair[1] = event_need(all[i]);
		child_need[pair[0]] = (uint16_t)pair[1];
		if (write(out, pair, sizeof(pair)) != sizeof(pair))
			_exit(4);
	}
	if (iterate && tracecmd_iterate_events(handle, NULL, 0, child_record, tep) < 0)
		_exit(6);
	_exit(0);
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT";
	case SIGKILL: return "SIGKILL";
	}
	return "a signal";
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * libtracecmd's and libtraceevent's parsers trust the file: a format that
 * divides by zero in its print fmt, a byte they do not expect in a field
 * declaration, a section they half read before failing (3.1.6 then frees
 * lists it never set up) ... end in a signal, inside tracecmd_open().
 * So the open is tried first in a child.  If it crashes, hangs or fails,
 * the file is refused here and libtracecmd never opens it in this
 * process.  The child also sends, for every event format, how many bytes
 * its fixed fields span (c->need), for check_event().
 */
static int try_open(struct cursor *c)
{
	/* reading a version 7 file's events takes longer: 1 s more per 16 MB */
	uint64_t limit = OPEN_TIMEOUT_MS + (c->p->version == 6 ? 0 : (c->size >> 24) * 1000);
	uint64_t deadline = now_ms() + limit;
	int pipefd[2], status = 0, fd, ret = 0;
	uint8_t buf[4096];
	size_t have = 0;
	bool killed = false;
	pid_t pid;

	c->need = calloc(MAX_EVENT_ID + 1, sizeof(*c->need));
	if (!c->need)
		return corrupt(c, "out of memory");
	fd = dup(c->fd);
	if (fd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		if (fd >= 0)
			close(fd);
		return corrupt(c, "cannot check the file: %s", strerror(errno));
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fd);
		close(pipefd[0]);
		close(pipefd[1]);
		return corrupt(c, "cannot check the file: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(pipefd[0]);
		open_child(fd, pipefd[1], c->p->version != 6);
	}
	close(fd);
	close(pipefd[1]);
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;
		size_t i;

		if (now >= deadline) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			break;
		}
		if (!pfd.revents)
			continue;
		n = read(pipefd[0], buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		for (i = 0; i + 8 <= have; i += 8) {
			uint32_t pair[2];

			memcpy(pair, buf + i, sizeof(pair));
			if (pair[0] <= MAX_EVENT_ID)
				c->need[pair[0]] = (uint16_t)pair[1];
		}
		memmove(buf, buf + i, have - i);
		have -= i;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (killed)
		ret = corrupt(c, "libtracecmd does not finish opening it (stopped after %d s)",
			      (int)(limit / 1000));
	else if (WIFSIGNALED(status))
		ret = corrupt(c, "libtracecmd crashes opening it (%s)", signame(WTERMSIG(status)));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) == 3)
		ret = corrupt(c, "libtracecmd cannot open it");
	else if (WEXITSTATUS(status) == 5)
		ret = corrupt(c, "it has events shorter than their formats");
	else if (WEXITSTATUS(status) == 6)
		ret = corrupt(c, "libtracecmd cannot read its events");
	else if (WEXITSTATUS(status))
		ret = corrupt(c, "libtracecmd fails opening it (exit %d)", WEXITSTATUS(status));
	return ret;
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

		if (pread(c->fd, buf, n, (off_t)(off + done)) != (ssize_t)n) {
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

	if ((ret = expect_str(c, "header_page", "header_page")) < 0 ||
	    rd_u64(c, &size64, "header_page size") < 0 || need(c, size64, "header_page") < 0)
		return ret < 0 ? ret : -1;
	if ((ret = check_header_page(c, size64)) < 0)
		return ret;
	if ((ret = expect_str(c, "header_event", "header_event")) < 0 ||
	    rd_u64(c, &size64, "header_event size") < 0 || skip(c, size64, "header_event") < 0)
		return ret < 0 ? ret : -1;
	if (rd_u32(c, &n, "ftrace format count") < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (rd_u64(c, &size64, "ftrace format size") < 0 || skip(c, size64, "ftrace format") < 0)
			return -1;
	if (rd_u32(c, &n, "event system count") < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((ret = rd_str(c, name, sizeof(name), "event system name")) < 0 ||
		    rd_u32(c, &m, "event count") < 0)
			return ret < 0 ? ret : -1;
		for (j = 0; j < m; j++)
			if (rd_u64(c, &size64, "event format size") < 0 ||
			    skip(c, size64, "event format") < 0)
				return -1;
	}
	if (rd_u32(c, &size32, "kallsyms size") < 0 || skip(c, size32, "kallsyms") < 0 ||
	    rd_u32(c, &size32, "printk_formats size") < 0)
		return -1;
	if ((ret = check_printk(c, size32)) < 0)
		return ret;
	if (rd_u64(c, &size64, "saved cmdlines size") < 0 || skip(c, size64, "saved cmdlines") < 0 ||
	    rd_u32(c, &n, "cpu count") < 0)
		return -1;
	if (n > MAX_CPUS)
		return corrupt(c, "%u CPUs", n);
	c->p->nr_cpus = (int)n;
	for (;;) {
		if ((ret = rd_str(c, name, sizeof(name), "section name")) < 0)
			return ret;
		if (!strcmp(name, "options  ")) {
			if ((ret = options(c)) < 0)
				return ret;
			continue;
		}
		if (!strcmp(name, "latency  "))	/* libtracecmd 3.1.6 crashes iterating it */
			return corrupt(c, "a latency tracer's text trace, not a recording of events");
		if (!strcmp(name, "flyrecord"))
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
		if (rd_u64(c, &off, "cpu data offset") < 0 || rd_u64(c, &size64, "cpu data size") < 0)
			goto out;
		offs[cpu] = off;
		sizes[cpu] = size64;
		if (!size64)
			continue;
		if (off + size64 < off || off + size64 > c->size) {
			snprintf(c->p->why, sizeof(c->p->why),
				 "CPU %d data ends at %" PRIu64 ", the file has %" PRIu64 " bytes",
				 cpu, off + size64 < off ? UINT64_MAX : off + size64, c->size);
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
	if (c->has_clock && (rd_u64(c, &size64, "trace clock size") < 0 ||
			     skip(c, size64, "trace clock") < 0))
		goto out;
	if (c->header_only || (c->st && was_checked(c->st))) {
		ret = 0;
		goto out;
	}
	c->shortest = calloc(MAX_EVENT_ID + 1, sizeof(*c->shortest));
	c->after_loss = calloc(MAX_EVENT_ID + 1, sizeof(*c->after_loss));
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
static int walk(int fd, const struct stat *st, struct fl_probe *p, bool swap, uint8_t lsize)
{
	struct cursor c = { .fd = fd, .st = st, .p = p, .size = p->file_size, .swap = swap,
			    .header_only = !st };

	/* magic, version, endian byte and long size are behind */
	c.pos = sizeof(magic) + strlen(p->version == 6 ? "6" : "7") + 1 + 2;
	p->long_size = lsize;
	if (lsize != 4 && lsize != 8)
		return corrupt(&c, "long size %u", lsize);
	if (rd_u32(&c, &p->page_size, "page size") < 0)
		return -1;
	if (p->page_size < MIN_PAGE_SIZE || p->page_size > MAX_PAGE_SIZE ||
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

enum fl_probe_result fl_probe_file(int fd, struct fl_probe *p)
{
	struct cursor c = { .fd = fd, .p = p };
	char head[12], ver[8];
	uint8_t endian, lsize;
	struct stat st;
	bool swap;
	int ret;

	memset(p, 0, sizeof(*p));
	if (fstat(fd, &st) < 0)
		return FL_PROBE_CORRUPT;
	c.size = p->file_size = st.st_size;
	if (c.size == 0) {
		snprintf(p->why, sizeof(p->why), "the file is empty");
		return FL_PROBE_NOT_TRACEDAT;
	}
	if (c.size < sizeof(magic)) {
		if (pread(fd, head, c.size, 0) == (ssize_t)c.size && !memcmp(head, magic, c.size)) {
			snprintf(p->why, sizeof(p->why), "only %" PRIu64 " bytes", c.size);
			return FL_PROBE_TRUNCATED;
		}
		snprintf(p->why, sizeof(p->why), "no trace.dat magic");
		return FL_PROBE_NOT_TRACEDAT;
	}
	if (rd(&c, head, sizeof(magic), "magic") < 0 || memcmp(head, magic, sizeof(magic))) {
		snprintf(p->why, sizeof(p->why), "no trace.dat magic");
		return FL_PROBE_NOT_TRACEDAT;
	}
	ret = rd_str(&c, ver, sizeof(ver), "version");
	if (ret == -1)
		return FL_PROBE_TRUNCATED;
	if (ret < 0 || (strcmp(ver, "6") && strcmp(ver, "7"))) {
		snprintf(p->why, sizeof(p->why), "unsupported trace.dat version \"%.7s\"", ver);
		return FL_PROBE_BAD_VERSION;
	}
	p->version = atoi(ver);
	if (rd(&c, &endian, 1, "endianness") < 0 || rd(&c, &lsize, 1, "long size") < 0)
		return FL_PROBE_TRUNCATED;
	if (endian > 1) {
		snprintf(p->why, sizeof(p->why), "endian byte %u (0 little, 1 big)", endian);
		return FL_PROBE_CORRUPT;
	}
	p->big_endian = endian;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	swap = p->big_endian;
#else
	swap = !p->big_endian;
#endif
	ret = walk(fd, &st, p, swap, lsize);
	if (ret < 0) {
		/* a wrong endian byte: does the file read the other way round? */
		struct fl_probe other = *p;

		other.big_endian = !p->big_endian;
		other.why[0] = '\0';
		if (walk(fd, NULL, &other, !swap, lsize) == 0) {
			snprintf(p->why, sizeof(p->why),
				 "the endian byte says %s-endian, but the file is %s-endian",
				 p->big_endian ? "big" : "little", p->big_endian ? "little" : "big");
			return FL_PROBE_CORRUPT;
		}
		/* otherwise the first walk's reason stands */
	}
	if (ret == -1)
		return FL_PROBE_TRUNCATED;
	if (ret < 0)
		return FL_PROBE_CORRUPT;
	return FL_PROBE_OK;
}
