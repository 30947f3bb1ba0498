#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""report --svg of real recordings of this kernel (root, tracefs), read back
with svgcheck.py: a storm of known forks (the workload's own ground truth)
recorded with the tracepoint tier and, where the kernel has it, the bpf
tier.  The plot holds the storm's forks with their VMA counts, its axes fit
them (not from 0), the title names this kernel, host, tier and the
workload, and the markers say who counted the VMAs: the trace, or the bpf
programs reading map_count."""
import json
import os
import subprocess

import svgcheck
from fltest import FORKLOCK, LiveTest, main

POLICY_SERIES = ["lock", "undecided", "skip, safe", "skip, unknown safety", "skip, unsafe"]
FORKS, VMAS = 30, 200


class Plot(LiveTest):
    def storm(self, tier):
        _, truth, _ = self.record(self.workload("storm", "--forks", FORKS, "--vmas", VMAS),
                                  args=("--tier", tier))
        svg = self.path("t.svg")
        p = subprocess.run([FORKLOCK, "report", "--format", "json", "--forks", "--svg", svg,
                            self.path("t.dat")], capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr)
        rep = json.loads(p.stdout)
        root = svgcheck.parse(svg)
        self.assertEqual(svgcheck.problems(root, POLICY_SERIES), [])
        dots = svgcheck.forks(root)
        # only the storm's forks: the default view is record -- COMMAND's tree,
        # whatever else forked on the host meanwhile
        storm = self.forks_of(rep, truth["tgid"])
        self.assertEqual(len(storm), FORKS)
        judged = [f for f in rep["forks"] if f["policies"]]
        self.assertEqual(len(dots), len(judged))
        self.assertEqual(sorted((d["vmas"], d["window_ns"]) for d in dots),
                         sorted((f["vmas_locked"], f["window_ns"]) for f in judged))
        mine = [d for d in dots if (d["vmas"], d["window_ns"]) in
                {(f["vmas_locked"], f["window_ns"]) for f in storm}]
        self.assertGreaterEqual(len(mine), FORKS)
        for d in mine:
            self.assertEqual(d["vmas"], truth["vmas_locked"])
        # the VMA axis fits the counts, it does not start at 0
        scale, lo, hi, _ = svgcheck.axis(root, "x")
        least = min(d["vmas"] for d in dots)
        self.assertGreater(lo, least / 2)
        self.assertLessEqual(lo, least)
        # the title
        self.assertEqual(svgcheck.texts(root, "title"), ["forklock report: " + self.path("t.dat")])
        sub = svgcheck.texts(root, "subtitle")
        self.assertEqual(sub[0], "kernel %s | tier %s | host %s | %d fork%s plotted"
                         % (os.uname().release, tier, os.uname().nodename, len(dots),
                            "" if len(dots) == 1 else "s"))
        self.assertTrue(sub[1].startswith("workload: ") and
                        sub[1].endswith("storm --forks %d --vmas %d" % (FORKS, VMAS)), sub[1])
        return root, mine

    def test_tracepoint_tier(self):
        root, mine = self.storm("tracepoint")
        self.assertEqual({d["from"] for d in mine}, {"counted"})
        self.assertEqual({d["shape"] for d in mine}, {"circle"})
        self.assertIn("counted from the trace", svgcheck.legend(root))

    def test_bpf_tier(self):
        root, mine = self.storm("bpf")
        # map_count read by the BPF programs: measured by the kernel, a square
        self.assertEqual({d["from"] for d in mine}, {"bpf"})
        self.assertEqual({d["shape"] for d in mine}, {"rect"})
        self.assertGreaterEqual(svgcheck.legend(root)["read by the bpf tier"], FORKS)


if __name__ == "__main__":
    main()
