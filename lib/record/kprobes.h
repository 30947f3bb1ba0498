/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kprobe tier: dynamic events inside dup_mmap() and around the per-VMA
 * lock, created in a group of our own ("forklock_<pid>") and destroyed on
 * every exit path.
 *
 *   dup_mmap            entry: oldmm, oldmm->mm_users, mm_count, map_count
 *   dup_mmap_ret        return value (0, or why the fork failed)
 *   uprobe_dup_mmap     where dup_mmap() is inlined (Debian 6.12): the same
 *                       values, read inside dup_mmap() with oldmm write-locked
 *   dup_mmap_end        uprobe_end_dup_mmap() entry: dup_mmap() is done
 *   vma_start_write     __vma_start_write() entry (6.15+): vma, vma->vm_mm
 *   vma_start_write_ret ... and return: the time the lock took
 *   lock_vma_rcu_ret    lock_vma_under_rcu() return (NULL: the reader fell back)
 *   dup_probe           the seed experiment's dup_probe(only_user, locked),
 *                       on kernels carrying that patch
 *
 * Arguments are named by BTF where the kernel can (6.7+: "oldmm->mm_users"),
 * otherwise read at offsets this host's /sys/kernel/btf/vmlinux gives.
 * kplan.c chooses (fl_probe_plan()), kprobes.c creates and destroys.
 */
#ifndef FORKLOCK_KPROBES_H
#define FORKLOCK_KPROBES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct tracefs_instance;
struct fl_btf;

#define FL_KPROBE_GROUP_PREFIX "forklock_"

enum fl_probe_type {
	FL_PROBE_ENTRY,
	FL_PROBE_RETURN,
};

enum fl_probe_style {
	FL_PROBE_BTF,		/* fetch args by BTF names */
	FL_PROBE_OFFSETS,	/* fetch args at BTF offsets from $argN */
};

struct fl_probe_def {
	enum fl_probe_type type;
	const char *event;	/* in the group */
	const char *symbol;
	char fetch[256];
	bool required;		/* the tier needs it */
	const char *role;	/* what it is for, as `check` says it */
};

#define FL_MAX_PROBES 8

/* The functions the kprobe tier probes, in fl_probe_symbols[] */
enum fl_probe_symbol {
	FL_SYM_DUP_MMAP,
	FL_SYM_UPROBE_DUP_MMAP,
	FL_SYM_UPROBE_END_DUP_MMAP,
	FL_SYM_VMA_START_WRITE,
	FL_SYM_LOCK_VMA_RCU,
	FL_SYM_DUP_PROBE,
	FL_NR_PROBE_SYMBOLS
};
extern const char *const fl_probe_symbols[FL_NR_PROBE_SYMBOLS];

/* Where in dup_mmap() oldmm's counters are read. */
enum fl_probe_anchor {
	FL_ANCHOR_NONE,
	FL_ANCHOR_DUP_MMAP,		/* dup_mmap() entry and return */
	FL_ANCHOR_UPROBE_DUP_MMAP,	/* uprobe_dup_mmap(oldmm, newmm) entry */
};
const char *fl_probe_anchor_name(enum fl_probe_anchor anchor);

/* What the kernel's tracefs README says kprobe_events accepts */
#define FL_README_READ		0x001
#define FL_README_KPROBES	0x002	/* kprobe_events, symbol places */
#define FL_README_RETPROBE	0x004	/* %return */
#define FL_README_ARGN		0x008	/* $arg<N> */
#define FL_README_DEREF		0x010	/* +<offset>(<fetcharg>) */
#define FL_README_BTF		0x020	/* <argname>[->field...] */
#define FL_README_S32		0x040
#define FL_README_X64		0x080
#define FL_README_RETVAL	0x100

/*
 * Where the plan reads the kernel.  Each can be replaced by a file for
 * tests: FORKLOCK_KALLSYMS, FORKLOCK_KPROBE_README,
 * FORKLOCK_KPROBE_BLACKLIST, FORKLOCK_BTF.
 */
struct fl_kernel_files {
	const char *kallsyms;	/* /proc/kallsyms */
	const char *readme;	/* <tracefs>/README */
	const char *blacklist;	/* /sys/kernel/debug/kprobes/blacklist */
	const char *btf;	/* /sys/kernel/btf/vmlinux */
	char readme_path[PATH_MAX];
};
void fl_kernel_files(struct fl_kernel_files *kf, const char *tracefs);

struct fl_probe_set {
	char group[80];				/* FL_INSTANCE_NAME_MAX */
	enum fl_probe_style style;
	enum fl_probe_anchor anchor;
	/* what the plan read */
	int sym_count[FL_NR_PROBE_SYMBOLS];	/* functions of that name in kallsyms */
	bool blacklisted[FL_NR_PROBE_SYMBOLS];
	bool kallsyms_read, blacklist_read;
	unsigned int readme;			/* FL_README_* */
	char btf_path[PATH_MAX];
	long off_users, off_count, off_map_count, off_vm_mm;	/* BTF, -1 unknown */
	int oldmm_arg;				/* $argN of the read point */
	char tried[512];			/* anchors rejected, and why */
	int nr;
	struct fl_probe_def def[FL_MAX_PROBES];
	void *handle[FL_MAX_PROBES];	/* created dynamic events */
	int nr_created;
	/* format files, read before the events are destroyed */
	char *format[FL_MAX_PROBES];
	int format_len[FL_MAX_PROBES];
};

/* How dynamic events are made: libtracefs, or a test's fake. */
struct fl_dynevent_ops {
	void *(*create)(const char *group, const struct fl_probe_def *def, void *ctx);
	int (*destroy)(void *handle, void *ctx);
	void *ctx;
};

extern const struct fl_dynevent_ops fl_tracefs_dynevent_ops;

/*
 * Which probes this kernel can have (kplan.c): the first anchor that is
 * probeable, arguments by BTF name where the README accepts them (unless
 * @offsets_only), else at BTF offsets.  Returns 0, or -1 with @why (every
 * anchor tried and why it was not taken) when there is no plan; @set says
 * what was read either way.
 */
int fl_probe_plan(struct fl_probe_set *set, const char *group, const struct fl_kernel_files *kf,
		  bool offsets_only, char *why, size_t len);

/*
 * Create every probe in order and enable it in @instance (if not NULL).
 * Optional probes that fail are dropped; a required one that fails
 * destroys everything created so far.  Returns 0 or -1 (errno, @why).
 */
int fl_probes_create(struct fl_probe_set *set, const struct fl_dynevent_ops *ops,
		     struct tracefs_instance *instance, char *why, size_t len);
/* Copy each created probe's format file (before fl_probes_destroy()). */
void fl_probes_read_formats(struct fl_probe_set *set);
/* Destroy what fl_probes_create() made.  Returns the number that failed. */
int fl_probes_destroy(struct fl_probe_set *set, const struct fl_dynevent_ops *ops);
void fl_probes_free(struct fl_probe_set *set);

/* Remove dynamic events of forklock_<pid> groups whose recorder is gone. */
int fl_probes_remove_stale(void);

/*
 * FORKLOCK_FAULT_INJECT=kprobe-create:N (tests only): pretend the kernel
 * has kprobes, "create" N probes without touching tracefs, fail the next
 * one.  The tests use it to check that a kprobe setup failing half-way
 * leaves no probe and no instance, on hosts that have no kprobes.
 */
struct fl_probe_injection {
	struct fl_dynevent_ops ops;
	int fail_after;
	int created, destroyed;
};
bool fl_probe_injection(struct fl_probe_injection *inj);

#endif
