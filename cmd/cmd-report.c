// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock report: replay trace.dat files, judge every fork with the skip
 * policies and print what the forks did.  The data flows one way:
 * replay (forks) -> policies -> the report's sink (summary, renderer, plot).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "forklock-exit.h"
#include "log.h"
#include "policy/policy.h"
#include "replay/replay.h"
#include "report/render.h"
#include "report/sink.h"
#include "report/summary.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: forklock report [--format text|json|mail] [--forks] [--top N] [--all]\n"
		"                       [--policy-plugin PATH]... [--policy NAME,...] [--no-default-policies]\n"
		"                       [--lock-cost-ns N] [--svg FILE [--svg-policy NAME]] [FILE...]\n"
		"\n"
		"  -F, --format FMT          text (default), json (schema forklock-report/1) or mail\n"
		"      --forks               every fork, not only the summary\n"
		"      --top N               top forking commands to show (default 10)\n"
		"      --all                 every task of the host, not only record -- COMMAND's tree\n"
		"  -P, --policy-plugin PATH  load a skip-policy plugin (repeatable)\n"
		"      --policy NAMES        judge with these policies only (comma separated)\n"
		"      --no-default-policies do not load the plugin directory's policies\n"
		"      --lock-cost-ns N      cost of one vma_start_write() for the savings model (default:\n"
		"                            assumed 5%% of the per-VMA dup_mmap time; %d ns under 10 forks)\n"
		"      --svg FILE            plot window against VMAs locked, and the window histogram\n"
		"      --svg-policy NAME     colour the plot by this policy's decisions (default single-user)\n"
		"      --list-policies       print the policies that would judge (name, tab, summary), exit\n"
		"\n"
		"FILE defaults to forklock.dat.  Several files are summed into one report.  A trace of\n"
		"'forklock record -- COMMAND' reports COMMAND's process tree unless --all.\n",
		FL_DEFAULT_LOCK_COST_NS);
}

struct report_forks {
	struct fl_report_sink sink;
	const struct fl_policy_set *policies;
	struct fl_policy_result *results;
	struct fl_decision *decisions;
};

/*
 * Every fork the replay hands over: judged when complete, then into the
 * report.  Once a policy failed (its one error line is out) the report is
 * not made: no more forks, the command ends with the code.
 */
