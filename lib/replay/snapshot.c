// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The recorder's /proc snapshot, read back (events/snapline.h has the
 * lines): the processes and tasks that existed before the trace go to the
 * model (model.c) and their userfaultfds to uffd.c; what the lines say of
 * the recording itself (kernel, tier, commands) goes to the trace's
 * fl_trace_info.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/snapline.h"
#include "replay/replay-int.h"

/* A one-word value (up to a space or the end of the line) into @buf. */
static void copy_word(char *buf, size_t len, const char *v)
{
	snprintf(buf, len, "%.*s", (int)strcspn(v, " \n"), v);
}

/* A value that runs to the end of the line into @buf. */
static void copy_line(char *buf, size_t len, const char *v)
{
	snprintf(buf, len, "%.*s", (int)strcspn(v, "\n"), v);
}

static void snap_proc(struct replay *rp, const char *rest)
{
	long tgid = fl_snapline_num(rest, "tgid", -1);
	const char *uffd = fl_snapline_value(rest, "uffd");
	struct fl_vma_kinds kinds;
	struct fl_mm *mm;
	uint32_t vmas;

	if (tgid < 0)
		return;
	vmas = fl_snapline_num(rest, "vmas", -1) > 0 ? fl_snapline_num(rest, "vmas", 0) : 0;
	kinds.anon = fl_snapline_num(rest, "anon", -1);
	kinds.cow = fl_snapline_num(rest, "cow", -1);
	kinds.shared = fl_snapline_num(rest, "shared", -1);
	kinds.special = fl_snapline_num(rest, "special", -1);
	kinds.quality = kinds.shared >= 0 ? FL_KINDS_EXACT : FL_KINDS_UNKNOWN;
	mm = model_snap_proc(rp, (int)tgid, fl_snapline_num(rest, "kthread", 0), vmas, &kinds);
	if (!mm)
		return;
	/* smaps VmFlags "dc"; absent (an older recorder) or -1: not known */
	if (fl_snapline_num(rest, "dontcopy", -1) >= 0)
		dc_set(mm, (int)fl_snapline_num(rest, "dontcopy", 0));
	/* fds of userfaultfds this process holds: assume its own mm owns them */
	while (uffd && *uffd >= '0' && *uffd <= '9') {
		char *end;
		long fd = strtol(uffd, &end, 10);

		uffd_snapshot_fd(rp, (int)tgid, mm, (int)fd);
		uffd = *end == ',' ? end + 1 : NULL;
	}
}

static void snap_task(struct replay *rp, const char *rest)
{
	long pid = fl_snapline_num(rest, "pid", -1), tgid = fl_snapline_num(rest, "tgid", -1);
	const char *v = fl_snapline_value(rest, "comm");	/* always the last field */
	char comm[16] = "";

	if (pid <= 0 || tgid <= 0)
		return;
	if (v) {
		snprintf(comm, sizeof(comm), "%.*s", (int)strcspn(v, "\n"), v);
		fl_comm_clean(comm);
	}
	model_snap_task(rp, (int)pid, (int)tgid, comm);
}

/* COMMAND's pid: the root of its tree; the tasks it creates join (model_newtask()) */
static void snap_command(struct replay *rp, int pid)
{
	struct task *t;

	if (pid <= 0)
		return;
	t = model_task(rp, pid);
	if (!t)
		return;
	t->in_command = true;
	rp->info->has_command_tree = true;
	rp->info->command_pid = pid;
}

void snapshot_print(struct replay *rp, int pid, const char *line)
{
	struct fl_trace_info *info = rp->info;
	const char *rest, *v;

	/* after the snapshot, only the recorder's own lines are its */
	if (rp->snapshot_done && pid != rp->recorder_pid)
		return;
	switch (fl_snapline_kind(line, &rest)) {
	case FL_SNAP_BEGIN:
		info->has_snapshot = true;
		rp->recorder_pid = (int)fl_snapline_num(rest, "recorder", -1);
		v = fl_snapline_value(rest, "kernel");
		if (v && !strcmp(info->kernel, "unknown"))
			copy_word(info->kernel, sizeof(info->kernel), v);
		break;
	case FL_SNAP_PROC:
		snap_proc(rp, rest);
		break;
	case FL_SNAP_TASK:
		snap_task(rp, rest);
		break;
	case FL_SNAP_END:
		model_snap_end(rp);
		rp->snapshot_done = true;
		break;
	case FL_SNAP_TIER:
		v = fl_snapline_value(rest, "light");
		if (v && *v == '1')
			info->light = true;
		v = fl_snapline_value(rest, "probes");
		if (v && *v != '-')
			copy_word(info->probes, sizeof(info->probes), v);
		/* --light: ma_write was not enabled (its format may be stored) */
		if (fl_snapline_num(rest, "light", 0) == 1)
			rp->light = true;
		break;
	case FL_SNAP_RECORD:
		v = fl_snapline_value(rest, "argv");
		if (v)
			copy_line(info->record_command, sizeof(info->record_command), v);
		break;
	case FL_SNAP_COMMAND:
		v = fl_snapline_value(rest, "argv");
		if (v)
			copy_line(info->command, sizeof(info->command), v);
		break;
	case FL_SNAP_STOP:
		info->stopped = true;
		info->stop_cut = fl_snapline_num(rest, "cut", 0) == 1;
		info->recovered = fl_snapline_num(rest, "recovered", 0) == 1;
		info->stop_ns = fl_snapline_num(rest, "at", 0);
		v = fl_snapline_value(rest, "why");
		if (v)
			copy_line(info->stop_why, sizeof(info->stop_why), v);
		break;
	case FL_SNAP_CMDTIMES:
		/* a pid of the recorder's PID namespace names no task of the events */
		if (fl_snapline_num(rest, "host", 0) != 1)
			break;
		snap_command(rp, (int)fl_snapline_num(rest, "pid", -1));
		if (!info->has_command_tree)
			break;
		info->command_start_ns = fl_snapline_num(rest, "start", 0) > 0 ?
					 fl_snapline_num(rest, "start", 0) : -1;
		info->command_end_ns = fl_snapline_num(rest, "end", 0) > 0 ?
				       fl_snapline_num(rest, "end", 0) : -1;
		info->command_status = (int)fl_snapline_num(rest, "status", -1);
		break;
	case FL_SNAP_NONE:
	case FL_SNAP_OTHER:
		break;
	}
}
