// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One recording, from setup to trace.dat, in the order record-local.h
 * lists (which file does each step).
 *
 * Every failure after the instance exists goes through cleanup(), which turns
 * tracing off, stops the readers and removes the instance.  Signals are
 * blocked from the start and only taken in the wait loop, so an interrupt
 * during setup ends the recording right after it begins, through the same
 * path.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tracefs.h>

#include "events/events.h"
#include "events/snapline.h"
#include "forklock-exit.h"
#include "log.h"
#include "record/record-local.h"
#include "shell.h"

/* ---- stopping and cleaning up -------------------------------------------- */

/* Tracing off, readers drained and closed, instance removed. Idempotent. */
static int stop_tracing(struct recorder *r)
{
	int ret = 0;

	bpf_tier_on(r, false);
	if (r->instance)
		tracefs_trace_off(r->instance);
	bpf_tier_stop(r);
	if (r->stream) {
		ret = fl_stream_stop(r->stream);
		fl_stream_free(r->stream);
		r->stream = NULL;
	}
	if (r->instance) {
		if (!r->stats)
			capture_read_stats(r);
		if (fl_instance_release(r->instance, &r->lock_fd) < 0)
			fl_warn("could not remove tracefs instance %s: %s",
				r->instance_name, strerror(errno));
		r->instance = NULL;
	}
	/* no instance uses them now; their formats go into the trace */
	if (r->probes.nr_created) {
		fl_probes_read_formats(&r->probes);
		if (fl_probes_destroy(&r->probes, r->probe_ops))
			fl_warn("could not remove some kprobes of group %s", r->probes.group);
	}
	return ret;
}

static void cleanup(struct recorder *r, bool failed)
{
	int cpu;

	stop_tracing(r);
	command_cleanup(r, failed);
	if (r->cpu_fds) {
		for (cpu = 0; cpu < r->nr_cpus; cpu++)
			if (r->cpu_fds[cpu] >= 0)
				close(r->cpu_fds[cpu]);
		free(r->cpu_fds);
	}
	if (r->out_fd >= 0)
		close(r->out_fd);
	if (failed && r->out_created)
		unlink(r->opts->output);
	if (failed)
		output_restore_old(r);
	if (r->stats) {
		for (cpu = 0; cpu < r->nr_cpus; cpu++)
			free(r->stats[cpu]);
		free(r->stats);
	}
	fl_snapshot_free(&r->snap);
	fl_probes_free(&r->probes);
	bpf_tier_free(r);
}

/* ---- the tier ------------------------------------------------------------- */

/*
 * --tier bpf: the programs or the error.  --tier auto, where the kprobe
 * tier is not recorded (no kprobe_events, or its plan failed): the bpf
 * tier, else the tracepoint tier; r->tier_note becomes the one notice
 * that says which and why.
 */
static int setup_auto_bpf(struct recorder *r)
{
	char why[512] = "", was[600];
	int ret;

	if (r->opts->tier == FL_TIER_OPT_BPF)
		return bpf_tier_start(r, true, why, sizeof(why));
	if (r->opts->tier != FL_TIER_AUTO || r->kprobe_tier)
		return 0;
	if (!r->tier_note[0])
		snprintf(r->tier_note, sizeof(r->tier_note), "no kprobe_events on this kernel");
	ret = bpf_tier_start(r, false, why, sizeof(why));
	if (ret)
		return ret;
	snprintf(was, sizeof(was), "%.599s", r->tier_note);
	if (r->bpf)
		snprintf(r->tier_note, sizeof(r->tier_note), "%.599s: recording the bpf tier", was);
	else
		snprintf(r->tier_note, sizeof(r->tier_note),
			 "%.599s, bpf tier refused (%.511s): recording the tracepoint tier", was, why);
	return 0;
}

/* ---- the whole recording ------------------------------------------------- */

