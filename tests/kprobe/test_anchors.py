#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The replay of each kprobe anchor the plan (lib/record/kplan.c) can choose.

6.12: dup_mmap() is inlined, the read point is uprobe_dup_mmap(oldmm, newmm),
fired inside dup_mmap() after oldmm's write lock and before the new mm's;
uprobe_end_dup_mmap() ends it.  Pid 200 (one thread) has 6 VMAs, 2 of them
VM_DONTCOPY: map_count 6 is read, 4 mas_store are seen, so vmas_locked is
6 (kernel-read) and vmas_copied 4.  Pid 300 has 4 threads (mm_users 4).
A read point of another mm (a stale one) must not be taken.

6.1: dup_mmap() entry with map_count, before the lock.  6.1 has no per-VMA
locks: vmas_locked is 0 whatever map_count says, map_count still shown
as read.
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
READ = [("oldmm", "x64"), ("mm_users", "s32"), ("mm_count", "s32"), ("map_count", "s32")]
PROBES = {
    "6.12": {"uprobe_dup_mmap": (3001, False, READ), "dup_mmap_end": (3002, False, []),
             "lock_vma_rcu_ret": (3003, True, [("ret", "x64")])},
    "6.1": {"dup_mmap": (3001, False, READ), "dup_mmap_ret": (3002, True, [("ret", "s32")])},
}
TRACEPOINTS = [
    "mmap_lock/mmap_lock_start_locking", "mmap_lock/mmap_lock_acquire_returned",
    "mmap_lock/mmap_lock_released", "maple_tree/ma_write", "task/task_newtask",
    "sched/sched_process_fork", "sched/sched_process_exec", "sched/sched_process_exit",
    "mmap/exit_mmap", "syscalls/sys_enter_userfaultfd", "syscalls/sys_exit_userfaultfd",
    "syscalls/sys_enter_ioctl", "syscalls/sys_exit_ioctl", "syscalls/sys_enter_close",
    "ftrace/print",
]


class Trace(Desc):
    def __init__(self, kernel):
        super().__init__(DATA, 'memcg_path=""' if kernel == "6.1" else "memcg_id=0")
        self.kernel = kernel

    def read(self, pid, event, oldmm, users, count, map_count):
        self.ev(pid, "%s:%s __probe_ip=0xffffffff8131fea0 oldmm=%#x mm_users=%d mm_count=%d "
                "map_count=%d" % (GROUP, event, oldmm, users, count, map_count))

    def fork(self, pid, child, oldmm, newmm, users, count, map_count, copied, stale=None):
        if self.kernel == "6.1":
            self.read(pid, "dup_mmap", oldmm, users, count, map_count)
        elif stale:	# a read point of another mm, before this window
            self.read(pid, "uprobe_dup_mmap", stale, 9, 9, 99)
            self.ev(pid, "%s:dup_mmap_end __probe_ip=0xffffffff8131fe30" % GROUP)
        self.lock("start_locking", pid, oldmm, write="true")
        self.lock("acquire_returned", pid, oldmm, write="true", success="true")
        if self.kernel == "6.12":
            self.read(pid, "uprobe_dup_mmap", oldmm, users, count, map_count)
        self.lock("start_locking", pid, newmm, write="true")
        self.lock("acquire_returned", pid, newmm, write="true", success="true")
        for i in range(copied):
            self.ev(pid, "maple_tree:ma_write fn=%s min=0 max=0 index=%d last=%d piv=0 val=0x1 "
                    "node=0" % (MAS_STORE, i * 4096, i * 4096 + 4095))
        self.lock("released", pid, newmm, write="true")
        self.lock("released", pid, oldmm, write="true")
        if self.kernel == "6.1":
            self.ev(pid, "%s:dup_mmap_ret __probe_func=0xffffffff88291d90 "
                    "__probe_ret_ip=0xffffffff81002000 ret=0" % GROUP)
        else:
            self.ev(pid, "%s:dup_mmap_end __probe_ip=0xffffffff8131fe30" % GROUP)
        self.ev(pid, 'task:task_newtask pid=%d comm="p%d" clone_flags=0x1200000 oom_score_adj=0'
                % (child, pid))

    def build(self, tmp):
        release = {"6.12": "6.12.118+deb12-cloud-amd64", "6.1": "6.1.0-57-cloud-amd64"}[self.kernel]
        head = (self.head(release, TRACEPOINTS, self.kernel) +
                self.probes(tmp, GROUP, PROBES[self.kernel], probe_format))
        self.print_("forklock-snapshot begin version=1 recorder=100 clock=mono kernel=%s" % release)
        self.print_("forklock-snapshot tier name=kprobe probes=%s group=%s"
                    % ("btf" if self.kernel == "6.12" else "offsets", GROUP))
        self.print_("forklock-snapshot proc tgid=200 threads=1 vmas=6 anon=2 cow=4 shared=0 "
                    "special=0 uffd=- kthread=0 comm=p200")
        self.print_("forklock-snapshot task pid=200 tgid=200 comm=p200")
        self.print_("forklock-snapshot proc tgid=300 threads=4 vmas=5 anon=2 cow=3 shared=0 "
                    "special=0 uffd=- kthread=0 comm=p300")
        for tid in range(300, 304):
            self.print_("forklock-snapshot task pid=%d tgid=300 comm=p300" % tid)
        self.print_("forklock-snapshot end procs=2 tasks=5 ms=1.0")
        self.fork(200, 201, 0xffff888000100000, 0xffff888000200000, 1, 1, 6, 4,
                  stale=0xffff888000900000)
        self.fork(300, 305, 0xffff888000300000, 0xffff888000400000, 4, 1, 5, 5)
        return self.write(tmp, "a", head, MKFIXTURE)


