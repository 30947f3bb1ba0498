// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /proc at the start of a recording: every thread's pid and tgid, every
 * process's VMAs (how many, of which kind), threads and userfaultfds.  The
 * kernel's events carry no tgid, and a fork that happens before anything
 * else is seen needs its parent's thread count: replay starts from this.
 *
 * VMA kinds follow /proc/PID/maps: "special" is [vdso], [vvar], [vvar_vclock]
 * and the like; "shared" is a 's' mapping; "anon" a private mapping with no
 * inode ([heap], [stack], anonymous); "cow" a private file mapping.
 * [vsyscall] is not a VMA of the mm and is not counted.  "dontcopy" is
 * VM_DONTCOPY VMAs (smaps VmFlags "dc", MADV_DONTFORK): dup_mmap() locks
 * them but does not copy them.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "events/snapline.h"
#include "record/record-local.h"

#define PF_KTHREAD 0x00200000

int fl_snapshot_add(struct fl_snapshot *snap, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int ret;

	if (snap->nr == snap->alloc) {
		size_t alloc = snap->alloc ? snap->alloc * 2 : 256;
		char **lines = realloc(snap->lines, alloc * sizeof(*lines));

		if (!lines)
			return -1;
		snap->lines = lines;
		snap->alloc = alloc;
	}
	va_start(ap, fmt);
	ret = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (ret < 0)
		return -1;
	snap->lines[snap->nr++] = line;
	return 0;
}

void fl_snapshot_free(struct fl_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nr; i++)
		free(snap->lines[i]);
	free(snap->lines);
	memset(snap, 0, sizeof(*snap));
}

static void read_comm(const char *path, char *comm, size_t len)
{
	FILE *f = fopen(path, "r");
	char *p;

	comm[0] = '\0';
	if (!f)
		return;
	if (!fgets(comm, (int)len, f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	/* one word per value in the snapshot line: no control characters */
	for (p = comm; *p; p++)
		if (iscntrl((unsigned char)*p))
			*p = '?';
}

/* Process flags, field 9 of /proc/PID/stat (after the parenthesised comm). */
static unsigned long read_flags(int tgid)
{
	char path[64], buf[512];
	unsigned long flags = 0;
	char *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", tgid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f)) {
		p = strrchr(buf, ')');
		if (p)
			sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags);
	}
	fclose(f);
	return flags;
}

struct vma_kinds {
	long vmas, anon, cow, shared, special, dontcopy;
};

/* "VmFlags: rd wr mr mw me dc ac": does the VMA have VM_DONTCOPY ("dc")? */
static bool vmflags_dontcopy(const char *flags)
{
	const char *p = flags;

	while ((p = strstr(p, "dc"))) {
		if ((p == flags || p[-1] == ' ') && (p[2] == ' ' || p[2] == '\n' || !p[2]))
			return true;
		p += 2;
	}
	return false;
}

/*
 * The VMAs of @tgid by kind, from /proc/PID/smaps (the lines of maps, each
 * followed by its VmFlags, where "dc" is VM_DONTCOPY: locked by dup_mmap(),
 * not copied); from maps, with dontcopy -1 (not known), where smaps cannot
 * be read.
 */
static int read_maps(int tgid, struct vma_kinds *k)
{
	char path[64], *line = NULL;
	bool smaps = true, skip = false;
	size_t cap = 0;
	FILE *f;

	memset(k, 0, sizeof(*k));
	snprintf(path, sizeof(path), "/proc/%d/smaps", tgid);
	f = fopen(path, "r");
	if (!f) {
		smaps = false;
		k->dontcopy = -1;
		snprintf(path, sizeof(path), "/proc/%d/maps", tgid);
		f = fopen(path, "r");
	}
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		char perms[8] = "";
		unsigned long inode = 0;
		int name_at = 0;
		const char *name;

		if (smaps && !strncmp(line, "VmFlags:", 8)) {
			if (!skip && vmflags_dontcopy(line + 8))
				k->dontcopy++;
			continue;
		}
		if (sscanf(line, "%*x-%*x %7s %*x %*x:%*x %lu %n", perms, &inode, &name_at) < 2)
			continue;
		name = line + name_at;
		skip = !strncmp(name, "[vsyscall]", 10);
		if (skip)
			continue;
		k->vmas++;
		if (perms[3] == 's')
			k->shared++;
		else if (name[0] == '[' && strncmp(name, "[heap]", 6) &&
			 strncmp(name, "[stack", 6) && strncmp(name, "[anon", 5))
			k->special++;
		else if (inode == 0)
			k->anon++;
		else
			k->cow++;
	}
	free(line);
	fclose(f);
	return 0;
}

