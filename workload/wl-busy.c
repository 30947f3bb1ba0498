// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * busy: as many events per second as this process can make, for S
 * seconds, to overflow small trace buffers: fork()s of a process with N
 * extra VMAs (one ma_write per VMA per fork), one sibling faulting all
 * the time (mmap_lock fallbacks during every fork) and one sibling doing
 * mmap + munmap churn (mmap_lock write holds, maple tree writes).
 *
 * --forks-per-sec R paces the forks: fork k starts at start + k/R, so
 * exactly S * R forks are done (late ones are not skipped).  R = 0: fork
 * back to back until S seconds have passed.
 */
#include <stdlib.h>

#include "workload.h"

#define WL_MAX_SECONDS		86400ul
#define WL_MAX_RATE		1000000ul
#define WL_MAX_VMAS		10000000ul

static const struct option wl_busy_opts[] = {
	{ "seconds",	   required_argument, NULL, 'S' },
	{ "forks-per-sec", required_argument, NULL, 'r' },
	{ "vmas",	   required_argument, NULL, 'n' },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

int wl_busy_run(int argc, char **argv)
{
	static const enum wl_sibling_kind kinds[] = { WL_SIB_FAULT, WL_SIB_CHURN };
	unsigned long seconds = 0, rate = 0, nvmas = 2000;
	uint64_t start_ns, end_ns, deadline, fault_loops, churn_ops, forks = 0;
	struct wl_common com = { 0 };
	struct wl_siblings sibs;
	struct wl_region region;
	pid_t first = 0, last = 0;
	struct wl_json j;
	long vmas;
	int c;

	while ((c = getopt_long(argc, argv, ":h", wl_busy_opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			seconds = wl_parse_ulong("--seconds", optarg, 1, WL_MAX_SECONDS);
			break;
		case 'r':
			rate = wl_parse_ulong("--forks-per-sec", optarg, 0, WL_MAX_RATE);
			break;
		case 'n':
			nvmas = wl_parse_ulong("--vmas", optarg, 0, WL_MAX_VMAS);
			break;
		default:
			wl_common_opt(&com, c, argv, wl_busy_opts);
		}
	}
	if (!seconds)
		wl_usage_err("busy: --seconds is required (try --help)");
	wl_common_finish(&com, argc, argv);

	wl_siblings_prepare(&sibs, 2, kinds);
	wl_region_create(&region, nvmas, true);
	wl_siblings_start(&sibs);
	/* approximate: the churn sibling may have one page mapped */
	vmas = wl_count_vmas();

	start_ns = wl_now_ns();
	deadline = start_ns + seconds * 1000000000ull;
	for (;;) {
		if (rate) {
			uint64_t at = start_ns + forks * 1000000000ull / rate;

			if (at >= deadline)
				break;
			if (at > wl_now_ns())
				wl_sleep_until_ns(at);
		} else if (wl_now_ns() >= deadline) {
			break;
		}
		last = wl_fork_wait();
		if (!first)
			first = last;
		forks++;
	}
	end_ns = wl_now_ns();

	wl_siblings_stop(&sibs, &fault_loops, &churn_ops);

	wl_json_begin(&j);
	wl_json_str(&j, "mode", "busy");
	wl_json_self(&j);
	wl_json_u64(&j, "seconds", seconds);
	wl_json_u64(&j, "forks_per_sec", rate);
	wl_json_u64(&j, "forks", forks);
	wl_json_u64(&j, "threads", 3);
	wl_json_str(&j, "siblings", "fault+churn");
	wl_json_pids(&j, "sibling_tids", sibs.tids, sibs.n);
	wl_json_i64(&j, "vmas", vmas);
	wl_json_u64(&j, "extra_vmas", region.vmas);
	wl_json_i64(&j, "first_child", first);
	wl_json_i64(&j, "last_child", last);
	wl_json_u64(&j, "fault_loops", fault_loops);
	wl_json_u64(&j, "churn_ops", churn_ops);
	wl_json_u64(&j, "start_ns", start_ns);
	wl_json_u64(&j, "end_ns", end_ns);
	wl_json_end(&j, &com);
	return FL_EXIT_OK;
}
