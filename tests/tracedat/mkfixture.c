// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkfixture - turn a text description into a trace.dat (version 6).
 *
 * Usage: mkfixture DESC OUT.dat
 *
 * One directive a line; '#' starts a comment (a whole line, or a word
 * outside quotes).  Paths are relative to the description file.
 *
 *   page_size 4096
 *   cpus 2
 *   uname TEXT...                       UNAME option (rest of the line)
 *   version TEXT...                     VERSION option (rest of the line)
 *   clock mono                          TRACECLOCK option: "local global ... [mono] ..."
 *   header_page PATH / header_event PATH
 *   format SYSTEM PATH                  an event format file ("ftrace" for print)
 *   printk PATH                         printk_formats text
 *   printk_line 0xADDR [:] "text"       one printk_formats line
 *   cmdline PID COMM
 *   cpustat CPU overrun=N [dropped=N] [read=N] [entries=N] [commit_overrun=N] [bytes=N]
 *   missed CPU COUNT                    lost events before the next event on CPU
 *   @TS CPU PID SYSTEM:EVENT field=value ...
 *
 * Defaults: page_size 4096, cpus 1, tests/data/header_page and
 * header_event, no clock/uname/version option.  One CPUSTAT option per cpu
 * is always written (zeros where no cpustat line says otherwise).
 *
 * Field values: decimal, 0x hex, negative, true/false (bool), or a
 * "quoted string" (\" \\ \n \t escapes) for char[N], __data_loc char[] and
 * trailing char[] fields.  Values must fit the field: unsigned fields take
 * no negative value, signed fields take decimals in range or any 0x bit
 * pattern of their size.  Fields not given are 0 or empty; common_type and
 * common_pid come from the event line, common_flags and
 * common_preempt_count may be given.  Fields are placed by name with
 * libtraceevent's parse of the format files; __data_loc strings follow the
 * fixed part (sizeof the kernel's struct) in field order, as the kernel
 * lays them out.
 *
 * Events must be in time order on each cpu.  "missed CPU N" makes the next
 * event of that cpu start a new page flagged with N lost events (trace-cmd
 * shows "CPU:n [N EVENTS DROPPED]"); it must be followed by an event.
 *
 * Errors are one line, "DESC:LINE: message", exit status 1, and OUT.dat is
 * not left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <endian.h>
#include <traceevent/event-parse.h>

#include "tracedat/ringpage.h"
#include "tracedat/write.h"

#ifndef FIXTURE_DATA_DIR
#define FIXTURE_DATA_DIR "tests/data"
#endif

#define MAX_CPUS	4096

struct strbuf {
	char		*buf;
	size_t		len;
};

struct token {
	char		*text;		/* unescaped */
	int		quote_at;	/* index in text where a quoted part began, or -1 */
};

struct fx_format {
	char		*system;
	char		*text;
	size_t		len;
};

struct fx_item {			/* an event or a loss, in description order */
	int		line;
	int		cpu;
	bool		missed;
	unsigned long	count;
	uint64_t	ts;
	void		*payload;
	size_t		len;
};

struct fx_cpustat {
	bool		set;
	int		line;
	unsigned long long entries, overrun, commit_overrun, bytes, dropped, read;
};

struct fixture {
	const char	*desc;
	char		*dir;
	int		line;

	unsigned int	page_size;
	bool		page_size_set;
	int		cpus;
	bool		cpus_set;
	char		*uname;
	char		*version;
	char		*clock;

	struct strbuf	header_page;
	struct strbuf	header_event;
	bool		header_page_set;
	bool		header_event_set;

	struct tep_handle *tep;
	struct fx_format *formats;
	int		nr_formats;

	struct strbuf	printk;
	struct strbuf	cmdlines;

	struct fx_cpustat *stats;
	int		nr_stats;

	struct fx_item	*items;
	int		nr_items;

	uint64_t	*last_ts;	/* per cpu index seen so far */
	bool		*has_ts;
	int		nr_last;
};

static const char *out_path;

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(struct fixture *fx, const char *fmt, ...)
{
	va_list ap;

	if (fx->line)
		fprintf(stderr, "%s:%d: ", fx->desc, fx->line);
	else
		fprintf(stderr, "%s: ", fx->desc);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (out_path)
		unlink(out_path);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "mkfixture: out of memory\n");
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		fprintf(stderr, "mkfixture: out of memory\n");
		exit(1);
	}
	return d;
}

static void sb_add(struct strbuf *sb, const void *data, size_t len)
{
	sb->buf = xrealloc(sb->buf, sb->len + len + 1);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fprintf(stderr, "mkfixture: out of memory\n");
		exit(1);
	}
	sb_add(sb, s, n);
	free(s);
}

static char *resolve(struct fixture *fx, const char *path)
{
	char *full;

	if (path[0] == '/')
		return xstrdup(path);
	if (asprintf(&full, "%s/%s", fx->dir, path) < 0) {
		fprintf(stderr, "mkfixture: out of memory\n");
		exit(1);
	}
	return full;
}

