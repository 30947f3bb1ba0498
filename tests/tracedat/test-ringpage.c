// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ringpage builder and counter: pages decoded by libtraceevent's kbuffer
 * must give back exactly the payloads and timestamps that were added.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <endian.h>
#include <traceevent/kbuffer.h>

#include "tracedat/bytes.h"
#include "tracedat/format.h"
#include "tracedat/ringpage.h"

#define PAGE		4096
#define DATA_ROOM	(PAGE - 16)

struct added {
	uint64_t	ts;
	size_t		len;
	unsigned char	payload[PAGE];
};

/* A payload with the common header (type, flags, preempt, pid) and a pattern. */
static void make_payload(struct added *a, uint64_t ts, size_t len, int seed)
{
	size_t i;

	a->ts = ts;
	a->len = len;
	for (i = 0; i < len; i++)
		a->payload[i] = (unsigned char)(seed * 31 + i * 7 + 1);
}

/* host-order reads with the shared readers (tracedat/bytes.h, format.h) */
static uint32_t rd32(const void *p)
{
	return fl_get_u32(p, false);
}

static uint64_t rd64(const void *p)
{
	return fl_get_u64(p, false);
}

static unsigned int type_len(uint32_t hdr)
{
	return tracedat_type_len(hdr, tracedat_host_big_endian());
}

static uint32_t time_delta(uint32_t hdr)
{
	return tracedat_time_delta(hdr, tracedat_host_big_endian());
}

/* Decode all records with kbuffer and compare with what was added. */
static void check_roundtrip(const void *pages, size_t len, const struct added *a, int nr)
{
	struct kbuffer *kbuf = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_SAME_AS_HOST);
	unsigned long long ts;
	size_t off;
	void *rec;
	int i = 0;

	assert_non_null(kbuf);
	for (off = 0; off < len; off += PAGE) {
		kbuffer_load_subbuffer(kbuf, (char *)pages + off);
		rec = kbuffer_read_event(kbuf, &ts);
		for (; rec; rec = kbuffer_next_event(kbuf, &ts)) {
			assert_true(i < nr);
			assert_int_equal(ts, a[i].ts);
			assert_int_equal(kbuffer_event_size(kbuf), (a[i].len + 3) & ~3UL);
			assert_memory_equal(rec, a[i].payload, a[i].len);
			i++;
		}
	}
	assert_int_equal(i, nr);
	kbuffer_free(kbuf);
}

static void test_small_events(void **state)
{
	struct ringpage_builder *b = ringpage_builder_new(PAGE);
	static struct added a[3];
	struct ringpage_count c;
	const unsigned char *p;
	size_t len;
	int i;

	assert_non_null(b);
	make_payload(&a[0], 1000, 8, 0);
	make_payload(&a[1], 1010, 12, 1);
	make_payload(&a[2], 1010, 13, 2);	/* same time, odd length */
	for (i = 0; i < 3; i++)
		assert_int_equal(ringpage_add(b, a[i].ts, a[i].payload, a[i].len), 0);

	p = ringpage_data(b, &len);
	assert_int_equal(len, PAGE);
	/* page header: timestamp of the first event, commit = data bytes */
	assert_int_equal(rd64(p), 1000);
	assert_int_equal(rd64(p + 8), 12 + 16 + 20);
	/* first event: delta 0, type_len 2 */
	assert_int_equal(type_len(rd32(p + 16)), 2);
	assert_int_equal(time_delta(rd32(p + 16)), 0);
	assert_int_equal(time_delta(rd32(p + 16 + 12)), 10);
	assert_int_equal(type_len(rd32(p + 16 + 28)), 4);
	assert_int_equal(time_delta(rd32(p + 16 + 28)), 0);

	assert_int_equal(ringpage_count(p, len, PAGE, &c), 0);
	assert_int_equal(c.events, 3);
	assert_int_equal(c.pages, 1);
	assert_int_equal(c.missed_pages, 0);
	assert_int_equal(c.missed_events, 0);
	assert_int_equal(c.first_ts, 1000);
	assert_int_equal(c.last_ts, 1010);
	check_roundtrip(p, len, a, 3);
	ringpage_builder_free(b);
}

