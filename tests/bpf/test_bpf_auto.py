#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""--tier auto's order, kprobe > bpf > tracepoint, on this kernel (no
kprobe_events, BPF on tracepoints works): auto records the bpf tier, and
the tracepoint tier with one notice where the bpf tier is refused (the
verifier, or a kernel whose mmap_lock tracepoints pass memcg_path, before
6.14); check says the same tier."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
import fltest  # noqa: E402
from fltest import FORKLOCK  # noqa: E402
from mkbtf import BEFORE_6_14, raw_btf  # noqa: E402
from test_bpf_record import BpfTest  # noqa: E402

F, V = 10, 60
NOTICE = "forklock record: no kprobe_events on this kernel"
OLD_PROTO = ("tracepoint mmap_lock_acquire_returned passes 4 arguments here, the programs take 3 "
             "(mm, write, success: 6.14 and later)")


class Auto(BpfTest):
    def old_btf(self):
        path = self.path("before-6.14.btf")
        with open(path, "wb") as f:
            f.write(raw_btf(BEFORE_6_14))
        return path

    def record_env(self, env, args):
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            return self.record(self.workload("storm", "--forks", F, "--vmas", V),
                               out="a.dat", args=args)
        finally:
            os.environ.clear()
            os.environ.update(saved)

    def tier_notices(self, p):
        return [line for line in p.stderr.splitlines() if "tier" in line and "tier bpf:" not in line]

    def forks(self, truth):
        rep = self.report_json("a.dat")
        forks = self.forks_of(rep, truth["pid"])
        self.assertEqual(len(forks), F)
        for f in forks:
            self.assertEqual(f["vmas_locked"], truth["vmas"], f)
            self.assertEqual(f["threads"], 1, f)
        return rep, forks

    def check_bpf(self, args):
        _, truth, p = self.record(self.workload("storm", "--forks", F, "--vmas", V),
                                  out="a.dat", args=args)
        self.assertEqual(self.tier_notices(p), [NOTICE + ": recording the bpf tier"])
        self.assertRegex(p.stderr, r"\nforklock record: tier bpf: \d+ fork records, 0 lost\n")
        rep, forks = self.forks(truth)
        self.assertEqual(rep["trace"]["tier"], "bpf")
        for f in forks:
            self.assertEqual(f["tier"], "bpf", f)
            self.assertEqual((f["mm_users"], f["map_count"]), (1, truth["vmas"]), f)
            self.assertEqual(f["sources"]["mm_users"], "bpf", f)

    def check_tracepoint(self, rep, forks):
        self.assertEqual(rep["trace"]["tier"], "tracepoint")
        self.assertNotIn("bpf", rep["trace"])
        for f in forks:
            self.assertEqual(f["tier"], "tracepoint", f)
            self.assertIsNone(f["mm_users"], f)

    def test_auto_records_bpf_here(self):
        self.check_bpf(("--tier", "auto"))

    def test_default_is_auto(self):
        self.check_bpf(())

    def test_falls_back_when_the_verifier_refuses(self):
        _, truth, p = self.record_env({"FORKLOCK_TEST_BPF_REJECT": "1"}, ("--tier", "auto"))
        notes = self.tier_notices(p)
        self.assertEqual(len(notes), 1, p.stderr)
        self.assertRegex(notes[0], "^" + NOTICE + r", bpf tier refused \(the verifier rejected "
                         r"the programs: func 'mmap_lock_released' doesn't have \d+-th argument\): "
                         r"recording the tracepoint tier$")
        self.check_tracepoint(*self.forks(truth))

    def test_falls_back_before_6_14(self):
        _, truth, p = self.record_env({"FORKLOCK_BTF": self.old_btf()}, ())
        self.assertEqual(self.tier_notices(p), [
            NOTICE + ", bpf tier refused (" + OLD_PROTO + "): recording the tracepoint tier"])
        self.check_tracepoint(*self.forks(truth))

    def test_bpf_tier_refuses_before_6_14(self):
        out = self.path("o.dat")
        p = self.run_fl("record", "-o", out, "--tier", "bpf", "--", "true",
                        env={"FORKLOCK_BTF": self.old_btf()})
        self.assertEqual(p.returncode, 17, p.stderr)
        self.assertEqual(p.stderr.strip().splitlines(),
                         ["forklock record: error: bpf tier: " + OLD_PROTO])
        self.assertFalse(os.path.exists(out))
        none = self.path("none.btf")
        with open(none, "wb") as f:
            f.write(raw_btf({}))
        p = self.run_fl("record", "-o", out, "--tier", "bpf", "--", "true",
                        env={"FORKLOCK_BTF": none})
        self.assertEqual(p.returncode, 17, p.stderr)
        self.assertEqual(p.stderr.strip().splitlines(), [
            "forklock record: error: bpf tier: the kernel BTF has no tracepoint "
            "mmap_lock_acquire_returned"])

    def test_check_names_the_tier(self):
        p = self.run_fl("check")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("\ntier: bpf (no kprobe_events: --tier auto records the bpf tier)\n",
                      p.stdout)
        p = self.run_fl("check", env={"FORKLOCK_BTF": self.old_btf()})
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("\nbpf: not possible (" + OLD_PROTO + ")\n", p.stdout)
        self.assertIn("\ntier: tracepoint (no kprobe_events: --tier auto records tracepoints)\n",
                      p.stdout)


if __name__ == "__main__":
    fltest.main()