static void read_file(struct fixture *fx, const char *path, struct strbuf *sb)
{
	char buf[65536];
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail(fx, "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail(fx, "cannot read %s: %s", path, strerror(errno));
		}
		if (!r)
			break;
		sb_add(sb, buf, r);
	}
	close(fd);
}

/*
 * Split a line into words.  A '"' starts a quoted part (escapes \" \\ \n
 * \t) that may be glued to the word before it (field="a b").  A word
 * starting with '#' outside quotes ends the line.
 */
static int tokenize(struct fixture *fx, const char *line, struct token **out)
{
	struct token *toks = NULL;
	const char *p = line;
	struct strbuf w;
	int nr = 0;
	int quote_at;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			break;
		memset(&w, 0, sizeof(w));
		sb_add(&w, "", 0);
		quote_at = -1;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p != '"') {
				sb_add(&w, p++, 1);
				continue;
			}
			if (quote_at >= 0)
				fail(fx, "only one quoted string per word");
			quote_at = w.len;
			p++;
			while (*p && *p != '"') {
				char c = *p++;

				if (c == '\\') {
					switch (*p) {
					case 'n':
						c = '\n';
						break;
					case 't':
						c = '\t';
						break;
					case '\\':
					case '"':
						c = *p;
						break;
					default:
						fail(fx, "unknown escape '\\%c' in string", *p ? *p : ' ');
					}
					p++;
				}
				sb_add(&w, &c, 1);
			}
			if (*p != '"')
				fail(fx, "unterminated string");
			p++;
			if (*p && *p != ' ' && *p != '\t')
				fail(fx, "text after a closing quote");
		}
		toks = xrealloc(toks, (nr + 1) * sizeof(*toks));
		toks[nr].text = w.buf;
		toks[nr].quote_at = quote_at;
		nr++;
	}
	*out = toks;
	return nr;
}

static void free_tokens(struct token *toks, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		free(toks[i].text);
	free(toks);
}

/* Rest of a line after the directive word, trimmed, as the text of an option. */
static char *rest_of_line(struct fixture *fx, const char *line, const char *what)
{
	const char *p = line;
	size_t n;

	while (*p == ' ' || *p == '\t')
		p++;
	p += strcspn(p, " \t");
	while (*p == ' ' || *p == '\t')
		p++;
	n = strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	if (!n)
		fail(fx, "%s needs a text", what);
	return strndup(p, n);
}

static bool parse_u64(const char *s, unsigned long long *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		*v = strtoull(s + 2, &end, 16);
	else
		*v = strtoull(s, &end, 10);
	if (errno || *end || end == s || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !s[2]))
		return false;
	return true;
}

static unsigned long long want_u64(struct fixture *fx, const char *s, const char *what)
{
	unsigned long long v;

	if (!parse_u64(s, &v))
		fail(fx, "%s: '%s' is not a number", what, s);
	return v;
}

static int want_cpu(struct fixture *fx, const char *s)
{
	unsigned long long v = want_u64(fx, s, "cpu");

	if (v >= MAX_CPUS)
		fail(fx, "cpu %llu out of range", v);
	return (int)v;
}

/* Number in a field: decimal, 0x hex, negative, or true/false. */
static bool parse_value(const char *s, bool *neg, unsigned long long *mag)
{
	*neg = false;
	if (!strcmp(s, "true")) {
		*mag = 1;
		return true;
	}
	if (!strcmp(s, "false")) {
		*mag = 0;
		return true;
	}
	if (*s == '-') {
		*neg = true;
		s++;
	}
	return parse_u64(s, mag);
}

/* ---- directives ---- */

static void dir_format(struct fixture *fx, struct token *t, int nr)
{
	struct strbuf sb = { 0 };
	struct tep_event *event;
	enum tep_errno err;
	char errbuf[256];
	char *path, *p;
	long id;

	if (nr != 3)
		fail(fx, "usage: format SYSTEM PATH");
	path = resolve(fx, t[2].text);
	read_file(fx, path, &sb);
	if (!sb.len)
		fail(fx, "format file %s is empty", path);

	p = strstr(sb.buf, "\nID: ");
	if (!p)
		fail(fx, "format file %s has no 'ID:' line", path);
	id = strtol(p + 5, NULL, 10);
	event = tep_find_event(fx->tep, id);
	if (event)
		fail(fx, "format %s: event id %ld is already used by %s:%s",
		     path, id, event->system, event->name);
	p = strncmp(sb.buf, "name: ", 6) ? NULL : sb.buf + 6;
	if (p) {
		char name[256];

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(p, "\n"), p);
		if (tep_find_event_by_name(fx->tep, t[1].text, name))
			fail(fx, "format %s: %s:%s is given twice", path, t[1].text, name);
	}

	err = tep_parse_event(fx->tep, sb.buf, sb.len, t[1].text);
	if (err) {
		tep_strerror(fx->tep, err, errbuf, sizeof(errbuf));
		fail(fx, "cannot parse format %s: %s", path, errbuf);
	}
	fx->formats = xrealloc(fx->formats, (fx->nr_formats + 1) * sizeof(*fx->formats));
	fx->formats[fx->nr_formats].system = xstrdup(t[1].text);
	fx->formats[fx->nr_formats].text = sb.buf;
	fx->formats[fx->nr_formats].len = sb.len;
	fx->nr_formats++;
	free(path);
}

