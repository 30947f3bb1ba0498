// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * spawn: children that share the parent's mm instead of copying it, so
 * none of them runs dup_mmap() — the negative control.
 *
 *   vfork        vfork(); the child calls _exit(0)
 *                (CLONE_VM | CLONE_VFORK | SIGCHLD)
 *   posix_spawn  posix_spawn("/bin/true"); glibc uses clone(CLONE_VM |
 *                CLONE_VFORK) and the child execs
 *   clone_vm     clone(CLONE_VM | SIGCHLD) on a stack of its own; the
 *                child function returns at once
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

#define WL_MAX_SPAWNS		1000000ul
#define WL_CLONE_STACK		(64 * 1024)
#define WL_SPAWN_PATH		"/bin/true"

extern char **environ;

static const struct option wl_spawn_opts[] = {
	{ "vfork",	 required_argument, NULL, 'v' },
	{ "posix-spawn", required_argument, NULL, 'p' },
	{ "clone-vm",	 required_argument, NULL, 'c' },
	WL_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static int wl_clone_child(void *arg)
{
	return 0;
}

/* Its own frame: the vfork child must not clobber the caller's locals. */
static __attribute__((noinline)) pid_t wl_vfork_one(void)
{
	pid_t pid = vfork();

	if (!pid)
		_exit(0);
	return pid;
}

int wl_spawn_run(int argc, char **argv)
{
	unsigned long nvfork = 0, nspawn = 0, nclone = 0, total;
	struct wl_common com = { 0 };
	char *true_argv[] = { "true", NULL };
	uint64_t start_ns, end_ns;
	pid_t *children, *vfork_pids, *spawn_pids, *clone_pids;
	struct wl_json j;
	char *stack;
	size_t n = 0;
	int c;

	while ((c = getopt_long(argc, argv, ":h", wl_spawn_opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			nvfork = wl_parse_ulong("--vfork", optarg, 0, WL_MAX_SPAWNS);
			break;
		case 'p':
			nspawn = wl_parse_ulong("--posix-spawn", optarg, 0, WL_MAX_SPAWNS);
			break;
		case 'c':
			nclone = wl_parse_ulong("--clone-vm", optarg, 0, WL_MAX_SPAWNS);
			break;
		default:
			wl_common_opt(&com, c, argv, wl_spawn_opts);
		}
	}
	wl_common_finish(&com, argc, argv);

	if (nspawn && access(WL_SPAWN_PATH, X_OK))
		wl_die("%s", WL_SPAWN_PATH);

	total = nvfork + nspawn + nclone;
	children = calloc(total + 1, sizeof(*children));
	if (!children)
		wl_die("calloc");
	vfork_pids = children;
	spawn_pids = children + nvfork;
	clone_pids = spawn_pids + nspawn;

	stack = mmap(NULL, WL_CLONE_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		wl_die("mmap clone stack");

	start_ns = wl_now_ns();
	for (unsigned long i = 0; i < nvfork; i++) {
		pid_t pid = wl_vfork_one();

		if (pid < 0)
			wl_die("vfork");
		children[n++] = pid;
		wl_reap(pid, "vfork");
	}
	for (unsigned long i = 0; i < nspawn; i++) {
		pid_t pid;
		int ret = posix_spawn(&pid, WL_SPAWN_PATH, NULL, NULL, true_argv, environ);

		if (ret) {
			errno = ret;
			wl_die("posix_spawn %s", WL_SPAWN_PATH);
		}
		children[n++] = pid;
		wl_reap(pid, "posix_spawn");
	}
	for (unsigned long i = 0; i < nclone; i++) {
		/* one child at a time: the stack is reused */
		pid_t pid = clone(wl_clone_child, stack + WL_CLONE_STACK,
				  CLONE_VM | SIGCHLD, NULL);

		if (pid < 0)
			wl_die("clone(CLONE_VM)");
		children[n++] = pid;
		wl_reap(pid, "clone(CLONE_VM)");
	}
	end_ns = wl_now_ns();

	wl_json_begin(&j);
	wl_json_str(&j, "mode", "spawn");
	wl_json_self(&j);
	wl_json_u64(&j, "vfork", nvfork);
	wl_json_u64(&j, "posix_spawn", nspawn);
	wl_json_u64(&j, "clone_vm", nclone);
	wl_json_u64(&j, "forks", 0);
	wl_json_pids(&j, "children", children, n);
	wl_json_pids(&j, "vfork_children", vfork_pids, nvfork);
	wl_json_pids(&j, "posix_spawn_children", spawn_pids, nspawn);
	wl_json_pids(&j, "clone_vm_children", clone_pids, nclone);
	wl_json_u64(&j, "start_ns", start_ns);
	wl_json_u64(&j, "end_ns", end_ns);
	wl_json_end(&j, &com);

	munmap(stack, WL_CLONE_STACK);
	free(children);
	return FL_EXIT_OK;
}
