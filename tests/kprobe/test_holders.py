#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mm_users above threads on a kprobe-tier fixture: the seed thread's race.

A single-threaded owner (pid 400, threads 1 in the snapshot) forks three
times.  The kernel-side probe reads:

  fork 1: mm_users 2, mm_count 2 while a uffd monitor (another process,
          pid 500) has a UFFDIO_COPY in flight on the owner's mm and falls
          back to its mmap_lock inside the window: the monitor's mmget()
          is the extra user, not a thread;
  fork 2: mm_users 2 with nothing in the window: an extra holder the trace
          cannot name ("unknown");
  fork 3: mm_users 1, mm_count 1: model and kernel agree.

The kernel fetches mm_users after the read's timestamp and before the
reader's next event; a UFFDIO_* ioctl holds its mmget() only between its
sys_enter and sys_exit.  Forks 4-7 (mm_users 2, the monitor on CPU 1)
are the guests' cases (tests/vm: the fetch came microseconds late):

  fork 4: the monitor's last ioctl ended before the read, its next one
          enters after the read's timestamp but before the owner's next
          event: it may hold the count, it is named;
  fork 5: the monitor's ioctl enters at the read's very tick (CPU 1):
          named;
  fork 6: the monitor's ioctl ends at the read's very tick, sorted before
          it: named;
  fork 7: the monitor's ioctl enters only after the owner's next event
          (and then waits for oldmm inside the window): it took its
          mmget() after the kernel fetched mm_users, so the trace names
          no holder ("unknown"), though the monitor is a concurrent
          accessor of the window.

The report must keep threads == 1 (the model) apart from mm_users (read),
name the holder per fork, count two forks with transient mm_users, count
no fork as multi-threaded, and let the policies decide on what the kernel
read (single-user locks forks 1 and 2: mm_users 2).
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from fixdesc import Desc  # noqa: E402
from probefmt import probe_format  # noqa: E402

FORKLOCK, MKFIXTURE, DATA = sys.argv[1:4]
DATA = os.path.abspath(DATA)
del sys.argv[1:4]

MAS_STORE = "0xffffffff825218e8"	# tests/data/printk_formats
GROUP = "forklock_100"
OLDMM = 0xffff888000100000
NEWMM = [0xffff888000200000, 0xffff888000300000, 0xffff888000400000]
NAMED = [{"pid": 500, "comm": "monitor", "kind": "uffd_ioctl"}]
UNKNOWN = [{"pid": None, "comm": "", "kind": "unknown"}]
UFFDIO_COPY = 0xc028aa03

PROBES = {
    "dup_mmap": (3001, False, [("oldmm", "x64"), ("mm_users", "s32"), ("mm_count", "s32")]),
    "dup_mmap_ret": (3002, True, [("ret", "s32")]),
}

TRACEPOINTS = [
    "mmap_lock/mmap_lock_start_locking", "mmap_lock/mmap_lock_acquire_returned",
    "mmap_lock/mmap_lock_released", "maple_tree/ma_write", "task/task_newtask",
    "sched/sched_process_fork", "sched/sched_process_exec", "sched/sched_process_exit",
    "mmap/exit_mmap", "exceptions/page_fault_user", "syscalls/sys_enter_userfaultfd",
    "syscalls/sys_exit_userfaultfd", "syscalls/sys_enter_ioctl", "syscalls/sys_exit_ioctl",
    "syscalls/sys_enter_close", "ftrace/print",
]


