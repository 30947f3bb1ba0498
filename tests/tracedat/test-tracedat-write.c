// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * trace.dat v6 writer: the exact layout (offsets, alignment, clock text,
 * escaped print fmt) and a read back through libtracecmd.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <trace-cmd/trace-cmd.h>
#include <traceevent/event-parse.h>

#include "tracedat/bytes.h"
#include "tracedat/format.h"
#include "tracedat/ringpage.h"
#include "tracedat/write.h"

#ifndef TRACEDAT_DATA_DIR
#define TRACEDAT_DATA_DIR "tests/data"
#endif

#define PAGE		4096
#define MA_WRITE_ID	2323	/* the ids of the 6.18 format files */
#define PRINT_ID	5
#define MAS_STORE	0xffffffff825218e8ULL

struct file {
	char	*buf;
	size_t	len;
};

static struct file slurp(const char *rel)
{
	struct file f = { 0 };
	char path[4096];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", TRACEDAT_DATA_DIR, rel);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	f.len = st.st_size;
	f.buf = malloc(f.len + 1);
	assert_non_null(f.buf);
	assert_int_equal(read(fd, f.buf, f.len), (ssize_t)f.len);
	f.buf[f.len] = '\0';
	close(fd);
	return f;
}

/* host-order reads with the shared readers (tracedat/bytes.h, format.h) */
static uint64_t rd64(const void *p)
{
	return fl_get_u64(p, false);
}

static uint32_t rd32(const void *p)
{
	return fl_get_u32(p, false);
}

/* ftrace:print: type, flags, preempt, pid, ip, buf[] */
static size_t print_payload(unsigned char *p, int pid, const char *text)
{
	uint16_t type = PRINT_ID;
	uint64_t ip = 0;
	int32_t pid32 = pid;

	memset(p, 0, 16);
	memcpy(p, &type, 2);
	memcpy(p + 4, &pid32, 4);
	memcpy(p + 8, &ip, 8);
	memcpy(p + 16, text, strlen(text) + 1);
	return 16 + strlen(text) + 1;
}

/* maple_tree:ma_write: fn @8, min, max, index, last, piv, val, node (8 each) */
static size_t ma_write_payload(unsigned char *p, int pid, uint64_t index)
{
	uint64_t fields[8] = { MAS_STORE, 0, ~0ULL, index, index + 4095, 0, 0, 0 };
	uint16_t type = MA_WRITE_ID;
	int32_t pid32 = pid;

	memset(p, 0, 72);
	memcpy(p, &type, 2);
	memcpy(p + 4, &pid32, 4);
	memcpy(p + 8, fields, sizeof(fields));
	return 72;
}

struct readback {
	struct tep_handle	*tep;
	int			count[3];
	int			prints;
	int			ma_writes;
	unsigned long long	last_ts[3];
	bool			ordered;
	bool			mas_store_seen;
};

static int count_record(struct tracecmd_input *handle, struct tep_record *record,
			int cpu, void *data)
{
	struct readback *rb = data;
	struct tep_event *event = tep_find_event_by_record(rb->tep, record);
	unsigned long long val;
	struct trace_seq s;

	assert_non_null(event);
	assert_true(record->cpu >= 0 && record->cpu < 3);
	if (record->ts < rb->last_ts[record->cpu])
		rb->ordered = false;
	rb->last_ts[record->cpu] = record->ts;
	rb->count[record->cpu]++;
	if (event->id == PRINT_ID) {
		rb->prints++;
		return 0;
	}
	assert_int_equal(event->id, MA_WRITE_ID);
	rb->ma_writes++;
	assert_int_equal(tep_get_field_val(NULL, event, "fn", record, &val, 0), 0);
	assert_true(val == MAS_STORE);
	trace_seq_init(&s);
	tep_print_event(rb->tep, &s, record, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&s);
	if (!strncmp(s.buffer, "mas_store\tNode ", 15))
		rb->mas_store_seen = true;
	trace_seq_destroy(&s);
	return 0;
}

