#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Recorder identity (issue 10 item 1): overlapping recorders in different
PID namespaces, and a recorder whose binary is not called forklock, never
take each other for stale.

Each case runs a long recorder (a 4 s busy workload at 40 forks/s) and,
1 s into it, a short one (a 2 s busy workload); the workloads have
different names (their comm), so each trace's forks of its own workload
are told apart from the other's.  Both traces must hold every fork their
workload made (the count in its JSON), cover the workload's whole run
(trace duration no shorter than the workload's run and within 5% of the
recording's, from COMMAND's release to its exit: on a loaded host the
/proc snapshot before COMMAND starts takes some 100 ms), and report
exactly the lost events their summary line says.  Before this, a recorder
in `unshare -pf --mount-proc` named its instance forklock-1 and the second
recorder's start-up cleanup switched its tracing off: 1.32 s of 6 s.
"""
import json
import re
import os
import shutil
import subprocess
import time

import fltest
from fltest import FORKLOCK, WORKLOAD, LiveTest, instances

LONG_S, SHORT_S, RATE = 4, 2, 40
# what a recording adds to COMMAND's run: setup before it starts (the /proc
# snapshot of the whole host, exec), the drain after it ends
# the trace starts before the command (set-up) and ends after it (drain): up
# to a second of that on a loaded 2-CPU machine; what matters is the lower
# bound (the whole run is covered)
SETUP_S = 1.0


class Identity(LiveTest):
    def setUp(self):
        super().setUp()
        # a workload per recorder, by name: its forks' comm says whose they are
        # names of this run only: another test run may be doing the same meanwhile
        self.wl = {"wl-long": "l%d" % os.getpid(), "wl-short": "s%d" % os.getpid()}
        for name in self.wl.values():
            shutil.copy(WORKLOAD, self.path(name))
        self.renamed = self.path("flrec")
        shutil.copy(FORKLOCK, self.renamed)

    def start(self, out, wl, seconds, pidns=False, binary=FORKLOCK):
        cmd = [binary, "record", "-f", "-o", self.path(out), "--", self.path(self.wl[wl]), "busy",
               "--seconds", str(seconds), "--forks-per-sec", str(RATE), "--vmas", "50",
               "--json", self.path(out + ".json")]
        if pidns:
            cmd = ["unshare", "-pf", "--mount-proc", *cmd]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.pids = getattr(self, "pids", set()) | {proc.pid}
        return proc

    def check(self, proc, out, wl):
        _, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 0, err)
        # neither recorder removed the other's instance (an abandoned one a
        # parallel test run left on this host may be removed, and is said)
        for m in re.finditer(r"removed stale tracefs instance (\S+)", err):
            self.assertFalse(self.ours(m.group(1)), err)
        summary = fltest.parse_summary(err)
        with open(self.path(out + ".json")) as f:
            truth = json.load(f)
        rep = self.report_json(out)
        # the parent's comm is the workload's name (cut to 15 bytes by the kernel)
        mine = [f for f in rep["forks"] if f["comm"] == self.wl[wl]]
        self.assertEqual(len(mine), truth["forks"],
                         "%s: %d of %d forks of %s in the trace" % (out, len(mine), truth["forks"],
                                                                   wl))
        self.assertTrue(all(truth["start_ns"] <= f["ts_ns"] <= truth["end_ns"] for f in mine))
        ran = truth["end_ns"] - truth["start_ns"]
        covered = rep["trace"]["duration_ns"]
        self.assertGreaterEqual(covered, ran, "%s: the trace is shorter than the run" % out)
        # and no longer than the recording it says it is (from COMMAND's start to its exit)
        rec = summary["seconds"] * 1e9
        self.assertLessEqual(abs(covered - rec), rec * 0.05,
                             "%s: trace %d ns, recording %d ns" % (out, covered, rec))
        self.assertEqual(rep["trace"]["lost_events"], summary["lost"],
                         "%s: lost events the summary did not say" % out)
        return err

    def overlap(self, long_ns, short_ns, binary=FORKLOCK):
        a = self.start("long.dat", "wl-long", LONG_S, pidns=long_ns, binary=binary)
        time.sleep(1)
        self.assertIsNone(a.poll(), "the long recorder ended early")
        b = self.start("short.dat", "wl-short", SHORT_S, pidns=short_ns)
        self.check(b, "short.dat", "wl-short")
        err = self.check(a, "long.dat", "wl-long")
        self.assertEqual([n for n in instances() if self.ours(n) and
                          not fltest.recorder_alive(n)], [])
        return err

    def ours(self, name):
        """Could NAME be the instance of a recorder this test started: one
        of our pids, or pid 1 of a namespace that is not ours?"""
        p = fltest.parse_instance(name)
        if not p:
            return False
        if p[1] == fltest.pidns_inode():
            return p[2] in self.pids
        return p[2] == 1

    def test_pidns_and_host(self):
        err = self.overlap(long_ns=True, short_ns=False)
        self.assertIn("recording from inside a PID namespace", err)

    def test_two_pidns(self):
        self.overlap(long_ns=True, short_ns=True)

    def test_host_and_pidns(self):
        self.overlap(long_ns=False, short_ns=True)

    def test_renamed_binary(self):
        # the long recorder is not called forklock: its comm is "flrec"
        self.overlap(long_ns=False, short_ns=False, binary=self.renamed)

    def test_renamed_binary_in_pidns(self):
        self.overlap(long_ns=True, short_ns=False, binary=self.renamed)

    def test_names_differ_and_hold_a_lock(self):
        a = self.start("a.dat", "wl-long", 2, pidns=True)
        b = self.start("b.dat", "wl-short", 2, pidns=True)
        def pidns_of(unshare):
            # the recorder is unshare's child, pid 1 of the namespace it made
            try:
                with open("/proc/%d/task/%d/children" % (unshare.pid, unshare.pid)) as f:
                    child = int(f.read().split()[0])
                return fltest.pidns_inode(child)
            except (OSError, IndexError, ValueError):
                return None

        def mine():
            # pid 1 of the namespaces these two made (other recorders may run)
            ns = {pidns_of(a), pidns_of(b)} - {None}
            return [n for n in instances() if fltest.parse_instance(n) and
                    fltest.parse_instance(n)[1] in ns and fltest.parse_instance(n)[2] == 1]
        deadline = time.monotonic() + 20
        # an owner locks its instance right after mkdir: wait for both locks
        while time.monotonic() < deadline and not (
                len(mine()) == 2 and all(fltest.instance_locked(n) for n in mine())):
            time.sleep(0.02)
        mine = mine()
        try:
            self.assertEqual(len(mine), 2, instances())
            # both pid 1 of their own namespace, told apart by the namespace and the random part
            self.assertEqual([fltest.parse_instance(n)[2] for n in mine], [1, 1])
            self.assertNotEqual(fltest.parse_instance(mine[0])[1], fltest.parse_instance(mine[1])[1])
            with open("/proc/sys/kernel/random/boot_id") as f:
                boot = f.read().strip()[:8]
            self.assertTrue(all(fltest.parse_instance(n)[0] == boot for n in mine))
            self.assertTrue(all(fltest.instance_locked(n) for n in mine))
        finally:
            for p in (a, b):
                p.communicate(timeout=60)
        self.assertEqual([n for n in instances() if n in mine], [])

    def test_switched_off_by_another_process_is_said(self):
        # an older forklock's cleanup (pid/comm checks) did this to recorders it took for stale
        p = self.start("off.dat", "wl-long", 10)
        deadline = time.monotonic() + 20
        name = None
        while time.monotonic() < deadline and not name:
            name = (fltest.instance_of(p.pid) or [None])[0]
            time.sleep(0.02)
        self.assertIsNotNone(name, "the recorder never made its instance")
        time.sleep(1)
        with open(os.path.join(fltest.TRACEFS, "instances", name, "tracing_on"), "w") as f:
            f.write("0")
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 9, err)
        self.assertIn("error: the recording was cut short: tracing in the instance was switched "
                      "off by another process; %s holds what was recorded until then"
                      % self.path("off.dat"), err)
        self.assertEqual(err.count("error:"), 1, err)
        rep = self.report_json("off.dat")
        self.assertGreater(len([f for f in rep["forks"] if f["comm"] == self.wl["wl-long"]]), 0)
        self.assertEqual(fltest.instance_of(p.pid), [])


if __name__ == "__main__":
    fltest.main()
