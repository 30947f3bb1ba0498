/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Event decoding: which event id is which forklock event, and where its
 * fields are.  Fields are found by name once per trace (libtraceevent), and
 * read per record through the cached offsets, so layouts that differ between
 * kernels (memcg_path vs memcg_id, __data_loc vs fixed comm, 32- vs 64-bit
 * clone_flags) decode the same way.
 */
#ifndef FORKLOCK_DECODE_H
#define FORKLOCK_DECODE_H

#include <stdbool.h>
#include <stdint.h>

struct tep_handle;
struct tep_event;
struct tep_record;

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
	/* kprobe tier: group forklock_<pid> (or kprobes, for dup_probe) */
	FL_EV_K_DUP_MMAP,	/* dup_mmap entry */
	FL_EV_K_DUP_MMAP_RET,	/* dup_mmap return */
	FL_EV_K_VSW,		/* __vma_start_write entry */
	FL_EV_K_VSW_RET,	/* __vma_start_write return */
	FL_EV_K_RCU_RET,	/* lock_vma_under_rcu return */
	FL_EV_K_DUP_PROBE,	/* the seed's dup_probe(only_user, locked) */
	FL_EV_PRINT,		/* ftrace:print (the snapshot) */
	FL_EV_NR
};

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
	struct fl_field ma_fn;
	struct fl_field nt_pid, nt_comm, nt_flags;
	struct fl_field fork_parent, fork_child;
	struct fl_field exec_pid, exec_old_pid, exec_filename;
	struct fl_field exit_pid;
	struct fl_field exit_mmap_mm;
	struct fl_field fault_address;
	struct fl_field ufd_flags, ufd_ret, ioctl_fd, ioctl_cmd, ioctl_ret, close_fd;
	struct fl_field print_buf;
	struct fl_field mmap_len, mmap_flags, mmap_ret, munmap_addr, munmap_len;
	struct fl_field k_oldmm, k_users, k_count, k_ret, k_vm_mm, k_rcu_ret;
	struct fl_field k_only_user, k_locked;
	struct tep_event *ma_write;	/* for fn resolution */
};

/*
 * Build the decoder for @tep.  Returns 0, or -1 with @why set to a one-line
 * reason when a fork-window event or one of its fields is missing.
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
