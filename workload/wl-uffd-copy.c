// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uffd-copy: an owner forks while a monitor fills the owner's
 * userfaultfd-registered range with ONE large UFFDIO_COPY.
 *
 * UFFDIO_COPY holds the registered VMA's per-VMA read lock for the whole
 * copy; dup_mmap()'s vma_start_write() on that VMA waits until it ends.
 * Each of R rounds makes two forks:
 *
 *   free     no copy in flight (the monitor waits on a futex)
 *   copy     the monitor has entered its copy (it stores copy_start_ns
 *            right before the ioctl) and the range's first page is
 *            resident (mincore()): the copy holds the VMA's lock.  The
 *            owner sleeps --settle-ms (default 0), forks, waits for the
 *            copy's end, then empties the range again with MADV_DONTNEED
 *            so the next copy is real
 *
 * --monitor process (default): a posix_spawn()ed monitor (no fork: no
 * dup_mmap before the measured ones) that inherits the uffd and the
 * shared page; the owner stays single-threaded.  --monitor thread: a
 * sibling thread of the owner (the design of lazy-migration and postcopy
 * monitors).  Either way the monitor's comm is "fl-copy-monitor".
 *
 * The ground truth gives every fork's and every copy's start and end on
 * CLOCK_MONOTONIC (the trace clock), the monitor's pid, tgid and comm, and
 * the registered range.  The copy's source is a MAP_SHARED memfd, so it
 * adds no page tables for fork to copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "compat-uapi.h"
#include "workload.h"

#define WL_MAX_ROUNDS		64ul
#define WL_MAX_MIB		4096ul
#define WL_MAX_SETTLE_MS	1000ul
#define WL_MAX_HOLD_MS		(24ul * 3600 * 1000)
#define WL_COPY_COMM		"fl-copy-monitor"
#define WL_COPY_TIMEOUT_MS	30000

extern char **environ;

/* The page owner and monitor share (a memfd, MAP_SHARED). */
struct wl_copy_shm {
	uint32_t	go;		/* owner: rounds started */
	uint32_t	started;	/* monitor: copies entered */
	uint32_t	done;		/* monitor: copies ended */
	uint32_t	stop;		/* owner: no more rounds */
	int32_t		tid, tgid;	/* monitor */
	int32_t		err;		/* monitor: errno of a failed ioctl */
	uint64_t	addr, len;	/* the registered range */
	uint64_t	start_ns[WL_MAX_ROUNDS];
	uint64_t	end_ns[WL_MAX_ROUNDS];
	uint64_t	ioctls[WL_MAX_ROUNDS];	/* UFFDIO_COPY calls of the copy */
	uint64_t	copied[WL_MAX_ROUNDS];	/* bytes */
};

static long wl_futex(uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static void wl_futex_wake(uint32_t *addr)
{
	if (wl_futex(addr, FUTEX_WAKE, INT_MAX, NULL) < 0)
		wl_die("futex(FUTEX_WAKE)");
}

/* Wait until *addr >= want (or, with stop, *stop != 0); false: stopped. */
static bool wl_wait_ge(uint32_t *addr, uint32_t want, uint32_t *stop, const char *what)
{
	uint64_t deadline = wl_now_ns() + WL_COPY_TIMEOUT_MS * 1000000ull;

	for (;;) {
		uint32_t cur = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 100 * 1000000 };

		if (cur >= want)
			return true;
		if (stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE))
			return false;
		if (!stop && wl_now_ns() > deadline)
			wl_fail("%s: no progress within %d ms", what, WL_COPY_TIMEOUT_MS);
		if (wl_futex(addr, FUTEX_WAIT, cur, &ts) < 0 &&
		    errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
			wl_die("futex(FUTEX_WAIT) %s", what);
	}
}

static void wl_store_wake(uint32_t *addr, uint32_t val)
{
	__atomic_store_n(addr, val, __ATOMIC_RELEASE);
	wl_futex_wake(addr);
}

