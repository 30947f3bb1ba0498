// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The private tracefs instance "forklock-<pid>": named after the recorder
 * so a later recorder can tell whether its owner is still alive.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tracefs.h>

#include "record/record-local.h"

void fl_instance_name(char *buf, size_t len, pid_t pid)
{
	snprintf(buf, len, FL_INSTANCE_PREFIX "%d", (int)pid);
}

bool fl_recorder_alive(pid_t pid)
{
	char path[64], comm[64] = "";
	FILE *f;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	/* pid reused by some other program: the recorder is gone */
	return !strcmp(comm, "forklock");
}

int fl_instance_destroy(struct tracefs_instance *instance)
{
	int ret;

	if (!instance)
		return 0;
	tracefs_trace_off(instance);
	tracefs_event_disable(instance, NULL, NULL);
	ret = tracefs_instance_destroy(instance);
	tracefs_instance_free(instance);
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
		const char *digits = *name + strlen(FL_INSTANCE_PREFIX);
		struct tracefs_instance *inst;
		char *end;
		long pid;

		if (strncmp(*name, FL_INSTANCE_PREFIX, strlen(FL_INSTANCE_PREFIX)) ||
		    !*digits || *digits == '-' || *digits == '+')
			continue;
		pid = strtol(digits, &end, 10);
		if (*end || pid <= 0 || pid == getpid() || fl_recorder_alive(pid))
			continue;
		inst = tracefs_instance_alloc(NULL, *name);
		if (!inst)
			continue;
		if (fl_instance_destroy(inst) < 0)
			continue;
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
