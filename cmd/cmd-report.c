// SPDX-License-Identifier: GPL-2.0-or-later
/* forklock report: replay trace.dat files and print what the forks did. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "forklock-exit.h"
#include "log.h"
#include "render.h"
#include "replay.h"
#include "summary.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: forklock report [--format text|json] [--forks] [--top N] [FILE...]\n"
		"\n"
		"  -F, --format FMT   text (default) or json (schema forklock-report/1)\n"
		"      --forks        every fork, not only the summary\n"
		"      --top N        top forking commands to show (default 10)\n"
		"\n"
		"FILE defaults to forklock.dat.  Several files are summed into one report.\n");
}

struct report_sink {
	struct fl_summary *summary;
	const struct fl_renderer *renderer;
	void *ctx;
};

static void on_fork(void *data, const struct fl_fork *f)
{
	struct report_sink *rs = data;

	fl_summary_add_fork(rs->summary, f);
	rs->renderer->fork(rs->ctx, f);
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format",	required_argument,	NULL, 'F' },
		{ "forks",	no_argument,		NULL, 'k' },
		{ "top",	required_argument,	NULL, 't' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct fl_render_opts ropts = { .out = stdout, .top = 10 };
	const struct fl_renderer *renderer = &fl_render_text;
	static char *default_files[] = { "forklock.dat", NULL };
	struct fl_summary summary;
	struct report_sink rs;
	struct fl_sink sink = { .fork = on_fork, .ctx = &rs };
	char **files;
	char *end;
	int c, i, ret = FL_EXIT_OK;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":F:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			renderer = fl_renderer_find(optarg);
			if (!renderer)
				return fl_err(FL_EXIT_USAGE, "unknown format '%s' (text or json)", optarg);
			break;
		case 'k':
			ropts.forks = true;
			break;
		case 't':
			ropts.top = (int)strtol(optarg, &end, 10);
			if (*end || ropts.top < 0)
				return fl_err(FL_EXIT_USAGE, "--top needs a number, not '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			return FL_EXIT_OK;
		default:
			return cmd_bad_option(c, argv);
		}
	}
	files = optind < argc ? argv + optind : default_files;

	/* every input must be usable before anything is printed */
	for (i = 0; files[i]; i++) {
		ret = fl_replay_check(files[i]);
		if (ret)
			return ret;
	}
	fl_summary_init(&summary);
	rs.summary = &summary;
	rs.renderer = renderer;
	rs.ctx = renderer->begin(&ropts);
	if (!rs.ctx)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	for (i = 0; files[i]; i++) {
		struct fl_trace_info info;

		ret = fl_replay_file(files[i], &sink, &info);
		if (ret)
			break;
		fl_summary_add_trace(&summary, &info);
	}
	if (ret) {
		/* the error line is printed; do not leave half a report behind it */
		fflush(stdout);
		fl_summary_free(&summary);
		free(rs.ctx);
		return ret;
	}
	fl_summary_finish(&summary);
	if (renderer->end(rs.ctx, &summary) < 0)
		ret = fl_err(FL_EXIT_OUTPUT, "cannot write the report");
	fl_summary_free(&summary);
	return ret;
}