/* ---- the monitor's loop (process or thread) ------------------------- */

static void wl_copy_loop(struct wl_copy_shm *shm, int uffd, const char *src)
{
	if (prctl(PR_SET_NAME, WL_COPY_COMM, 0, 0, 0))
		wl_die("prctl(PR_SET_NAME)");
	shm->tid = gettid();
	shm->tgid = getpid();
	wl_store_wake(&shm->started, 0);

	for (uint32_t r = 0; r < WL_MAX_ROUNDS; r++) {
		uint64_t off = 0;

		if (!wl_wait_ge(&shm->go, r + 1, &shm->stop, "monitor"))
			return;
		shm->ioctls[r] = 0;
		shm->start_ns[r] = wl_now_ns();
		wl_store_wake(&shm->started, r + 1);
		/* one ioctl for the whole range; another only after a partial copy */
		while (off < shm->len) {
			struct uffdio_copy cp = {
				.dst = shm->addr + off,
				.src = (uintptr_t)src + off,
				.len = shm->len - off,
			};

			shm->ioctls[r]++;
			if (ioctl(uffd, UFFDIO_COPY, &cp) && errno != EAGAIN) {
				shm->err = errno;
				wl_store_wake(&shm->done, UINT32_MAX);
				return;
			}
			if (cp.copy <= 0)
				break;
			off += cp.copy;
		}
		shm->end_ns[r] = wl_now_ns();
		shm->copied[r] = off;
		wl_store_wake(&shm->done, r + 1);
	}
}

struct wl_copy_thread_arg {
	struct wl_copy_shm	*shm;
	int			uffd;
	const char		*src;
};

static void *wl_copy_thread(void *p)
{
	struct wl_copy_thread_arg *a = p;

	wl_copy_loop(a->shm, a->uffd, a->src);
	return NULL;
}

/* hidden mode uffd-copy-monitor: --uffd FD --shm FD --src FD --owner PID */
static const struct option wl_copy_monitor_opts[] = {
	{ "uffd",	required_argument, NULL, 'u' },
	{ "shm",	required_argument, NULL, 's' },
	{ "src",	required_argument, NULL, 'S' },
	{ "owner",	required_argument, NULL, 'o' },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

int wl_uffd_copy_monitor_run(int argc, char **argv)
{
	struct wl_common com = { 0 };
	int c, uffd = -1, shmfd = -1, srcfd = -1;
	unsigned long owner = 0;
	struct wl_copy_shm *shm;
	char *src;

	while ((c = getopt_long(argc, argv, ":h", wl_copy_monitor_opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			uffd = wl_parse_ulong("--uffd", optarg, 0, 1 << 20);
			break;
		case 's':
			shmfd = wl_parse_ulong("--shm", optarg, 0, 1 << 20);
			break;
		case 'S':
			srcfd = wl_parse_ulong("--src", optarg, 0, 1 << 20);
			break;
		case 'o':
			owner = wl_parse_ulong("--owner", optarg, 1, 1 << 30);
			break;
		default:
			wl_common_opt(&com, c, argv, wl_copy_monitor_opts);
		}
	}
	if (uffd < 0 || shmfd < 0 || srcfd < 0 || !owner)
		wl_usage_err("uffd-copy-monitor is started by 'uffd-copy' only");
	wl_common_finish(&com, argc, argv);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		wl_die("prctl(PR_SET_PDEATHSIG)");
	if ((unsigned long)getppid() != owner)
		wl_fail("uffd-copy monitor: the owner %lu is gone", owner);

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, shmfd, 0);
	if (shm == MAP_FAILED)
		wl_die("uffd-copy monitor: mmap shm");
	src = mmap(NULL, shm->len, PROT_READ, MAP_SHARED | MAP_POPULATE, srcfd, 0);
	if (src == MAP_FAILED)
		wl_die("uffd-copy monitor: mmap source");
	close(shmfd);
	close(srcfd);
	wl_copy_loop(shm, uffd, src);
	close(uffd);
	return FL_EXIT_OK;
}

/* ---- owner ---------------------------------------------------------- */

static void wl_set_cloexec(int fd, bool on)
{
	if (fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0))
		wl_die("fcntl(F_SETFD)");
}

