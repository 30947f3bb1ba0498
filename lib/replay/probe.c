// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * trace.dat header walk (version 6 layout, see lib/record/tracedat.h); for
 * version 7 only the magic and version are checked here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

static const char magic[] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g' };

struct cursor {
	int fd;
	uint64_t pos, size;
	bool swap;
	struct fl_probe *p;
};

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

static int options(struct cursor *c)
{
	for (;;) {
		uint16_t id;
		uint32_t size;
		char *buf;

		if (rd_u16(c, &id, "option id") < 0)
			return -1;
		if (!id)
			return 0;
		if (rd_u32(c, &size, "option size") < 0)
			return -1;
		if (need(c, size, "option data") < 0)
			return -1;
		if (id == 2 || id == 4 || id == 5) {	/* CPUSTAT, TRACECLOCK, UNAME */
			buf = calloc(1, size + 1);
			if (!buf || rd(c, buf, size, "option data") < 0) {
				free(buf);
				return -1;
			}
			if (id == 2) {
				cpustat(c->p, buf);
			} else if (id == 5) {
				snprintf(c->p->uname, sizeof(c->p->uname), "%s", buf);
			} else {
				char *o = strchr(buf, '['), *e = o ? strchr(o, ']') : NULL;

				if (o && e)
					snprintf(c->p->clock, sizeof(c->p->clock), "%.*s",
						 (int)(e - o - 1), o + 1);
			}
			free(buf);
		} else {
			c->pos += size;
		}
	}
}

static int walk_v6(struct cursor *c)
{
	uint64_t size64, off;
	uint32_t n, m, i, j, size32;
	char name[128];
	int ret, cpu;

	if ((ret = expect_str(c, "header_page", "header_page")) < 0 ||
	    rd_u64(c, &size64, "header_page size") < 0 || skip(c, size64, "header_page") < 0)
		return ret < 0 ? ret : -1;
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
	    rd_u32(c, &size32, "printk_formats size") < 0 || skip(c, size32, "printk_formats") < 0 ||
	    rd_u64(c, &size64, "saved cmdlines size") < 0 || skip(c, size64, "saved cmdlines") < 0 ||
	    rd_u32(c, &n, "cpu count") < 0)
		return -1;
	c->p->nr_cpus = (int)n;
	for (;;) {
		if ((ret = rd_str(c, name, sizeof(name), "section name")) < 0)
			return ret;
		if (!strcmp(name, "options  ")) {
			if (options(c) < 0)
				return -1;
			continue;
		}
		if (!strcmp(name, "latency  ")) {
			c->p->data_end = c->size;
			return 0;
		}
		if (!strcmp(name, "flyrecord"))
			break;
		snprintf(c->p->why, sizeof(c->p->why), "unknown section \"%s\"", name);
		return -2;
	}
	for (cpu = 0; cpu < c->p->nr_cpus; cpu++) {
		if (rd_u64(c, &off, "cpu data offset") < 0 || rd_u64(c, &size64, "cpu data size") < 0)
			return -1;
		if (size64 && off + size64 > c->p->data_end)
			c->p->data_end = off + size64;
	}
	if (c->p->data_end > c->size) {
		snprintf(c->p->why, sizeof(c->p->why),
			 "CPU data ends at %" PRIu64 ", the file has %" PRIu64 " bytes",
			 c->p->data_end, c->size);
		return -1;
	}
	return 0;
}

enum fl_probe_result fl_probe_file(int fd, struct fl_probe *p)
{
	struct cursor c = { .fd = fd, .p = p };
	char head[12], ver[8];
	uint8_t endian, lsize;
	struct stat st;
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
	p->big_endian = endian;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	c.swap = p->big_endian;
#else
	c.swap = !p->big_endian;
#endif
	p->long_size = lsize;
	if (lsize != 4 && lsize != 8) {
		snprintf(p->why, sizeof(p->why), "long size %u", lsize);
		return FL_PROBE_CORRUPT;
	}
	if (rd_u32(&c, &p->page_size, "page size") < 0)
		return FL_PROBE_TRUNCATED;
	if (p->page_size < 64 || p->page_size > (1U << 24) || (p->page_size & (p->page_size - 1))) {
		snprintf(p->why, sizeof(p->why), "page size %u", p->page_size);
		return FL_PROBE_CORRUPT;
	}
	if (p->version != 6)
		return FL_PROBE_OK;
	ret = walk_v6(&c);
	if (ret == -1)
		return FL_PROBE_TRUNCATED;
	if (ret < 0)
		return FL_PROBE_CORRUPT;
	return FL_PROBE_OK;
}
