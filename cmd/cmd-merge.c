// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock merge: many hosts' JSON reports (forklock report --format json
 * --forks) into one report, as forklock report would have printed it for
 * all their traces at once, with a table of the hosts.
 * lib/merge/merge.h has how.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "forklock-exit.h"
#include "log.h"
#include "merge/merge.h"
#include "report/render.h"
#include "report/sink.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: forklock merge [--format text|json|mail] [--forks] [--top N]\n"
		"                      [--svg FILE [--svg-policy NAME]] REPORT.json...\n"
		"\n"
		"  -F, --format FMT       text (default), json (schema forklock-report/1, plus\n"
		"                         \"hosts\") or mail\n"
		"      --forks            every fork, not only the summary\n"
		"      --top N            top forking commands to show (default 10)\n"
		"      --svg FILE         plot window against VMAs locked, and the window histogram\n"
		"      --svg-policy NAME  colour the dots by this policy (default: by host when\n"
		"                         there are several reports, else single-user)\n"
		"\n"
		"Each REPORT.json is what 'forklock report --format json --forks' writes, one per\n"
		"host; all must be judged by the same policies with the same lock cost.\n");
}

/* Several hosts: the plot's colours are theirs (--svg-policy asks for a policy's). */
static int plot_hosts(struct cmd_plot *plot, const struct fl_merge *m)
{
	int i;

	fl_svg_free(plot->svg);
	plot->svg = fl_svg_new("forklock merge", "the report (host)", FL_SVG_STACKED);
	for (i = 0; plot->svg && i < m->nr_hosts; i++)
		if (fl_svg_series(plot->svg, m->hosts[i].label, fl_svg_colour(i)) < 0) {
			fl_svg_free(plot->svg);
			plot->svg = NULL;
		}
	return plot->svg ? 0 : fl_err(FL_EXIT_FAILURE, "out of memory");
}

int cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		CMD_RENDER_LONGOPTS,
		CMD_PLOT_LONGOPTS,
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct fl_render_opts ropts = { .out = stdout, .top = 10 };
	const struct fl_renderer *renderer = &fl_render_text;
	struct cmd_plot plot = { 0 };
	struct fl_render_extra hosts;
	struct fl_report_sink sink;
	struct fl_merge m = { 0 };
	struct fl_report report;
	int c, ret;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":F:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
		case 'k':
		case 't':
			ret = cmd_render_option(c, &renderer, &ropts);
			if (ret)
				return ret;
			break;
		case 's':
		case 'S':
			cmd_plot_option(c, &plot);
			break;
		case 'h':
			usage(stdout);
			return FL_EXIT_OK;
		default:
			return cmd_bad_option(c, argv);
		}
	}
	if (optind >= argc)
		return fl_err(FL_EXIT_USAGE, "merge needs at least one REPORT.json "
			      "(see 'forklock merge --help')");
	ret = cmd_plot_check(&plot);
	if (ret)
		return ret;
	cmd_set_cmdline(argc, argv);

	/* every report must be usable before anything is printed */
	ret = cmd_inputs_distinct(argv + optind, argc - optind);
	if (ret)
		return ret;
	ret = fl_merge_check(&m, argv + optind, argc - optind);
	if (ret)
		goto out;
	ret = cmd_plot_open(&plot, &m.policies, "forklock merge", "the reports have no such policy");
	if (ret)
		goto out;
	if (plot.svg && m.nr_hosts > 1 && !plot.policy) {
		ret = plot_hosts(&plot, &m);
		if (ret)
			goto out;
	}
	hosts = fl_merge_extra(&m);
	ropts.extra = &hosts;
	sink = (struct fl_report_sink){ .renderer = renderer, .svg = plot.svg,
					.svg_policy = plot.index,
					.svg_by_input = plot.svg && m.nr_hosts > 1 && !plot.policy };
	sink.ctx = renderer->begin(&ropts);
	if (!sink.ctx) {
		ret = fl_err(FL_EXIT_FAILURE, "out of memory");
		goto out;
	}
	ret = fl_merge_run(&m, argv + optind, &sink);
	if (ret) {
		free(sink.ctx);
		goto out;
	}
	for (c = 0; plot.svg && c < m.nr_traces; c++)
		if (fl_svg_trace(plot.svg, &m.traces[c]) < 0) {
			ret = fl_err(FL_EXIT_FAILURE, "out of memory");
			free(sink.ctx);
			goto out;
		}
	report = fl_merge_report(&m);
	if (renderer->end(sink.ctx, &report) < 0)
		ret = cmd_output_failed("the report");
out:
	ret = cmd_plot_close(&plot, ret);
	fl_merge_free(&m);
	return ret;
}
