// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-replay - libFuzzer target over forklock's trace.dat reading and
 * replay path: the input is written to a new memfd and given, by its
 * /proc/self/fd path, to fl_replay_check() (check.c's header walk, then
 * libtracecmd's open and the decoder) and, when that accepts it, to
 * fl_replay_file() (one full replay: model, fork windows, accessors) with a
 * sink that discards the forks.
 *
 * Built with clang -fsanitize=fuzzer,address,undefined by tests/fuzz/fuzz.py
 * (see tests/fuzz/README).  Every input must end in a clean return: an
 * FL_EXIT_* code, never a crash, a sanitizer report, a leak or a hang.
 *
 * forklock's one-line errors go to stderr (fuzz.py runs libFuzzer with
 * -close_fd_mask=3 to drop them and libtracecmd's printf()s; sanitizer
 * reports still show).  FUZZ_REPLAY_VERBOSE=1 adds a line with each input's
 * exit code; FUZZ_REPLAY_EXPECT=CODES (comma-separated) makes an input
 * whose result is not one of CODES abort, so a regression input can pin
 * its exit code.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "forklock-exit.h"
#include "log.h"
#include "replay/replay.h"

static unsigned long forks_seen;

static void discard_fork(void *ctx, const struct fl_fork *f)
{
	(void)ctx;
	(void)f;
	forks_seen++;
}

static const struct fl_sink discard = { .fork = discard_fork };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fl_log_set_prog("fuzz-replay");
	fl_log_set_quiet(true);
	return 0;
}

static int expected(int code)
{
	const char *e = getenv("FUZZ_REPLAY_EXPECT");
	char buf[128], *tok, *save;

	if (!e)
		return 1;
	snprintf(buf, sizeof(buf), "%s", e);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (atoi(tok) == code)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_trace_info info;
	char path[64];
	size_t done = 0;
	int fd, ret;

	/* a new file each time: check.c remembers files it checked by inode,
	 * size and times, and two inputs may share all but the inode */
	fd = memfd_create("fuzz-replay-input", MFD_CLOEXEC);
	if (fd < 0) {
		perror("fuzz-replay: memfd_create");
		abort();
	}
	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = fl_replay_check(path);
	if (ret == FL_EXIT_OK)
		ret = fl_replay_file(path, &discard, &info);
	close(fd);
	if (getenv("FUZZ_REPLAY_VERBOSE"))
		fprintf(stderr, "fuzz-replay: exit %d, %lu forks\n", ret, forks_seen);
	if (!expected(ret)) {
		fprintf(stderr, "fuzz-replay: exit code %d is not one of FUZZ_REPLAY_EXPECT=%s\n",
			ret, getenv("FUZZ_REPLAY_EXPECT"));
		abort();
	}
	return 0;
}
