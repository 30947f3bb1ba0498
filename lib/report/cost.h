/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The cost of one vma_start_write(), for the savings a policy would make
 * (cost.c says how it is calibrated on a report's forks).
 */
#ifndef FORKLOCK_REPORT_COST_H
#define FORKLOCK_REPORT_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fl_summary;

/* Where the per-lock cost comes from. */
struct fl_lock_cost {
	uint64_t ns;
	const char *source;		/* "given: --lock-cost-ns", "assumed: ...", "measured: ..." */
};

#define FL_DEFAULT_LOCK_COST_NS 30
#define FL_DEFAULT_LOCK_COST_SOURCE \
	"assumed: 30 ns, too few forks to calibrate (down_write+up_write of an uncontended lock)"

/*
 * Calibrate @cost on the forks of @s; @source receives the wording.
 * Returns -1 (and leaves @cost) with too few forks.
 */
int fl_lock_cost_calibrate(const struct fl_summary *s, struct fl_lock_cost *cost,
			   char *source, size_t len);
/* The default or a calibration, not a --lock-cost-ns: a merge may redo it. */
bool fl_lock_cost_is_automatic(const char *source);
/* How the cost was obtained: "assumed" (a model), "given" (--lock-cost-ns) or "measured". */
const char *fl_lock_cost_basis(const char *source);

#endif
