// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uffd: a single-threaded owner with a userfaultfd registered (MISSING)
 * on P anonymous pages forks F times.  A uffd holds mm_count, not
 * mm_users: the owner stays "single-threaded" although another process
 * can reach its mm.
 *
 * --monitor: the owner posix_spawn()s its own binary (no fork: no
 * dup_mmap before the measured ones) in the hidden mode uffd-monitor,
 * hands it the uffd with SCM_RIGHTS, and the monitor issues UFFDIO_COPY
 * and UFFDIO_ZEROPAGE into the owner's range in a tight loop.  Each
 * ioctl takes the owner's VMA lock (or falls back to mmap_read_lock):
 * the cross-process toucher of a "single-threaded" mm.
 *
 * Owner and monitor share one page (a memfd passed with the uffd): the
 * monitor's ioctl counter and the owner's stop flag.  The owner reads
 * the counter around the fork loop and around each fork() call.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "compat-uapi.h"
#include "workload.h"

#define WL_MAX_FORKS	10000000ul
#define WL_MAX_PAGES	65536ul
#define WL_MAX_HOLD_MS	(24ul * 3600 * 1000)
#define WL_MONITOR_COMM	"fl-uffd-monitor"
#define WL_MONITOR_TIMEOUT_MS	10000
#define WL_MONITOR_NICE		-10

extern char **environ;

/* owner -> monitor, with SCM_RIGHTS { uffd, shm memfd } */
struct wl_uffd_setup {
	uint64_t	addr;
	uint64_t	len;
	uint64_t	page;
};

/* the shared page */
struct wl_uffd_shm {
	uint64_t	ioctls;		/* monitor: ioctls issued so far */
	int		stop;		/* owner: stop the loop */
};

/* monitor -> owner, at the end */
struct wl_uffd_report {
	uint64_t	ioctls;
	uint64_t	copies;		/* UFFDIO_COPY issued */
	uint64_t	zeropages;	/* UFFDIO_ZEROPAGE issued */
	uint64_t	eexist;		/* of those, page already present */
	uint64_t	eagain;		/* of those, mmap_changing */
};

#define WL_MSG_READY	'R'

static void wl_send_all(int fd, const void *buf, size_t len, const char *what)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			wl_die("%s: send", what);
		p += n;
		len -= n;
	}
}

/* Receive exactly len bytes, waiting at most timeout_ms for each part. */
static void wl_recv_all(int fd, void *buf, size_t len, int timeout_ms,
			const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char *p = buf;

	while (len) {
		ssize_t n;
		int ret = poll(&pfd, 1, timeout_ms);

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			wl_die("%s: poll", what);
		if (!ret)
			wl_fail("%s: no answer within %d ms", what, timeout_ms);
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			wl_die("%s: recv", what);
		if (!n)
			wl_fail("%s: the other side closed the socket", what);
		p += n;
		len -= n;
	}
}

/*
 * Owner on CPU 0, monitor on CPU 1: on one CPU they would take turns and
 * the monitor would never run inside a fork window.
 */
static void wl_pin_cpu(int cpu)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (ncpu < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % ncpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		wl_die("sched_setaffinity(cpu %d)", cpu);
}

static uint64_t wl_shm_ioctls(struct wl_uffd_shm *shm)
{
	return shm ? __atomic_load_n(&shm->ioctls, __ATOMIC_ACQUIRE) : 0;
}

/*
 * Before each fork: spin until the monitor's counter moves on by two, so
 * the monitor is running on its CPU right now and will be inside the
 * fork's window (tens of microseconds away).  Without this, a busy other
 * CPU takes the monitor off it for whole time slices and whole runs of
 * windows see no ioctl.  False if it did not move within the timeout.
 */
static bool wl_monitor_running(struct wl_uffd_shm *shm)
{
	uint64_t from = wl_shm_ioctls(shm), deadline;

	deadline = wl_now_ns() + WL_MONITOR_TIMEOUT_MS * 1000000ull;
	while (wl_shm_ioctls(shm) - from < 2)
		if (wl_now_ns() > deadline)
			return false;
	return true;
}

/* ---- owner ---------------------------------------------------------- */

struct wl_monitor {
	pid_t			pid;
	int			sock;
	struct wl_uffd_shm	*shm;
	struct wl_uffd_report	report;
};