static void dir_header(struct fixture *fx, struct token *t, int nr,
		       struct strbuf *sb, bool *set, const char *what)
{
	char *path;

	if (nr != 2)
		fail(fx, "usage: %s PATH", what);
	if (*set)
		fail(fx, "%s is given twice", what);
	path = resolve(fx, t[1].text);
	read_file(fx, path, sb);
	*set = true;
	free(path);
}

static void dir_printk_line(struct fixture *fx, struct token *t, int nr)
{
	unsigned long long addr;
	int s = 2;

	if (nr == 4 && !strcmp(t[2].text, ":"))
		s = 3;
	if (nr != s + 1 || t[s].quote_at != 0)
		fail(fx, "usage: printk_line 0xADDRESS \"text\"");
	if (strncmp(t[1].text, "0x", 2) || !parse_u64(t[1].text, &addr))
		fail(fx, "printk_line: '%s' is not a 0x address", t[1].text);
	if (strchr(t[s].text, '\n') || strchr(t[s].text, '"'))
		fail(fx, "printk_line: the text may not hold a newline or a quote");
	if (fx->printk.len && fx->printk.buf[fx->printk.len - 1] != '\n')
		sb_add(&fx->printk, "\n", 1);
	sb_printf(&fx->printk, "0x%llx : \"%s\"\n", addr, t[s].text);
}

static void dir_cmdline(struct fixture *fx, struct token *t, int nr)
{
	unsigned long long pid;

	if (nr != 3)
		fail(fx, "usage: cmdline PID COMM");
	pid = want_u64(fx, t[1].text, "cmdline pid");
	if (pid > INT_MAX)
		fail(fx, "cmdline pid %llu out of range", pid);
	if (!t[2].text[0] || strchr(t[2].text, '\n'))
		fail(fx, "cmdline: bad comm");
	sb_printf(&fx->cmdlines, "%llu %s\n", pid, t[2].text);
}

static struct fx_cpustat *cpustat_of(struct fixture *fx, int cpu)
{
	if (cpu >= fx->nr_stats) {
		fx->stats = xrealloc(fx->stats, (cpu + 1) * sizeof(*fx->stats));
		memset(fx->stats + fx->nr_stats, 0,
		       (cpu + 1 - fx->nr_stats) * sizeof(*fx->stats));
		fx->nr_stats = cpu + 1;
	}
	return &fx->stats[cpu];
}

static void dir_cpustat(struct fixture *fx, struct token *t, int nr)
{
	struct fx_cpustat *st;
	unsigned long long *v;
	char *eq;
	int cpu, i;

	if (nr < 2)
		fail(fx, "usage: cpustat CPU overrun=N [dropped=N] [read=N] [entries=N]");
	cpu = want_cpu(fx, t[1].text);
	st = cpustat_of(fx, cpu);
	if (st->set)
		fail(fx, "cpustat for cpu %d is given twice (line %d)", cpu, st->line);
	st->set = true;
	st->line = fx->line;
	for (i = 2; i < nr; i++) {
		eq = strchr(t[i].text, '=');
		if (!eq)
			fail(fx, "cpustat: '%s' is not KEY=N", t[i].text);
		*eq = '\0';
		if (!strcmp(t[i].text, "overrun"))
			v = &st->overrun;
		else if (!strcmp(t[i].text, "dropped"))
			v = &st->dropped;
		else if (!strcmp(t[i].text, "read"))
			v = &st->read;
		else if (!strcmp(t[i].text, "entries"))
			v = &st->entries;
		else if (!strcmp(t[i].text, "commit_overrun"))
			v = &st->commit_overrun;
		else if (!strcmp(t[i].text, "bytes"))
			v = &st->bytes;
		else
			fail(fx, "cpustat: unknown key '%s'", t[i].text);
		*v = want_u64(fx, eq + 1, t[i].text);
	}
}

static void check_time(struct fixture *fx, int cpu, uint64_t ts)
{
	if (cpu >= fx->nr_last) {
		fx->last_ts = xrealloc(fx->last_ts, (cpu + 1) * sizeof(*fx->last_ts));
		fx->has_ts = xrealloc(fx->has_ts, (cpu + 1) * sizeof(*fx->has_ts));
		memset(fx->has_ts + fx->nr_last, 0, (cpu + 1 - fx->nr_last) * sizeof(bool));
		fx->nr_last = cpu + 1;
	}
	if (fx->has_ts[cpu] && ts < fx->last_ts[cpu])
		fail(fx, "event at %" PRIu64 " on cpu %d is before the previous one on that cpu (%" PRIu64 ")",
		     ts, cpu, fx->last_ts[cpu]);
	fx->has_ts[cpu] = true;
	fx->last_ts[cpu] = ts;
}

