#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Honest reads: forklock report reads a trace whole or says it did not.

Usage: test_reads.py FORKLOCK

Inputs that are not regular files (a FIFO with no writer, a device) are
refused at once, without blocking; the same trace named twice is refused
(it would count twice); bytes from a file are escaped in the error line;
damaged ring pages (zeroed, duplicated, swapped), CPU ranges that alias
another CPU's, and sparse files claiming huge CPU data are reported as
corruption, each with its exit code and one line; a trace libtracecmd
cannot map whole (ulimit -v) is reported whole or refused (exit 18), never
reported in part with exit 0 (FORKLOCK_REPLAY=libtracecmd; forklock's own
page readers, the default, map nothing of the data).  The mutations are made
to a committed real recording (tests/fuzz/corpus/rec-storm-3.dat).
"""
import json
import os
import re
import resource
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
EXIT_USAGE, EXIT_INPUT, EXIT_FORMAT, EXIT_TRUNCATED, EXIT_PARTIAL = 2, 10, 11, 12, 18


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

    # ---- ring pages a recorder never writes -----------------------------------

    def pages(self, cpu_data, ps):
        return [bytearray(cpu_data[i:i + ps]) for i in range(0, len(cpu_data), ps)]

    def damaged(self, name, fn):
        """@fn(pages of CPU 0, pages of CPU 1) changes them; the file back."""
        t = tracedat.TraceDat(read(REC))
        ps = t.page_size
        cpus = [self.pages(c, ps) for c in t.cpus]
        self.assertEqual([len(c) for c in cpus], [6, 1])
        fn(*cpus)
        t.cpus = [b''.join(bytes(p) for p in c) for c in cpus]
        return self.write(name, t.bytes())

    def test_zeroed_page(self):
        def zero(c0, c1):
            c0[2][:] = bytes(len(c0[2]))
        self.fails([self.damaged('zero.dat', zero)], EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: CPU 0: the page at offset \d+ is zeroed '
                   r'\(overwritten, or a hole in a sparse file\)$')

        def zero_only(c0, c1):
            c1[0][:] = bytes(len(c1[0]))
        self.fails([self.damaged('zero1.dat', zero_only)], EXIT_FORMAT,
                   r'.*: CPU 1: the page at offset \d+ is zeroed')

    def test_swapped_pages(self):
        def swap(c0, c1):
            c0[1], c0[3] = c0[3], c0[1]
        self.fails([self.damaged('swap.dat', swap)], EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: CPU 0: the page at offset \d+ is older than '
                   r'the page before it \(timestamp \d+ after \d+\): pages out of order$')

        def neighbours(c0, c1):
            c0[4], c0[5] = c0[5], c0[4]
        self.fails([self.damaged('swap2.dat', neighbours)], EXIT_FORMAT,
                   r'.*: CPU 0: the page at offset \d+ is older than the page before it')

    def test_duplicated_pages(self):
        def over_next(c0, c1):
            c0[3][:] = c0[2]
        line = self.fails([self.damaged('dup.dat', over_next)], EXIT_FORMAT,
                          r'.* is a corrupt trace\.dat: the page at offset (\d+) is the page at '
                          r'offset (\d+) again: a page copied over another$')
        at = [int(x) for x in re.findall(r'offset (\d+)', line.stderr.decode())]
        self.assertEqual(at[0] - at[1], 4096)

        def appended(c0, c1):
            c0.append(bytearray(c0[-1]))
        self.fails([self.damaged('dup-end.dat', appended)], EXIT_FORMAT,
                   r'.*: the page at offset \d+ is the page at offset \d+ again')

        def other_cpu(c0, c1):
            c1[0][:] = c0[5]
        self.fails([self.damaged('dup-cpu.dat', other_cpu)], EXIT_FORMAT,
                   r'.*: the page at offset \d+ is the page at offset \d+ again')

    # ---- CPU ranges --------------------------------------------------------------

    def flyrecord(self, data):
        """Offset of the CPU (offset, size) pairs, and the pairs."""
        at = data.index(b'flyrecord\0') + 10
        return at, [struct.unpack_from('<QQ', data, at + 16 * i) for i in range(2)]

    def test_cpu_range_aliases_another(self):
        data = bytearray(read(REC))
        at, cpus = self.flyrecord(data)
        struct.pack_into('<QQ', data, at + 16, cpus[0][0] + 4096, 4096)
        self.fails([self.write('alias.dat', bytes(data))], EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: CPU 1 data \(offset %d, 4096 bytes\) overlaps '
                   r'CPU 0 data \(offset %d, %d bytes\)$' % (cpus[0][0] + 4096, cpus[0][0],
                                                            cpus[0][1]))
        struct.pack_into('<QQ', data, at + 16, *cpus[0])
        self.fails([self.write('same.dat', bytes(data))], EXIT_FORMAT,
                   r'.*: CPU 1 data \(offset \d+, \d+ bytes\) overlaps CPU 0 data')

    def test_cpu_range_inside_the_headers(self):
        data = bytearray(read(REC))
        at, cpus = self.flyrecord(data)
        struct.pack_into('<QQ', data, at + 16, 0, 4096)
        self.fails([self.write('head.dat', bytes(data))], EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: CPU 1 data \(offset 0, 4096 bytes\) starts '
                   r"inside the file's headers, which end at \d+$")

    def test_sparse_huge_cpu_data(self):
        data = bytearray(read(REC))
        at, cpus = self.flyrecord(data)
        tib = 1 << 40
        struct.pack_into('<QQ', data, at + 16, cpus[1][0], tib)
        path = self.write('sparse.dat', bytes(data))
        with open(path, 'r+b') as f:
            f.truncate(cpus[1][0] + tib)
        p = self.fails([path], EXIT_FORMAT,
                       r'.*: CPU 1: the page at offset %d is zeroed \(overwritten, or a hole in '
                       r'a sparse file\)$' % (cpus[1][0] + 4096))
        self.assertLess(p.elapsed, 5)
        # and beyond the end of the file: refused before any page is read
        with open(path, 'r+b') as f:
            f.truncate(len(data))
        p = self.fails([path], EXIT_TRUNCATED, r'.* is truncated: CPU 1 data ends at %d, the '
                       r'file has %d bytes$' % (cpus[1][0] + tib, len(data)))
        self.assertLess(p.elapsed, 5)

    def test_undamaged_seeds_read(self):
        # the checks refuse none of the real recordings and fixtures
        for f in sorted(os.listdir(os.path.join(HERE, 'corpus'))):
            p = self.run_fl('report', os.path.join(HERE, 'corpus', f))
            self.assertIn(p.returncode, (0, 13), '%s: %s' % (f, p.stderr))
            self.assertNotIn(b'corrupt', p.stderr, f)

    # ---- read to the end, or say it was not -------------------------------------

    def big_trace(self, copies):
        """rec-storm-3.dat's pages @copies times over, each copy later in time."""
        t = tracedat.TraceDat(read(REC))
        ps = t.page_size
        out = []
        for c in t.cpus:
            pages = [c[i:i + ps] for i in range(0, len(c), ps)]
            first, last = (struct.unpack_from('<Q', p)[0] for p in (pages[0], pages[-1]))
            o = bytearray()
            for k in range(copies):
                for p in pages:
                    p = bytearray(p)
                    struct.pack_into('<Q', p, 0, struct.unpack_from('<Q', p)[0] +
                                     k * (last - first + 10**9))
                    o += p
            out.append(bytes(o))
        t.cpus = out
        return self.write('big.dat', t.bytes())

    def big_damaged(self, name, fn):
        """big_trace(1000) with @fn(pages of CPU 0, pages of CPU 1) applied:
        28 MiB of data, which the checker walks with a thread per host CPU."""
        t = tracedat.TraceDat(read(self.big_trace(1000)))
        cpus = [self.pages(c, t.page_size) for c in t.cpus]
        fn(*cpus)
        t.cpus = [b''.join(bytes(p) for p in c) for c in cpus]
        return self.write(name, t.bytes())

    def test_damage_walked_on_threads(self):
        # each CPU damaged: the lowest CPU's fault is said, as a walk of one
        # CPU after another finds it, whichever thread finds its own first
        def both(c0, c1):
            c0[5000][:] = bytes(len(c0[5000]))
            c1[3][:] = bytes(len(c1[3]))
        self.fails([self.big_damaged('both.dat', both)], EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: CPU 0: the page at offset \d+ is zeroed ')

        def late_cpu1(c0, c1):
            c1[900], c1[901] = c1[901], c1[900]
        self.fails([self.big_damaged('late1.dat', late_cpu1)], EXIT_FORMAT,
                   r'.*: CPU 1: the page at offset \d+ is older than the page before it')

        # a page of CPU 0 over one of CPU 1: two threads' pages, one list
        def across(c0, c1):
            ts = lambda p: struct.unpack_from('<Q', p)[0]
            # CPU 1's page over a CPU 0 page where its time fits between the neighbours
            t = ts(c1[500])
            fit = [j for j in range(1, len(c0) - 1) if ts(c0[j - 1]) <= t <= ts(c0[j + 1])]
            self.assertTrue(fit)
            c0[fit[0]][:] = c1[500]
        self.fails([self.big_damaged('across.dat', across)], EXIT_FORMAT,
                   r'.*: the page at offset \d+ is the page at offset \d+ again: a page '
                   r'copied over another$')

    def limit_sweep(self, source):
        """forklock report under ulimit -v of 300 MiB down to 45 MiB: each run
        the whole report or one error line (18 said as a part not read);
        returns the exit codes seen."""
        path = self.big_trace(1000)
        env = dict(os.environ, FORKLOCK_REPLAY=source)
        full = subprocess.run([FORKLOCK, 'report', '-F', 'json', '--forks', path],
                              capture_output=True, timeout=TIMEOUT, env=env)
        self.assertEqual(full.returncode, 0, full.stderr)
        self.assertEqual(json.loads(full.stdout)['summary']['forks'], 3000)
        seen = set()
        for mib in range(300, 30, -15):
            lim = mib << 20
            try:
                p = subprocess.run([FORKLOCK, 'report', '-F', 'json', '--forks', path],
                                   capture_output=True, timeout=TIMEOUT, env=env,
                                   preexec_fn=lambda: (
                                       resource.setrlimit(resource.RLIMIT_AS, (lim, lim))))
            except subprocess.TimeoutExpired:
                self.fail('hung under a %d MiB limit' % mib)
            seen.add(p.returncode)
            what = '%s, ulimit -v of %d MiB: exit %d\n%s' % (source, mib, p.returncode, p.stderr)
            if p.returncode == 0:
                self.assertEqual(p.stdout, full.stdout, what + ': exit 0, another report')
                continue
            self.assertGreater(p.returncode, 0, what)
            # --forks streams: what was printed must not read as a report
            with self.assertRaises(ValueError, msg=what):
                json.loads(p.stdout)
            self.assertEqual(len(p.stderr.strip().split(b'\n')), 1, what)
            if p.returncode == EXIT_PARTIAL:
                self.assertRegex(p.stderr.decode(), r'^forklock report: error: .*big\.dat: '
                                 r'(read only \d+ of the 430000 events of CPU 0: libtracecmd '
                                 r'could not map or read the rest|libtracecmd cannot open it '
                                 r'here)')
        self.assertIn(0, seen)
        return seen

    def address_space_ok(self):
        ldd = subprocess.run(['ldd', FORKLOCK], capture_output=True, text=True).stdout
        if 'libasan' in ldd:
            self.skipTest('a sanitizer build cannot run under an address-space limit')

    def test_address_space_limit(self):
        # libtracecmd maps each CPU's data in chunks as large as it (here
        # 24 MiB); under ulimit -v those mmaps fail and it ends the CPU
        # without a word: forklock report exited 0 with 3 forks of 3,000
        self.address_space_ok()
        seen = self.limit_sweep('libtracecmd')
        self.assertIn(EXIT_PARTIAL, seen, 'no limit made the mmaps fail: %s' % seen)

    def test_address_space_limit_pages(self):
        # forklock's page readers (the default) read into small buffers of
        # their own: under the same limits the report is whole, or memory
        # runs out and says so (1), or libtracecmd's open fails (18)
        self.address_space_ok()
        seen = self.limit_sweep('auto')
        self.assertLessEqual(seen, {0, 1, EXIT_PARTIAL}, seen)

if __name__ == '__main__':
    unittest.main(verbosity=2)
