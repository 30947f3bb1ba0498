// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * storm: F plain fork()s of a process with N extra VMAs, D more made
 * VM_DONTCOPY with madvise(MADV_DONTFORK) (locked by each fork, not
 * copied), and T threads.
 *
 * Setup order: children array, sibling resources, siblings (started and
 * in their loops), the VMA region, then the first VMA count.  Between
 * that count and the second one only fork(), waitpid(),
 * clock_gettime() and getrusage() run in this thread, and the siblings create no VMAs,
 * so both counts must agree; they are checked.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "workload.h"

#define WL_MAX_FORKS	10000000ul
#define WL_MAX_VMAS	10000000ul
#define WL_MAX_THREADS	1024ul
#define WL_MAX_HOLD_MS	(24ul * 3600 * 1000)

static const struct option wl_storm_opts[] = {
	{ "forks",	required_argument, NULL, 'f' },
	{ "vmas",	required_argument, NULL, 'n' },
	{ "threads",	required_argument, NULL, 't' },
	{ "siblings",	required_argument, NULL, 's' },
	{ "touch",	no_argument,	   NULL, 'T' },
	{ "hold-ms",	required_argument, NULL, 'H' },
	{ "dontfork",	required_argument, NULL, 'D' },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

int wl_storm_run(int argc, char **argv)
{
	enum wl_sibling_kind kind = WL_SIB_IDLE, *kinds;
	unsigned long forks = 0, nvmas = 0, threads = 1, hold_ms = 0, ndontfork = 0;
	struct wl_common com = { 0 };
	struct wl_siblings sibs;
	struct wl_region region, dontfork;
	uint64_t start_ns, end_ns, cpu_ns, fault_loops;
	const char *siblings;
	bool have_forks = false, touch = false;
	long vmas, vmas_after, dontcopy, dontcopy_after;
	struct wl_json j;
	pid_t *children;
	int c;

	while ((c = getopt_long(argc, argv, ":h", wl_storm_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			forks = wl_parse_ulong("--forks", optarg, 1, WL_MAX_FORKS);
			have_forks = true;
			break;
		case 'n':
			nvmas = wl_parse_ulong("--vmas", optarg, 0, WL_MAX_VMAS);
			break;
		case 't':
			threads = wl_parse_ulong("--threads", optarg, 1, WL_MAX_THREADS);
			break;
		case 's':
			if (!strcmp(optarg, "idle"))
				kind = WL_SIB_IDLE;
			else if (!strcmp(optarg, "fault"))
				kind = WL_SIB_FAULT;
			else
				wl_usage_err("--siblings: '%s' is not idle or fault", optarg);
			break;
		case 'T':
			touch = true;
			break;
		case 'H':
			hold_ms = wl_parse_ulong("--hold-ms", optarg, 0, WL_MAX_HOLD_MS);
			break;
		case 'D':
			ndontfork = wl_parse_ulong("--dontfork", optarg, 0, WL_MAX_VMAS);
			break;
		default:
			wl_common_opt(&com, c, argv, wl_storm_opts);
		}
	}
	if (!have_forks)
		wl_usage_err("storm: --forks is required (try --help)");
	wl_common_finish(&com, argc, argv);

	children = calloc(forks, sizeof(*children));
	kinds = calloc(threads, sizeof(*kinds));
	if (!children || !kinds)
		wl_die("calloc");
	for (unsigned long i = 0; i < threads - 1; i++)
		kinds[i] = kind;
	siblings = threads == 1 ? "none" : kind == WL_SIB_IDLE ? "idle" : "fault";

	wl_siblings_prepare(&sibs, threads - 1, kinds);
	wl_siblings_start(&sibs);
	wl_region_create(&region, nvmas, touch);
	wl_dontfork_create(&dontfork, ndontfork);

	/* ---- nothing below may create or remove a VMA ---- */
	dontcopy = wl_count_dontcopy();
	vmas = wl_count_vmas();
	cpu_ns = wl_cpu_ns();
	start_ns = wl_now_ns();
	for (unsigned long i = 0; i < forks; i++)
		children[i] = wl_fork_wait();
	end_ns = wl_now_ns();
	cpu_ns = wl_cpu_ns() - cpu_ns;
	vmas_after = wl_count_vmas();
	dontcopy_after = wl_count_dontcopy();
	/* ---- */

	if (vmas != vmas_after)
		wl_fail("VMA count changed during the forks: %ld before, %ld after",
			vmas, vmas_after);
	if (dontcopy != (long)ndontfork || dontcopy_after != dontcopy)
		wl_fail("VM_DONTCOPY VMAs: %ld before the forks, %ld after, %lu made",
			dontcopy, dontcopy_after, ndontfork);

	wl_hold(hold_ms);
	wl_siblings_stop(&sibs, &fault_loops, NULL);

	wl_json_begin(&j);
	wl_json_str(&j, "mode", "storm");
	wl_json_self(&j);
	wl_json_u64(&j, "forks", forks);
	wl_json_u64(&j, "threads", threads);
	wl_json_str(&j, "siblings", siblings);
	wl_json_i64(&j, "vmas", vmas);
	wl_json_i64(&j, "vmas_after", vmas_after);
	wl_json_u64(&j, "extra_vmas", region.vmas);
	wl_json_u64(&j, "region_start", (uintptr_t)region.start);
	wl_json_u64(&j, "region_end", (uintptr_t)region.start + region.len);
	/* dup_mmap() locks every VMA, copies all but the VM_DONTCOPY ones */
	wl_json_u64(&j, "dontfork", ndontfork);
	wl_json_i64(&j, "vmas_dontcopy", dontcopy);
	wl_json_i64(&j, "vmas_locked", vmas);
	wl_json_i64(&j, "vmas_copied", vmas - dontcopy);
	wl_json_u64(&j, "dontfork_start", (uintptr_t)dontfork.start);
	wl_json_u64(&j, "dontfork_end", (uintptr_t)dontfork.start + dontfork.len);
	wl_json_bool(&j, "touch", touch);
	wl_json_pids(&j, "children", children, forks);
	wl_json_pids(&j, "sibling_tids", sibs.tids, sibs.n);
	wl_json_u64(&j, "fault_loops", fault_loops);
	wl_json_u64(&j, "start_ns", start_ns);
	wl_json_u64(&j, "end_ns", end_ns);
	wl_json_u64(&j, "loop_cpu_ns", cpu_ns);
	wl_json_u64(&j, "hold_ms", hold_ms);
	wl_json_end(&j, &com);

	free(children);
	free(kinds);
	return FL_EXIT_OK;
}