static struct fx_item *new_item(struct fixture *fx)
{
	struct fx_item *it;

	fx->items = xrealloc(fx->items, (fx->nr_items + 1) * sizeof(*fx->items));
	it = &fx->items[fx->nr_items++];
	memset(it, 0, sizeof(*it));
	it->line = fx->line;
	return it;
}

static void dir_missed(struct fixture *fx, struct token *t, int nr)
{
	struct fx_item *it;
	unsigned long long count;

	if (nr != 3)
		fail(fx, "usage: missed CPU COUNT");
	it = new_item(fx);
	it->cpu = want_cpu(fx, t[1].text);
	count = want_u64(fx, t[2].text, "missed count");
	if (!count || count > ULONG_MAX)
		fail(fx, "missed count must be at least 1");
	it->missed = true;
	it->count = count;
}

/* ---- event payloads ---- */

struct assign {
	struct tep_format_field	*field;
	const struct token	*tok;
	const char		*value;
	bool			is_string;
};

static bool is_char_array(struct tep_format_field *f)
{
	return (f->flags & TEP_FIELD_IS_ARRAY) && f->elementsize <= 1 &&
		strstr(f->type, "char");
}

static unsigned int field_align(struct tep_format_field *f)
{
	unsigned int a;

	if (f->flags & TEP_FIELD_IS_DYNAMIC)
		return 4;
	if (f->flags & TEP_FIELD_IS_ARRAY)
		a = f->elementsize ? f->elementsize : 1;
	else
		a = f->size;
	if (a > 8)
		a = 8;
	return a ? a : 1;
}

static void put_number(struct fixture *fx, unsigned char *buf,
		       struct tep_format_field *f, const char *value)
{
	unsigned long long mag, max;
	bool neg, is_signed;
	unsigned int bits;
	uint64_t v;

	if (!parse_value(value, &neg, &mag))
		fail(fx, "field %s: '%s' is not a number", f->name, value);
	if ((!strcmp(value, "true") || !strcmp(value, "false")) && strcmp(f->type, "bool"))
		fail(fx, "field %s: true/false only for bool fields", f->name);
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8)
		fail(fx, "field %s: cannot store a number in %d bytes", f->name, f->size);
	bits = f->size * 8;
	max = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
	is_signed = f->flags & TEP_FIELD_IS_SIGNED;
	if (neg) {
		if (!is_signed)
			fail(fx, "field %s is unsigned: %s", f->name, value);
		if (mag > (1ULL << (bits - 1)))
			fail(fx, "field %s: %s does not fit %u bits", f->name, value, bits);
		v = -(uint64_t)mag;
	} else {
		/* a signed field takes hex bit patterns, but decimals only in range */
		if (is_signed && strncmp(value, "0x", 2) && strncmp(value, "0X", 2))
			max >>= 1;
		if (mag > max)
			fail(fx, "field %s: %s does not fit %u bits", f->name, value, bits);
		v = mag;
	}
	switch (f->size) {
	case 1: {
		uint8_t x = v;

		memcpy(buf + f->offset, &x, 1);
		break;
	}
	case 2: {
		uint16_t x = v;

		memcpy(buf + f->offset, &x, 2);
		break;
	}
	case 4: {
		uint32_t x = v;

		memcpy(buf + f->offset, &x, 4);
		break;
	}
	default:
		memcpy(buf + f->offset, &v, 8);
		break;
	}
}

static void set_u32(unsigned char *buf, int offset, uint32_t v)
{
	memcpy(buf + offset, &v, 4);
}

