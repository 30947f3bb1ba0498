// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The BPF tier: programs on tracepoints only (tp_btf: the tracepoint's own
 * arguments, typed by BTF), reading oldmm's mm_users, mm_count and
 * map_count inside dup_mmap()'s window.
 *
 * The window is recognised as the replay recognises it (lib/replay/window.c):
 * a task holding one mm's write lock that takes a second mm's write lock
 * is in dup_mmap(); oldmm's release closes it, and so does a downgrade
 * (acquire_returned(write=false) on the held mm).  Per task, one entry in
 * `held` (keyed by pid).  One record per window goes to the ring buffer at
 * its end; a full ring buffer counts the record in `lost`, never drops it
 * silently.
 *
 * Full mode also runs on maple_tree:ma_write: each fn == "mas_store" by the
 * task inside the window is one copied VMA (its val is the child's vma),
 * counted by kind, with oldmm's mm_users read at each (the first VMA at
 * which it rose above its value at the window's start is kept).  Light mode leaves
 * that program unattached.
 */
#include "record/bpf/core-types.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "record/bpf-record.h"

char LICENSE[] SEC("license") = "GPL";

/* set by the recorder before load */
const volatile __u32 fl_recorder_tgid = 0;
const volatile __u32 fl_light = 0;

/* counted here, read by the recorder at the end */
__u64 fl_lost = 0;		/* records the ring buffer had no room for */
__u64 fl_windows = 0;		/* windows closed */
__u64 fl_unmatched = 0;		/* tasks the `held` map had no room for */
/* set by the recorder while the instance traces: records outside it have no window */
__u32 fl_on = 0;

struct fl_hold {
	__u64 mm;			/* the write-locked mm (oldmm once nested) */
	__u64 newmm;			/* 0 until the second write lock */
	__u64 ts_start;
	__s32 mm_users, mm_count, map_count;
	__s32 mm_users_max, rise_vma, rise_mm_users;
	__u32 vmas, anon, anon_vma, cow, shared;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct fl_hold);
} held SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} records SEC(".maps");

static __always_inline bool ours(void)
{
	return fl_recorder_tgid && (bpf_get_current_pid_tgid() >> 32) == fl_recorder_tgid;
}

static __always_inline void read_mm(struct mm_struct *mm, __s32 *users, __s32 *count, __s32 *vmas)
{
	*users = BPF_CORE_READ(mm, mm_users.counter);
	*count = BPF_CORE_READ(mm, mm_count.counter);
	*vmas = BPF_CORE_READ(mm, map_count);
}

static __always_inline void window_end(__u32 pid, struct fl_hold *h)
{
	struct mm_struct *mm = (struct mm_struct *)h->mm;
	struct fl_bpf_fork_rec *r;

	if (!fl_on)
		return;
	__sync_fetch_and_add(&fl_windows, 1);
	r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&fl_lost, 1);
		return;
	}
	r->kind = FL_BPF_REC_FORK;
	r->pid = pid;
	r->cpu = bpf_get_smp_processor_id();
	r->light = fl_light;
	r->ts_start = h->ts_start;
	r->ts_end = bpf_ktime_get_ns();
	r->oldmm = h->mm;
	r->newmm = h->newmm;
	r->mm_users = h->mm_users;
	r->mm_count = h->mm_count;
	r->map_count = h->map_count;
	read_mm(mm, &r->mm_users_end, &r->mm_count_end, &r->map_count_end);
	r->mm_users_max = h->mm_users_max;
	r->rise_vma = h->rise_vma;
	r->rise_mm_users = h->rise_mm_users;
	r->vmas_copied = h->vmas;
	r->anon = h->anon;
	r->anon_vma = h->anon_vma;
	r->cow = h->cow;
	r->shared = h->shared;
	bpf_ringbuf_submit(r, 0);
}

/* mmap_lock_acquire_returned(mm, write, success) */
SEC("tp_btf/mmap_lock_acquire_returned")
int BPF_PROG(fl_acquire, struct mm_struct *mm, bool write, bool success)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	struct fl_hold *h, fresh = {};
	struct mm_struct *oldmm;

	if (!success || ours())
		return 0;
	h = bpf_map_lookup_elem(&held, &pid);
	if (!write) {
		/* mmap_write_downgrade(): the write hold ends here */
		if (h && h->mm == (__u64)mm) {
			if (h->newmm)
				window_end(pid, h);
			bpf_map_delete_elem(&held, &pid);
		}
		return 0;
	}
	if (!h) {
		fresh.mm = (__u64)mm;
		if (bpf_map_update_elem(&held, &pid, &fresh, BPF_ANY))
			__sync_fetch_and_add(&fl_unmatched, 1);
		return 0;
	}
	if (h->newmm || h->mm == (__u64)mm)
		return 0;
	/* holding oldmm, taking a second mm: dup_mmap()'s window */
	h->newmm = (__u64)mm;
	h->ts_start = bpf_ktime_get_ns();
	oldmm = (struct mm_struct *)h->mm;
	read_mm(oldmm, &h->mm_users, &h->mm_count, &h->map_count);
	h->mm_users_max = h->mm_users;
	h->rise_vma = -1;
	h->rise_mm_users = 0;
	return 0;
}

/* mmap_lock_released(mm, write) */
SEC("tp_btf/mmap_lock_released")
int BPF_PROG(fl_release, struct mm_struct *mm, bool write)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	struct fl_hold *h;

	if (!write)
		return 0;
	h = bpf_map_lookup_elem(&held, &pid);
	if (!h || h->mm != (__u64)mm)
		return 0;	/* the new mm's release comes first: not the end */
	if (h->newmm)
		window_end(pid, h);
	bpf_map_delete_elem(&held, &pid);
	return 0;
}

/* ma_write(fn, mas, piv, val): fn == "mas_store" inside the window is one copied VMA */
SEC("tp_btf/ma_write")
int BPF_PROG(fl_ma_write, const char *fn, void *mas, unsigned long piv, void *val)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	struct vm_area_struct *vma = val;
	struct fl_hold *h;
	char name[10] = {};
	struct mm_struct *oldmm;
	unsigned long flags;
	__s32 users;

	h = bpf_map_lookup_elem(&held, &pid);
	if (!h || !h->newmm || !vma)
		return 0;
	if (bpf_probe_read_kernel_str(name, sizeof(name), fn) != 10 ||
	    name[0] != 'm' || name[1] != 'a' || name[2] != 's' || name[3] != '_' ||
	    name[4] != 's' || name[5] != 't' || name[6] != 'o' || name[7] != 'r' ||
	    name[8] != 'e')
		return 0;
	oldmm = (struct mm_struct *)h->mm;
	users = BPF_CORE_READ(oldmm, mm_users.counter);
	if (users > h->mm_users_max)
		h->mm_users_max = users;
	if (users > h->mm_users && h->rise_vma < 0) {
		h->rise_vma = h->vmas;
		h->rise_mm_users = users;
	}
	flags = BPF_CORE_READ(vma, vm_flags);
	if (flags & FL_VM_SHARED)
		h->shared++;
	else if (BPF_CORE_READ(vma, vm_file))
		h->cow++;
	else
		h->anon++;
	if (BPF_CORE_READ(vma, anon_vma))
		h->anon_vma++;
	h->vmas++;
	return 0;
}

/* Never loaded unless a test asks: a program the verifier rejects. */
SEC("tp_btf/mmap_lock_released")
int BPF_PROG(fl_reject_test, struct mm_struct *mm, bool write)
{
	return ((__u64 *)ctx)[9] != 0;
}