static void test_layout_and_readback(void **state)
{
	struct file hp = slurp("header_page"), he = slurp("header_event");
	struct file print = slurp("formats/6.18/ftrace/print");
	struct file ma = slurp("formats/6.18/maple_tree/ma_write");
	struct file printk = slurp("printk_formats");
	char path[] = "/tmp/tracedat-write-XXXXXX";
	char src_path[] = "/tmp/tracedat-src-XXXXXX";
	const char uname[] = "Linux test 6.18.0 x86_64";
	const char clock[] = "local global [mono] boot";
	struct ringpage_builder *b1, *b2;
	struct tracecmd_input *handle;
	struct readback rb = { .ordered = true };
	struct tracedat_out *out;
	unsigned char payload[512];
	const void *pages1, *pages2;
	size_t len1, len2, n, fly;
	char junk[PAGE];
	uint64_t off0, off1, off2, size1, size2, meta_end, file_size;
	char stat_text[64];
	struct stat st;
	char *file;
	int fd, src, cpu, i;

	/* the real 6.18 format carries a TAB inside its print fmt string */
	assert_non_null(memmem(ma.buf, ma.len, "\"%s\tNode", 8));

	b1 = ringpage_builder_new(PAGE);
	b2 = ringpage_builder_new(PAGE);
	for (i = 0; i < 120; i++) {
		n = ma_write_payload(payload, 200, i * 4096ULL);
		assert_int_equal(ringpage_add(b1, 1000 + i * 10, payload, n), 0);
	}
	n = print_payload(payload, 300, "first line on cpu2\n");
	assert_int_equal(ringpage_add(b2, 1005, payload, n), 0);
	n = print_payload(payload, 300, "second line on cpu2\n");
	assert_int_equal(ringpage_add(b2, 5000000000ULL, payload, n), 0);
	pages1 = ringpage_data(b1, &len1);
	pages2 = ringpage_data(b2, &len2);
	assert_int_equal(len1, 3 * PAGE);	/* 120 x 76 bytes */
	assert_int_equal(len2, PAGE);

	/* cpu 1 comes from a file, one page into it */
	src = mkstemp(src_path);
	assert_true(src >= 0);
	memset(junk, 0xaa, sizeof(junk));
	assert_int_equal(write(src, junk, PAGE), PAGE);
	assert_int_equal(write(src, pages1, len1), (ssize_t)len1);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	out = tracedat_out_new(fd, PAGE, 8, 3);
	assert_non_null(out);
	assert_int_equal(tracedat_out_header_page(out, hp.buf, hp.len), 0);
	assert_int_equal(tracedat_out_header_event(out, he.buf, he.len), 0);
	assert_int_equal(tracedat_out_add_format(out, "ftrace", print.buf, print.len), 0);
	assert_int_equal(tracedat_out_add_format(out, "maple_tree", ma.buf, ma.len), 0);
	assert_int_equal(tracedat_out_kallsyms(out, "", 0), 0);
	assert_int_equal(tracedat_out_printk_formats(out, printk.buf, printk.len), 0);
	assert_int_equal(tracedat_out_cmdlines(out, "200 forker\n300 marker\n", 22), 0);
	assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_UNAME, uname, sizeof(uname)), 0);
	assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_TRACECLOCK, clock, sizeof(clock)), 0);
	for (cpu = 0; cpu < 3; cpu++) {
		n = snprintf(stat_text, sizeof(stat_text), "CPU: %d\noverrun: %d\n", cpu, cpu * 10);
		assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_CPUSTAT, stat_text, n + 1), 0);
	}
	/* cpu 0 stays empty; cpu 2 in two chunks */
	assert_int_equal(tracedat_out_cpu_fd(out, 1, src, PAGE, len1), 0);
	assert_int_equal(tracedat_out_cpu_mem(out, 2, pages2, len2), 0);
	n = print_payload(payload, 301, "a page of its own");
	{
		struct ringpage_builder *b3 = ringpage_builder_new(PAGE);
		const void *p3;
		size_t len3;

		assert_int_equal(ringpage_add(b3, 6000000000ULL, payload, n), 0);
		p3 = ringpage_data(b3, &len3);
		assert_int_equal(tracedat_out_cpu_mem(out, 2, p3, len3), 0);
		ringpage_builder_free(b3);
	}
	assert_int_equal(tracedat_out_finish(out), 0);
	file_size = tracedat_out_size(out);
	tracedat_out_free(out);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, file_size);

	file = malloc(st.st_size);
	assert_int_equal(pread(fd, file, st.st_size, 0), st.st_size);
	close(fd);

	/* initial format */
	assert_memory_equal(file, "\x17\x08\x44tracing6\0", 12);
	assert_int_equal(file[12], 0);		/* little endian */
	assert_int_equal(file[13], 8);		/* long size */
	assert_int_equal(rd32(file + 14), PAGE);
	assert_memory_equal(file + 18, "header_page\0", 12);
	assert_int_equal(rd64(file + 30), hp.len);
	assert_memory_equal(file + 38, hp.buf, hp.len);
	assert_memory_equal(file + 38 + hp.len, "header_event\0", 13);
	assert_int_equal(rd64(file + 51 + hp.len), he.len);
	/* one ftrace format, then systems */
	assert_int_equal(rd32(file + 59 + hp.len + he.len), 1);
	assert_int_equal(rd64(file + 63 + hp.len + he.len), print.len);

	/* the TAB went out as \t, the rest of the format as given */
	assert_null(memmem(file, st.st_size, "\"%s\tNode", 8));
	assert_non_null(memmem(file, st.st_size, "\"%s\\tNode %p (%lu %lu)", 22));
	assert_non_null(memmem(file, st.st_size,
			       "\tfield:const char * fn;\toffset:8;\tsize:8;\tsigned:0;\n", 52));

	/* options, then the flyrecord table and the clock */
	assert_non_null(memmem(file, st.st_size, "options  \0\x05\0", 12));
	fly = (char *)memmem(file, st.st_size, "flyrecord\0", 10) - file;
	off0 = rd64(file + fly + 10);
	assert_int_equal(rd64(file + fly + 18), 0);
	off1 = rd64(file + fly + 26);
	size1 = rd64(file + fly + 34);
	off2 = rd64(file + fly + 42);
	size2 = rd64(file + fly + 50);
	assert_int_equal(rd64(file + fly + 58), 6);
	assert_memory_equal(file + fly + 66, "[mono]", 6);
	meta_end = fly + 72;
	assert_int_equal(off0, (meta_end + PAGE - 1) & ~(uint64_t)(PAGE - 1));
	assert_int_equal(off1, off0);	/* an empty cpu takes the aligned spot */
	assert_int_equal(size1, len1);
	assert_int_equal(off2, off1 + size1);
	assert_int_equal(size2, 2 * PAGE);
	assert_int_equal(file_size, off2 + size2);
	assert_memory_equal(file + off1, pages1, len1);
	assert_memory_equal(file + off2, pages2, len2);
	for (i = meta_end; i < (int)off0; i++)
		assert_int_equal(file[i], 0);

	/* libtracecmd reads it all */
	handle = tracecmd_open(path, 0);
	assert_non_null(handle);
	rb.tep = tracecmd_get_tep(handle);
	assert_int_equal(tep_get_cpus(rb.tep), 3);
	assert_false(tep_find_event(rb.tep, MA_WRITE_ID)->flags & TEP_EVENT_FL_FAILED);
	assert_int_equal(tracecmd_iterate_events(handle, NULL, 0, count_record, &rb), 0);
	assert_int_equal(rb.count[0], 0);
	assert_int_equal(rb.count[1], 120);
	assert_int_equal(rb.count[2], 3);
	assert_int_equal(rb.ma_writes, 120);
	assert_int_equal(rb.prints, 3);
	assert_true(rb.ordered);
	assert_true(rb.mas_store_seen);
	assert_int_equal(rb.last_ts[2], 6000000000ULL);
	tracecmd_close(handle);

	unlink(path);
	unlink(src_path);
	close(src);
	free(file);
	free(hp.buf);
	free(he.buf);
	free(print.buf);
	free(ma.buf);
	free(printk.buf);
	ringpage_builder_free(b1);
	ringpage_builder_free(b2);
}

