// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>

#include "events/events.h"
#include "replay/decode.h"
#include "tracedat/format.h"

/* common_type is a u16: an event with another id never appears in the data */
static bool usable_id(const struct tep_event *e)
{
	return e && e->id >= 0 && e->id <= TRACEDAT_MAX_EVENT_ID;
}

static bool find_field(struct tep_event *ev, const char *name, struct fl_field *f)
{
	struct tep_format_field *field = ev ? tep_find_field(ev, name) : NULL;

	f->offset = -1;
	f->size = 0;
	if (!field)
		return false;
	/* a field no event of a page can hold (offsets are kept as shorts) */
	if (field->offset < 0 || field->size < 0 || field->offset + field->size > INT16_MAX)
		return false;
	f->offset = (short)field->offset;
	f->size = (short)field->size;
	f->data_loc = field->flags & TEP_FIELD_IS_DYNAMIC;
	f->is_signed = field->flags & TEP_FIELD_IS_SIGNED;
	return true;
}

/*
 * The fields replay reads, by name, in the order a missing one is reported.
 * An event's fields are needed only if the trace has the event.
 */
#define F(ev, name, member)	{ ev, name, offsetof(struct fl_decoder, member), false }
/* a field that older recordings of the event lack: its offset stays -1 */
#define F_OPT(ev, name, member)	{ ev, name, offsetof(struct fl_decoder, member), true }

