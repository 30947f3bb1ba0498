// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * trace.dat version 6 writer (see write.h for the API).
 *
 * The reader this must satisfy is trace-cmd 3.1.6's lib/trace-cmd/
 * trace-input.c (read_headers_v6(), handle_options(), init_data_v6()).
 * Points that are not in the .v6.5 document, mirrored from trace-cmd's
 * writer (trace-output.c) or forced by the reader:
 * - "options  \0" is always written, even with no option, and the list
 *   ends with a u16 0 (no size after it);
 * - after the flyrecord offsets, when a TRACECLOCK option was written, the
 *   reader takes a u64 length and the text "[clock]" (the selected clock
 *   only, no NUL), as save_clock() writes it;
 * - every CPU's data starts on a page_size boundary; an empty CPU gets
 *   the aligned offset where its data would have started and size 0;
 * - string options (UNAME, VERSION, TRACECLOCK, DATE, OFFSET, HOOK) are
 *   strdup()ed / strtok()ed by the reader: they must end in a NUL;
 * - CPUSTAT: the reader overwrites the last byte with '\n' and concatenates
 *   all CPUSTAT options, so each must end in a NUL and be non-empty;
 * - CPUCOUNT changes how many offset/size pairs the reader takes after
 *   "flyrecord", so it must equal the writer's CPU count.
 *
 * Event formats are stored with what libtraceevent cannot read escaped
 * (write-format.c); the bytes reach the file through write-copy.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tracedat/format.h"
#include "tracedat/tracedat-local.h"
#include "tracedat/write.h"

struct td_blob {
	char		*data;
	size_t		len;
	bool		set;
};

struct td_system {
	char		*name;
	struct td_blob	*formats;
	int		nr_formats;
};

struct td_option {
	uint16_t	id;
	uint32_t	size;
	void		*data;
};

struct tracedat_out {
	int		fd;
	unsigned int	page_size;
	int		long_size;
	int		nr_cpus;

	struct td_blob	header_page;
	struct td_blob	header_event;
	struct td_blob	kallsyms;
	struct td_blob	printk;
	struct td_blob	cmdlines;

	struct td_blob	*ftrace;
	int		nr_ftrace;
	struct td_system *systems;
	int		nr_systems;

	struct td_option *options;
	int		nr_options;
	char		*clock;		/* selected clock of the last TRACECLOCK */

	struct td_cpu	*cpus;
	/* one named buffer (tracedat_out_buffer_mem()): its CPUs, its offset */
	char		*buf_name;
	struct td_cpu	*buf_cpus;
	uint64_t	buf_offset;
	size_t		buf_opt_pos;	/* where the BUFFER option's offset is */
	uint64_t	size;
	bool		finished;
};

/* A growing memory buffer for the metadata part of the file. */
struct td_mem {
	char		*buf;
	size_t		len;
	size_t		alloc;
	bool		failed;
};

static void mem_put(struct td_mem *m, const void *data, size_t len)
{
	size_t n;
	char *buf;

	if (m->failed || !len)
		return;
	if (m->len + len > m->alloc) {
		n = m->alloc ? m->alloc : 4096;
		while (n < m->len + len)
			n *= 2;
		buf = realloc(m->buf, n);
		if (!buf) {
			m->failed = true;
			return;
		}
		m->buf = buf;
		m->alloc = n;
	}
	memcpy(m->buf + m->len, data, len);
	m->len += len;
}

static void mem_u16(struct td_mem *m, uint16_t v)
{
	mem_put(m, &v, sizeof(v));
}

static void mem_u32(struct td_mem *m, uint32_t v)
{
	mem_put(m, &v, sizeof(v));
}

static void mem_u64(struct td_mem *m, uint64_t v)
{
	mem_put(m, &v, sizeof(v));
}

static int blob_set(struct td_blob *b, const char *buf, size_t len)
{
	char *copy = NULL;

	if (len && !buf) {
		errno = EINVAL;
		return -1;
	}
	if (len) {
		copy = malloc(len);
		if (!copy)
			return -1;
		memcpy(copy, buf, len);
	}
	free(b->data);
	b->data = copy;
	b->len = len;
	b->set = true;
	return 0;
}

