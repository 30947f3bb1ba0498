// SPDX-License-Identifier: GPL-2.0-or-later
/* Option errors, worded the same for every subcommand. */
#include <getopt.h>

#include "cmd.h"
#include "forklock-exit.h"
#include "log.h"

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
