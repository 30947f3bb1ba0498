// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One recording, from setup to trace.dat:
 *
 *   checks (privilege, tracefs, events, output, COMMAND) -- nothing touched yet
 *   remove stale forklock instances
 *   instance forklock-<pid>: tracing off, clock mono, buffer size, our own
 *     pid excluded, events on
 *   COMMAND forked, held on a pipe; per-CPU readers started
 *   tracing on; /proc snapshot; COMMAND released
 *   wait: COMMAND exit, --duration, SIGINT, SIGTERM, SIGHUP
 *   tracing off; readers drain and close; per-CPU stats read; instance removed
 *   trace.dat written: metadata, snapshot page, per-CPU pages
 *
 * Every failure after the instance exists goes through cleanup(), which turns
 * tracing off, stops the readers and removes the instance.  Signals are
 * blocked from the start and only taken in the wait loop, so an interrupt
 * during setup ends the recording right after it begins, through the same
 * path.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <tracefs.h>

#include "events/events.h"
#include "events/snapline.h"
#include "forklock-exit.h"
#include "log.h"
#include "record/btf.h"
#include "record/kprobes.h"
#include "record/record.h"
#include "tracedat/ringpage.h"
#include "tracedat/write.h"
#include "shell.h"

#define TRACE_CLOCK "mono"

struct recorder {
	const struct fl_record_opts *opts;
	struct fl_host host;
	struct tracefs_instance *instance;
	struct fl_stream *stream;
	struct fl_snapshot snap;
	int out_fd;
	bool out_created;
	int *cpu_fds;
	int nr_cpus;
	unsigned int page_size;
	char clock[32];
	uint64_t t0;
	pid_t child;
	int child_go;		/* write end: one byte releases COMMAND */
	int child_err;		/* read end: errno of a failed exec */
	int child_status;
	char **stats;		/* per-CPU stats text */
	bool kprobe_tier;
	struct fl_probe_set probes;
	const struct fl_dynevent_ops *probe_ops;
	struct fl_probe_injection inject;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- checks before anything is touched --------------------------------- */

/* execvp's search, done up front so a bad COMMAND fails before tracing */
static int resolve_command(const char *name, char *path, size_t len)
{
	const char *p, *dirs = getenv("PATH");
	bool found_noexec = false;
	struct stat st;

	if (strchr(name, '/')) {
		snprintf(path, len, "%s", name);
		if (stat(path, &st) < 0)
			return FL_EXIT_CMD_NOTFOUND;
		if (S_ISDIR(st.st_mode) || access(path, X_OK) < 0)
			return FL_EXIT_CMD_NOEXEC;
		return 0;
	}
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (p = dirs; ; p = strchr(p, ':') + 1) {
		size_t dl = strcspn(p, ":");

		snprintf(path, len, "%.*s%s%s", (int)dl, dl ? p : ".", "/", name);
		if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(path, X_OK) == 0)
				return 0;
			found_noexec = true;
		}
		if (!p[dl])
			break;
	}
	return found_noexec ? FL_EXIT_CMD_NOEXEC : FL_EXIT_CMD_NOTFOUND;
}

static int check_events(void)
{
	size_t i;

	for (i = 0; i < FL_EV_NR; i++) {
		const struct fl_event_spec *e = &fl_events[i];

		if (e->record == FL_RECORD_WINDOW && !fl_event_present(e->system, e->name))
			return fl_err(FL_EXIT_EVENTS,
				      "this kernel has no %s:%s tracepoint (%s); fork windows cannot be recorded",
				      e->system, e->name, e->why);
	}
	return 0;
}

