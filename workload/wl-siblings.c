// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sibling threads: other users of the forking mm (mm_users > 1).
 *
 *   idle   blocked in read() on a pipe; never touches the mm.
 *   fault  MADV_DONTNEED + one write per page over its own slice of a
 *          buffer mapped before the VMA count, so it faults forever
 *          without creating a VMA.  During a fork the faults find the
 *          VMA write-locked and fall back to mmap_read_lock(oldmm).
 *   churn  mmap + write + munmap of one page (busy mode only): changes
 *          the VMA count, so never used where VMAs are counted twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "workload.h"

#define WL_FAULT_PAGES		16
#define WL_SIBLING_STACK	(256 * 1024)
#define WL_START_TIMEOUT_NS	(10ull * 1000000000ull)

struct wl_sibling {
	struct wl_siblings	*set;
	enum wl_sibling_kind	kind;
	pthread_t		thread;
	char			*buf;		/* fault: its slice */
	pid_t			tid;		/* __atomic */
	uint64_t		loops;		/* __atomic */
};

static bool wl_stopping(struct wl_siblings *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

static void wl_sibling_idle(struct wl_sibling *sib)
{
	char c;

	for (;;) {
		ssize_t n = read(sib->set->pipe_rd, &c, 1);

		if (!n)
			return;		/* write end closed: stop */
		if (n < 0 && errno != EINTR)
			wl_die("idle sibling: read");
	}
}

static void wl_sibling_fault(struct wl_sibling *sib)
{
	size_t page = wl_page_size();
	size_t len = sib->set->fault_slice;
	uint64_t loops = 0;

	while (!wl_stopping(sib->set)) {
		if (madvise(sib->buf, len, MADV_DONTNEED))
			wl_die("fault sibling: madvise(MADV_DONTNEED)");
		for (size_t off = 0; off < len; off += page)
			((volatile char *)sib->buf)[off] = (char)loops;
		__atomic_store_n(&sib->loops, ++loops, __ATOMIC_RELEASE);
	}
}

static void wl_sibling_churn(struct wl_sibling *sib)
{
	size_t page = wl_page_size();
	uint64_t loops = 0;

	while (!wl_stopping(sib->set)) {
		char *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			wl_die("churn sibling: mmap");
		*(volatile char *)p = 1;
		if (munmap(p, page))
			wl_die("churn sibling: munmap");
		__atomic_store_n(&sib->loops, ++loops, __ATOMIC_RELEASE);
	}
}

static void *wl_sibling_main(void *arg)
{
	struct wl_sibling *sib = arg;

	__atomic_store_n(&sib->tid, gettid(), __ATOMIC_RELEASE);
	switch (sib->kind) {
	case WL_SIB_IDLE:
		wl_sibling_idle(sib);
		break;
	case WL_SIB_FAULT:
		wl_sibling_fault(sib);
		break;
	case WL_SIB_CHURN:
		wl_sibling_churn(sib);
		break;
	}
	return NULL;
}

void wl_siblings_prepare(struct wl_siblings *s, unsigned int n,
			 const enum wl_sibling_kind *kinds)
{
	size_t page = wl_page_size();
	unsigned int faulters = 0;
	int fds[2];

	memset(s, 0, sizeof(*s));
	s->n = n;
	s->pipe_rd = -1;
	s->pipe_wr = -1;
	if (!n)
		return;

	s->sib = calloc(n, sizeof(*s->sib));
	s->tids = calloc(n, sizeof(*s->tids));
	if (!s->sib || !s->tids)
		wl_die("calloc");

	for (unsigned int i = 0; i < n; i++) {
		s->sib[i].set = s;
		s->sib[i].kind = kinds[i];
		if (kinds[i] == WL_SIB_FAULT)
			faulters++;
	}

	if (pipe2(fds, O_CLOEXEC))
		wl_die("pipe2");
	s->pipe_rd = fds[0];
	s->pipe_wr = fds[1];

	if (faulters) {
		s->fault_slice = WL_FAULT_PAGES * page;
		s->fault_buf = mmap(NULL, faulters * s->fault_slice,
				    PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (s->fault_buf == MAP_FAILED)
			wl_die("mmap fault buffer");
		faulters = 0;
		for (unsigned int i = 0; i < n; i++)
			if (kinds[i] == WL_SIB_FAULT)
				s->sib[i].buf = s->fault_buf + faulters++ * s->fault_slice;
	}
}

/*
 * Is thread tid of this process blocked in read()?  /proc/PID/syscall
 * starts with the syscall number.  -1: cannot tell (no such file).
 */
static int wl_tid_in_read(pid_t tid)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "running" while on a CPU, "-1 ..." when blocked outside a syscall */
	if (buf[0] < '0' || buf[0] > '9')
		return 0;
	return strtol(buf, NULL, 10) == SYS_read;
}

static bool wl_sibling_ready(struct wl_sibling *sib)
{
	pid_t tid = __atomic_load_n(&sib->tid, __ATOMIC_ACQUIRE);

	if (!tid)
		return false;
	if (sib->kind == WL_SIB_IDLE)
		return wl_tid_in_read(tid) != 0;	/* -1: cannot tell, go on */
	return __atomic_load_n(&sib->loops, __ATOMIC_ACQUIRE) > 0;
}

void wl_siblings_start(struct wl_siblings *s)
{
	uint64_t deadline = wl_now_ns() + WL_START_TIMEOUT_NS;
	pthread_attr_t attr;
	int ret;

	if (!s->n)
		return;
	if ((ret = pthread_attr_init(&attr)) ||
	    (ret = pthread_attr_setstacksize(&attr, WL_SIBLING_STACK))) {
		errno = ret;
		wl_die("pthread_attr");
	}
	for (unsigned int i = 0; i < s->n; i++) {
		ret = pthread_create(&s->sib[i].thread, &attr, wl_sibling_main, &s->sib[i]);
		if (ret) {
			errno = ret;
			wl_die("pthread_create (sibling %u)", i + 1);
		}
	}
	pthread_attr_destroy(&attr);

	for (unsigned int i = 0; i < s->n; i++) {
		while (!wl_sibling_ready(&s->sib[i])) {
			if (wl_now_ns() > deadline)
				wl_fail("sibling %u did not start within 10 s", i + 1);
			wl_sleep_ms(1);
		}
		s->tids[i] = s->sib[i].tid;
	}
}

void wl_siblings_stop(struct wl_siblings *s, uint64_t *fault_loops,
		      uint64_t *churn_ops)
{
	uint64_t faults = 0, churns = 0;

	if (s->n) {
		__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
		if (close(s->pipe_wr))
			wl_die("close pipe");
		s->pipe_wr = -1;
		for (unsigned int i = 0; i < s->n; i++) {
			int ret = pthread_join(s->sib[i].thread, NULL);

			if (ret) {
				errno = ret;
				wl_die("pthread_join");
			}
			if (s->sib[i].kind == WL_SIB_FAULT)
				faults += s->sib[i].loops;
			else if (s->sib[i].kind == WL_SIB_CHURN)
				churns += s->sib[i].loops;
		}
		close(s->pipe_rd);
		s->pipe_rd = -1;
	}
	if (fault_loops)
		*fault_loops = faults;
	if (churn_ops)
		*churn_ops = churns;
}
