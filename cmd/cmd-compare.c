// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock compare: the fork windows of BASE against PATCHED (a trace.dat
 * or a forklock JSON report made with --forks on either side): per
 * VMA-count bucket, median and p99 with bootstrap intervals; the ns-per-VMA
 * slope of each side and its change.  lib/compare/compare.h has the method.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "compare/compare.h"
#include "forklock-exit.h"
#include "log.h"
#include "report/mail.h"
#include "report/svg.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: forklock compare [--format text|json|mail] [--force] [--comm NAMES] [--all]\n"
		"                        [--bootstrap N] [--seed N] [--svg FILE] BASE PATCHED\n"
		"\n"
		"  -F, --format FMT   text (default), json (schema forklock-compare/1) or mail\n"
		"      --force        compare even if the two sides ran different workloads\n"
		"      --comm NAMES   only the forks of parents of these comms (comma separated)\n"
		"      --all          every task's forks, not only record -- COMMAND's tree\n"
		"      --bootstrap N  bootstrap resamples, 10 to 1000000 (default %d)\n"
		"      --seed N       seed of the resampling (default %d)\n"
		"      --svg FILE     plot both sides: window against VMAs locked, histogram\n"
		"\n"
		"BASE and PATCHED are trace.dat files, or JSON reports of forklock report that\n"
		"hold every fork (see forklock-compare(1)).\n",
		FL_CMP_REPLICATES, FL_CMP_SEED);
}

static int write_svg(const char *path, const struct fl_comparison *c)
{
	static const char *colours[] = { "#0072B2", "#D55E00" };
	static const char *names[] = { "base", "patched" };
	struct fl_svg *g;
	FILE *out;
	uint64_t i;
	int s, ret = 0;

	g = fl_svg_new("forklock compare", c->origin ? "side (lines through the origin)" : "side",
		       FL_SVG_SIDE_BY_SIDE);
	if (!g)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	for (s = 0; s < 2 && !ret; s++) {
		const struct fl_cmp_side *side = c->side[s];
		struct fl_svg_source src = {
			.path = side->path, .kernel = side->kernel, .tier = side->tier,
			.command = side->nr_traces ? side->commands[0] : NULL,
			.lost_events = side->lost_events,
		};

		if (fl_svg_source(g, &src) < 0)
			ret = fl_err(FL_EXIT_FAILURE, "out of memory");
	}
	for (s = 0; s < 2 && !ret; s++) {
		if (fl_svg_series(g, names[s], colours[s]) != s) {
			ret = fl_err(FL_EXIT_FAILURE, "out of memory");
			break;
		}
		for (i = 0; i < c->side[s]->n && !ret; i++)
			if (fl_svg_point(g, s, (uint32_t)c->side[s]->pts[i].x,
					 (uint64_t)c->side[s]->pts[i].y) < 0)
				ret = fl_err(FL_EXIT_FAILURE, "out of memory");
		if (c->fit[s].valid)
			fl_svg_fit(g, s, c->origin ? 0 : c->fit[s].intercept, c->fit[s].slope);
	}
	if (!ret) {
		out = fopen(path, "w");
		if (!out)
			ret = fl_err(FL_EXIT_OUTPUT, "cannot create %s: %s", path, strerror(errno));
		else if (cmd_close_output(out, fl_svg_write(g, out))) {
			ret = cmd_output_failed(path);
			cmd_remove_partial(path);
		}
	}
	fl_svg_free(g);
	return ret;
}

int cmd_compare(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format",	required_argument,	NULL, 'F' },
		{ "force",	no_argument,		NULL, 'f' },
		{ "comm",	required_argument,	NULL, 'c' },
		{ "bootstrap",	required_argument,	NULL, 'b' },
		{ "seed",	required_argument,	NULL, 's' },
		{ "svg",	required_argument,	NULL, 'g' },
		{ "all",	no_argument,		NULL, 'a' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *format = "text", *svg = NULL, *only = NULL;
	unsigned long replicates = FL_CMP_REPLICATES;
	unsigned long long seed = FL_CMP_SEED;
	struct fl_cmp_side side[2] = { 0 };
	struct fl_comparison c = { 0 };
	bool force = false, all = false;
	char *end;
	int opt, ret;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":F:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'F':
			format = optarg;
			if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "mail"))
				return fl_err(FL_EXIT_USAGE, "unknown format '%s' (text, json or mail)",
					      optarg);
			break;
		case 'f':
			force = true;
			break;
		case 'c':
			only = optarg;
			break;
		case 'b':
			errno = 0;
			replicates = strtoul(optarg, &end, 10);
			if (*end || !*optarg || *optarg == '-' || errno || replicates < 10 ||
			    replicates > 1000000)
				return fl_err(FL_EXIT_USAGE, "--bootstrap needs a number from 10 to "
					      "1000000, not '%s'", optarg);
			break;
		case 's':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (*end || !*optarg || *optarg == '-' || errno)
				return fl_err(FL_EXIT_USAGE, "--seed needs a number, not '%s'", optarg);
			break;
		case 'g':
			svg = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			usage(stdout);
			return FL_EXIT_OK;
		default:
			return cmd_bad_option(opt, argv);
		}
	}
	if (argc - optind != 2)
		return fl_err(FL_EXIT_USAGE, "compare needs two files, BASE and PATCHED, not %d "
			      "(see 'forklock compare --help')", argc - optind);
	cmd_set_cmdline(argc, argv);

	ret = fl_cmp_side_load(&side[0], "base", argv[optind], only, all);
	if (!ret)
		ret = fl_cmp_side_load(&side[1], "patched", argv[optind + 1], only, all);
	if (!ret) {
		ret = fl_compare_run(&c, &side[0], &side[1], replicates, seed, force);
		if (ret == FL_EXIT_FAILURE)
			fl_err(FL_EXIT_FAILURE, "out of memory");
	}
	if (ret)
		goto out;
	if (svg) {
		ret = write_svg(svg, &c);
		if (ret)
			goto out;
	}
	if (!strcmp(format, "json"))
		ret = fl_compare_json(stdout, &c);
	else
		ret = fl_compare_text(stdout, &c, !strcmp(format, "mail"));
	if (ret)
		ret = cmd_output_failed("the comparison");
out:
	fl_compare_free(&c);
	fl_cmp_side_free(&side[0]);
	fl_cmp_side_free(&side[1]);
	return ret;
}
