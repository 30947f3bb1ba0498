/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The BPF tier's events: what the recorder's BPF programs read, stored in
 * the trace.dat as events of system "forklock" in a buffer of their own
 * (FL_BPF_BUFFER), with formats in the file's event formats so that
 * trace-cmd report and KernelShark decode them.  Their time stamps are
 * bpf_ktime_get_ns(), CLOCK_MONOTONIC: the instance's "mono" clock.
 *
 *   forklock:bpf_fork   one per dup_mmap() window, at oldmm's release
 *   forklock:bpf_stats  one at the end: windows seen, records lost
 *
 * The recorder lays the payloads out as struct fl_bpf_fork_event and
 * struct fl_bpf_stats_event; the replay reads them by field name.
 */
#ifndef FORKLOCK_BPFEVENTS_H
#define FORKLOCK_BPFEVENTS_H

#include <stddef.h>
#include <stdint.h>

#define FL_BPF_BUFFER		"forklock-bpf"
#define FL_BPF_SYSTEM		"forklock"
#define FL_BPF_FORK_EVENT	"bpf_fork"
#define FL_BPF_STATS_EVENT	"bpf_stats"

struct fl_bpf_common {
	uint16_t common_type;
	uint8_t common_flags;
	uint8_t common_preempt_count;
	int32_t common_pid;
};

struct fl_bpf_fork_event {
	struct fl_bpf_common c;
	uint64_t oldmm, newmm;
	uint64_t ts_start;		/* the new mm write-locked (the event's own: oldmm released) */
	int32_t mm_users, mm_count, map_count;		/* oldmm at the window's start */
	int32_t mm_users_end, mm_count_end, map_count_end;	/* ... at its end */
	int32_t mm_users_max;		/* highest inside the window */
	int32_t rise_vma;		/* copied VMA at which mm_users first changed; -1 none */
	int32_t rise_mm_users;		/* mm_users read there */
	uint32_t vmas_copied;		/* mas_store in the window (0 in light mode) */
	uint32_t anon, anon_vma, cow, shared;	/* the copied VMAs by kind */
	uint32_t light;			/* 1: no per-VMA program (kinds and rise unknown) */
};

struct fl_bpf_stats_event {
	struct fl_bpf_common c;
	uint64_t windows;		/* windows the programs closed */
	uint64_t lost;			/* ... whose record the ring buffer had no room for */
	uint64_t unmatched;		/* write locks the per-task map had no room for */
	uint32_t light;
	uint32_t pad;
};

/*
 * The format text of @name (FL_BPF_FORK_EVENT or FL_BPF_STATS_EVENT) with
 * event id @id, as the kernel writes events/SYSTEM/NAME/format.  Returns
 * its length, or -1 if @name is not one of ours or @len is too small.
 */
int fl_bpf_event_format(const char *name, int id, char *buf, size_t len);

#endif
