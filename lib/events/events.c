// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The event table (events.h).  The recorder enables the rows in this
 * order, stores their formats in it, and sets the filters in it.
 *
 * In-kernel filters: each cuts volume without losing evidence.
 *  - ma_write: only fn == "mas_store" is counted (a VMA copied by
 *    dup_mmap); mas_store_prealloc, mas_wr_* and the rest are never
 *    used.  The filter is set only where printk_formats does not name
 *    the "mas_store" string (6.8.0): elsewhere the replay tells the
 *    writes apart itself, and an unfiltered ma_write is far cheaper for
 *    the forking task (record/setup.c ma_write_fn_resolves()).
 *  - sys_enter_ioctl: only the UFFDIO_* commands that reach into an mm
 *    (COPY, ZEROPAGE, MOVE, WRITEPROTECT, CONTINUE, POISON).
 *  - sys_enter_mmap: none.  Every mapping's kind (private anonymous,
 *    private file, MAP_SHARED) goes into the replay's VMA map: the kind of
 *    the VMA a fork blocked on, and the anon-cow-only policy's counts.
 *  - sched_switch: only a task leaving the CPU blocked in the kernel (D,
 *    including killable waits: prev_state & 2), preempted (R+: & 0x100) or
 *    yielding (R: 0), never the idle task.  A task inside dup_mmap() never
 *    sleeps interruptibly (S), so the far more common S switches (tasks
 *    waiting in poll, read, futex) are dropped without losing a fork's
 *    off-CPU time.  The end of an off-CPU interval is the task's next
 *    event, or a kept switch to it.
 *  - sched_waking: none (the wakee's state is not in the event); it fires
 *    in the waker's context, so common_pid is the waker.
 */
#include <string.h>

#include "events/events.h"

#define TP(sys, ev)	.system = sys, .name = ev, .label = sys ":" ev
#define PROBE(ev)	.name = ev, .label = ev

const struct fl_event_spec fl_events[FL_EV_NR] = {
	/* the fork window: dup_mmap() write-locks oldmm, then the new mm */
	[FL_EV_LOCK_START] = { TP("mmap_lock", "mmap_lock_start_locking"),
		FL_RECORD_WINDOW, FL_REPLAY_REQUIRED, NULL,
		"start of every mmap_lock acquisition (window start, waiters on oldmm)" },
	[FL_EV_LOCK_ACQUIRED] = { TP("mmap_lock", "mmap_lock_acquire_returned"),
		FL_RECORD_WINDOW, FL_REPLAY_REQUIRED, NULL,
		"mmap_lock acquired or failed (window start, aborted forks)" },
	[FL_EV_LOCK_RELEASED] = { TP("mmap_lock", "mmap_lock_released"),
		FL_RECORD_WINDOW, FL_REPLAY_REQUIRED, NULL,
		"mmap_lock released (window end)" },
	[FL_EV_MA_WRITE] = { TP("maple_tree", "ma_write"),
		FL_RECORD_WINDOW, FL_REPLAY_NAMED, "fn == \"mas_store\"",
		"one mas_store per VMA copied by dup_mmap (VMAs locked)" },
	[FL_EV_NEWTASK] = { TP("task", "task_newtask"),
		FL_RECORD_WINDOW, FL_REPLAY_REQUIRED, NULL,
		"child pid and clone flags of every new task" },
	/* the task/mm model */
	[FL_EV_FORK] = { TP("sched", "sched_process_fork"),
		FL_RECORD_MODEL, FL_REPLAY_NAMED, NULL,
		"parent/child pairing, cross-check of task_newtask" },
	[FL_EV_EXEC] = { TP("sched", "sched_process_exec"),
		FL_RECORD_MODEL, FL_REPLAY_NAMED, NULL,
		"exec replaces the mm: retires the mm identity" },
	[FL_EV_EXIT] = { TP("sched", "sched_process_exit"),
		FL_RECORD_MODEL, FL_REPLAY_NAMED, NULL,
		"task exit: thread counts" },
	[FL_EV_EXIT_MMAP] = { TP("mmap", "exit_mmap"),
		FL_RECORD_MODEL, FL_REPLAY_NAMED, NULL,
		"mm torn down: its pointer may be reused" },
	/* who touches oldmm during the window */
	[FL_EV_FAULT] = { TP("exceptions", "page_fault_user"),
		FL_RECORD_MODEL, FL_REPLAY_NAMED, NULL,
		"sibling threads faulting during a fork window (x86 and riscv only)" },
	[FL_EV_UFFD_ENTER] = { TP("syscalls", "sys_enter_userfaultfd"),
		FL_RECORD_MODEL, FL_REPLAY_USED, NULL,
		"userfaultfd creation (uffd state of an mm)" },
	[FL_EV_UFFD_EXIT] = { TP("syscalls", "sys_exit_userfaultfd"),
		FL_RECORD_MODEL, FL_REPLAY_NAMED, NULL,
		"the uffd file descriptor" },
	[FL_EV_IOCTL_ENTER] = { TP("syscalls", "sys_enter_ioctl"),
		FL_RECORD_MODEL, FL_REPLAY_NAMED,
		"cmd == 0xc028aa03 || cmd == 0xc020aa04 || cmd == 0xc028aa05 || "
		"cmd == 0xc018aa06 || cmd == 0xc020aa07 || cmd == 0xc020aa08",
		"UFFDIO_COPY/ZEROPAGE/CONTINUE/WRITEPROTECT/MOVE/POISON into an mm" },
	[FL_EV_IOCTL_EXIT] = { TP("syscalls", "sys_exit_ioctl"),
		FL_RECORD_MODEL, FL_REPLAY_USED, NULL,
		"end of a uffd ioctl (accessor time)" },
	[FL_EV_CLOSE] = { TP("syscalls", "sys_enter_close"),
		FL_RECORD_MODEL, FL_REPLAY_NAMED, NULL,
		"uffd file descriptors closed" },
	/* VMA kinds (the anon-cow-only policy): MAP_SHARED mappings made and unmapped */
	[FL_EV_MMAP_ENTER] = { TP("syscalls", "sys_enter_mmap"),
		FL_RECORD_MODEL, FL_REPLAY_USED, NULL,
		"mappings created and their kinds (VMA kinds, the VMA map)" },
	[FL_EV_MMAP_EXIT] = { TP("syscalls", "sys_exit_mmap"),
		FL_RECORD_MODEL, FL_REPLAY_USED, NULL,
		"where a new mapping went (VMA kinds)" },
	[FL_EV_MUNMAP] = { TP("syscalls", "sys_enter_munmap"),
		FL_RECORD_MODEL, FL_REPLAY_USED, NULL,
		"mappings removed (VMA kinds)" },
	/* VM_DONTCOPY VMAs: locked by dup_mmap(), not copied (vmas_locked) */
	[FL_EV_MADVISE] = { TP("syscalls", "sys_enter_madvise"),
		FL_RECORD_MODEL, FL_REPLAY_USED, "behavior == 10 || behavior == 11",
		"MADV_DONTFORK/MADV_DOFORK: VM_DONTCOPY VMAs made and unmade (VMAs locked)" },
	[FL_EV_MADVISE_EXIT] = { TP("syscalls", "sys_exit_madvise"),
		FL_RECORD_MODEL, FL_REPLAY_USED, "ret != 0",
		"a failed madvise() (the DONTFORK/DOFORK it undoes)" },
	/* the forking task off-CPU inside its window, and who woke it */
	/* without them fork_blocked_ns and friends are null, and said so */
	[FL_EV_SWITCH] = { TP("sched", "sched_switch"),
		FL_RECORD_MODEL, FL_REPLAY_USED,
		"prev_pid != 0 && (prev_state & 0x102 || prev_state == 0)",
		"the forking task leaving the CPU blocked or preempted inside its window" },
	[FL_EV_WAKING] = { TP("sched", "sched_waking"),
		FL_RECORD_MODEL, FL_REPLAY_USED, NULL,
		"who woke a fork blocked inside its window (the waker is common_pid)" },
	/* the kprobe tier: made by record/kprobes.c, found by name in their group */
	[FL_EV_K_DUP_MMAP] = { PROBE("dup_mmap"), FL_RECORD_NO, FL_REPLAY_USED, NULL,
		"dup_mmap() entry: oldmm, mm_users, mm_count (and map_count) as the kernel read them" },
	[FL_EV_K_DUP_MMAP_RET] = { PROBE("dup_mmap_ret"), FL_RECORD_NO, FL_REPLAY_USED, NULL,
		"dup_mmap() return value (a failed fork)" },
	[FL_EV_K_UPROBE_DUP_MMAP] = { PROBE("uprobe_dup_mmap"), FL_RECORD_NO, FL_REPLAY_USED, NULL,
		"uprobe_dup_mmap() entry, inside dup_mmap() with oldmm write-locked: oldmm, "
		"mm_users, mm_count and map_count as the kernel read them" },
	[FL_EV_K_DUP_MMAP_END] = { PROBE("dup_mmap_end"), FL_RECORD_NO, FL_REPLAY_USED, NULL,
		"uprobe_end_dup_mmap() entry: dup_mmap() is done (every exit path)" },
	[FL_EV_K_VSW] = { PROBE("vma_start_write"), FL_RECORD_NO, FL_REPLAY_USED, NULL,
		"__vma_start_write() entry: each VMA lock taken, of oldmm or the new mm" },
	[FL_EV_K_VSW_RET] = { PROBE("vma_start_write_ret"), FL_RECORD_NO, FL_REPLAY_USED, NULL,
		"__vma_start_write() return: the time a parent VMA lock took" },
	[FL_EV_K_RCU_RET] = { PROBE("lock_vma_rcu_ret"), FL_RECORD_NO, FL_REPLAY_USED, NULL,
		"lock_vma_under_rcu() return: NULL is a reader of oldmm falling back" },
	[FL_EV_K_DUP_PROBE] = { PROBE("dup_probe"), FL_RECORD_NO, FL_REPLAY_USED, NULL,
		"the seed experiment's dup_probe(only_user, locked)" },
	/* the /proc snapshot, written by the recorder as trace_marker lines */
	[FL_EV_PRINT] = { TP("ftrace", "print"), FL_RECORD_NO, FL_REPLAY_USED, NULL,
		"forklock's /proc snapshot (events/snapline.h)" },
	/* the bpf tier: written by record/bpf.c into its own buffer */
	[FL_EV_BPF_FORK] = { TP("forklock", "bpf_fork"), FL_RECORD_NO, FL_REPLAY_USED, NULL,
		"a fork window as BPF saw it: oldmm's mm_users, mm_count, map_count" },
	[FL_EV_BPF_STATS] = { TP("forklock", "bpf_stats"), FL_RECORD_NO, FL_REPLAY_USED, NULL,
		"the BPF tier's windows and lost records" },
};

bool fl_event_dynamic_group(const char *system)
{
	return !strncmp(system, "forklock", 8) || !strcmp(system, "kprobes");
}
