/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exit codes of every forklock command.  Each kind of failure has its own
 * code so scripts can tell them apart; docs/forklock.1 lists them.
 */
#ifndef FORKLOCK_EXIT_H
#define FORKLOCK_EXIT_H

enum fl_exit {
	FL_EXIT_OK		= 0,
	FL_EXIT_FAILURE		= 1,	/* unexpected failure (a bug, ENOMEM, I/O error) */
	FL_EXIT_USAGE		= 2,	/* unknown option, bad argument */
	FL_EXIT_PERM		= 3,	/* not root / no CAP_SYS_ADMIN */
	FL_EXIT_NO_TRACEFS	= 4,	/* tracefs is not mounted and cannot be mounted */
	FL_EXIT_OUTPUT		= 5,	/* output cannot be created, or exists without --force */
	FL_EXIT_EVENTS		= 6,	/* a required tracepoint is missing on this kernel */
	FL_EXIT_TRACEFS		= 7,	/* tracefs refused a setup step */
	FL_EXIT_TIER		= 8,	/* requested recording tier not available */
	FL_EXIT_CUT		= 9,	/* record: the trace was written, but cut short */
	FL_EXIT_INPUT		= 10,	/* input file missing or unreadable */
	FL_EXIT_FORMAT		= 11,	/* input is not a trace.dat (or forklock JSON) */
	FL_EXIT_TRUNCATED	= 12,	/* input is cut short */
	FL_EXIT_LAYOUT		= 13,	/* trace lacks the events or fields replay needs */
	FL_EXIT_PLUGIN		= 14,	/* a policy plugin failed to load */
	FL_EXIT_MISMATCH	= 15,	/* compare: different workloads, not forced */
	FL_EXIT_BPF		= 17,	/* the bpf tier was refused: no BTF, the kernel or the verifier */
	FL_EXIT_PARTIAL		= 18,	/* input read only in part (memory or address-space limit) */
	FL_EXIT_NOT_REGULAR	= 21,	/* record: the output exists and is a FIFO, device or socket */
	FL_EXIT_BPF_LOST	= 23,	/* record: written, but BPF fork records were lost */
	FL_EXIT_CMD_NOEXEC	= 126,	/* COMMAND found but cannot be executed */
	FL_EXIT_CMD_NOTFOUND	= 127,	/* COMMAND not found */
};

#endif