static int blob_push(struct td_blob **arr, int *nr, const char *buf, size_t len)
{
	struct td_blob *n;

	n = realloc(*arr, (*nr + 1) * sizeof(**arr));
	if (!n)
		return -1;
	*arr = n;
	memset(&n[*nr], 0, sizeof(n[*nr]));
	if (blob_set(&n[*nr], buf, len))
		return -1;
	(*nr)++;
	return 0;
}

static bool usable(struct tracedat_out *out)
{
	if (!out || out->finished) {
		errno = EINVAL;
		return false;
	}
	return true;
}

struct tracedat_out *tracedat_out_new(int fd, unsigned int page_size,
				      int long_size, int nr_cpus)
{
	struct tracedat_out *out;

	if (fd < 0 || page_size < 64 || (page_size & (page_size - 1)) ||
	    (long_size != 4 && long_size != 8) || nr_cpus <= 0) {
		errno = EINVAL;
		return NULL;
	}
	out = calloc(1, sizeof(*out));
	if (!out)
		return NULL;
	out->cpus = calloc(nr_cpus, sizeof(*out->cpus));
	if (!out->cpus) {
		free(out);
		return NULL;
	}
	out->fd = fd;
	out->page_size = page_size;
	out->long_size = long_size;
	out->nr_cpus = nr_cpus;
	return out;
}

int tracedat_out_header_page(struct tracedat_out *out, const char *buf, size_t len)
{
	if (!usable(out))
		return -1;
	return blob_set(&out->header_page, buf, len);
}

int tracedat_out_header_event(struct tracedat_out *out, const char *buf, size_t len)
{
	if (!usable(out))
		return -1;
	return blob_set(&out->header_event, buf, len);
}

static int push_format(struct td_blob **arr, int *nr, const char *buf, size_t len)
{
	size_t elen;
	char *text;
	int ret;

	text = td_escape_format(buf, len, &elen);
	if (!text)
		return -1;
	ret = blob_push(arr, nr, text, elen);
	free(text);
	return ret;
}

int tracedat_out_add_format(struct tracedat_out *out, const char *system,
			    const char *buf, size_t len)
{
	struct td_system *sys, *n;
	int i;

	if (!usable(out))
		return -1;
	if (!system || !*system || !buf || !len) {
		errno = EINVAL;
		return -1;
	}
	if (!strcmp(system, "ftrace"))
		return push_format(&out->ftrace, &out->nr_ftrace, buf, len);

	for (i = 0; i < out->nr_systems; i++) {
		sys = &out->systems[i];
		if (!strcmp(sys->name, system))
			return push_format(&sys->formats, &sys->nr_formats, buf, len);
	}
	n = realloc(out->systems, (out->nr_systems + 1) * sizeof(*n));
	if (!n)
		return -1;
	out->systems = n;
	sys = &n[out->nr_systems];
	memset(sys, 0, sizeof(*sys));
	sys->name = strdup(system);
	if (!sys->name)
		return -1;
	out->nr_systems++;
	return push_format(&sys->formats, &sys->nr_formats, buf, len);
}

/* A section whose size the file keeps in 32 bits. */
static int blob_set32(struct td_blob *b, const char *buf, size_t len)
{
	if (len > UINT32_MAX) {
		errno = EFBIG;
		return -1;
	}
	return blob_set(b, buf, len);
}

int tracedat_out_kallsyms(struct tracedat_out *out, const char *buf, size_t len)
{
	return usable(out) ? blob_set32(&out->kallsyms, buf, len) : -1;
}

int tracedat_out_printk_formats(struct tracedat_out *out, const char *buf, size_t len)
{
	return usable(out) ? blob_set32(&out->printk, buf, len) : -1;
}

int tracedat_out_cmdlines(struct tracedat_out *out, const char *buf, size_t len)
{
	if (!usable(out))
		return -1;
	return blob_set(&out->cmdlines, buf, len);
}

static bool nul_terminated(const void *data, uint32_t size)
{
	return size && ((const char *)data)[size - 1] == '\0';
}

