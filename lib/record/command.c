// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * COMMAND: found before anything is touched, forked before tracing starts
 * and held on a pipe until tracing is on and the snapshot taken, then
 * released; its exit ends the recording, and a failed recording ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "forklock-exit.h"
#include "log.h"
#include "record/record-local.h"

/* execvp's search, done up front so a bad COMMAND fails before tracing */
int command_resolve(const char *name, char *path, size_t len)
{
	const char *p, *dirs = getenv("PATH");
	bool found_noexec = false;
	struct stat st;

	if (strchr(name, '/')) {
		snprintf(path, len, "%s", name);
		if (stat(path, &st) < 0)
			return FL_EXIT_CMD_NOTFOUND;
		if (S_ISDIR(st.st_mode) || access(path, X_OK) < 0)
			return FL_EXIT_CMD_NOEXEC;
		return 0;
	}
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (p = dirs; ; p = strchr(p, ':') + 1) {
		size_t dl = strcspn(p, ":");

		snprintf(path, len, "%.*s%s%s", (int)dl, dl ? p : ".", "/", name);
		if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(path, X_OK) == 0)
				return 0;
			found_noexec = true;
		}
		if (!p[dl])
			break;
	}
	return found_noexec ? FL_EXIT_CMD_NOEXEC : FL_EXIT_CMD_NOTFOUND;
}

int command_fork(struct recorder *r, const char *path)
{
	int go[2], err[2];
	sigset_t none;

	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return fl_err(FL_EXIT_FAILURE, "pipe: %s", strerror(errno));
	r->child = fork();
	if (r->child < 0)
		return fl_err(FL_EXIT_FAILURE, "fork: %s", strerror(errno));
	if (r->child == 0) {
		char c;
		int e;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		close(go[1]);
		close(err[0]);
		/* the recorder gave up before tracing started: just go */
		if (read(go[0], &c, 1) != 1)
			_exit(FL_EXIT_FAILURE);
		execv(path, r->opts->command);
		e = errno;
		if (write(err[1], &e, sizeof(e)) < 0)
			_exit(FL_EXIT_CMD_NOEXEC);
		_exit(e == ENOENT ? FL_EXIT_CMD_NOTFOUND : FL_EXIT_CMD_NOEXEC);
	}
	close(go[0]);
	close(err[1]);
	r->child_go = go[1];
	r->child_err = err[0];
	return 0;
}

int command_release(struct recorder *r)
{
	ssize_t n;
	int e;

	r->child_start_ns = fl_mono_ns();
	if (write(r->child_go, "g", 1) != 1)
		return fl_err(FL_EXIT_FAILURE, "cannot start COMMAND: %s", strerror(errno));
	close(r->child_go);
	r->child_go = -1;
	/* closes on a successful exec, or carries its errno */
	n = read(r->child_err, &e, sizeof(e));
	close(r->child_err);
	r->child_err = -1;
	if (n == sizeof(e)) {
		if (e == ENOENT)
			return fl_err(FL_EXIT_CMD_NOTFOUND, "command not found: %s",
				      r->opts->command[0]);
		return fl_err(FL_EXIT_CMD_NOEXEC, "command is not executable: %s (%s)",
			      r->opts->command[0], strerror(e));
	}
	return 0;
}

bool command_exited(struct recorder *r)
{
	int status;

	if (r->child <= 0 || waitpid(r->child, &status, WNOHANG) != r->child)
		return false;
	r->child = -1;
	r->child_status = status;
	r->child_end_ns = fl_mono_ns();
	return true;
}

void command_signal(struct recorder *r, int sig)
{
	if (r->child > 0)
		kill(r->child, sig);
}

/* Stopped by a signal or a limit: give COMMAND a moment to go. */
void command_reap(struct recorder *r)
{
	int i;

	for (i = 0; i < 100 && r->child > 0; i++) {
		if (command_exited(r))
			break;
		usleep(10000);
	}
}

void command_wait_end(struct recorder *r)
{
	sigset_t set;
	int sig;

	capture_signals(&set);
	while (r->child > 0 && !command_exited(r)) {
		struct timespec ts = { .tv_nsec = 100000000 };

		sig = sigtimedwait(&set, NULL, &ts);
		if (sig > 0 && sig != SIGCHLD)
			command_signal(r, sig);
	}
}

void command_cleanup(struct recorder *r, bool failed)
{
	if (r->child_go >= 0)
		close(r->child_go);	/* a held COMMAND exits at once */
	if (r->child_err >= 0)
		close(r->child_err);
	if (r->child > 0 && failed) {
		kill(r->child, SIGTERM);
		waitpid(r->child, NULL, 0);
	}
}
