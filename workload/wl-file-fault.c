// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * file-fault: F fork()s while a sibling thread faults on file-backed
 * memory over and over: MADV_DONTNEED on a P-page MAP_PRIVATE PROT_READ
 * mapping of a memfd (opened read-write, so the mapping is VM_MAYWRITE: a
 * copy-on-write mapping of a file), then one read per page.  Each fault
 * holds the VMA's per-VMA read lock while it runs; a fork's
 * vma_start_write() on that VMA waits for a fault in progress, and faults
 * that find the VMA write-locked fall back to mmap_read_lock(oldmm).
 *
 * The sibling is started and in its loop before the VMA count; it
 * creates no VMA.  Ground truth: the mapping's range, the sibling's tid,
 * the loops and faults it made, and each fork's start and end on
 * CLOCK_MONOTONIC.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "workload.h"

#define WL_MAX_FORKS	100000ul
#define WL_MAX_PAGES	65536ul
#define WL_MAX_HOLD_MS	(24ul * 3600 * 1000)
#define WL_FAULTER_COMM	"fl-file-faulter"

struct wl_faulter {
	const volatile char	*map;
	size_t			len;
	int			stop;		/* __atomic */
	pid_t			tid;		/* __atomic */
	uint64_t		loops;		/* __atomic */
	uint64_t		sum;
};

static void *wl_faulter_run(void *p)
{
	struct wl_faulter *f = p;
	size_t page = wl_page_size();
	uint64_t sum = 0;

	if (prctl(PR_SET_NAME, WL_FAULTER_COMM, 0, 0, 0))
		wl_die("prctl(PR_SET_NAME)");
	__atomic_store_n(&f->tid, gettid(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
		if (madvise((void *)f->map, f->len, MADV_DONTNEED))
			wl_die("file-fault sibling: madvise(MADV_DONTNEED)");
		for (size_t off = 0; off < f->len; off += page)
			sum += f->map[off];
		__atomic_add_fetch(&f->loops, 1, __ATOMIC_RELEASE);
	}
	f->sum = sum;
	return NULL;
}

static const struct option wl_file_fault_opts[] = {
	{ "forks",	required_argument, NULL, 'f' },
	{ "pages",	required_argument, NULL, 'p' },
	{ "hold-ms",	required_argument, NULL, 'H' },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

int wl_file_fault_run(int argc, char **argv)
{
	unsigned long forks = 0, pages = 64, hold_ms = 0;
	struct wl_faulter f = { 0 };
	struct wl_common com = { 0 };
	uint64_t start_ns, end_ns, loops_start, loops_end, *fstart, *fend;
	bool have_forks = false;
	long vmas, vmas_after;
	struct wl_json j;
	pid_t *children;
	pthread_t th;
	char *map;
	int c, fd;

	while ((c = getopt_long(argc, argv, ":h", wl_file_fault_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			forks = wl_parse_ulong("--forks", optarg, 1, WL_MAX_FORKS);
			have_forks = true;
			break;
		case 'p':
			pages = wl_parse_ulong("--pages", optarg, 1, WL_MAX_PAGES);
			break;
		case 'H':
			hold_ms = wl_parse_ulong("--hold-ms", optarg, 0, WL_MAX_HOLD_MS);
			break;
		default:
			wl_common_opt(&com, c, argv, wl_file_fault_opts);
		}
	}
	if (!have_forks)
		wl_usage_err("file-fault: --forks is required (try --help)");
	wl_common_finish(&com, argc, argv);

	children = calloc(forks, sizeof(*children));
	fstart = calloc(forks, sizeof(*fstart));
	fend = calloc(forks, sizeof(*fend));
	if (!children || !fstart || !fend)
		wl_die("calloc");
	fd = memfd_create("forklock-file-fault", MFD_CLOEXEC);
	if (fd < 0)
		wl_die("memfd_create");
	if (ftruncate(fd, pages * wl_page_size()))
		wl_die("ftruncate memfd");
	map = mmap(NULL, pages * wl_page_size(), PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		wl_die("mmap memfd");
	f.map = map;
	f.len = pages * wl_page_size();
	errno = pthread_create(&th, NULL, wl_faulter_run, &f);
	if (errno)
		wl_die("pthread_create");
	while (!__atomic_load_n(&f.loops, __ATOMIC_ACQUIRE))
		wl_sleep_ms(1);

	/* ---- nothing below may create or remove a VMA ---- */
	vmas = wl_count_vmas();
	loops_start = __atomic_load_n(&f.loops, __ATOMIC_ACQUIRE);
	start_ns = wl_now_ns();
	for (unsigned long i = 0; i < forks; i++) {
		fstart[i] = wl_now_ns();
		children[i] = fork();
		if (children[i] < 0)
			wl_die("fork");
		if (!children[i])
			_exit(0);
		fend[i] = wl_now_ns();
		wl_reap(children[i], "fork");
	}
	end_ns = wl_now_ns();
	loops_end = __atomic_load_n(&f.loops, __ATOMIC_ACQUIRE);
	vmas_after = wl_count_vmas();
	/* ---- */
	if (vmas != vmas_after)
		wl_fail("VMA count changed during the forks: %ld before, %ld after",
			vmas, vmas_after);

	wl_hold(hold_ms);
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELEASE);
	errno = pthread_join(th, NULL);
	if (errno)
		wl_die("pthread_join");

	wl_json_begin(&j);
	wl_json_str(&j, "mode", "file-fault");
	wl_json_self(&j);
	wl_json_u64(&j, "forks", forks);
	wl_json_u64(&j, "threads", 2);
	wl_json_i64(&j, "vmas", vmas);
	wl_json_i64(&j, "vmas_after", vmas_after);
	wl_json_u64(&j, "file_start", (uintptr_t)map);
	wl_json_u64(&j, "file_end", (uintptr_t)map + f.len);
	wl_json_u64(&j, "pages", pages);
	wl_json_i64(&j, "sibling_tid", f.tid);
	wl_json_str(&j, "sibling_comm", WL_FAULTER_COMM);
	wl_json_u64(&j, "loops", f.loops);
	wl_json_u64(&j, "loops_in_span", loops_end - loops_start);
	wl_json_pids(&j, "children", children, forks);
	wl_json_u64s(&j, "fork_start_ns", fstart, forks);
	wl_json_u64s(&j, "fork_end_ns", fend, forks);
	wl_json_u64(&j, "start_ns", start_ns);
	wl_json_u64(&j, "end_ns", end_ns);
	wl_json_u64(&j, "hold_ms", hold_ms);
	wl_json_end(&j, &com);
	close(fd);
	free(children);
	free(fstart);
	free(fend);
	return FL_EXIT_OK;
}
