/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * forklock skip-policy plugins.
 *
 * A policy is a rule fork() could follow to skip vma_start_write() on parent
 * VMAs in dup_mmap().  forklock report shows it every recorded fork, one at
 * a time, and counts what it would have skipped and whether anything touched
 * the parent's mm in a way the rule would have let race.
 *
 * A plugin is a shared object exporting
 *
 *	const struct forklock_policy *forklock_policy_register(void);
 *
 * returning a policy whose .abi is FORKLOCK_POLICY_ABI.  Build one with
 *
 *	cc -shared -fPIC $(pkg-config --cflags forklock) -o my-rule.so my-rule.c
 *
 * and load it with `forklock report --policy-plugin ./my-rule.so`.
 * Everything here is plain C with fixed-size types; the struct passed to
 * decide() only grows at its end, and its size is in .size.
 */
#ifndef FORKLOCK_POLICY_H
#define FORKLOCK_POLICY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FORKLOCK_POLICY_ABI		1
#define FORKLOCK_POLICY_SYMBOL		"forklock_policy_register"

enum forklock_uffd {
	FORKLOCK_UFFD_NONE	= 0,	/* no userfaultfd context on oldmm, as far as the trace shows */
	FORKLOCK_UFFD_PRESENT	= 1,
	FORKLOCK_UFFD_UNKNOWN	= 2,	/* the trace cannot tell */
};

enum forklock_kinds_quality {
	FORKLOCK_KINDS_UNKNOWN	= 0,	/* no VMA kinds for this mm */
	FORKLOCK_KINDS_ESTIMATED = 1,	/* read earlier; the mm may have changed since */
	FORKLOCK_KINDS_EXACT	= 2,	/* nothing changed oldmm's VMAs since they were read */
};

enum forklock_tier {
	FORKLOCK_TIER_TRACEPOINT = 0,	/* inferred from tracepoints */
	FORKLOCK_TIER_KPROBE	= 1,	/* mm_users/mm_count read inside dup_mmap() */
	FORKLOCK_TIER_BPF	= 2,	/* read by BPF programs on tracepoints */
};

/* Where one value came from (the src_* members). */
enum forklock_source {
	FORKLOCK_SRC_NONE	= 0,	/* not known: the value is -1 */
	FORKLOCK_SRC_TRACEPOINT	= 1,	/* inferred by forklock's model of the tracepoints */
	FORKLOCK_SRC_KPROBE	= 2,	/* read by the kernel-side probe */
	FORKLOCK_SRC_BPF	= 3,	/* read by a BPF program */
};

/*
 * Members after .accessors_reaching_vma came later: a plugin that reads one
 * checks first that .size covers it, e.g.
 *
 *	if (fork->size >= FORKLOCK_FORK_HAS(mm_users_holders)) ...
 */
#define FORKLOCK_FORK_HAS(member)					\
	(offsetof(struct forklock_fork, member) +			\
	 sizeof(((struct forklock_fork *)0)->member))

/* One fork, as forklock reconstructed it.  -1 in a signed count: unknown. */
struct forklock_fork {
	uint32_t size;			/* sizeof(struct forklock_fork) of forklock */
	int32_t tier;			/* enum forklock_tier */
	uint64_t ts_ns;			/* oldmm write-locked (trace clock) */
	uint64_t window_ns;		/* oldmm write-locked for this long */
	int32_t parent_pid;
	int32_t parent_tgid;
	int32_t child_pid;
	char comm[16];			/* parent */
	uint64_t clone_flags;
	int32_t threads;		/* tasks sharing oldmm, as forklock's model sees them */
	int32_t mm_users;		/* oldmm->mm_users read by the kernel (src_mm_users); -1 not read */
	int32_t mm_count;		/* oldmm->mm_count read by the kernel (src_mm_count); -1 not read */
	int32_t uffd;			/* enum forklock_uffd */
	uint32_t vmas_locked;		/* parent VMAs dup_mmap() write-locks, VM_DONTCOPY ones
					 * included (see vmas_locked_estimated) */
	/* oldmm's VMAs by kind, -1 where unknown.  From /proc/PID/maps at the
	 * start of the recording, inherited through forks, and MAP_SHARED
	 * mmap()/munmap() calls seen since (after exec only those). */
	int32_t kinds_quality;		/* enum forklock_kinds_quality */
	int32_t vmas_shared;		/* MAP_SHARED mappings */
	int32_t vmas_anon;		/* private anonymous ([heap], [stack], anon) */
	int32_t vmas_cow;		/* private file mappings (copy-on-write) */
	int32_t vmas_special;		/* [vdso], [vvar], ... */
	/* who touched oldmm while the window was open */
	uint32_t accessors;		/* all of them */
	uint32_t accessors_reaching_vma;	/* could reach a VMA without oldmm's mmap_lock:
						 * sibling faults, UFFDIO_* ioctls */
	/* --- added later: check .size (FORKLOCK_FORK_HAS) before reading --- */
	int32_t map_count;		/* oldmm->map_count read by the kernel; -1 not read */
	uint32_t vmas_copied;		/* VMAs dup_mmap() copied (VM_DONTCOPY ones are not) */
	int32_t vmas_dontcopy;		/* VM_DONTCOPY VMAs of oldmm: locked, not copied; -1 unknown */
	int32_t vmas_locked_estimated;	/* 1: vmas_locked is an estimate (VM_DONTCOPY part) */
	int32_t src_threads;		/* enum forklock_source of threads, */
	int32_t src_mm_users;		/* ... of mm_users, */
	int32_t src_mm_count;		/* ... of mm_count, */
	int32_t src_map_count;		/* ... of map_count, */
	int32_t src_vmas_locked;	/* ... of vmas_locked (a kernel source: read, not counted) */
	uint32_t mm_users_holders;	/* holders of oldmm besides its threads that the trace
					 * names (mm_users > threads: a uffd ioctl, a /proc
					 * reader, a tracer) */
	/* the forking task off-CPU and not runnable inside the window
	 * (sched_switch, sched_waking); -1: the trace has no scheduler events */
	int64_t fork_blocked_ns;
	uint32_t fork_blocks;		/* times it blocked */
};