class Trace(Desc):
    def __init__(self):
        super().__init__(DATA)

    def fork(self, child, newmm, users, count, monitor=False):
        pid = 400
        if monitor:	# UFFDIO_COPY in flight before the fork reads mm_users
            self.ev(500, "syscalls:sys_enter_ioctl __syscall_nr=16 fd=5 cmd=%#x arg=0x7ffd0000"
                    % UFFDIO_COPY)
        self.ev(pid, "%s:dup_mmap __probe_ip=0xffffffff815f5510 oldmm=%#x mm_users=%d mm_count=%d"
                % (GROUP, OLDMM, users, count))
        self.lock("start_locking", pid, OLDMM, write="true")
        self.lock("acquire_returned", pid, OLDMM, write="true", success="true")
        self.lock("start_locking", pid, newmm, write="true")
        self.lock("acquire_returned", pid, newmm, write="true", success="true")
        if monitor:	# its per-VMA lock fails: it waits for the owner's mmap_lock
            self.lock("start_locking", 500, OLDMM, write="false")
        for i in range(3):
            self.ev(pid, "maple_tree:ma_write fn=%s min=0 max=0 index=%d last=%d piv=0 val=0x1 node=0"
                    % (MAS_STORE, i * 4096, i * 4096 + 4095))
        self.lock("released", pid, newmm, write="true")
        self.lock("released", pid, OLDMM, write="true")
        self.ev(pid, "%s:dup_mmap_ret __probe_func=0xffffffff815f5510 "
                "__probe_ret_ip=0xffffffff81002000 ret=0" % GROUP)
        if monitor:
            self.lock("acquire_returned", 500, OLDMM, write="false", success="true")
            self.lock("released", 500, OLDMM, write="false")
            self.ev(500, "syscalls:sys_exit_ioctl __syscall_nr=16 ret=0")
        self.ev(pid, 'task:task_newtask pid=%d comm="owner" clone_flags=0x1200000 oom_score_adj=0'
                % child)

    def ioctl(self, cpu=1, dt=10):
        self.ev(500, "syscalls:sys_enter_ioctl __syscall_nr=16 fd=5 cmd=%#x arg=0x7ffd0000"
                % UFFDIO_COPY, dt, cpu)

    def ioctl_end(self, cpu=1, dt=10):
        self.ev(500, "syscalls:sys_exit_ioctl __syscall_nr=16 ret=0", dt, cpu)

    def fork_near(self, child, newmm, case):
        """mm_users 2 read with the monitor's ioctls around the read (forks 4-7)."""
        pid = 400
        read = ("%s:dup_mmap __probe_ip=0xffffffff815f5510 oldmm=%#x mm_users=2 mm_count=2"
                % (GROUP, OLDMM))
        self.ioctl()
        if case == "exit-tick":	# the ioctl's end and the read share a tick
            self.ioctl_end(cpu=0)
            self.ev(pid, read, dt=0)
        else:
            self.ioctl_end()
            self.ev(pid, read)
        if case == "enter-after":
            self.ioctl(dt=3)
        elif case == "enter-tick":
            self.ioctl(dt=0)
        self.lock("start_locking", pid, OLDMM, write="true")	# the reader's next event
        if case == "enter-late":
            self.ioctl(dt=5)
        self.lock("acquire_returned", pid, OLDMM, write="true", success="true")
        self.lock("start_locking", pid, newmm, write="true")
        self.lock("acquire_returned", pid, newmm, write="true", success="true")
        if case == "enter-late":	# its per-VMA lock fails: it waits for oldmm
            self.lock("start_locking", 500, OLDMM, cpu=1, write="false")
        for i in range(3):
            self.ev(pid, "maple_tree:ma_write fn=%s min=0 max=0 index=%d last=%d piv=0 val=0x1 node=0"
                    % (MAS_STORE, i * 4096, i * 4096 + 4095))
        self.lock("released", pid, newmm, write="true")
        self.lock("released", pid, OLDMM, write="true")
        self.ev(pid, "%s:dup_mmap_ret __probe_func=0xffffffff815f5510 "
                "__probe_ret_ip=0xffffffff81002000 ret=0" % GROUP)
        if case == "enter-late":
            self.lock("acquire_returned", 500, OLDMM, cpu=1, write="false", success="true")
            self.lock("released", 500, OLDMM, cpu=1, write="false")
        if case != "exit-tick":
            self.ioctl_end()
        self.ev(pid, 'task:task_newtask pid=%d comm="owner" clone_flags=0x1200000 oom_score_adj=0'
                % child)

    def build(self, tmp):
        head = (self.head("6.18.0", TRACEPOINTS, cpus=2) +
                self.probes(tmp, GROUP, PROBES, probe_format))
        self.print_("forklock-snapshot begin version=1 recorder=100 clock=mono kernel=6.18.0")
        self.print_("forklock-snapshot tier name=kprobe probes=btf group=%s" % GROUP)
        self.print_("forklock-snapshot proc tgid=400 threads=1 vmas=3 anon=2 cow=1 shared=0 "
                    "special=0 uffd=- kthread=0 comm=owner")
        self.print_("forklock-snapshot task pid=400 tgid=400 comm=owner")
        self.print_("forklock-snapshot proc tgid=500 threads=1 vmas=3 anon=2 cow=1 shared=0 "
                    "special=0 uffd=- kthread=0 comm=monitor")
        self.print_("forklock-snapshot task pid=500 tgid=500 comm=monitor")
        self.print_("forklock-snapshot end procs=2 tasks=2 ms=1.0")
        self.fork(401, NEWMM[0], users=2, count=2, monitor=True)
        self.fork(402, NEWMM[1], users=2, count=2)
        self.fork(403, NEWMM[2], users=1, count=1)
        for child, case in ((404, "enter-after"), (405, "enter-tick"), (406, "exit-tick"),
                            (407, "enter-late")):
            self.fork_near(child, 0xffff888000500000 + child * 0x1000, case)
        return self.write(tmp, "holders", head, MKFIXTURE)


