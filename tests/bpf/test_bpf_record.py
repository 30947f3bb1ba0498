#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""forklock record --tier bpf on this kernel: the fork records trace-cmd
decodes, with mm_users, mm_count and map_count read by BPF; the refusals
(no BTF, the verifier), and no program left behind."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
import fltest  # noqa: E402
from fltest import FORKLOCK, LiveTest  # noqa: E402
from flbpf import bpf_forks, leftover  # noqa: E402

F, V = 25, 200


def tracecmd(*args):
    return subprocess.run(["trace-cmd", *args], capture_output=True, text=True, timeout=600)


class BpfTest(LiveTest):
    def setUp(self):
        super().setUp()
        self.assertEqual(leftover(), set(), "forklock BPF programs were left before this test")

    def tearDown(self):
        left = leftover()
        super().tearDown()
        self.assertEqual(left, set(), "forklock BPF programs left behind")

    def run_fl(self, *args, env=None):
        p = subprocess.run([FORKLOCK, *args], capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, **(env or {})))
        return p


class Record(BpfTest):
    def storm(self, threads, extra=()):
        out = "t%d.dat" % threads
        summary, truth, p = self.record(self.workload("storm", "--forks", F, "--vmas", V,
                                                      "--threads", threads, *extra),
                                        out=out, args=("--tier", "bpf"))
        self.assertIn("tier bpf: ", p.stderr)
        rep = tracecmd("report", self.path(out))
        self.assertEqual(rep.returncode, 0, rep.stderr)
        self.assertNotIn("UNKNOWN", rep.stdout)
        self.assertNotIn("UNKNOWN", rep.stderr)
        forks = [f for f in bpf_forks(rep.stdout) if f["pid"] == truth["pid"]]
        # one record per fork() of the workload, nothing else from its pid
        self.assertEqual(len(forks), truth["forks"], rep.stdout[-2000:])
        for f in forks:
            self.assertEqual(f["mm_users"], threads, f)
            self.assertEqual(f["mm_users_end"], threads, f)
            self.assertEqual(f["map_count"], truth["vmas"], f)
            self.assertEqual(f["vmas_copied"], truth["vmas"], f)
            self.assertGreaterEqual(f["mm_count"], 1, f)
            self.assertEqual(f["anon"] + f["cow"] + f["shared"], f["vmas_copied"], f)
            self.assertEqual(f["rise_vma"], -1, f)
            self.assertEqual(f["light"], 0, f)
        # the stats record at the end: every window closed had its record
        self.assertRegex(rep.stdout, r"bpf_stats:\s+windows=\d+ lost=0 ")
        return truth, forks

    def test_storm_one_thread(self):
        self.storm(1)

    def test_storm_four_threads(self):
        self.storm(4)

    def test_uffd_owner_has_mm_count_two(self):
        # a userfaultfd context holds mmgrab() on its mm: mm_count >= 2, mm_users 1
        summary, truth, p = self.record(self.workload("uffd", "--forks", 10), out="u.dat",
                                        args=("--tier", "bpf"))
        rep = tracecmd("report", self.path("u.dat"))
        forks = [f for f in bpf_forks(rep.stdout) if f["pid"] == truth["pid"]]
        self.assertEqual(len(forks), truth["forks"])
        for f in forks:
            self.assertEqual(f["mm_users"], 1, f)
            self.assertGreaterEqual(f["mm_count"], 2, f)

    def test_check_says_bpf_possible(self):
        p = self.run_fl("check")
        self.assertIn("bpf: possible (programs load and attach", p.stdout)


class Refused(BpfTest):
    def one_line(self, p, code, pattern):
        self.assertEqual(p.returncode, code, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertRegex(lines[0], r"^forklock record: error: " + pattern)

    def test_verifier_rejection_prints_its_line(self):
        out = self.path("r.dat")
        p = self.run_fl("record", "-o", out, "--tier", "bpf", "--", "true",
                        env={"FORKLOCK_TEST_BPF_REJECT": "1"})
        self.one_line(p, 17, r"bpf tier: the verifier rejected the programs: func "
                      r"'mmap_lock_released' doesn't have \d+-th argument$")
        self.assertFalse(os.path.exists(out))
        c = self.run_fl("check", env={"FORKLOCK_TEST_BPF_REJECT": "1"})
        self.assertIn("bpf: not possible (the verifier rejected the programs: ", c.stdout)

    def test_no_btf(self):
        out = self.path("n.dat")
        p = self.run_fl("record", "-o", out, "--tier", "bpf", "--", "true",
                        env={"FORKLOCK_BTF": self.path("no-such-btf")})
        self.one_line(p, 17, r"bpf tier: no kernel BTF at .*no-such-btf")
        self.assertFalse(os.path.exists(out))

    def test_light_needs_bpf(self):
        p = self.run_fl("record", "-o", self.path("l.dat"), "--light", "--", "true")
        self.one_line(p, 8, r"--light counts VMAs from map_count")


if __name__ == "__main__":
    fltest.main()
