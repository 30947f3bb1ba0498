/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Skip policies: loading the plugins (load.c) and judging every fork with
 * each of them (judge.c).  The plugin ABI is lib/forklock-policy.h.
 */
#ifndef FORKLOCK_POLICY_INT_H
#define FORKLOCK_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "forklock-policy.h"
#include "replay/fork.h"

struct fl_policy {
	const struct forklock_policy *p;
	/* the plugin's forklock_policy_vma(), or NULL */
	int (*decide_vma)(const struct forklock_fork *fork, const struct forklock_vma *vma,
			  struct forklock_verdict *v);
	void *dl;
	char *path;		/* as --policy-plugin gave it; NULL: the plugin directory's */
};

struct fl_policy_set {
	int nr;
	struct fl_policy *v;
};

/* Load one plugin.  Returns 0, or an FL_EXIT_PLUGIN error after one line. */
int fl_policy_load_path(struct fl_policy_set *set, const char *path);
/*
 * Load every *.so of the plugin directory: $FORKLOCK_PLUGIN_DIR, else the
 * build tree's plugins/ next to the forklock binary, else the installed
 * directory.  Returns 0 or an FL_EXIT_PLUGIN error.
 */
int fl_policy_load_default(struct fl_policy_set *set);
/* Keep only the policies named in @names (comma separated). */
int fl_policy_select(struct fl_policy_set *set, const char *names);
void fl_policy_set_free(struct fl_policy_set *set);

enum fl_safety {
	FL_SAFETY_NA,		/* the policy kept every lock: nothing to judge */
	FL_SAFETY_SAFE,		/* skipped, and nothing could reach a VMA */
	FL_SAFETY_UNSAFE,	/* skipped, and something could reach a VMA unlocked */
	FL_SAFETY_UNKNOWN,	/* skipped some locks; an accessor reached an unknown VMA */
};

/* over the forks a policy decided (locked or skipped), never its undecided ones */
enum fl_verdict {
	FL_VERDICT_SAFE,
	FL_VERDICT_UNSAFE,
	FL_VERDICT_UNKNOWN,
	FL_VERDICT_NA,		/* it decided no fork: "n/a (undecided N)" */
};

const char *fl_safety_name(enum fl_safety s);
const char *fl_verdict_name(enum fl_verdict v);
const char *fl_decision_name(int decision);

/* One policy's decision for one fork. */
struct fl_decision {
	int decision;			/* enum forklock_decision */
	uint32_t skipped_locks;
	bool estimated;
	enum fl_safety safety;
	const char *reason;
	/* blocks on VMAs it skips (avoided.c); -1: not known (no scheduler
	 * events, or a VMA the rule cannot say it skips) */
	int64_t avoided_blocked_ns;
	int32_t exposed_accessors;	/* tasks that reached a VMA it skips; -1 not known */
	int32_t first_avoided;		/* the first block it avoided (f->blocks), -1 none */
};

#define FL_EVIDENCE 5

struct fl_evidence {
	uint64_t fork_ts;
	int parent_pid;
	char parent_comm[16];
	struct fl_accessor a;
};

/* One policy over every fork. */
struct fl_policy_result {
	uint64_t forks;			/* judged (complete forks) */
	uint64_t skipped_forks;		/* SKIP */
	uint64_t locked_forks;		/* LOCK */
	uint64_t undecided_forks;	/* UNDECIDED */
	uint64_t skipped_locks;
	uint64_t undecided_locks;	/* locks of undecided forks */
	uint64_t estimated_forks;	/* skipped on estimated VMA kinds */
	uint64_t unsafe_forks;		/* skipped, unsafe */
	uint64_t unknown_safety_forks;	/* skipped, of unknown safety */
	uint64_t skipped_window_ns;	/* window time of the skipped forks */
	/* forks something touched in the window: what this policy did with them */
	uint64_t touched_locked_forks;
	uint64_t touched_skipped_forks;
	uint64_t touched_undecided_forks;
	uint64_t avoided_blocked_ns;	/* blocked time on VMAs it skips (known forks) */
	uint64_t avoided_forks;		/* forks with avoided_blocked_ns > 0 */
	uint64_t avoided_unknown_forks;	/* forks with blocks whose VMA it may skip or not */
	uint64_t exposed_accessors;	/* summed over forks */
	int nr_evidence;
	struct fl_evidence evidence[FL_EVIDENCE];
};

/*
 * Judge @f with every policy: @out[i] for policy i, accumulated into
 * @res[i].  Partial and aborted forks are not judged.  Returns 0, or
 * FL_EXIT_PLUGIN after one error line if a plugin failed.
 */
int fl_policy_judge(const struct fl_policy_set *set, const struct fl_fork *f,
		    struct fl_decision *out, struct fl_policy_result *res);

/*
 * The blocked time @pol's decision @d would have avoided on @f and the
 * tasks it would have exposed (avoided.c).  Returns 0 or FL_EXIT_PLUGIN.
 */
int fl_policy_avoided(const struct fl_policy *pol, const struct fl_fork *f,
		      const struct forklock_fork *view, struct fl_decision *d);
/*
 * The evidence of an avoided block: its waker held the VMA the rule skips
 * while the fork waited for it.  Returns 1 (filled) or 0 (no such block).
 */
struct fl_evidence;
int fl_policy_block_evidence(const struct fl_fork *f, const struct fl_decision *d,
			     struct fl_evidence *e);

enum fl_verdict fl_policy_verdict(const struct fl_policy_result *r);
/* The verdict as outputs show it: "safe", ..., or "n/a (undecided N)". */
const char *fl_verdict_text(char *buf, size_t len, const struct fl_policy_result *r);

/*
 * The evidence a result keeps: the accessors of its first unsafe forks,
 * else of its first forks of unknown safety, FL_EVIDENCE at most.  Add
 * @n pieces from @unsafe forks (or of unknown safety) before counting
 * those forks in @r: judging does, and so does a merge of results.
 */
void fl_policy_evidence_keep(struct fl_policy_result *r, bool unsafe,
			     const struct fl_evidence *ev, int n);

#endif
