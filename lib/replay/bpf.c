// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bpf tier's records (events/bpfevents.h), read from their own buffer
 * in time order with the top buffer's events, joined to the fork window
 * the replay has for the same task and oldmm.
 *
 * A forklock:bpf_fork record is stamped at oldmm's release, right after
 * the mmap_lock_released event that closes the window (the instance's
 * event is registered on the tracepoint before the BPF program), and
 * long before the child's task_newtask: the fork is then the task's
 * pending one (or, if the two stamps tie the other way, still open).
 * A record that finds no window is counted (bpf_unjoined), never guessed
 * onto another fork.
 *
 * What the record gives is the kernel's: mm_users, mm_count and map_count
 * of oldmm at the window's start (source "bpf"), vmas_locked from
 * map_count (window.c), the highest mm_users inside the window, and in
 * full mode the copied VMAs by kind (exact) and the first copied VMA at
 * which mm_users changed, with the other process the window shows
 * touching oldmm as its holder.
 */
#include <string.h>

#include <event-parse.h>

#include "replay/replay-int.h"

static int32_t s32(const struct fl_decoder *d, const struct tep_record *rec,
		   const struct fl_field *f)
{
	return (int32_t)fl_field_s64(d, rec, f);
}

static uint32_t u32(const struct fl_decoder *d, const struct tep_record *rec,
		    const struct fl_field *f)
{
	return (uint32_t)fl_field_u64(d, rec, f);
}

/* The fork of @t whose oldmm is @oldmm: pending (closed), or still open. */
static struct fork_rec *window_of(struct task *t, uint64_t oldmm)
{
	if (t->pending && t->pending->is_fork && t->pending->f.oldmm == oldmm)
		return t->pending;
	if (t->rec && t->rec->is_fork && t->rec->f.oldmm == oldmm)
		return t->rec;
	return NULL;
}

/* Who else the window shows on oldmm: a UFFDIO_* ioctl or a remote lock. */
static void rise_holder(struct fl_fork *f)
{
	uint32_t i;

	f->rise_pid = -1;
	memset(f->rise_comm, 0, sizeof(f->rise_comm));
	for (i = 0; i < f->nr_detail; i++) {
		const struct fl_accessor *a = &f->accessor[i];

		if (a->kind != FL_ACC_UFFD_IOCTL && a->kind != FL_ACC_REMOTE)
			continue;
		if (a->tgid >= 0 && a->tgid == f->parent_tgid)
			continue;
		f->rise_pid = a->pid;
		memcpy(f->rise_comm, a->comm, sizeof(f->rise_comm));
		return;
	}
}

static void join(struct replay *rp, struct fl_fork *f, const struct tep_record *rec)
{
	const struct fl_decoder *d = &rp->dec;
	bool light = fl_field_u64(d, rec, &d->b_light) != 0;
	uint32_t copied;

	f->tier = FL_TIER_BPF;
	f->mm_users = s32(d, rec, &d->b_users);
	f->mm_count = s32(d, rec, &d->b_count);
	f->map_count = s32(d, rec, &d->b_map_count);
	f->src.mm_users = f->src.mm_count = f->src.map_count = FL_SRC_BPF;
	f->mm_users_max = s32(d, rec, &d->b_users_max);
	f->mm_users_end = s32(d, rec, &d->b_users_end);
	f->mm_count_end = s32(d, rec, &d->b_count_end);
	f->map_count_end = s32(d, rec, &d->b_map_count_end);
	f->light = light;
	if (f->mm_count == 1)
		f->uffd = FL_UFFD_NONE;		/* nothing but its users holds oldmm */
	f->rise_vma = -1;
	f->rise_pid = -1;
	if (light) {
		f->src.vmas_copied = FL_SRC_NONE;	/* no ma_write: not counted */
		return;
	}
	/* full mode: every copied VMA was seen by the program on ma_write */
	copied = u32(d, rec, &d->b_vmas);
	f->rise_known = true;
	f->rise_vma = s32(d, rec, &d->b_rise_vma);
	f->rise_mm_users = s32(d, rec, &d->b_rise_users);
	if (f->rise_vma >= 0 && f->rise_mm_users > f->mm_users)
		rise_holder(f);
	f->kinds = (struct fl_vma_kinds){
		.shared = (int32_t)u32(d, rec, &d->b_shared),
		.anon = (int32_t)u32(d, rec, &d->b_anon),
		.cow = (int32_t)u32(d, rec, &d->b_cow),
		.special = 0,
		.quality = FL_KINDS_EXACT,
	};
	f->vmas_anon_vma = (int32_t)u32(d, rec, &d->b_anon_vma);
	if (f->map_count >= 0 && (uint32_t)f->map_count >= copied)
		f->vmas_dontcopy = f->map_count - (int)copied;
}

/*
 * The counts (forklock:bpf_stats) come before the first record: a fork
 * left without one when the ring buffer lost records may be one of them.
 * Which ones were lost the programs cannot say; every window without its
 * record is then marked, never shown as clean.
 */
void bpf_fork_done(struct replay *rp, struct fl_fork *f)
{
	const struct fl_trace_info *info = rp->info;

	if (!info->bpf || !info->bpf_stats || !info->bpf_lost || f->tier == FL_TIER_BPF ||
	    f->partial)
		return;
	f->bpf_lost = true;
	f->lost_events = true;
}

int bpf_record(struct replay *rp, struct tep_record *rec)
{
	const struct fl_decoder *d = &rp->dec;
	struct fl_trace_info *info = rp->info;
	struct fork_rec *fr;
	struct task *t;
	uint16_t id;
	int32_t pid;

	if (rec->size < 8)
		return 0;
	memcpy(&id, rec->data, 2);
	memcpy(&pid, (const char *)rec->data + 4, 4);
	if (d->swap) {
		id = __builtin_bswap16(id);
		pid = (int32_t)__builtin_bswap32((uint32_t)pid);
	}
	switch (fl_decode_kind(d, id)) {
	case FL_EV_BPF_STATS:
		info->bpf_stats = true;
		info->bpf_windows = fl_field_u64(d, rec, &d->bs_windows);
		info->bpf_lost = fl_field_u64(d, rec, &d->bs_lost);
		info->bpf_unmatched = fl_field_u64(d, rec, &d->bs_unmatched);
		info->light = fl_field_u64(d, rec, &d->bs_light) != 0;
		return 0;
	case FL_EV_BPF_FORK:
		break;
	default:
		info->unknown_events++;
		return 0;
	}
	info->bpf_records++;
	t = pid > 0 ? model_task_find(rp, pid) : NULL;
	fr = t ? window_of(t, fl_field_u64(d, rec, &d->b_oldmm)) : NULL;
	if (!fr) {
		info->bpf_unjoined++;
		return 0;
	}
	join(rp, &fr->f, rec);
	info->bpf_joined++;
	return 0;
}