static pid_t wl_copy_spawn(int uffd, int shmfd, int srcfd)
{
	char a_uffd[16], a_shm[16], a_src[16], a_owner[16];
	char *argv[] = {
		WL_PROG, "uffd-copy-monitor", "--uffd", a_uffd, "--shm", a_shm,
		"--src", a_src, "--owner", a_owner, NULL
	};
	pid_t pid;
	int ret;

	snprintf(a_uffd, sizeof(a_uffd), "%d", uffd);
	snprintf(a_shm, sizeof(a_shm), "%d", shmfd);
	snprintf(a_src, sizeof(a_src), "%d", srcfd);
	snprintf(a_owner, sizeof(a_owner), "%d", (int)getpid());
	/* single-threaded here: the three fds survive this one exec only */
	wl_set_cloexec(uffd, false);
	wl_set_cloexec(shmfd, false);
	wl_set_cloexec(srcfd, false);
	ret = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ);
	if (ret) {
		errno = ret;
		wl_die("posix_spawn /proc/self/exe");
	}
	wl_set_cloexec(uffd, true);
	wl_set_cloexec(shmfd, true);
	wl_set_cloexec(srcfd, true);
	return pid;
}

/*
 * The copy has begun filling the range (so it holds the VMA's lock) once
 * its first page is resident.  mincore() takes mmap_read_lock, not the
 * VMA's lock, and never faults: the owner must not fault on the range
 * (a MISSING fault would wait for the monitor).
 */
static void wl_wait_copy_filling(char *area)
{
	uint64_t deadline = wl_now_ns() + WL_COPY_TIMEOUT_MS * 1000000ull;
	unsigned char vec = 0;

	for (;;) {
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 20 * 1000 };

		if (mincore(area, wl_page_size(), &vec))
			wl_die("mincore");
		if (vec & 1)
			return;
		if (wl_now_ns() > deadline)
			wl_fail("copy start: the first page never came within %d ms",
				WL_COPY_TIMEOUT_MS);
		nanosleep(&ts, NULL);
	}
}

