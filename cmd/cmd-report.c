// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock report: replay trace.dat files, judge every fork with the skip
 * policies and print what the forks did.  The data flows one way:
 * replay (forks) -> summary + policies -> renderer.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "forklock-exit.h"
#include "log.h"
#include "policy/policy.h"
#include "replay/replay.h"
#include "report/mail.h"
#include "report/render.h"
#include "report/summary.h"
#include "report/svg.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: forklock report [--format text|json|mail] [--forks] [--top N]\n"
		"                       [--policy-plugin PATH]... [--policy NAME,...] [--no-default-policies]\n"
		"                       [--lock-cost-ns N] [--svg FILE [--svg-policy NAME]] [FILE...]\n"
		"\n"
		"  -F, --format FMT          text (default), json (schema forklock-report/1) or mail\n"
		"      --forks               every fork, not only the summary\n"
		"      --top N               top forking commands to show (default 10)\n"
		"  -P, --policy-plugin PATH  load a skip-policy plugin (repeatable)\n"
		"      --policy NAMES        judge with these policies only (comma separated)\n"
		"      --no-default-policies do not load the plugin directory's policies\n"
		"      --lock-cost-ns N      cost of one vma_start_write() for the savings (default %d)\n"
		"      --svg FILE            plot window against VMAs locked, and the window histogram\n"
		"      --svg-policy NAME     colour the plot by this policy's decisions (default single-user)\n"
		"\n"
		"FILE defaults to forklock.dat.  Several files are summed into one report.\n",
		FL_DEFAULT_LOCK_COST_NS);
}

struct report_sink {
	struct fl_summary *summary;
	const struct fl_renderer *renderer;
	void *ctx;
	struct fl_policy_set *policies;
	struct fl_policy_result *results;
	struct fl_decision *decisions;
	struct fl_svg *svg;
	int svg_policy;		/* index of the policy that colours the plot, -1: none */
	int error;
};