static const struct {
	enum fl_ev ev;
	const char *name;
	size_t off;
	bool optional;
} fields[] = {
	F(FL_EV_LOCK_START, "mm", lock_mm[0]),
	F(FL_EV_LOCK_START, "write", lock_write[0]),
	F(FL_EV_LOCK_ACQUIRED, "mm", lock_mm[1]),
	F(FL_EV_LOCK_ACQUIRED, "write", lock_write[1]),
	F(FL_EV_LOCK_RELEASED, "mm", lock_mm[2]),
	F(FL_EV_LOCK_RELEASED, "write", lock_write[2]),
	F(FL_EV_LOCK_ACQUIRED, "success", lock_success),
	F(FL_EV_MA_WRITE, "fn", ma_fn),
	F(FL_EV_MA_WRITE, "index", ma_index),
	F(FL_EV_MA_WRITE, "last", ma_last),
	F(FL_EV_NEWTASK, "pid", nt_pid),
	F(FL_EV_NEWTASK, "comm", nt_comm),
	F(FL_EV_NEWTASK, "clone_flags", nt_flags),
	F(FL_EV_FORK, "parent_pid", fork_parent),
	F(FL_EV_FORK, "child_pid", fork_child),
	F(FL_EV_EXEC, "pid", exec_pid),
	F(FL_EV_EXEC, "old_pid", exec_old_pid),
	F(FL_EV_EXEC, "filename", exec_filename),
	F(FL_EV_EXIT, "pid", exit_pid),
	F(FL_EV_EXIT_MMAP, "mm", exit_mmap_mm),
	F(FL_EV_FAULT, "address", fault_address),
	F(FL_EV_UFFD_ENTER, "flags", ufd_flags),
	F(FL_EV_UFFD_EXIT, "ret", ufd_ret),
	F(FL_EV_IOCTL_ENTER, "fd", ioctl_fd),
	F(FL_EV_IOCTL_ENTER, "cmd", ioctl_cmd),
	F(FL_EV_IOCTL_EXIT, "ret", ioctl_ret),
	F(FL_EV_CLOSE, "fd", close_fd),
	F(FL_EV_PRINT, "buf", print_buf),
	F(FL_EV_MMAP_ENTER, "len", mmap_len),
	F(FL_EV_MMAP_ENTER, "flags", mmap_flags),
	F(FL_EV_MMAP_EXIT, "ret", mmap_ret),
	F(FL_EV_MUNMAP, "addr", munmap_addr),
	F(FL_EV_MUNMAP, "len", munmap_len),
	F(FL_EV_MADVISE, "start", madv_start),
	F(FL_EV_MADVISE, "len_in", madv_len),
	F(FL_EV_MADVISE, "behavior", madv_behavior),
	F(FL_EV_MADVISE_EXIT, "ret", madv_ret),
	F(FL_EV_K_DUP_MMAP, "oldmm", k_oldmm),
	F(FL_EV_K_DUP_MMAP, "mm_users", k_users),
	F(FL_EV_K_DUP_MMAP, "mm_count", k_count),
	F_OPT(FL_EV_K_DUP_MMAP, "map_count", k_map_count),
	F(FL_EV_K_DUP_MMAP_RET, "ret", k_ret),
	F(FL_EV_K_UPROBE_DUP_MMAP, "oldmm", ku_oldmm),
	F(FL_EV_K_UPROBE_DUP_MMAP, "mm_users", ku_users),
	F(FL_EV_K_UPROBE_DUP_MMAP, "mm_count", ku_count),
	F(FL_EV_K_UPROBE_DUP_MMAP, "map_count", ku_map_count),
	F(FL_EV_K_VSW, "vm_mm", k_vm_mm),
	F(FL_EV_K_RCU_RET, "ret", k_rcu_ret),
	F(FL_EV_K_DUP_PROBE, "only_user", k_only_user),
	F(FL_EV_K_DUP_PROBE, "locked", k_locked),
	F(FL_EV_SWITCH, "prev_state", sw_prev_state),
	F(FL_EV_SWITCH, "prev_comm", sw_prev_comm),
	F(FL_EV_SWITCH, "next_pid", sw_next_pid),
	F(FL_EV_SWITCH, "next_comm", sw_next_comm),
	F(FL_EV_WAKING, "pid", wk_pid),
	F(FL_EV_WAKING, "comm", wk_comm),
	F(FL_EV_BPF_FORK, "oldmm", b_oldmm),
	F(FL_EV_BPF_FORK, "newmm", b_newmm),
	F(FL_EV_BPF_FORK, "ts_start", b_ts_start),
	F(FL_EV_BPF_FORK, "mm_users", b_users),
	F(FL_EV_BPF_FORK, "mm_count", b_count),
	F(FL_EV_BPF_FORK, "map_count", b_map_count),
	F(FL_EV_BPF_FORK, "mm_users_end", b_users_end),
	F(FL_EV_BPF_FORK, "mm_count_end", b_count_end),
	F(FL_EV_BPF_FORK, "map_count_end", b_map_count_end),
	F(FL_EV_BPF_FORK, "mm_users_max", b_users_max),
	F(FL_EV_BPF_FORK, "rise_vma", b_rise_vma),
	F(FL_EV_BPF_FORK, "rise_mm_users", b_rise_users),
	F(FL_EV_BPF_FORK, "vmas_copied", b_vmas),
	F(FL_EV_BPF_FORK, "anon", b_anon),
	F(FL_EV_BPF_FORK, "anon_vma", b_anon_vma),
	F(FL_EV_BPF_FORK, "cow", b_cow),
	F(FL_EV_BPF_FORK, "shared", b_shared),
	F(FL_EV_BPF_FORK, "light", b_light),
	F(FL_EV_BPF_STATS, "windows", bs_windows),
	F(FL_EV_BPF_STATS, "lost", bs_lost),
	F(FL_EV_BPF_STATS, "unmatched", bs_unmatched),
	F(FL_EV_BPF_STATS, "light", bs_light),
};

#undef F
#undef F_OPT

static void found(struct fl_decoder *d, struct tep_event **ev, enum fl_ev k, struct tep_event *e)
{
	ev[k] = e;
	d->ids[k] = e->id;
	d->kind_of[e->id] = k;
}

