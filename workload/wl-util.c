// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What every mode shares: messages, option values, clocks, the VMA count,
 * the region of non-mergeable VMAs, forking, and the JSON writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

/* ---- messages ----------------------------------------------------- */

/*
 * Messages are formatted on the stack and written with one write(2):
 * no stdio buffer is ever allocated for them, so they may be used
 * between the two VMA counts and from any thread.
 */
static void wl_vmsg(const char *prefix, const char *fmt, va_list ap, int err)
{
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), WL_PROG ": %s", prefix);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if ((size_t)n >= sizeof(line) - 80)
		n = sizeof(line) - 80;
	if (err)
		n += snprintf(line + n, sizeof(line) - n, ": %s", strerror(err));
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void wl_die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	wl_vmsg("error: ", fmt, ap, err ? err : EIO);
	va_end(ap);
	exit(FL_EXIT_FAILURE);
}

void wl_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wl_vmsg("error: ", fmt, ap, 0);
	va_end(ap);
	exit(FL_EXIT_FAILURE);
}

void wl_usage_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wl_vmsg("error: ", fmt, ap, 0);
	va_end(ap);
	exit(FL_EXIT_USAGE);
}

void wl_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wl_vmsg("", fmt, ap, 0);
	va_end(ap);
}

/* ---- options ------------------------------------------------------ */

unsigned long wl_parse_ulong(const char *opt, const char *arg,
			     unsigned long min, unsigned long max)
{
	unsigned long val;
	char *end;

	if (!*arg || *arg == '-' || *arg == '+' || *arg == ' ')
		wl_usage_err("%s: '%s' is not a number", opt, arg);
	errno = 0;
	val = strtoul(arg, &end, 10);
	if (*end)
		wl_usage_err("%s: '%s' is not a number", opt, arg);
	if (errno == ERANGE || val < min || val > max)
		wl_usage_err("%s: %s is out of range (%lu..%lu)", opt, arg, min, max);
	return val;
}

static const char *wl_longopt_name(const struct option *longopts, int val)
{
	for (; longopts->name; longopts++)
		if (!longopts->flag && longopts->val == val)
			return longopts->name;
	return NULL;
}

bool wl_common_opt(struct wl_common *com, int c, char **argv,
		   const struct option *longopts)
{
	const char *name;

	switch (c) {
	case 'J':
		com->json_path = optarg;
		return true;
	case 'h':
		wl_usage(stdout);
		exit(FL_EXIT_OK);
	case ':':
		name = wl_longopt_name(longopts, optopt);
		if (name)
			wl_usage_err("option '--%s' needs a value", name);
		wl_usage_err("option '%s' needs a value", argv[optind - 1]);
	case '?':
		name = optopt ? wl_longopt_name(longopts, optopt) : NULL;
		if (name)
			wl_usage_err("option '--%s' takes no value", name);
		if (optopt)
			wl_usage_err("unknown option '-%c' (try --help)", optopt);
		wl_usage_err("unknown option '%s' (try --help)", argv[optind - 1]);
	}
	return false;
}

void wl_common_finish(struct wl_common *com, int argc, char **argv)
{
	if (optind < argc)
		wl_usage_err("unexpected argument '%s' (try --help)", argv[optind]);

	com->json_fd = STDOUT_FILENO;
	if (!com->json_path)
		return;
	if (!*com->json_path)
		wl_usage_err("--json: empty file name");
	com->json_fd = open(com->json_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (com->json_fd < 0)
		wl_die("cannot create %s", com->json_path);
}

/* ---- time --------------------------------------------------------- */

uint64_t wl_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		wl_die("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ull + (uint64_t)tv->tv_usec * 1000ull;
}

uint64_t wl_cpu_ns(void)
{
	struct rusage self, children;

	if (getrusage(RUSAGE_SELF, &self) || getrusage(RUSAGE_CHILDREN, &children))
		wl_die("getrusage");
	return tv_ns(&self.ru_utime) + tv_ns(&self.ru_stime) +
	       tv_ns(&children.ru_utime) + tv_ns(&children.ru_stime);
}

void wl_sleep_until_ns(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / 1000000000ull,
		.tv_nsec = deadline % 1000000000ull,
	};
	int ret;

	while ((ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL))) {
		if (ret != EINTR) {
			errno = ret;
			wl_die("clock_nanosleep");
		}
	}
}

