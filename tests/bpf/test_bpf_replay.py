#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The bpf tier through the replay: every fork of a workload we control has
mm_users, mm_count and map_count read by BPF; single-user-no-uffd decides on
all of them; the uffd monitor's mid-window reference is flagged with its VMA
and holder; a twin tracepoint run agrees; --light counts VMAs exactly."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
import fltest  # noqa: E402
from test_bpf_record import BpfTest  # noqa: E402

F, V = 25, 200


class Replay(BpfTest):
    def run_bpf(self, workload, out, extra=()):
        summary, truth, p = self.record(self.workload(*workload), out=out,
                                        args=("--tier", "bpf", *extra))
        rep = self.report_json(out)
        forks = self.forks_of(rep, truth["pid"])
        self.assertEqual(len(forks), truth["forks"], "every fork() of the workload")
        trace = rep["traces"][0]
        self.assertEqual(trace["tier"], "bpf")
        self.assertEqual(trace["bpf"]["lost"], 0)
        self.assertEqual(trace["bpf"]["unjoined"], 0, trace["bpf"])
        return truth, forks, trace

    def check_single_user_no_uffd(self, forks):
        for f in forks:
            d = f["policies"]["single-user-no-uffd"]["decision"]
            self.assertNotEqual(d, "undecided", f)
            want = "skip" if f["mm_users"] == 1 and f["mm_count"] == 1 else "lock"
            self.assertEqual(d, want, f)

    def storm(self, threads):
        truth, forks, trace = self.run_bpf(("storm", "--forks", F, "--vmas", V,
                                            "--threads", threads), "s%d.dat" % threads)
        for f in forks:
            self.assertEqual(f["tier"], "bpf", f)
            self.assertEqual(f["mm_users"], threads, f)
            self.assertEqual(f["sources"]["mm_users"], "bpf", f)
            self.assertEqual(f["map_count"], truth["vmas"], f)
            self.assertEqual(f["sources"]["map_count"], "bpf", f)
            self.assertIsNotNone(f["mm_count"], f)
            self.assertGreaterEqual(f["mm_count"], 1, f)
            self.assertEqual(f["vmas_locked"], truth["vmas"], f)
            self.assertEqual(f["vmas_copied"], truth["vmas"], f)
            self.assertEqual(f["vmas_dontcopy"], 0, f)
            self.assertEqual(f["mm_users_max"], threads, f)
            self.assertIsNone(f["mm_users_rise"], f)
            k = f["vma_kinds"]
            self.assertEqual(k["quality"], "exact", f)
            self.assertEqual(k["anon"] + k["cow"] + k["shared"], truth["vmas"], f)
        self.check_single_user_no_uffd(forks)
        return truth, forks

    def test_storm_one_thread(self):
        truth, forks = self.storm(1)
        # A plain process's mm is held by nothing else, except for a moment
        # (lazy TLB, khugepaged, a /proc/PID/mem reader can mmgrab() it): most
        # forks read mm_count 1 and are skipped; the others are locked, as the
        # kernel-read value says (check_single_user_no_uffd).
        ones = [f for f in forks if f["mm_count"] == 1]
        self.assertGreaterEqual(len(ones) * 2, len(forks), forks)
        for f in ones:
            self.assertEqual(f["policies"]["single-user-no-uffd"]["decision"], "skip", f)

    def test_storm_four_threads(self):
        self.storm(4)

    def test_uffd_owner_mm_count(self):
        truth, forks, _ = self.run_bpf(("uffd", "--forks", 10), "u.dat")
        for f in forks:
            self.assertEqual(f["mm_users"], 1, f)
            self.assertGreaterEqual(f["mm_count"], 2, f)	# the uffd's mmgrab()
            self.assertEqual(f["policies"]["single-user-no-uffd"]["decision"], "lock", f)
        self.check_single_user_no_uffd(forks)

    def test_uffd_monitor_rise_names_the_monitor(self):
        truth, forks, _ = self.run_bpf(("uffd", "--forks", 10, "--monitor"), "m.dat")
        self.assertEqual(truth["monitor_running_at_forks"], truth["forks"])
        rose = 0
        for f in forks:
            # the monitor's UFFDIO_COPY holds mmget() on the owner's mm while
            # it copies; a window that falls between two of its ioctls reads 1
            self.assertIn(f["mm_users_max"], (1, 2), f)
            r = f["mm_users_rise"]
            if f["mm_users_max"] == 1:
                self.assertIsNone(r, f)
                continue
            if f["mm_users"] == 1:
                # it took its reference inside this window: at which VMA, and who
                self.assertIsNotNone(r, f)
                rose += 1
            if r is None:
                continue
            self.assertGreaterEqual(r["vma_index"], 0)
            self.assertLess(r["vma_index"], f["vmas_copied"])
            self.assertEqual(r["mm_users"], 2, f)
            self.assertIsNotNone(r["holder"], f)
            self.assertEqual(r["holder"]["pid"], truth["monitor_pid"], f)
            if f["policies"]["single-user"]["decision"] == "skip":
                self.assertEqual(f["policies"]["single-user"]["safety"], "unsafe", f)
        self.check_single_user_no_uffd(forks)
        # most windows overlap a copy (the monitor copies back to back)
        self.assertGreaterEqual(2 * (rose + sum(f["mm_users"] == 2 for f in forks)), len(forks))

    def test_twin_tracepoint_run_agrees(self):
        work = ("storm", "--forks", F, "--vmas", V, "--threads", 2)
        _, tb, _ = self.record(self.workload(*work), out="b.dat", args=("--tier", "bpf"))
        _, tt, _ = self.record(self.workload(*work), out="t.dat", args=("--tier", "tracepoint"))
        fb = self.forks_of(self.report_json("b.dat"), tb["pid"])
        ft = self.forks_of(self.report_json("t.dat"), tt["pid"])
        self.assertEqual(len(fb), len(ft))
        self.assertEqual([f["vmas_locked"] for f in fb], [f["vmas_locked"] for f in ft])
        self.assertEqual([f["threads"] for f in fb], [f["threads"] for f in ft])
        self.assertTrue(all(f["tier"] == "tracepoint" for f in ft))
        self.assertTrue(all(f["mm_users"] is None for f in ft))

    def test_light_counts_from_map_count(self):
        truth, forks, trace = self.run_bpf(("storm", "--forks", F, "--vmas", V), "l.dat",
                                           extra=("--light",))
        self.assertTrue(trace["light"])
        rep = subprocess.run(["trace-cmd", "report", self.path("l.dat")], capture_output=True,
                             text=True, timeout=600)
        self.assertNotIn("ma_write:", rep.stdout)	# no per-VMA events at all
        self.assertIn("light=1", rep.stdout)
        for f in forks:
            self.assertEqual(f["vmas_locked"], truth["vmas"], f)
            self.assertEqual(f["map_count"], truth["vmas"], f)
            self.assertEqual(f["sources"]["vmas_locked"], "bpf", f)
            self.assertEqual(f["sources"]["vmas_copied"], "none", f)
            self.assertIsNone(f["mm_users_rise"], f)
            self.assertNotEqual(f["vma_kinds"]["quality"], "exact", f)
        self.check_single_user_no_uffd(forks)
        text = subprocess.run([fltest.FORKLOCK, "report", self.path("l.dat")],
                              capture_output=True, text=True, timeout=600).stdout
        self.assertIn("light mode (--light): no per-VMA events", text)


if __name__ == "__main__":
    fltest.main()
