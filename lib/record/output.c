// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The output: the trace.dat is created first (0600; an existing one is kept
 * as FILE.old, replaced with --force, refused with --no-clobber; anything
 * but a regular file or a symlink is refused, never removed) and written
 * last with tracedat/write.h: header pages, the
 * formats of the ftrace events and of the event table's, printk_formats,
 * saved_cmdlines with the snapshot's tasks, the options (uname, version,
 * clock, CPU count, per-CPU stats), the snapshot as ftrace:print events
 * on their own page and every CPU's pages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <event-parse.h>
#include <tracefs.h>

#include "events/events.h"
#include "events/snapline.h"
#include "forklock-exit.h"
#include "log.h"
#include "record/record-local.h"
#include "tracedat/ringpage.h"
#include "tracedat/write.h"

/*
 * Room for the trace.dat's metadata and the first piece of moved CPU data,
 * taken at the start: a disk that fills up still takes the trace.
 */
#define OUTPUT_RESERVE (8U << 20)

static void output_reserve(struct recorder *r)
{
	/* a file system that cannot: the disk must then have that room at the end */
	if (fallocate(r->out_fd, 0, 0, OUTPUT_RESERVE) < 0 && errno == ENOSPC)
		fl_warn("%s: no room for the trace's metadata (%u MiB): a full disk will "
			"lose the trace", r->opts->output, OUTPUT_RESERVE >> 20);
}

static const char *output_kind(mode_t mode)
{
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

int output_open(struct recorder *r)
{
	const char *path = r->opts->output;
	struct stat st;

	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return fl_err(FL_EXIT_OUTPUT, "%s is a directory", path);
		/* a FIFO, a device, a socket: never removed nor renamed, not even with -f */
		if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
			return fl_err(FL_EXIT_NOT_REGULAR, "%s is %s: record writes a regular file "
				      "and replaces only one", path, output_kind(st.st_mode));
		if (r->opts->no_clobber)
			return fl_err(FL_EXIT_OUTPUT, "%s exists (--no-clobber)", path);
		if (r->opts->force) {
			/* --force replaces the file (or the symlink itself): a new 0600 file */
			if (unlink(path) < 0)
				return fl_err(FL_EXIT_OUTPUT, "cannot replace %s: %s", path,
					      strerror(errno));
		} else {
			/* perf's habit: the previous one (or the symlink itself) is FILE.old */
			if (snprintf(r->old_path, sizeof(r->old_path), "%s.old", path) >=
			    (int)sizeof(r->old_path))
				return fl_err(FL_EXIT_OUTPUT, "%s: name too long", path);
			if (rename(path, r->old_path) < 0)
				return fl_err(FL_EXIT_OUTPUT, "cannot keep %s as %s: %s", path,
					      r->old_path, strerror(errno));
			r->kept_old = true;
		}
	}
	r->out_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (r->out_fd < 0) {
		int ret = fl_err(FL_EXIT_OUTPUT, "cannot create %s: %s", path, strerror(errno));

		output_restore_old(r);
		return ret;
	}
	r->out_created = true;
	output_reserve(r);
	return 0;
}

void output_restore_old(struct recorder *r)
{
	/* a failed recording leaves the previous output where it was */
	if (r->kept_old && rename(r->old_path, r->opts->output) == 0)
		r->kept_old = false;
}

/*
 * Events in @len bytes of @fd, read a piece at a time (never mapped or read
 * whole: the recorder's memory does not grow with the recording).
 * -1 with EBADMSG: not ring-buffer pages.
 */
