/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to lib/tracedat/: what check.c takes from sandbox.c. */
#ifndef FORKLOCK_TRACEDAT_LOCAL_H
#define FORKLOCK_TRACEDAT_LOCAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Open the trace.dat @fd (of @file_size bytes, format @version) with
 * libtracecmd in a child process, and for version 7 read every event
 * there too.  @need[id] (TRACEDAT_MAX_EVENT_ID + 1 entries) gets how many
 * bytes the fixed fields of event @id's format span.  Returns 0, or -2
 * with @why set when the child crashes, hangs or fails.
 */
int fl_sandbox_open(int fd, int version, uint64_t file_size, uint16_t *need,
		    char *why, size_t len);

#endif