static void test_all_empty(void **state)
{
	struct file hp = slurp("header_page"), he = slurp("header_event");
	char path[] = "/tmp/tracedat-empty-XXXXXX";
	struct tracecmd_input *handle;
	struct readback rb = { .ordered = true };
	struct tracedat_out *out;
	int fd;
	size_t fly;
	char *p;

	fd = mkstemp(path);
	out = tracedat_out_new(fd, PAGE, 8, 2);
	assert_int_equal(tracedat_out_header_page(out, hp.buf, hp.len), 0);
	assert_int_equal(tracedat_out_header_event(out, he.buf, he.len), 0);
	assert_int_equal(tracedat_out_finish(out), 0);
	/* no options: still "options  \0" and the u16 0 that ends them */
	{
		struct stat st;
		char *file;

		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal((uint64_t)st.st_size, tracedat_out_size(out));
		file = malloc(st.st_size);
		assert_int_equal(pread(fd, file, st.st_size, 0), st.st_size);
		p = memmem(file, st.st_size, "options  \0\0\0flyrecord\0", 22);
		assert_non_null(p);
		fly = p - file + 12;
		/* both cpus: the aligned end of the header, size 0; the file is not padded */
		assert_int_equal(rd64(file + fly + 10), PAGE);
		assert_int_equal(rd64(file + fly + 18), 0);
		assert_int_equal(rd64(file + fly + 26), PAGE);
		assert_int_equal(rd64(file + fly + 34), 0);
		assert_int_equal((uint64_t)st.st_size, fly + 42);
		free(file);
	}
	tracedat_out_free(out);
	close(fd);

	handle = tracecmd_open(path, 0);
	assert_non_null(handle);
	rb.tep = tracecmd_get_tep(handle);
	assert_int_equal(tracecmd_iterate_events(handle, NULL, 0, count_record, &rb), 0);
	assert_int_equal(rb.count[0] + rb.count[1], 0);
	tracecmd_close(handle);
	unlink(path);
	free(hp.buf);
	free(he.buf);
}

