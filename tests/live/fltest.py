# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for forklock's live-kernel tests (run as root, tracefs mounted).

Every test case checks, before and after, that no forklock tracefs instance
is left; a test that fails still removes what it left, then fails.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from flcommon import (TRACEFS, instance_locked, instance_of, instances,  # noqa: E402,F401
                      parse_instance, pidns_inode, recorder_alive, remove_instance,
                      stale_instances)

FORKLOCK = os.environ.get("FORKLOCK", "forklock")
WORKLOAD = os.environ.get("WORKLOAD", "forklock-workload")
MKFIXTURE = os.environ.get("MKFIXTURE", "mkfixture")

# A kernel README that has kprobe_events (Debian 6.12's, tests/kprobe/data):
# with FORKLOCK_FAULT_INJECT the kprobe plan is made on this host's
# kallsyms and BTF as if its kernel had kprobes.
KPROBE_README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kprobe", "data",
                             "6.12.118+deb12-cloud-amd64", "README")

SUMMARY_RE = re.compile(
    r"^forklock record: (\d+) events, (\d+) lost \(([^)]*)\), ([\d.]+) MiB, ([\d.]+) s -> (.*)$",
    re.M)


def parse_summary(stderr):
    m = SUMMARY_RE.search(stderr)
    if not m:
        raise AssertionError("no summary line in forklock record's stderr:\n" + stderr)
    lost = {}
    for part in m.group(3).split(", "):
        cpu, n = part.split()
        lost[int(cpu[3:])] = int(n)
    return {"events": int(m.group(1)), "lost": int(m.group(2)), "lost_per_cpu": lost,
            "mib": float(m.group(4)), "seconds": float(m.group(5)), "output": m.group(6)}


class LiveTest(unittest.TestCase):
    """Base class: a scratch directory and the tracefs-clean check."""

    def setUp(self):
        # Other recorders may run on this host (meson runs tests in
        # parallel): what they leave is theirs.  This test answers for the
        # instances of the recorders it starts: every process it spawns is
        # noted, and its pid in an instance's name is ours.
        self.before = set(stale_instances())
        self.spawned = set()
        test, popen = self, subprocess.Popen

        class Noted(popen):
            def __init__(self, *a, **k):
                super().__init__(*a, **k)
                test.spawned.add(self.pid)

        subprocess.Popen = Noted
        self.addCleanup(setattr, subprocess, "Popen", popen)
        self.dir = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                "forklock-test-%d-%s" % (os.getpid(), self._testMethodName))
        os.makedirs(self.dir, exist_ok=True)

    def mine(self, name):
        """Could stale instance NAME be left by a recorder this test started?
        Ours by pid in our PID namespace; any in another namespace (this
        test may have started it there with unshare)."""
        p = parse_instance(name)
        if not p:
            return False
        if p[1] == pidns_inode():
            return p[2] in self.spawned
        return True

    def tearDown(self):
        left = [n for n in stale_instances() if n not in self.before and self.mine(n)]
        for n in left:
            remove_instance(n)
        subprocess.run(["rm", "-rf", self.dir])
        self.assertEqual(left, [], "forklock instances left behind")

    def path(self, name):
        return os.path.join(self.dir, name)

    def record(self, command, out="t.dat", args=(), check=True):
        """forklock record -o OUT ARGS -- COMMAND; returns (summary, workload JSON or None, proc)."""
        out = self.path(out)
        proc = subprocess.Popen([FORKLOCK, "record", "-f", "-o", out, *args, "--", *command],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stdout, stderr = proc.communicate(timeout=600)
        p = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
        self.recorder_pid = proc.pid
        # whatever happened, the recorder's own instance is gone
        self.assertEqual(instance_of(proc.pid), [])
        if check:
            self.assertEqual(p.returncode, 0, "record failed: " + p.stderr)
        summary = parse_summary(p.stderr) if p.returncode == 0 else None
        truth = None
        if p.stdout.strip().startswith("{"):
            truth = json.loads(p.stdout.strip().splitlines()[-1])
        return summary, truth, p

    def workload(self, *args):
        return [WORKLOAD, *[str(a) for a in args]]

    def report_json(self, *args, forks=True):
        """forklock report --format json [--forks] ARGS; bare names are files in the test dir."""
        cmd = [FORKLOCK, "report", "--format", "json"] + (["--forks"] if forks else [])
        cmd += [self.path(a) if a.endswith(".dat") and "/" not in a else a for a in args]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, "report failed: " + p.stderr)
        return json.loads(p.stdout)

    def forks_of(self, report, tgid):
        return [f for f in report["forks"] if f["parent_tgid"] == tgid and not f["partial"]]


def main():
    unittest.main(verbosity=2)
