// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fork's off-CPU time inside its window in the JSON report, written and
 * read back: "fork_blocked_ns", "fork_preempted_ns" and "fork_blocks" (null
 * where the trace has no scheduler events), each block
 *
 *	{"ts_ns", "ns", "vma_start", "vma_end", "vma_kind",
 *	 "waker": {"pid", "tgid", "comm", "same_mm", "activity", "uffd_on_oldmm"}}
 *
 * with vma_start/vma_end null where no mas_store followed the block, and
 * waker null where no sched_waking was seen.  "activity" is the UFFDIO_*
 * name for a uffd ioctl, else "sibling_fault", "mmap_lock", "remote" or
 * "other".
 */
#include <stdlib.h>
#include <string.h>

#include "forklock-exit.h"
#include "log.h"
#include "report/json.h"

static json_t *int_or_null(long long v, bool known)
{
	return known ? json_integer(v) : json_null();
}

static json_t *tri(int8_t v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

const char *fl_block_activity(const struct fl_block *b)
{
	const char *n;

	if (b->activity == FL_WAKE_UFFD_IOCTL && (n = fl_uffdio_name(b->uffd_cmd)))
		return n;
	return fl_wake_name(b->activity);
}

static json_t *block_obj(const struct fl_block *b)
{
	json_t *waker = json_null();
	char comm[sizeof(b->waker_comm) + 1];

	if (b->activity != FL_WAKE_UNSEEN) {
		memcpy(comm, b->waker_comm, sizeof(b->waker_comm));
		comm[sizeof(b->waker_comm)] = 0;
		waker = json_pack("{s:i,s:o,s:o,s:o,s:s,s:o}",
			"pid", b->waker_pid, "tgid", int_or_null(b->waker_tgid, b->waker_tgid >= 0),
			"comm", fl_json_str(comm), "same_mm", tri(b->waker_same_mm),
			"activity", fl_block_activity(b), "uffd_on_oldmm", tri(b->uffd_on_oldmm));
	}
	return json_pack("{s:I,s:I,s:o,s:o,s:s,s:o}", "ts_ns", (json_int_t)b->ts,
		"ns", (json_int_t)b->ns,
		"vma_start", int_or_null((long long)b->vma_start, b->vma_end),
		"vma_end", int_or_null((long long)b->vma_end, b->vma_end),
		"vma_kind", fl_vma_kind_name(b->vma_kind), "waker", waker);
}

json_t *fl_json_blocked(const struct fl_fork *f, const char *key)
{
	json_t *v;
	uint32_t i;

	if (!f->sched)
		return json_null();
	if (!strcmp(key, "fork_blocked_ns"))
		return json_integer((json_int_t)f->fork_blocked_ns);
	if (!strcmp(key, "fork_preempted_ns"))
		return json_integer((json_int_t)f->fork_preempted_ns);
	v = json_array();	/* "fork_blocks" */
	for (i = 0; v && i < f->nr_blocks; i++)
		json_array_append_new(v, block_obj(&f->blocks[i]));
	return v;
}
