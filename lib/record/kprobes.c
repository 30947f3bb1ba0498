// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tracefs.h>

#include "record/kprobes.h"
#include "record/record-local.h"

/* ---- libtracefs ------------------------------------------------------------ */

static void *tracefs_create(const char *group, const struct fl_probe_def *def, void *ctx)
{
	struct tracefs_dynevent *ev;

	if (def->type == FL_PROBE_ENTRY)
		ev = tracefs_kprobe_alloc(group, def->event, def->symbol, def->fetch);
	else
		ev = tracefs_kretprobe_alloc(group, def->event, def->symbol, def->fetch, 0);
	if (!ev)
		return NULL;
	if (tracefs_dynevent_create(ev) < 0) {
		int err = errno;

		tracefs_dynevent_free(ev);
		errno = err;
		return NULL;
	}
	return ev;
}

static int tracefs_destroy(void *handle, void *ctx)
{
	int ret = tracefs_dynevent_destroy(handle, true);

	tracefs_dynevent_free(handle);
	return ret;
}

const struct fl_dynevent_ops fl_tracefs_dynevent_ops = {
	.create = tracefs_create,
	.destroy = tracefs_destroy,
};

/* ---- creating and destroying ------------------------------------------------ */

int fl_probes_create(struct fl_probe_set *set, const struct fl_dynevent_ops *ops,
		     struct tracefs_instance *instance, char *why, size_t len)
{
	int i, keep = 0;

	for (i = 0; i < set->nr; i++) {
		struct fl_probe_def *d = &set->def[i];
		void *h = ops->create(set->group, d, ops->ctx);

		if (h && instance && tracefs_event_enable(instance, set->group, d->event) < 0) {
			int err = errno;

			ops->destroy(h, ops->ctx);
			h = NULL;
			errno = err;
		}
		if (!h) {
			int err = errno, created = set->nr_created, failed;

			if (!d->required)
				continue;	/* dropped: the report says what is missing */
			failed = fl_probes_destroy(set, ops);
			snprintf(why, len, "cannot create kprobe %s on %s (%s): %s; removed the %d "
				 "probe%s created before it%s", d->event, d->symbol, d->fetch,
				 err == ECANCELED ? "injected failure" : strerror(err), created,
				 created == 1 ? "" : "s", failed ? " (some could not be removed)" : "");
			errno = err;
			return -1;
		}
		set->def[keep] = *d;
		set->handle[keep++] = h;
		set->nr_created = keep;
	}
	set->nr = keep;
	return 0;
}

void fl_probes_read_formats(struct fl_probe_set *set)
{
	int i;

	for (i = 0; i < set->nr_created; i++) {
		free(set->format[i]);
		set->format[i] = tracefs_event_file_read(NULL, set->group, set->def[i].event,
							 "format", &set->format_len[i]);
	}
}

int fl_probes_destroy(struct fl_probe_set *set, const struct fl_dynevent_ops *ops)
{
	int i, failed = 0;

	/* newest first */
	for (i = set->nr_created - 1; i >= 0; i--) {
		if (ops->destroy(set->handle[i], ops->ctx) < 0)
			failed++;
		set->handle[i] = NULL;
	}
	set->nr_created = 0;
	return failed;
}

void fl_probes_free(struct fl_probe_set *set)
{
	int i;

	for (i = 0; i < FL_MAX_PROBES; i++) {
		free(set->format[i]);
		set->format[i] = NULL;
	}
}

int fl_probes_remove_stale(void)
{
	struct tracefs_dynevent **all;
	int i, removed = 0;

	all = tracefs_dynevent_get_all(TRACEFS_DYNEVENT_KPROBE | TRACEFS_DYNEVENT_KRETPROBE, NULL);
	for (i = 0; all && all[i]; i++) {
		char *system = NULL;

		tracefs_dynevent_info(all[i], &system, NULL, NULL, NULL, NULL);
		if (system && fl_probe_group_stale(system) &&
		    tracefs_dynevent_destroy(all[i], true) == 0)
			removed++;
		free(system);
	}
	tracefs_dynevent_list_free(all);
	return removed;
}

/* ---- fault injection, for the tests of hosts without kprobes ------------------ */

static void *inject_create(const char *group, const struct fl_probe_def *def, void *ctx)
{
	struct fl_probe_injection *inj = ctx;

	if (inj->created >= inj->fail_after) {
		errno = ECANCELED;
		return NULL;
	}
	return (void *)(uintptr_t)++inj->created;
}

static int inject_destroy(void *handle, void *ctx)
{
	struct fl_probe_injection *inj = ctx;

	inj->destroyed++;
	return 0;
}

bool fl_probe_injection(struct fl_probe_injection *inj)
{
	const char *spec = getenv("FORKLOCK_FAULT_INJECT");

	memset(inj, 0, sizeof(*inj));
	if (!spec || sscanf(spec, "kprobe-create:%d", &inj->fail_after) != 1)
		return false;
	inj->ops.create = inject_create;
	inj->ops.destroy = inject_destroy;
	inj->ops.ctx = inj;
	return true;
}
