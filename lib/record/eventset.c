// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tracepoints forklock records, and why each is needed.
 * ../shared/notes/kernel-events.md has the kernel side of every one.
 */
#include <tracefs.h>

#include "record/record.h"

/*
 * In-kernel filters: each cuts volume without losing evidence.
 *  - ma_write: only fn == "mas_store" is counted (a VMA copied by
 *    dup_mmap); mas_store_prealloc, mas_wr_* and the rest are most of
 *    the maple tree's events and are never used.
 *  - sys_enter_ioctl: only the UFFDIO_* commands that reach into an mm
 *    (COPY, ZEROPAGE, MOVE, WRITEPROTECT, CONTINUE, POISON).
 *  - sys_enter_mmap: only MAP_SHARED mappings (the anon-cow-only policy's
 *    VMA kinds); private mappings are not followed.
 */
const struct fl_event_filter fl_filters[] = {
	{ "maple_tree", "ma_write", "fn == \"mas_store\"" },
	{ "syscalls", "sys_enter_ioctl",
	  "cmd == 0xc028aa03 || cmd == 0xc020aa04 || cmd == 0xc028aa05 || "
	  "cmd == 0xc018aa06 || cmd == 0xc020aa07 || cmd == 0xc020aa08" },
	{ "syscalls", "sys_enter_mmap", "flags & 1" },
};

const size_t fl_nr_filters = sizeof(fl_filters) / sizeof(fl_filters[0]);

const struct fl_event_spec fl_events[] = {
	/* the fork window: dup_mmap() write-locks oldmm, then the new mm */
	{ "mmap_lock", "mmap_lock_start_locking", FL_EV_WINDOW,
	  "start of every mmap_lock acquisition (window start, waiters on oldmm)" },
	{ "mmap_lock", "mmap_lock_acquire_returned", FL_EV_WINDOW,
	  "mmap_lock acquired or failed (window start, aborted forks)" },
	{ "mmap_lock", "mmap_lock_released", FL_EV_WINDOW,
	  "mmap_lock released (window end)" },
	{ "maple_tree", "ma_write", FL_EV_WINDOW,
	  "one mas_store per VMA copied by dup_mmap (VMAs locked)" },
	{ "task", "task_newtask", FL_EV_WINDOW,
	  "child pid and clone flags of every new task" },
	/* the task/mm model */
	{ "sched", "sched_process_fork", FL_EV_MODEL,
	  "parent/child pairing, cross-check of task_newtask" },
	{ "sched", "sched_process_exec", FL_EV_MODEL,
	  "exec replaces the mm: retires the mm identity" },
	{ "sched", "sched_process_exit", FL_EV_MODEL,
	  "task exit: thread counts" },
	{ "mmap", "exit_mmap", FL_EV_MODEL,
	  "mm torn down: its pointer may be reused" },
	/* who touches oldmm during the window */
	{ "exceptions", "page_fault_user", FL_EV_MODEL,
	  "sibling threads faulting during a fork window (x86 and riscv only)" },
	{ "syscalls", "sys_enter_userfaultfd", FL_EV_MODEL,
	  "userfaultfd creation (uffd state of an mm)" },
	{ "syscalls", "sys_exit_userfaultfd", FL_EV_MODEL,
	  "the uffd file descriptor" },
	{ "syscalls", "sys_enter_ioctl", FL_EV_MODEL,
	  "UFFDIO_COPY/ZEROPAGE/CONTINUE/WRITEPROTECT/MOVE/POISON into an mm" },
	{ "syscalls", "sys_exit_ioctl", FL_EV_MODEL,
	  "end of a uffd ioctl (accessor time)" },
	{ "syscalls", "sys_enter_close", FL_EV_MODEL,
	  "uffd file descriptors closed" },
	/* VMA kinds (the anon-cow-only policy): MAP_SHARED mappings made and unmapped */
	{ "syscalls", "sys_enter_mmap", FL_EV_MODEL,
	  "MAP_SHARED mappings created (VMA kinds)" },
	{ "syscalls", "sys_exit_mmap", FL_EV_MODEL,
	  "where a new mapping went (VMA kinds)" },
	{ "syscalls", "sys_enter_munmap", FL_EV_MODEL,
	  "mappings removed (VMA kinds)" },
};

const size_t fl_nr_events = sizeof(fl_events) / sizeof(fl_events[0]);

bool fl_event_present(const char *system, const char *name)
{
	return tracefs_event_file_exists(NULL, system, name, "format");
}
