#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The kprobe tier on generated fixtures (this host has no kprobe_events).

Two kernels: a 6.18-style one (__vma_start_write() out of line and probed,
tracepoints of 6.18) and a 6.8-style one (per-VMA lock inline: no
__vma_start_write probe; memcg_path and unsigned long clone_flags).  Both
carry the seed experiment's dup_probe.  The report must take mm_users and
mm_count from the probes, tell parent VMA locks from the child's, and give
per-VMA lock wait percentiles exactly.
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
A, B = 0xffff888000100000, 0xffff888000200000	# fork 1: oldmm, new mm
C, D = 0xffff888000300000, 0xffff888000400000	# fork 2
VMA = 0xffff888000a00000

PROBES = {
    # event: (id, kretprobe, args)
    "dup_mmap": (3001, False, [("oldmm", "x64"), ("mm_users", "s32"), ("mm_count", "s32")]),
    "dup_mmap_ret": (3002, True, [("ret", "s32")]),
    "vma_start_write": (3003, False, [("vma", "x64"), ("vm_mm", "x64")]),
    "vma_start_write_ret": (3004, True, []),
    "lock_vma_rcu_ret": (3005, True, [("ret", "x64")]),
    "dup_probe": (3006, False, [("only_user", "s32"), ("locked", "s32")]),
}

TRACEPOINTS = [
    "mmap_lock/mmap_lock_start_locking", "mmap_lock/mmap_lock_acquire_returned",
    "mmap_lock/mmap_lock_released", "maple_tree/ma_write", "task/task_newtask",
    "sched/sched_process_fork", "sched/sched_process_exec", "sched/sched_process_exit",
    "mmap/exit_mmap", "exceptions/page_fault_user", "syscalls/sys_enter_userfaultfd",
    "syscalls/sys_exit_userfaultfd", "syscalls/sys_enter_ioctl", "syscalls/sys_exit_ioctl",
    "syscalls/sys_enter_close", "ftrace/print",
]


class Kernel(Desc):
    def __init__(self, style):
        super().__init__(DATA, 'memcg_path=""' if style == "6.8" else "memcg_id=0")
        self.style = style
        self.vsw = style == "6.18"	# __vma_start_write() probed

    def fork(self, pid, comm, child, oldmm, newmm, users, count, waits, probe, sibling=None):
        self.ev(pid, "%s:dup_mmap __probe_ip=0xffffffff815f5510 oldmm=%#x mm_users=%d mm_count=%d"
                % (GROUP, oldmm, users, count))
        self.lock("start_locking", pid, oldmm, write="true")
        self.lock("acquire_returned", pid, oldmm, write="true", success="true")
        self.lock("start_locking", pid, newmm, write="true")
        self.lock("acquire_returned", pid, newmm, write="true", success="true")
        for i, wait in enumerate(waits):
            if self.vsw:
                self.ev(pid, "%s:vma_start_write __probe_ip=0xffffffff815de530 vma=%#x vm_mm=%#x"
                        % (GROUP, VMA + 0x100 * i, oldmm))
                self.ev(pid, "%s:vma_start_write_ret __probe_func=0xffffffff815de530 "
                        "__probe_ret_ip=0xffffffff815f5600" % GROUP, dt=wait)
            self.ev(pid, "%s:dup_probe __probe_ip=0xffffffff81000000 only_user=%d locked=1"
                    % (GROUP, probe))
            if self.vsw:	# the child's VMA, locked by vm_flags_clear(): never waits
                self.ev(pid, "%s:vma_start_write __probe_ip=0xffffffff815de530 vma=%#x vm_mm=%#x"
                        % (GROUP, VMA + 0x100 * i + 0x80, newmm))
                self.ev(pid, "%s:vma_start_write_ret __probe_func=0xffffffff815de530 "
                        "__probe_ret_ip=0xffffffff815f5600" % GROUP, dt=5)
            self.ev(pid, "maple_tree:ma_write fn=%s min=0 max=0 index=%d last=%d piv=0 val=%#x node=0"
                    % (MAS_STORE, i * 4096, i * 4096 + 4095, VMA + 0x100 * i + 0x80))
            if sibling and i == 0:
                # a sibling faults, its per-VMA lock attempt fails
                self.ev(sibling, "exceptions:page_fault_user address=0x1000 ip=0x1000 error_code=6")
                self.ev(sibling, "%s:lock_vma_rcu_ret __probe_func=0xffffffff815de790 "
                        "__probe_ret_ip=0xffffffff81001000 ret=0" % GROUP)
        self.lock("released", pid, newmm, write="true")
        self.lock("released", pid, oldmm, write="true")
        self.ev(pid, "%s:dup_mmap_ret __probe_func=0xffffffff815f5510 __probe_ret_ip=0xffffffff81002000 "
                "ret=0" % GROUP)
        self.ev(pid, 'task:task_newtask pid=%d comm="%s" clone_flags=0x1200000 oom_score_adj=0'
                % (child, comm))

    def build(self, tmp):
        probes = {name: p for name, p in PROBES.items()
                  if self.vsw or not name.startswith("vma_start_write")}
        head = (self.head("%s.0" % self.style, TRACEPOINTS, self.style) +
                self.probes(tmp, GROUP, probes, probe_format))
        # the snapshot, then two forks
        self.print_("forklock-snapshot begin version=1 recorder=100 clock=mono kernel=%s.0" % self.style)
        self.print_("forklock-snapshot tier name=kprobe probes=%s group=%s"
                    % ("btf" if self.vsw else "offsets", GROUP))
        self.print_("forklock-snapshot proc tgid=200 threads=1 vmas=4 anon=2 cow=2 shared=0 "
                    "special=0 uffd=- kthread=0 comm=single")
        self.print_("forklock-snapshot task pid=200 tgid=200 comm=single")
        self.print_("forklock-snapshot proc tgid=300 threads=2 vmas=3 anon=1 cow=2 shared=0 "
                    "special=0 uffd=- kthread=0 comm=multi")
        self.print_("forklock-snapshot task pid=300 tgid=300 comm=multi")
        self.print_("forklock-snapshot task pid=301 tgid=300 comm=multi")
        self.print_("forklock-snapshot end procs=2 tasks=3 ms=1.0")
        self.fork(200, "single", 201, A, B, users=1, count=1, waits=[100, 200, 300, 4000], probe=1)
        self.fork(300, "multi", 302, C, D, users=2, count=3, waits=[50, 60, 70000], probe=0, sibling=301)
        return self.write(tmp, "k-%s" % self.style, head, MKFIXTURE)


