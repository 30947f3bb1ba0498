// SPDX-License-Identifier: GPL-2.0-or-later
/* Option errors, worded the same for every subcommand. */
#include <getopt.h>
#include <stdlib.h>

#include "cmd.h"
#include "forklock-exit.h"
#include "log.h"
#include "report/render.h"

int cmd_bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return fl_err(FL_EXIT_USAGE, "option '%s' needs a value", arg);
	if (optopt && arg[0] == '-' && arg[1] != '-')
		return fl_err(FL_EXIT_USAGE, "unknown option '-%c' (see '%s --help')",
			      optopt, fl_log_prog());
	return fl_err(FL_EXIT_USAGE, "unknown option '%s' (see '%s --help')", arg, fl_log_prog());
}

int cmd_render_option(int c, const struct fl_renderer **renderer, struct fl_render_opts *ropts)
{
	char *end;

	switch (c) {
	case 'F':
		*renderer = fl_renderer_find(optarg);
		if (!*renderer)
			return fl_err(FL_EXIT_USAGE, "unknown format '%s' (text, json or mail)", optarg);
		return 0;
	case 'k':
		ropts->forks = true;
		return 0;
	case 't':
		ropts->top = (int)strtol(optarg, &end, 10);
		if (*end || !*optarg || ropts->top < 0)
			return fl_err(FL_EXIT_USAGE, "--top needs a number, not '%s'", optarg);
		return 0;
	}
	return -1;
}
