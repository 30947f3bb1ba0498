// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A fork's off-CPU time inside its window in the JSON report, written and
 * read back: "fork_blocked_ns", "fork_preempted_ns" and "fork_blocks" (null
 * where the trace has no scheduler events), each block
 *
 *	{"ts_ns", "ns", "vma_placed", "vma_start", "vma_end", "vma_kind",
 *	 "waker": {"pid", "tgid", "comm", "same_mm", "activity", "uffd_on_oldmm"}}
 *
 * with vma_start/vma_end null where no mas_store followed the block, and
 * waker null where no sched_waking was seen.  "activity" is the UFFDIO_*
 * name for a uffd ioctl, else "sibling_fault", "mmap_lock", "remote" or
 * "other".
 */
#include <stdio.h>
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
	return json_pack("{s:I,s:I,s:o,s:o,s:o,s:s,s:o}", "ts_ns", (json_int_t)b->ts,
		"ns", (json_int_t)b->ns, "vma_placed", tri(b->placed),
		"vma_start", int_or_null((long long)b->vma_start, b->placed > 0),
		"vma_end", int_or_null((long long)b->vma_end, b->placed > 0),
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

/* ---- read back ---------------------------------------------------------------- */

static int bad_block(const char *path, size_t i, const char *what)
{
	return fl_err(FL_EXIT_FORMAT, "%s: fork %zu: %s", path, i, what);
}

static bool get_u64(json_t *o, const char *key, bool nullable, uint64_t *v, bool *known)
{
	json_t *x = json_object_get(o, key);

	if (known)
		*known = false;
	if (nullable && (!x || json_is_null(x)))
		return true;
	if (!json_is_integer(x) || json_integer_value(x) < 0)
		return false;
	*v = json_integer_value(x);
	if (known)
		*known = true;
	return true;
}

static int tri_of(json_t *x, int8_t *v)
{
	if (!x || json_is_null(x))
		*v = -1;
	else if (json_is_boolean(x))
		*v = json_is_true(x);
	else
		return -1;
	return 0;
}

static enum fl_wake activity_of(const char *s, uint32_t *cmd)
{
	uint32_t nr;
	int w;

	for (nr = 0; nr < 16; nr++)
		if (fl_uffdio_name(nr) && !strcmp(s, fl_uffdio_name(nr))) {
			*cmd = nr;
			return FL_WAKE_UFFD_IOCTL;
		}
	for (w = FL_WAKE_UFFD_IOCTL; w < FL_WAKE_NR; w++)
		if (!strcmp(s, fl_wake_name(w)))
			return w;
	return FL_WAKE_NR;
}

static int block_of(const char *path, size_t i, json_t *o, struct fl_block *b)
{
	json_t *w = json_object_get(o, "waker"), *x;
	bool known;
	int k;

	memset(b, 0, sizeof(*b));
	b->waker_pid = b->waker_tgid = -1;
	b->waker_same_mm = b->uffd_on_oldmm = -1;
	if (!json_is_object(o) || !get_u64(o, "ts_ns", false, &b->ts, NULL) ||
	    !get_u64(o, "ns", false, &b->ns, NULL) ||
	    !get_u64(o, "vma_start", true, &b->vma_start, NULL) ||
	    !get_u64(o, "vma_end", true, &b->vma_end, NULL))
		return bad_block(path, i, "a block of \"fork_blocks\" lacks ts_ns, ns, vma_start or vma_end");
	if (tri_of(json_object_get(o, "vma_placed"), &b->placed))
		return bad_block(path, i, "a block's \"vma_placed\" is not a boolean or null");
	if (!json_object_get(o, "vma_placed"))
		b->placed = b->vma_end ? 1 : 0;	/* a report before the member */
	x = json_object_get(o, "vma_kind");
	for (k = 0; k < FL_VMA_KIND_NR; k++)
		if (json_is_string(x) && !strcmp(json_string_value(x), fl_vma_kind_name(k)))
			break;
	if (k == FL_VMA_KIND_NR)
		return bad_block(path, i, "a block's \"vma_kind\" is not anon, cow, shared or unknown");
	b->vma_kind = k;
	if (!w || json_is_null(w))
		return 0;
	if (!json_is_object(w) || !json_is_integer(json_object_get(w, "pid")) ||
	    !json_is_string(json_object_get(w, "comm")) ||
	    !json_is_string(json_object_get(w, "activity")))
		return bad_block(path, i, "a block's \"waker\" is not an object with pid, comm and activity");
	b->waker_pid = (int)json_integer_value(json_object_get(w, "pid"));
	{
		uint64_t tgid = 0;

		if (!get_u64(w, "tgid", true, &tgid, &known))
			return bad_block(path, i, "a waker's \"tgid\" is not an integer or null");
		b->waker_tgid = known ? (int)tgid : -1;
	}
	snprintf(b->waker_comm, sizeof(b->waker_comm), "%s",
		 json_string_value(json_object_get(w, "comm")));
	b->activity = activity_of(json_string_value(json_object_get(w, "activity")), &b->uffd_cmd);
	if (b->activity == FL_WAKE_NR)
		return bad_block(path, i, "a waker's \"activity\" is not one forklock writes");
	if (tri_of(json_object_get(w, "same_mm"), &b->waker_same_mm) ||
	    tri_of(json_object_get(w, "uffd_on_oldmm"), &b->uffd_on_oldmm))
		return bad_block(path, i, "a waker's \"same_mm\" or \"uffd_on_oldmm\" is not a boolean or null");
	return 0;
}

int fl_jreport_fork_blocks(const char *path, size_t i, json_t *jf, struct fl_fork *f,
			   struct fl_block **blocks)
{
	json_t *a = json_object_get(jf, "fork_blocks");
	size_t k;

	*blocks = NULL;
	f->blocks = NULL;
	f->nr_blocks = 0;
	f->sched = false;
	if (!a || json_is_null(a))
		return 0;	/* no scheduler events, or a report older than them */
	if (!json_is_array(a) ||
	    !get_u64(jf, "fork_blocked_ns", false, &f->fork_blocked_ns, NULL) ||
	    !get_u64(jf, "fork_preempted_ns", false, &f->fork_preempted_ns, NULL))
		return bad_block(path, i, "\"fork_blocks\", \"fork_blocked_ns\" or "
				 "\"fork_preempted_ns\" is not what forklock writes");
	f->sched = true;
	if (!json_array_size(a))
		return 0;
	*blocks = calloc(json_array_size(a), sizeof(**blocks));
	if (!*blocks)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	for (k = 0; k < json_array_size(a); k++) {
		int ret = block_of(path, i, json_array_get(a, k), &(*blocks)[k]);

		if (ret) {
			free(*blocks);
			*blocks = NULL;
			return ret;
		}
	}
	f->nr_blocks = json_array_size(a);
	f->blocks = *blocks;
	return 0;
}

/* ---- the summary --------------------------------------------------------------- */

json_t *fl_json_offcpu_summary(const struct fl_summary *s)
{
	const struct fl_offcpu_sum *o = &s->offcpu;
	json_t *by = json_object(), *top = json_array();
	bool sched = false;
	int i;

	for (i = 0; i < s->nr_traces; i++)
		sched |= s->traces[i].has_sched;
	if (!sched) {
		json_decref(by);
		json_decref(top);
		return json_null();
	}
	for (i = FL_WAKE_UFFD_IOCTL; i < FL_WAKE_NR; i++)
		json_object_set_new(by, fl_wake_name(i), json_pack("{s:I,s:I}",
			"blocks", (json_int_t)o->wake_blocks[i], "ns", (json_int_t)o->wake_ns[i]));
	json_object_set_new(by, fl_wake_name(FL_WAKE_UNSEEN), json_pack("{s:I,s:I}",
		"blocks", (json_int_t)o->wake_blocks[FL_WAKE_UNSEEN],
		"ns", (json_int_t)o->wake_ns[FL_WAKE_UNSEEN]));
	for (i = 0; i < o->nr_vmas && i < FL_OFFCPU_TOP; i++) {
		const struct fl_offcpu_vma *v = &o->vmas[i];

		json_array_append_new(top, json_pack("{s:o,s:o,s:o,s:s,s:I,s:I,s:I}",
			"vma_start", v->end ? json_integer((json_int_t)v->start) : json_null(),
			"vma_end", v->end ? json_integer((json_int_t)v->end) : json_null(),
			"size", v->end ? json_integer((json_int_t)(v->end - v->start)) : json_null(),
			"kind", fl_vma_kind_name(v->kind), "forks", (json_int_t)v->forks,
			"blocks", (json_int_t)v->blocks, "ns", (json_int_t)v->ns));
	}
	return json_pack("{s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I},s:I,s:o,s:o}",
		"forks", (json_int_t)o->sched_forks, "forks_blocked", (json_int_t)o->forks_blocked,
		"blocks", (json_int_t)o->blocks, "blocked_total_ns", (json_int_t)o->blocked_ns,
		"blocked_ns", "p50", (json_int_t)o->blocked.p50, "p99", (json_int_t)o->blocked.p99,
		"max", (json_int_t)o->blocked.max,
		"preempted_total_ns", (json_int_t)o->preempted_ns, "by_waker", by, "top_vmas", top);
}
