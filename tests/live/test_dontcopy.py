#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""VM_DONTCOPY VMAs on this kernel, tracepoint tier (issue 11 items 3, 5).

dup_mmap() write-locks every VMA of the parent, VM_DONTCOPY ones included,
but copies (ma_write mas_store) only the others.  The tracepoint tier counts
the copied ones and adds the VM_DONTCOPY ones it knows of: smaps VmFlags
"dc" in the snapshot, madvise(MADV_DONTFORK/DOFORK) recorded since.

  - storm --dontfork 20: every fork has vmas_locked and vmas_copied equal
    to the workload's ground truth, vmas_dontcopy 20, marked exact (each
    madvise covered one whole one-page VMA, in place);
  - a process that existed before the recording with 3 VM_DONTCOPY
    mappings: its forks read 3 from the snapshot; after a madvise that
    splits a mapping (the trace cannot be sure how many VMAs changed) its
    forks say "estimated" - and still count the one VMA it made.
"""
import json
import os
import subprocess
import sys
import textwrap

import fltest
from fltest import FORKLOCK, LiveTest

HELPER = textwrap.dedent("""\
    import json, mmap, os, signal, sys
    PAGE = mmap.PAGESIZE
    # three one-page VM_DONTCOPY mappings (anonymous shared: never merged)
    keep = [mmap.mmap(-1, PAGE) for _ in range(3)]
    for m in keep:
        m.madvise(mmap.MADV_DONTFORK)
    big = mmap.mmap(-1, 4 * PAGE)
    go = os.open(sys.argv[1], os.O_RDONLY)		# a FIFO: opened by the command
    os.read(go, 1)
    def forks(n):
        for _ in range(n):
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
    forks(3)
    # pages 1-2 of 4: the mapping splits in three, one of them VM_DONTCOPY
    big.madvise(mmap.MADV_DONTFORK, PAGE, 2 * PAGE)
    forks(3)
    print(json.dumps({"pid": os.getpid()}), flush=True)
    os.close(os.open(sys.argv[2], os.O_CREAT | os.O_WRONLY, 0o600))	# done
""")


def dontcopy_of(pid):
    n = 0
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            if line.startswith("VmFlags:") and "dc" in line.split()[1:]:
                n += 1
    return n


class DontCopy(LiveTest):
    def test_storm_dontfork(self):
        F, D, N = 20, 20, 30
        _, truth, _ = self.record(self.workload("storm", "--forks", F, "--vmas", N,
                                                "--dontfork", D), args=("--tier", "tracepoint"))
        self.assertEqual((truth["dontfork"], truth["vmas_dontcopy"]), (D, D))
        self.assertEqual(truth["vmas_locked"] - truth["vmas_copied"], D)
        rep = self.report_json("t.dat")
        forks = self.forks_of(rep, truth["tgid"])
        self.assertEqual(len(forks), F)
        for f in forks:
            self.assertEqual((f["vmas_locked"], f["vmas_copied"], f["vmas_dontcopy"]),
                             (truth["vmas_locked"], truth["vmas_copied"], D))
            self.assertEqual(f["vmas_locked_quality"], "exact")
            self.assertEqual((f["sources"]["vmas_locked"], f["sources"]["vmas_copied"]),
                             ("tracepoint", "tracepoint"))
        self.assertGreaterEqual(rep["summary"]["vmas_dontcopy"], F * D)
        # single-user decided on the model's threads (no mm_users read here)
        self.assertEqual({f["policies"]["single-user"]["reason"] for f in forks},
                         {"threads == 1 (model)"})
        # the text says which forks are estimated: none of these
        text = subprocess.run([FORKLOCK, "report", "--forks", self.path("t.dat")],
                              capture_output=True, text=True)
        self.assertEqual(text.returncode, 0, text.stderr)
        rows = [line for line in text.stdout.splitlines()
                if line.split()[2:3] == [str(truth["pid"])]]
        self.assertEqual(len(rows), F)
        for line in rows:
            self.assertIn(" dontcopy=%d" % D, line)
            self.assertNotIn("estimated", line)
        # the kernel filtered madvise() to MADV_DONTFORK/MADV_DOFORK: the
        # workload's 20, and nothing else of anyone's
        tr = subprocess.run(["trace-cmd", "report", self.path("t.dat")],
                            capture_output=True, text=True)
        self.assertEqual(tr.returncode, 0, tr.stderr)
        madv = [line for line in tr.stdout.splitlines() if "sys_enter_madvise:" in line]
        mine = [line for line in madv if "-%d " % truth["pid"] in line]
        self.assertEqual(len(mine), D)
        for line in madv:
            self.assertRegex(line, r"behavior: 0x0000000[ab]$")

    def test_snapshot_then_split(self):
        fifo, done = self.path("go"), self.path("done")
        os.mkfifo(fifo)
        helper = subprocess.Popen([sys.executable, "-c", HELPER, fifo, done],
                                  stdout=subprocess.PIPE, text=True)
        try:
            # the helper is up with its 3 VM_DONTCOPY VMAs before recording
            for _ in range(200):
                if os.path.exists("/proc/%d/smaps" % helper.pid) and dontcopy_of(helper.pid) == 3:
                    break
                subprocess.run(["sleep", "0.05"])
            self.assertEqual(dontcopy_of(helper.pid), 3)
            # the command lets it fork and waits until it is done (at most 60 s)
            cmd = ["sh", "-c", "echo > %s; i=0; while [ ! -e %s ] && [ $i -lt 1200 ]; do "
                   "sleep 0.05; i=$((i + 1)); done" % (fifo, done)]
            self.record(cmd, args=("--tier", "tracepoint"))
            out, _ = helper.communicate(timeout=60)
        finally:
            if helper.poll() is None:
                helper.kill()
                helper.wait()
        self.assertEqual(helper.returncode, 0)
        rep = self.report_json("--all", "t.dat")	# the helper is not COMMAND's
        forks = sorted(self.forks_of(rep, helper.pid), key=lambda f: f["ts_ns"])
        self.assertEqual(len(forks), 6)
        for f in forks:
            self.assertEqual(f["vmas_locked"], f["vmas_copied"] + f["vmas_dontcopy"])
        # read from the snapshot's smaps
        self.assertEqual([f["vmas_dontcopy"] for f in forks[:3]], [3, 3, 3])
        # the split: one more, and the trace says it cannot be sure
        self.assertEqual([f["vmas_dontcopy"] for f in forks[3:]], [4, 4, 4])
        self.assertEqual({f["vmas_locked_quality"] for f in forks[3:]}, {"estimated"})
        self.assertGreaterEqual(rep["summary"]["vmas_locked_estimated_forks"], 3)


if __name__ == "__main__":
    fltest.main()
