// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Opening a trace for replay: the checker's look first (tracedat/check.h:
 * a file it refuses is never given to libtracecmd), one error line for
 * what it refuses, then libtracecmd's open, and what the file says of
 * itself (kernel, CPUs, clock, lost events) into the trace's fl_trace_info.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event-parse.h>
#include <trace-cmd.h>

#include "forklock-exit.h"
#include "log.h"
#include "replay/replay-int.h"
#include "tracedat/check.h"

/* private libtracecmd getters (not in trace-cmd.h): used when present */
const char *tracecmd_get_uname(struct tracecmd_input *handle) __attribute__((weak));
const char *tracecmd_get_cpustats(struct tracecmd_input *handle) __attribute__((weak));
const char *tracecmd_get_trace_clock(struct tracecmd_input *handle) __attribute__((weak));
int tracecmd_cpus(struct tracecmd_input *handle) __attribute__((weak));

static void kernel_from_uname(struct fl_trace_info *info, const char *uname)
{
	char sys[64], node[128], rel[96];

	if (uname && sscanf(uname, "%63s %127s %95s", sys, node, rel) == 3) {
		snprintf(info->kernel, sizeof(info->kernel), "%s", rel);
		snprintf(info->host, sizeof(info->host), "%.64s", node);
	}
}

static const char *kind_of(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/*
 * The input, opened without blocking (a FIFO with no writer would hang
 * open() and every read) and refused unless it is a regular file: the
 * checker walks it by offsets, and libtracecmd maps it.
 */
static int open_input(const char *path)
{
	struct stat st;
	int fd, flags;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -fl_err(FL_EXIT_INPUT, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -fl_err(FL_EXIT_INPUT, "cannot open %s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -fl_err(FL_EXIT_INPUT, "%s is %s, not a trace.dat", path, kind_of(st.st_mode));
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
}

/*
 * libtracecmd's open of the file the checker looked at (not of @path
 * again: it may have been replaced since).  It gets a copy of @fd, and
 * closes it on its own failure only sometimes: closed here if it did not.
 */
static struct tracecmd_input *open_checked(int fd)
{
	struct tracecmd_input *handle;
	int copy;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return NULL;
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (copy < 0)
		return NULL;
	handle = tracecmd_open_fd(copy, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!handle && fcntl(copy, F_GETFD) >= 0)
		close(copy);
	return handle;
}

int replay_open(const char *path, struct tracecmd_input **handle, struct fl_trace_info *info,
		struct fl_tdcheck *checked, int *fd_out)
{
	struct fl_tdcheck check;
	enum fl_tdcheck_result pr;
	int fd;

	fd = open_input(path);
	if (fd < 0)
		return -fd;
	pr = fl_tdcheck_file(fd, &check);
	if (pr != FL_TDCHECK_OK)
		close(fd);
	switch (pr) {
	case FL_TDCHECK_OK:
		break;
	case FL_TDCHECK_NOT_TRACEDAT:
		return fl_err(FL_EXIT_FORMAT, "%s is not a trace.dat file (%s)", path, check.why);
	case FL_TDCHECK_BAD_VERSION:
		return fl_err(FL_EXIT_FORMAT, "%s: %s", path, check.why);
	case FL_TDCHECK_TRUNCATED:
		return fl_err(FL_EXIT_TRUNCATED, "%s is truncated: %s", path, check.why);
	case FL_TDCHECK_CORRUPT:
		return fl_err(FL_EXIT_FORMAT, "%s is a corrupt trace.dat: %s", path, check.why);
	case FL_TDCHECK_NOMEM:
		return fl_err(FL_EXIT_FAILURE, "%s: out of memory checking it", path);
	}
	info->file_version = check.version;
	info->nr_cpus = check.nr_cpus;
	kernel_from_uname(info, check.uname);
	snprintf(info->clock, sizeof(info->clock), "%s", check.clock);
	info->lost_events_cpustat = check.overrun;

	tracecmd_set_loglevel(TEP_LOG_NONE);
	*handle = open_checked(fd);
	if (!*handle || !fd_out)
		close(fd);
	else
		*fd_out = fd;
	if (!*handle || !checked)
		fl_tdcheck_free(&check);
	else
		*checked = check;
	/* it opened in the checker's child: what fails here is memory */
	if (!*handle)
		return fl_err(FL_EXIT_PARTIAL, "%s: libtracecmd cannot open it here, though it did "
			      "in a child process: out of memory or address space (ulimit -v?)",
			      path);
	tep_set_loglevel(TEP_LOG_NONE);
	if (!check.uname[0] && tracecmd_get_uname)
		kernel_from_uname(info, tracecmd_get_uname(*handle));
	if (!info->nr_cpus && tracecmd_cpus)
		info->nr_cpus = tracecmd_cpus(*handle);
	if (!info->clock[0] && tracecmd_get_trace_clock) {
		const char *c = tracecmd_get_trace_clock(*handle);

		if (c)
			snprintf(info->clock, sizeof(info->clock), "%s", c);
	}
	if (!check.has_cpustat && tracecmd_get_cpustats) {
		const char *o = tracecmd_get_cpustats(*handle);

		while (o && (o = strstr(o, "\noverrun:"))) {
			info->lost_events_cpustat += strtoull(o + 9, NULL, 10);
			o++;
		}
	}
	return 0;
}

int replay_source(void)
{
	const char *v = getenv("FORKLOCK_REPLAY");

	if (!v || !*v || !strcmp(v, "auto"))
		return SRC_AUTO;
	if (!strcmp(v, "libtracecmd"))
		return SRC_LIBTRACECMD;
	if (!strcmp(v, "pages"))
		return SRC_PAGES;
	if (!strcmp(v, "threads"))
		return SRC_THREADS;
	return -1;
}

int fl_replay_check(const char *path)
{
	struct tracecmd_input *handle = NULL;
	struct fl_trace_info info = { 0 };
	struct fl_decoder dec;
	char why[256];
	int ret;

	if (replay_source() < 0)
		return fl_err(FL_EXIT_USAGE, "FORKLOCK_REPLAY=%s: not libtracecmd, pages, threads "
			      "or auto", getenv("FORKLOCK_REPLAY"));
	ret = replay_open(path, &handle, &info, NULL, NULL);
	if (ret)
		return ret;
	ret = fl_decoder_init(&dec, tracecmd_get_tep(handle), why, sizeof(why));
	fl_decoder_free(&dec);
	tracecmd_close(handle);
	if (ret < 0)
		return fl_err(FL_EXIT_LAYOUT, "%s: %s", path, why);
	return FL_EXIT_OK;
}