int fl_record(const struct fl_record_opts *opts, struct fl_record_stats *st)
{
	struct recorder r = {
		.opts = opts, .out_fd = -1, .child = -1, .child_go = -1,
		.child_err = -1, .child_status = -1, .lock_fd = -1,
	};
	char cmd_path[4096];
	const char *why;
	char **stale = NULL;
	sigset_t block;
	uint64_t t_end, stop_ns = 0;
	int ret, n;

	memset(st, 0, sizeof(*st));
	st->command_status = -1;
	capture_signals(&block);
	sigprocmask(SIG_BLOCK, &block, NULL);
	signal(SIGPIPE, SIG_IGN);

	fl_host_probe(&r.host, true);
	r.probe_ops = &fl_tracefs_dynevent_ops;
	if (fl_probe_injection(&r.inject)) {
		r.host.kprobes = true;
		r.probe_ops = &r.inject.ops;
	}
	if (!r.host.privileged)
		return fl_err(FL_EXIT_PERM, "recording needs root (CAP_SYS_ADMIN)");
	if (!r.host.tracefs_mounted)
		return fl_err(FL_EXIT_NO_TRACEFS,
			      "tracefs is not mounted and cannot be mounted at %s", r.host.tracefs);
	ret = setup_check_events();
	if (ret)
		return ret;
	if (opts->light && opts->tier != FL_TIER_OPT_BPF)
		return fl_err(FL_EXIT_TIER, "--light counts VMAs from map_count, which only the "
			      "bpf tier reads: use --tier bpf");
	if (opts->command) {
		ret = command_resolve(opts->command[0], cmd_path, sizeof(cmd_path));
		if (ret == FL_EXIT_CMD_NOTFOUND)
			return fl_err(ret, "command not found: %s", opts->command[0]);
		if (ret)
			return fl_err(ret, "command is not executable: %s", opts->command[0]);
	}
	switch (opts->tier) {
	case FL_TIER_OPT_TRACEPOINT:
		break;
	case FL_TIER_OPT_KPROBE:
		if (!r.host.kprobes)
			return fl_err(FL_EXIT_TIER, "the kprobe tier needs kprobe_events, which this "
				      "kernel does not have; use --tier tracepoint");
		r.kprobe_tier = true;
		break;
	case FL_TIER_OPT_BPF:
		break;
	case FL_TIER_AUTO:
		r.kprobe_tier = r.host.kprobes;
		break;
	}
	r.nr_cpus = r.host.nr_cpus;
	r.page_size = setup_page_size();
	ret = output_open(&r);
	if (!ret)
		ret = capture_open_files(&r);
	if (ret)
		goto fail;

	n = fl_instance_remove_stale(&stale);
	if (n > 0) {
		char **s;

		for (s = stale; s && *s; s++) {
			fl_notice("removed stale tracefs instance %s (its recorder is gone: "
				  "its lock was free)", *s);
			free(*s);
		}
	}
	free(stale);

	ret = setup_instance(&r);
	if (!ret && r.kprobe_tier)
		ret = setup_kprobes(&r);
	if (!ret)
		ret = setup_auto_bpf(&r);
	if (ret)
		goto fail;
	if (opts->command) {
		ret = command_fork(&r, cmd_path);
		if (ret)
			goto fail;
	}
	r.stream = fl_stream_start(r.instance, r.nr_cpus, r.cpu_fds, FL_READER_NICE_IDLE);
	if (!r.stream) {
		ret = fl_err(FL_EXIT_TRACEFS, "cannot read the per-CPU buffers: %s", strerror(errno));
		goto fail;
	}
	ret = setup_exclude_readers(&r);
	if (ret)
		goto fail;

	r.t0 = fl_mono_ns();
	if (tracefs_trace_on(r.instance) < 0) {
		ret = fl_err(FL_EXIT_TRACEFS, "cannot turn tracing on: %s", strerror(errno));
		goto fail;
	}
	bpf_tier_on(&r, true);
	if (fl_snapshot_take(&r.snap, getpid(), r.clock) < 0) {
		ret = fl_err(FL_EXIT_FAILURE, "cannot read /proc: %s", strerror(errno));
		goto fail;
	}
	fl_snapshot_add(&r.snap, FL_SNAP_TIER_FMT,
			r.kprobe_tier ? "kprobe" : r.bpf ? "bpf" : "tracepoint",
			!r.kprobe_tier ? "-" : r.probes.style == FL_PROBE_BTF ? "btf" : "offsets",
			r.kprobe_tier ? r.probes.group : "-", opts->light ? 1 : 0);
	if (opts->argv) {
		char *text = fl_shell_join("forklock", opts->argc, opts->argv);

		fl_snapshot_add(&r.snap, FL_SNAP_RECORD_FMT, text ? text : "");
		free(text);
	}
	if (opts->command) {
		int argc = 0;
		char *text;

		while (opts->command[argc])
			argc++;
		text = fl_shell_join("", argc, opts->command);
		r.root_pid = (int)r.child;
		fl_snapshot_add(&r.snap, FL_SNAP_COMMAND_FMT,
				(int)r.child, text ? text : "");
		free(text);
		ret = command_release(&r);
		if (ret)
			goto fail;
	}

	/* said once the recording runs: a failed setup has its own one line */
	if (fl_in_child_pidns())
		fl_warn("recording from inside a PID namespace: the /proc snapshot has this "
			"namespace's pids, the kernel's events the host's; the recorder's own "
			"events are not filtered out");
	if (r.tier_note[0])
		fl_notice("%s", r.tier_note);
	why = capture_wait(&r);
	t_end = fl_mono_ns();
	if (stop_tracing(&r) < 0) {
		if (errno == ENOSPC && !r.cut)
			r.cut = "the output's file system is full (ENOSPC)";
		if (errno != ENOSPC) {
			ret = fl_err(FL_EXIT_TRACEFS, "reading the trace buffers failed: %s",
				     strerror(errno));
			goto fail;
		}
	}
	if ((r.cut || r.limit) && r.child > 0) {
		fl_notice("recording stopped (%s); COMMAND runs on to its end", why);
		command_wait_end(&r);
		stop_ns = fl_mono_ns();
	}
	command_reap(&r);
	if (r.cut || r.limit)
		fl_snapshot_add(&r.snap, FL_SNAP_STOP_FMT, (unsigned long long)t_end,
				r.cut || stop_ns ? 1 : 0, 0, why);
	if (opts->command)
		fl_snapshot_add(&r.snap, FL_SNAP_CMDTIMES_FMT, r.root_pid,
				(unsigned long long)r.child_start_ns,
				(unsigned long long)r.child_end_ns,
				r.child_end_ns ? r.child_status : -1, !fl_in_child_pidns());
	ret = output_write(&r, st);
	if (ret)
		goto fail;
	st->duration_ns = t_end - r.t0;
	st->command_status = r.child_status;
	st->tier = r.kprobe_tier ? "kprobe" : r.bpf ? "bpf" : "tracepoint";
	st->nr_probes = r.probes.nr;
	st->cut = r.cut;
	st->limit = r.limit;
	for (n = 0; n < FL_EV_NR; n++)
		if (fl_events[n].record != FL_RECORD_NO &&
		    !fl_event_present(fl_events[n].system, fl_events[n].name))
			st->missing_events++;
	if (r.kept_old)
		fl_notice("the previous %s is kept as %s", opts->output, r.old_path);
	fl_notice("stopped: %s", why);
	cleanup(&r, false);
	return 0;
fail:
	cleanup(&r, true);
	fl_record_stats_free(st);
	return ret ? ret : FL_EXIT_FAILURE;
}

void fl_record_stats_free(struct fl_record_stats *st)
{
	free(st->lost);
	st->lost = NULL;
}