class Holders(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with tempfile.TemporaryDirectory() as tmp:
            dat = Trace().build(tmp)
            run = lambda *a: subprocess.run([FORKLOCK, "report"] + list(a) + [dat],
                                            capture_output=True, text=True)
            js, cls.text, cls.mail = (run("--format", "json", "--forks"), run("--forks"),
                                      run("--format", "mail"))
            for p in (js, cls.text, cls.mail):
                assert p.returncode == 0, p.stderr
            cls.rep = json.loads(js.stdout)
            cls.forks = {f["child_pid"]: f for f in cls.rep["forks"]}

    def test_threads_kept_apart_from_mm_users(self):
        self.assertEqual(sorted(self.forks), list(range(401, 408)))
        got = {c: (f["threads"], f["mm_users"], f["mm_count"]) for c, f in self.forks.items()}
        self.assertEqual(got, {401: (1, 2, 2), 402: (1, 2, 2), 403: (1, 1, 1), 404: (1, 2, 2),
                               405: (1, 2, 2), 406: (1, 2, 2), 407: (1, 2, 2)})
        for f in self.forks.values():
            self.assertEqual((f["sources"]["threads"], f["sources"]["mm_users"]),
                             ("tracepoint", "kprobe"))

    def test_holders_named(self):
        got = {c: f["mm_users_holders"] for c, f in self.forks.items()}
        self.assertEqual(got, {401: NAMED, 402: UNKNOWN, 403: [], 404: NAMED, 405: NAMED,
                               406: NAMED, 407: UNKNOWN})

    def test_late_ioctl_is_an_accessor_not_a_holder(self):
        acc = [(a["kind"], a["pid"]) for a in self.forks[407]["concurrent"]]
        self.assertEqual(acc, [("uffd_ioctl", 500)])

    def test_summary_counts_the_race_not_threads(self):
        s = self.rep["summary"]
        self.assertEqual((s["forks"], s["single_threaded_forks"], s["multi_threaded_forks"]), (7, 7, 0))
        self.assertEqual((s["mm_users_read_forks"], s["threads_mm_users_disagree_forks"],
                          s["transient_mm_users_forks"]), (7, 6, 6))
        self.assertIn("  transient mm_users           6   forks: mm_users > threads", self.text.stdout)
        self.assertIn("mm_users>threads:uffd_ioctl:monitor/500", self.text.stdout)
        self.assertIn("mm_users>threads:unknown", self.text.stdout)
        self.assertIn("  transient mm_users 6 forks (mm_users > threads: another holder of",
                      self.mail.stdout)

    def test_policies_decide_on_what_the_kernel_read(self):
        locks = {c: "lock" for c in self.forks}
        locks[403] = "skip"
        dec = {c: f["policies"]["single-user"]["decision"] for c, f in self.forks.items()}
        self.assertEqual(dec, locks)
        dec = {c: f["policies"]["single-user-no-uffd"]["decision"] for c, f in self.forks.items()}
        self.assertEqual(dec, locks)
        # and say so
        why = {c: f["policies"]["single-user"]["reason"] for c, f in self.forks.items()}
        self.assertEqual(why, {c: "mm_users %s 1 (kernel-read)" % ("==" if c == 403 else ">")
                               for c in self.forks})


if __name__ == "__main__":
    unittest.main(verbosity=2)