static const struct option wl_uffd_copy_opts[] = {
	{ "rounds",	required_argument, NULL, 'r' },
	{ "monitor",	required_argument, NULL, 'm' },
	{ "mib",	required_argument, NULL, 'M' },
	{ "settle-ms",	required_argument, NULL, 's' },
	{ "no-wipeonfork", no_argument,	   NULL, 'W' },
	{ "hold-ms",	required_argument, NULL, 'H' },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

struct wl_copy_fork {
	pid_t		child;
	uint64_t	start_ns, end_ns;
};

static void wl_copy_fork(struct wl_copy_fork *f)
{
	f->start_ns = wl_now_ns();
	f->child = fork();
	if (f->child < 0)
		wl_die("fork");
	if (!f->child)
		_exit(0);
	f->end_ns = wl_now_ns();
	wl_reap(f->child, "fork");
}

int wl_uffd_copy_run(int argc, char **argv)
{
	unsigned long rounds = 0, mib = 64, settle_ms = 0, hold_ms = 0;
	struct wl_copy_fork forks[2 * WL_MAX_ROUNDS];
	struct wl_copy_thread_arg targ;
	struct wl_common com = { 0 };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	bool thread = false, have_rounds = false, wipe = true;
	uint64_t start_ns, end_ns, v[2 * WL_MAX_ROUNDS];
	int64_t iv[2 * WL_MAX_ROUNDS];
	pid_t mon_pid = 0, kids[2 * WL_MAX_ROUNDS];
	struct wl_copy_shm *shm;
	int c, uffd, shmfd, srcfd;
	long vmas, vmas_after;
	pthread_t th;
	struct wl_json j;
	char *area, *src;
	size_t len;

	while ((c = getopt_long(argc, argv, ":h", wl_uffd_copy_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rounds = wl_parse_ulong("--rounds", optarg, 1, WL_MAX_ROUNDS);
			have_rounds = true;
			break;
		case 'm':
			if (!strcmp(optarg, "thread"))
				thread = true;
			else if (strcmp(optarg, "process"))
				wl_usage_err("--monitor: '%s' is not process or thread", optarg);
			break;
		case 'M':
			mib = wl_parse_ulong("--mib", optarg, 1, WL_MAX_MIB);
			break;
		case 's':
			settle_ms = wl_parse_ulong("--settle-ms", optarg, 0, WL_MAX_SETTLE_MS);
			break;
		case 'W':
			wipe = false;
			break;
		case 'H':
			hold_ms = wl_parse_ulong("--hold-ms", optarg, 0, WL_MAX_HOLD_MS);
			break;
		default:
			wl_common_opt(&com, c, argv, wl_uffd_copy_opts);
		}
	}
	if (!have_rounds)
		wl_usage_err("uffd-copy: --rounds is required (try --help)");
	wl_common_finish(&com, argc, argv);
	len = mib << 20;

	/*
	 * Not O_CLOEXEC: the monitor process inherits it through exec, and a
	 * trace (which sees userfaultfd()'s flags, not fcntl()) can follow it.
	 */
	uffd = syscall(SYS_userfaultfd, 0);
	if (uffd < 0)
		wl_die("userfaultfd (as non-root: sysctl vm.unprivileged_userfaultfd)");
	if (ioctl(uffd, UFFDIO_API, &api))
		wl_die("ioctl(UFFDIO_API)");
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		wl_die("mmap of %lu MiB", mib);
	reg.range.start = (uintptr_t)area;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		wl_die("ioctl(UFFDIO_REGISTER)");
	if (!(reg.ioctls & (1ull << _UFFDIO_COPY)))
		wl_fail("UFFDIO_REGISTER: no UFFDIO_COPY on anonymous memory");
	/*
	 * The child gets the range empty: fork does not copy the page tables
	 * the copy filled (copy_page_range() is skipped), so its window is the
	 * wait, not the wait plus a copy of 64 MiB of page tables.  The VMA is
	 * still locked and stored (one mas_store) like any other.
	 */
	if (wipe && madvise(area, len, MADV_WIPEONFORK))
		wl_die("madvise(MADV_WIPEONFORK)");

	shmfd = memfd_create("forklock-uffd-copy", MFD_CLOEXEC);
	srcfd = memfd_create("forklock-uffd-copy-src", MFD_CLOEXEC);
	if (shmfd < 0 || srcfd < 0)
		wl_die("memfd_create");
	if (ftruncate(shmfd, sizeof(*shm)) || ftruncate(srcfd, len))
		wl_die("ftruncate memfd");
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, shmfd, 0);
	src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, srcfd, 0);
	if (shm == MAP_FAILED || src == MAP_FAILED)
		wl_die("mmap memfd");
	memset(src, 0x5a, len);
	shm->addr = (uintptr_t)area;
	shm->len = len;
	shm->started = UINT32_MAX;	/* the monitor sets 0 when it runs */

	if (thread) {
		targ = (struct wl_copy_thread_arg){ .shm = shm, .uffd = uffd, .src = src };
		errno = pthread_create(&th, NULL, wl_copy_thread, &targ);
		if (errno)
			wl_die("pthread_create");
	} else {
		mon_pid = wl_copy_spawn(uffd, shmfd, srcfd);
		/* the owner does not need the source: unmapped before the count */
		if (munmap(src, len))
			wl_die("munmap source");
	}
	while (__atomic_load_n(&shm->started, __ATOMIC_ACQUIRE) == UINT32_MAX)
		wl_sleep_ms(1);

	/* ---- nothing below may create or remove a VMA ---- */
	vmas = wl_count_vmas();
	start_ns = wl_now_ns();
	for (uint32_t r = 0; r < rounds; r++) {
		wl_copy_fork(&forks[2 * r]);
		wl_store_wake(&shm->go, r + 1);
		wl_wait_ge(&shm->started, r + 1, NULL, "copy start");
		wl_wait_copy_filling(area);
		if (settle_ms)
			wl_sleep_ms(settle_ms);
		wl_copy_fork(&forks[2 * r + 1]);
		wl_wait_ge(&shm->done, r + 1, NULL, "copy end");
		if (shm->done == UINT32_MAX) {
			errno = shm->err;
			wl_die("monitor: ioctl(UFFDIO_COPY)");
		}
		if (shm->copied[r] != len)
			wl_fail("copy %u: %llu of %zu bytes", r,
				(unsigned long long)shm->copied[r], len);
		if (madvise(area, len, MADV_DONTNEED))
			wl_die("madvise(MADV_DONTNEED)");
	}
	end_ns = wl_now_ns();
	vmas_after = wl_count_vmas();
	/* ---- */
	if (vmas != vmas_after)
		wl_fail("VMA count changed during the forks: %ld before, %ld after",
			vmas, vmas_after);

	wl_hold(hold_ms);
	wl_store_wake(&shm->stop, 1);
	wl_futex_wake(&shm->go);
	if (thread) {
		errno = pthread_join(th, NULL);
		if (errno)
			wl_die("pthread_join");
	} else {
		wl_reap(mon_pid, "uffd-copy monitor");
	}

	wl_json_begin(&j);
	wl_json_str(&j, "mode", "uffd-copy");
	wl_json_self(&j);
	wl_json_u64(&j, "rounds", rounds);
	wl_json_u64(&j, "forks", 2 * rounds);
	wl_json_u64(&j, "threads", thread ? 2 : 1);
	wl_json_i64(&j, "vmas", vmas);
	wl_json_i64(&j, "vmas_after", vmas_after);
	wl_json_u64(&j, "uffd_start", (uintptr_t)area);
	wl_json_u64(&j, "uffd_end", (uintptr_t)area + len);
	wl_json_u64(&j, "copy_bytes", len);
	wl_json_str(&j, "monitor", thread ? "thread" : "process");
	wl_json_i64(&j, "monitor_pid", shm->tid);
	wl_json_i64(&j, "monitor_tgid", shm->tgid);
	wl_json_str(&j, "monitor_comm", WL_COPY_COMM);
	wl_json_u64(&j, "settle_ms", settle_ms);
	wl_json_bool(&j, "wipeonfork", wipe);
	for (size_t i = 0; i < 2 * rounds; i++) {
		kids[i] = forks[i].child;
		v[i] = forks[i].start_ns;
		iv[i] = i % 2 ? (int64_t)(i / 2) : -1;
	}
	wl_json_pids(&j, "children", kids, 2 * rounds);
	wl_json_u64s(&j, "fork_start_ns", v, 2 * rounds);
	for (size_t i = 0; i < 2 * rounds; i++)
		v[i] = forks[i].end_ns;
	wl_json_u64s(&j, "fork_end_ns", v, 2 * rounds);
	wl_json_i64s(&j, "fork_copy", iv, 2 * rounds);
	wl_json_u64s(&j, "copy_start_ns", shm->start_ns, rounds);
	wl_json_u64s(&j, "copy_end_ns", shm->end_ns, rounds);
	wl_json_u64s(&j, "copy_ioctls", shm->ioctls, rounds);
	wl_json_u64(&j, "spawns", thread ? 0 : 1);
	wl_json_u64(&j, "start_ns", start_ns);
	wl_json_u64(&j, "end_ns", end_ns);
	wl_json_u64(&j, "hold_ms", hold_ms);
	wl_json_end(&j, &com);
	close(uffd);
	return FL_EXIT_OK;
}