class KprobeTier(unittest.TestCase):
    def report(self, style):
        with tempfile.TemporaryDirectory() as tmp:
            dat = Kernel(style).build(tmp)
            p = subprocess.run([FORKLOCK, "report", "--format", "json", "--forks", dat],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            text = subprocess.run([FORKLOCK, "report", dat], capture_output=True, text=True)
            self.assertEqual(text.returncode, 0, text.stderr)
            return json.loads(p.stdout), text.stdout

    def check_forks(self, rep, vsw):
        forks = {f["parent_pid"]: f for f in rep["forks"]}
        self.assertEqual(sorted(forks), [200, 300])
        one, two = forks[200], forks[300]
        # read inside dup_mmap(), not inferred
        self.assertEqual((one["tier"], one["mm_users"], one["mm_count"], one["threads"]),
                         ("kprobe", 1, 1, 1))
        self.assertEqual((two["tier"], two["mm_users"], two["mm_count"], two["threads"]),
                         ("kprobe", 2, 3, 2))
        self.assertEqual(one["uffd"], "none")		# mm_count 1: nobody else holds it
        # which tier gave each value: the model's threads apart from the probe's reads
        for f in (one, two):
            self.assertEqual(f["sources"], {"threads": "tracepoint", "mm_users": "kprobe",
                                            "mm_count": "kprobe", "map_count": "none",
                                            "vmas_locked": "kprobe" if vsw else "tracepoint",
                                            "vmas_copied": "tracepoint"})
            # without lock probes: copied + VM_DONTCOPY, which this trace
            # (no smaps dontcopy, no madvise recorded) cannot be sure of
            self.assertEqual(f["vmas_locked_quality"], "kernel" if vsw else "estimated")
            self.assertIsNone(f["map_count"])
            self.assertEqual(f["mm_users_holders"], [])	# mm_users == threads
        self.assertEqual((rep["summary"]["mm_users_read_forks"],
                          rep["summary"]["threads_mm_users_disagree_forks"],
                          rep["summary"]["transient_mm_users_forks"]), (2, 0, 0))
        self.assertEqual((one["child_pid"], two["child_pid"]), (201, 302))
        self.assertEqual((one["vmas_copied"], two["vmas_copied"]), (4, 3))
        self.assertEqual((one["vmas_locked"], two["vmas_locked"]), (4, 3))
        self.assertEqual(two["kprobe"]["rcu_fallbacks"], 1)
        self.assertEqual(one["kprobe"]["rcu_fallbacks"], 0)
        if vsw:
            self.assertEqual((one["kprobe"]["parent_vma_locks"], one["kprobe"]["child_vma_locks"]), (4, 4))
            self.assertEqual((two["kprobe"]["parent_vma_locks"], two["kprobe"]["child_vma_locks"]), (3, 3))
            self.assertEqual((one["kprobe"]["vma_lock_waits"], one["kprobe"]["vma_lock_wait_total_ns"],
                              one["kprobe"]["vma_lock_wait_max_ns"]), (4, 4600, 4000))
            self.assertEqual((two["kprobe"]["vma_lock_waits"], two["kprobe"]["vma_lock_wait_total_ns"],
                              two["kprobe"]["vma_lock_wait_max_ns"]), (3, 70110, 70000))
        else:
            self.assertEqual(one["kprobe"]["parent_vma_locks"], 0)
            self.assertEqual(one["kprobe"]["vma_lock_waits"], 0)
        # the policies take mm_count from the probes
        self.assertEqual(one["policies"]["single-user-no-uffd"]["decision"], "skip")
        self.assertEqual(two["policies"]["single-user-no-uffd"]["decision"], "lock")
        self.assertEqual(one["policies"]["single-user"]["safety"], "safe")

    def check_seed(self, rep, text):
        self.assertEqual(rep["summary"]["dup_probe"],
                         [{"only_user": 0, "locked": 1, "count": 3},
                          {"only_user": 1, "locked": 1, "count": 4}])
        # bpftrace's map, by count
        self.assertIn("@[0, 1]: 3\n@[1, 1]: 4\n", text)

    def test_618(self):
        rep, text = self.report("6.18")
        self.assertEqual(rep["trace"]["tier"], "kprobe")
        self.assertEqual(rep["traces"][0]["probes"], "btf")
        self.check_forks(rep, vsw=True)
        k = rep["summary"]["kprobe"]
        self.assertEqual((k["forks"], k["parent_vma_locks"], k["child_vma_locks"], k["vma_lock_waits"]),
                         (2, 7, 7, 7))
        # waits sorted: 50 60 100 200 300 4000 70000; nearest rank
        self.assertEqual(k["vma_lock_wait_ns"], {"p50": 200, "p99": 70000, "max": 70000})
        self.assertEqual([(w["parent_pid"], w["max_ns"], w["waits"]) for w in k["longest_waits"]],
                         [(300, 70000, 3), (200, 4000, 4)])
        self.check_seed(rep, text)
        self.assertIn("per-VMA lock wait               p50 200 ns, p99 70.0 us, max 70.0 us (7 locks)",
                      text)
        self.assertIn("longest wait: 70.0 us by multi/300", text)

    def test_68(self):
        rep, text = self.report("6.8")
        self.assertEqual(rep["trace"]["tier"], "kprobe")
        self.assertEqual(rep["traces"][0]["probes"], "offsets")
        self.check_forks(rep, vsw=False)
        k = rep["summary"]["kprobe"]
        self.assertEqual((k["forks"], k["parent_vma_locks"], k["vma_lock_waits"]), (2, 0, 0))
        self.assertIsNone(k["vma_lock_wait_ns"])
        self.check_seed(rep, text)
        self.assertNotIn("per-VMA lock wait", text)

    def test_generated_format_matches_the_kernel_rules(self):
        text = probe_format("dup_mmap", 7, False, PROBES["dup_mmap"][2])
        self.assertIn("\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n", text)
        self.assertIn("\tfield:u64 oldmm;\toffset:16;\tsize:8;\tsigned:0;\n", text)
        self.assertIn("\tfield:s32 mm_count;\toffset:28;\tsize:4;\tsigned:1;\n", text)
        self.assertTrue(text.endswith('print fmt: "(%lx) oldmm=0x%Lx mm_users=%d mm_count=%d", '
                                      'REC->__probe_ip, REC->oldmm, REC->mm_users, REC->mm_count\n'))
        ret = probe_format("dup_mmap_ret", 8, True, [("ret", "s32")])
        self.assertIn("\tfield:unsigned long __probe_ret_ip;\toffset:16;\tsize:8;\tsigned:0;\n", ret)
        self.assertIn("\tfield:s32 ret;\toffset:24;\tsize:4;\tsigned:1;\n", ret)
        self.assertIn('print fmt: "(%lx <- %lx) ret=%d", REC->__probe_func, REC->__probe_ret_ip, '
                      'REC->ret\n', ret)


if __name__ == "__main__":
    unittest.main(verbosity=2)