static void wl_monitor_spawn(struct wl_monitor *mon, int uffd, char *addr,
			     size_t len)
{
	struct wl_uffd_setup setup = {
		.addr = (uintptr_t)addr,
		.len = len,
		.page = wl_page_size(),
	};
	char sockarg[16], ownerarg[16], ready;
	char *argv[] = {
		WL_PROG, "uffd-monitor", "--sock", sockarg, "--owner", ownerarg, NULL
	};
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} cmsg_buf;
	struct iovec iov = { .iov_base = &setup, .iov_len = sizeof(setup) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cmsg_buf.buf,
		.msg_controllen = sizeof(cmsg_buf.buf),
	};
	struct cmsghdr *cmsg;
	int sv[2], memfd, fds[2], ret;

	memfd = memfd_create("forklock-uffd-monitor", MFD_CLOEXEC);
	if (memfd < 0)
		wl_die("memfd_create");
	if (ftruncate(memfd, wl_page_size()))
		wl_die("ftruncate memfd");
	mon->shm = mmap(NULL, wl_page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mon->shm == MAP_FAILED)
		wl_die("mmap memfd");

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		wl_die("socketpair");
	/* the monitor's end survives exec; this process is single-threaded */
	if (fcntl(sv[1], F_SETFD, 0))
		wl_die("fcntl(F_SETFD)");
	snprintf(sockarg, sizeof(sockarg), "%d", sv[1]);
	snprintf(ownerarg, sizeof(ownerarg), "%d", (int)getpid());

	ret = posix_spawn(&mon->pid, "/proc/self/exe", NULL, NULL, argv, environ);
	if (ret) {
		errno = ret;
		wl_die("posix_spawn /proc/self/exe");
	}
	close(sv[1]);
	mon->sock = sv[0];

	fds[0] = uffd;
	fds[1] = memfd;
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
	while ((ret = sendmsg(mon->sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (ret < 0)
		wl_die("sendmsg uffd to the monitor");
	if ((size_t)ret != sizeof(setup))
		wl_fail("sendmsg uffd to the monitor: short write");
	close(memfd);

	/* the monitor says ready after one ioctl on every page */
	wl_recv_all(mon->sock, &ready, 1, WL_MONITOR_TIMEOUT_MS, "monitor handshake");
	if (ready != WL_MSG_READY)
		wl_fail("monitor handshake: unexpected byte 0x%02x", (unsigned char)ready);
}

static void wl_monitor_stop(struct wl_monitor *mon)
{
	__atomic_store_n(&mon->shm->stop, 1, __ATOMIC_RELEASE);
	wl_recv_all(mon->sock, &mon->report, sizeof(mon->report),
		    WL_MONITOR_TIMEOUT_MS, "monitor report");
	close(mon->sock);
	wl_reap(mon->pid, "uffd monitor");
}

static const struct option wl_uffd_opts[] = {
	{ "forks",	required_argument, NULL, 'f' },
	{ "monitor",	no_argument,	   NULL, 'm' },
	{ "pages",	required_argument, NULL, 'p' },
	{ "hold-ms",	required_argument, NULL, 'H' },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

int wl_uffd_run(int argc, char **argv)
{
	unsigned long forks = 0, pages = 64, hold_ms = 0;
	struct wl_common com = { 0 };
	struct wl_monitor mon = { .pid = 0, .sock = -1, .shm = NULL };
	struct uffdio_register reg = { 0 };
	struct uffdio_api api = { .api = UFFD_API };
	uint64_t start_ns, end_ns, c_start, c_end, in_fork_calls = 0, seen = 0;
	bool have_forks = false, monitor = false;
	long vmas, vmas_after;
	struct wl_json j;
	pid_t *children;
	size_t len;
	char *area;
	int c, uffd;

	while ((c = getopt_long(argc, argv, ":h", wl_uffd_opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			forks = wl_parse_ulong("--forks", optarg, 1, WL_MAX_FORKS);
			have_forks = true;
			break;
		case 'm':
			monitor = true;
			break;
		case 'p':
			pages = wl_parse_ulong("--pages", optarg, 1, WL_MAX_PAGES);
			break;
		case 'H':
			hold_ms = wl_parse_ulong("--hold-ms", optarg, 0, WL_MAX_HOLD_MS);
			break;
		default:
			wl_common_opt(&com, c, argv, wl_uffd_opts);
		}
	}
	if (!have_forks)
		wl_usage_err("uffd: --forks is required (try --help)");
	wl_common_finish(&com, argc, argv);

	children = calloc(forks, sizeof(*children));
	if (!children)
		wl_die("calloc");

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		wl_die("userfaultfd (as non-root: sysctl vm.unprivileged_userfaultfd)");
	if (ioctl(uffd, UFFDIO_API, &api))
		wl_die("ioctl(UFFDIO_API)");

	len = pages * wl_page_size();
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		wl_die("mmap of %lu pages", pages);
	reg.range.start = (uintptr_t)area;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		wl_die("ioctl(UFFDIO_REGISTER)");
	if (!(reg.ioctls & (1ull << _UFFDIO_COPY)) ||
	    !(reg.ioctls & (1ull << _UFFDIO_ZEROPAGE)))
		wl_fail("UFFDIO_REGISTER: no UFFDIO_COPY/ZEROPAGE on anonymous memory");
	/* from here on this process never touches [area, area + len) */

	if (monitor) {
		wl_monitor_spawn(&mon, uffd, area, len);
		wl_pin_cpu(0);
	}

	/* ---- nothing below may create or remove a VMA ---- */
	vmas = wl_count_vmas();
	c_start = wl_shm_ioctls(mon.shm);
	start_ns = wl_now_ns();
	for (unsigned long i = 0; i < forks; i++) {
		uint64_t before;
		pid_t pid;

		if (monitor && wl_monitor_running(mon.shm))
			seen++;
		before = wl_shm_ioctls(mon.shm);
		pid = fork();

		if (pid < 0)
			wl_die("fork");
		if (!pid)
			_exit(0);
		in_fork_calls += wl_shm_ioctls(mon.shm) - before;
		children[i] = pid;
		wl_reap(pid, "fork");
		/* empty the range again so the monitor's copies stay real */
		if (monitor && madvise(area, len, MADV_DONTNEED))
			wl_die("madvise(MADV_DONTNEED)");
	}
	end_ns = wl_now_ns();
	c_end = wl_shm_ioctls(mon.shm);
	vmas_after = wl_count_vmas();
	/* ---- */

	if (vmas != vmas_after)
		wl_fail("VMA count changed during the forks: %ld before, %ld after",
			vmas, vmas_after);

	wl_hold(hold_ms);
	if (monitor)
		wl_monitor_stop(&mon);

	wl_json_begin(&j);
	wl_json_str(&j, "mode", "uffd");
	wl_json_self(&j);
	wl_json_u64(&j, "forks", forks);
	wl_json_u64(&j, "threads", 1);
	wl_json_i64(&j, "vmas", vmas);
	wl_json_i64(&j, "vmas_after", vmas_after);
	wl_json_bool(&j, "uffd", true);
	wl_json_i64(&j, "uffd_fd", uffd);
	wl_json_u64(&j, "uffd_start", (uintptr_t)area);
	wl_json_u64(&j, "uffd_end", (uintptr_t)area + len);
	wl_json_u64(&j, "pages", pages);
	wl_json_bool(&j, "monitor", monitor);
	if (monitor) {
		wl_json_i64(&j, "monitor_pid", mon.pid);
		wl_json_str(&j, "monitor_comm", WL_MONITOR_COMM);
	} else {
		wl_json_null(&j, "monitor_pid");
		wl_json_null(&j, "monitor_comm");
	}
	wl_json_u64(&j, "monitor_ioctls", mon.report.ioctls);
	wl_json_u64(&j, "monitor_copies", mon.report.copies);
	wl_json_u64(&j, "monitor_zeropages", mon.report.zeropages);
	wl_json_u64(&j, "monitor_eexist", mon.report.eexist);
	wl_json_u64(&j, "monitor_eagain", mon.report.eagain);
	wl_json_u64(&j, "monitor_ioctls_in_span", c_end - c_start);
	wl_json_u64(&j, "monitor_ioctls_in_fork_calls", in_fork_calls);
	wl_json_u64(&j, "monitor_running_at_forks", seen);
	wl_json_pids(&j, "children", children, forks);
	wl_json_u64(&j, "spawns", monitor ? 1 : 0);
	wl_json_u64(&j, "start_ns", start_ns);
	wl_json_u64(&j, "end_ns", end_ns);
	wl_json_u64(&j, "hold_ms", hold_ms);
	wl_json_end(&j, &com);

	close(uffd);
	free(children);
	return FL_EXIT_OK;
}

/* ---- monitor (hidden mode "uffd-monitor") ----------------------------- */

static const struct option wl_monitor_opts[] = {
	{ "sock",	required_argument, NULL, 's' },
	{ "owner",	required_argument, NULL, 'o' },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void wl_monitor_recv_setup(int sock, struct wl_uffd_setup *setup,
				  int *uffd, int *memfd)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} cmsg_buf;
	struct iovec iov = { .iov_base = setup, .iov_len = sizeof(*setup) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cmsg_buf.buf,
		.msg_controllen = sizeof(cmsg_buf.buf),
	};
	struct cmsghdr *cmsg;
	int fds[2];
	ssize_t n;

	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		wl_die("uffd monitor: recvmsg");
	cmsg = CMSG_FIRSTHDR(&msg);
	if ((size_t)n != sizeof(*setup) || !cmsg || cmsg->cmsg_level != SOL_SOCKET ||
	    cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(fds)))
		wl_fail("uffd monitor: bad setup message from the owner");
	memcpy(fds, CMSG_DATA(cmsg), sizeof(fds));
	*uffd = fds[0];
	*memfd = fds[1];
}

int wl_uffd_monitor_run(int argc, char **argv)
{
	struct wl_common com = { 0 };
	struct wl_uffd_report rep = { 0 };
	struct wl_uffd_setup setup;
	struct wl_uffd_shm *shm;
	unsigned long pages, owner = 0;
	int c, sock = -1, uffd, memfd;
	bool ready = false;
	char *src;

	while ((c = getopt_long(argc, argv, ":h", wl_monitor_opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = wl_parse_ulong("--sock", optarg, 0, 1 << 20);
			break;
		case 'o':
			owner = wl_parse_ulong("--owner", optarg, 1, 1 << 30);
			break;
		default:
			wl_common_opt(&com, c, argv, wl_monitor_opts);
		}
	}
	if (sock < 0 || !owner)
		wl_usage_err("uffd-monitor is started by 'uffd --monitor' only");
	wl_common_finish(&com, argc, argv);

	/* do not outlive the owner, nor spin on a dead one */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		wl_die("prctl(PR_SET_PDEATHSIG)");
	if ((unsigned long)getppid() != owner)
		wl_fail("uffd monitor: the owner %lu is gone", owner);
	if (prctl(PR_SET_NAME, WL_MONITOR_COMM, 0, 0, 0))
		wl_die("prctl(PR_SET_NAME)");
	wl_pin_cpu(1);
	/*
	 * A busy task sharing CPU 1 would take whole time slices from the
	 * monitor, windows included: as root, outweigh it (best effort).
	 */
	setpriority(PRIO_PROCESS, 0, WL_MONITOR_NICE);

	wl_monitor_recv_setup(sock, &setup, &uffd, &memfd);
	if (!setup.page || setup.page != wl_page_size() || !setup.len ||
	    setup.len % setup.page)
		wl_fail("uffd monitor: bad range from the owner");
	pages = setup.len / setup.page;
	shm = mmap(NULL, setup.page, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (shm == MAP_FAILED)
		wl_die("uffd monitor: mmap memfd");
	close(memfd);
	src = mmap(NULL, setup.page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED)
		wl_die("uffd monitor: mmap");
	memset(src, 0x5a, setup.page);

	for (uint64_t i = 0; !__atomic_load_n(&shm->stop, __ATOMIC_ACQUIRE); i++) {
		uint64_t dst = setup.addr + (i % pages) * setup.page;
		int ret;

		if ((i & 3) == 3) {
			struct uffdio_zeropage zp = {
				.range = { .start = dst, .len = setup.page },
			};

			ret = ioctl(uffd, UFFDIO_ZEROPAGE, &zp);
			rep.zeropages++;
		} else {
			struct uffdio_copy cp = {
				.dst = dst,
				.src = (uintptr_t)src,
				.len = setup.page,
			};

			ret = ioctl(uffd, UFFDIO_COPY, &cp);
			rep.copies++;
		}
		if (ret) {
			if (errno == EEXIST)
				rep.eexist++;
			else if (errno == EAGAIN)
				rep.eagain++;
			else
				wl_die("uffd monitor: ioctl(%s) at 0x%llx",
				       (i & 3) == 3 ? "UFFDIO_ZEROPAGE" : "UFFDIO_COPY",
				       (unsigned long long)dst);
		}
		rep.ioctls++;
		__atomic_store_n(&shm->ioctls, rep.ioctls, __ATOMIC_RELEASE);

		if (!ready && rep.ioctls >= pages) {
			char msg = WL_MSG_READY;

			wl_send_all(sock, &msg, 1, "uffd monitor");
			ready = true;
		}
	}
	if (!ready)
		wl_fail("uffd monitor: stopped before it was ready");
	wl_send_all(sock, &rep, sizeof(rep), "uffd monitor");
	close(sock);
	close(uffd);
	return FL_EXIT_OK;
}