void wl_sleep_ms(unsigned long ms)
{
	wl_sleep_until_ns(wl_now_ns() + (uint64_t)ms * 1000000ull);
}

size_t wl_page_size(void)
{
	static size_t page;

	if (!page) {
		long ret = sysconf(_SC_PAGESIZE);

		if (ret <= 0)
			wl_die("sysconf(_SC_PAGESIZE)");
		page = ret;
	}
	return page;
}

/* ---- VMAs --------------------------------------------------------- */

/*
 * Call @fn for each line of /proc/self/@name.  No stdio, no malloc: nothing
 * here may add a VMA to the mm being counted.  A line longer than the buffer
 * is passed cut, with @cut set.
 */
static void proc_self_lines(const char *name, void (*fn)(const char *line, size_t len,
							     bool cut, long *n), long *n)
{
	static char buf[64 * 1024], line[4096];
	char path[64] = "/proc/self/";
	size_t len = 0;
	bool cut = false;
	ssize_t got;
	int fd;

	strncat(path, name, sizeof(path) - strlen(path) - 1);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		wl_die("open %s", path);
	for (;;) {
		got = read(fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			wl_die("read %s", path);
		if (!got)
			break;
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = buf[i];
				else
					cut = true;
				continue;
			}
			line[len] = '\0';
			fn(line, len, cut, n);
			len = 0;
			cut = false;
		}
	}
	close(fd);
}

/* every maps line is a VMA, except the [vsyscall] page (not in the mm) */
static void count_vma(const char *line, size_t len, bool cut, long *n)
{
	static const char vsyscall[] = "[vsyscall]";
	const size_t vlen = sizeof(vsyscall) - 1;

	if (cut || len < vlen || memcmp(line + len - vlen, vsyscall, vlen))
		(*n)++;
}

long wl_count_vmas(void)
{
	long n = 0;

	proc_self_lines("maps", count_vma, &n);
	return n;
}

