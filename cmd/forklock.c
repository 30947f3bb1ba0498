// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock: measure the per-VMA locks fork() takes in dup_mmap(), and what
 * touches the parent's mm while it holds them.
 *
 * This file only maps a subcommand name to its cmd_<name>() function.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "forklock-exit.h"
#include "log.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "check",	cmd_check,	"what this host can record, and with which tier" },
	{ "record",	cmd_record,	"record fork windows into a trace.dat" },
	{ "report",	cmd_report,	"replay trace.dat files: forks, VMA locks, windows" },
	{ "compare",	cmd_compare,	"fork windows of a base and a patched recording, with intervals" },
	{ "merge",	cmd_merge,	"many hosts' JSON reports summed into one" },
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: forklock [--version] [--help] <command> [<args>]\n\n");
	fprintf(f, "commands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'forklock <command> --help' and 'man forklock-<command>' describe each.\n");
}

int main(int argc, char **argv)
{
	static char prog[64];
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return FL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return cmd_stdout_done(FL_EXIT_OK);
	}
	if (!strcmp(argv[1], "--version")) {
		printf("forklock %s\n", FORKLOCK_VERSION);
		return cmd_stdout_done(FL_EXIT_OK);
	}
	for (i = 0; i < NR_COMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		snprintf(prog, sizeof(prog), "forklock %s", commands[i].name);
		fl_log_set_prog(prog);
		return cmd_stdout_done(commands[i].run(argc - 1, argv + 1));
	}
	return fl_err(FL_EXIT_USAGE, "unknown command '%s' (see 'forklock --help')", argv[1]);
}
