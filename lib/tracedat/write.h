/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace.dat version 6 writer.
 *
 * The file layout is the one trace-cmd 3.x reads (see
 * Documentation/trace-cmd/trace-cmd.dat.v6.5.txt in trace-cmd and
 * ../shared/notes/tracedat-v6.md).  The writer collects the metadata
 * (header_page, header_event, event formats, printk_formats, cmdlines,
 * options) and per-CPU data chunks, then writes the whole file in one go in
 * tracedat_out_finish(): header sections, options, the flyrecord offsets and
 * the page-aligned per-CPU data.
 *
 * CPU data is a sequence of ring-buffer sub-buffer pages exactly as read from
 * per_cpu/cpuN/trace_pipe_raw (or as built by ringpage.h).  Option ids
 * are format.h's TRACEDAT_OPT_*.  Chunks are
 * appended in order; each chunk's length must be a multiple of the page size.
 *
 * All functions return 0 on success and -1 with errno set on failure.
 */
#ifndef FORKLOCK_TRACEDAT_WRITE_H
#define FORKLOCK_TRACEDAT_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracedat/format.h"

struct tracedat_out;

/*
 * Start a trace.dat on @fd (opened for writing, positioned at 0).
 * @page_size: ring-buffer sub-buffer size (per_cpu data is in pages of this size)
 * @long_size: sizeof(long) of the traced kernel (8 on 64-bit)
 * @nr_cpus:   number of CPU data sections the file will have
 * The file is written in host endianness.
 */
struct tracedat_out *tracedat_out_new(int fd, unsigned int page_size,
				      int long_size, int nr_cpus);

/* Contents of events/header_page and events/header_event. Copied. */
int tracedat_out_header_page(struct tracedat_out *out, const char *buf, size_t len);
int tracedat_out_header_event(struct tracedat_out *out, const char *buf, size_t len);

/*
 * Add one event format file (the text of events/SYSTEM/EVENT/format).
 * @system "ftrace" goes to the ftrace-formats section, anything else to the
 * event systems section grouped by system.  Copied, except that control
 * characters inside the print fmt's quoted strings are escaped (a TAB as
 * \t): libtraceevent cannot parse them (maple_tree:ma_write on 6.18).
 */
int tracedat_out_add_format(struct tracedat_out *out, const char *system,
			    const char *buf, size_t len);

/* /proc/kallsyms text (may be empty), printk_formats text, saved_cmdlines text. Copied. */
int tracedat_out_kallsyms(struct tracedat_out *out, const char *buf, size_t len);
int tracedat_out_printk_formats(struct tracedat_out *out, const char *buf, size_t len);
int tracedat_out_cmdlines(struct tracedat_out *out, const char *buf, size_t len);

/*
 * Add an option (written in the order added).  For TRACEDAT_OPT_TRACECLOCK
 * the writer also emits the clock text after the flyrecord offsets, as
 * trace-cmd's save_clock() does; @data is the content of the trace_clock file
 * (e.g. "local global [mono] ...") and must be NUL terminated.
 */
int tracedat_out_option(struct tracedat_out *out, uint16_t id,
			const void *data, uint32_t size);

/* Append @len bytes (a multiple of page_size) of CPU data for @cpu. Copied. */
int tracedat_out_cpu_mem(struct tracedat_out *out, int cpu, const void *buf, size_t len);

/*
 * Append @len bytes of CPU data for @cpu taken from @src_fd at @offset when
 * the file is finished.  @src_fd must stay open until tracedat_out_finish().
 * @len must be a multiple of page_size.
 */
int tracedat_out_cpu_fd(struct tracedat_out *out, int cpu, int src_fd,
			off_t offset, size_t len);
/*
 * The same; with @release, the source's blocks are given back (a hole
 * punched) as each piece is copied, so assembling the file needs almost
 * no free space beyond what the source already takes (a full disk).
 */
int tracedat_out_cpu_fd_move(struct tracedat_out *out, int cpu, int src_fd,
			     off_t offset, size_t len, bool release);

/*
 * Append @len bytes (a multiple of page_size) of CPU data for @cpu of the
 * named buffer @name (one per file), stored after the top buffer's data
 * with a BUFFER option, as `trace-cmd record -B NAME` stores an instance:
 * trace-cmd report shows its events, libtracecmd opens it with
 * tracecmd_buffer_instance_handle().  Copied.
 */
int tracedat_out_buffer_mem(struct tracedat_out *out, const char *name, int cpu,
			    const void *buf, size_t len);

/* Write everything.  Does not close the output fd. */
int tracedat_out_finish(struct tracedat_out *out);

/* Total bytes written by tracedat_out_finish() (valid after it returns 0). */
uint64_t tracedat_out_size(struct tracedat_out *out);

void tracedat_out_free(struct tracedat_out *out);

#endif
