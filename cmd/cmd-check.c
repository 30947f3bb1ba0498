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
#include "record/kprobes.h"
#include "record/record.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: forklock check\n\n"
		"Prints what this host supports for recording and exits 0 if it can record.\n");
}

static const char *sym_state(const struct fl_probe_set *set, int i)
{
	if (!set->sym_count[i])
		return "absent";
	if (set->sym_count[i] > 1)
		return "ambiguous (more than one function of that name)";
	return set->blacklisted[i] ? "present, in the kprobe blacklist" : "present";
}

/*
 * The kprobe plan record would use (kplan.c, the same code): what it read,
 * the probes, and the anchors it tried.  Returns 0 when there is a plan.
 */
static int kprobe_lines(const struct fl_host *host, char *why, size_t len)
{
	struct fl_kernel_files kf;
	struct fl_probe_set set;
	int i, ret;

	fl_kernel_files(&kf, host->tracefs);
	ret = fl_probe_plan(&set, FL_KPROBE_GROUP_PREFIX "PID", &kf, false, why, len);
	for (i = 0; i < FL_NR_PROBE_SYMBOLS; i++)
		printf("kprobe symbol %s: %s\n", fl_probe_symbols[i],
		       set.kallsyms_read ? sym_state(&set, i) : "unknown (kallsyms not read)");
	if (!set.blacklist_read)
		printf("kprobe blacklist: not readable (%s): not checked\n", kf.blacklist);
	if (set.off_users >= 0)
		printf("btf: mm_struct.mm_users at +%ld, mm_struct.mm_count at +%ld, "
		       "mm_struct.map_count at +%ld, vm_area_struct.vm_mm at +%ld\n",
		       set.off_users, set.off_count, set.off_map_count, set.off_vm_mm);
	else if (ret == 0 || set.btf_path[0])
		printf("btf: %s: no mm_struct offsets read\n", kf.btf);
	if (set.tried[0])
		printf("kprobe anchors tried: %s\n", set.tried);
	if (ret < 0) {
		printf("kprobe plan: none (%s)\n", why);
		printf("kprobe tier: unavailable (%s%s%s)\n", host->kprobes ? "" : "no kprobe_events; ",
		       "no probe plan: ", why);
		return -1;
	}
	printf("kprobe plan: anchor %s, arguments %s\n", fl_probe_anchor_name(set.anchor),
	       set.style == FL_PROBE_BTF ? "by BTF name" : "at BTF offsets");
	for (i = 0; i < set.nr; i++)
		printf("kprobe probe: %s:%s/%s %s%s%s (%s%s)\n",
		       set.def[i].type == FL_PROBE_ENTRY ? "p" : "r", set.group, set.def[i].event,
		       set.def[i].symbol, set.def[i].fetch[0] ? " " : "", set.def[i].fetch,
		       set.def[i].role, set.def[i].required ? ", required" : "");
	printf("kprobe tier: %s\n", host->kprobes ? "available" :
	       "unavailable (no kprobe_events; the plan above is what a kernel with them would get)");
	return 0;
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *blocker = NULL;
	char why[512] = "";
	struct fl_host host;
	int plan;
	int c, code = FL_EXIT_OK;
	bool was_mounted, bpf_ok;
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
	plan = kprobe_lines(&host, why, sizeof(why));
	{
		char bwhy[512];

		bpf_ok = host.privileged && fl_bpf_possible(bwhy, sizeof(bwhy));
		if (!host.privileged)
			snprintf(bwhy, sizeof(bwhy), "needs root (CAP_BPF and CAP_PERFMON)");
		printf("bpf: %s (%s)\n", bpf_ok ? "possible" : "not possible", bwhy);
	}
	if (blocker) {
		printf("tier: none\n");
		printf("recording: not possible (%s)\n", blocker);
		return code;
	}
	/* the tier record --tier auto really gets: kprobe where its plan holds, else bpf */
	if (host.kprobes && plan >= 0)
		printf("tier: kprobe\n");
	else if (bpf_ok && !host.kprobes)
		printf("tier: bpf (no kprobe_events: --tier auto records the bpf tier)\n");
	else if (bpf_ok)
		printf("tier: bpf (kprobe tier unavailable: %s)\n", why);
	else if (!host.kprobes)	/* the line above says why bpf is not */
		printf("tier: tracepoint (no kprobe_events: --tier auto records tracepoints)\n");
	else
		printf("tier: tracepoint (kprobe tier unavailable: %s)\n", why);
	printf("recording: possible\n");
	return FL_EXIT_OK;
}
