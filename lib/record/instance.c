// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The private tracefs instance and the recorder's identity.
 *
 * Name: forklock-<boot>-<pidns>-<pid>-<random>: the first 8 hex digits of
 * the boot id, the inode of the recorder's PID namespace, its pid there and
 * 32 random bits.  Two recorders in different PID namespaces (containers)
 * or boots never pick the same name, whatever their pids.
 *
 * Liveness: the owner holds flock(LOCK_EX) on NAME/tracing_on for its whole
 * life.  The lock is seen across PID and mount namespaces and goes away
 * with the process however it dies, so it needs neither the owner's pid
 * nor its comm.  An instance is provably abandoned when a cleaner can take
 * that lock and the instance was claimed (its trace_clock set, which the
 * owner does right after locking) or is older than FL_INSTANCE_CLAIM_S (an
 * owner that died between mkdir and lock).  rmdir fails with EBUSY while
 * any fd inside the instance is open, so the owner drops its lock just
 * before its own rmdir, and a cleaner drops the lock it took before its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tracefs.h>

#include "record/record-local.h"

/* an unlocked, unclaimed instance younger than this may be an owner's first moment */
#define FL_INSTANCE_CLAIM_S 30

/* PROC_PID_INIT_INO: the initial PID namespace's inode (include/linux/proc_ns.h) */
#define FL_PIDNS_INIT_INO 0xEFFFFFFCUL

static unsigned long pidns_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

bool fl_in_child_pidns(void)
{
	unsigned long ino = pidns_inode();

	return ino && ino != FL_PIDNS_INIT_INO;
}

