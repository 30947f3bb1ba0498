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
 * This file walks the sections; the options are check-options.c's, the
 * named buffers' sections check-buffers.c's, the pages and event lengths
 * check-pages.c's.
 * What is refused gets one reason (fl_tdcheck.why) for the error line.
 */
#include <errno.h>
#include <inttypes.h>
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
	int nr_cpus;
	uint64_t *cpu_events;	/* what the walk counted, NULL: not counted */
	int nr_buffers;
	uint64_t buffer_events;
} checked[CHECKED_FILES];
static unsigned int checked_next;

static bool same_file(const struct checked *k, const struct stat *st)
{
	return k->ino == st->st_ino && k->dev == st->st_dev && k->size == st->st_size &&
	       k->mtim.tv_sec == st->st_mtim.tv_sec && k->mtim.tv_nsec == st->st_mtim.tv_nsec &&
	       k->ctim.tv_sec == st->st_ctim.tv_sec && k->ctim.tv_nsec == st->st_ctim.tv_nsec;
}

static struct checked *was_checked(const struct stat *st)
{
	unsigned int i;

	for (i = 0; i < CHECKED_FILES; i++)
		if (checked[i].ino && same_file(&checked[i], st))
			return &checked[i];
	return NULL;
}

/* 0, or -3 (out of memory: the file is then checked again next time) */
static int remember_checked(const struct stat *st, const struct fl_tdcheck *p)
{
	struct checked *k = &checked[checked_next % CHECKED_FILES];
	uint64_t *ev = NULL;

	if (p->cpu_events) {
		ev = malloc((p->nr_cpus + 1) * sizeof(*ev));
		if (!ev)
			return -3;
		memcpy(ev, p->cpu_events, p->nr_cpus * sizeof(*ev));
	}
	checked_next++;
	free(k->cpu_events);
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->size = st->st_size;
	k->mtim = st->st_mtim;
	k->ctim = st->st_ctim;
	k->nr_cpus = p->nr_cpus;
	k->cpu_events = ev;
	k->nr_buffers = p->nr_buffers;
	k->buffer_events = p->buffer_events;
	return 0;
}

/* The counts of a file checked before, into @p; 0 or -3. */
static int recall_checked(const struct checked *k, struct fl_tdcheck *p)
{
	if (!k->cpu_events || k->nr_cpus != p->nr_cpus)
		return 0;
	p->nr_buffers = k->nr_buffers;
	p->buffer_events = k->buffer_events;
	p->cpu_events = malloc((p->nr_cpus + 1) * sizeof(*p->cpu_events));
	if (!p->cpu_events)
		return -3;
	memcpy(p->cpu_events, k->cpu_events, p->nr_cpus * sizeof(*p->cpu_events));
	return 0;
}

void fl_tdcheck_free(struct fl_tdcheck *p)
{
	free(p->cpu_events);
	free(p->cpu_offset);
	free(p->cpu_size);
	p->cpu_events = p->cpu_offset = p->cpu_size = NULL;
}

int fl_tdcheck_buffer_cpus(int fd, const struct fl_tdcheck *p, int i, uint64_t *offs,
			   uint64_t *sizes)
{
	char why[160];
	struct fl_cursor cur = { .fd = fd, .size = p->file_size, .why = why,
				 .why_len = sizeof(why),
				 .swap = p->big_endian != tracedat_host_big_endian() };
	int cpu;

	if (p->version != 6 || i < 0 || i >= p->nr_named)
		return -1;
	cur.pos = p->named[i].offset;
	if (fl_cursor_expect(&cur, TRACEDAT_FLYRECORD, "flyrecord") < 0)
		return -1;
	for (cpu = 0; cpu < p->nr_cpus; cpu++) {
		if (fl_cursor_u64(&cur, &offs[cpu], "cpu data offset") < 0 ||
		    fl_cursor_u64(&cur, &sizes[cpu], "cpu data size") < 0)
			return -1;
		if (!sizes[cpu])
			continue;
		if (offs[cpu] + sizes[cpu] < offs[cpu] || offs[cpu] + sizes[cpu] > p->file_size ||
		    offs[cpu] % p->page_size || sizes[cpu] % p->page_size)
			return -1;
	}
	return 0;
}


/*
 * events/header_page as libtraceevent parses it.  libtracecmd loads no page
 * without an 8-byte timestamp field, and an empty header_page means a
 * pre-2.6.31 ring buffer whose pages kbuffer reads in the old layout.
 * The sub-buffer it describes must be the page size of the file.
 */
