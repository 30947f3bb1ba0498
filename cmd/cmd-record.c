// SPDX-License-Identifier: GPL-2.0-or-later
/* forklock record: capture fork windows into a trace.dat (lib/record/). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cmd.h"
#include "forklock-exit.h"
#include "log.h"
#include "record/record.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: forklock record [-o FILE] [--duration SEC] [--buffer-kb N] [--max-size MB]\n"
		"                       [--force | --no-clobber] [-q] [--tier auto|tracepoint|kprobe|bpf]\n"
		"                       [--light] [--bpf-buffer-kb KB]\n"
		"                       [-- COMMAND [ARGS...]]\n"
		"\n"
		"  -o, --output FILE    trace.dat to write (default: forklock.dat)\n"
		"  -d, --duration SEC   stop after SEC seconds\n"
		"  -b, --buffer-kb N    ring buffer per CPU in KB (default: %d)\n"
		"  -m, --max-size MB    stop recording when this much trace data is written\n"
		"  -M, --min-free MB    stop recording when the output's file system has less\n"
		"                       free (default: %d; 0: no guard); COMMAND runs on\n"
		"  -f, --force          replace FILE if it exists (without -f: kept as FILE.old)\n"
		"  -n, --no-clobber     refuse to record if FILE exists\n"
		"  -t, --tier TIER      auto (default: kprobe where its probes can be set, else bpf,\n"
		"                       else tracepoint),\n"
		"                       tracepoint, kprobe (fail without kprobes), or bpf (BPF on\n"
		"                       tracepoints reads mm_users, mm_count, map_count; fail without)\n"
		"  -l, --light          no per-VMA events: VMA counts from map_count (bpf tier)\n"
		"  -B, --bpf-buffer-kb KB  the bpf tier's ring buffer in KB, a power of two\n"
		"                       (default: %d); records it had no room for: exit 23\n"
		"  -q, --quiet          no notices, only the summary line and errors\n"
		"  -h, --help           this text\n"
		"\n"
		"Records until COMMAND exits, --duration passes, or SIGINT/SIGTERM/SIGHUP/SIGQUIT.\n"
		"--max-size, --min-free and a full disk stop the recording, never COMMAND:\n"
		"it runs to its end (a full disk then exits 9, a limit with COMMAND's status).\n",
		FL_DEFAULT_BUFFER_KB, (int)(FL_MIN_FREE_BYTES >> 20), FL_DEFAULT_BPF_BUFFER_KB);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *val)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	*val = strtoul(s, &end, 10);
	return *end || *val > max ? -1 : 0;
}

static void print_summary(const struct fl_record_opts *o, const struct fl_record_stats *st)
{
	char lost[512] = "";
	size_t used = 0;
	int cpu;

	for (cpu = 0; cpu < st->nr_cpus && used < sizeof(lost) - 32; cpu++)
		used += snprintf(lost + used, sizeof(lost) - used, "%scpu%d %llu",
				 cpu ? ", " : "", cpu, (unsigned long long)st->lost[cpu]);
	fprintf(stderr, "%s: %llu events, %llu lost (%s), %.1f MiB, %.2f s -> %s\n",
		fl_log_prog(), (unsigned long long)st->events,
		(unsigned long long)st->lost_total, lost, st->bytes / 1048576.0,
		st->duration_ns / 1e9, o->output);
	if (st->nr_probes)
		fl_notice("tier %s: %d kprobes recorded", st->tier, st->nr_probes);
	if (!strcmp(st->tier, "bpf"))
		fl_notice("tier bpf%s: %llu fork records, %llu lost", o->light ? " (light)" : "",
			  (unsigned long long)st->bpf_records, (unsigned long long)st->bpf_lost);
	if (st->lost_total)
		fl_warn("%llu events were lost: the report marks forks whose windows may be affected; "
			"a larger --buffer-kb helps", (unsigned long long)st->lost_total);
	if (st->command_status > 0) {
		if (WIFEXITED(st->command_status))
			fl_notice("COMMAND exited with status %d", WEXITSTATUS(st->command_status));
		else if (WIFSIGNALED(st->command_status))
			fl_notice("COMMAND was killed by signal %d", WTERMSIG(st->command_status));
	}
}

int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output",	required_argument,	NULL, 'o' },
		{ "duration",	required_argument,	NULL, 'd' },
		{ "buffer-kb",	required_argument,	NULL, 'b' },
		{ "bpf-buffer-kb", required_argument,	NULL, 'B' },
		{ "max-size",	required_argument,	NULL, 'm' },
		{ "min-free",	required_argument,	NULL, 'M' },
		{ "force",	no_argument,		NULL, 'f' },
		{ "no-clobber",	no_argument,		NULL, 'n' },
		{ "tier",	required_argument,	NULL, 't' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "light",	no_argument,		NULL, 'l' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct fl_record_opts opts = { .output = "forklock.dat", .argc = argc, .argv = argv,
				       .min_free = FL_MIN_FREE_BYTES };
	struct fl_record_stats st;
	unsigned long val;
	char *end;
	int c, ret;

	/* '+': options end at COMMAND, so its own options are left alone */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:o:d:b:B:m:M:fnt:qlh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			opts.output = optarg;
			break;
		case 'd':
			opts.duration = strtod(optarg, &end);
			/* a year at most: the deadline is kept in nanoseconds */
			if (*end || !(opts.duration > 0) || opts.duration > 366 * 86400.0)
				return fl_err(FL_EXIT_USAGE, "--duration needs a positive number of seconds, not '%s'", optarg);
			break;
		case 'b':
			if (parse_uint(optarg, 1UL << 24, &val) < 0 || val < 4)
				return fl_err(FL_EXIT_USAGE, "--buffer-kb needs a size in KB (4 or more), not '%s'", optarg);
			opts.buffer_kb = val;
			break;
		case 'B':
			if (parse_uint(optarg, 1UL << 20, &val) < 0 || val < 4 || (val & (val - 1)))
				return fl_err(FL_EXIT_USAGE, "--bpf-buffer-kb needs a power of two of KB "
					      "(4 to 1048576), not '%s'", optarg);
			opts.bpf_buffer_kb = val;
			break;
		case 'm':
			if (parse_uint(optarg, 1UL << 30, &val) < 0 || !val)
				return fl_err(FL_EXIT_USAGE, "--max-size needs a size in MB (1 or more), not '%s'", optarg);
			opts.max_size = (uint64_t)val << 20;
			break;
		case 'M':
			if (parse_uint(optarg, 1UL << 30, &val) < 0)
				return fl_err(FL_EXIT_USAGE, "--min-free needs a size in MB (0: no guard), not '%s'", optarg);
			opts.min_free = (uint64_t)val << 20;
			break;
		case 'f':
			opts.force = true;
			break;
		case 'n':
			opts.no_clobber = true;
			break;
		case 't':
			if (!strcmp(optarg, "auto"))
				opts.tier = FL_TIER_AUTO;
			else if (!strcmp(optarg, "tracepoint"))
				opts.tier = FL_TIER_OPT_TRACEPOINT;
			else if (!strcmp(optarg, "kprobe"))
				opts.tier = FL_TIER_OPT_KPROBE;
			else if (!strcmp(optarg, "bpf"))
				opts.tier = FL_TIER_OPT_BPF;
			else
				return fl_err(FL_EXIT_USAGE, "--tier is auto, tracepoint, kprobe or bpf, not '%s'",
					      optarg);
			break;
		case 'q':
			opts.quiet = true;
			break;
		case 'l':
			opts.light = true;
			break;
		case 'h':
			usage(stdout);
			return FL_EXIT_OK;
		default:
			return cmd_bad_option(c, argv);
		}
	}
	if (opts.force && opts.no_clobber)
		return fl_err(FL_EXIT_USAGE, "--force and --no-clobber contradict each other");
	if (optind < argc)
		opts.command = argv + optind;
	fl_log_set_quiet(opts.quiet);

	ret = fl_record(&opts, &st);
	if (ret)
		return ret;
	print_summary(&opts, &st);
	fl_record_stats_free(&st);
	if (st.cut)
		return fl_err(FL_EXIT_CUT, "the recording was cut short: %s; %s holds what was "
			      "recorded until then", st.cut, opts.output);
	if (st.bpf_lost)
		return fl_err(FL_EXIT_BPF_LOST, "%llu BPF fork records were lost (its ring buffer was "
			      "full): those forks have no kernel-read values; %s holds the others; "
			      "a larger --bpf-buffer-kb helps", (unsigned long long)st.bpf_lost,
			      opts.output);
	if (st.limit) {
		/* COMMAND ran to its end: its status is ours, with the note */
		fl_warn("recording stopped early (%s); %s holds what was recorded until "
			  "then; exiting with COMMAND's status", st.limit, opts.output);
		if (st.command_status >= 0 && WIFEXITED(st.command_status))
			return WEXITSTATUS(st.command_status);
		if (st.command_status >= 0 && WIFSIGNALED(st.command_status))
			return 128 + WTERMSIG(st.command_status);
	}
	return FL_EXIT_OK;
}
