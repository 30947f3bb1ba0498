#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Honest reads: forklock report reads a trace whole or says it did not.

Usage: test_reads.py FORKLOCK

Inputs that are not regular files (a FIFO with no writer, a device) are
refused at once, without blocking; the same trace named twice is refused
(it would count twice); bytes from a file are escaped in the error line;
damaged ring pages (zeroed, duplicated, swapped), CPU ranges that alias
another CPU's, and sparse files claiming huge CPU data are reported as
corruption, each with its exit code and one line.  The mutations are made
to a committed real recording (tests/fuzz/corpus/rec-storm-3.dat).
"""
import json
import os
import stat
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tracedat  # noqa: E402

FORKLOCK = sys.argv[1] if len(sys.argv) > 1 else 'forklock'
del sys.argv[1:2]

REC = os.path.join(HERE, 'corpus', 'rec-storm-3.dat')
BIG = os.path.join(HERE, 'corpus', 'rec-storm-vmas.dat')
TIMEOUT = 20
EXIT_USAGE, EXIT_INPUT, EXIT_FORMAT, EXIT_TRUNCATED = 2, 10, 11, 12


def read(path):
    with open(path, 'rb') as f:
        return f.read()


class Reads(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix='forklock-reads-')

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def write(self, name, data):
        with open(self.path(name), 'wb') as f:
            f.write(data)
        return self.path(name)

    def run_fl(self, *args, timeout=TIMEOUT):
        t0 = time.monotonic()
        try:
            p = subprocess.run([FORKLOCK, *args], capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.fail('forklock %s hung (> %d s)' % (' '.join(args), timeout))
        p.elapsed = time.monotonic() - t0
        self.assertGreaterEqual(p.returncode, 0, 'killed by signal %d:\n%s' %
                                (-p.returncode, p.stderr))
        return p

    def fails(self, args, code, pattern, cmd='report'):
        """Exit @code, nothing on stdout, exactly one stderr line matching @pattern."""
        p = self.run_fl(cmd, *args)
        err = p.stderr.decode('ascii')	# escaped: never a raw byte
        self.assertEqual(p.returncode, code, 'exit %d, stderr:\n%s' % (p.returncode, err))
        lines = err.strip().split('\n')
        self.assertEqual(len(lines), 1, 'not one error line:\n' + err)
        self.assertRegex(lines[0], r'^forklock %s: error: ' % cmd + pattern)
        self.assertEqual(p.stdout, b'', 'a report was printed besides the error')
        return p

    # ---- inputs that are not regular files -----------------------------------

    def test_fifo_without_writer(self):
        fifo = self.path('trace.fifo')
        os.mkfifo(fifo)
        p = self.fails([fifo], EXIT_INPUT, r'.*trace\.fifo is a FIFO, not a trace\.dat$')
        self.assertLess(p.elapsed, 5, 'the FIFO was waited on')

    def test_device(self):
        self.assertTrue(stat.S_ISCHR(os.stat('/dev/zero').st_mode))
        self.fails(['/dev/zero'], EXIT_INPUT,
                   r'/dev/zero is a character device, not a trace\.dat$')

    # ---- the same input twice --------------------------------------------------

    def test_same_trace_twice(self):
        link = self.path('link.dat')
        os.symlink(REC, link)
        copy = self.write('copy.dat', read(REC))
        self.fails([REC, REC], EXIT_USAGE, r'.*rec-storm-3\.dat and .*rec-storm-3\.dat are the '
                   r'same file: it would be counted twice$')
        self.fails([REC, copy, link], EXIT_USAGE,
                   r'.*rec-storm-3\.dat and .*link\.dat are the same file')
        # a copy is another recording as far as anyone can tell: both count
        one = json.loads(self.run_fl('report', '-F', 'json', REC).stdout)
        p = self.run_fl('report', '-F', 'json', REC, copy)
        self.assertEqual(p.returncode, 0, p.stderr)
        two = json.loads(p.stdout)
        self.assertEqual(two['summary']['forks'], 2 * one['summary']['forks'])
        self.assertEqual(one['summary']['forks'], 3)

    def test_same_report_twice_in_merge(self):
        p = self.run_fl('report', '-F', 'json', REC)
        self.assertEqual(p.returncode, 0, p.stderr)
        j = self.write('r.json', p.stdout)
        self.fails([j, j], EXIT_USAGE, r'.*r\.json and .*r\.json are the same file', cmd='merge')

    # ---- bytes from the file, escaped ------------------------------------------

    def test_escape_sequences_in_messages(self):
        data = bytearray(read(REC))
        at = data.index(b'flyrecord\0')
        data[at:at + 9] = b'\x1b[31mx\ny\x07'
        p = self.fails([self.write('esc.dat', bytes(data))], EXIT_FORMAT,
                       r'.* is a corrupt trace\.dat: unknown section '
                       r'"\\x1b\[31mx\\x0ay\\x07"$')
        self.assertNotIn(b'\x1b', p.stderr)
        data = bytearray(read(REC))
        data[10] = 0x9b			# a C1 CSI as the version
        p = self.fails([self.write('ver.dat', bytes(data))], EXIT_FORMAT,
                       r'.*: unsupported trace\.dat version "\\x9b"$')


if __name__ == '__main__':
    unittest.main(verbosity=2)