void wl_region_create(struct wl_region *r, unsigned long n, bool touch)
{
	size_t page = wl_page_size();
	char *mem;

	r->start = NULL;
	r->len = 0;
	r->vmas = 0;
	if (!n)
		return;

	mem = mmap(NULL, (n + 2) * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		wl_die("mmap of %lu pages", n + 2);
	/* a hole on each side: the end VMAs have no neighbour to merge with */
	if (munmap(mem, page) || munmap(mem + (n + 1) * page, page))
		wl_die("munmap");
	r->start = mem + page;
	r->len = n * page;

	if (touch)
		for (unsigned long i = 0; i < n; i++)
			r->start[i * page] = 1;

	for (unsigned long i = 0; i < n; i += 2) {
		if (!mprotect(r->start + i * page, page, PROT_READ))
			continue;
		if (errno == ENOMEM)
			wl_die("mprotect of page %lu of %lu (more VMAs than vm.max_map_count?)",
			       i + 1, n);
		wl_die("mprotect");
	}
	r->vmas = n;
}

void wl_dontfork_create(struct wl_region *r, unsigned long n)
{
	size_t page = wl_page_size();
	char *mem;

	r->start = NULL;
	r->len = 0;
	r->vmas = 0;
	if (!n)
		return;
	/* pages 1, 3, ..., 2n-1 stay, each between two holes: no merging */
	mem = mmap(NULL, (2 * n + 1) * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		wl_die("mmap of %lu pages", 2 * n + 1);
	for (unsigned long i = 0; i <= n; i++)
		if (munmap(mem + 2 * i * page, page))
			wl_die("munmap");
	for (unsigned long i = 0; i < n; i++)
		if (madvise(mem + (2 * i + 1) * page, page, MADV_DONTFORK))
			wl_die("madvise(MADV_DONTFORK) of page %lu of %lu", i + 1, n);
	r->start = mem + page;
	r->len = (2 * n - 1) * page;
	r->vmas = n;
}

/* a VMA whose VmFlags hold "dc" (VM_DONTCOPY) */
static void count_dontcopy(const char *line, size_t len, bool cut, long *n)
{
	const char *p;

	(void)len;
	(void)cut;
	if (strncmp(line, "VmFlags:", 8))
		return;
	for (p = line + 8; (p = strstr(p, "dc")); p += 2)
		if (p[-1] == ' ' && (p[2] == ' ' || !p[2])) {
			(*n)++;
			return;
		}
}

long wl_count_dontcopy(void)
{
	long n = 0;

	proc_self_lines("smaps", count_dontcopy, &n);
	return n;
}

/* ---- children ----------------------------------------------------- */

void wl_reap(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			wl_die("waitpid %d", (int)pid);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		wl_fail("%s child %d did not exit 0 (wait status 0x%x)",
			what, (int)pid, status);
}

pid_t wl_fork_wait(void)
{
	pid_t pid = fork();

	if (pid < 0)
		wl_die("fork");
	if (!pid)
		_exit(0);
	wl_reap(pid, "fork");
	return pid;
}

void wl_hold(unsigned long ms)
{
	if (!ms)
		return;
	wl_note("holding pid %d for %lu ms", (int)getpid(), ms);
	wl_sleep_ms(ms);
}

/* ---- JSON --------------------------------------------------------- */

void wl_json_begin(struct wl_json *j)
{
	j->buf = NULL;
	j->len = 0;
	j->f = open_memstream(&j->buf, &j->len);
	if (!j->f)
		wl_die("open_memstream");
	fputc('{', j->f);
	j->first = true;
}

static void wl_json_key(struct wl_json *j, const char *key)
{
	if (!j->first)
		fputc(',', j->f);
	j->first = false;
	fprintf(j->f, "\"%s\":", key);
}

void wl_json_str(struct wl_json *j, const char *key, const char *val)
{
	wl_json_key(j, key);
	fputc('"', j->f);
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

void wl_json_i64(struct wl_json *j, const char *key, int64_t val)
{
	wl_json_key(j, key);
	fprintf(j->f, "%lld", (long long)val);
}

void wl_json_u64(struct wl_json *j, const char *key, uint64_t val)
{
	wl_json_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)val);
}

void wl_json_bool(struct wl_json *j, const char *key, bool val)
{
	wl_json_key(j, key);
	fputs(val ? "true" : "false", j->f);
}

void wl_json_null(struct wl_json *j, const char *key)
{
	wl_json_key(j, key);
	fputs("null", j->f);
}

void wl_json_pids(struct wl_json *j, const char *key, const pid_t *pids, size_t n)
{
	wl_json_key(j, key);
	fputc('[', j->f);
	for (size_t i = 0; i < n; i++)
		fprintf(j->f, "%s%d", i ? "," : "", (int)pids[i]);
	fputc(']', j->f);
}

void wl_json_u64s(struct wl_json *j, const char *key, const uint64_t *v, size_t n)
{
	wl_json_key(j, key);
	fputc('[', j->f);
	for (size_t i = 0; i < n; i++)
		fprintf(j->f, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
	fputc(']', j->f);
}

void wl_json_i64s(struct wl_json *j, const char *key, const int64_t *v, size_t n)
{
	wl_json_key(j, key);
	fputc('[', j->f);
	for (size_t i = 0; i < n; i++)
		fprintf(j->f, "%s%lld", i ? "," : "", (long long)v[i]);
	fputc(']', j->f);
}

void wl_json_self(struct wl_json *j)
{
	char comm[17] = "";

	if (prctl(PR_GET_NAME, comm, 0, 0, 0))
		wl_die("prctl(PR_GET_NAME)");
	wl_json_i64(j, "pid", gettid());
	wl_json_i64(j, "tgid", getpid());
	wl_json_str(j, "comm", comm);
}

void wl_json_end(struct wl_json *j, const struct wl_common *com)
{
	size_t off = 0;

	fputs("}\n", j->f);
	if (fclose(j->f))
		wl_die("writing JSON");
	while (off < j->len) {
		ssize_t n = write(com->json_fd, j->buf + off, j->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			wl_die("write %s", com->json_path ? com->json_path : "stdout");
		off += n;
	}
	if (com->json_path && close(com->json_fd))
		wl_die("close %s", com->json_path);
	free(j->buf);
}
