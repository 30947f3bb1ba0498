// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>

#include "replay/decode.h"
#include "tracedat/format.h"

struct kind_name {
	enum fl_ev kind;
	const char *system;
	const char *name;
	bool window;		/* replay cannot work without it */
};

static const struct kind_name kinds[] = {
	{ FL_EV_LOCK_START,	"mmap_lock",	"mmap_lock_start_locking",	true },
	{ FL_EV_LOCK_ACQUIRED,	"mmap_lock",	"mmap_lock_acquire_returned",	true },
	{ FL_EV_LOCK_RELEASED,	"mmap_lock",	"mmap_lock_released",		true },
	{ FL_EV_MA_WRITE,	"maple_tree",	"ma_write",			false },
	{ FL_EV_NEWTASK,	"task",		"task_newtask",			true },
	{ FL_EV_FORK,		"sched",	"sched_process_fork",		false },
	{ FL_EV_EXEC,		"sched",	"sched_process_exec",		false },
	{ FL_EV_EXIT,		"sched",	"sched_process_exit",		false },
	{ FL_EV_EXIT_MMAP,	"mmap",		"exit_mmap",			false },
	{ FL_EV_FAULT,		"exceptions",	"page_fault_user",		false },
	{ FL_EV_UFFD_ENTER,	"syscalls",	"sys_enter_userfaultfd",	false },
	{ FL_EV_UFFD_EXIT,	"syscalls",	"sys_exit_userfaultfd",		false },
	{ FL_EV_IOCTL_ENTER,	"syscalls",	"sys_enter_ioctl",		false },
	{ FL_EV_IOCTL_EXIT,	"syscalls",	"sys_exit_ioctl",		false },
	{ FL_EV_CLOSE,		"syscalls",	"sys_enter_close",		false },
	{ FL_EV_PRINT,		"ftrace",	"print",			false },
	{ FL_EV_MMAP_ENTER,	"syscalls",	"sys_enter_mmap",		false },
	{ FL_EV_MMAP_EXIT,	"syscalls",	"sys_exit_mmap",		false },
	{ FL_EV_MUNMAP,		"syscalls",	"sys_enter_munmap",		false },
};

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
		return -1;
	}
	for (i = 0; all && (int)i < n; i++)
		if (usable_id(all[i]))
			d->kind_of[all[i]->id] = FL_EV_OTHER;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct tep_event *e = tep_find_event_by_name(tep, kinds[i].system, kinds[i].name);

		if (!usable_id(e)) {
			if (kinds[i].window) {
				snprintf(why, len, "the trace has no %s:%s events (it was not recorded "
					 "with forklock's event set)", kinds[i].system, kinds[i].name);
				return -1;
			}
			continue;
		}
		ev[kinds[i].kind] = e;
		d->ids[kinds[i].kind] = e->id;
		d->kind_of[e->id] = kinds[i].kind;
	}

	/* dynamic events: found by name in a forklock_* (or kprobes) group */
	for (i = 0; all && (int)i < n; i++) {
		static const struct { enum fl_ev kind; const char *name; } probes[] = {
			{ FL_EV_K_DUP_MMAP,	"dup_mmap" },
			{ FL_EV_K_DUP_MMAP_RET,	"dup_mmap_ret" },
			{ FL_EV_K_VSW,		"vma_start_write" },
			{ FL_EV_K_VSW_RET,	"vma_start_write_ret" },
			{ FL_EV_K_RCU_RET,	"lock_vma_rcu_ret" },
			{ FL_EV_K_DUP_PROBE,	"dup_probe" },
		};
		size_t p;

		if (!usable_id(all[i]) ||
		    (strncmp(all[i]->system, "forklock", 8) && strcmp(all[i]->system, "kprobes")))
			continue;
		for (p = 0; p < sizeof(probes) / sizeof(probes[0]); p++) {
			if (strcmp(all[i]->name, probes[p].name) || ev[probes[p].kind])
				continue;
			ev[probes[p].kind] = all[i];
			d->ids[probes[p].kind] = all[i]->id;
			d->kind_of[all[i]->id] = probes[p].kind;
		}
	}

#define NEED(kind_, fname_, field_)						\
	do {									\
		if (ev[kind_] && !find_field(ev[kind_], fname_, field_)) {	\
			snprintf(why, len, "unknown layout of %s:%s: no field '%s'", \
				 ev[kind_]->system, ev[kind_]->name, fname_);	\
			return -1;						\
		}								\
	} while (0)

	for (k = 0; k < 3; k++) {
		NEED(FL_EV_LOCK_START + k, "mm", &d->lock_mm[k]);
		NEED(FL_EV_LOCK_START + k, "write", &d->lock_write[k]);
	}
	NEED(FL_EV_LOCK_ACQUIRED, "success", &d->lock_success);
	NEED(FL_EV_MA_WRITE, "fn", &d->ma_fn);
	d->ma_write = ev[FL_EV_MA_WRITE];
	NEED(FL_EV_NEWTASK, "pid", &d->nt_pid);
	NEED(FL_EV_NEWTASK, "comm", &d->nt_comm);
	NEED(FL_EV_NEWTASK, "clone_flags", &d->nt_flags);
	NEED(FL_EV_FORK, "parent_pid", &d->fork_parent);
	NEED(FL_EV_FORK, "child_pid", &d->fork_child);
	NEED(FL_EV_EXEC, "pid", &d->exec_pid);
	NEED(FL_EV_EXEC, "old_pid", &d->exec_old_pid);
	NEED(FL_EV_EXEC, "filename", &d->exec_filename);
	NEED(FL_EV_EXIT, "pid", &d->exit_pid);
	NEED(FL_EV_EXIT_MMAP, "mm", &d->exit_mmap_mm);
	NEED(FL_EV_FAULT, "address", &d->fault_address);
	NEED(FL_EV_UFFD_ENTER, "flags", &d->ufd_flags);
	NEED(FL_EV_UFFD_EXIT, "ret", &d->ufd_ret);
	NEED(FL_EV_IOCTL_ENTER, "fd", &d->ioctl_fd);
	NEED(FL_EV_IOCTL_ENTER, "cmd", &d->ioctl_cmd);
	NEED(FL_EV_IOCTL_EXIT, "ret", &d->ioctl_ret);
	NEED(FL_EV_CLOSE, "fd", &d->close_fd);
	NEED(FL_EV_PRINT, "buf", &d->print_buf);
	NEED(FL_EV_MMAP_ENTER, "len", &d->mmap_len);
	NEED(FL_EV_MMAP_ENTER, "flags", &d->mmap_flags);
	NEED(FL_EV_MMAP_EXIT, "ret", &d->mmap_ret);
	NEED(FL_EV_MUNMAP, "addr", &d->munmap_addr);
	NEED(FL_EV_MUNMAP, "len", &d->munmap_len);
	NEED(FL_EV_K_DUP_MMAP, "oldmm", &d->k_oldmm);
	NEED(FL_EV_K_DUP_MMAP, "mm_users", &d->k_users);
	NEED(FL_EV_K_DUP_MMAP, "mm_count", &d->k_count);
	NEED(FL_EV_K_DUP_MMAP_RET, "ret", &d->k_ret);
	NEED(FL_EV_K_VSW, "vm_mm", &d->k_vm_mm);
	NEED(FL_EV_K_RCU_RET, "ret", &d->k_rcu_ret);
	NEED(FL_EV_K_DUP_PROBE, "only_user", &d->k_only_user);
	NEED(FL_EV_K_DUP_PROBE, "locked", &d->k_locked);
#undef NEED
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