static int open_output(struct recorder *r)
{
	const char *path = r->opts->output;
	struct stat st;

	/* --force replaces the file (or the symlink itself): a new 0600 file */
	if (r->opts->force && lstat(path, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(path) < 0)
		return fl_err(FL_EXIT_OUTPUT, "cannot replace %s: %s", path, strerror(errno));
	r->out_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (r->out_fd < 0) {
		if (errno == EEXIST)
			return fl_err(FL_EXIT_OUTPUT, "%s exists (use --force to overwrite it)", path);
		return fl_err(FL_EXIT_OUTPUT, "cannot create %s: %s", path, strerror(errno));
	}
	r->out_created = true;
	return 0;
}

/* Unlinked temporary files next to the output: nothing is left on a crash. */
static int open_cpu_files(struct recorder *r)
{
	char *dup = strdup(r->opts->output);
	const char *dir;
	int cpu;

	if (!dup)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	dir = dirname(dup);
	r->cpu_fds = malloc(sizeof(int) * r->nr_cpus);
	if (!r->cpu_fds) {
		free(dup);
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	}
	for (cpu = 0; cpu < r->nr_cpus; cpu++)
		r->cpu_fds[cpu] = -1;
	for (cpu = 0; cpu < r->nr_cpus; cpu++) {
		r->cpu_fds[cpu] = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (r->cpu_fds[cpu] < 0) {
			char tmpl[4096];

			/* file systems without O_TMPFILE */
			snprintf(tmpl, sizeof(tmpl), "%s/.forklock-cpu%d-XXXXXX", dir, cpu);
			r->cpu_fds[cpu] = mkostemp(tmpl, O_CLOEXEC);
			if (r->cpu_fds[cpu] >= 0)
				unlink(tmpl);
		}
		if (r->cpu_fds[cpu] < 0) {
			int ret = fl_err(FL_EXIT_OUTPUT, "cannot create temporary files in %s: %s",
					 dir, strerror(errno));
			free(dup);
			return ret;
		}
	}
	free(dup);
	return 0;
}

/* ---- the instance ------------------------------------------------------- */

static int instance_write(struct recorder *r, const char *file, const char *val)
{
	if (tracefs_instance_file_write(r->instance, file, val) < 0) {
		char *err = tracefs_error_last(r->instance);
		int ret = fl_err(FL_EXIT_TRACEFS, "cannot write '%s' to %s in the instance: %s",
				 val, file, err && *err ? err : strerror(errno));
		free(err);
		return ret;
	}
	return 0;
}

static int setup_instance(struct recorder *r)
{
	char name[64], val[32];
	unsigned int kb = r->opts->buffer_kb ? r->opts->buffer_kb : FL_DEFAULT_BUFFER_KB;
	char *clock;
	size_t i;
	int ret;

	fl_instance_name(name, sizeof(name), getpid());
	if (tracefs_instance_exists(name)) {
		/* left by an earlier process that had our pid */
		fl_instance_destroy(tracefs_instance_alloc(NULL, name));
	}
	r->instance = tracefs_instance_create(name);
	if (!r->instance)
		return fl_err(FL_EXIT_TRACEFS, "cannot create tracefs instance %s: %s",
			      name, strerror(errno));
	/* a new instance starts with tracing on */
	if (tracefs_trace_off(r->instance) < 0)
		return fl_err(FL_EXIT_TRACEFS, "cannot turn tracing off in %s: %s",
			      name, strerror(errno));
	ret = instance_write(r, "trace_clock", TRACE_CLOCK);
	if (ret)
		return ret;
	clock = tracefs_get_clock(r->instance);
	snprintf(r->clock, sizeof(r->clock), "%s", clock ? clock : "local");
	free(clock);
	if (tracefs_instance_set_buffer_size(r->instance, kb, -1) < 0)
		return fl_err(FL_EXIT_TRACEFS, "cannot set the buffer to %u KB per CPU: %s",
			      kb, strerror(errno));
	if (tracefs_file_exists(r->instance, "set_event_notrace_pid")) {
		snprintf(val, sizeof(val), "%d", (int)getpid());
		ret = instance_write(r, "set_event_notrace_pid", val);
		if (ret)
			return ret;
	}
	for (i = 0; i < FL_EV_NR; i++) {
		const struct fl_event_spec *e = &fl_events[i];

		if (e->record == FL_RECORD_NO)
			continue;
		if (!fl_event_present(e->system, e->name)) {
			fl_warn("no %s:%s on this kernel: %s will be missing from the report",
				e->system, e->name, e->why);
			continue;
		}
		if (tracefs_event_enable(r->instance, e->system, e->name) < 0)
			return fl_err(FL_EXIT_TRACEFS, "cannot enable %s:%s: %s",
				      e->system, e->name, strerror(errno));
	}
	for (i = 0; i < FL_EV_NR; i++) {
		const struct fl_event_spec *f = &fl_events[i];
		char file[160];

		if (f->record == FL_RECORD_NO || !f->filter || !fl_event_present(f->system, f->name))
			continue;
		snprintf(file, sizeof(file), "events/%s/%s/filter", f->system, f->name);
		if (tracefs_instance_file_write(r->instance, file, f->filter) < 0)
			fl_warn("this kernel refused the filter '%s' on %s:%s: recording it unfiltered",
				f->filter, f->system, f->name);
	}
	return 0;
}

/* The readers' own page faults and locks are not the workload's. */
static int exclude_readers(struct recorder *r)
{
	char val[32];
	int cpu;

	if (!tracefs_file_exists(r->instance, "set_event_notrace_pid"))
		return 0;
	for (cpu = 0; cpu < r->nr_cpus; cpu++) {
		pid_t tid = fl_stream_tid(r->stream, cpu);

		snprintf(val, sizeof(val), "%d", (int)tid);
		if (tid > 0 && tracefs_instance_file_append(r->instance, "set_event_notrace_pid",
							    val) < 0)
			return fl_err(FL_EXIT_TRACEFS, "cannot exclude reader %d from the events: %s",
				      (int)tid, strerror(errno));
	}
	return 0;
}

/* Sub-buffer size from events/header_page: the data field's offset + size. */
static unsigned int read_page_size(void)
{
	char *buf = tracefs_instance_file_read(NULL, "events/header_page", NULL);
	unsigned int off = 0, size = 0;
	char *p;

	if (buf) {
		p = strstr(buf, "data;");
		if (p && sscanf(p, "data;\toffset:%u;\tsize:%u;", &off, &size) != 2)
			off = size = 0;
		free(buf);
	}
	return off + size ? off + size : (unsigned int)getpagesize();
}

/* ---- COMMAND ------------------------------------------------------------- */

static int fork_command(struct recorder *r, const char *path)
{
	int go[2], err[2];
	sigset_t none;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return fl_err(FL_EXIT_FAILURE, "pipe: %s", strerror(errno));
	r->child = fork();
	if (r->child < 0)
		return fl_err(FL_EXIT_FAILURE, "fork: %s", strerror(errno));
	if (r->child == 0) {
		char c;
		int e;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		close(go[1]);
		close(err[0]);
		/* the recorder gave up before tracing started: just go */
		if (read(go[0], &c, 1) != 1)
			_exit(FL_EXIT_FAILURE);
		execv(path, r->opts->command);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(FL_EXIT_CMD_NOEXEC);
		_exit(e == ENOENT ? FL_EXIT_CMD_NOTFOUND : FL_EXIT_CMD_NOEXEC);
	}
	close(go[0]);
	close(err[1]);
	r->child_go = go[1];
	r->child_err = err[0];
	return 0;
}

static int release_command(struct recorder *r)
{
	ssize_t n;
	int e;

	if (write(r->child_go, "g", 1) != 1)
		return fl_err(FL_EXIT_FAILURE, "cannot start COMMAND: %s", strerror(errno));
	close(r->child_go);
	r->child_go = -1;
	/* closes on a successful exec, or carries its errno */
	n = read(r->child_err, &e, sizeof(e));
	close(r->child_err);
	r->child_err = -1;
	if (n == sizeof(e)) {
		if (e == ENOENT)
			return fl_err(FL_EXIT_CMD_NOTFOUND, "command not found: %s",
				      r->opts->command[0]);
		return fl_err(FL_EXIT_CMD_NOEXEC, "command is not executable: %s (%s)",
			      r->opts->command[0], strerror(e));
	}
	return 0;
}

/* ---- waiting -------------------------------------------------------------- */

/* A number of a per_cpu/cpuN/stats text ("overrun: 12"), 0 if absent. */
static uint64_t stat_value(const char *stats, const char *key)
{
	const char *p = stats;
	size_t kl = strlen(key);

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ':')
			return strtoull(p + kl + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

/*
 * Keep the readers at the lowest priority that keeps up: a CPU whose ring
 * buffer is more than half full gets its reader raised, for good.
 */
static void tend_readers(struct recorder *r)
{
	uint64_t half = (uint64_t)(r->opts->buffer_kb ? r->opts->buffer_kb : FL_DEFAULT_BUFFER_KB) * 512;
	int cpu;

	for (cpu = 0; cpu < r->nr_cpus; cpu++) {
		char file[64], *stats;
		uint64_t bytes;

		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
		stats = tracefs_instance_file_read(r->instance, file, NULL);
		bytes = stat_value(stats, "bytes");
		free(stats);
		if (bytes > half && fl_stream_renice(r->stream, cpu, FL_READER_NICE_BUSY) > 0)
			fl_notice("cpu%d's buffer was half full: its reader now runs at nice %d",
				  cpu, FL_READER_NICE_BUSY);
	}
}

/* Why to stop for space, or NULL: --max-size, or the disk filling up. */
static const char *out_of_space(struct recorder *r, char *buf, size_t len)
{
	uint64_t written = fl_stream_total_bytes(r->stream);
	struct statvfs vfs;

	if (r->opts->max_size && written >= r->opts->max_size) {
		snprintf(buf, len, "--max-size reached (%.1f MiB of trace data)", written / 1048576.0);
		return buf;
	}
	if (fstatvfs(r->cpu_fds[0], &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < FL_MIN_FREE_BYTES) {
		snprintf(buf, len, "the output's file system is nearly full (%.0f MiB free)",
			 (double)vfs.f_bavail * vfs.f_frsize / 1048576.0);
		return buf;
	}
	return NULL;
}

static const char *wait_for_end(struct recorder *r)
{
	uint64_t deadline = r->opts->duration > 0 ?
		r->t0 + (uint64_t)(r->opts->duration * 1e9) : 0;
	static char space[128];
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		struct timespec ts = { .tv_nsec = 100000000 };	/* limits checked each 100 ms */
		uint64_t now = mono_ns();
		const char *full;
		int sig;

		tend_readers(r);
		full = out_of_space(r, space, sizeof(space));
		if (full) {
			if (r->child > 0)
				kill(r->child, SIGTERM);
			return full;
		}
		if (deadline) {
			if (now >= deadline) {
				if (r->child > 0)
					kill(r->child, SIGTERM);
				return "duration";
			}
			if (deadline - now < 100000000ULL)
				ts.tv_nsec = (long)(deadline - now);
		}
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGCHLD && r->child > 0) {
			int status;

			if (waitpid(r->child, &status, WNOHANG) == r->child) {
				r->child = -1;
				r->child_status = status;
				return "command exited";
			}
		} else if (sig > 0 && sig != SIGCHLD) {
			if (r->child > 0)
				kill(r->child, sig);
			return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
			       sig == SIGHUP ? "SIGHUP" : "SIGQUIT";
		}
	}
}

/* ---- stopping and cleaning up -------------------------------------------- */

static void read_stats(struct recorder *r)
{
	int cpu;

	r->stats = calloc(r->nr_cpus, sizeof(char *));
	if (!r->stats)
		return;
	for (cpu = 0; cpu < r->nr_cpus; cpu++) {
		char file[64];

		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", cpu);
		r->stats[cpu] = tracefs_instance_file_read(r->instance, file, NULL);
	}
}

/* Tracing off, readers drained and closed, instance removed. Idempotent. */
static int stop_tracing(struct recorder *r)
{
	int ret = 0;

	if (r->instance)
		tracefs_trace_off(r->instance);
	if (r->stream) {
		ret = fl_stream_stop(r->stream);
		fl_stream_free(r->stream);
		r->stream = NULL;
	}
	if (r->instance) {
		if (!r->stats)
			read_stats(r);
		if (fl_instance_destroy(r->instance) < 0)
			fl_warn("could not remove tracefs instance forklock-%d: %s",
				(int)getpid(), strerror(errno));
		r->instance = NULL;
	}
	/* no instance uses them now; their formats go into the trace */
	if (r->probes.nr_created) {
		fl_probes_read_formats(&r->probes);
		if (fl_probes_destroy(&r->probes, r->probe_ops))
			fl_warn("could not remove some kprobes of group %s", r->probes.group);
	}
	return ret;
}

static void cleanup(struct recorder *r, bool failed)
{
	int cpu;

	stop_tracing(r);
	if (r->child_go >= 0)
		close(r->child_go);	/* a held COMMAND exits at once */
	if (r->child_err >= 0)
		close(r->child_err);
	if (r->child > 0 && failed) {
		kill(r->child, SIGTERM);
		waitpid(r->child, NULL, 0);
	}
	if (r->cpu_fds) {
		for (cpu = 0; cpu < r->nr_cpus; cpu++)
			if (r->cpu_fds[cpu] >= 0)
				close(r->cpu_fds[cpu]);
		free(r->cpu_fds);
	}
	if (r->out_fd >= 0)
		close(r->out_fd);
	if (failed && r->out_created)
		unlink(r->opts->output);
	if (r->stats) {
		for (cpu = 0; cpu < r->nr_cpus; cpu++)
			free(r->stats[cpu]);
		free(r->stats);
	}
	fl_snapshot_free(&r->snap);
	fl_probes_free(&r->probes);
}

/* ---- writing the trace.dat ----------------------------------------------- */

/* The snapshot as ftrace:print events at time t0, on their own pages. */
static int snapshot_pages(struct recorder *r, struct ringpage_builder *b)
{
	struct tep_handle *tep = tep_alloc();
	struct tep_format_field *ip, *buf;
	struct tep_event *print;
	char *fmt;
	int len, ret = -1;
	size_t i;

	if (!tep)
		return -1;
	fmt = tracefs_event_file_read(NULL, "ftrace", "print", "format", &len);
	if (!fmt || tep_parse_format(tep, &print, fmt, len, "ftrace") != 0)
		goto out;
	ip = tep_find_field(print, "ip");
	buf = tep_find_field(print, "buf");
	if (!ip || !buf)
		goto out;
	for (i = 0; i < r->snap.nr; i++) {
		/* one event must fit a page: a very long command line is cut */
		size_t tl = strnlen(r->snap.lines[i], r->page_size - buf->offset - 64);
		size_t size = (buf->offset + tl + 2 + 3) & ~3UL;
		unsigned char *ev = calloc(1, size);
		uint16_t type = (uint16_t)print->id;
		int32_t pid = getpid();

		if (!ev)
			goto out;
		memcpy(ev, &type, 2);
		memcpy(ev + 4, &pid, 4);
		memcpy(ev + buf->offset, r->snap.lines[i], tl);
		ev[buf->offset + tl] = '\n';
		ret = ringpage_add(b, r->t0, ev, size);
		free(ev);
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	free(fmt);
	tep_free(tep);
	return ret;
}

static int add_file(struct tracedat_out *out,
		    int (*add)(struct tracedat_out *, const char *, size_t),
		    const char *file)
{
	int len = 0;
	char *buf = tracefs_instance_file_read(NULL, file, &len);
	int ret = add(out, buf ? buf : "", buf ? (size_t)len : 0);

	free(buf);
	return ret;
}

static int add_format(struct tracedat_out *out, const char *system, const char *name)
{
	int len, ret;
	char *buf = tracefs_event_file_read(NULL, system, name, "format", &len);

	if (!buf)
		return 0;	/* not on this kernel: it cannot appear in the data */
	ret = tracedat_out_add_format(out, system, buf, len);
	free(buf);
	return ret;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* saved_cmdlines, plus the comm of every snapshot task the kernel did not keep */
static int add_cmdlines(struct recorder *r, struct tracedat_out *out)
{
	char *saved = tracefs_instance_file_read(NULL, "saved_cmdlines", NULL);
	char *text = NULL, *line;
	size_t len = 0, nr = 0, alloc = 0, i;
	int *pids = NULL;
	FILE *f;
	int ret;

	for (line = saved; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
		int pid;

		if (sscanf(line, "%d ", &pid) != 1)
			continue;
		if (nr == alloc) {
			int *n = realloc(pids, (alloc = alloc ? alloc * 2 : 256) * sizeof(int));

			if (!n)
				break;
			pids = n;
		}
		pids[nr++] = pid;
	}
	qsort(pids, nr, sizeof(int), cmp_int);

	f = open_memstream(&text, &len);
	if (!f) {
		free(pids);
		free(saved);
		return -1;
	}
	if (saved)
		fputs(saved, f);
	for (i = 0; i < r->snap.nr; i++) {
		const char *rest, *comm;
		size_t n;
		int pid;

		/* a task line with its pid, tgid and a comm (63 bytes at most) */
		if (fl_snapline_kind(r->snap.lines[i], &rest) != FL_SNAP_TASK ||
		    !fl_snapline_value(rest, "pid") || !fl_snapline_value(rest, "tgid") ||
		    !(comm = fl_snapline_value(rest, "comm")))
			continue;
		n = strcspn(comm, "\n");
		if (!n)
			continue;
		pid = (int)fl_snapline_num(rest, "pid", 0);
		if (nr && bsearch(&pid, pids, nr, sizeof(int), cmp_int))
			continue;
		fprintf(f, "%d %.*s\n", pid, (int)(n < 63 ? n : 63), comm);
	}
	fclose(f);
	ret = tracedat_out_cmdlines(out, text ? text : "", len);
	free(text);
	free(pids);
	free(saved);
	return ret;
}

static int write_tracedat(struct recorder *r, struct fl_record_stats *st)
{
	struct ringpage_builder *snap = ringpage_builder_new(r->page_size);
	struct tracedat_out *out = NULL;
	struct ringpage_count count;
	const void *pages;
	size_t snap_len, i;
	struct utsname u;
	char **events = NULL;
	char text[600];
	int cpu, ret = -1;
	uint32_t ncpus = r->nr_cpus;

	if (!snap || snapshot_pages(r, snap) < 0) {
		fl_err(FL_EXIT_FAILURE, "cannot build the snapshot pages");
		goto out;
	}
	pages = ringpage_data(snap, &snap_len);
	out = tracedat_out_new(r->out_fd, r->page_size, sizeof(long), r->nr_cpus);
	if (!out)
		goto fail;
	if (add_file(out, tracedat_out_header_page, "events/header_page") < 0 ||
	    add_file(out, tracedat_out_header_event, "events/header_event") < 0)
		goto fail;
	events = tracefs_system_events(NULL, "ftrace");
	for (i = 0; events && events[i]; i++)
		if (add_format(out, "ftrace", events[i]) < 0)
			goto fail;
	for (i = 0; i < FL_EV_NR; i++)
		if (fl_events[i].record != FL_RECORD_NO &&
		    add_format(out, fl_events[i].system, fl_events[i].name) < 0)
			goto fail;
	for (i = 0; i < (size_t)r->probes.nr; i++)
		if (r->probes.format[i] && tracedat_out_add_format(out, r->probes.group,
				r->probes.format[i], r->probes.format_len[i]) < 0)
			goto fail;
	if (tracedat_out_kallsyms(out, "", 0) < 0 ||
	    add_file(out, tracedat_out_printk_formats, "printk_formats") < 0 ||
	    add_cmdlines(r, out) < 0)
		goto fail;

	uname(&u);
	snprintf(text, sizeof(text), "%s %s %s %s %s", u.sysname, u.nodename, u.release,
		 u.version, u.machine);
	if (tracedat_out_option(out, TRACEDAT_OPT_UNAME, text, strlen(text) + 1) < 0)
		goto fail;
	snprintf(text, sizeof(text), "forklock %s", FORKLOCK_VERSION);
	if (tracedat_out_option(out, TRACEDAT_OPT_VERSION, text, strlen(text) + 1) < 0)
		goto fail;
	{
		char *clock_file = tracefs_instance_file_read(NULL, "trace_clock", NULL);
		char *p;

		/* the top level's list of clocks, with ours bracketed */
		snprintf(text, sizeof(text), "[%s]", r->clock);
		for (p = clock_file ? strtok(clock_file, " \n") : NULL; p; p = strtok(NULL, " \n")) {
			char name[64];

			snprintf(name, sizeof(name), "%s", p);
			if (name[0] == '[') {
				memmove(name, name + 1, strlen(name));
				name[strcspn(name, "]")] = '\0';
			}
			if (strcmp(name, r->clock) && strlen(text) + strlen(name) + 2 < sizeof(text))
				strcat(strcat(text, " "), name);
		}
		free(clock_file);
		strcat(text, "\n");
		if (tracedat_out_option(out, TRACEDAT_OPT_TRACECLOCK, text, strlen(text) + 1) < 0)
			goto fail;
	}
	if (tracedat_out_option(out, TRACEDAT_OPT_CPUCOUNT, &ncpus, sizeof(ncpus)) < 0)
		goto fail;

	memset(st, 0, sizeof(*st));
	st->nr_cpus = r->nr_cpus;
	st->lost = calloc(r->nr_cpus, sizeof(uint64_t));
	if (!st->lost)
		goto fail;
	if (ringpage_count(pages, snap_len, r->page_size, &count) < 0)
		goto fail;
	st->events = count.events;

	for (cpu = 0; cpu < r->nr_cpus; cpu++) {
		const char *stats = r->stats && r->stats[cpu] ? r->stats[cpu] : "";
		char *opt = NULL;
		struct stat sb;
		size_t len;
		void *map;

		len = asprintf(&opt, "CPU: %d\n%s", cpu, stats);
		if ((int)len < 0 || tracedat_out_option(out, TRACEDAT_OPT_CPUSTAT, opt, len + 1) < 0) {
			free(opt);
			goto fail;
		}
		free(opt);
		st->lost[cpu] = stat_value(stats, "overrun") + stat_value(stats, "commit overrun") +
				stat_value(stats, "dropped events");
		st->lost_total += st->lost[cpu];

		if (cpu == 0 && snap_len && tracedat_out_cpu_mem(out, 0, pages, snap_len) < 0)
			goto fail;
		if (fstat(r->cpu_fds[cpu], &sb) < 0)
			goto fail;
		len = sb.st_size - sb.st_size % r->page_size;
		if (!len)
			continue;
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, r->cpu_fds[cpu], 0);
		if (map == MAP_FAILED)
			goto fail;
		ret = ringpage_count(map, len, r->page_size, &count);
		munmap(map, len);
		if (ret < 0) {
			fl_err(FL_EXIT_FAILURE, "CPU %d data is not ring-buffer pages", cpu);
			ret = -1;
			goto out;
		}
		st->events += count.events;
		if (tracedat_out_cpu_fd(out, cpu, r->cpu_fds[cpu], 0, len) < 0)
			goto fail;
	}
	if (tracedat_out_finish(out) < 0)
		goto fail;
	st->bytes = tracedat_out_size(out);
	ret = 0;
	goto out;
fail:
	fl_err(FL_EXIT_OUTPUT, "cannot write %s: %s", r->opts->output, strerror(errno));
	ret = -1;
out:
	if (events)
		tracefs_list_free(events);
	tracedat_out_free(out);
	ringpage_builder_free(snap);
	return ret;
}

/* ---- the kprobe tier --------------------------------------------------------- */

static int try_probes(struct recorder *r, enum fl_probe_style style, const struct fl_btf *btf,
		      char *why, size_t len)
{
	char group[64];

	snprintf(group, sizeof(group), FL_KPROBE_GROUP_PREFIX "%d", (int)getpid());
	if (fl_probe_plan(&r->probes, group, style, btf, why, len) < 0)
		return -1;
	r->inject.created = r->inject.destroyed = 0;
	/* injected probes exist nowhere: nothing to enable */
	return fl_probes_create(&r->probes, r->probe_ops,
				r->probe_ops == &fl_tracefs_dynevent_ops ? r->instance : NULL, why, len);
}

/*
 * Probes named by BTF first (6.7+), then at BTF offsets.  In --tier auto a
 * kernel that takes neither records the tracepoint tier, said in one line.
 */
static int setup_kprobes(struct recorder *r)
{
	struct fl_btf *btf = fl_btf_open("/sys/kernel/btf/vmlinux");
	char why[512] = "", why2[512] = "";
	int n;

	n = fl_probes_remove_stale();
	if (n > 0)
		fl_notice("removed %d stale kprobes of forklock recorders that are gone", n);
	if (try_probes(r, FL_PROBE_BTF, btf, why, sizeof(why)) < 0 &&
	    try_probes(r, FL_PROBE_OFFSETS, btf, why2, sizeof(why2)) < 0) {
		fl_btf_free(btf);
		memset(&r->probes, 0, sizeof(r->probes));
		if (r->opts->tier == FL_TIER_OPT_KPROBE)
			return fl_err(FL_EXIT_TIER, "kprobe tier: %s", why2[0] ? why2 : why);
		fl_notice("kprobes could not be set (%s): recording the tracepoint tier",
			  why2[0] ? why2 : why);
		r->kprobe_tier = false;
		return 0;
	}
	fl_btf_free(btf);
	return 0;
}

/* ---- the whole recording ------------------------------------------------- */

int fl_record(const struct fl_record_opts *opts, struct fl_record_stats *st)
{
	struct recorder r = {
		.opts = opts, .out_fd = -1, .child = -1, .child_go = -1,
		.child_err = -1, .child_status = -1,
	};
	char cmd_path[4096];
	const char *why;
	char **stale = NULL;
	sigset_t block;
	uint64_t t_end;
	int ret, n;

	memset(st, 0, sizeof(*st));
	st->command_status = -1;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, NULL);
	signal(SIGPIPE, SIG_IGN);

	fl_host_probe(&r.host, true);
	r.probe_ops = &fl_tracefs_dynevent_ops;
	if (fl_probe_injection(&r.inject)) {
		r.host.kprobes = true;
		r.probe_ops = &r.inject.ops;
	}
	if (!r.host.privileged)
		return fl_err(FL_EXIT_PERM, "recording needs root (CAP_SYS_ADMIN)");
	if (!r.host.tracefs_mounted)
		return fl_err(FL_EXIT_NO_TRACEFS,
			      "tracefs is not mounted and cannot be mounted at %s", r.host.tracefs);
	ret = check_events();
	if (ret)
		return ret;
	if (opts->command) {
		ret = resolve_command(opts->command[0], cmd_path, sizeof(cmd_path));
		if (ret == FL_EXIT_CMD_NOTFOUND)
			return fl_err(ret, "command not found: %s", opts->command[0]);
		if (ret)
			return fl_err(ret, "command is not executable: %s", opts->command[0]);
	}
	switch (opts->tier) {
	case FL_TIER_OPT_TRACEPOINT:
		break;
	case FL_TIER_OPT_KPROBE:
		if (!r.host.kprobes)
			return fl_err(FL_EXIT_TIER, "the kprobe tier needs kprobe_events, which this "
				      "kernel does not have; use --tier tracepoint");
		r.kprobe_tier = true;
		break;
	case FL_TIER_AUTO:
		r.kprobe_tier = r.host.kprobes;
		break;
	}
	r.nr_cpus = r.host.nr_cpus;
	r.page_size = read_page_size();
	ret = open_output(&r);
	if (!ret)
		ret = open_cpu_files(&r);
	if (ret)
		goto fail;

	n = fl_instance_remove_stale(&stale);
	if (n > 0) {
		char **s;

		for (s = stale; s && *s; s++) {
			fl_notice("removed stale tracefs instance %s (its recorder is gone)", *s);
			free(*s);
		}
	}
	free(stale);

	ret = setup_instance(&r);
	if (!ret && r.kprobe_tier)
		ret = setup_kprobes(&r);
	if (ret)
		goto fail;
	if (opts->command) {
		ret = fork_command(&r, cmd_path);
		if (ret)
			goto fail;
	}
	r.stream = fl_stream_start(r.instance, r.nr_cpus, r.cpu_fds, FL_READER_NICE_IDLE);
	if (!r.stream) {
		ret = fl_err(FL_EXIT_TRACEFS, "cannot read the per-CPU buffers: %s", strerror(errno));
		goto fail;
	}
	ret = exclude_readers(&r);
	if (ret)
		goto fail;

	r.t0 = mono_ns();
	if (tracefs_trace_on(r.instance) < 0) {
		ret = fl_err(FL_EXIT_TRACEFS, "cannot turn tracing on: %s", strerror(errno));
		goto fail;
	}
	if (fl_snapshot_take(&r.snap, getpid(), r.clock) < 0) {
		ret = fl_err(FL_EXIT_FAILURE, "cannot read /proc: %s", strerror(errno));
		goto fail;
	}
	fl_snapshot_add(&r.snap, FL_SNAP_TIER_FMT,
			r.kprobe_tier ? "kprobe" : "tracepoint",
			!r.kprobe_tier ? "-" : r.probes.style == FL_PROBE_BTF ? "btf" : "offsets",
			r.kprobe_tier ? r.probes.group : "-");
	if (opts->argv) {
		char *text = fl_shell_join("forklock", opts->argc, opts->argv);

		fl_snapshot_add(&r.snap, FL_SNAP_RECORD_FMT, text ? text : "");
		free(text);
	}
	if (opts->command) {
		int argc = 0;
		char *text;

		while (opts->command[argc])
			argc++;
		text = fl_shell_join("", argc, opts->command);
		fl_snapshot_add(&r.snap, FL_SNAP_COMMAND_FMT,
				(int)r.child, text ? text : "");
		free(text);
		ret = release_command(&r);
		if (ret)
			goto fail;
	}

	/* said once the recording runs: a failed setup has its own one line */
	if (opts->tier == FL_TIER_AUTO && !r.host.kprobes)
		fl_notice("no kprobe_events on this kernel: recording the tracepoint tier");
	why = wait_for_end(&r);
	t_end = mono_ns();
	if (stop_tracing(&r) < 0) {
		ret = fl_err(FL_EXIT_TRACEFS, "reading the trace buffers failed: %s", strerror(errno));
		goto fail;
	}
	if (r.child > 0) {
		/* stopped by signal or duration: give COMMAND a moment to go */
		int i, status;

		for (i = 0; i < 100; i++) {
			if (waitpid(r.child, &status, WNOHANG) == r.child) {
				r.child_status = status;
				r.child = -1;
				break;
			}
			usleep(10000);
		}
	}
	if (write_tracedat(&r, st) < 0) {
		ret = FL_EXIT_OUTPUT;
		goto fail;
	}
	st->duration_ns = t_end - r.t0;
	st->command_status = r.child_status;
	st->tier = r.kprobe_tier ? "kprobe" : "tracepoint";
	st->nr_probes = r.probes.nr;
	for (n = 0; n < FL_EV_NR; n++)
		if (fl_events[n].record != FL_RECORD_NO &&
		    !fl_event_present(fl_events[n].system, fl_events[n].name))
			st->missing_events++;
	fl_notice("stopped: %s", why);
	cleanup(&r, false);
	return 0;
fail:
	cleanup(&r, true);
	fl_record_stats_free(st);
	return ret ? ret : FL_EXIT_FAILURE;
}

void fl_record_stats_free(struct fl_record_stats *st)
{
	free(st->lost);
	st->lost = NULL;
}