static void test_time_extend(void **state)
{
	struct ringpage_builder *b = ringpage_builder_new(PAGE);
	static struct added a[4];
	struct ringpage_count c;
	const unsigned char *p;
	uint64_t big = (1ULL << 27) + 5;
	uint64_t huge = (1ULL << 40) + 12345;	/* needs array[0] bits too */
	size_t len;
	int i;

	make_payload(&a[0], 500, 16, 0);
	make_payload(&a[1], 500 + big, 16, 1);
	make_payload(&a[2], 500 + big + huge, 16, 2);
	make_payload(&a[3], 500 + big + huge + ((1ULL << 27) - 1), 16, 3);	/* fits 27 bits */
	for (i = 0; i < 4; i++)
		assert_int_equal(ringpage_add(b, a[i].ts, a[i].payload, a[i].len), 0);

	p = ringpage_data(b, &len);
	assert_int_equal(len, PAGE);
	/* event 0 at 16; extend at 36: type 30, low 27 bits in delta, rest in array[0] */
	assert_int_equal(type_len(rd32(p + 36)), 30);
	assert_int_equal(time_delta(rd32(p + 36)), 5);
	assert_int_equal(rd32(p + 40), 1);
	assert_int_equal(type_len(rd32(p + 44)), 4);
	assert_int_equal(time_delta(rd32(p + 44)), 0);
	assert_int_equal(type_len(rd32(p + 64)), 30);
	assert_int_equal(time_delta(rd32(p + 64)), huge & ((1U << 27) - 1));
	assert_int_equal(rd32(p + 68), huge >> 27);
	/* the last delta fits 27 bits exactly: no extend */
	assert_int_equal(type_len(rd32(p + 92)), 4);
	assert_int_equal(time_delta(rd32(p + 92)), (1U << 27) - 1);
	assert_int_equal(rd64(p + 8), 20 + 8 + 20 + 8 + 20 + 20);

	assert_int_equal(ringpage_count(p, len, PAGE, &c), 0);
	assert_int_equal(c.events, 4);
	assert_int_equal(c.pages, 1);
	assert_int_equal(c.first_ts, a[0].ts);
	assert_int_equal(c.last_ts, a[3].ts);
	check_roundtrip(p, len, a, 4);
	ringpage_builder_free(b);
}

static void test_extend_boundary(void **state)
{
	struct ringpage_builder *b = ringpage_builder_new(PAGE);
	static struct added a[3];
	const unsigned char *p;
	size_t len;
	int i;

	/* 2^27 - 1 fits the header; 2^27 does not */
	make_payload(&a[0], 0, 8, 0);
	make_payload(&a[1], (1ULL << 27) - 1, 8, 1);
	make_payload(&a[2], (1ULL << 27) - 1 + (1ULL << 27), 8, 2);
	for (i = 0; i < 3; i++)
		assert_int_equal(ringpage_add(b, a[i].ts, a[i].payload, a[i].len), 0);
	p = ringpage_data(b, &len);
	assert_int_equal(type_len(rd32(p + 28)), 2);
	assert_int_equal(time_delta(rd32(p + 28)), (1U << 27) - 1);
	assert_int_equal(type_len(rd32(p + 40)), 30);
	assert_int_equal(time_delta(rd32(p + 40)), 0);
	assert_int_equal(rd32(p + 44), 1);
	check_roundtrip(p, len, a, 3);
	ringpage_builder_free(b);
}

static void test_far_delta_new_page(void **state)
{
	struct ringpage_builder *b = ringpage_builder_new(PAGE);
	static struct added a[2];
	struct ringpage_count c;
	const unsigned char *p;
	size_t len;

	/* more than 59 bits: only a new page's 64-bit stamp can hold it */
	make_payload(&a[0], 7, 8, 0);
	make_payload(&a[1], 7 + (1ULL << 60), 8, 1);
	assert_int_equal(ringpage_add(b, a[0].ts, a[0].payload, a[0].len), 0);
	assert_int_equal(ringpage_add(b, a[1].ts, a[1].payload, a[1].len), 0);
	p = ringpage_data(b, &len);
	assert_int_equal(len, 2 * PAGE);
	assert_int_equal(rd64(p + PAGE), a[1].ts);
	assert_int_equal(ringpage_count(p, len, PAGE, &c), 0);
	assert_int_equal(c.events, 2);
	assert_int_equal(c.pages, 2);
	check_roundtrip(p, len, a, 2);
	ringpage_builder_free(b);
}

