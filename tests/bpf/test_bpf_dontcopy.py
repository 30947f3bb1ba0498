#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""VM_DONTCOPY in the bpf tier: a storm whose process has D MADV_DONTFORK
VMAs.  dup_mmap() locks all of oldmm's VMAs (map_count) and copies all but
the D: the BPF-read map_count gives vmas_locked exactly, in full mode the
per-VMA program counts the copied ones (vmas_dontcopy = map_count -
copied = D), in light mode the copied ones are not counted at all (the
madvise() calls still say D)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
import fltest  # noqa: E402
from test_bpf_record import BpfTest  # noqa: E402

F, D, N = 20, 20, 30


class DontCopy(BpfTest):
    def storm(self, extra=()):
        _, truth, _ = self.record(self.workload("storm", "--forks", F, "--vmas", N,
                                                "--dontfork", D), out="d.dat",
                                  args=("--tier", "bpf", *extra))
        self.assertEqual((truth["dontfork"], truth["vmas_dontcopy"]), (D, D))
        self.assertEqual(truth["vmas_locked"] - truth["vmas_copied"], D)
        rep = self.report_json("d.dat")
        forks = self.forks_of(rep, truth["tgid"])
        self.assertEqual(len(forks), F)
        for f in forks:
            self.assertEqual(f["tier"], "bpf", f)
            self.assertFalse(f["bpf_lost"], f)
            self.assertEqual(f["map_count"], truth["vmas_locked"], f)
            self.assertEqual(f["vmas_locked"], truth["vmas_locked"], f)
            self.assertEqual(f["vmas_locked_quality"], "kernel", f)	# read, not modelled
            self.assertEqual(f["sources"]["vmas_locked"], "bpf", f)
        return truth, forks

    def test_full_mode(self):
        truth, forks = self.storm()
        for f in forks:
            self.assertEqual((f["vmas_copied"], f["vmas_dontcopy"]),
                             (truth["vmas_copied"], D), f)
            # counted from the ma_write events, as the BPF program counted them
            self.assertEqual(f["sources"]["vmas_copied"], "tracepoint", f)
            k = f["vma_kinds"]
            self.assertEqual(k["quality"], "exact", f)
            # the kinds are of the copied VMAs: the D dontfork ones are not among them
            self.assertEqual(k["anon"] + k["cow"] + k["shared"], truth["vmas_copied"], f)

    def test_light_mode(self):
        truth, forks = self.storm(("--light",))
        for f in forks:
            self.assertEqual(f["sources"]["vmas_copied"], "none", f)
            self.assertNotEqual(f["vma_kinds"]["quality"], "exact", f)
            # the MADV_DONTFORK calls are still traced (no per-VMA events needed)
            self.assertEqual(f["vmas_dontcopy"], D, f)


if __name__ == "__main__":
    fltest.main()
