/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kprobe tier: dynamic events inside dup_mmap() and around the per-VMA
 * lock, created in a group of our own ("forklock_<pid>") and destroyed on
 * every exit path.
 *
 *   dup_mmap            entry: oldmm, oldmm->mm_users, oldmm->mm_count
 *   dup_mmap_ret        return value (0, or why the fork failed)
 *   vma_start_write     __vma_start_write() entry (6.15+): vma, vma->vm_mm
 *   vma_start_write_ret ... and return: the time the lock took
 *   lock_vma_rcu_ret    lock_vma_under_rcu() return (NULL: the reader fell back)
 *   dup_probe           the seed experiment's dup_probe(only_user, locked),
 *                       on kernels carrying that patch
 *
 * Arguments are named by BTF where the kernel can (6.7+: "oldmm->mm_users"),
 * otherwise read at offsets this host's /sys/kernel/btf/vmlinux gives.
 */
#ifndef FORKLOCK_KPROBES_H
#define FORKLOCK_KPROBES_H

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
};

#define FL_MAX_PROBES 8

struct fl_probe_set {
	char group[64];
	enum fl_probe_style style;
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
 * Which probes this host can have: symbols from /proc/kallsyms, offsets
 * from @btf (may be NULL).  Returns 0, or -1 with @why when dup_mmap()
 * cannot be probed.
 */
int fl_probe_plan(struct fl_probe_set *set, const char *group, enum fl_probe_style style,
		  const struct fl_btf *btf, char *why, size_t len);

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

/* The functions the kprobe tier probes, in fl_probe_symbols[] */
enum fl_probe_symbol {
	FL_SYM_DUP_MMAP,
	FL_SYM_VMA_START_WRITE,
	FL_SYM_LOCK_VMA_RCU,
	FL_SYM_DUP_PROBE,
	FL_NR_PROBE_SYMBOLS
};
extern const char *const fl_probe_symbols[FL_NR_PROBE_SYMBOLS];

/* Which of @symbols are functions of the running kernel (/proc/kallsyms)? */
void fl_kernel_symbols(const char *const *symbols, bool *found, int nr);

#endif