static void test_type_len_zero(void **state)
{
	struct ringpage_builder *b = ringpage_builder_new(PAGE);
	static struct added a[4];
	struct ringpage_count c;
	const unsigned char *p;
	size_t len;
	int i;

	make_payload(&a[0], 10, 112, 0);	/* largest type_len 28 */
	make_payload(&a[1], 20, 113, 1);	/* smallest type_len 0 */
	make_payload(&a[2], 30, 300, 2);
	make_payload(&a[3], 40, 9, 3);
	for (i = 0; i < 4; i++)
		assert_int_equal(ringpage_add(b, a[i].ts, a[i].payload, a[i].len), 0);
	p = ringpage_data(b, &len);
	assert_int_equal(len, PAGE);
	assert_int_equal(type_len(rd32(p + 16)), 28);
	assert_int_equal(type_len(rd32(p + 16 + 116)), 0);
	/* array[0] = padded length + 4, as the kernel writes it */
	assert_int_equal(rd32(p + 16 + 116 + 4), 116 + 4);
	assert_int_equal(type_len(rd32(p + 16 + 116 + 124)), 0);
	assert_int_equal(rd32(p + 16 + 116 + 124 + 4), 300 + 4);
	assert_int_equal(type_len(rd32(p + 16 + 116 + 124 + 308)), 3);
	assert_int_equal(ringpage_count(p, len, PAGE, &c), 0);
	assert_int_equal(c.events, 4);
	check_roundtrip(p, len, a, 4);
	ringpage_builder_free(b);
}

static void test_page_overflow(void **state)
{
	struct ringpage_builder *b = ringpage_builder_new(PAGE);
	static struct added a[400];
	struct ringpage_count c;
	const unsigned char *p;
	size_t len;
	int i;

	/* 72-byte payloads = 76-byte records: 53 fit the 4080 data bytes */
	for (i = 0; i < 400; i++) {
		make_payload(&a[i], 1000 + i * 100, 72, i);
		assert_int_equal(ringpage_add(b, a[i].ts, a[i].payload, a[i].len), 0);
	}
	p = ringpage_data(b, &len);
	assert_int_equal(len, 8 * PAGE);	/* ceil(400 / 53) */
	assert_int_equal(rd64(p + 8), 53 * 76);
	assert_int_equal(rd64(p + PAGE), a[53].ts);
	assert_int_equal(ringpage_count(p, len, PAGE, &c), 0);
	assert_int_equal(c.events, 400);
	assert_int_equal(c.pages, 8);
	assert_int_equal(c.first_ts, 1000);
	assert_int_equal(c.last_ts, 1000 + 399 * 100);
	check_roundtrip(p, len, a, 400);
	ringpage_builder_free(b);
}

static void test_biggest_event(void **state)
{
	struct ringpage_builder *b = ringpage_builder_new(PAGE);
	static struct added a[2];
	struct ringpage_count c;
	const unsigned char *p;
	size_t len;

	/* 8 bytes of header + array[0] + 4072 = the whole data area */
	make_payload(&a[0], 1, DATA_ROOM - 8, 0);
	make_payload(&a[1], 2, 4, 1);
	assert_int_equal(ringpage_add(b, a[0].ts, a[0].payload, a[0].len), 0);
	assert_int_equal(ringpage_add(b, a[1].ts, a[1].payload, a[1].len), 0);
	p = ringpage_data(b, &len);
	assert_int_equal(len, 2 * PAGE);
	assert_int_equal(rd64(p + 8), DATA_ROOM);
	assert_int_equal(ringpage_count(p, len, PAGE, &c), 0);
	assert_int_equal(c.events, 2);
	check_roundtrip(p, len, a, 2);

	/* one byte more cannot fit any page */
	errno = 0;
	assert_int_equal(ringpage_add(b, 3, a[0].payload, DATA_ROOM - 7), -1);
	assert_int_equal(errno, EINVAL);
	ringpage_builder_free(b);
}

