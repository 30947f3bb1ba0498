/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The events forklock records and replays, in one table (events.c): what
 * the recorder enables (with its in-kernel filter) and stores the format
 * of, what the decoder maps a trace's event ids to (replay/decode.c finds
 * their fields), and which of them a report names when a trace lacks them.
 * ../shared/notes/kernel-events.md has the kernel side of each.
 *
 * Adding an event: an enum fl_ev below, its row in events.c, its fields in
 * replay/decode.c, and what replay/replay.c does with it.
 */
#ifndef FORKLOCK_EVENTS_H
#define FORKLOCK_EVENTS_H

#include <stdbool.h>

/* Decoder ids: what each event of a trace is to forklock. */
enum fl_ev {
	FL_EV_NONE = 0,		/* an id the trace has no format for */
	FL_EV_OTHER,		/* an event of the trace replay does not use */
	FL_EV_LOCK_START,	/* mmap_lock_start_locking */
	FL_EV_LOCK_ACQUIRED,	/* mmap_lock_acquire_returned */
	FL_EV_LOCK_RELEASED,	/* mmap_lock_released */
	FL_EV_MA_WRITE,		/* maple_tree:ma_write */
	FL_EV_NEWTASK,		/* task:task_newtask */
	FL_EV_FORK,		/* sched:sched_process_fork */
	FL_EV_EXEC,		/* sched:sched_process_exec */
	FL_EV_EXIT,		/* sched:sched_process_exit */
	FL_EV_EXIT_MMAP,	/* mmap:exit_mmap */
	FL_EV_FAULT,		/* exceptions:page_fault_user */
	FL_EV_UFFD_ENTER,	/* syscalls:sys_enter_userfaultfd */
	FL_EV_UFFD_EXIT,	/* syscalls:sys_exit_userfaultfd */
	FL_EV_IOCTL_ENTER,	/* syscalls:sys_enter_ioctl */
	FL_EV_IOCTL_EXIT,	/* syscalls:sys_exit_ioctl */
	FL_EV_CLOSE,		/* syscalls:sys_enter_close */
	FL_EV_MMAP_ENTER,	/* syscalls:sys_enter_mmap */
	FL_EV_MMAP_EXIT,	/* syscalls:sys_exit_mmap */
	FL_EV_MUNMAP,		/* syscalls:sys_enter_munmap */
	FL_EV_MADVISE,		/* syscalls:sys_enter_madvise (MADV_DONTFORK/DOFORK only) */
	FL_EV_MADVISE_EXIT,	/* syscalls:sys_exit_madvise (failures only) */
	FL_EV_SWITCH,		/* sched:sched_switch */
	FL_EV_WAKING,		/* sched:sched_waking */
	/* kprobe tier: group forklock_<pid> (or kprobes, for dup_probe) */
	FL_EV_K_DUP_MMAP,	/* dup_mmap entry */
	FL_EV_K_DUP_MMAP_RET,	/* dup_mmap return */
	FL_EV_K_UPROBE_DUP_MMAP, /* uprobe_dup_mmap entry: the read point where dup_mmap is inlined */
	FL_EV_K_DUP_MMAP_END,	/* uprobe_end_dup_mmap entry: dup_mmap() done */
	FL_EV_K_VSW,		/* __vma_start_write entry */
	FL_EV_K_VSW_RET,	/* __vma_start_write return */
	FL_EV_K_RCU_RET,	/* lock_vma_under_rcu return */
	FL_EV_K_DUP_PROBE,	/* the seed's dup_probe(only_user, locked) */
	FL_EV_PRINT,		/* ftrace:print (the snapshot) */
	/* bpf tier: buffer forklock-bpf (events/bpfevents.h) */
	FL_EV_BPF_FORK,		/* forklock:bpf_fork */
	FL_EV_BPF_STATS,	/* forklock:bpf_stats */
	FL_EV_NR
};

/* What forklock record does with an event. */
enum fl_record_need {
	FL_RECORD_NO,		/* not enabled from this table (its format may be stored) */
	FL_RECORD_WINDOW,	/* fork-window event: a kernel without it cannot be recorded */
	FL_RECORD_MODEL,	/* task/mm model or race evidence: warned about if missing */
};

/* What forklock report does with a trace that lacks it. */
enum fl_replay_need {
	FL_REPLAY_USED,		/* goes without saying */
	FL_REPLAY_REQUIRED,	/* refuses the trace */
	FL_REPLAY_NAMED,	/* says it is not in the trace */
};

struct fl_event_spec {
	const char *system;	/* NULL: a dynamic event (fl_event_dynamic_group()) */
	const char *name;
	const char *label;	/* "system:name", as reports name it */
	enum fl_record_need record;
	enum fl_replay_need replay;
	const char *filter;	/* the in-kernel filter the recorder sets, NULL: none */
	const char *why;	/* what forklock needs it for */
};

/* Indexed by enum fl_ev; FL_EV_NONE and FL_EV_OTHER have no row (name NULL). */
extern const struct fl_event_spec fl_events[FL_EV_NR];

/* Is @system a group forklock's dynamic (kprobe) events are found in? */
bool fl_event_dynamic_group(const char *system);

#endif
