// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Setting up the private instance before tracing starts: the events this
 * kernel must have, tracing off, the clock, the buffer size, our own pid
 * and the readers' excluded, the event table's events and filters on
 * (events/events.h); and the kprobe tier's probes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "events/events.h"
#include "forklock-exit.h"
#include "log.h"
#include "record/record-local.h"

int setup_check_events(void)
{
	size_t i;

	for (i = 0; i < FL_EV_NR; i++) {
		const struct fl_event_spec *e = &fl_events[i];

		if (e->record == FL_RECORD_WINDOW && !fl_event_present(e->system, e->name))
			return fl_err(FL_EXIT_EVENTS,
				      "this kernel has no %s:%s tracepoint (%s); fork windows cannot be recorded",
				      e->system, e->name, e->why);
	}
	return 0;
}

static int instance_write(struct recorder *r, const char *file, const char *val)
{
	if (tracefs_instance_file_write(r->instance, file, val) < 0) {
		char *err = tracefs_error_last(r->instance);
		int ret = fl_err(FL_EXIT_TRACEFS, "cannot write '%s' to %s in the instance: %s",
				 val, file, err && *err ? err : strerror(errno));
		free(err);
		return ret;
	}
	return 0;
}

/*
 * Does printk_formats name the string ma_write.fn points to for
 * "mas_store"?  Then the replay tells mas_store from the maple tree's
 * other writes by itself (lib/replay/replay.c fn_is_store()), and
 * ma_write is recorded without its filter: a filter sends every event
 * through the per-CPU temporary buffer, the filter and a second copy
 * into the ring buffer, which on the storm costs more than the event
 * itself (bench/overhead-bench: fork-loop CPU x1.08 with the filter,
 * x1.02 without).  Where the string is not there (6.8.0) the replay could
 * not tell them apart: the kernel filters.
 */
static bool ma_write_fn_resolves(void)
{
	char *formats = tracefs_instance_file_read(NULL, "printk_formats", NULL);
	bool found = formats && strstr(formats, " : \"mas_store\"\n");

	free(formats);
	return found;
}

int setup_instance(struct recorder *r)
{
	char val[32];
	const char *name;
	unsigned int kb = r->opts->buffer_kb ? r->opts->buffer_kb : FL_DEFAULT_BUFFER_KB;
	char *clock;
	size_t i;
	int ret;

	if (fl_instance_make_name(r->instance_name, sizeof(r->instance_name)) < 0)
		return fl_err(FL_EXIT_TRACEFS, "cannot name the tracefs instance: %s",
			      strerror(errno));
	name = r->instance_name;
	r->instance = fl_instance_claim(name, &r->lock_fd);
	if (!r->instance)
		return fl_err(FL_EXIT_TRACEFS, "cannot create tracefs instance %s: %s",
			      name, strerror(errno));
	/* a new instance starts with tracing on */
	if (tracefs_trace_off(r->instance) < 0)
		return fl_err(FL_EXIT_TRACEFS, "cannot turn tracing off in %s: %s",
			      name, strerror(errno));
	ret = instance_write(r, "trace_clock", TRACE_CLOCK);
	if (ret)
		return ret;
	clock = tracefs_get_clock(r->instance);
	snprintf(r->clock, sizeof(r->clock), "%s", clock ? clock : "local");
	free(clock);
	if (tracefs_instance_set_buffer_size(r->instance, kb, -1) < 0)
		return fl_err(FL_EXIT_TRACEFS, "cannot set the buffer to %u KB per CPU: %s",
			      kb, strerror(errno));
	/*
	 * The kernel filters by its own (initial namespace) pids; ours is
	 * another task's there.  Said where the recording starts.
	 */
	if (!fl_in_child_pidns() && tracefs_file_exists(r->instance, "set_event_notrace_pid")) {
		snprintf(val, sizeof(val), "%d", (int)getpid());
		ret = instance_write(r, "set_event_notrace_pid", val);
		if (ret)
			return ret;
	}
	for (i = 0; i < FL_EV_NR; i++) {
		const struct fl_event_spec *e = &fl_events[i];

		if (e->record == FL_RECORD_NO || (r->opts->light && i == FL_EV_MA_WRITE))
			continue;
		if (!fl_event_present(e->system, e->name)) {
			fl_warn("no %s:%s on this kernel: %s will be missing from the report",
				e->system, e->name, e->why);
			continue;
		}
		if (tracefs_event_enable(r->instance, e->system, e->name) < 0)
			return fl_err(FL_EXIT_TRACEFS, "cannot enable %s:%s: %s",
				      e->system, e->name, strerror(errno));
	}
	for (i = 0; i < FL_EV_NR; i++) {
		const struct fl_event_spec *f = &fl_events[i];
		char file[160];

		if (f->record == FL_RECORD_NO || !f->filter || !fl_event_present(f->system, f->name) ||
		    (i == FL_EV_MA_WRITE && (r->opts->light || ma_write_fn_resolves())))
			continue;
		snprintf(file, sizeof(file), "events/%s/%s/filter", f->system, f->name);
		if (tracefs_instance_file_write(r->instance, file, f->filter) < 0)
			fl_warn("this kernel refused the filter '%s' on %s:%s: recording it unfiltered",
				f->filter, f->system, f->name);
	}
	return 0;
}