/* The selected clock of a trace_clock text: "[mono]" in "local [mono] x". */
static char *selected_clock(const char *text)
{
	const char *start, *end;

	start = strchr(text, '[');
	if (start) {
		start++;
		end = strchr(start, ']');
		if (!end)
			return NULL;
	} else {
		start = text + strspn(text, " \t\n");
		end = start + strcspn(start, " \t\n");
	}
	if (end == start)
		return NULL;
	return strndup(start, end - start);
}

int tracedat_out_option(struct tracedat_out *out, uint16_t id,
			const void *data, uint32_t size)
{
	struct td_option *n;
	char *clock = NULL;
	void *copy = NULL;
	int32_t cpus;

	if (!usable(out))
		return -1;
	if (!id || (size && !data) || id == TRACEDAT_OPT_BUFFER ||
	    id == TRACEDAT_OPT_BUFFER_TEXT) {
		errno = EINVAL;
		return -1;
	}
	switch (id) {
	case TRACEDAT_OPT_TRACECLOCK:
		if (!nul_terminated(data, size)) {
			errno = EINVAL;
			return -1;
		}
		clock = selected_clock(data);
		if (!clock) {
			errno = EINVAL;
			return -1;
		}
		break;
	case TRACEDAT_OPT_UNAME:
	case TRACEDAT_OPT_VERSION:
	case TRACEDAT_OPT_DATE:
	case TRACEDAT_OPT_OFFSET:
	case TRACEDAT_OPT_HOOK:
	case TRACEDAT_OPT_CPUSTAT:
		if (!nul_terminated(data, size)) {
			errno = EINVAL;
			return -1;
		}
		break;
	case TRACEDAT_OPT_CPUCOUNT:
		if (size != sizeof(cpus)) {
			errno = EINVAL;
			return -1;
		}
		memcpy(&cpus, data, sizeof(cpus));
		if (cpus != out->nr_cpus) {
			errno = EINVAL;
			return -1;
		}
		break;
	default:
		break;
	}

	n = realloc(out->options, (out->nr_options + 1) * sizeof(*n));
	if (!n)
		goto fail;
	out->options = n;
	if (size) {
		copy = malloc(size);
		if (!copy)
			goto fail;
		memcpy(copy, data, size);
	}
	n[out->nr_options].id = id;
	n[out->nr_options].size = size;
	n[out->nr_options].data = copy;
	out->nr_options++;
	if (clock) {
		free(out->clock);
		out->clock = clock;
	}
	return 0;
fail:
	free(clock);
	return -1;
}

static bool chunk_ok(struct tracedat_out *out, int cpu, size_t len)
{
	if (!usable(out))
		return false;
	if (cpu < 0 || cpu >= out->nr_cpus || len % out->page_size) {
		errno = EINVAL;
		return false;
	}
	return true;
}

int tracedat_out_cpu_mem(struct tracedat_out *out, int cpu, const void *buf, size_t len)
{
	struct td_chunk chunk = { .fd = -1, .len = len };

	if (!chunk_ok(out, cpu, len))
		return -1;
	if (!len)
		return 0;
	if (!buf) {
		errno = EINVAL;
		return -1;
	}
	chunk.mem = malloc(len);
	if (!chunk.mem)
		return -1;
	memcpy(chunk.mem, buf, len);
	if (td_add_chunk(out->cpus, cpu, &chunk)) {
		free(chunk.mem);
		return -1;
	}
	return 0;
}

int tracedat_out_buffer_mem(struct tracedat_out *out, const char *name, int cpu,
			    const void *buf, size_t len)
{
	struct td_chunk chunk = { .fd = -1, .len = len };

	if (!chunk_ok(out, cpu, len))
		return -1;
	if (!name || !*name || (len && !buf) ||
	    (out->buf_name && strcmp(out->buf_name, name))) {
		errno = EINVAL;
		return -1;
	}
	if (!out->buf_name) {
		out->buf_cpus = calloc(out->nr_cpus, sizeof(*out->buf_cpus));
		out->buf_name = out->buf_cpus ? strdup(name) : NULL;
		if (!out->buf_name)
			return -1;
	}
	if (!len)
		return 0;
	chunk.mem = malloc(len);
	if (!chunk.mem)
		return -1;
	memcpy(chunk.mem, buf, len);
	if (td_add_chunk(out->buf_cpus, cpu, &chunk)) {
		free(chunk.mem);
		return -1;
	}
	return 0;
}

