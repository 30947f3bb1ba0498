// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock check: what this host offers, one line per item, and the tier a
 * recording would use.  Exit 0 when recording is possible.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "events/events.h"
#include "forklock-exit.h"
#include "log.h"
#include "record/btf.h"
#include "record/kprobes.h"
#include "record/record.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: forklock check\n\n"
		"Prints what this host supports for recording and exits 0 if it can record.\n");
}

/* What the kprobe tier would probe, and where it would read mm_users. */
static void kprobe_lines(void)
{
	struct fl_btf *btf = fl_btf_open("/sys/kernel/btf/vmlinux");
	bool has[FL_NR_PROBE_SYMBOLS];
	int i;

	fl_kernel_symbols(fl_probe_symbols, has, FL_NR_PROBE_SYMBOLS);
	for (i = 0; i < FL_NR_PROBE_SYMBOLS; i++)
		printf("kprobe symbol %s: %s\n", fl_probe_symbols[i], has[i] ? "present" : "absent");
	if (!btf) {
		printf("btf: no /sys/kernel/btf/vmlinux (kprobe arguments by name only)\n");
		return;
	}
	printf("btf: mm_struct.mm_users at +%ld, mm_struct.mm_count at +%ld, "
	       "vm_area_struct.vm_mm at +%ld\n",
	       fl_btf_member_offset(btf, "mm_struct", "mm_users"),
	       fl_btf_member_offset(btf, "mm_struct", "mm_count"),
	       fl_btf_member_offset(btf, "vm_area_struct", "vm_mm"));
	fl_btf_free(btf);
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *blocker = NULL;
	struct fl_host host;
	int c, code = FL_EXIT_OK;
	bool was_mounted;
	size_t i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return FL_EXIT_OK;
		}
		return cmd_bad_option(c, argv);
	}
	if (optind < argc)
		return fl_err(FL_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);

	fl_host_probe(&host, false);
	was_mounted = host.tracefs_mounted;
	if (!was_mounted && host.tracefs_mountable)
		fl_host_probe(&host, true);	/* as record would */

	printf("kernel: %s\n", host.release);
	printf("privileges: %s\n", host.privileged ? "yes (root or CAP_SYS_ADMIN)" : "no (recording needs root)");
	if (!host.privileged) {
		blocker = "not root";
		code = FL_EXIT_PERM;
	}
	if (host.tracefs_mounted)
		printf("tracefs: %s at %s\n", was_mounted ? "mounted" : "mounted now", host.tracefs);
	else if (host.tracefs_mountable)
		printf("tracefs: not mounted, mountable at %s\n", host.tracefs);
	else
		printf("tracefs: not mounted and not mountable\n");
	if (!host.tracefs_mounted && !blocker) {
		blocker = "no tracefs";
		code = FL_EXIT_NO_TRACEFS;
	}
	printf("per-VMA locks: %s\n", host.vma_locks ?
	       "yes (6.4 or later: dup_mmap() locks every parent VMA)" :
	       "no (before 6.4: dup_mmap() takes no VMA locks)");
	if (host.tracefs_mounted) {
		printf("kprobe_events: %s\n", host.kprobes ? "available" : "not available");
		for (i = 0; i < FL_EV_NR; i++) {
			const struct fl_event_spec *e = &fl_events[i];
			bool present;

			if (e->record == FL_RECORD_NO)
				continue;
			present = fl_event_present(e->system, e->name);
			printf("event %s:%s: %s\n", e->system, e->name,
			       present ? "present" :
			       e->record == FL_RECORD_WINDOW ? "MISSING (required)" : "missing");
			if (!present && e->record == FL_RECORD_WINDOW && !blocker) {
				blocker = "a fork-window event is missing";
				code = FL_EXIT_EVENTS;
			}
		}
		printf("cpus: %d\n", host.nr_cpus);
	} else {
		printf("kprobe_events: unknown (no tracefs)\n");
	}
	kprobe_lines();
	if (blocker) {
		printf("tier: none\n");
		printf("recording: not possible (%s)\n", blocker);
		return code;
	}
	printf("tier: %s\n", host.kprobes ? "kprobe" :
	       "tracepoint (no kprobe_events: --tier auto records tracepoints)");
	printf("recording: possible\n");
	return FL_EXIT_OK;
}
