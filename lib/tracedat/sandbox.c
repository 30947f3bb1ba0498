// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libtracecmd's own open of a trace.dat, tried in a child process first.
 *
 * libtracecmd's and libtraceevent's parsers trust the file: a format that
 * divides by zero in its print fmt, a byte they do not expect in a field
 * declaration, a section they half read before failing (3.1.6 then frees
 * lists it never set up) ... end in a signal, inside tracecmd_open().  If
 * the child crashes, hangs or fails, the checker (check.c) refuses the file
 * and libtracecmd never opens it in this process.  The child also sends,
 * for every event format, how many bytes its fixed fields span.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <trace-cmd.h>

#include "tracedat/format.h"
#include "tracedat/tracedat-local.h"

#define OPEN_TIMEOUT_MS	20000		/* libtracecmd's open, in a child */
#define CHILD_AS_BUDGET	(1ULL << 30)	/* address space the child may add */

/*
 * The child may map or allocate CHILD_AS_BUDGET beyond what it had at the
 * fork (so a sanitizer's reserved shadow, already there, is not counted):
 * one input cannot make libtracecmd take gigabytes (a version 7 file cut
 * short made it allocate 3.4 GB), whatever the caller's own limit.
 */
static void limit_address_space(void)
{
	unsigned long long pages = 0;
	struct rlimit as;
	FILE *f;

	f = fopen("/proc/self/statm", "r");
	if (!f)
		return;
	if (fscanf(f, "%llu", &pages) != 1)
		pages = 0;
	fclose(f);
	if (!pages || getrlimit(RLIMIT_AS, &as) < 0)
		return;
	pages = pages * (unsigned long long)sysconf(_SC_PAGESIZE) + CHILD_AS_BUDGET;
	if (as.rlim_cur == RLIM_INFINITY || pages < as.rlim_cur) {
		as.rlim_cur = pages;
		setrlimit(RLIMIT_AS, &as);
	}
}

static uint32_t event_need(const struct tep_event *ev)
{
	const struct tep_format_field *f;
	int64_t end = 8;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (f = pass ? ev->format.fields : ev->format.common_fields; f; f = f->next) {
			if (f->offset < 0 || f->size < 0)
				return UINT16_MAX;
			if ((int64_t)f->offset + f->size > end)
				end = (int64_t)f->offset + f->size;
		}
	return end > UINT16_MAX ? UINT16_MAX : (uint32_t)end;
}

/*
 * Version 7 files (trace-cmd record's default: sections, usually
 * compressed) are not walked here: the child iterates every record as
 * replay will, and checks each is as long as its format.
 */
static uint16_t *child_need;

static int child_record(struct tracecmd_input *handle, struct tep_record *rec, int cpu, void *data)
{
	struct tep_handle *tep = data;
	int id;

	if (rec->size < 8)
		_exit(5);
	id = tep_data_type(tep, rec);
	if (id >= 0 && id <= TRACEDAT_MAX_EVENT_ID && child_need[id] > rec->size)
		_exit(5);
	return 0;
}

static void __attribute__((noreturn)) open_child(int fd, int out, bool iterate)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP };
	struct rlimit nocore = { 0, 0 };
	struct tracecmd_input *handle;
	struct tep_handle *tep;
	struct tep_event **all;
	uint32_t pair[2];
	size_t i;
	int null, n;

	/* die of a crash (no core, no fuzzer's or sanitizer's handler), quietly */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	setrlimit(RLIMIT_CORE, &nocore);
	limit_address_space();
	null = open("/dev/null", O_WRONLY);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	tracecmd_set_loglevel(TEP_LOG_NONE);
	tep_set_loglevel(TEP_LOG_NONE);
	handle = tracecmd_open_fd(fd, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!handle)
		_exit(3);
	tep = tracecmd_get_tep(handle);
	all = tep_list_events(tep, TEP_EVENT_SORT_ID);
	n = tep_get_events_count(tep);
	child_need = calloc(TRACEDAT_MAX_EVENT_ID + 1, sizeof(*child_need));
	if (!child_need)
		_exit(4);
	for (i = 0; all && (int)i < n; i++) {
		if (all[i]->id < 0 || all[i]->id > TRACEDAT_MAX_EVENT_ID)
			continue;
		pair[0] = (uint32_t)all[i]->id;
		pair[1] = event_need(all[i]);
		child_need[pair[0]] = (uint16_t)pair[1];
		if (write(out, pair, sizeof(pair)) != sizeof(pair))
			_exit(4);
	}
	if (iterate && tracecmd_iterate_events(handle, NULL, 0, child_record, tep) < 0)
		_exit(6);
	_exit(0);
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT";
	case SIGKILL: return "SIGKILL";
	}
	return "a signal";
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -2;
}

int fl_sandbox_open(int file_fd, int version, uint64_t file_size, uint16_t *need,
		    char *why, size_t len)
{
	/* reading a version 7 file's events takes longer: 1 s more per 16 MB */
	uint64_t limit = OPEN_TIMEOUT_MS + (version == 6 ? 0 : (file_size >> 24) * 1000);
	uint64_t deadline = now_ms() + limit;
	int pipefd[2], status = 0, fd, ret = 0;
	uint8_t buf[4096];
	size_t have = 0;
	bool killed = false;
	pid_t pid;

	fd = dup(file_fd);
	if (fd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		if (fd >= 0)
			close(fd);
		return fail(why, len, "cannot check the file: %s", strerror(errno));
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fd);
		close(pipefd[0]);
		close(pipefd[1]);
		return fail(why, len, "cannot check the file: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(pipefd[0]);
		open_child(fd, pipefd[1], version != 6);
	}
	close(fd);
	close(pipefd[1]);
	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;
		size_t i;

		if (now >= deadline) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		if (poll(&pfd, 1, (int)(deadline - now)) < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			break;
		}
		if (!pfd.revents)
			continue;
		n = read(pipefd[0], buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		for (i = 0; i + 8 <= have; i += 8) {
			uint32_t pair[2];

			memcpy(pair, buf + i, sizeof(pair));
			if (pair[0] <= TRACEDAT_MAX_EVENT_ID)
				need[pair[0]] = (uint16_t)pair[1];
		}
		memmove(buf, buf + i, have - i);
		have -= i;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (killed)
		ret = fail(why, len, "libtracecmd does not finish opening it (stopped after %d s)",
			   (int)(limit / 1000));
	else if (WIFSIGNALED(status))
		ret = fail(why, len, "libtracecmd crashes opening it (%s)", signame(WTERMSIG(status)));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) == 3)
		ret = fail(why, len, "libtracecmd cannot open it");
	else if (WEXITSTATUS(status) == 5)
		ret = fail(why, len, "it has events shorter than their formats");
	else if (WEXITSTATUS(status) == 6)
		ret = fail(why, len, "libtracecmd cannot read its events");
	else if (WEXITSTATUS(status))
		ret = fail(why, len, "libtracecmd fails opening it (exit %d)", WEXITSTATUS(status));
	return ret;
}

