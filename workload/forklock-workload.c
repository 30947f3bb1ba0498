// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock-workload MODE [options]
 *
 * Forks in a known way and prints what it did — the ground truth a
 * forklock report is checked against — as one JSON object on stdout (or
 * --json FILE).  Diagnostics go to stderr.  Exit 0: done; 1: a syscall
 * or a check failed; 2: bad usage.
 */
#include <stdlib.h>
#include <string.h>

#include "workload.h"

/*
 * uffd-monitor and uffd-copy-monitor are started by "uffd --monitor" and
 * "uffd-copy" only; --help does not list them
 */
static const struct wl_mode wl_modes[] = {
	{ "storm",		wl_storm_run },
	{ "uffd",		wl_uffd_run },
	{ "spawn",		wl_spawn_run },
	{ "busy",		wl_busy_run },
	{ "uffd-copy",		wl_uffd_copy_run },
	{ "file-fault",		wl_file_fault_run },
	{ "uffd-monitor",	wl_uffd_monitor_run },
	{ "uffd-copy-monitor",	wl_uffd_copy_monitor_run },
};

void wl_usage(FILE *f)
{
	fputs(
"usage: " WL_PROG " MODE [options]\n"
"\n"
"Forks in a known way; prints the ground truth as one JSON object.\n"
"\n"
"modes:\n"
"  storm --forks F [--vmas N] [--threads T] [--siblings idle|fault] [--touch]\n"
"        [--dontfork D] [--hold-ms MS]\n"
"      F fork()s; N extra non-mergeable VMAs (--touch: each gets an anon_vma);\n"
"      D more with MADV_DONTFORK (locked by each fork, not copied);\n"
"      T threads in all (T-1 siblings, idle in read() or faulting; default 1).\n"
"  uffd --forks F [--monitor] [--pages P] [--hold-ms MS]\n"
"      F fork()s of a single-threaded owner of a userfaultfd registered on P\n"
"      pages (default 64); --monitor: a posix_spawn()ed monitor process issues\n"
"      UFFDIO_COPY/ZEROPAGE into that range throughout the forks.\n"
"  spawn [--vfork N] [--posix-spawn N] [--clone-vm N]\n"
"      children that share the mm: none runs dup_mmap().\n"
"  uffd-copy --rounds R [--monitor process|thread] [--mib M] [--settle-ms S]\n"
"        [--no-wipeonfork] [--hold-ms MS]\n"
"      R rounds of two fork()s: one with no copy in flight, one while a monitor\n"
"      (a posix_spawn()ed process, or a sibling thread) fills the owner's\n"
"      userfaultfd range of M MiB (default 64) with ONE UFFDIO_COPY; the owner\n"
"      forks S ms (default 0) after the copy's first page came.  The range is\n"
"      MADV_WIPEONFORK (fork copies no page tables of it) unless --no-wipeonfork.\n"
"  file-fault --forks F [--pages P] [--hold-ms MS]\n"
"      F fork()s while a sibling thread faults on a P-page (default 64) private\n"
"      file mapping over and over (MADV_DONTNEED + read).\n"
"  busy --seconds S [--forks-per-sec R] [--vmas N]\n"
"      forks of a process with N VMAs (default 2000) plus a faulting and an\n"
"      mmap/munmap sibling, for S seconds; R = 0 (default): back to back.\n"
"\n"
"common options:\n"
"  --json FILE   write the JSON to FILE instead of stdout\n"
"  --hold-ms MS  (storm, uffd, uffd-copy, file-fault) stay alive MS ms after\n"
"                the forks, announced on stderr as \"holding pid P for MS ms\"\n"
"  -h, --help    this text\n"
"\n"
"exit status: 0 done, 1 failure, 2 bad usage.  See forklock-workload(1).\n",
	f);
}

int main(int argc, char **argv)
{
	const char *mode;

	if (argc < 2)
		wl_usage_err("no mode given (try --help)");
	mode = argv[1];
	if (!strcmp(mode, "-h") || !strcmp(mode, "--help")) {
		wl_usage(stdout);
		return FL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(wl_modes) / sizeof(wl_modes[0]); i++) {
		if (strcmp(mode, wl_modes[i].name))
			continue;
		/* getopt sees "MODE opts...": argv[0] is the mode name */
		return wl_modes[i].run(argc - 1, argv + 1);
	}
	if (mode[0] == '-')
		wl_usage_err("the mode comes first, got '%s' (try --help)", mode);
	wl_usage_err("unknown mode '%s' (try --help)", mode);
}
