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

	fprintf(f, "usage: forklock [-V | --version] [-h | --help] <command> [<args>]\n"
		   "       forklock help <command>\n\n");
	fprintf(f, "  -V, --version  print the version and exit\n");
	fprintf(f, "  -h, --help     this list (forklock help <command>: that command's --help)\n\n");
	fprintf(f, "commands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'forklock <command> --help' and 'man forklock-<command>' describe each.\n");
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static int run(const struct command *cmd, int argc, char **argv)
{
	static char prog[64];

	snprintf(prog, sizeof(prog), "forklock %s", cmd->name);
	fl_log_set_prog(prog);
	return cmd->run(argc, argv);
}

/* forklock help [COMMAND]: the list, or exactly what 'forklock COMMAND --help' prints */
static int help(int argc, char **argv)
{
	static char opt_help[] = "--help";
	const struct command *cmd;
	char *args[3];

	if (argc < 2) {
		usage(stdout);
		return FL_EXIT_OK;
	}
	if (argc > 2)
		return fl_err(FL_EXIT_USAGE, "help takes one command, not '%s' too", argv[2]);
	cmd = find_command(argv[1]);
	if (!cmd)
		return fl_err(FL_EXIT_USAGE, "unknown command '%s' (see 'forklock --help')", argv[1]);
	args[0] = argv[1];
	args[1] = opt_help;
	args[2] = NULL;
	return run(cmd, 2, args);
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		usage(stderr);
		return FL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_stdout_done(argc == 2 ? (usage(stdout), FL_EXIT_OK) :
				       fl_err(FL_EXIT_USAGE, "%s takes no arguments", argv[1]));
	if (!strcmp(argv[1], "help"))
		return cmd_stdout_done(help(argc - 1, argv + 1));
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("forklock %s\n", FORKLOCK_VERSION);
		return cmd_stdout_done(FL_EXIT_OK);
	}
	cmd = find_command(argv[1]);
	if (cmd)
		return cmd_stdout_done(run(cmd, argc - 1, argv + 1));
	if (argv[1][0] == '-')
		return fl_err(FL_EXIT_USAGE, "unknown option '%s' (see 'forklock --help')", argv[1]);
	return fl_err(FL_EXIT_USAGE, "unknown command '%s' (see 'forklock --help')", argv[1]);
}