static void on_fork(void *data, const struct fl_fork *f)
{
	struct report_sink *rs = data;
	bool judged = fl_fork_complete(f);

	fl_summary_add_fork(rs->summary, f);
	if (judged && fl_policy_judge(rs->policies, f, rs->decisions, rs->results) < 0)
		rs->error = FL_EXIT_PLUGIN;
	rs->renderer->fork(rs->ctx, f, rs->policies, judged ? rs->decisions : NULL);
	if (rs->svg && judged && !rs->error &&
	    fl_svg_point(rs->svg, fl_svg_policy_series(rs->svg_policy < 0 ? NULL :
						       &rs->decisions[rs->svg_policy]),
			 f->vmas_locked, f->window_ns) < 0)
		rs->error = fl_err(FL_EXIT_FAILURE, "out of memory");
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format",		required_argument,	NULL, 'F' },
		{ "forks",		no_argument,		NULL, 'k' },
		{ "top",		required_argument,	NULL, 't' },
		{ "policy-plugin",	required_argument,	NULL, 'P' },
		{ "policy",		required_argument,	NULL, 'p' },
		{ "no-default-policies", no_argument,		NULL, 'n' },
		{ "lock-cost-ns",	required_argument,	NULL, 'c' },
		{ "svg",		required_argument,	NULL, 's' },
		{ "svg-policy",		required_argument,	NULL, 'S' },
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
	bool defaults = true;
	struct fl_summary summary;
	struct report_sink rs = { .policies = &policies, .svg_policy = -1 };
	const char *svg_path = NULL, *svg_policy = NULL;
	FILE *svg_out = NULL;
	char *cmdline;
	struct fl_sink sink = { .fork = on_fork, .ctx = &rs };
	char **plugins = NULL;
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
				return ret;
			break;
		case 'P':
			plugins = realloc(plugins, (nr_plugins + 1) * sizeof(*plugins));
			if (!plugins)
				return fl_err(FL_EXIT_FAILURE, "out of memory");
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
			if (*end || !*optarg || *optarg == '-')
				return fl_err(FL_EXIT_USAGE, "--lock-cost-ns needs a number, not '%s'", optarg);
			report.cost.source = "--lock-cost-ns";
			cost_given = true;
			break;
		case 's':
			svg_path = optarg;
			break;
		case 'S':
			svg_policy = optarg;
			break;
		case 'h':
			usage(stdout);
			return FL_EXIT_OK;
		default:
			return cmd_bad_option(c, argv);
		}
	}
	files = optind < argc ? argv + optind : default_files;
	if (svg_policy && !svg_path)
		return fl_err(FL_EXIT_USAGE, "--svg-policy needs --svg FILE");
	cmdline = fl_shell_join("forklock", argc, argv);
	fl_render_set_cmdline(cmdline);
	free(cmdline);

	/* every input and plugin must be usable before anything is printed */
	for (i = 0; files[i]; i++) {
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
	if (svg_path) {
		for (i = 0; i < policies.nr; i++)
			if (!strcmp(policies.v[i].p->name, svg_policy ? svg_policy : "single-user"))
				rs.svg_policy = i;
		if (svg_policy && rs.svg_policy < 0) {
			ret = fl_err(FL_EXIT_USAGE, "--svg-policy %s: no such policy loaded", svg_policy);
			goto out;
		}
		if (rs.svg_policy < 0 && policies.nr)
			rs.svg_policy = 0;
		rs.svg = fl_svg_new_policy("forklock report", rs.svg_policy < 0 ? NULL :
					    policies.v[rs.svg_policy].p->name);
		if (!rs.svg) {
			ret = fl_err(FL_EXIT_FAILURE, "out of memory");
			goto out;
		}
		svg_out = fopen(svg_path, "w");
		if (!svg_out) {
			ret = fl_err(FL_EXIT_OUTPUT, "cannot create %s: %s", svg_path, strerror(errno));
			goto out;
		}
	}
	rs.results = calloc(policies.nr ? policies.nr : 1, sizeof(*rs.results));
	rs.decisions = calloc(policies.nr ? policies.nr : 1, sizeof(*rs.decisions));
	if (!rs.results || !rs.decisions) {
		ret = fl_err(FL_EXIT_FAILURE, "out of memory");
		goto out;
	}

	fl_summary_init(&summary);
	rs.summary = &summary;
	rs.renderer = renderer;
	rs.ctx = renderer->begin(&ropts);
	if (!rs.ctx) {
		ret = fl_err(FL_EXIT_FAILURE, "out of memory");
		goto out_summary;
	}
	for (i = 0; files[i] && !ret; i++) {
		struct fl_trace_info info;

		ret = fl_replay_file(files[i], &sink, &info);
		if (!ret)
			ret = rs.error;
		if (!ret)
			fl_summary_add_trace(&summary, &info);
	}
	if (ret) {
		free(rs.ctx);
		goto out_summary;
	}
	if (fl_summary_finish(&summary) < 0) {
		ret = fl_err(FL_EXIT_FAILURE, "out of memory: the report would miss forks");
		free(rs.ctx);
		goto out_summary;
	}
	if (!cost_given)
		fl_lock_cost_calibrate(&summary, &report.cost, cost_source, sizeof(cost_source));
	report.s = &summary;
	report.policies = &policies;
	report.results = rs.results;
	if (renderer->end(rs.ctx, &report) < 0)
		ret = fl_err(FL_EXIT_OUTPUT, "cannot write the report");
	if (!ret && svg_out) {
		int bad = fl_svg_write(rs.svg, svg_out);

		if (fclose(svg_out) || bad)
			ret = fl_err(FL_EXIT_OUTPUT, "cannot write %s", svg_path);
		svg_out = NULL;
	}
out_summary:
	fl_summary_free(&summary);
out:
	free(rs.results);
	free(rs.decisions);
	fl_policy_set_free(&policies);
	free(plugins);
	if (svg_out) {
		fclose(svg_out);
		unlink(svg_path);	/* no half-written plot */
	}
	fl_svg_free(rs.svg);
	return ret;
}
