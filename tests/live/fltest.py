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
import time
import unittest

FORKLOCK = os.environ.get("FORKLOCK", "forklock")
WORKLOAD = os.environ.get("WORKLOAD", "forklock-workload")
MKFIXTURE = os.environ.get("MKFIXTURE", "mkfixture")
TRACEFS = "/sys/kernel/tracing"

SUMMARY_RE = re.compile(
    r"^forklock record: (\d+) events, (\d+) lost \(([^)]*)\), ([\d.]+) MiB, ([\d.]+) s -> (.*)$",
    re.M)


def instances():
    d = os.path.join(TRACEFS, "instances")
    try:
        return sorted(n for n in os.listdir(d) if n.startswith("forklock-"))
    except FileNotFoundError:
        return []


def recorder_alive(name):
    """Is the recorder that owns instance NAME still running?"""
    try:
        with open("/proc/%s/comm" % name[len("forklock-"):]) as f:
            return f.read().strip() == "forklock"
    except (OSError, ValueError):
        return False


def stale_instances():
    """Instances whose recorder is gone: what a test must never leave.
    (A recorder running outside this test keeps its own.)"""
    return [n for n in instances() if not recorder_alive(n)]


def remove_instance(name):
    """What a crashed recorder leaves: tracing off, events off, rmdir."""
    path = os.path.join(TRACEFS, "instances", name)
    for f, v in (("tracing_on", "0"), ("events/enable", "0")):
        try:
            with open(os.path.join(path, f), "w") as fh:
                fh.write(v)
        except OSError:
            pass
    try:
        os.rmdir(path)
    except OSError:
        pass


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
        left = stale_instances()
        for n in left:
            remove_instance(n)
        self.assertEqual(left, [], "forklock instances were left before this test")
        self.dir = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                "forklock-test-%d-%s" % (os.getpid(), self._testMethodName))
        os.makedirs(self.dir, exist_ok=True)

    def tearDown(self):
        left = stale_instances()
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
        self.assertNotIn("forklock-%d" % proc.pid, instances())
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