static int check_header_page(struct td_walk *c, uint64_t size)
{
	struct tep_handle *tep;
	int ts_size, subbuf;
	char *buf;

	if (!size)
		return td_corrupt(c, "the header_page is empty (a ring buffer older than Linux 2.6.31?)");
	if (size > TRACEDAT_MAX_HEADER)
		return td_corrupt(c, "a header_page of %" PRIu64 " bytes", size);
	buf = malloc(size + 1);
	if (!buf)
		return td_nomem(c);
	if (fl_cursor_read(&c->cur, buf, size, "header_page") < 0) {
		free(buf);
		return -1;
	}
	buf[size] = '\0';
	tep = tep_alloc();
	if (!tep) {
		free(buf);
		return td_nomem(c);
	}
	tep_set_loglevel(TEP_LOG_NONE);
	tep_parse_header_page(tep, buf, size, c->p->long_size);
	ts_size = tep_get_header_timestamp_size(tep);
	subbuf = tep_get_sub_buffer_size(tep);
	tep_free(tep);
	free(buf);
	if (ts_size != 8)
		return td_corrupt(c, "the header_page has no 8-byte timestamp field");
	if ((uint32_t)subbuf != c->p->page_size)
		return td_corrupt(c, "page size %u, but the header_page describes %d-byte pages",
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
static int check_printk(struct td_walk *c, uint32_t size)
{
	char *buf, *line, *next = NULL, *fmt = NULL, *f;
	int nr = 0, ret = 0;

	buf = malloc((size_t)size + 1);
	if (!buf)
		return td_nomem(c);
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
			ret = td_corrupt(c, "printk_formats line %d has no format after its address", nr);
			break;
		}
		/* tep_register_print_string(): skips one byte and a quote, then
		 * looks at the last three bytes of what is left */
		f = fmt + 1;
		if (*f == '"')
			f++;
		if (strlen(f) < 3) {
			ret = td_corrupt(c, "printk_formats line %d has a format too short to read", nr);
			break;
		}
	}
	free(buf);
	return ret;
}

/*
 * libtracecmd's own open, in a child (sandbox.c): if it crashes, hangs or
 * fails, the file is refused.  It also gives, for every event format, how
 * many bytes its fixed fields span (c->need), for check_lengths().
 */
static int try_open(struct td_walk *c)
{
	c->need = calloc(TRACEDAT_MAX_EVENT_ID + 1, sizeof(*c->need));
	if (!c->need)
		return td_nomem(c);
	return fl_sandbox_open(c->cur.fd, c->p->version, c->cur.size, c->need,
			       c->p->why, sizeof(c->p->why));
}

static int cmp_by_offset(const void *a, const void *b, void *offs)
{
	uint64_t x = ((uint64_t *)offs)[*(const int *)a], y = ((uint64_t *)offs)[*(const int *)b];

	return x < y ? -1 : x > y;
}

/*
 * Every CPU's data after the headers (the cursor is at their end) and
 * apart from every other CPU's: data read twice would count twice.
 */
static int check_ranges(struct td_walk *c, uint64_t *offs, const uint64_t *sizes)
{
	int *order, n = 0, i, a, b, ret = 0;

	order = malloc((c->p->nr_cpus + 1) * sizeof(*order));
	if (!order)
		return td_nomem(c);
	for (i = 0; i < c->p->nr_cpus; i++) {
		if (!sizes[i])
			continue;
		if (offs[i] < c->cur.pos) {
			free(order);
			return td_corrupt(c, "CPU %d data (offset %" PRIu64 ", %" PRIu64 " bytes) starts "
				       "inside the file's headers, which end at %" PRIu64, i, offs[i],
				       sizes[i], c->cur.pos);
		}
		order[n++] = i;
	}
	qsort_r(order, n, sizeof(*order), cmp_by_offset, offs);
	for (i = 1; i < n && !ret; i++) {
		a = order[i - 1];
		b = order[i];
		if (offs[a] + sizes[a] > offs[b]) {
			if (a > b) {
				int t = a;

				a = b;
				b = t;
			}
			ret = td_corrupt(c, "CPU %d data (offset %" PRIu64 ", %" PRIu64 " bytes) overlaps "
				      "CPU %d data (offset %" PRIu64 ", %" PRIu64 " bytes)", b, offs[b],
				      sizes[b], a, offs[a], sizes[a]);
		}
	}
	free(order);
	return ret;
}

