// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * peak-rss: the peak RSS of one process itself, not of its children.
 *
 *   peak-rss -o FILE -- PROGRAM [ARGS...]
 *
 * Runs PROGRAM traced for its exit only (PTRACE_O_TRACEEXIT, and
 * PTRACE_O_TRACEEXEC so that an exec it makes in turn, e.g. a wrapper
 * script's, is no SIGTRAP: no threads, no children, no system calls are
 * traced) and, at the exit stop, where
 * the process still has its memory, writes the VmHWM line of
 * /proc/PID/status (all its threads: one mm) to FILE:
 *
 *   Pid:	PID		(written as it starts)
 *   VmHWM:	N kB		(written at its exit)
 *
 * wait4()'s ru_maxrss would be the largest of PROGRAM and every child it
 * reaped (forklock record's COMMAND among them); this is PROGRAM alone.
 *
 * Signals PROGRAM receives are passed on unchanged.  Exit: PROGRAM's exit
 * status (128 + N if killed by signal N), 125 if peak-rss itself failed,
 * 127 if PROGRAM could not be run.  If peak-rss dies, the kernel detaches
 * PROGRAM, which runs on untraced (no PTRACE_O_EXITKILL: a recorder killed
 * here could not clean up its tracefs instance).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: peak-rss -o FILE -- PROGRAM [ARGS...]\n");
	return 125;
}

/* the "VmHWM: N kB" line of @pid onto @out; -1 if /proc had none */
static int save_vmhwm(pid_t pid, FILE *out)
{
	char path[64], line[256];
	int found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmHWM:", 6)) {
			found = fputs(line, out) < 0 || fflush(out) ? -1 : 0;
			break;
		}
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	bool saved = false;
	FILE *o;
	int c, status;
	pid_t pid;

	while ((c = getopt(argc, argv, "+o:")) != -1) {
		if (c != 'o')
			return usage();
		out = optarg;
	}
	if (!out || optind >= argc)
		return usage();
	o = fopen(out, "w");
	if (!o) {
		fprintf(stderr, "peak-rss: %s: %s\n", out, strerror(errno));
		return 125;
	}
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("peak-rss: fork");
		return 125;
	}
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(125);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "peak-rss: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	if (fprintf(o, "Pid:\t%d\n", (int)pid) < 0 || fflush(o))
		perror("peak-rss: writing");
	/* the exec stops it (SIGTRAP): from there on, only its exit */
	if (waitpid(pid, &status, 0) < 0 || !WIFSTOPPED(status)) {
		fprintf(stderr, "peak-rss: %s did not start\n", argv[optind]);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
	}
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC)) < 0 ||
	    ptrace(PTRACE_CONT, pid, NULL, NULL) < 0) {
		perror("peak-rss: ptrace");
		kill(pid, SIGKILL);
		return 125;
	}
	for (;;) {
		int sig = 0;

		if (waitpid(pid, &status, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			perror("peak-rss: waitpid");
			return 125;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		if (!WIFSTOPPED(status))
			continue;
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
			saved = save_vmhwm(pid, o) == 0;
			if (!saved)
				fprintf(stderr, "peak-rss: no VmHWM for %d\n", (int)pid);
		} else if (status >> 8 != (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
			sig = WSTOPSIG(status);	/* a signal for it: delivered as it was */
		}
		if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig) < 0 && errno != ESRCH) {
			perror("peak-rss: ptrace");
			return 125;
		}
	}
	if (fclose(o) || !saved)
		return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