static void build_payload(struct fixture *fx, struct fx_item *it, struct tep_event *event,
			  int pid, struct token *t, int nr)
{
	struct tep_format_field *f, *flex = NULL;
	struct assign *as = NULL;
	struct strbuf dyn = { 0 };
	unsigned char *buf;
	unsigned int align = 1, a;
	size_t end = 0, fixed, total;
	int nr_as = 0, i, j;
	char *eq;

	/* Fixed part: as big as the kernel's struct, dynamic data after it. */
	for (f = event->format.common_fields; f; f = f->next) {
		end = end > (size_t)(f->offset + f->size) ? end : (size_t)(f->offset + f->size);
		a = field_align(f);
		align = a > align ? a : align;
	}
	for (f = event->format.fields; f; f = f->next) {
		if ((f->flags & TEP_FIELD_IS_ARRAY) && !f->size &&
		    !(f->flags & TEP_FIELD_IS_DYNAMIC)) {
			if (f->next)
				fail(fx, "%s:%s: trailing array %s is not the last field",
				     event->system, event->name, f->name);
			flex = f;
		}
		end = end > (size_t)(f->offset + f->size) ? end : (size_t)(f->offset + f->size);
		a = field_align(f);
		align = a > align ? a : align;
	}
	fixed = (end + align - 1) & ~(size_t)(align - 1);

	for (i = 4; i < nr; i++) {
		eq = strchr(t[i].text, '=');
		if (!eq || eq == t[i].text)
			fail(fx, "'%s' is not field=value", t[i].text);
		*eq = '\0';
		f = tep_find_any_field(event, t[i].text);
		if (!f)
			fail(fx, "%s:%s has no field '%s'", event->system, event->name, t[i].text);
		if (!strcmp(f->name, "common_type") || !strcmp(f->name, "common_pid"))
			fail(fx, "%s is set from the event line, not as a field", f->name);
		for (j = 0; j < nr_as; j++)
			if (as[j].field == f)
				fail(fx, "field %s is given twice", f->name);
		as = xrealloc(as, (nr_as + 1) * sizeof(*as));
		as[nr_as].field = f;
		as[nr_as].tok = &t[i];
		as[nr_as].value = eq + 1;
		as[nr_as].is_string = t[i].quote_at == (int)(eq + 1 - t[i].text);
		if (t[i].quote_at >= 0 && !as[nr_as].is_string)
			fail(fx, "field %s: a string value must be quoted whole", f->name);
		nr_as++;
	}

	/* Dynamic strings, in field order, as the kernel appends them. */
	buf = calloc(1, fixed);
	if (!buf)
		fail(fx, "out of memory");
	for (f = event->format.fields; f; f = f->next) {
		const char *s = "";
		uint32_t loc, len, off;

		if (!(f->flags & TEP_FIELD_IS_DYNAMIC))
			continue;
		if (!is_char_array(f))
			fail(fx, "%s:%s: dynamic field %s is not a char array (unsupported)",
			     event->system, event->name, f->name);
		if (f->size != 4)
			fail(fx, "%s:%s: dynamic field %s is %d bytes, expected 4",
			     event->system, event->name, f->name, f->size);
		for (j = 0; j < nr_as; j++) {
			if (as[j].field != f)
				continue;
			if (!as[j].is_string)
				fail(fx, "field %s needs a \"quoted string\"", f->name);
			s = as[j].value;
		}
		len = strlen(s) + 1;
		off = fixed + dyn.len;
		if (len > 0xffff || off > 0xffff)
			fail(fx, "field %s: string too long", f->name);
		if (f->flags & TEP_FIELD_IS_RELATIVE)
			loc = (len << 16) | (off - (f->offset + f->size));
		else
			loc = (len << 16) | off;
		set_u32(buf, f->offset, loc);
		sb_add(&dyn, s, len);
	}

	for (j = 0; j < nr_as; j++) {
		f = as[j].field;
		if (f->flags & TEP_FIELD_IS_DYNAMIC || f == flex)
			continue;
		if (f->flags & TEP_FIELD_IS_ARRAY) {
			if (!is_char_array(f))
				fail(fx, "field %s: arrays of %s are not supported", f->name, f->type);
			if (!as[j].is_string)
				fail(fx, "field %s needs a \"quoted string\"", f->name);
			if (strlen(as[j].value) >= (size_t)f->size)
				fail(fx, "field %s: \"%s\" does not fit char[%d] with its NUL",
				     f->name, as[j].value, f->size);
			memcpy(buf + f->offset, as[j].value, strlen(as[j].value));
			continue;
		}
		if (as[j].is_string)
			fail(fx, "field %s is a number, not a string", f->name);
		put_number(fx, buf, f, as[j].value);
	}

	f = tep_find_common_field(event, "common_type");
	if (!f || f->size != 2)
		fail(fx, "%s:%s: no 2-byte common_type", event->system, event->name);
	{
		uint16_t type = event->id;

		memcpy(buf + f->offset, &type, 2);
	}
	f = tep_find_common_field(event, "common_pid");
	if (!f || f->size != 4)
		fail(fx, "%s:%s: no 4-byte common_pid", event->system, event->name);
	set_u32(buf, f->offset, (uint32_t)pid);

	if (flex) {
		const char *s = "";

		for (j = 0; j < nr_as; j++) {
			if (as[j].field != flex)
				continue;
			if (!as[j].is_string)
				fail(fx, "field %s needs a \"quoted string\"", flex->name);
			s = as[j].value;
		}
		if (dyn.len)
			fail(fx, "%s:%s: both a trailing array and dynamic fields (unsupported)",
			     event->system, event->name);
		/* the trailing array starts at its offset, inside the struct padding */
		total = flex->offset + strlen(s) + 1;
		buf = xrealloc(buf, total > fixed ? total : fixed);
		memcpy(buf + flex->offset, s, strlen(s) + 1);
		total = total > fixed ? total : fixed;
	} else {
		total = fixed + dyn.len;
		buf = xrealloc(buf, total);
		if (dyn.len)
			memcpy(buf + fixed, dyn.buf, dyn.len);
	}
	free(dyn.buf);
	free(as);
	it->payload = buf;
	it->len = total;
}

