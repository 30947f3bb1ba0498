/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Event decoding: which event id is which forklock event (events/events.h),
 * and where its fields are.  Fields are found by name once per trace
 * (libtraceevent), and read per record through the cached offsets, so
 * layouts that differ between kernels (memcg_path vs memcg_id, __data_loc
 * vs fixed comm, 32- vs 64-bit clone_flags) decode the same way.
 * Private to lib/replay/.
 */
#ifndef FORKLOCK_DECODE_H
#define FORKLOCK_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "events/events.h"

struct tep_handle;
struct tep_event;
struct tep_record;

struct fl_field {
	short offset;		/* -1: not in this layout */
	short size;
	bool data_loc;		/* __data_loc char[] */
	bool is_signed;
};

/* What each kind needs; a field that is -1 is absent in this trace. */
struct fl_decoder {
	struct tep_handle *tep;
	bool swap;		/* file endianness differs from ours */
	uint8_t *kind_of;	/* event id -> enum fl_ev */
	int max_id;
	int ids[FL_EV_NR];	/* event id of each kind, -1 if absent */
	/* fields */
	struct fl_field lock_mm[3], lock_write[3], lock_success;
	struct fl_field ma_fn, ma_index, ma_last;
	struct fl_field nt_pid, nt_comm, nt_flags;
	struct fl_field fork_parent, fork_child;
	struct fl_field exec_pid, exec_old_pid, exec_filename;
	struct fl_field exit_pid;
	struct fl_field exit_mmap_mm;
	struct fl_field fault_address;
	struct fl_field ufd_flags, ufd_ret, ioctl_fd, ioctl_cmd, ioctl_ret, close_fd;
	struct fl_field print_buf;
	struct fl_field mmap_len, mmap_flags, mmap_ret, munmap_addr, munmap_len;
	struct fl_field madv_start, madv_len, madv_behavior, madv_ret;
	struct fl_field k_oldmm, k_users, k_count, k_map_count, k_ret, k_vm_mm, k_rcu_ret;
	struct fl_field ku_oldmm, ku_users, ku_count, ku_map_count;	/* uprobe_dup_mmap */
	struct fl_field k_only_user, k_locked;
	struct fl_field sw_prev_state, sw_prev_comm, sw_next_pid, sw_next_comm;
	struct fl_field wk_pid, wk_comm;
	/* bpf tier */
	struct fl_field b_oldmm, b_newmm, b_ts_start, b_users, b_count, b_map_count;
	struct fl_field b_users_end, b_count_end, b_map_count_end, b_users_max;
	struct fl_field b_rise_vma, b_rise_users, b_vmas, b_anon, b_anon_vma, b_cow, b_shared;
	struct fl_field b_light, bs_windows, bs_lost, bs_unmatched, bs_light;
	struct tep_event *ma_write;	/* for fn resolution */
};

/*
 * Build the decoder for @tep.  Returns 0, or -1 with @why set to a one-line
 * reason: errno EPROTO when a fork-window event or one of its fields is
 * missing, ENOMEM when memory ran out.
 */
int fl_decoder_init(struct fl_decoder *d, struct tep_handle *tep, char *why, size_t len);
void fl_decoder_free(struct fl_decoder *d);

static inline enum fl_ev fl_decode_kind(const struct fl_decoder *d, int id)
{
	return id >= 0 && id <= d->max_id ? (enum fl_ev)d->kind_of[id] : FL_EV_NONE;
}

uint64_t fl_field_u64(const struct fl_decoder *d, const struct tep_record *rec,
		      const struct fl_field *f);
int64_t fl_field_s64(const struct fl_decoder *d, const struct tep_record *rec,
		     const struct fl_field *f);
/* Copy a string field (fixed char[N] or __data_loc) into @buf. */
void fl_field_str(const struct fl_decoder *d, const struct tep_record *rec,
		  const struct fl_field *f, char *buf, size_t len);

#endif
