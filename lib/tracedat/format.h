/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The trace.dat format's constants, one list for the writer (write.c), the
 * ring-page builder (ringpage.c), the checker (check.c) and the tests: as
 * trace-cmd keeps one list for its reader and writer
 * (lib/trace-cmd/include/private/trace-cmd-private.h,
 * Documentation/trace-cmd/trace-cmd.dat.v6.5.txt, and the kernel's
 * kernel/trace/ring_buffer.c for the pages).
 */
#ifndef FORKLOCK_TRACEDAT_FORMAT_H
#define FORKLOCK_TRACEDAT_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

/* ---- the file ------------------------------------------------------------- */

#define TRACEDAT_MAGIC		"\x17\x08\x44tracing"	/* then the version, "6\0" */
#define TRACEDAT_MAGIC_LEN	10
#define TRACEDAT_VERSION	"6"			/* what the writer writes */

/* section names, each written with its NUL */
#define TRACEDAT_HEADER_PAGE	"header_page"
#define TRACEDAT_HEADER_EVENT	"header_event"
#define TRACEDAT_OPTIONS	"options  "
#define TRACEDAT_FLYRECORD	"flyrecord"
#define TRACEDAT_LATENCY	"latency  "		/* a latency tracer's text trace */

/* Option ids (trace-cmd's TRACECMD_OPTION_*) */
enum tracedat_option {
	TRACEDAT_OPT_DONE		= 0,	/* ends the list (no size after it) */
	TRACEDAT_OPT_DATE		= 1,
	TRACEDAT_OPT_CPUSTAT		= 2,
	TRACEDAT_OPT_BUFFER		= 3,
	TRACEDAT_OPT_TRACECLOCK		= 4,
	TRACEDAT_OPT_UNAME		= 5,
	TRACEDAT_OPT_HOOK		= 6,
	TRACEDAT_OPT_OFFSET		= 7,
	TRACEDAT_OPT_CPUCOUNT		= 8,
	TRACEDAT_OPT_VERSION		= 9,
	TRACEDAT_OPT_PROCMAPS		= 10,
	TRACEDAT_OPT_TRACEID		= 11,
	TRACEDAT_OPT_TIME_SHIFT		= 12,
	TRACEDAT_OPT_GUEST		= 13,
	TRACEDAT_OPT_TSC2NSEC		= 14,
	TRACEDAT_OPT_STRINGS		= 15,
	TRACEDAT_OPT_BUFFER_TEXT	= 22,	/* version 7 only */
};

/* ---- limits: what no real trace exceeds, so a reader can refuse it ----------- */

#define TRACEDAT_MAX_CPUS	65536		/* the kernel's NR_CPUS is at most 8192 */
#define TRACEDAT_MIN_PAGE_SIZE	4096		/* no ring-buffer sub-buffer is smaller */
#define TRACEDAT_MAX_PAGE_SIZE	(1U << 24)
#define TRACEDAT_MAX_HEADER	(1U << 20)	/* header_page / header_event text */
#define TRACEDAT_MAX_EVENT_ID	65535		/* common_type is a u16 */

/* ---- ring-buffer sub-buffer pages (events/header_page, events/header_event) -- */

/*
 * A page: u64 timestamp, a long "commit" (the low bits the data length),
 * then the data.  When missed events are stored, their count is a long
 * right after the data.
 */
#define TRACEDAT_RB_COMMIT_MASK		((1ULL << 27) - 1)	/* kbuffer-parse.c COMMIT_MASK */
#define TRACEDAT_RB_MISSED_EVENTS	(1ULL << 31)
#define TRACEDAT_RB_MISSED_STORED	(1ULL << 30)

/* Each event: a u32 header { type_len:5, time_delta:27 }, then its payload. */
#define TRACEDAT_RB_TS_BITS		27
#define TRACEDAT_RB_DELTA_MAX		((1ULL << TRACEDAT_RB_TS_BITS) - 1)
#define TRACEDAT_RB_MAX_SMALL_DATA	(28 * 4)	/* type_len 1..28: length / 4 */
#define TRACEDAT_RB_TYPE_DATA		0	/* length (+4) in the word after the header */
#define TRACEDAT_RB_TYPE_PADDING	29	/* the word after the header is its length */
#define TRACEDAT_RB_TYPE_TIME_EXTEND	30	/* upper time bits in the word after it */
#define TRACEDAT_RB_TYPE_TIME_STAMP	31	/* an absolute time stamp */

/*
 * The two fields of an event header word read in the host's order; the
 * bitfield order is the traced kernel's (@big_endian: the file's).
 */
static inline unsigned int tracedat_type_len(uint32_t header, bool big_endian)
{
	return big_endian ? header >> TRACEDAT_RB_TS_BITS : header & 31;
}

static inline uint32_t tracedat_time_delta(uint32_t header, bool big_endian)
{
	return big_endian ? header & TRACEDAT_RB_DELTA_MAX : header >> 5;
}

static inline uint32_t tracedat_event_header(unsigned int type_len, uint32_t delta, bool big_endian)
{
	if (big_endian)
		return ((uint32_t)type_len << TRACEDAT_RB_TS_BITS) | (delta & TRACEDAT_RB_DELTA_MAX);
	return (type_len & 31) | (delta << 5);
}

/* Is this host big-endian (the byte order forklock record writes in)? */
static inline bool tracedat_host_big_endian(void)
{
	return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
}

#endif
