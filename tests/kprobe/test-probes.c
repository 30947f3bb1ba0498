// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kprobe tier's setup: created in order, dropped when optional, and
 * when a required probe fails half-way every probe made before it is
 * destroyed, newest first.  A fake dynevent_ops stands in for tracefs
 * (this host has no kprobe_events).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record/kprobes.h"

struct fake {
	int fail_at;		/* 1-based create call that fails, 0: none */
	int calls;
	int live;		/* created and not destroyed */
	int destroyed[16];	/* order of destruction (handles) */
	int nr_destroyed;
};

static void *fake_create(const char *group, const struct fl_probe_def *def, void *ctx)
{
	struct fake *f = ctx;

	if (++f->calls == f->fail_at) {
		errno = EINVAL;
		return NULL;
	}
	f->live++;
	return (void *)(uintptr_t)f->calls;
}

static int fake_destroy(void *handle, void *ctx)
{
	struct fake *f = ctx;

	f->live--;
	f->destroyed[f->nr_destroyed++] = (int)(uintptr_t)handle;
	return 0;
}

static void plan(struct fl_probe_set *set, const bool *required, int nr)
{
	int i;

	memset(set, 0, sizeof(*set));
	snprintf(set->group, sizeof(set->group), "forklock_1");
	for (i = 0; i < nr; i++) {
		set->def[i].type = FL_PROBE_ENTRY;
		set->def[i].event = "e";
		set->def[i].symbol = "s";
		set->def[i].required = required[i];
	}
	set->nr = nr;
}

static void required_failure_destroys_everything(void **state)
{
	const bool req[] = { true, false, true, true, false };
	struct fake f = { .fail_at = 4 };
	struct fl_dynevent_ops ops = { fake_create, fake_destroy, &f };
	struct fl_probe_set set;
	char why[512];

	plan(&set, req, 5);
	assert_int_equal(fl_probes_create(&set, &ops, NULL, why, sizeof(why)), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(f.live, 0);
	assert_int_equal(set.nr_created, 0);
	/* the three made before the failing fourth, newest first */
	assert_int_equal(f.nr_destroyed, 3);
	assert_int_equal(f.destroyed[0], 3);
	assert_int_equal(f.destroyed[1], 2);
	assert_int_equal(f.destroyed[2], 1);
	assert_non_null(strstr(why, "removed the 3 probes created before it"));
}

static void optional_failure_is_dropped(void **state)
{
	const bool req[] = { true, true, false, false };
	struct fake f = { .fail_at = 3 };
	struct fl_dynevent_ops ops = { fake_create, fake_destroy, &f };
	struct fl_probe_set set;
	char why[512] = "";

	plan(&set, req, 4);
	set.def[2].event = "dropped";
	set.def[3].event = "kept";
	assert_int_equal(fl_probes_create(&set, &ops, NULL, why, sizeof(why)), 0);
	assert_int_equal(set.nr, 3);
	assert_int_equal(set.nr_created, 3);
	assert_string_equal(set.def[2].event, "kept");
	assert_int_equal(f.live, 3);
	assert_int_equal(fl_probes_destroy(&set, &ops), 0);
	assert_int_equal(f.live, 0);
	assert_int_equal(set.nr_created, 0);
}

static void first_probe_failing_leaves_nothing(void **state)
{
	const bool req[] = { true, true };
	struct fake f = { .fail_at = 1 };
	struct fl_dynevent_ops ops = { fake_create, fake_destroy, &f };
	struct fl_probe_set set;
	char why[512];

	plan(&set, req, 2);
	assert_int_equal(fl_probes_create(&set, &ops, NULL, why, sizeof(why)), -1);
	assert_int_equal(f.calls, 1);
	assert_int_equal(f.nr_destroyed, 0);
	assert_int_equal(f.live, 0);
}

static void injection_from_environment(void **state)
{
	struct fl_probe_injection inj;
	const bool req[] = { true, true, true };
	struct fl_probe_set set;
	char why[512];

	setenv("FORKLOCK_FAULT_INJECT", "kprobe-create:2", 1);
	assert_true(fl_probe_injection(&inj));
	plan(&set, req, 3);
	assert_int_equal(fl_probes_create(&set, &inj.ops, NULL, why, sizeof(why)), -1);
	assert_int_equal(inj.created, 2);
	assert_int_equal(inj.destroyed, 2);
	assert_non_null(strstr(why, "injected failure"));
	unsetenv("FORKLOCK_FAULT_INJECT");
	assert_false(fl_probe_injection(&inj));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(required_failure_destroys_everything),
		cmocka_unit_test(optional_failure_is_dropped),
		cmocka_unit_test(first_probe_failing_leaves_nothing),
		cmocka_unit_test(injection_from_environment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