int tracedat_out_cpu_fd(struct tracedat_out *out, int cpu, int src_fd,
			off_t offset, size_t len)
{
	return tracedat_out_cpu_fd_move(out, cpu, src_fd, offset, len, false);
}

int tracedat_out_cpu_fd_move(struct tracedat_out *out, int cpu, int src_fd,
			     off_t offset, size_t len, bool release)
{
	struct td_chunk chunk = { .fd = src_fd, .offset = offset, .len = len, .release = release };

	if (!chunk_ok(out, cpu, len))
		return -1;
	if (src_fd < 0 || offset < 0) {
		errno = EINVAL;
		return -1;
	}
	if (!len)
		return 0;
	return td_add_chunk(out->cpus, cpu, &chunk);
}

static void put_metadata(struct tracedat_out *out, struct td_mem *m)
{
	struct td_system *sys;
	struct td_option *opt;
	uint8_t b;
	int i, j;

	mem_put(m, TRACEDAT_MAGIC, TRACEDAT_MAGIC_LEN);
	mem_put(m, TRACEDAT_VERSION, sizeof(TRACEDAT_VERSION));
	b = tracedat_host_big_endian();
	mem_put(m, &b, 1);
	b = out->long_size;
	mem_put(m, &b, 1);
	mem_u32(m, out->page_size);

	mem_put(m, TRACEDAT_HEADER_PAGE, sizeof(TRACEDAT_HEADER_PAGE));
	mem_u64(m, out->header_page.len);
	mem_put(m, out->header_page.data, out->header_page.len);
	mem_put(m, TRACEDAT_HEADER_EVENT, sizeof(TRACEDAT_HEADER_EVENT));
	mem_u64(m, out->header_event.len);
	mem_put(m, out->header_event.data, out->header_event.len);

	mem_u32(m, out->nr_ftrace);
	for (i = 0; i < out->nr_ftrace; i++) {
		mem_u64(m, out->ftrace[i].len);
		mem_put(m, out->ftrace[i].data, out->ftrace[i].len);
	}

	mem_u32(m, out->nr_systems);
	for (i = 0; i < out->nr_systems; i++) {
		sys = &out->systems[i];
		mem_put(m, sys->name, strlen(sys->name) + 1);
		mem_u32(m, sys->nr_formats);
		for (j = 0; j < sys->nr_formats; j++) {
			mem_u64(m, sys->formats[j].len);
			mem_put(m, sys->formats[j].data, sys->formats[j].len);
		}
	}

	mem_u32(m, out->kallsyms.len);
	mem_put(m, out->kallsyms.data, out->kallsyms.len);
	mem_u32(m, out->printk.len);
	mem_put(m, out->printk.data, out->printk.len);
	mem_u64(m, out->cmdlines.len);
	mem_put(m, out->cmdlines.data, out->cmdlines.len);

	mem_u32(m, out->nr_cpus);

	mem_put(m, TRACEDAT_OPTIONS, sizeof(TRACEDAT_OPTIONS));
	for (i = 0; i < out->nr_options; i++) {
		opt = &out->options[i];
		mem_u16(m, opt->id);
		mem_u32(m, opt->size);
		mem_put(m, opt->data, opt->size);
	}
	if (out->buf_name) {
		/* trace-cmd's v6 BUFFER: u64 offset (filled in by finish), name */
		mem_u16(m, TRACEDAT_OPT_BUFFER);
		mem_u32(m, 8 + strlen(out->buf_name) + 1);
		out->buf_opt_pos = m->len;
		mem_u64(m, 0);
		mem_put(m, out->buf_name, strlen(out->buf_name) + 1);
	}
	mem_u16(m, TRACEDAT_OPT_DONE);

	mem_put(m, TRACEDAT_FLYRECORD, sizeof(TRACEDAT_FLYRECORD));
}

/*
 * The named buffer after the top buffer's data, as trace-cmd 3.x reads a
 * v6 instance (tracecmd_buffer_instance_handle()): "flyrecord\0", then
 * per CPU a u64 offset and a u64 size, then its page-aligned data.
 */