/* File descriptors of @tgid that are userfaultfds, as "3,7" (or "-"). */
static void read_uffds(int tgid, char *buf, size_t len)
{
	char path[64], target[64], link[320];
	struct dirent *d;
	size_t used = 0;
	DIR *dir;

	snprintf(buf, len, "-");
	snprintf(path, sizeof(path), "/proc/%d/fd", tgid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, d->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "anon_inode:[userfaultfd]"))
			continue;
		if (used + strlen(d->d_name) + 2 > len)
			break;
		used += snprintf(buf + used, len - used, "%s%s", used ? "," : "", d->d_name);
	}
	closedir(dir);
}

static int snapshot_process(struct fl_snapshot *snap, int tgid)
{
	char path[96], comm[64], uffd[128];
	struct fl_snapshot tasks = { 0 };
	struct vma_kinds k;
	struct dirent *d;
	bool kthread;
	size_t i;
	int ret;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/comm", tgid);
	read_comm(path, comm, sizeof(comm));
	kthread = read_flags(tgid) & PF_KTHREAD;
	if (kthread)
		memset(&k, 0, sizeof(k));
	else if (read_maps(tgid, &k) < 0)
		memset(&k, 0xff, sizeof(k));	/* not readable: -1, unknown */
	read_uffds(tgid, uffd, sizeof(uffd));

	snprintf(path, sizeof(path), "/proc/%d/task", tgid);
	dir = opendir(path);
	if (!dir)
		return 0;	/* gone meanwhile */
	while ((d = readdir(dir))) {
		char tpath[160], tcomm[64];
		int pid;

		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		pid = atoi(d->d_name);
		snprintf(tpath, sizeof(tpath), "%s/%d/comm", path, pid);
		read_comm(tpath, tcomm, sizeof(tcomm));
		if (fl_snapshot_add(&tasks, FL_SNAP_TASK_FMT,
				    pid, tgid, tcomm) < 0) {
			closedir(dir);
			fl_snapshot_free(&tasks);
			return -1;
		}
	}
	closedir(dir);

	/* the process line first: replay sets up the mm, then adds its tasks */
	ret = fl_snapshot_add(snap, FL_SNAP_PROC_FMT,
			      tgid, tasks.nr, k.vmas, k.anon, k.cow, k.shared, k.special,
			      k.dontcopy, uffd, kthread, comm);
	for (i = 0; !ret && i < tasks.nr; i++) {
		ret = fl_snapshot_add(snap, "%s", tasks.lines[i]);
		snap->tasks++;
	}
	snap->procs++;
	fl_snapshot_free(&tasks);
	return ret;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int fl_snapshot_take(struct fl_snapshot *snap, pid_t recorder, const char *clock)
{
	double start = now_ms();
	struct utsname u;
	struct dirent *d;
	DIR *proc;

	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	if (fl_snapshot_add(snap, FL_SNAP_BEGIN_FMT,
			    (int)recorder, clock, u.release) < 0)
		return -1;
	proc = opendir("/proc");
	if (!proc)
		return -1;
	while ((d = readdir(proc))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		if (snapshot_process(snap, atoi(d->d_name)) < 0) {
			closedir(proc);
			return -1;
		}
	}
	closedir(proc);
	return fl_snapshot_add(snap, FL_SNAP_END_FMT,
			       snap->procs, snap->tasks, now_ms() - start);
}
