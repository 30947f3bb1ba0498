#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The checker walks the forklock-bpf buffer of a bpf-tier trace.dat as it
walks the CPU buffers: a page or a range of it damaged on purpose is
refused with one line and its exit code (11 corrupt, 12 truncated) before
libtracecmd reads it (which crashed on a cut last page), and the undamaged
file reads."""
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "live"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz"))
import fltest  # noqa: E402
from fltest import FORKLOCK  # noqa: E402
from test_bpf_record import BpfTest  # noqa: E402
from tracedat import TraceDat  # noqa: E402

OPT_BUFFER = 3
COMMIT_MASK = (1 << 27) - 1


def bpf_buffer(data):
    """(offset of the BUFFER option's u64 in the file, the buffer's offset,
    [(offset, size)] per CPU) of the forklock-bpf buffer."""
    t = TraceDat(data)
    opts = [d for o, d in t.options if o == OPT_BUFFER and d[8:].rstrip(b"\0") == b"forklock-bpf"]
    assert len(opts) == 1, t.options
    opt = data.index(struct.pack("<HI", OPT_BUFFER, len(opts[0])) + opts[0]) + 6
    at = struct.unpack_from("<Q", opts[0])[0]
    assert data[at:at + 10] == b"flyrecord\0"
    n = len(t.cpus)
    ranges = [struct.unpack_from("<QQ", data, at + 10 + 16 * i) for i in range(n)]
    return opt, at, ranges, t


class Check(BpfTest):
    @classmethod
    def setUpClass(cls):
        cls.data = None

    def setUp(self):
        super().setUp()
        if Check.data is None:
            _, truth, _ = self.record(self.workload("storm", "--forks", 20, "--vmas", 50),
                                      out="b.dat", args=("--tier", "bpf"))
            with open(self.path("b.dat"), "rb") as f:
                Check.data = f.read()
        self.opt, self.at, self.ranges, self.t = bpf_buffer(Check.data)
        self.page = self.t.page_size
        # a CPU of the buffer with its fork records
        self.cpu = next(i for i, (o, s) in enumerate(self.ranges) if s)

    def report(self, data, name="m.dat"):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(data)
        return subprocess.run([FORKLOCK, "report", path], capture_output=True, text=True,
                              timeout=300), path

    def refused(self, data, code, pattern):
        p, path = self.report(data)
        self.assertEqual(p.returncode, code, p.stdout[-300:] + p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertRegex(lines[0], "^forklock report: error: " + re.escape(path) + " " + pattern)

    def first_page(self):
        return self.ranges[self.cpu][0]

    def test_the_file_reads(self):
        p, _ = self.report(Check.data)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"\d+ fork records \(\d+ joined to a fork, 0 to none\), 0 lost")

    def test_commit_past_the_page(self):
        d = bytearray(Check.data)
        at = self.first_page()
        struct.pack_into("<Q", d, at + 8, self.page)	# more bytes than the page has room for
        self.refused(bytes(d), 11, r"is a corrupt trace\.dat: buffer forklock-bpf CPU %d: the "
                     r"page at offset %d says it holds %d bytes of events, it has room for %d$"
                     % (self.cpu, at, self.page, self.page - 16))

    def test_zeroed_page(self):
        d = bytearray(Check.data)
        at = self.first_page()
        d[at:at + self.page] = bytes(self.page)
        self.refused(bytes(d), 11, r"is a corrupt trace\.dat: buffer forklock-bpf CPU %d: the "
                     r"page at offset %d is zeroed" % (self.cpu, at))

    def test_event_runs_past_its_data(self):
        d = bytearray(Check.data)
        at = self.first_page()
        commit = struct.unpack_from("<Q", d, at + 8)[0]
        # the first event made one whose length is in the word after its header
        # (type_len 0), a length far beyond the page's data
        hdr = struct.unpack_from("<I", d, at + 16)[0]
        struct.pack_into("<II", d, at + 16, hdr & ~31, (commit & COMMIT_MASK) + 64)
        self.refused(bytes(d), 11, r"is a corrupt trace\.dat: buffer forklock-bpf CPU %d: the "
                     r"page at offset %d has an event at \+16 that runs past its %d bytes of data$"
                     % (self.cpu, at, commit & COMMIT_MASK))

    def test_cut_in_the_buffer(self):
        off, size = self.ranges[self.cpu]
        self.refused(Check.data[:off + size - 1], 12, r"is truncated: buffer forklock-bpf CPU "
                     r"%d data ends at %d, the file has %d bytes$"
                     % (self.cpu, off + size, off + size - 1))

    def test_buffer_inside_the_headers(self):
        d = bytearray(Check.data)
        struct.pack_into("<Q", d, self.opt, 64)
        self.refused(bytes(d), 11, r"is a corrupt trace\.dat: buffer forklock-bpf starts at "
                     r"offset 64, inside the file's headers, which end at \d+$")

    def test_buffer_over_the_cpu_data(self):
        d = bytearray(Check.data)
        top = next((i, len(c)) for i, c in enumerate(self.t.cpus) if c)
        # the buffer's CPU data moved onto the top buffer's data of that CPU
        top_off = struct.unpack_from("<Q", d, Check.data.index(b"flyrecord\0") + 10 + 16 * top[0])
        struct.pack_into("<Q", d, self.at + 10 + 16 * self.cpu, top_off[0])
        self.refused(bytes(d), 11, r"is a corrupt trace\.dat: buffer forklock-bpf CPU %d data "
                     r"\(offset %d, %d bytes\) overlaps CPU %d data$"
                     % (self.cpu, top_off[0], self.ranges[self.cpu][1], top[0]))


if __name__ == "__main__":
    fltest.main()