/* The readers' own page faults and locks are not the workload's. */
int setup_exclude_readers(struct recorder *r)
{
	char val[32];
	int cpu;

	if (fl_in_child_pidns() || !tracefs_file_exists(r->instance, "set_event_notrace_pid"))
		return 0;
	for (cpu = 0; cpu < r->nr_cpus; cpu++) {
		pid_t tid = fl_stream_tid(r->stream, cpu);

		snprintf(val, sizeof(val), "%d", (int)tid);
		if (tid > 0 && tracefs_instance_file_append(r->instance, "set_event_notrace_pid",
							    val) < 0)
			return fl_err(FL_EXIT_TRACEFS, "cannot exclude reader %d from the events: %s",
				      (int)tid, strerror(errno));
	}
	return 0;
}

/* Sub-buffer size from events/header_page: the data field's offset + size. */
unsigned int setup_page_size(void)
{
	char *buf = tracefs_instance_file_read(NULL, "events/header_page", NULL);
	unsigned int off = 0, size = 0;
	char *p;

	if (buf) {
		p = strstr(buf, "data;");
		if (p && sscanf(p, "data;\toffset:%u;\tsize:%u;", &off, &size) != 2)
			off = size = 0;
		free(buf);
	}
	return off + size ? off + size : (unsigned int)getpagesize();
}

/* ---- the kprobe tier ------------------------------------------------------ */

static int try_probes(struct recorder *r, bool offsets_only, char *why, size_t len)
{
	struct fl_kernel_files kf;
	char group[FL_INSTANCE_NAME_MAX];

	fl_kernel_files(&kf, r->host.tracefs);
	fl_probe_group_name(group, sizeof(group), r->instance_name);
	if (fl_probe_plan(&r->probes, group, &kf, offsets_only, why, len) < 0)
		return -1;
	r->inject.created = r->inject.destroyed = 0;
	/* injected probes exist nowhere: nothing to enable */
	return fl_probes_create(&r->probes, r->probe_ops,
				r->probe_ops == &fl_tracefs_dynevent_ops ? r->instance : NULL, why, len);
}

/*
 * The plan (kplan.c) with probes named by BTF where the kernel's README
 * says it takes them, then at BTF offsets if the kernel refused the names.
 * In --tier auto a kernel that takes neither records the next tier
 * (recorder.c), said in one line.
 */
int setup_kprobes(struct recorder *r)
{
	char why[512] = "", why2[512] = "";
	const char *said;
	int n;

	n = fl_probes_remove_stale();
	if (n > 0)
		fl_notice("removed %d stale kprobes of forklock recorders that are gone", n);
	if (try_probes(r, false, why, sizeof(why)) == 0)
		return 0;
	/* names refused (or never tried): offsets, unless there is no plan at all */
	if (r->probes.anchor != FL_ANCHOR_NONE && r->probes.style == FL_PROBE_BTF &&
	    try_probes(r, true, why2, sizeof(why2)) == 0)
		return 0;
	said = why2[0] ? why2 : why;
	memset(&r->probes, 0, sizeof(r->probes));
	if (r->opts->tier == FL_TIER_OPT_KPROBE)
		return fl_err(FL_EXIT_TIER, "kprobe tier: %s", said);
	/* said with the tier auto records instead (recorder.c) */
	snprintf(r->tier_note, sizeof(r->tier_note), "kprobe tier unavailable (%s)", said);
	r->kprobe_tier = false;
	return 0;
}
