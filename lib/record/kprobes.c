// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tracefs.h>

#include "record/btf.h"
#include "record/kprobes.h"
#include "record/record-local.h"

const char *const fl_probe_symbols[FL_NR_PROBE_SYMBOLS] = {
	[FL_SYM_DUP_MMAP] = "dup_mmap",
	[FL_SYM_VMA_START_WRITE] = "__vma_start_write",
	[FL_SYM_LOCK_VMA_RCU] = "lock_vma_under_rcu",
	[FL_SYM_DUP_PROBE] = "dup_probe",
};

void fl_kernel_symbols(const char *const *symbols, bool *found, int nr)
{
	char line[512], name[256];
	int i, left = nr;
	FILE *f = fopen("/proc/kallsyms", "r");
	char type;

	for (i = 0; i < nr; i++)
		found[i] = false;
	if (!f)
		return;
	/* one pass over ~100k lines for all of them */
	while (left && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*x %c %255s", &type, name) != 2 || (type != 'T' && type != 't'))
			continue;
		for (i = 0; i < nr; i++)
			if (!found[i] && !strcmp(name, symbols[i])) {
				found[i] = true;
				left--;
			}
	}
	fclose(f);
}

static struct fl_probe_def *add(struct fl_probe_set *set, enum fl_probe_type type,
				const char *event, const char *symbol, bool required)
{
	struct fl_probe_def *d;

	if (set->nr == FL_MAX_PROBES)
		return NULL;
	d = &set->def[set->nr++];
	memset(d, 0, sizeof(*d));
	d->type = type;
	d->event = event;
	d->symbol = symbol;
	d->required = required;
	return d;
}

int fl_probe_plan(struct fl_probe_set *set, const char *group, enum fl_probe_style style,
		  const struct fl_btf *btf, char *why, size_t len)
{
	long users = -1, count = -1, vm_mm = -1;
	struct fl_probe_def *d;

	bool has[FL_NR_PROBE_SYMBOLS];

	memset(set, 0, sizeof(*set));
	snprintf(set->group, sizeof(set->group), "%s", group);
	set->style = style;
	fl_kernel_symbols(fl_probe_symbols, has, FL_NR_PROBE_SYMBOLS);
	if (!has[FL_SYM_DUP_MMAP]) {
		snprintf(why, len, "dup_mmap() is not a probeable symbol of this kernel");
		return -1;
	}
	if (style == FL_PROBE_OFFSETS) {
		if (!btf) {
			snprintf(why, len, "no /sys/kernel/btf/vmlinux to find mm_struct offsets");
			return -1;
		}
		users = fl_btf_member_offset(btf, "mm_struct", "mm_users");
		count = fl_btf_member_offset(btf, "mm_struct", "mm_count");
		vm_mm = fl_btf_member_offset(btf, "vm_area_struct", "vm_mm");
		if (users < 0 || count < 0) {
			snprintf(why, len, "BTF has no mm_struct.mm_users/mm_count");
			return -1;
		}
	}

	d = add(set, FL_PROBE_ENTRY, "dup_mmap", "dup_mmap", true);
	if (style == FL_PROBE_BTF)
		snprintf(d->fetch, sizeof(d->fetch), "oldmm=oldmm:x64 "
			 "mm_users=oldmm->mm_users.counter:s32 mm_count=oldmm->mm_count.counter:s32");
	else
		snprintf(d->fetch, sizeof(d->fetch), "oldmm=$arg2:x64 mm_users=+%ld($arg2):s32 "
			 "mm_count=+%ld($arg2):s32", users, count);
	d = add(set, FL_PROBE_RETURN, "dup_mmap_ret", "dup_mmap", true);
	snprintf(d->fetch, sizeof(d->fetch), "ret=$retval:s32");

	/* out of line from 6.15; before that the lock is inline in dup_mmap() */
	if (has[FL_SYM_VMA_START_WRITE] && (style == FL_PROBE_BTF || vm_mm >= 0)) {
		d = add(set, FL_PROBE_ENTRY, "vma_start_write", "__vma_start_write", false);
		if (style == FL_PROBE_BTF)
			snprintf(d->fetch, sizeof(d->fetch), "vma=vma:x64 vm_mm=vma->vm_mm:x64");
		else
			snprintf(d->fetch, sizeof(d->fetch), "vma=$arg1:x64 vm_mm=+%ld($arg1):x64",
				 vm_mm);
		add(set, FL_PROBE_RETURN, "vma_start_write_ret", "__vma_start_write", false);
	}
	if (has[FL_SYM_LOCK_VMA_RCU]) {
		d = add(set, FL_PROBE_RETURN, "lock_vma_rcu_ret", "lock_vma_under_rcu", false);
		snprintf(d->fetch, sizeof(d->fetch), "ret=$retval:x64");
	}
	/* the seed thread's experiment: a patched kernel with dup_probe() */
	if (has[FL_SYM_DUP_PROBE]) {
		d = add(set, FL_PROBE_ENTRY, "dup_probe", "dup_probe", false);
		snprintf(d->fetch, sizeof(d->fetch), "only_user=$arg1:s32 locked=$arg2:s32");
	}
	return 0;
}

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
