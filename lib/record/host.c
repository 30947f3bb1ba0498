// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What this host offers for recording: privilege, tracefs, kprobes, the
 * kernel release and whether it has per-VMA locks.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <tracefs.h>

#include "record/record.h"

#define CAP_SYS_ADMIN_BIT 21

static bool has_cap_sys_admin(void)
{
	unsigned long long caps = 0;
	char line[256];
	bool found = false;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			found = true;
			break;
		}
	}
	fclose(f);
	return found && (caps & (1ULL << CAP_SYS_ADMIN_BIT));
}

static bool fs_known(const char *fs)
{
	char line[256];
	bool found = false;
	FILE *f;

	f = fopen("/proc/filesystems", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, '\t');

		name = name ? name + 1 : line;
		name[strcspn(name, "\n")] = '\0';
		found = !strcmp(name, fs);
	}
	fclose(f);
	return found;
}

static int count_cpus(const char *tracefs)
{
	char path[512];
	struct dirent *d;
	int nr = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/per_cpu", tracefs);
	dir = opendir(path);
	if (!dir)
		return (int)sysconf(_SC_NPROCESSORS_CONF);
	while ((d = readdir(dir))) {
		int cpu;

		if (sscanf(d->d_name, "cpu%d", &cpu) == 1 && cpu + 1 > nr)
			nr = cpu + 1;
	}
	closedir(dir);
	return nr;
}

bool fl_kernel_at_least(const struct fl_host *host, int major, int minor)
{
	return host->kmajor > major || (host->kmajor == major && host->kminor >= minor);
}

void fl_host_probe(struct fl_host *host, bool mount)
{
	const char *path = NULL;
	struct utsname u;
	char file[512];
	int fd;

	memset(host, 0, sizeof(*host));
	if (uname(&u) == 0) {
		snprintf(host->release, sizeof(host->release), "%s", u.release);
		snprintf(host->version, sizeof(host->version), "%s", u.version);
		sscanf(u.release, "%d.%d", &host->kmajor, &host->kminor);
	}
	host->vma_locks = fl_kernel_at_least(host, 6, 4);
	host->privileged = geteuid() == 0 || has_cap_sys_admin();

	/* 1: was mounted; 0 with a path: we just mounted it */
	if (tracefs_tracing_dir_is_mounted(mount && host->privileged, &path) >= 0 && path) {
		host->tracefs_mounted = true;
		snprintf(host->tracefs, sizeof(host->tracefs), "%s", path);
	} else {
		snprintf(host->tracefs, sizeof(host->tracefs), "/sys/kernel/tracing");
		host->tracefs_mountable = fs_known("tracefs") && host->privileged &&
					  access(host->tracefs, F_OK) == 0;
		return;
	}

	snprintf(file, sizeof(file), "%s/kprobe_events", host->tracefs);
	fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd >= 0) {
		host->kprobes = true;
		close(fd);
	}
	host->nr_cpus = count_cpus(host->tracefs);
}

bool fl_event_present(const char *system, const char *name)
{
	return tracefs_event_file_exists(NULL, system, name, "format");
}
