/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lines of forklock's /proc snapshot: the recorder writes each as one
 * ftrace:print event at the start of the trace (record/snapshot.c and
 * record/recorder.c print them with the formats below), the replay reads
 * them back (replay/snapshot.c) and so does the recorder's saved_cmdlines
 * (record/assemble.c).  docs/forklock-record.1 (SNAPSHOT) describes them:
 *
 *   forklock-snapshot begin version=1 recorder=PID clock=CLOCK kernel=RELEASE
 *   forklock-snapshot proc tgid=G threads=T vmas=V anon=A cow=C shared=S special=X dontcopy=D uffd=FD,FD|- kthread=0|1 comm=COMM
 *   forklock-snapshot task pid=P tgid=G comm=COMM
 *   forklock-snapshot end procs=N tasks=M ms=DURATION
 *   forklock-snapshot tier name=tracepoint|kprobe|bpf probes=btf|offsets|- group=GROUP|-
 *     light=0|1 (1: no per-VMA events, VMA counts from map_count)
 *   forklock-snapshot record argv=forklock record ...	(quoted for sh)
 *   forklock-snapshot command pid=P argv=ARG ARG...	(with a COMMAND; quoted for sh)
 *   forklock-snapshot command-times pid=P start=NS end=NS status=S host=0|1
 *	(COMMAND released and seen exited, trace clock; end=0 status=-1: still running;
 *	host=0: P is a pid of the recorder's PID namespace, not the kernel's events')
 *
 * Each proc line comes before the task lines of its threads.  VMA counts
 * are -1 where /proc/PID/maps could not be read; dontcopy (VM_DONTCOPY
 * VMAs, smaps VmFlags "dc") is -1 where /proc/PID/smaps could not be, and
 * absent in traces of older forklocks (read: not known).  comm is the last key of
 * a line and runs to its end; the other values are one word each.
 */
#ifndef FORKLOCK_EVENTS_SNAPLINE_H
#define FORKLOCK_EVENTS_SNAPLINE_H

#define FL_SNAP_PREFIX	"forklock-snapshot "

/* printf formats of the lines, as the recorder writes them */
#define FL_SNAP_BEGIN_FMT	FL_SNAP_PREFIX "begin version=1 recorder=%d clock=%s kernel=%s"
#define FL_SNAP_PROC_FMT	FL_SNAP_PREFIX "proc tgid=%d threads=%zu vmas=%ld anon=%ld " \
				"cow=%ld shared=%ld special=%ld dontcopy=%ld uffd=%s kthread=%d comm=%s"
#define FL_SNAP_TASK_FMT	FL_SNAP_PREFIX "task pid=%d tgid=%d comm=%s"
#define FL_SNAP_END_FMT		FL_SNAP_PREFIX "end procs=%zu tasks=%zu ms=%.1f"
#define FL_SNAP_TIER_FMT	FL_SNAP_PREFIX "tier name=%s probes=%s group=%s light=%d"
#define FL_SNAP_RECORD_FMT	FL_SNAP_PREFIX "record argv=%s"
#define FL_SNAP_COMMAND_FMT	FL_SNAP_PREFIX "command pid=%d argv=%s"
#define FL_SNAP_CMDTIMES_FMT	FL_SNAP_PREFIX "command-times pid=%d start=%llu end=%llu status=%d host=%d"
/* the recording ended early (cut=1: the trace lacks part of the run) or was recovered */
#define FL_SNAP_STOP_FMT	FL_SNAP_PREFIX "stop at=%llu cut=%d recovered=%d why=%s"

enum fl_snap_kind {
	FL_SNAP_NONE,		/* not a snapshot line */
	FL_SNAP_BEGIN,
	FL_SNAP_PROC,
	FL_SNAP_TASK,
	FL_SNAP_END,
	FL_SNAP_TIER,
	FL_SNAP_RECORD,
	FL_SNAP_COMMAND,
	FL_SNAP_CMDTIMES,
	FL_SNAP_STOP,
	FL_SNAP_OTHER,		/* a snapshot line of a kind this forklock does not know */
};

/*
 * The kind of @line; *@rest is what follows "forklock-snapshot ", where
 * fl_snapline_value() looks for keys.
 */
enum fl_snap_kind fl_snapline_kind(const char *line, const char **rest);
/* Where the value of @key starts in @rest (NULL: no such key). */
const char *fl_snapline_value(const char *rest, const char *key);
/* The value of @key as a number, @def without the key. */
long fl_snapline_num(const char *rest, const char *key, long def);

#endif
