#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""BPF loss is never clean: a deliberately tiny ring buffer (4 KB, about
36 records) that is not read until the end (FORKLOCK_TEST_BPF_NO_READ)
loses the records of most of a storm's forks.  record exits 23 with one
error line; bpf_stats counts windows = records + lost; the report marks
every fork without its record (bpf_lost, lost_events, the model's values),
and the joined forks and the marked ones are exactly the workload's forks."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
import fltest  # noqa: E402
from fltest import FORKLOCK  # noqa: E402
from flbpf import bpf_forks  # noqa: E402
from test_bpf_record import BpfTest, tracecmd  # noqa: E402

F, V = 200, 10
RECORD = 112	# a ring-buffer record: its 8-byte header and struct fl_bpf_fork_rec


class Lost(BpfTest):
    def record_lossy(self):
        saved = dict(os.environ)
        os.environ["FORKLOCK_TEST_BPF_NO_READ"] = "1"
        try:
            _, truth, p = self.record(self.workload("storm", "--forks", F, "--vmas", V),
                                      out="l.dat", args=("--tier", "bpf", "--bpf-buffer-kb", "4"),
                                      check=False)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return truth, p

    def test_tiny_buffer_loses_and_says_so(self):
        truth, p = self.record_lossy()
        self.assertEqual(p.returncode, 23, p.stderr)
        errors = [l for l in p.stderr.splitlines() if ": error: " in l]
        self.assertEqual(len(errors), 1, p.stderr)
        m = re.match(r"^forklock record: error: (\d+) BPF fork records were lost \(its ring "
                     r"buffer was full\): those forks have no kernel-read values; (.*) holds "
                     r"the others; a larger --bpf-buffer-kb helps$", errors[0])
        self.assertIsNotNone(m, errors[0])
        lost = int(m.group(1))
        self.assertEqual(m.group(2), self.path("l.dat"))
        fltest.parse_summary(p.stderr)	# the trace is written and summed up
        notice = re.search(r"^forklock record: tier bpf: (\d+) fork records, (\d+) lost$",
                           p.stderr, re.M)
        records = int(notice.group(1))
        self.assertEqual(int(notice.group(2)), lost)
        # the buffer holds at most 4096 / RECORD records: the rest of the storm is lost
        self.assertLessEqual(records, 4096 // RECORD)
        self.assertGreaterEqual(lost, F - 4096 // RECORD)

        rep = tracecmd("report", self.path("l.dat"))
        self.assertEqual(rep.returncode, 0, rep.stderr)
        self.assertNotIn("UNKNOWN", rep.stdout)
        st = re.search(r"bpf_stats:\s+windows=(\d+) lost=(\d+) ", rep.stdout)
        self.assertEqual((int(st.group(1)), int(st.group(2))), (records + lost, lost))
        self.assertEqual(len(bpf_forks(rep.stdout)), records)
        mine = [f for f in bpf_forks(rep.stdout) if f["pid"] == truth["pid"]]

        j = self.report_json("l.dat")
        self.assertEqual(j["traces"][0]["bpf"]["lost"], lost)
        forks = self.forks_of(j, truth["pid"])
        self.assertEqual(len(forks), F)
        joined = [f for f in forks if f["tier"] == "bpf"]
        marked = [f for f in forks if f["bpf_lost"]]
        # every fork is one or the other, never both, never a clean tracepoint fork
        self.assertEqual(len(joined), len(mine))
        self.assertEqual(len(joined) + len(marked), F)
        self.assertGreaterEqual(len(marked), F - 4096 // RECORD)
        for f in joined:
            self.assertFalse(f["bpf_lost"], f)
            self.assertEqual(f["mm_users"], 1, f)
        for f in marked:
            self.assertEqual(f["tier"], "tracepoint", f)
            self.assertTrue(f["lost_events"], f)
            self.assertIsNone(f["mm_users"], f)
            self.assertEqual(f["sources"]["mm_users"], "none", f)
            self.assertEqual(f["vmas_locked"], truth["vmas"], f)	# the tracepoints still count
        self.assertGreaterEqual(j["summary"]["lossy_forks"], len(marked))
        text = subprocess.run([FORKLOCK, "report", self.path("l.dat")], capture_output=True,
                              text=True, timeout=300)
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn("  %d bpf fork records were lost: those forks have no kernel-read values "
                      "(tier tracepoint, each marked bpf_lost and counted with lost events)\n"
                      % lost, text.stdout)

    def test_default_buffer_loses_nothing(self):
        _, truth, p = self.record(self.workload("storm", "--forks", F, "--vmas", V),
                                  out="d.dat", args=("--tier", "bpf"))
        self.assertRegex(p.stderr, r"\nforklock record: tier bpf: \d+ fork records, 0 lost\n")
        forks = self.forks_of(self.report_json("d.dat"), truth["pid"])
        self.assertEqual(len(forks), F)
        self.assertEqual([f for f in forks if f["bpf_lost"] or f["tier"] != "bpf"], [])

    def test_bad_sizes(self):
        for bad in ("3", "6", "0", "2097152", "x"):
            p = self.run_fl("record", "-o", self.path("b.dat"), "--bpf-buffer-kb", bad, "--",
                            "true")
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertEqual(p.stderr.strip().splitlines(), [
                "forklock record: error: --bpf-buffer-kb needs a power of two of KB "
                "(4 to 1048576), not '%s'" % bad])


if __name__ == "__main__":
    fltest.main()
