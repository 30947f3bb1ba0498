// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The replay loop: open a trace.dat (open.c), then one pass of
 * tracecmd_iterate_events() (CPUs merged in time order) feeding each record
 * to the snapshot reader (snapshot.c), the model (model.c, uffd.c, mm.c)
 * and the fork windows (window.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>
#include <trace-cmd.h>
#include <unistd.h>

#include "events/bpfevents.h"
#include "forklock-exit.h"
#include "log.h"
#include "replay/replay-int.h"
#include "tracedat/check.h"
#include "tracedat/pageread.h"

#define UFFD_O_CLOEXEC	02000000
#define MAP_SHARED_BIT	0x01	/* MAP_SHARED and MAP_SHARED_VALIDATE */

/* ---- ma_write.fn --------------------------------------------------------- */

/* 1: "mas_store", 0: another function, -1: the pointer does not resolve */
static int resolve_fn(struct replay *rp, struct tep_record *rec)
{
	struct trace_seq s;
	const char *p;
	int ret;

	trace_seq_init(&s);
	tep_print_event(rp->dec.tep, &s, rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&s);
	p = s.buffer;
	if (!strncmp(p, "mas_store", 9) && (p[9] == '\t' || p[9] == ' ' || !p[9]))
		ret = 1;
	else if (strspn(p, "0123456789abcdef") >= 8)
		ret = -1;	/* printed as a bare address: no printk_formats entry */
	else
		ret = 0;
	trace_seq_destroy(&s);
	return ret;
}

static bool fn_is_store(struct replay *rp, struct tep_record *rec)
{
	uint64_t fn = fl_field_u64(&rp->dec, rec, &rp->dec.ma_fn);
	int i, r;

	if (fn == rp->last_fn)
		return rp->last_fn_store;
	for (i = 0; i < rp->nr_fn; i++)
		if (rp->fn_ptr[i] == fn)
			break;
	if (i == rp->nr_fn) {
		r = resolve_fn(rp, rec);
		if (r < 0)
			rp->info->fn_unresolved = true;
		if (rp->nr_fn < (int)(sizeof(rp->fn_ptr) / sizeof(rp->fn_ptr[0]))) {
			rp->fn_ptr[rp->nr_fn] = fn;
			rp->fn_is_store[rp->nr_fn++] = (int8_t)r;
		}
	} else {
		r = rp->fn_is_store[i];
	}
	rp->last_fn = fn;
	/* unresolvable: every ma_write in the window is counted, and said so */
	rp->last_fn_store = r != 0;
	return rp->last_fn_store;
}

/* ---- one record ------------------------------------------------------------ */

static void newtask(struct replay *rp, struct task *t, struct tep_record *rec)
{
	const struct fl_decoder *d = &rp->dec;
	int child = (int)fl_field_s64(d, rec, &d->nt_pid);
	uint64_t flags = fl_field_u64(d, rec, &d->nt_flags);
	struct fork_rec *fr;
	char comm[16];

	fl_field_str(d, rec, &d->nt_comm, comm, sizeof(comm));
	fl_comm_clean(comm);
	/* the child's comm is the parent's, as it is now (prctl renames too) */
	if (comm[0])
		snprintf(t->comm, sizeof(t->comm), "%s", comm);
	if (flags & FL_CLONE_VM) {
		win_abort_pending(rp, t);	/* a pending fork got no child */
		if (t->kthread) {
			rp->info->kthread_spawns++;
		} else {
			rp->info->clone_vm_spawns++;
			if (flags & FL_CLONE_THREAD)
				rp->info->threads_created++;
			else if (flags & FL_CLONE_VFORK)
				rp->info->vforks++;
			if (t->in_command) {
				rp->info->command_clone_vm_spawns++;
				if (flags & FL_CLONE_THREAD)
					rp->info->command_threads_created++;
				else if (flags & FL_CLONE_VFORK)
					rp->info->command_vforks++;
			}
		}
		model_newtask(rp, t, child, flags, comm, 0);
		return;
	}
	fr = win_take_pending(rp, t);
	if (fr && comm[0])
		memcpy(fr->f.comm, t->comm, sizeof(fr->f.comm));
	model_newtask(rp, t, child, flags, comm, fr ? fr->f.newmm : 0);
	if (fr)
		win_settle(rp, fr, child, flags);
	else if (t->kthread)
		rp->info->kthread_spawns++;
	else
		rp->info->unmatched_newtasks++;
}

/* A thread's exec takes its leader's pid: the leader's holds end with it. */
static void exec(struct replay *rp, int pid, int old_pid, const char *filename)
{
	struct task *gone = model_exec_replaces(rp, pid, old_pid);

	if (gone)
		win_task_gone(rp, gone);
	model_exec(rp, pid, old_pid, filename);
}

/* Its windows end, then the task; the oldest exited task the model lets go of too. */
static void task_exit(struct replay *rp, struct task *t)
{
	struct task *old;

	if (!t || t->exited)
		return;
	win_task_gone(rp, t);
	old = model_exit(rp, t);
	if (old) {
		win_task_gone(rp, old);		/* a hold whose release was lost */
		model_task_free(rp, old);
	}
}

/* An event that is not part of a fault: a fault this task had is over. */
static void not_faulting(struct replay *rp, struct task *t)
{
	t->fault_pending = false;
	if (!t->acc_waiting && !t->in_uffd_ioctl)
		win_acc_forget(rp, t);
}

static int on_record(struct tracecmd_input *handle, struct tep_record *rec, int cpu, void *data)
{
	struct replay *rp = data;
	const struct fl_decoder *d = &rp->dec;
	struct fl_trace_info *info = rp->info;
	uint16_t id;
	int32_t pid;
	enum fl_ev kind;
	struct task *t;
	char buf[4096];

	info->events++;
	if (handle != rp->handle) {
		/* the bpf tier's buffer: its own pages, nothing to release */
		if (rec->missed_events)
			info->bpf_lost_pages++;
		return bpf_record(rp, rec) < 0 || rp->nomem ? -1 : 0;
	}
	if (cpu >= 0 && cpu < rp->nr_cpus)
		rp->cpu_read[cpu]++;
	if (!rp->pages) {
		/* libtracecmd's mappings: pages.c reads into buffers of its own */
		fl_release_note(&rp->release, cpu, rec->offset);
		if (!(info->events & ((1 << 16) - 1)))
			fl_release_run(&rp->release);
	}
	if (!info->first_ts)
		info->first_ts = rec->ts;
	info->last_ts = rec->ts;
	if (rec->missed_events) {
		if (rec->missed_events > 0)
			info->lost_events += rec->missed_events;
		else
			info->lost_unknown = true;
		win_lost_events(rp);
	}
	if (rec->size < 8)
		return 0;
	/* common_type and common_pid of every record: read in place */
	memcpy(&id, rec->data, 2);
	if (d->swap)
		id = __builtin_bswap16(id);
	kind = fl_decode_kind(d, id);
	if (kind == FL_EV_NONE) {
		info->unknown_events++;
		return 0;
	}
	if (kind == FL_EV_OTHER)
		return 0;
	memcpy(&pid, (const char *)rec->data + 4, 4);
	if (d->swap)
		pid = (int32_t)__builtin_bswap32((uint32_t)pid);

	if (kind == FL_EV_PRINT) {
		fl_field_str(d, rec, &d->print_buf, buf, sizeof(buf));
		snapshot_print(rp, pid, buf);
		return rp->nomem ? -1 : 0;
	}
	if (kind == FL_EV_WAKING) {
		/* common_pid is the waker; 0 from an interrupt on an idle CPU */
		int wakee = (int)fl_field_s64(d, rec, &d->wk_pid);

		fl_field_str(d, rec, &d->wk_comm, buf, sizeof(buf));
		model_comm(rp, wakee, buf);
		offcpu_waking(rp, pid, wakee, rec->ts);
		return rp->nomem ? -1 : 0;
	}
	if (pid <= 0)
		return 0;
	t = model_task(rp, pid);
	if (!t)
		return -1;
	/* a task that emits an event is running (a switch out says more) */
	if (kind != FL_EV_SWITCH)
		offcpu_ran(rp, t, rec->ts);
	/* its kprobe read's value was fetched before this event (window-kp.c) */
	if (t->kp_read_open)
		win_kp_read_end(rp, t, rec->ts);

	switch (kind) {
	case FL_EV_LOCK_START:
		win_lock_start(rp, t, fl_field_u64(d, rec, &d->lock_mm[0]),
			       fl_field_u64(d, rec, &d->lock_write[0]), rec->ts);
		break;
	case FL_EV_LOCK_ACQUIRED:
		win_lock_acquired(rp, t, fl_field_u64(d, rec, &d->lock_mm[1]),
				  fl_field_u64(d, rec, &d->lock_write[1]),
				  fl_field_u64(d, rec, &d->lock_success), rec->ts);
		break;
	case FL_EV_LOCK_RELEASED:
		win_lock_released(rp, t, fl_field_u64(d, rec, &d->lock_mm[2]),
				  fl_field_u64(d, rec, &d->lock_write[2]), rec->ts);
		break;
	case FL_EV_MA_WRITE:
		/* only the forking task's stores matter: resolve fn for those */
		if (t->win == WIN_NESTED || !t->lock_seen)
			win_ma_write(rp, t, fn_is_store(rp, rec),
				     fl_field_u64(d, rec, &d->ma_index),
				     fl_field_u64(d, rec, &d->ma_last));
		break;
	case FL_EV_NEWTASK:
		not_faulting(rp, t);
		newtask(rp, t, rec);
		break;
	case FL_EV_EXEC:
		not_faulting(rp, t);
		fl_field_str(d, rec, &d->exec_filename, buf, sizeof(buf));
		exec(rp, (int)fl_field_s64(d, rec, &d->exec_pid),
		     (int)fl_field_s64(d, rec, &d->exec_old_pid), buf);
		break;
	case FL_EV_EXIT:
		task_exit(rp, model_task_find(rp, (int)fl_field_s64(d, rec, &d->exit_pid)));
		break;
	case FL_EV_EXIT_MMAP:
		mm_retire_ptr(rp, fl_field_u64(d, rec, &d->exit_mmap_mm));
		break;
	case FL_EV_FAULT:
		win_fault(rp, t, rec->ts);
		break;
	case FL_EV_UFFD_ENTER:
		not_faulting(rp, t);
		t->in_userfaultfd = true;
		t->uffd_flags = fl_field_u64(d, rec, &d->ufd_flags);
		break;
	case FL_EV_UFFD_EXIT: {
		int64_t ret = fl_field_s64(d, rec, &d->ufd_ret);

		if (t->in_userfaultfd && ret >= 0)
			uffd_created(rp, t, (int)ret, t->uffd_flags & UFFD_O_CLOEXEC);
		t->in_userfaultfd = false;
		break;
	}
	case FL_EV_IOCTL_ENTER: {
		uint32_t cmd = (uint32_t)fl_field_u64(d, rec, &d->ioctl_cmd);

		not_faulting(rp, t);
		if (!uffd_is_access_cmd(cmd))
			break;
		t->in_uffd_ioctl = true;
		t->ioctl_fd = (int)fl_field_u64(d, rec, &d->ioctl_fd);
		t->ioctl_cmd = cmd;
		t->ioctl_ts = rec->ts;
		t->ioctl_counted = false;
		win_uffd_ioctl(rp, t, rec->ts);
		win_kp_ioctl_enter(rp, t, rec->ts);
		break;
	}
	case FL_EV_IOCTL_EXIT:
		if (t->in_uffd_ioctl) {
			t->in_uffd_ioctl = false;
			t->ioctl_end_ts = rec->ts;
			t->ioctl_counted = false;
			if (!t->acc_waiting)
				win_acc_forget(rp, t);
		}
		break;
	case FL_EV_CLOSE:
		not_faulting(rp, t);
		if (t->tgid > 0) {
			uffd_closed(rp, t->tgid, (int)fl_field_u64(d, rec, &d->close_fd));
			win_kp_close(rp, t->tgid, (int)fl_field_u64(d, rec, &d->close_fd));
		}
		break;
	case FL_EV_MMAP_ENTER:
		not_faulting(rp, t);
		t->mmap_flags = fl_field_u64(d, rec, &d->mmap_flags);
		t->in_mmap = true;
		t->in_mmap_shared = t->mmap_flags & MAP_SHARED_BIT;
		t->mmap_len = fl_field_u64(d, rec, &d->mmap_len);
		break;
	case FL_EV_MMAP_EXIT: {
		uint64_t ret = fl_field_u64(d, rec, &d->mmap_ret);

		/* an address, not -errno */
		if (t->in_mmap_shared && ret < (uint64_t)-4095)
			mm_mmap_shared(rp, t->mm, ret, t->mmap_len);
		if (t->in_mmap && ret < (uint64_t)-4095)
			vmamap_mmap(rp, t->mm, ret, t->mmap_len, vmamap_kind_of_mmap(t->mmap_flags));
		t->in_mmap_shared = t->in_mmap = false;
		break;
	}
	case FL_EV_MUNMAP:
		not_faulting(rp, t);
		mm_munmap(rp, t->mm, fl_field_u64(d, rec, &d->munmap_addr),
			     fl_field_u64(d, rec, &d->munmap_len));
		vmamap_munmap(rp, t->mm, fl_field_u64(d, rec, &d->munmap_addr),
			      fl_field_u64(d, rec, &d->munmap_len));
		t->hold_accounted = true;	/* its write hold: followed above */
		break;
	case FL_EV_MADVISE:
		not_faulting(rp, t);
		dc_madvise_enter(rp, t, fl_field_u64(d, rec, &d->madv_start),
				 fl_field_u64(d, rec, &d->madv_len),
				 (int)fl_field_u64(d, rec, &d->madv_behavior));
		break;
	case FL_EV_MADVISE_EXIT:
		if (fl_field_s64(d, rec, &d->madv_ret) != 0)
			dc_madvise_failed(rp, t);
		else
			t->madv_pending = false;
		break;
	case FL_EV_SWITCH: {
		int next = (int)fl_field_s64(d, rec, &d->sw_next_pid);
		struct task *n = next > 0 ? model_task_find(rp, next) : NULL;

		/* the comms as the scheduler has them: prctl(PR_SET_NAME) has no event */
		fl_field_str(d, rec, &d->sw_prev_comm, buf, sizeof(buf));
		model_comm(rp, pid, buf);
		fl_field_str(d, rec, &d->sw_next_comm, buf, sizeof(buf));
		model_comm(rp, next, buf);
		offcpu_switch_out(rp, t, fl_field_s64(d, rec, &d->sw_prev_state), rec->ts);
		if (n)
			offcpu_ran(rp, n, rec->ts);
		break;
	}
	case FL_EV_K_DUP_MMAP:
		win_kp_dup_mmap(rp, t, fl_field_u64(d, rec, &d->k_oldmm),
				(int)fl_field_s64(d, rec, &d->k_users),
				(int)fl_field_s64(d, rec, &d->k_count),
				d->k_map_count.offset < 0 ? -1 :
				(int)fl_field_s64(d, rec, &d->k_map_count), rec->ts);
		break;
	case FL_EV_K_UPROBE_DUP_MMAP:
		/* inside dup_mmap(), oldmm write-locked, before the new mm's lock */
		win_kp_dup_mmap(rp, t, fl_field_u64(d, rec, &d->ku_oldmm),
				(int)fl_field_s64(d, rec, &d->ku_users),
				(int)fl_field_s64(d, rec, &d->ku_count),
				(int)fl_field_s64(d, rec, &d->ku_map_count), rec->ts);
		break;
	case FL_EV_K_DUP_MMAP_END:
		win_kp_dup_mmap_end(rp, t);
		break;
	case FL_EV_K_DUP_MMAP_RET:
		win_kp_dup_mmap_ret(rp, t, (int)fl_field_s64(d, rec, &d->k_ret));
		break;
	case FL_EV_K_VSW:
		win_kp_vma_start_write(rp, t, fl_field_u64(d, rec, &d->k_vm_mm), rec->ts);
		break;
	case FL_EV_K_VSW_RET:
		win_kp_vma_start_write_ret(rp, t, rec->ts);
		break;
	case FL_EV_K_RCU_RET:
		win_kp_rcu_ret(rp, t, fl_field_u64(d, rec, &d->k_rcu_ret));
		break;
	case FL_EV_K_DUP_PROBE:
		info->has_dup_probe = true;
		info->dup_probe[fl_field_s64(d, rec, &d->k_only_user) != 0]
			       [fl_field_s64(d, rec, &d->k_locked) != 0]++;
		break;
	default:
		break;
	}
	return rp->nomem ? -1 : 0;	/* out of memory: stop here, fl_replay_file() says so */
}

/* The bpf tier's buffer (events/bpfevents.h), or NULL if the trace has none. */
static struct tracecmd_input *bpf_buffer(struct replay *rp, struct tracecmd_input *handle)
{
	int i, n = tracecmd_buffer_instances(handle);

	for (i = 0; i < n; i++) {
		const char *name = tracecmd_buffer_instance_name(handle, i);

		if (name && !strcmp(name, FL_BPF_BUFFER)) {
			rp->info->bpf = true;
			return tracecmd_buffer_instance_handle(handle, i);
		}
	}
	return NULL;
}

static bool release_at_least(const char *rel, int major, int minor)
{
	int ma = 0, mi = 0;

	if (sscanf(rel, "%d.%d", &ma, &mi) != 2)
		return true;	/* unknown: assume a current kernel */
	return ma > major || (ma == major && mi >= minor);
}

/*
 * libtracecmd ends a CPU without a word where it cannot map or read a page
 * (an address-space limit, no memory): every CPU must have given as many
 * events as the checker counted in its data, or the forks are not all.
 */
static int read_whole(const struct replay *rp, const char *path)
{
	int cpu;

	for (cpu = 0; cpu < rp->nr_cpus; cpu++)
		if (rp->cpu_read[cpu] != rp->cpu_expected[cpu] && rp->pages)
			return fl_err(FL_EXIT_PARTIAL, "%s: read %" PRIu64 " of the %" PRIu64
				      " events of CPU %d: its pages gave %s than the check counted; "
				      "no report of a part", path, rp->cpu_read[cpu],
				      rp->cpu_expected[cpu], cpu,
				      rp->cpu_read[cpu] < rp->cpu_expected[cpu] ? "fewer" : "more");
		else if (rp->cpu_read[cpu] != rp->cpu_expected[cpu])
			return fl_err(FL_EXIT_PARTIAL, "%s: read only %" PRIu64 " of the %" PRIu64
				      " events of CPU %d: libtracecmd could not map or read the rest "
				      "(out of memory or address space: ulimit -v?); no report of "
				      "a part", path, rp->cpu_read[cpu], rp->cpu_expected[cpu], cpu);
	return FL_EXIT_OK;
}

static int reader_threads(enum replay_source src, const struct fl_tdcheck *check)
{
	long host = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t bytes = 0;
	int cpu, with_data = 0;

	for (cpu = 0; cpu < check->nr_cpus; cpu++) {
		bytes += check->cpu_size[cpu];
		with_data += check->cpu_size[cpu] != 0;
	}
	if (host > 64)
		host = 64;
	if (src == SRC_THREADS)
		return host > 1 ? (int)host : 2;
	if (src != SRC_AUTO || host < 2 || with_data < 2 || bytes < (1U << 20))
		return 0;
	return (int)host;
}

/* The bpf tier's buffer where the checker found it; -1 if it cannot say. */
static int bpf_ranges(int fd, const struct fl_tdcheck *check, uint64_t *offs, uint64_t *sizes)
{
	int i;

	for (i = 0; i < check->nr_named; i++)
		if (!strcmp(check->named[i].name, FL_BPF_BUFFER))
			return fl_tdcheck_buffer_cpus(fd, check, i, offs, sizes);
	return -1;
}

/* -1 the callback's or libtracecmd's end, -2 no memory, -3 a CPU not read whole */
static int read_pages(struct replay *rp, int fd, const struct fl_tdcheck *check,
		      struct tracecmd_input *bpf, int threads, char *why, size_t len)
{
	struct replay_pages_src src[2] = { { 0 } };
	uint64_t *boffs = NULL, *bsizes = NULL, *skipped;
	int n = check->nr_cpus, nr_src = 1, ret, cpu, k;
	uint8_t *skip;

	skip = calloc(rp->dec.max_id + 1, 1);
	skipped = calloc(2 * (size_t)n + 1, sizeof(*skipped));
	if (!skip || !skipped) {
		free(skip);
		free(skipped);
		return -2;
	}
	/* what on_record() only counts: ids without a format, events no stage reads */
	for (k = 0; k <= rp->dec.max_id; k++) {
		enum fl_ev kind = fl_decode_kind(&rp->dec, k);

		skip[k] = kind == FL_EV_NONE ? FL_SKIP_UNKNOWN : kind == FL_EV_OTHER ? FL_SKIP_OTHER :
			  FL_SKIP_NO;
	}
	src[0] = (struct replay_pages_src){
		.handle = rp->handle, .nr_cpus = n, .offset = check->cpu_offset,
		.size = check->cpu_size, .skip = skip, .nr_skip = (uint32_t)rp->dec.max_id + 1,
		.skipped = skipped,
	};
	if (bpf) {
		boffs = calloc(n + 1, sizeof(*boffs));
		bsizes = calloc(n + 1, sizeof(*bsizes));
		if (!boffs || !bsizes) {
			ret = -2;
			goto out;
		}
		bpf_ranges(fd, check, boffs, bsizes);	/* checked by the caller */
		src[1] = (struct replay_pages_src){
			.handle = bpf, .nr_cpus = n, .offset = boffs, .size = bsizes,
			.skipped = skipped + n,
		};
		nr_src = 2;
	}
	ret = replay_pages_iterate(fd, check, src, nr_src, threads, on_record, rp);
	for (cpu = 0; cpu < n; cpu++) {
		rp->info->events += skipped[cpu];
		if (cpu < rp->nr_cpus)
			rp->cpu_read[cpu] += skipped[cpu];
	}
	rp->info->unknown_events += src[0].skipped_unknown;
	if (!ret) {
		for (k = 0; k < nr_src; k++) {
			if (!src[k].err)
				continue;
			if (src[k].err == ENOMEM) {
				ret = -2;	/* the readers' buffers: said as memory */
				break;
			}
			snprintf(why, len, "%s CPU %d could not be read to its end (%s)",
				 k ? "the bpf buffer's" : "the data of", src[k].err_cpu,
				 src[k].err == EPROTO ? "a page larger than a page" :
				 strerror(src[k].err));
			ret = -3;
			break;
		}
	}
out:
	free(boffs);
	free(bsizes);
	free(skip);
	free(skipped);
	return ret;
}

int fl_replay_file(const char *path, const struct fl_sink *sink, struct fl_trace_info *info)
{
	struct tracecmd_input *handle = NULL, *bpf;
	struct replay rp = { .info = info, .sink = sink, .recorder_pid = -1 };
	struct fl_tdcheck check = { 0 };
	int source = replay_source(), fd = -1;
	char why[256];
	int ret, k;

	memset(info, 0, sizeof(*info));
	snprintf(info->path, sizeof(info->path), "%s", path);
	snprintf(info->kernel, sizeof(info->kernel), "unknown");
	info->tier = FL_TIER_TRACEPOINT;
	info->command_pid = -1;
	info->command_start_ns = -1;
	info->command_end_ns = -1;
	info->command_status = -1;
	if (source < 0)
		return fl_err(FL_EXIT_USAGE, "FORKLOCK_REPLAY=%s: not libtracecmd, pages, threads "
			      "or auto", getenv("FORKLOCK_REPLAY"));
	ret = replay_open(path, &handle, info, &check, &fd);
	if (ret)
		return ret;
	rp.cpu_expected = check.cpu_events;
	check.cpu_events = NULL;
	rp.nr_cpus = rp.cpu_expected ? info->nr_cpus : 0;
	rp.cpu_read = calloc(rp.nr_cpus + 1, sizeof(*rp.cpu_read));
	if (!rp.cpu_read) {
		free(rp.cpu_expected);
		fl_tdcheck_free(&check);
		close(fd);
		tracecmd_close(handle);
		return fl_err(FL_EXIT_FAILURE, "%s: out of memory replaying the events", path);
	}
	if (fl_decoder_init(&rp.dec, tracecmd_get_tep(handle), why, sizeof(why)) < 0) {
		int code = errno == ENOMEM ? FL_EXIT_FAILURE : FL_EXIT_LAYOUT;

		fl_decoder_free(&rp.dec);
		fl_tdcheck_free(&check);
		close(fd);
		tracecmd_close(handle);
		free(rp.cpu_expected);
		free(rp.cpu_read);
		return fl_err(code, "%s: %s", path, why);
	}
	for (k = 0; k < FL_EV_NR; k++)
		if (fl_events[k].replay == FL_REPLAY_NAMED && rp.dec.ids[k] < 0 &&
		    info->nr_missing < FL_MAX_MISSING)
			info->missing[info->nr_missing++] = fl_events[k].label;
	if (rp.dec.ids[FL_EV_K_DUP_MMAP] >= 0 || rp.dec.ids[FL_EV_K_UPROBE_DUP_MMAP] >= 0)
		info->tier = FL_TIER_KPROBE;
	info->has_vma_lock_probes = rp.dec.ids[FL_EV_K_VSW] >= 0 && rp.dec.ids[FL_EV_K_VSW_RET] >= 0;
	rp.have_exit = rp.dec.ids[FL_EV_EXIT] >= 0;
	rp.have_uffd = rp.dec.ids[FL_EV_UFFD_EXIT] >= 0 && rp.dec.ids[FL_EV_CLOSE] >= 0;
	rp.have_madvise = rp.dec.ids[FL_EV_MADVISE] >= 0 && rp.dec.ids[FL_EV_MADVISE_EXIT] >= 0;
	rp.page_size = (uint64_t)tep_get_page_size(tracecmd_get_tep(handle));
	info->has_sched = rp.dec.ids[FL_EV_SWITCH] >= 0 && rp.dec.ids[FL_EV_WAKING] >= 0;
	info->vma_locks = release_at_least(info->kernel, 6, 4);
	u64map_init(&rp.tasks);
	u64map_init(&rp.windows);
	u64map_init(&rp.mms);
	u64map_init(&rp.snap_mms);
	u64map_init(&rp.fdtabs);
	rp.last_fn = ~0ULL;
	fl_release_init(&rp.release, path);

	rp.handle = handle;
	bpf = bpf_buffer(&rp, handle);
	if (bpf && info->tier == FL_TIER_TRACEPOINT)
		info->tier = FL_TIER_BPF;
	/*
	 * forklock's page readers read what libtracecmd would give, where the
	 * checker walked the file (version 6) and no option makes libtracecmd
	 * adjust the timestamps; libtracecmd reads the rest.
	 */
	if (source != SRC_LIBTRACECMD && check.version == 6 && check.cpu_offset &&
	    rp.cpu_expected && !check.ts_adjusted) {
		rp.pages = true;
		if (bpf) {
			uint64_t *o = calloc(info->nr_cpus + 1, 8), *z = calloc(info->nr_cpus + 1, 8);

			rp.pages = o && z && bpf_ranges(fd, &check, o, z) == 0;
			free(o);
			free(z);
		}
	}
	if (!rp.pages && (source == SRC_PAGES || source == SRC_THREADS))
		fl_notice("%s: read by libtracecmd, not by pages as FORKLOCK_REPLAY asks: %s", path,
			  check.version != 6 ? "a version 7 file" : check.ts_adjusted ?
			  "an option adjusts its timestamps" : "its bpf buffer was not found");
	if (rp.pages) {
		ret = read_pages(&rp, fd, &check, bpf, reader_threads(source, &check), why,
				 sizeof(why));
	} else if (bpf) {
		struct tracecmd_input *both[2] = { handle, bpf };

		ret = tracecmd_iterate_events_multi(both, 2, on_record, &rp);
	} else {
		ret = tracecmd_iterate_events(handle, NULL, 0, on_record, &rp);
	}
	fl_tdcheck_free(&check);
	close(fd);
	win_end_of_trace(&rp);
	/* the kernel release may only be known from the snapshot */
	info->vma_locks = release_at_least(info->kernel, 6, 4);
	if (info->last_ts > info->first_ts)
		info->duration_ns = info->last_ts - info->first_ts;
	uffd_free(&rp);
	/* holds of exited tasks that outlived them, as a lost release leaves them */
	for (k = 0; k < FL_EXITED; k++)
		if (rp.exited[k])
			win_task_gone(&rp, rp.exited[k]);
	model_free(&rp);
	fl_decoder_free(&rp.dec);
	if (bpf)
		tracecmd_close(bpf);
	tracecmd_close(handle);
	if (rp.nomem || (rp.pages && ret == -2))
		ret = fl_err(FL_EXIT_FAILURE, "%s: out of memory replaying the events", path);
	else if (rp.pages && ret == -3)
		ret = fl_err(FL_EXIT_PARTIAL, "%s: %s; no report of a part", path, why);
	else if (rp.pages && ret < 0)
		ret = fl_err(FL_EXIT_FORMAT, "%s: the events stop before their end: events were "
			     "lost before an event that has no format (corrupt data)", path);
	else if (ret < 0)
		ret = fl_err(FL_EXIT_FORMAT, "%s: libtracecmd stopped before the end of the events "
			     "(corrupt data, or out of memory)", path);
	else
		ret = read_whole(&rp, path);
	free(rp.cpu_expected);
	free(rp.cpu_read);
	return ret;
}