int fl_instance_make_name(char *buf, size_t len)
{
	char boot[40] = "";
	uint32_t rnd;
	FILE *f;

	f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (f) {
		if (!fgets(boot, sizeof(boot), f))
			boot[0] = '\0';
		fclose(f);
	}
	boot[strspn(boot, "0123456789abcdef")] = '\0';
	if (strlen(boot) > 8)
		boot[8] = '\0';
	if (!boot[0])
		snprintf(boot, sizeof(boot), "0");
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		rnd = (uint32_t)(ts.tv_nsec ^ (ts.tv_sec << 20) ^ getpid());
	}
	if (snprintf(buf, len, FL_INSTANCE_PREFIX "%s-%lu-%d-%08x", boot, pidns_inode(),
		     (int)getpid(), rnd) >= (int)len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Is NAME a forklock-<boot>-<pidns>-<pid>-<random> name (this version's)? */
static bool our_name(const char *name)
{
	const char *p = name + strlen(FL_INSTANCE_PREFIX);
	int fields = 0;

	if (strncmp(name, FL_INSTANCE_PREFIX, strlen(FL_INSTANCE_PREFIX)))
		return false;
	while (*p) {
		size_t n = strspn(p, "0123456789abcdef");

		if (!n)
			return false;
		fields++;
		p += n;
		if (*p == '-')
			p++;
		else if (*p)
			return false;
	}
	return fields == 4;
}

static int open_lock_file(const char *name)
{
	char *dir = tracefs_instance_get_dir(NULL);
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/instances/%s/tracing_on", dir ? dir : "/sys/kernel/tracing",
		 name);
	tracefs_put_tracing_file(dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd;
}

struct tracefs_instance *fl_instance_claim(const char *name, int *lock_fd)
{
	struct tracefs_instance *inst;
	int err;

	*lock_fd = -1;
	inst = tracefs_instance_create(name);
	if (!inst)
		return NULL;
	*lock_fd = open_lock_file(name);
	/* a cleaner holds it only for a moment: wait for it */
	while (*lock_fd >= 0 && flock(*lock_fd, LOCK_EX) < 0 && errno == EINTR)
		;
	if (*lock_fd < 0 ||
	    tracefs_instance_file_write(inst, "trace_clock", TRACE_CLOCK) < 0) {
		err = errno;
		fl_instance_release(inst, lock_fd);
		errno = err;
		return NULL;
	}
	return inst;
}

static int destroy(struct tracefs_instance *instance)
{
	int ret;

	tracefs_trace_off(instance);
	tracefs_event_disable(instance, NULL, NULL);
	ret = tracefs_instance_destroy(instance);
	/* a cleaner that saw our lock go may have been quicker */
	if (ret < 0 && errno == ENOENT)
		ret = 0;
	return ret;
}

int fl_instance_release(struct tracefs_instance *instance, int *lock_fd)
{
	int ret = 0;

	if (instance) {
		tracefs_trace_off(instance);
		tracefs_event_disable(instance, NULL, NULL);
	}
	/* rmdir fails with EBUSY while any fd inside the instance is open */
	if (*lock_fd >= 0) {
		close(*lock_fd);
		*lock_fd = -1;
	}
	if (instance) {
		ret = destroy(instance);
		tracefs_instance_free(instance);
	}
	return ret;
}

/*
 * 1: NAME's owner is provably gone (we took its lock, and it was claimed
 * or is old enough); 0: alive, or too young to tell; -1: gone already.
 */
static int abandoned(struct tracefs_instance *inst, const char *name)
{
	char *clock, *dir;
	struct stat st;
	bool claimed;
	int fd, ret;

	fd = open_lock_file(name);
	if (fd < 0)
		return errno == ENOENT ? -1 : 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return 0;
	}
	clock = tracefs_get_clock(inst);
	claimed = clock && !strcmp(clock, TRACE_CLOCK);
	free(clock);
	ret = claimed;
	if (!claimed) {
		dir = tracefs_instance_get_dir(inst);
		ret = dir && stat(dir, &st) == 0 &&
		      time(NULL) - st.st_ctime > FL_INSTANCE_CLAIM_S;
		tracefs_put_tracing_file(dir);
	}
	close(fd);
	return ret;
}

int fl_instance_remove_stale(char ***removed)
{
	char **names, **name;
	char **out = NULL;
	int nr = 0, nr_out = 0;

	/* all of them, filtered here: libtracefs takes a basic regex (and leaks it) */
	names = tracefs_instances(NULL);
	if (!names)
		return 0;
	for (name = names; *name; name++) {
		struct tracefs_instance *inst;

		if (!our_name(*name))
			continue;
		inst = tracefs_instance_alloc(NULL, *name);
		if (!inst)
			continue;
		if (abandoned(inst, *name) != 1 || destroy(inst) < 0) {
			tracefs_instance_free(inst);
			continue;
		}
		tracefs_instance_free(inst);
		nr++;
		if (removed) {
			char **n = realloc(out, sizeof(*out) * (nr_out + 2));

			if (n) {
				out = n;
				out[nr_out] = strdup(*name);
				if (out[nr_out])
					nr_out++;
				out[nr_out] = NULL;
			}
		}
	}
	tracefs_list_free(names);
	if (removed)
		*removed = out;
	return nr;
}

bool fl_instance_gone(const char *name)
{
	struct tracefs_instance *inst;
	int ret;

	if (!tracefs_instance_exists(name))
		return true;
	inst = tracefs_instance_alloc(NULL, name);
	if (!inst)
		return false;
	ret = abandoned(inst, name);
	tracefs_instance_free(inst);
	return ret != 0;
}

void fl_probe_group_name(char *buf, size_t len, const char *instance)
{
	char *p;

	snprintf(buf, len, FL_KPROBE_GROUP_PREFIX "%s", instance + strlen(FL_INSTANCE_PREFIX));
	for (p = buf; *p; p++)
		if (*p == '-')
			*p = '_';
}

bool fl_probe_group_stale(const char *group)
{
	char name[128], *p;

	if (strncmp(group, FL_KPROBE_GROUP_PREFIX, strlen(FL_KPROBE_GROUP_PREFIX)))
		return false;
	snprintf(name, sizeof(name), FL_INSTANCE_PREFIX "%s", group + strlen(FL_KPROBE_GROUP_PREFIX));
	for (p = name; *p; p++)
		if (*p == '_')
			*p = '-';
	/* the instance comes before the probes and goes after them are read */
	return our_name(name) && fl_instance_gone(name);
}
