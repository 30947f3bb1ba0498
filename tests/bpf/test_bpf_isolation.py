#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A bpf-tier recorder ended by SIGINT, SIGTERM or SIGKILL, or whose load
fails, leaves nothing of its own: every BPF program, link and map it held
while it ran (read from its /proc/PID/fdinfo) is gone from the kernel,
nothing of forklock's is pinned in /sys/fs/bpf, and its tracefs instance
is gone (after SIGKILL: removed by the next recorder, as for the
tracepoint tier).  Its COMMAND, which ignores the signals, runs to its end
with its own status, and a tracepoint-tier recorder running beside it the
whole time writes a whole trace: every fork of its workload, exact VMA
counts, nothing lost.

Only this test's recorders are judged: other recorders on the host (BPF
or not) are left out by their pids."""
import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
import fltest  # noqa: E402
from fltest import FORKLOCK, TRACEFS, WORKLOAD, instance_of, instances  # noqa: E402
from flbpf import PROG_NAMES  # noqa: E402
from test_bpf_record import BpfTest  # noqa: E402

F, V = 30, 40			# the recorded COMMAND's storm
SF, SV = 25, 60			# the bystander's storm
KINDS = ("prog_id", "link_id", "map_id")


def bpf_objects(pid):
    """{kind: set of ids} of the BPF programs, links and maps @pid holds fds of."""
    held = {k: set() for k in KINDS}
    for fdinfo in glob.glob("/proc/%d/fdinfo/*" % pid):
        try:
            with open(fdinfo) as f:
                text = f.read()
        except OSError:
            continue
        for k in ("link_id", "map_id"):
            m = re.search(r"^%s:\s+(\d+)" % k, text, re.M)
            if m:
                held[k].add(int(m.group(1)))
                break
        else:
            m = re.search(r"^prog_id:\s+(\d+)", text, re.M)
            if m:
                held["prog_id"].add(int(m.group(1)))
    return held


def kernel_ids():
    """{kind: set of ids} of every BPF program, link and map the kernel has now."""
    out = {}
    for k, what in zip(KINDS, ("prog", "link", "map")):
        p = subprocess.run(["bpftool", what, "show", "-j"], capture_output=True, text=True,
                           timeout=60)
        if p.returncode:
            raise AssertionError("bpftool %s show: %s" % (what, p.stderr))
        out[k] = {o["id"] for o in json.loads(p.stdout or "[]")}
    return out


def named_objects():
    """{kind: ids} of the programs and maps with the names forklock's have (any recorder's)."""
    out = {"link_id": set()}
    for k, what, names in (("prog_id", "prog", set(PROG_NAMES)),
                           ("map_id", "map", {"held", "records", "forklock.rodata",
                                              "forklock.bss", "forklock_.rodata",
                                              "forklock_.bss"})):
        p = subprocess.run(["bpftool", what, "show", "-j"], capture_output=True, text=True,
                           timeout=60)
        if p.returncode:
            raise AssertionError("bpftool %s show: %s" % (what, p.stderr))
        out[k] = {o["id"] for o in json.loads(p.stdout or "[]") if o.get("name") in names}
    return out


def holders_by_kind():
    """{kind: {id: pids holding an fd of it}} over every process."""
    held = {k: {} for k in KINDS}
    for d in glob.glob("/proc/[0-9]*"):
        try:
            pid = int(os.path.basename(d))
        except ValueError:
            continue
        for k, ids in bpf_objects(pid).items():
            for i in ids:
                held[k].setdefault(i, set()).add(pid)
    return held


def pinned():
    """forklock's objects pinned anywhere under /sys/fs/bpf (none should ever be)."""
    names = set(PROG_NAMES) | {"held", "records"}
    return [p for p in glob.glob("/sys/fs/bpf/**", recursive=True)
            if os.path.basename(p) in names or "forklock" in os.path.basename(p)]


