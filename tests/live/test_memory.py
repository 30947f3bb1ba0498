#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The recorder's memory does not grow with the recording (issue 16 item 2).

The same workload (forklock-workload storm, 1000 extra VMAs) recorded with
50 and with 1000 forks (more if other processes' events made the small one
larger: recording is host-wide): the larger trace.dat is at least 10x the
smaller.
The recorder's peak RSS is its own VmHWM, read by peak-rss at its exit
stop (/proc/PID/status while its memory is still there): the recorder
alone, never COMMAND, which wait4()'s ru_maxrss would include.  The larger
recording's peak is below 64 MB and below 1.2x the smaller one's.  A
recorder that mapped or read its per-CPU data whole, or kept anything per
page or per event, would grow by the tens of MB between the two.
"""
import os
import re
import subprocess

import fltest
from fltest import FORKLOCK, LiveTest, instance_of, parse_summary

PEAK_RSS = os.environ.get("PEAK_RSS", "peak-rss")


class Memory(LiveTest):
    def peak(self, hwm, argv):
        """Run @argv (forklock record ...) under peak-rss: (its pid, its own VmHWM in bytes,
        the process)."""
        p = subprocess.run([PEAK_RSS, "-o", hwm, "--", *argv], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, timeout=600)
        with open(hwm) as f:
            text = f.read()
        m = re.match(r"Pid:\t(\d+)\n", text)
        self.assertIsNotNone(m, "peak-rss wrote %r" % text)
        pid = int(m.group(1))
        self.spawned.add(pid)		# the recorder: its instance is this test's
        self.assertEqual(instance_of(pid), [])
        self.assertEqual(p.returncode, 0, p.stderr)
        m = re.search(r"^VmHWM:\s+(\d+) kB$", text, re.M)
        self.assertIsNotNone(m, "peak-rss wrote %r" % text)
        return pid, int(m.group(1)) * 1024, p

    def recorder_peak(self, forks):
        """(the recorder's own VmHWM in bytes, trace.dat bytes, summary) for @forks forks."""
        out = self.path("storm%d.dat" % forks)
        hwm = self.path("storm%d.hwm" % forks)
        _, rss, p = self.peak(hwm, [FORKLOCK, "record", "-q", "-f", "-o", out, "--",
                                    *self.workload("storm", "--forks", forks, "--vmas", 1000)])
        size = os.path.getsize(out)
        os.unlink(out)
        return rss, size, parse_summary(p.stderr)

    def test_peak_rss_does_not_grow_with_the_recording(self):
        small_rss, small, small_sum = self.recorder_peak(50)
        # the host's other forks are recorded too (recording is host-wide):
        # more forks until the larger trace is 10x the smaller
        forks = 1000
        big_rss, big, big_sum = self.recorder_peak(forks)
        while big < 10 * small and forks < 8000:
            forks *= 2
            big_rss, big, big_sum = self.recorder_peak(forks)
        said = "recorder peak RSS %.1f MiB at %.1f MiB of trace (%d events), %.1f MiB at " \
               "%.1f MiB (%d events)" % (small_rss / 1048576, small / 1048576, small_sum["events"],
                                         big_rss / 1048576, big / 1048576, big_sum["events"])
        print(said)
        self.assertGreaterEqual(big, 10 * small, "the larger recording is not 10x larger: " + said)
        self.assertLess(big_rss, 64 << 20, said)
        self.assertLess(big_rss, 1.2 * small_rss, "peak RSS grew with the recording: " + said)

    def test_peak_rss_is_the_recorders_own(self):
        # COMMAND takes 96 MiB; the recorder's own peak stays far below it
        # (ru_maxrss of wait4() would say 96 MiB): peak-rss reads the
        # recorder, not its children
        _, rss, _ = self.peak(self.path("cmd.hwm"),
                              [FORKLOCK, "record", "-q", "-f", "-o", self.path("cmd.dat"), "--",
                               "python3", "-c", "x = b'1' * (96 << 20)"])
        self.assertLess(rss, 32 << 20)
        self.assertGreater(rss, 1 << 20)


if __name__ == "__main__":
    fltest.main()