enum forklock_decision {
	FORKLOCK_LOCK		= 0,	/* lock every parent VMA, as today */
	FORKLOCK_SKIP		= 1,	/* skip .skipped_locks of them */
	FORKLOCK_UNDECIDED	= 2,	/* the trace lacks what the rule needs */
};

struct forklock_verdict {
	int32_t decision;		/* enum forklock_decision */
	uint32_t skipped_locks;		/* with FORKLOCK_SKIP: 1..vmas_locked */
	/* with FORKLOCK_SKIP: 1 if the rule keeps some of the fork's locks.
	 * The trace does not say which VMA an accessor reached, so such a
	 * fork with an accessor that could reach a VMA is of unknown safety. */
	int32_t partial_skip;
	/* with FORKLOCK_SKIP: 1 if the decision used estimated VMA kinds */
	int32_t estimated;
	const char *reason;		/* short, static; may be NULL */
};

/* A VMA's kind, from the mmap() that made it. */
enum forklock_vma_kind {
	FORKLOCK_VMA_UNKNOWN	= 0,	/* no recorded mmap() covers it */
	FORKLOCK_VMA_ANON	= 1,	/* private anonymous: vma_is_anonymous() */
	FORKLOCK_VMA_COW	= 2,	/* private file mapping: is_cow_mapping() (VM_MAYWRITE) */
	FORKLOCK_VMA_SHARED	= 3,	/* MAP_SHARED, file or anonymous: neither */
};

/* One parent VMA a fork blocked before (the VMA whose copy came next). */
struct forklock_vma {
	uint32_t size;			/* sizeof(struct forklock_vma) of forklock */
	int32_t kind;			/* enum forklock_vma_kind */
	uint64_t start, end;
	int32_t anon_vma;		/* has an anon_vma: 1, 0, -1 unknown (a MAP_SHARED VMA
					 * never has one; the tracepoint tier knows no more) */
};

/*
 * Optional, a second symbol of the plugin: would the rule lock this one
 * VMA of the fork?  Fill @v->decision (FORKLOCK_LOCK, FORKLOCK_SKIP or
 * FORKLOCK_UNDECIDED) and @v->reason; return 0, or -1 on a plugin error.
 * forklock asks it for the VMAs a fork blocked on, where the fork's own
 * decision does not settle them (a partial skip, or undecided), to count
 * the blocked time the rule would have avoided.
 */
#define FORKLOCK_POLICY_VMA_SYMBOL	"forklock_policy_vma"
int forklock_policy_vma(const struct forklock_fork *fork, const struct forklock_vma *vma,
			struct forklock_verdict *v);

struct forklock_policy {
	uint32_t abi;			/* FORKLOCK_POLICY_ABI */
	const char *name;		/* [a-z0-9-]+, unique */
	const char *summary;		/* one line for the report */
	/* Decide for one fork; fill @v.  Return 0, or -1 on a plugin error. */
	int (*decide)(const struct forklock_fork *fork, struct forklock_verdict *v);
};

const struct forklock_policy *forklock_policy_register(void);

#ifdef __cplusplus
}
#endif

#endif
