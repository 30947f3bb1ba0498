/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the BPF programs (bpf/forklock.bpf.c) hand the recorder through
 * their ring buffer, one record per fork window.  Shared by the BPF side
 * and lib/record/bpf.c only: the trace.dat carries these values as the
 * events of lib/events/bpfevents.h, whose layout is the file's own.
 *
 * Plain fixed-size types, so the BPF target and the host agree.
 */
#ifndef FORKLOCK_BPF_RECORD_H
#define FORKLOCK_BPF_RECORD_H

#define FL_BPF_REC_FORK		1

struct fl_bpf_fork_rec {
	__u32 kind;		/* FL_BPF_REC_FORK */
	__u32 pid;		/* the forking task */
	__u32 cpu;		/* where the window closed */
	__u32 light;		/* no per-VMA program: kinds and rise unknown */
	__u64 ts_start;		/* bpf_ktime_get_ns(): the new mm's write lock */
	__u64 ts_end;		/* ... oldmm's release */
	__u64 oldmm, newmm;
	/* oldmm at the window's start (new mm write-locked) and at its end */
	__s32 mm_users, mm_count, map_count;
	__s32 mm_users_end, mm_count_end, map_count_end;
	__s32 mm_users_max;	/* the highest mm_users read inside the window */
	__s32 rise_vma;		/* copied VMA at which mm_users first rose; -1 none */
	__s32 rise_mm_users;	/* mm_users read there */
	__u32 vmas_copied;	/* ma_write fn=mas_store in the window */
	/* the copied VMAs (the child's vma, ma_write's val) by kind */
	__u32 anon;		/* no vm_file, not shared */
	__u32 anon_vma;		/* ... with an anon_vma (anon_vma_fork() set it) */
	__u32 cow;		/* private file mapping */
	__u32 shared;		/* VM_SHARED */
};

#endif