static void test_missed(void **state)
{
	struct ringpage_builder *b = ringpage_builder_new(PAGE);
	static struct added a[5];
	struct ringpage_count c;
	struct kbuffer *kbuf;
	const unsigned char *p;
	size_t len;

	make_payload(&a[0], 100, 8, 0);
	make_payload(&a[1], 200, 8, 1);
	make_payload(&a[2], 300, 8, 2);
	make_payload(&a[3], 400, 8, 3);
	make_payload(&a[4], 500, 8, 4);

	assert_int_equal(ringpage_add(b, a[0].ts, a[0].payload, 8), 0);
	assert_int_equal(ringpage_missed(b, 7), 0);
	assert_int_equal(ringpage_add(b, a[1].ts, a[1].payload, 8), 0);
	assert_int_equal(ringpage_add(b, a[2].ts, a[2].payload, 8), 0);
	assert_int_equal(ringpage_missed(b, 3), 0);
	assert_int_equal(ringpage_missed(b, 4), 0);	/* adds up */
	assert_int_equal(ringpage_add(b, a[3].ts, a[3].payload, 8), 0);
	assert_int_equal(ringpage_missed(b, 0), 0);	/* count unknown */
	assert_int_equal(ringpage_add(b, a[4].ts, a[4].payload, 8), 0);

	p = ringpage_data(b, &len);
	assert_int_equal(len, 4 * PAGE);
	/* page 1: two events, RB_MISSED_EVENTS | RB_MISSED_STORED, 7 after the data */
	assert_int_equal(rd64(p + PAGE + 8), 24 | (1ULL << 31) | (1ULL << 30));
	assert_int_equal(rd64(p + PAGE + 16 + 24), 7);
	assert_int_equal(rd64(p + 2 * PAGE + 8), 12 | (1ULL << 31) | (1ULL << 30));
	assert_int_equal(rd64(p + 2 * PAGE + 16 + 12), 7);
	assert_int_equal(rd64(p + 3 * PAGE + 8), 12 | (1ULL << 31));

	assert_int_equal(ringpage_count(p, len, PAGE, &c), 0);
	assert_int_equal(c.events, 5);
	assert_int_equal(c.pages, 4);
	assert_int_equal(c.missed_pages, 3);
	assert_int_equal(c.missed_events, 14);
	check_roundtrip(p, len, a, 5);

	/* what trace-cmd sees: the count on the first record of each page */
	kbuf = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_SAME_AS_HOST);
	kbuffer_load_subbuffer(kbuf, (void *)p);
	kbuffer_read_event(kbuf, NULL);
	assert_int_equal(kbuffer_missed_events(kbuf), 0);
	kbuffer_load_subbuffer(kbuf, (void *)(p + PAGE));
	kbuffer_read_event(kbuf, NULL);
	assert_int_equal(kbuffer_missed_events(kbuf), 7);
	kbuffer_next_event(kbuf, NULL);
	assert_int_equal(kbuffer_missed_events(kbuf), 0);
	kbuffer_load_subbuffer(kbuf, (void *)(p + 3 * PAGE));
	kbuffer_read_event(kbuf, NULL);
	assert_int_equal(kbuffer_missed_events(kbuf), -1);
	kbuffer_free(kbuf);

	ringpage_builder_free(b);
}