static int write_buffer(struct tracedat_out *out, uint64_t pos)
{
	struct td_mem m = { 0 };
	int cpu, ret = -1;

	mem_put(&m, TRACEDAT_FLYRECORD, sizeof(TRACEDAT_FLYRECORD));
	for (cpu = 0; cpu < out->nr_cpus; cpu++) {
		mem_u64(&m, out->buf_cpus[cpu].file_offset);
		mem_u64(&m, out->buf_cpus[cpu].size);
	}
	if (m.failed)
		errno = ENOMEM;
	else if (!td_write_zeros(out->fd, out->buf_offset - pos) &&
		 !td_write_all(out->fd, m.buf, m.len)) {
		pos = out->buf_offset + m.len;
		ret = td_write_cpus(out->fd, out->nr_cpus, out->buf_cpus, &pos);
	}
	free(m.buf);
	return ret;
}

int tracedat_out_finish(struct tracedat_out *out)
{
	struct td_mem m = { 0 };
	uint64_t pos, clock_len = 0;
	int cpu, ret = -1;

	if (!usable(out))
		return -1;
	if (!out->header_page.set || !out->header_event.set) {
		errno = EINVAL;
		return -1;
	}

	put_metadata(out, &m);
	pos = m.len + 16ULL * out->nr_cpus;
	if (out->clock) {
		clock_len = strlen(out->clock) + 2;
		pos += 8 + clock_len;
	}
	/* An empty last CPU may point past the end, as trace-cmd leaves it. */
	out->size = td_place_cpus(out->page_size, out->nr_cpus, out->cpus, pos);
	if (out->buf_name) {
		out->buf_offset = out->size;
		out->size = td_place_cpus(out->page_size, out->nr_cpus, out->buf_cpus, out->size +
				       sizeof(TRACEDAT_FLYRECORD) + 16ULL * out->nr_cpus);
		if (!m.failed)
			memcpy(m.buf + out->buf_opt_pos, &out->buf_offset, 8);
	}

	for (cpu = 0; cpu < out->nr_cpus; cpu++) {
		mem_u64(&m, out->cpus[cpu].file_offset);
		mem_u64(&m, out->cpus[cpu].size);
	}
	if (out->clock) {
		mem_u64(&m, clock_len);
		mem_put(&m, "[", 1);
		mem_put(&m, out->clock, clock_len - 2);
		mem_put(&m, "]", 1);
	}
	if (m.failed) {
		errno = ENOMEM;
		goto out;
	}
	if (td_write_all(out->fd, m.buf, m.len))
		goto out;

	pos = m.len;
	if (td_write_cpus(out->fd, out->nr_cpus, out->cpus, &pos) < 0)
		goto out;
	if (out->buf_name && write_buffer(out, pos) < 0)
		goto out;
	out->finished = true;
	ret = 0;
out:
	free(m.buf);
	return ret;
}

uint64_t tracedat_out_size(struct tracedat_out *out)
{
	return out && out->finished ? out->size : 0;
}

static void blob_free(struct td_blob *b)
{
	free(b->data);
}

void tracedat_out_free(struct tracedat_out *out)
{
	int i, j;

	if (!out)
		return;
	blob_free(&out->header_page);
	blob_free(&out->header_event);
	blob_free(&out->kallsyms);
	blob_free(&out->printk);
	blob_free(&out->cmdlines);
	for (i = 0; i < out->nr_ftrace; i++)
		blob_free(&out->ftrace[i]);
	free(out->ftrace);
	for (i = 0; i < out->nr_systems; i++) {
		for (j = 0; j < out->systems[i].nr_formats; j++)
			blob_free(&out->systems[i].formats[j]);
		free(out->systems[i].formats);
		free(out->systems[i].name);
	}
	free(out->systems);
	for (i = 0; i < out->nr_options; i++)
		free(out->options[i].data);
	free(out->options);
	free(out->clock);
	td_free_cpus(out->cpus, out->nr_cpus);
	td_free_cpus(out->buf_cpus, out->nr_cpus);
	free(out->buf_name);
	free(out);
}