int fl_decoder_init(struct fl_decoder *d, struct tep_handle *tep, char *why, size_t len)
{
	struct tep_event *ev[FL_EV_NR] = { NULL };
	struct tep_event **all;
	size_t i;
	int n, k;

	memset(d, 0, sizeof(*d));
	d->tep = tep;
#if __BYTE_ORDER == __LITTLE_ENDIAN
	d->swap = tep_is_file_bigendian(tep);
#else
	d->swap = !tep_is_file_bigendian(tep);
#endif
	for (k = 0; k < FL_EV_NR; k++)
		d->ids[k] = -1;
	all = tep_list_events(tep, TEP_EVENT_SORT_ID);	/* owned by tep */
	n = tep_get_events_count(tep);
	for (i = 0; all && (int)i < n; i++)
		if (usable_id(all[i]) && all[i]->id > d->max_id)
			d->max_id = all[i]->id;
	d->kind_of = calloc(d->max_id + 1, 1);
	if (!d->kind_of) {
		snprintf(why, len, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; all && (int)i < n; i++)
		if (usable_id(all[i]))
			d->kind_of[all[i]->id] = FL_EV_OTHER;
	/* tracepoints, by system and name */
	for (k = 0; k < FL_EV_NR; k++) {
		const struct fl_event_spec *spec = &fl_events[k];
		struct tep_event *e;

		if (!spec->name || !spec->system)
			continue;
		e = tep_find_event_by_name(tep, spec->system, spec->name);
		if (!usable_id(e)) {
			if (spec->replay == FL_REPLAY_REQUIRED) {
				snprintf(why, len, "the trace has no %s:%s events (it was not recorded "
					 "with forklock's event set)", spec->system, spec->name);
				errno = EPROTO;
				return -1;
			}
			continue;
		}
		found(d, ev, k, e);
	}
	/* dynamic events: by name in a forklock_* (or kprobes) group, the first of each */
	for (i = 0; all && (int)i < n; i++) {
		if (!usable_id(all[i]) || !fl_event_dynamic_group(all[i]->system))
			continue;
		for (k = 0; k < FL_EV_NR; k++)
			if (fl_events[k].name && !fl_events[k].system && !ev[k] &&
			    !strcmp(all[i]->name, fl_events[k].name))
				found(d, ev, k, all[i]);
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct tep_event *e = ev[fields[i].ev];

		if (e && !find_field(e, fields[i].name, (struct fl_field *)((char *)d + fields[i].off)) &&
		    !fields[i].optional) {
			snprintf(why, len, "unknown layout of %s:%s: no field '%s'",
				 e->system, e->name, fields[i].name);
			errno = EPROTO;
			return -1;
		}
	}
	d->ma_write = ev[FL_EV_MA_WRITE];
	return 0;
}

void fl_decoder_free(struct fl_decoder *d)
{
	free(d->kind_of);
	memset(d, 0, sizeof(*d));
}

static uint64_t raw_u64(const struct fl_decoder *d, const void *p, int size)
{
	uint64_t v = 0;

	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2: {
		uint16_t x;

		memcpy(&x, p, 2);
		return d->swap ? __builtin_bswap16(x) : x;
	}
	case 4: {
		uint32_t x;

		memcpy(&x, p, 4);
		return d->swap ? __builtin_bswap32(x) : x;
	}
	case 8:
		memcpy(&v, p, 8);
		return d->swap ? __builtin_bswap64(v) : v;
	}
	return 0;
}

uint64_t fl_field_u64(const struct fl_decoder *d, const struct tep_record *rec,
		      const struct fl_field *f)
{
	if (f->offset < 0 || f->offset + f->size > rec->size)
		return 0;
	return raw_u64(d, (const char *)rec->data + f->offset, f->size);
}

int64_t fl_field_s64(const struct fl_decoder *d, const struct tep_record *rec,
		     const struct fl_field *f)
{
	uint64_t v = fl_field_u64(d, rec, f);

	if (!f->is_signed || f->size >= 8)
		return (int64_t)v;
	if (v & (1ULL << (f->size * 8 - 1)))
		v |= ~0ULL << (f->size * 8);
	return (int64_t)v;
}

void fl_field_str(const struct fl_decoder *d, const struct tep_record *rec,
		  const struct fl_field *f, char *buf, size_t len)
{
	int off = f->offset, n = f->size;

	buf[0] = '\0';
	if (off < 0 || !len)
		return;
	if (f->data_loc) {
		uint32_t loc;

		if (off + 4 > rec->size)
			return;
		loc = (uint32_t)raw_u64(d, (const char *)rec->data + off, 4);

		off = loc & 0xffff;
		n = loc >> 16;
	} else if (n == 0) {
		n = rec->size - off;	/* char buf[]: to the end of the record */
	}
	if (off < 0 || n <= 0 || off + n > rec->size)
		return;
	if ((size_t)n >= len)
		n = (int)len - 1;
	memcpy(buf, (const char *)rec->data + off, n);
	buf[n] = '\0';
}