static void on_fork(void *data, const struct fl_fork *f)
{
	struct report_forks *rf = data;
	bool judged = fl_fork_complete(f);

	if (rf->sink.error)
		return;
	/* the command's view: other tasks' forks are not its (their accesses still count) */
	if (rf->sink.summary->command_view && f->command_tree == FL_TREE_OUT)
		return;
	if (judged) {
		rf->sink.error = fl_policy_judge(rf->policies, f, rf->decisions, rf->results);
		if (rf->sink.error)
			return;
	}
	fl_report_fork(&rf->sink, f, judged ? rf->decisions : NULL);
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		CMD_RENDER_LONGOPTS,
		{ "policy-plugin",	required_argument,	NULL, 'P' },
		{ "policy",		required_argument,	NULL, 'p' },
		{ "no-default-policies", no_argument,		NULL, 'n' },
		{ "lock-cost-ns",	required_argument,	NULL, 'c' },
		CMD_PLOT_LONGOPTS,
		{ "list-policies",	no_argument,		NULL, 'L' },
		{ "all",		no_argument,		NULL, 'a' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct fl_render_opts ropts = { .out = stdout, .top = 10 };
	const struct fl_renderer *renderer = &fl_render_text;
	static char *default_files[] = { "forklock.dat", NULL };
	struct fl_report report = {
		.cost = { FL_DEFAULT_LOCK_COST_NS, FL_DEFAULT_LOCK_COST_SOURCE },
	};
	struct fl_policy_set policies = { 0 };
	char cost_source[192];
	bool cost_given = false;
	const char *only = NULL;
	bool defaults = true, list = false, all = false;
	struct fl_summary summary;
	struct report_forks rf = { .policies = &policies };
	struct cmd_plot plot = { 0 };
	struct fl_sink sink = { .fork = on_fork, .ctx = &rf };
	char **plugins = NULL, **more;
	int nr_plugins = 0;
	char **files;
	char *end;
	int c, i, ret = FL_EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":F:P:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
		case 'k':
		case 't':
			ret = cmd_render_option(c, &renderer, &ropts);
			if (ret)
				goto out_opts;
			break;
		case 'P':
			more = realloc(plugins, (nr_plugins + 1) * sizeof(*plugins));
			if (!more) {
				ret = fl_err(FL_EXIT_FAILURE, "out of memory");
				goto out_opts;
			}
			plugins = more;
			plugins[nr_plugins++] = optarg;
			break;
		case 'p':
			only = optarg;
			break;
		case 'n':
			defaults = false;
			break;
		case 'c':
			report.cost.ns = strtoull(optarg, &end, 10);
			if (*end || !*optarg || *optarg == '-') {
				ret = fl_err(FL_EXIT_USAGE, "--lock-cost-ns needs a number, not '%s'", optarg);
				goto out_opts;
			}
			report.cost.source = "given: --lock-cost-ns";
			cost_given = true;
			break;
		case 's':
		case 'S':
			cmd_plot_option(c, &plot);
			break;
		case 'L':
			list = true;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			usage(stdout);
			ret = FL_EXIT_OK;
			goto out_opts;
		default:
			ret = cmd_bad_option(c, argv);
			goto out_opts;
		}
	}
	files = optind < argc ? argv + optind : default_files;
	ret = cmd_plot_check(&plot);
	if (ret)
		goto out_opts;
	cmd_set_cmdline(argc, argv);

	/* every input and plugin must be usable before anything is printed */
	ret = cmd_inputs_distinct(files, -1);
	if (ret)
		goto out;
	for (i = 0; files[i] && !list; i++) {
		ret = fl_replay_check(files[i]);
		if (ret)
			goto out;
	}
	if (defaults) {
		ret = fl_policy_load_default(&policies);
		if (ret)
			goto out;
	}
	for (i = 0; i < nr_plugins; i++) {
		ret = fl_policy_load_path(&policies, plugins[i]);
		if (ret)
			goto out;
	}
	if (only) {
		ret = fl_policy_select(&policies, only);
		if (ret)
			goto out;
	}
	if (list) {
		for (i = 0; i < policies.nr; i++)
			printf("%s\t%s\n", policies.v[i].p->name, policies.v[i].p->summary);
		goto out;
	}
	ret = cmd_plot_open(&plot, &policies, "forklock report", "no such policy loaded");
	if (ret)
		goto out;
	rf.results = calloc(policies.nr ? policies.nr : 1, sizeof(*rf.results));
	rf.decisions = calloc(policies.nr ? policies.nr : 1, sizeof(*rf.decisions));
	if (!rf.results || !rf.decisions) {
		ret = fl_err(FL_EXIT_FAILURE, "out of memory");
		goto out;
	}

	fl_summary_init(&summary);
	summary.command_view = !all;
	rf.sink = (struct fl_report_sink){
		.summary = &summary, .renderer = renderer, .policies = &policies,
		.svg = plot.svg, .svg_policy = plot.index,
	};
	rf.sink.ctx = renderer->begin(&ropts);
	if (!rf.sink.ctx) {
		ret = fl_err(FL_EXIT_FAILURE, "out of memory");
		goto out_summary;
	}
	for (i = 0; files[i] && !ret; i++) {
		struct fl_trace_info info;

		ret = fl_replay_file(files[i], &sink, &info);
		if (!ret)
			ret = rf.sink.error;
		if (!ret)
			fl_summary_add_trace(&summary, &info);
		if (!ret && plot.svg && fl_svg_trace(plot.svg, &info) < 0)
			ret = fl_err(FL_EXIT_FAILURE, "out of memory");
	}
	if (ret) {
		free(rf.sink.ctx);
		goto out_summary;
	}
	if (fl_summary_finish(&summary) < 0) {
		ret = fl_err(FL_EXIT_FAILURE, "out of memory: the report would miss forks");
		free(rf.sink.ctx);
		goto out_summary;
	}
	if (!cost_given)
		fl_lock_cost_calibrate(&summary, &report.cost, cost_source, sizeof(cost_source));
	report.s = &summary;
	report.policies = &policies;
	report.results = rf.results;
	if (renderer->end(rf.sink.ctx, &report) < 0)
		ret = cmd_output_failed("the report");
out_summary:
	fl_summary_free(&summary);
out:
	ret = cmd_plot_close(&plot, ret);
	free(rf.results);
	free(rf.decisions);
	fl_policy_set_free(&policies);
out_opts:
	free(plugins);		/* the option loop's early ends too */
	return ret;
}