static void test_missed_reserves_room(void **state)
{
	struct ringpage_builder *b = ringpage_builder_new(PAGE);
	struct ringpage_count c;
	unsigned char payload[PAGE] = { 0 };
	const unsigned char *p;
	size_t len;
	int i;

	/* 51 records of 80 bytes fill the 4080 data bytes exactly ... */
	for (i = 0; i < 51; i++)
		assert_int_equal(ringpage_add(b, 10 + i, payload, 76), 0);
	p = ringpage_data(b, &len);
	assert_int_equal(len, PAGE);
	assert_int_equal(rd64(p + 8), 51 * 80);

	/* ... but a flagged page keeps 8 bytes for the stored count: 50 fit */
	ringpage_builder_free(b);
	b = ringpage_builder_new(PAGE);
	assert_int_equal(ringpage_missed(b, 2), 0);
	for (i = 0; i < 51; i++)
		assert_int_equal(ringpage_add(b, 10 + i, payload, 76), 0);
	p = ringpage_data(b, &len);
	assert_int_equal(len, 2 * PAGE);
	assert_int_equal(rd64(p + 8), 50 * 80 | (1ULL << 31) | (1ULL << 30));
	assert_int_equal(rd64(p + 16 + 50 * 80), 2);
	assert_int_equal(rd64(p + PAGE + 8), 80);
	assert_int_equal(ringpage_count(p, len, PAGE, &c), 0);
	assert_int_equal(c.events, 51);
	assert_int_equal(c.missed_events, 2);
	assert_int_equal(c.missed_pages, 1);

	/* a lone event that leaves no room for the count: flagged, not stored */
	ringpage_builder_free(b);
	b = ringpage_builder_new(PAGE);
	assert_int_equal(ringpage_missed(b, 9), 0);
	assert_int_equal(ringpage_add(b, 1, payload, DATA_ROOM - 8), 0);
	p = ringpage_data(b, &len);
	assert_int_equal(rd64(p + 8), DATA_ROOM | (1ULL << 31));
	assert_int_equal(ringpage_count(p, len, PAGE, &c), 0);
	assert_int_equal(c.missed_pages, 1);
	assert_int_equal(c.missed_events, 0);
	ringpage_builder_free(b);
}

static void test_errors(void **state)
{
	struct ringpage_builder *b;
	struct ringpage_count c;
	unsigned char payload[64] = { 0 };
	unsigned char page[2 * PAGE];
	const unsigned char *p;
	size_t len;

	errno = 0;
	assert_null(ringpage_builder_new(1000));
	assert_int_equal(errno, EINVAL);

	b = ringpage_builder_new(PAGE);
	errno = 0;
	assert_int_equal(ringpage_add(b, 5, payload, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ringpage_add(b, 5, payload, 8), 0);
	errno = 0;
	assert_int_equal(ringpage_add(b, 4, payload, 8), -1);	/* backwards */
	assert_int_equal(errno, EINVAL);
	p = ringpage_data(b, &len);
	assert_int_equal(len, PAGE);
	memcpy(page, p, PAGE);
	ringpage_builder_free(b);

	/* length not a multiple of the page size */
	assert_int_equal(ringpage_count(page, PAGE - 1, PAGE, &c), -1);
	/* commit bigger than the page */
	memcpy(page + PAGE, page, PAGE);
	{
		uint64_t commit = 5000;

		memcpy(page + PAGE + 8, &commit, 8);
	}
	assert_int_equal(ringpage_count(page, 2 * PAGE, PAGE, &c), -1);
	/* a type_len 0 record whose length runs past the commit */
	memcpy(page + PAGE, page, PAGE);
	{
		uint32_t hdr = 0, big = 5000;

		memcpy(page + PAGE + 16, &hdr, 4);
		memcpy(page + PAGE + 20, &big, 4);
	}
	assert_int_equal(ringpage_count(page, 2 * PAGE, PAGE, &c), -1);
	/* the good page alone still counts */
	assert_int_equal(ringpage_count(page, PAGE, PAGE, &c), 0);
	assert_int_equal(c.events, 1);
	/* nothing at all */
	assert_int_equal(ringpage_count(NULL, 0, PAGE, &c), 0);
	assert_int_equal(c.events, 0);
	assert_int_equal(c.pages, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_events),
		cmocka_unit_test(test_time_extend),
		cmocka_unit_test(test_extend_boundary),
		cmocka_unit_test(test_far_delta_new_page),
		cmocka_unit_test(test_type_len_zero),
		cmocka_unit_test(test_page_overflow),
		cmocka_unit_test(test_biggest_event),
		cmocka_unit_test(test_missed),
		cmocka_unit_test(test_missed_reserves_room),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