static void dir_event(struct fixture *fx, struct token *t, int nr)
{
	struct tep_event *event;
	struct fx_item *it;
	unsigned long long ts, pid;
	char *colon;
	int cpu;

	if (nr < 4)
		fail(fx, "usage: @TS CPU PID SYSTEM:EVENT field=value ...");
	if (!parse_u64(t[0].text + 1, &ts) || !strncmp(t[0].text + 1, "0x", 2))
		fail(fx, "'%s' is not @TS (nanoseconds)", t[0].text);
	cpu = want_cpu(fx, t[1].text);
	pid = want_u64(fx, t[2].text, "pid");
	if (pid > INT_MAX)
		fail(fx, "pid %llu out of range", pid);
	colon = strchr(t[3].text, ':');
	if (!colon || colon == t[3].text || !colon[1])
		fail(fx, "'%s' is not SYSTEM:EVENT", t[3].text);
	*colon = '\0';
	event = tep_find_event_by_name(fx->tep, t[3].text, colon + 1);
	if (!event)
		fail(fx, "unknown event %s:%s (no format given for it)", t[3].text, colon + 1);
	check_time(fx, cpu, ts);

	it = new_item(fx);
	it->cpu = cpu;
	it->ts = ts;
	build_payload(fx, it, event, (int)pid, t, nr);
}

static void parse_line(struct fixture *fx, char *line)
{
	struct token *t;
	int nr;
	unsigned long long v;

	nr = tokenize(fx, line, &t);
	if (!nr) {
		free(t);
		return;
	}
	if (t[0].quote_at >= 0)
		fail(fx, "a line cannot start with a string");

	if (t[0].text[0] == '@') {
		dir_event(fx, t, nr);
	} else if (!strcmp(t[0].text, "page_size")) {
		if (nr != 2)
			fail(fx, "usage: page_size N");
		if (fx->page_size_set)
			fail(fx, "page_size is given twice");
		v = want_u64(fx, t[1].text, "page_size");
		if (v < 4096 || v > (1 << 20) || (v & (v - 1)))
			fail(fx, "page_size must be a power of two from 4096 to 1048576");
		fx->page_size = v;
		fx->page_size_set = true;
	} else if (!strcmp(t[0].text, "cpus")) {
		if (nr != 2)
			fail(fx, "usage: cpus N");
		if (fx->cpus_set)
			fail(fx, "cpus is given twice");
		v = want_u64(fx, t[1].text, "cpus");
		if (!v || v > MAX_CPUS)
			fail(fx, "cpus must be from 1 to %d", MAX_CPUS);
		fx->cpus = v;
		fx->cpus_set = true;
	} else if (!strcmp(t[0].text, "uname")) {
		if (fx->uname)
			fail(fx, "uname is given twice");
		fx->uname = rest_of_line(fx, line, "uname");
	} else if (!strcmp(t[0].text, "version")) {
		if (fx->version)
			fail(fx, "version is given twice");
		fx->version = rest_of_line(fx, line, "version");
	} else if (!strcmp(t[0].text, "clock")) {
		if (nr != 2 || strpbrk(t[1].text, "[] "))
			fail(fx, "usage: clock NAME");
		if (fx->clock)
			fail(fx, "clock is given twice");
		fx->clock = xstrdup(t[1].text);
	} else if (!strcmp(t[0].text, "header_page")) {
		dir_header(fx, t, nr, &fx->header_page, &fx->header_page_set, "header_page");
	} else if (!strcmp(t[0].text, "header_event")) {
		dir_header(fx, t, nr, &fx->header_event, &fx->header_event_set, "header_event");
	} else if (!strcmp(t[0].text, "format")) {
		dir_format(fx, t, nr);
	} else if (!strcmp(t[0].text, "printk")) {
		char *path;

		if (nr != 2)
			fail(fx, "usage: printk PATH");
		path = resolve(fx, t[1].text);
		if (fx->printk.len && fx->printk.buf[fx->printk.len - 1] != '\n')
			sb_add(&fx->printk, "\n", 1);
		read_file(fx, path, &fx->printk);
		free(path);
	} else if (!strcmp(t[0].text, "printk_line")) {
		dir_printk_line(fx, t, nr);
	} else if (!strcmp(t[0].text, "cmdline")) {
		dir_cmdline(fx, t, nr);
	} else if (!strcmp(t[0].text, "cpustat")) {
		dir_cpustat(fx, t, nr);
	} else if (!strcmp(t[0].text, "missed")) {
		dir_missed(fx, t, nr);
	} else {
		fail(fx, "unknown directive '%s'", t[0].text);
	}
	free_tokens(t, nr);
}

/* ---- output ---- */

