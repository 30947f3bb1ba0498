#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The ways forklock report reads events (FORKLOCK_REPLAY=libtracecmd, pages,
threads) give the same bytes on recordings of this kernel: a storm (the
tracepoint tier) and, where the bpf tier records here, a storm with its
named buffer joined.  tests/replay/test_sources.py does the corpus."""
import json
import os
import subprocess

import fltest
from fltest import FORKLOCK, LiveTest

SOURCES = ("libtracecmd", "pages", "threads")
OUTPUTS = (("--format", "text"), ("--format", "json"), ("--format", "json", "--forks"))


class Sources(LiveTest):
    def same(self, dat):
        for out in OUTPUTS:
            runs = {}
            for s in SOURCES:
                runs[s] = subprocess.run([FORKLOCK, "report", *out, self.path(dat)],
                                         capture_output=True, timeout=600,
                                         env=dict(os.environ, FORKLOCK_REPLAY=s))
                self.assertEqual(runs[s].returncode, 0, runs[s].stderr)
                self.assertNotIn(b"not by pages", runs[s].stderr)
            for s in SOURCES[1:]:
                self.assertEqual(runs[s].stdout, runs["libtracecmd"].stdout,
                                 "%s %s: %s differs" % (" ".join(out), dat, s))
                self.assertEqual(runs[s].stderr, runs["libtracecmd"].stderr)
        return runs["libtracecmd"].stdout

    def test_storm(self):
        summary, truth, _ = self.record(self.workload("storm", "--forks", 30, "--vmas", 300,
                                                      "--threads", 2))
        self.assertGreater(summary["events"], 30 * 300)
        rep = json.loads(self.same("t.dat"))
        self.assertEqual(sorted(f["child_pid"] for f in self.forks_of(rep, truth["tgid"])),
                         sorted(truth["children"]))

    def test_bpf_buffer(self):
        summary, truth, p = self.record(self.workload("storm", "--forks", 20, "--vmas", 100),
                                        out="b.dat", args=("--tier", "bpf"), check=False)
        if p.returncode != 0:
            self.skipTest("the bpf tier does not record here: " + p.stderr.strip()[-300:])
        rep = json.loads(self.same("b.dat"))
        self.assertEqual(rep["traces"][0]["tier"], "bpf")
        forks = self.forks_of(rep, truth["pid"])
        self.assertEqual(len(forks), truth["forks"])
        self.assertGreater(rep["traces"][0]["bpf"]["joined"], 0, rep["traces"][0]["bpf"])


if __name__ == "__main__":
    fltest.main()