static int walk_v6(struct td_walk *c)
{
	uint64_t size64, off, hdr_end, *offs = NULL, *sizes = NULL;
	uint32_t n, m, i, j, size32;
	const struct checked *k;
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
		return td_corrupt(c, "%u CPUs", n);
	c->p->nr_cpus = (int)n;
	for (;;) {
		if ((ret = fl_cursor_str(&c->cur, name, sizeof(name), "section name")) < 0)
			return ret;
		if (!strcmp(name, TRACEDAT_OPTIONS)) {
			if ((ret = td_options(c)) < 0)
				return ret;
			continue;
		}
		if (!strcmp(name, TRACEDAT_LATENCY))	/* libtracecmd 3.1.6 crashes iterating it */
			return td_corrupt(c, "a latency tracer's text trace, not a recording of events");
		if (!strcmp(name, TRACEDAT_FLYRECORD))
			break;
		snprintf(c->p->why, sizeof(c->p->why), "unknown section \"%s\"", name);
		return -2;
	}
	offs = calloc(c->p->nr_cpus + 1, sizeof(*offs));
	sizes = calloc(c->p->nr_cpus + 1, sizeof(*sizes));
	if (!offs || !sizes) {
		ret = td_nomem(c);
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
			ret = td_corrupt(c, "CPU %d data (offset %" PRIu64 ", %" PRIu64 " bytes) is not "
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
	if ((ret = check_ranges(c, offs, sizes)) < 0)
		goto out;
	hdr_end = c->cur.pos;
	ret = -1;
	if (c->header_only) {
		ret = 0;
		goto out;
	}
	if (c->st && (k = was_checked(c->st))) {
		ret = recall_checked(k, c->p);
		goto out;
	}
	c->p->cpu_events = calloc(c->p->nr_cpus + 1, sizeof(*c->p->cpu_events));
	c->shortest = calloc(TRACEDAT_MAX_EVENT_ID + 1, sizeof(*c->shortest));
	c->after_loss = calloc(TRACEDAT_MAX_EVENT_ID + 1, sizeof(*c->after_loss));
	if (!c->shortest || !c->after_loss || !c->p->cpu_events) {
		ret = td_nomem(c);
		goto out;
	}
	c->label = "";
	c->events = c->p->cpu_events;
	if ((ret = td_check_cpus(c, offs, sizes)) < 0)
		goto out;
	if ((ret = td_check_buffers(c, hdr_end, offs, sizes)) < 0 || (ret = td_check_seen(c)) < 0)
		goto out;
	if ((ret = try_open(c)) < 0 || (ret = td_check_lengths(c)) < 0)
		goto out;
	ret = c->st ? remember_checked(c->st, c->p) : 0;
	if (ret < 0)
		td_nomem(c);
out:
	if (!ret && !c->header_only) {
		/* where each CPU's data is: the page reader's (pageread.h) */
		c->p->cpu_offset = offs;
		c->p->cpu_size = sizes;
		offs = sizes = NULL;
	}
	free(offs);
	free(sizes);
	free(c->need);
	free(c->shortest);
	free(c->after_loss);
	free(c->seen);
	c->seen = NULL;
	c->nr_seen = c->cap_seen = 0;
	c->need = c->shortest = NULL;
	c->after_loss = NULL;
	return ret;
}

/*
 * Everything after the endian byte, read as @swap says.  Returns 0, -1
 * (truncated), -2 (corrupt) or -3 (out of memory), with p->why set.
 */
static int walk(int fd, const struct stat *st, struct fl_tdcheck *p, bool swap, uint8_t lsize)
{
	struct td_walk c = {
		.cur = { .fd = fd, .size = p->file_size, .swap = swap,
			 .why = p->why, .why_len = sizeof(p->why) },
		.st = st, .p = p, .header_only = !st,
	};

	/* magic, version, endian byte and long size are behind */
	c.cur.pos = TRACEDAT_MAGIC_LEN + strlen(p->version == 6 ? "6" : "7") + 1 + 2;
	p->long_size = lsize;
	if (lsize != 4 && lsize != 8)
		return td_corrupt(&c, "long size %u", lsize);
	if (fl_cursor_u32(&c.cur, &p->page_size, "page size") < 0)
		return -1;
	if (p->page_size < TRACEDAT_MIN_PAGE_SIZE || p->page_size > TRACEDAT_MAX_PAGE_SIZE ||
	    (p->page_size & (p->page_size - 1)))
		return td_corrupt(&c, "page size %u", p->page_size);
	if (p->version != 6) {
		int ret = 0;

		/* sections are not walked: libtracecmd's open and read are tried */
		if (st && !was_checked(st)) {
			ret = try_open(&c);
			if (!ret)
				ret = remember_checked(st, p);
			if (ret == -3)
				td_nomem(&c);
		}
		free(c.need);
		return ret;
	}
	{
		int ret = walk_v6(&c);

		free(c.bufs);
		return ret;
	}
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
	if (ret < 0)
		fl_tdcheck_free(p);	/* counts only of a file that is read */
	if (ret == -3)
		return FL_TDCHECK_NOMEM;
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