/* The kernel's trace_clock list, with @clock selected. */
static char *clock_text(const char *clock)
{
	static const char *const clocks[] = {
		"local", "global", "counter", "uptime", "perf", "mono",
		"mono_raw", "boot", "tai", "x86-tsc",
	};
	struct strbuf sb = { 0 };
	bool found = false;
	size_t i;

	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++)
		found |= !strcmp(clocks[i], clock);
	if (!found)
		sb_printf(&sb, "[%s] ", clock);
	for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
		if (!strcmp(clocks[i], clock))
			sb_printf(&sb, "[%s]", clocks[i]);
		else
			sb_printf(&sb, "%s", clocks[i]);
		sb_add(&sb, i + 1 < sizeof(clocks) / sizeof(clocks[0]) ? " " : "\n", 1);
	}
	return sb.buf;
}

static unsigned long long ns2usecs(uint64_t ns)
{
	return (ns + 500) / 1000;
}

/* "CPU: n\n" + per_cpu/cpuN/stats as kernel/trace/trace.c prints it. */
static char *cpustat_text(struct fixture *fx, int cpu, uint64_t oldest, uint64_t now)
{
	struct fx_cpustat zero = { 0 };
	struct fx_cpustat *st = cpu < fx->nr_stats ? &fx->stats[cpu] : &zero;
	struct strbuf sb = { 0 };
	unsigned long long t;

	sb_printf(&sb, "CPU: %d\n", cpu);
	sb_printf(&sb, "entries: %llu\n", st->entries);
	sb_printf(&sb, "overrun: %llu\n", st->overrun);
	sb_printf(&sb, "commit overrun: %llu\n", st->commit_overrun);
	sb_printf(&sb, "bytes: %llu\n", st->bytes);
	t = ns2usecs(oldest);
	sb_printf(&sb, "oldest event ts: %5llu.%06llu\n", t / 1000000, t % 1000000);
	t = ns2usecs(now);
	sb_printf(&sb, "now ts: %5llu.%06llu\n", t / 1000000, t % 1000000);
	sb_printf(&sb, "dropped events: %llu\n", st->dropped);
	sb_printf(&sb, "read events: %llu\n", st->read);
	return sb.buf;
}

static void add_default_header(struct fixture *fx, struct strbuf *sb, bool *set,
			       const char *name)
{
	char path[PATH_MAX];

	if (*set)
		return;
	snprintf(path, sizeof(path), "%s/%s", FIXTURE_DATA_DIR, name);
	fx->line = 0;
	read_file(fx, path, sb);
	*set = true;
}