def report(kernel):
    with tempfile.TemporaryDirectory() as tmp:
        dat = Trace(kernel).build(tmp)
        p = subprocess.run([FORKLOCK, "report", "--format", "json", "--forks", dat],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)


class Anchors(unittest.TestCase):
    def test_612_uprobe_dup_mmap(self):
        rep = report("6.12")
        self.assertEqual(rep["trace"]["tier"], "kprobe")
        forks = {f["parent_pid"]: f for f in rep["forks"]}
        self.assertEqual(sorted(forks), [200, 300])
        one, four = forks[200], forks[300]
        self.assertEqual([(f["tier"], f["threads"], f["mm_users"], f["mm_count"], f["map_count"])
                          for f in (one, four)],
                         [("kprobe", 1, 1, 1, 6), ("kprobe", 4, 4, 1, 5)])
        # map_count: every VMA dup_mmap() locks, VM_DONTCOPY ones included
        self.assertEqual((one["vmas_locked"], one["vmas_copied"]), (6, 4))
        self.assertEqual((four["vmas_locked"], four["vmas_copied"]), (5, 5))
        for f in (one, four):
            self.assertEqual(f["vmas_locked_quality"], "kernel")
            self.assertEqual(f["sources"], {"threads": "tracepoint", "mm_users": "kprobe",
                                            "mm_count": "kprobe", "map_count": "kprobe",
                                            "vmas_locked": "kprobe", "vmas_copied": "tracepoint"})
            self.assertEqual(f["mm_users_holders"], [])
            self.assertEqual(f["child_pid"], f["parent_pid"] + (1 if f is one else 5))

    def test_61_dup_mmap_no_vma_locks(self):
        rep = report("6.1")
        forks = {f["parent_pid"]: f for f in rep["forks"]}
        one, four = forks[200], forks[300]
        self.assertEqual([(f["tier"], f["threads"], f["mm_users"], f["map_count"])
                          for f in (one, four)], [("kprobe", 1, 1, 6), ("kprobe", 4, 4, 5)])
        # before 6.4 dup_mmap() takes no VMA locks, whatever map_count is
        self.assertEqual((one["vmas_locked"], four["vmas_locked"]), (0, 0))
        self.assertEqual(one["sources"]["map_count"], "kprobe")


if __name__ == "__main__":
    unittest.main(verbosity=2)