/* One small trace written to @fd; cpu 1 comes from @src at one page in. */
static uint64_t write_small(int fd, int src, const void *pages, size_t len)
{
	struct file hp = slurp("header_page"), he = slurp("header_event");
	struct file print = slurp("formats/6.18/ftrace/print");
	const char clock[] = "[local] global";
	struct tracedat_out *out;
	uint64_t size;

	out = tracedat_out_new(fd, PAGE, 8, 2);
	assert_non_null(out);
	assert_int_equal(tracedat_out_header_page(out, hp.buf, hp.len), 0);
	assert_int_equal(tracedat_out_header_event(out, he.buf, he.len), 0);
	assert_int_equal(tracedat_out_add_format(out, "ftrace", print.buf, print.len), 0);
	assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_TRACECLOCK, clock, sizeof(clock)), 0);
	assert_int_equal(tracedat_out_cpu_mem(out, 0, pages, len), 0);
	assert_int_equal(tracedat_out_cpu_fd(out, 1, src, PAGE, len), 0);
	assert_int_equal(tracedat_out_finish(out), 0);
	size = tracedat_out_size(out);
	tracedat_out_free(out);
	free(hp.buf);
	free(he.buf);
	free(print.buf);
	return size;
}

/*
 * A pipe cannot be seeked nor be the target of copy_file_range(): the
 * writer must produce the same bytes through plain writes.
 */