static void write_fixture(struct fixture *fx, const char *out_file)
{
	struct ringpage_builder **b;
	struct tracedat_out *out;
	const void *pages;
	uint64_t *oldest, now = 0;
	bool *pending, *seen;
	size_t len;
	char *text;
	int fd, i, cpu;

	add_default_header(fx, &fx->header_page, &fx->header_page_set, "header_page");
	add_default_header(fx, &fx->header_event, &fx->header_event_set, "header_event");

	for (i = 0; i < fx->nr_stats; i++) {
		if (fx->stats[i].set && i >= fx->cpus) {
			fx->line = fx->stats[i].line;
			fail(fx, "cpustat for cpu %d but the trace has %d cpus", i, fx->cpus);
		}
	}

	b = calloc(fx->cpus, sizeof(*b));
	oldest = calloc(fx->cpus, sizeof(*oldest));
	pending = calloc(fx->cpus, sizeof(*pending));
	seen = calloc(fx->cpus, sizeof(*seen));
	if (!b || !oldest || !pending || !seen)
		fail(fx, "out of memory");
	for (cpu = 0; cpu < fx->cpus; cpu++) {
		b[cpu] = ringpage_builder_new(fx->page_size);
		if (!b[cpu])
			fail(fx, "ringpage_builder_new: %s", strerror(errno));
	}
	for (i = 0; i < fx->nr_items; i++) {
		struct fx_item *it = &fx->items[i];

		fx->line = it->line;
		if (it->cpu >= fx->cpus)
			fail(fx, "cpu %d but the trace has %d cpus (see 'cpus')", it->cpu, fx->cpus);
		if (it->missed) {
			ringpage_missed(b[it->cpu], it->count);
			pending[it->cpu] = true;
			continue;
		}
		if (ringpage_add(b[it->cpu], it->ts, it->payload, it->len))
			fail(fx, "event of %zu bytes does not fit a %u-byte page",
			     it->len, fx->page_size);
		if (!seen[it->cpu])
			oldest[it->cpu] = it->ts;
		seen[it->cpu] = true;
		if (it->ts > now)
			now = it->ts;
		pending[it->cpu] = false;
	}
	for (i = fx->nr_items - 1; i >= 0; i--) {
		struct fx_item *it = &fx->items[i];

		if (it->missed && pending[it->cpu]) {
			fx->line = it->line;
			fail(fx, "missed on cpu %d is not followed by an event on that cpu", it->cpu);
		}
	}
	fx->line = 0;

	fd = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fail(fx, "cannot create %s: %s", out_file, strerror(errno));
	out = tracedat_out_new(fd, fx->page_size, 8, fx->cpus);
	if (!out)
		fail(fx, "tracedat_out_new: %s", strerror(errno));
	if (tracedat_out_header_page(out, fx->header_page.buf, fx->header_page.len) ||
	    tracedat_out_header_event(out, fx->header_event.buf, fx->header_event.len))
		fail(fx, "tracedat headers: %s", strerror(errno));
	for (i = 0; i < fx->nr_formats; i++) {
		if (tracedat_out_add_format(out, fx->formats[i].system,
					    fx->formats[i].text, fx->formats[i].len))
			fail(fx, "tracedat_out_add_format: %s", strerror(errno));
	}
	if (tracedat_out_kallsyms(out, "", 0) ||
	    tracedat_out_printk_formats(out, fx->printk.buf, fx->printk.len) ||
	    tracedat_out_cmdlines(out, fx->cmdlines.buf, fx->cmdlines.len))
		fail(fx, "tracedat metadata: %s", strerror(errno));

	if (fx->clock) {
		text = clock_text(fx->clock);
		if (tracedat_out_option(out, TRACEDAT_OPT_TRACECLOCK, text, strlen(text) + 1))
			fail(fx, "clock option: %s", strerror(errno));
		free(text);
	}
	if (fx->uname && tracedat_out_option(out, TRACEDAT_OPT_UNAME, fx->uname,
					     strlen(fx->uname) + 1))
		fail(fx, "uname option: %s", strerror(errno));
	if (fx->version && tracedat_out_option(out, TRACEDAT_OPT_VERSION, fx->version,
					       strlen(fx->version) + 1))
		fail(fx, "version option: %s", strerror(errno));
	for (cpu = 0; cpu < fx->cpus; cpu++) {
		text = cpustat_text(fx, cpu, oldest[cpu], now);
		if (tracedat_out_option(out, TRACEDAT_OPT_CPUSTAT, text, strlen(text) + 1))
			fail(fx, "cpustat option: %s", strerror(errno));
		free(text);
	}

	for (cpu = 0; cpu < fx->cpus; cpu++) {
		pages = ringpage_data(b[cpu], &len);
		if (len && tracedat_out_cpu_mem(out, cpu, pages, len))
			fail(fx, "cpu %d data: %s", cpu, strerror(errno));
	}
	if (tracedat_out_finish(out))
		fail(fx, "writing %s: %s", out_file, strerror(errno));
	if (close(fd))
		fail(fx, "closing %s: %s", out_file, strerror(errno));
	tracedat_out_free(out);
	for (cpu = 0; cpu < fx->cpus; cpu++)
		ringpage_builder_free(b[cpu]);
	free(b);
	free(oldest);
	free(pending);
	free(seen);
	out_path = NULL;
}

static void fixture_free(struct fixture *fx)
{
	int i;

	for (i = 0; i < fx->nr_formats; i++) {
		free(fx->formats[i].system);
		free(fx->formats[i].text);
	}
	free(fx->formats);
	for (i = 0; i < fx->nr_items; i++)
		free(fx->items[i].payload);
	free(fx->items);
	free(fx->header_page.buf);
	free(fx->header_event.buf);
	free(fx->printk.buf);
	free(fx->cmdlines.buf);
	free(fx->stats);
	free(fx->last_ts);
	free(fx->has_ts);
	free(fx->uname);
	free(fx->version);
	free(fx->clock);
	free(fx->dir);
	tep_free(fx->tep);
}

int main(int argc, char **argv)
{
	struct fixture fx = { 0 };
	struct strbuf text = { 0 };
	char *line, *next, *slash;

	if (argc != 3) {
		fprintf(stderr, "usage: mkfixture DESC OUT.dat\n");
		return 2;
	}
	fx.desc = argv[1];
	out_path = argv[2];	/* no stale output survives an error */
	fx.page_size = 4096;
	fx.cpus = 1;
	fx.dir = xstrdup(argv[1]);
	slash = strrchr(fx.dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(fx.dir, ".");

	fx.tep = tep_alloc();
	if (!fx.tep)
		fail(&fx, "tep_alloc failed");
	/*
	 * Only the fields matter here; a print fmt libtraceevent cannot read
	 * (ma_write's TAB) is fixed by the writer, so keep its complaint quiet.
	 */
	tep_set_loglevel(TEP_LOG_NONE);
	tep_set_long_size(fx.tep, 8);
	tep_set_file_bigendian(fx.tep, __BYTE_ORDER == __BIG_ENDIAN ?
			       TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);

	read_file(&fx, argv[1], &text);
	if (text.len && memchr(text.buf, '\0', text.len))
		fail(&fx, "the description holds a NUL byte");

	line = text.buf;
	while (line && *line) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		fx.line++;
		if (line[0] && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		parse_line(&fx, line);
		line = next;
	}

	write_fixture(&fx, argv[2]);
	free(text.buf);
	fixture_free(&fx);
	return 0;
}