class Isolation(BpfTest):
    def setUp(self):
        super().setUp()
        self.go = self.path("go")
        self.cmd_go = self.path("command-go")
        self.rc = self.path("command.rc")

    # ---- the bystander: a tracepoint-tier recorder that runs throughout --------

    def start_bystander(self):
        cmd = ["sh", "-c", "until [ -e %s ]; do sleep 0.01; done; exec %s storm --forks %d "
               "--vmas %d --hold-ms 20" % (self.go, WORKLOAD, SF, SV)]
        return subprocess.Popen([FORKLOCK, "record", "-f", "--tier", "tracepoint", "-o",
                                 self.path("side.dat"), "--", *cmd],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def bystander_whole(self, side):
        out, err = side.communicate(timeout=300)
        self.assertEqual(side.returncode, 0, err)
        self.assertEqual(instance_of(side.pid), [])
        summary = fltest.parse_summary(err)
        self.assertEqual(summary["lost"], 0, err)
        truth = json.loads(out.strip().splitlines()[-1])
        rep = self.report_json("side.dat")
        self.assertEqual(rep["trace"]["tier"], "tracepoint")
        self.assertEqual(rep["trace"]["lost_events"], 0)
        forks = self.forks_of(rep, truth["pid"])
        self.assertEqual(len(forks), SF)
        self.assertEqual(sorted(f["child_pid"] for f in forks), sorted(truth["children"]))
        for f in forks:
            self.assertEqual((f["vmas_locked"], f["threads"]), (truth["vmas"], 1), f)

    # ---- the recorder under test -----------------------------------------------

    def start_bpf(self, env=None):
        # COMMAND forks (first.json), then waits for the test, which lets it go
        # on only once the recorder was signalled; it ignores the signals a
        # recorder passes on and notes its own status.  Its output goes to
        # files: nothing of it waits on the recorder's pipes.
        cmd = ["sh", "-c", "trap '' INT TERM HUP; exec 2>%s; %s storm --forks 10 --vmas %d "
               "> %s; until [ -e %s ]; do sleep 0.01; done; %s storm --forks %d --vmas %d "
               "> %s; echo $? > %s.part && mv %s.part %s"
               % (self.path("command.err"), WORKLOAD, V, self.path("first.json"),
                  self.cmd_go, WORKLOAD, F, V, self.path("truth.json"), self.rc, self.rc,
                  self.rc)]
        self.err = open(self.path("record.err"), "w+")
        self.addCleanup(self.err.close)
        return subprocess.Popen([FORKLOCK, "record", "-f", "--tier", "bpf", "-o",
                                 self.path("b.dat"), "--", *cmd],
                                stdout=subprocess.DEVNULL, stderr=self.err, text=True,
                                env=dict(os.environ, **(env or {})))

    def ended(self, proc):
        proc.wait(timeout=120)
        self.err.seek(0)
        return self.err.read()

    def wait_attached(self, proc):
        """Until @proc traces with its programs attached; what it holds then."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.fail("the recorder exited early: " + self.ended(proc))
            held = bpf_objects(proc.pid)
            # three links in full mode: acquire_returned, released, ma_write;
            # COMMAND's first storm done under them
            if len(held["link_id"]) == 3 and os.path.exists(self.path("first.json")) and \
                    os.path.getsize(self.path("first.json")):
                self.assertEqual(len(instance_of(proc.pid)), 1)
                return held
            time.sleep(0.02)
        proc.kill()
        self.fail("the recorder never attached its programs")

    def command_ran_to_its_end(self):
        deadline = time.monotonic() + 120
        while not os.path.exists(self.rc) and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(self.rc) as f:
            self.assertEqual(f.read(), "0\n", "COMMAND's own status")
        with open(self.path("truth.json")) as f:
            truth = json.loads(f.read().strip().splitlines()[-1])
        self.assertEqual(truth["forks"], F)
        self.assertEqual(len(truth["children"]), F)

    def nothing_left(self, pid, held):
        self.assertTrue(held["prog_id"] and held["link_id"] and held["map_id"], held)
        deadline = time.monotonic() + 5	# the kernel frees a program after an RCU grace period
        while True:
            now = kernel_ids()
            left = {k: sorted(held[k] & now[k]) for k in KINDS if held[k] & now[k]}
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(left, {}, "BPF objects of recorder %d still in the kernel" % pid)
        self.assertEqual(pinned(), [])

    def signalled(self, sig):
        side = self.start_bystander()
        try:
            proc = self.start_bpf()
            held = self.wait_attached(proc)
            open(self.go, "w").close()	# the bystander's workload forks now
            time.sleep(0.5)			# both record: forks, ma_write, ring buffers
            proc.send_signal(sig)
            err = self.ended(proc)
        finally:
            open(self.go, "w").close()
            open(self.cmd_go, "w").close()	# COMMAND goes on after its recorder
        if sig == signal.SIGKILL:
            self.assertEqual(proc.returncode, -signal.SIGKILL)
        else:
            self.assertEqual(proc.returncode, 0, err)
            self.assertIn("forklock record: stopped: %s\n" % signal.Signals(sig).name, err)
            self.assertEqual(instance_of(proc.pid), [])
            # what it wrote reads, in the bpf tier
            rep = self.report_json("b.dat", forks=False)
            self.assertEqual(rep["trace"]["tier"], "bpf")
        self.nothing_left(proc.pid, held)
        self.command_ran_to_its_end()
        self.bystander_whole(side)
        if sig == signal.SIGKILL:
            # a killed recorder's instance stays until the next recorder takes its lock
            name = [n for n in instances() if n in instance_of(proc.pid)]
            self.assertEqual(len(name), 1)
            self.record(["true"], out="next.dat", args=("--tier", "tracepoint"))
            self.assertNotIn(name[0], instances())

    def test_sigint(self):
        self.signalled(signal.SIGINT)

    def test_sigterm(self):
        self.signalled(signal.SIGTERM)

    def test_sigkill(self):
        self.signalled(signal.SIGKILL)

    def test_failed_load(self):
        side = self.start_bystander()
        try:
            before_named = named_objects()
            proc = self.start_bpf(env={"FORKLOCK_TEST_BPF_REJECT": "1"})
            err = self.ended(proc)
        finally:
            open(self.go, "w").close()
            open(self.cmd_go, "w").close()
        self.assertEqual(proc.returncode, 17, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertRegex(err, r"^forklock record: error: bpf tier: the verifier rejected")
        self.assertEqual(instance_of(proc.pid), [])
        self.assertFalse(os.path.exists(self.path("b.dat")))
        # the refusal comes before COMMAND is started: it never ran
        self.assertFalse(os.path.exists(self.rc))
        self.assertFalse(os.path.exists(self.path("first.json")))
        # What it made before the verifier said no (maps, programs loaded
        # before the rejected one) is gone: a new object of forklock's names
        # is another recorder's (tests of other sessions run at once) only
        # while a live process holds it; none is held by nobody.
        now, held = named_objects(), holders_by_kind()
        for k in KINDS:
            left = [i for i in now[k] - before_named[k] if not held[k].get(i)]
            self.assertEqual(left, [], k)
        self.assertEqual(pinned(), [])
        self.bystander_whole(side)

if __name__ == "__main__":
    fltest.main()