static int count_events(struct recorder *r, int fd, size_t len, struct ringpage_count *total)
{
	size_t piece = (size_t)r->page_size * 256, off = 0;
	struct ringpage_count c;
	char *buf = malloc(piece);
	int ret = -1;

	memset(total, 0, sizeof(*total));
	if (!buf)
		return -1;
	while (off < len) {
		size_t n = len - off < piece ? len - off : piece;
		ssize_t got = pread(fd, buf, n, off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)n) {
			if (got >= 0)
				errno = EIO;
			goto out;
		}
		if (ringpage_count(buf, n, r->page_size, &c) < 0) {
			errno = EBADMSG;
			goto out;
		}
		total->events += c.events;
		if (c.last_ts > total->last_ts)
			total->last_ts = c.last_ts;
		off += n;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

/* ---- writing the trace.dat -------------------------------------------------- */

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

static int add_format(struct recorder *r, struct tracedat_out *out, const char *system,
		      const char *name)
{
	int len, ret, id;
	char *buf = tracefs_event_file_read(NULL, system, name, "format", &len);
	const char *p;

	if (!buf)
		return 0;	/* not on this kernel: it cannot appear in the data */
	p = strstr(buf, "\nID: ");
	if (p && sscanf(p, "\nID: %d", &id) == 1 && id > r->max_event_id)
		r->max_event_id = id;
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

int output_write(struct recorder *r, struct fl_record_stats *st)
{
	struct ringpage_builder *snap = ringpage_builder_new(r->page_size);
	struct tracedat_out *out = NULL;
	struct ringpage_count count;
	const void *pages;
	size_t snap_len, i;
	struct utsname u;
	char **events = NULL;
	char text[600];
	int cpu, ret = FL_EXIT_OUTPUT;
	uint32_t ncpus = r->nr_cpus;
	uint64_t bpf_records;

	/* every failure here has been FL_EXIT_OUTPUT: the trace.dat is not made */
	if (!snap || snapshot_pages(r, snap) < 0) {
		fl_err(ret, "cannot build the snapshot pages");
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
		if (add_format(r, out, "ftrace", events[i]) < 0)
			goto fail;
	for (i = 0; i < FL_EV_NR; i++)
		if (fl_events[i].record != FL_RECORD_NO &&
		    add_format(r, out, fl_events[i].system, fl_events[i].name) < 0)
			goto fail;
	for (i = 0; i < (size_t)r->probes.nr; i++)
		if (r->probes.format[i] && tracedat_out_add_format(out, r->probes.group,
				r->probes.format[i], r->probes.format_len[i]) < 0)
			goto fail;
	for (i = 0; i < (size_t)r->probes.nr; i++) {
		const char *p = r->probes.format[i] ? strstr(r->probes.format[i], "\nID: ") : NULL;
		int id;

		if (p && sscanf(p, "\nID: %d", &id) == 1 && id > r->max_event_id)
			r->max_event_id = id;
	}
	if (output_bpf(r, out, r->max_event_id, &st->bpf_records) < 0)
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

	bpf_records = st->bpf_records;
	memset(st, 0, sizeof(*st));
	st->bpf_records = bpf_records;
	st->bpf_lost = bpf_tier_lost(r);
	st->events = bpf_records + !!r->bpf;
	st->nr_cpus = r->nr_cpus;
	st->lost = calloc(r->nr_cpus, sizeof(uint64_t));
	if (!st->lost)
		goto fail;
	if (ringpage_count(pages, snap_len, r->page_size, &count) < 0)
		goto fail;
	st->events += count.events;

	for (cpu = 0; cpu < r->nr_cpus; cpu++) {
		const char *stats = r->stats && r->stats[cpu] ? r->stats[cpu] : "";
		char *opt = NULL;
		struct stat sb;
		size_t len;

		len = asprintf(&opt, "CPU: %d\n%s", cpu, stats);
		if ((int)len < 0 || tracedat_out_option(out, TRACEDAT_OPT_CPUSTAT, opt, len + 1) < 0) {
			free(opt);
			goto fail;
		}
		free(opt);
		st->lost[cpu] = capture_stat_value(stats, "overrun") + capture_stat_value(stats, "commit overrun") +
				capture_stat_value(stats, "dropped events");
		st->lost_total += st->lost[cpu];

		if (cpu == 0 && snap_len && tracedat_out_cpu_mem(out, 0, pages, snap_len) < 0)
			goto fail;
		if (fstat(r->cpu_fds[cpu], &sb) < 0)
			goto fail;
		len = sb.st_size - sb.st_size % r->page_size;
		if (!len)
			continue;
		if (count_events(r, r->cpu_fds[cpu], len, &count) < 0) {
			if (errno != EBADMSG)
				goto fail;
			fl_err(ret, "CPU %d data is not ring-buffer pages", cpu);
			goto out;
		}
		st->events += count.events;
		/* moved, not copied: a full disk has room for it */
		if (tracedat_out_cpu_fd_move(out, cpu, r->cpu_fds[cpu], 0, len, true) < 0)
			goto fail;
	}
	if (tracedat_out_finish(out) < 0)
		goto fail;
	st->bytes = tracedat_out_size(out);
	/* what is left of the space reserved at the start */
	if (ftruncate(r->out_fd, st->bytes) < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	fl_err(ret, "cannot write %s: %s", r->opts->output, strerror(errno));
out:
	if (events)
		tracefs_list_free(events);
	tracedat_out_free(out);
	ringpage_builder_free(snap);
	return ret;
}