static void test_pipe_output(void **state)
{
	char path[] = "/tmp/tracedat-pipe-XXXXXX";
	char src_path[] = "/tmp/tracedat-psrc-XXXXXX";
	struct ringpage_builder *b = ringpage_builder_new(PAGE);
	unsigned char payload[64];
	const void *pages;
	char *a, *bytes;
	uint64_t size_file, size_pipe;
	size_t len, n, got = 0;
	int fd, src, p[2];
	ssize_t r;

	n = print_payload(payload, 42, "through a pipe");
	assert_int_equal(ringpage_add(b, 77, payload, n), 0);
	pages = ringpage_data(b, &len);
	src = mkstemp(src_path);
	assert_int_equal(pwrite(src, pages, len, PAGE), (ssize_t)len);

	fd = mkstemp(path);
	size_file = write_small(fd, src, pages, len);
	assert_int_equal(pipe(p), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 1 << 20) >= (int)size_file);
	size_pipe = write_small(p[1], src, pages, len);
	close(p[1]);
	assert_int_equal(size_pipe, size_file);

	a = malloc(size_file);
	bytes = malloc(size_file + 1);
	assert_int_equal(pread(fd, a, size_file, 0), (ssize_t)size_file);
	while ((r = read(p[0], bytes + got, size_file + 1 - got)) > 0)
		got += r;
	assert_int_equal(got, size_file);
	assert_memory_equal(a, bytes, size_file);
	close(p[0]);
	close(fd);
	close(src);
	unlink(path);
	unlink(src_path);
	free(a);
	free(bytes);
	ringpage_builder_free(b);
}

static void test_errors(void **state)
{
	char path[] = "/tmp/tracedat-err-XXXXXX";
	struct tracedat_out *out;
	char page[PAGE] = { 0 };
	int32_t cpus;
	int fd;

	fd = mkstemp(path);
	errno = 0;
	assert_null(tracedat_out_new(fd, 1000, 8, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(tracedat_out_new(fd, PAGE, 6, 1));
	assert_null(tracedat_out_new(fd, PAGE, 8, 0));
	assert_null(tracedat_out_new(-1, PAGE, 8, 1));

	out = tracedat_out_new(fd, PAGE, 8, 2);
	assert_non_null(out);
	errno = 0;
	assert_int_equal(tracedat_out_cpu_mem(out, 0, page, PAGE - 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tracedat_out_cpu_mem(out, 2, page, PAGE), -1);
	assert_int_equal(tracedat_out_cpu_mem(out, -1, page, PAGE), -1);
	assert_int_equal(tracedat_out_cpu_fd(out, 0, fd, 0, 100), -1);
	assert_int_equal(tracedat_out_add_format(out, "", "x", 1), -1);

	/* strings the reader strdup()s must end in a NUL */
	assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_UNAME, "abc", 3), -1);
	assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_UNAME, "abc", 4), 0);
	assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_CPUSTAT, "", 0), -1);
	assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_TRACECLOCK, "[]", 3), -1);
	assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_TRACECLOCK, "[x", 3), -1);
	assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_BUFFER, "abc", 4), -1);
	assert_int_equal(tracedat_out_option(out, 0, "abc", 4), -1);
	/* CPUCOUNT must match, or the reader takes the wrong number of offsets */
	cpus = 3;
	assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_CPUCOUNT, &cpus, 4), -1);
	cpus = 2;
	assert_int_equal(tracedat_out_option(out, TRACEDAT_OPT_CPUCOUNT, &cpus, 4), 0);
	/* an id trace-cmd does not know is fine (it warns and skips) */
	assert_int_equal(tracedat_out_option(out, 777, "x", 1), 0);

	/* no header_page / header_event */
	errno = 0;
	assert_int_equal(tracedat_out_finish(out), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tracedat_out_header_page(out, "x", 1), 0);
	assert_int_equal(tracedat_out_header_event(out, "x", 1), 0);
	assert_int_equal(tracedat_out_finish(out), 0);
	/* finished: nothing more */
	assert_int_equal(tracedat_out_finish(out), -1);
	assert_int_equal(tracedat_out_cpu_mem(out, 0, page, PAGE), -1);
	tracedat_out_free(out);
	close(fd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_readback),
		cmocka_unit_test(test_all_empty),
		cmocka_unit_test(test_pipe_output),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
