/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replay internals shared by open.c (opening a trace), mm.c (address
 * spaces), model.c (tasks), snapshot.c (the recorder's /proc snapshot),
 * window.c (fork windows and accessors), uffd.c (userfaultfd contexts) and
 * replay.c (the event loop).
 */
#ifndef FORKLOCK_REPLAY_INT_H
#define FORKLOCK_REPLAY_INT_H

#include "replay/decode.h"
#include "replay/fork.h"
#include "replay/release.h"
#include "replay/replay.h"
#include "replay/u64map.h"

#include <stdint.h>
#include <stdlib.h>

struct task;
struct fork_rec;

/* A range of the VMA map (vmamap.c): what one mmap() made. */
struct fl_vrange {
	uint64_t start, end;
	enum fl_vma_kind kind;
};

struct fl_vmamap {
	struct fl_vrange *r;		/* sorted by start, disjoint */
	int n, alloc;
	bool incomplete;		/* ranges were not kept (too many) */
};

/* An address space: the tasks that share one mm_struct. */
struct fl_mm {
	uint64_t ptr;			/* mm_struct pointer once seen, 0 before */
	int users;			/* live tasks using it */
	bool users_known;		/* every task using it is known */
	enum fl_uffd uffd;
	int uffd_ctxs;			/* live userfaultfd contexts on it that we know of */
	uint32_t vmas;			/* last known VMA count */
	struct fl_vma_kinds kinds;
	/* MAP_SHARED mappings made while traced, to follow kinds.shared */
	struct fl_range *shared_ranges;
	int nr_shared, alloc_shared;
	struct task *window;		/* task holding its mmap_lock for write */
	struct fl_vmamap vmamap;	/* the kinds of its mappings by address */
	int refs;			/* tasks + uffd contexts pointing here */
	/* VM_DONTCOPY VMAs (dontcopy.c): locked by dup_mmap(), not copied */
	int dontcopy;			/* how many; -1: not known */
	bool dc_estimated;		/* a guess since something the trace cannot follow */
	bool dc_all_known;		/* every one of them is in dc_pages */
	uint64_t *dc_pages;		/* single pages made VM_DONTCOPY while traced */
	int nr_dc_pages, alloc_dc_pages;
};

struct fl_range {
	uint64_t start, end;
};

/* A write hold of an mm's mmap_lock; a fork window if it nests the new mm. */
enum win_state {
	WIN_NONE,
	WIN_HOLD,		/* oldmm write-locked */
	WIN_NESTED_LOCKING,	/* ... and the new mm being locked: dup_mmap() */
	WIN_NESTED,		/* ... new mm held: copying VMAs */
	WIN_NESTED_DONE,	/* ... new mm released */
};

/*
 * A UFFDIO_* ioctl in flight during a kprobe read of mm_users whose uffd
 * was not tied to an mm yet (passed by SCM_RIGHTS): a holder of the read
 * if the same fd is tied to oldmm before the fork is handed over, with no
 * close of it in between (window-kp.c).
 */
struct kp_cand {
	int pid, tgid, fd;
	bool closed;
	char comm[16];
};

struct fork_rec {
	struct fl_fork f;
	uint64_t *waits;	/* per-VMA lock waits (kprobe tier) */
	uint32_t alloc_waits;
	struct fl_block *blocks;	/* the owner off-CPU not runnable (offcpu.c) */
	uint32_t alloc_blocks;
	uint32_t vma_pending;	/* blocks from here on wait for their VMA's mas_store */
	int refs;		/* the owner until paired + accessors still waiting */
	bool is_fork;		/* the hold nested a new mm */
	bool settled;		/* child seen, or known not to come */
	bool aborted;		/* dup_mmap() ran, no child followed */
	bool closed;		/* window released */
	/* other processes' UFFDIO_* ioctls into oldmm in flight at the kprobe read */
	struct fl_holder inflight[FL_FORK_HOLDERS];
	int nr_inflight;
	struct kp_cand unres[FL_FORK_HOLDERS];	/* ... and those of no known mm yet */
	int nr_unres;
	uint64_t kp_read_ts;	/* that read's timestamp (0: no read) */
	uint64_t kp_read_end;	/* the reader's next event (0: not known) */
};

struct task {
	int pid, tgid;		/* tgid -1: unknown */
	bool exited;		/* sched_process_exit seen; kept a while for its last events */
	char comm[16];
	struct fl_mm *mm;	/* NULL: unknown, or a kernel thread */
	bool kthread;
	bool in_command;	/* in record -- COMMAND's process tree */
	bool lock_seen;		/* a lock start/acquire of this task was seen */
	/* the write hold */
	enum win_state win;
	uint64_t win_mm, win_newmm;
	uint64_t win_start, win_acquired;
	struct fork_rec *rec;
	uint64_t lock_start_mm, lock_start_ts;	/* last write start_locking */
	/* a window that began before the recording */
	uint64_t partial_newmm;
	uint32_t partial_vmas;
	struct fork_rec *pending;	/* window closed, child not seen yet */
	/* this task as an accessor of someone's window */
	bool fault_pending;
	uint64_t fault_ts;		/* when that fault began */
	struct fork_rec *acc_rec;
	int acc_idx;			/* detail slot, -1 if counted only */
	enum fl_access acc_kind;
	bool acc_waiting;
	uint64_t acc_mm, acc_start;
	/* kprobe tier */
	bool kp_dup;			/* dup_mmap() entered, window not open yet */
	uint64_t kp_oldmm;
	int kp_users, kp_count, kp_map_count;	/* -1: not read */
	struct fl_holder kp_inflight[FL_FORK_HOLDERS];	/* mmget() holders at the read */
	int kp_nr_inflight;
	struct kp_cand kp_unres[FL_FORK_HOLDERS];	/* ... whose uffd's mm is not known */
	int kp_nr_unres;
	bool kp_read_open;		/* its read's end is its next event */
	uint64_t kp_read_ts, kp_read_end;	/* the read's interval (end 0: open) */
	bool vsw_open, vsw_parent;	/* in __vma_start_write() */
	uint64_t vsw_ts;
	/* off-CPU inside its own write hold (offcpu.c) */
	bool off_cpu, off_blocked, off_woken;
	uint64_t off_ts, off_wake_ts;
	int off_block;			/* its entry in rec->blocks, -1 */
	/* woken while still on the CPU: the switch out that follows is that sleep */
	bool early_wake;
	struct fl_block early;		/* the waker, as offcpu_waking() saw it */
	/* syscalls in flight */
	bool in_mmap_shared;		/* mmap(MAP_SHARED) entered */
	bool in_mmap;			/* mmap() entered */
	uint64_t mmap_len, mmap_flags;
	bool in_userfaultfd;
	uint64_t uffd_flags;
	bool in_uffd_ioctl;
	int ioctl_fd;
	uint32_t ioctl_cmd;
	uint64_t ioctl_ts;
	uint64_t ioctl_end_ts;		/* the last uffd ioctl's exit (0: none yet) */
	bool ioctl_counted;		/* this ioctl is already an accessor */
	/* madvise(MADV_DONTFORK/DOFORK) in flight (dontcopy.c) */
	bool madv_pending;		/* entered, its write hold not closed yet */
	bool madv_applied;		/* ... applied at the hold's end (undone if it fails) */
	int madv_advice;
	uint64_t madv_addr, madv_len;
	uint32_t madv_writes;		/* maple-tree writes in its hold: VMAs split/merged */
	int madv_delta;			/* what it changed mm->dontcopy by */
	bool hold_accounted;		/* this write hold's VMA change is already followed */
};

struct tracecmd_input;
struct tep_record;

struct replay {
	struct fl_decoder dec;
	struct tracecmd_input *handle;	/* the top buffer; the bpf tier's is another */
	struct fl_trace_info *info;
	const struct fl_sink *sink;
	struct u64map tasks;		/* pid + 1 -> task */
	struct u64map windows;		/* oldmm -> task holding it for write */
	struct u64map mms;		/* mm pointer -> fl_mm */
	struct u64map snap_mms;		/* tgid + 1 -> fl_mm, while the snapshot is read */
	struct u64map fdtabs;		/* tgid + 1 -> fdtab */
	int recorder_pid;
	bool snapshot_done;
	/*
	 * Tasks that exited: sched_process_exit comes before exit_mm(), so a
	 * few events of the task follow it.  The newest FL_EXITED stay.
	 */
#define FL_EXITED 256
	struct task *exited[FL_EXITED];
	int exited_next;
	bool have_exit, have_uffd;	/* events the model relies on are in the trace */
	bool light;			/* recorded with --light: no ma_write events */
	bool have_madvise;		/* madvise DONTFORK/DOFORK recorded (dontcopy.c) */
	bool lost_seen;			/* events were lost so far */
	uint64_t page_size;
	/* ma_write.fn resolution cache */
	uint64_t fn_ptr[32];
	int8_t fn_is_store[32];	/* 1 mas_store, 0 other, -1 unresolved */
	int nr_fn;
	uint64_t last_fn;
	int last_fn_store;
	struct fl_release release;	/* pages of the trace we are done with */
	bool pages;			/* read by pages.c, not by libtracecmd */
	uint64_t *cpu_expected;		/* data events per CPU, as the checker counted them */
	uint64_t *cpu_read;		/* ... and as libtracecmd gave them */
	int nr_cpus;
	bool nomem;			/* memory ran out: the replay ends with an error */
	/*
	 * The latest kprobe reads of mm_users (window-kp.c): the kernel
	 * fetched each value between the read's timestamp and its reader's
	 * next event (end, 0 until that event is seen).
	 */
#define FL_KP_READS 16
	struct { int pid; uint64_t ts, end; } kp_reads[FL_KP_READS];
	int kp_reads_next;
};

/*
 * Every allocation of the replay goes through these: when memory runs out
 * the replay is marked (rp->nomem), the event loop stops at that record and
 * fl_replay_file() fails with one line.  A fork, a task, an accessor is
 * never dropped silently.
 */
static inline void *replay_calloc(struct replay *rp, size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		rp->nomem = true;
	return p;
}

static inline void *replay_realloc(struct replay *rp, void *old, size_t n, size_t size)
{
	void *p = n && size <= SIZE_MAX / n ? realloc(old, n * size) : NULL;

	if (!p)
		rp->nomem = true;
	return p;
}

static inline int replay_map_put(struct replay *rp, struct u64map *m, uint64_t key, void *val)
{
	if (u64map_put(m, key, val) < 0) {
		rp->nomem = true;
		return -1;
	}
	return 0;
}

/*
 * pages.c: the loop's records from forklock's own page readers, CPUs
 * merged by time as libtracecmd merges them.  One source per buffer (the
 * top one, the bpf tier's), each CPU's data where the checker found it.
 * Records whose id @skip says (tracedat/pageread.h) are counted in
 * skipped[cpu] / skipped_unknown, not given.  @threads: how many reader
 * threads (0: read in line).  Returns the callback's negative value, -1
 * (a record after lost events has no format: libtracecmd's end), -2 (out
 * of memory), or 0 with err set (errno, err_cpu) if a CPU was not read
 * to its end.
 */
struct fl_tdcheck;
struct replay_pages_src {
	struct tracecmd_input *handle;	/* given to the callback */
	int nr_cpus;
	const uint64_t *offset, *size;	/* each CPU's data */
	const uint8_t *skip;		/* NULL: every record */
	uint32_t nr_skip;
	uint64_t *skipped;		/* nr_cpus of them, added to */
	uint64_t skipped_unknown;
	int err, err_cpu;
};
int replay_pages_iterate(int fd, const struct fl_tdcheck *check, struct replay_pages_src *src,
			 int nr_src, int threads,
			 int (*callback)(struct tracecmd_input *, struct tep_record *, int, void *),
			 void *data);

/*
 * The calls go one way: replay.c -> snapshot.c, window.c -> offcpu.c ->
 * model.c -> uffd.c -> mm.c -> vmamap.c.  A module below never calls one
 * above it: the event loop (replay.c) calls the window code where a task's
 * end closes its holds, and offcpu.c where the scheduler events come.
 */

/* mm.c: address spaces */
struct fl_mm *mm_new(struct replay *rp);
void mm_put(struct replay *rp, struct fl_mm *mm);
void mm_learn_ptr(struct replay *rp, struct fl_mm *mm, uint64_t ptr);
void mm_retire_ptr(struct replay *rp, uint64_t ptr);		/* exit_mmap */
void mm_vmas_changed(struct fl_mm *mm);
void mm_mmap_shared(struct replay *rp, struct fl_mm *mm, uint64_t addr, uint64_t len);
void mm_munmap(struct replay *rp, struct fl_mm *mm, uint64_t addr, uint64_t len);

/* dontcopy.c: VM_DONTCOPY VMAs of an mm */
void dc_set(struct fl_mm *mm, int dontcopy);	/* snapshot, fork child, exec */
void dc_free(struct fl_mm *mm);
void dc_madvise_enter(struct replay *rp, struct task *t, uint64_t addr, uint64_t len, int advice);
void dc_hold_write(struct task *t);
bool dc_hold_end(struct replay *rp, struct task *t, struct fl_mm *mm);
void dc_madvise_failed(struct replay *rp, struct task *t);
void dc_munmap(struct fl_mm *mm, uint64_t addr, uint64_t len);
void dc_vmas_changed(struct fl_mm *mm);
void dc_of_fork(const struct replay *rp, const struct fl_mm *mm, struct fl_fork *f);
/* vmamap.c: the kinds of an mm's mappings by address */
enum fl_vma_kind vmamap_kind_of_mmap(uint64_t flags);
void vmamap_mmap(struct replay *rp, struct fl_mm *mm, uint64_t addr, uint64_t len,
		 enum fl_vma_kind kind);
void vmamap_munmap(struct replay *rp, struct fl_mm *mm, uint64_t addr, uint64_t len);
enum fl_vma_kind vmamap_kind(const struct fl_mm *mm, uint64_t start);
void vmamap_copy(struct replay *rp, struct fl_mm *dst, const struct fl_mm *src);
void vmamap_clear(struct fl_mm *mm);

/* model.c: tasks and the mms they share */
struct task *model_task(struct replay *rp, int pid);		/* created when absent */
struct task *model_task_find(struct replay *rp, int pid);
/* the scheduler's comm of @pid (prctl(PR_SET_NAME) has no event of its own) */
void model_comm(struct replay *rp, int pid, const char *comm);
void model_mm_join(struct replay *rp, struct task *t, struct fl_mm *mm);
/* the snapshot's processes and tasks (snapshot.c reads the lines) */
struct fl_mm *model_snap_proc(struct replay *rp, int tgid, bool kthread, uint32_t vmas,
			      const struct fl_vma_kinds *kinds);
void model_snap_task(struct replay *rp, int pid, int tgid, const char *comm);
void model_snap_end(struct replay *rp);
void model_newtask(struct replay *rp, struct task *parent, int child, uint64_t flags,
		   const char *comm, uint64_t newmm);
/* the task @pid's exec by thread @old_pid replaces (the old leader), or NULL */
struct task *model_exec_replaces(struct replay *rp, int pid, int old_pid);
void model_exec(struct replay *rp, int pid, int old_pid, const char *filename);
/*
 * @t exited; it is kept for its last events.  Returns the oldest exited
 * task the model lets go of to keep it, for model_task_free() once its
 * holds are closed, or NULL.
 */
struct task *model_exit(struct replay *rp, struct task *t);
void model_task_free(struct replay *rp, struct task *t);
void model_free(struct replay *rp);
int model_threads(struct replay *rp, struct task *t);
enum fl_uffd model_uffd(struct replay *rp, struct task *t);

/*
 * open.c: @path checked and opened.  @check (may be NULL) gets what the
 * checker found (tracedat/check.h: each CPU's count of data events, for
 * the replay to read that many, and where its data is): the caller frees
 * it with fl_tdcheck_free().  @fd (may be NULL) gets the descriptor the
 * checker read, the file libtracecmd opened: the caller closes it.
 */
int replay_open(const char *path, struct tracecmd_input **handle, struct fl_trace_info *info,
		struct fl_tdcheck *check, int *fd);

/*
 * How the events are read (open.c): FORKLOCK_REPLAY=libtracecmd
 * (tracecmd_iterate_events), pages (forklock's page readers, pages.c, no
 * threads), threads (a reader thread per CPU, up to the host's CPUs), auto
 * or unset (pages; threads when the host has more than one CPU and the
 * trace at least 1 MiB of data on two CPUs).  Hidden: for the tests that
 * compare the ways, and the bench.  -1: a value it does not know.
 */
enum replay_source { SRC_LIBTRACECMD, SRC_PAGES, SRC_THREADS, SRC_AUTO };
int replay_source(void);

/* snapshot.c: an ftrace:print line of task @pid */
void snapshot_print(struct replay *rp, int pid, const char *line);

/* uffd.c */
struct uffd_ctx;
void uffd_created(struct replay *rp, struct task *t, int fd, bool cloexec);
void uffd_snapshot_fd(struct replay *rp, int tgid, struct fl_mm *owner, int fd);
struct fl_mm *uffd_owner(struct replay *rp, int tgid, int fd);
void uffd_learn_owner(struct replay *rp, int tgid, int fd, struct fl_mm *owner);
void uffd_closed(struct replay *rp, int tgid, int fd);
void uffd_fork(struct replay *rp, int parent_tgid, int child_tgid);
void uffd_exec(struct replay *rp, int tgid);
void uffd_exit(struct replay *rp, int tgid);
void uffd_free(struct replay *rp);
bool uffd_is_access_cmd(uint32_t cmd);

/* offcpu.c: the owner of a write hold off-CPU, and who woke it */
void offcpu_switch_out(struct replay *rp, struct task *t, int64_t state, uint64_t ts);
void offcpu_waking(struct replay *rp, int waker_pid, int pid, uint64_t ts);
void offcpu_ran(struct replay *rp, struct task *t, uint64_t ts);
void offcpu_hold_end(struct replay *rp, struct task *t, uint64_t ts);
void offcpu_vma(struct replay *rp, struct task *t, uint64_t index, uint64_t last);

/* window.c */
void win_lock_start(struct replay *rp, struct task *t, uint64_t mm, bool write, uint64_t ts);
void win_lock_acquired(struct replay *rp, struct task *t, uint64_t mm, bool write,
		       bool success, uint64_t ts);
void win_lock_released(struct replay *rp, struct task *t, uint64_t mm, bool write, uint64_t ts);
void win_ma_write(struct replay *rp, struct task *t, bool is_store, uint64_t index,
		  uint64_t last);
void win_fault(struct replay *rp, struct task *t, uint64_t ts);
void win_uffd_ioctl(struct replay *rp, struct task *t, uint64_t ts);
/* the child (or its absence) for @parent's pending fork; NULL rec if none */
struct fork_rec *win_take_pending(struct replay *rp, struct task *parent);
void win_settle(struct replay *rp, struct fork_rec *rec, int child, uint64_t flags);
void win_abort_pending(struct replay *rp, struct task *t);
void win_task_gone(struct replay *rp, struct task *t);
void win_acc_forget(struct replay *rp, struct task *x);
void win_lost_events(struct replay *rp);
void win_kp_dup_mmap(struct replay *rp, struct task *t, uint64_t oldmm, int users, int count,
		     int map_count, uint64_t ts);
void win_kp_read_end(struct replay *rp, struct task *t, uint64_t ts);
void win_kp_ioctl_enter(struct replay *rp, struct task *x, uint64_t ts);
void win_kp_close(struct replay *rp, int tgid, int fd);
void win_kp_resolve(struct replay *rp, struct fork_rec *rec);
void win_kp_dup_mmap_end(struct replay *rp, struct task *t);
void win_kp_dup_mmap_ret(struct replay *rp, struct task *t, int ret);
void win_kp_vma_start_write(struct replay *rp, struct task *t, uint64_t vm_mm, uint64_t ts);
void win_kp_vma_start_write_ret(struct replay *rp, struct task *t, uint64_t ts);
void win_kp_rcu_ret(struct replay *rp, struct task *t, uint64_t ret);
void win_end_of_trace(struct replay *rp);

/* bpf.c: a record of the bpf tier's buffer, joined to its fork window */
int bpf_record(struct replay *rp, struct tep_record *rec);
/* A fork about to be handed on: flagged if it has no record and records were lost. */
void bpf_fork_done(struct replay *rp, struct fl_fork *f);

#endif
