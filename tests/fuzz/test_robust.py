#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""forklock report on damaged trace.dat files: a clear one-line error with
its own exit code (lib/forklock-exit.h), or a result that says what is
missing, never a crash or a hang.

Usage: test_robust.py FORKLOCK

The damage is done to committed seeds of tests/fuzz/corpus: a real
recording (rec-storm-3.dat, 2 CPUs, 3 forks, a /proc snapshot) and a
6.18 fixture with lost events (fx-fork-6.18.dat).  Every run has a
timeout; a signal or a timeout fails the test.  The regression inputs of
tests/fuzz/regressions are replayed too, each against the exit code in its
NAME.expect.
"""
import glob
import json
import re
import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tracedat  # noqa: E402

FORKLOCK = sys.argv[1] if len(sys.argv) > 1 else 'forklock'
del sys.argv[1:2]

REC = os.path.join(HERE, 'corpus', 'rec-storm-3.dat')
FIX = os.path.join(HERE, 'corpus', 'fx-fork-6.18.dat')
TIMEOUT = 20

EXIT_INPUT, EXIT_FORMAT, EXIT_TRUNCATED, EXIT_LAYOUT = 10, 11, 12, 13


def read(path):
    with open(path, 'rb') as f:
        return f.read()


class Robust(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix='forklock-robust-')

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, 'wb') as f:
            f.write(data)
        return path

    def report(self, path, *args):
        try:
            p = subprocess.run([FORKLOCK, 'report', *args, path], capture_output=True,
                               text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail('forklock report hung (> %d s) on %s' % (TIMEOUT, path))
        self.assertGreaterEqual(p.returncode, 0, 'killed by signal %d on %s:\n%s' %
                                (-p.returncode, path, p.stderr))
        self.assertLess(p.returncode, 128, p.stderr)
        return p

    def fails(self, path, code, pattern):
        """Exit @code and exactly one stderr line: the error, matching @pattern."""
        p = self.report(path)
        self.assertEqual(p.returncode, code, '%s: exit %d, stderr:\n%s' %
                         (path, p.returncode, p.stderr))
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, 'not one error line:\n' + p.stderr)
        self.assertRegex(lines[0], r'^forklock report: error: ' + pattern)
        self.assertEqual(p.stdout, '', 'a report was printed besides the error')
        return lines[0]

    def json(self, path):
        p = self.report(path, '--format', 'json', '--forks')
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    # ---- not a trace at all -------------------------------------------------

    def test_zero_length(self):
        self.fails(self.write('empty.dat', b''), EXIT_FORMAT,
                   r'.*empty\.dat is not a trace\.dat file \(the file is empty\)$')

    def test_not_found_and_directory(self):
        self.fails(os.path.join(self.tmp.name, 'nothing.dat'), EXIT_INPUT, r'cannot open .*')
        self.fails(self.tmp.name, EXIT_INPUT, r'.* is a directory, not a trace\.dat$')

    def test_garbage_and_unknown_version(self):
        self.fails(self.write('g.dat', os.urandom(4096)), EXIT_FORMAT,
                   r'.*g\.dat is not a trace\.dat file \(no trace\.dat magic\)$')
        data = bytearray(read(REC))
        data[10] = ord('8')
        self.fails(self.write('v8.dat', bytes(data)), EXIT_FORMAT,
                   r'.*unsupported trace\.dat version "8"$')

    # ---- truncated ------------------------------------------------------------

    def truncations(self, data, step):
        """Every @step bytes, and around every page boundary and the header's end."""
        t = tracedat.TraceDat(data)
        header_end = len(t.bytes()) - sum(len(c) for c in t.cpus)
        cuts = set(range(1, len(data), step))
        for b in range(0, len(data), t.page_size):
            cuts.update((b - 1, b, b + 1, b + 17))
        cuts.update(range(1, 40))		# magic, version, endian, long size, page size
        cuts.update((header_end - 1, header_end, header_end + 1))
        return sorted(c for c in cuts if 0 < c < len(data))

    def check_truncated(self, src, step):
        data = read(src)
        path = os.path.join(self.tmp.name, 'cut.dat')
        cuts = self.truncations(data, step)
        self.assertGreater(len(cuts), 200)
        for n in cuts:
            with open(path, 'wb') as f:
                f.write(data[:n])
            p = self.report(path)
            msg = 'cut at %d of %d: exit %d\n%s' % (n, len(data), p.returncode, p.stderr)
            self.assertEqual(p.returncode, EXIT_TRUNCATED, msg)
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, msg)
            self.assertRegex(lines[0], r'^forklock report: error: .*cut\.dat is truncated: ', msg)

    def test_truncated_recording(self):
        self.check_truncated(REC, 97)

    def test_truncated_fixture(self):
        self.check_truncated(FIX, 61)

    def test_version7(self):
        """trace-cmd record's format (sections, zstd): read like the v6 it came
        from; damaged, refused in one line (sandbox.c's child opens and reads it
        first)."""
        base = self.json(REC)
        for name in ('v7-storm-3-none.dat', 'v7-storm-3-zstd.dat'):
            src = os.path.join(HERE, 'corpus', name)
            got = self.json(src)
            self.assertEqual([(f['parent_pid'], f['child_pid'], f['vmas_locked']) for f in got['forks']],
                             [(f['parent_pid'], f['child_pid'], f['vmas_locked']) for f in base['forks']])
            data = read(src)
            path = os.path.join(self.tmp.name, 'cut7.dat')
            cuts = set(range(1, len(data), max(1, len(data) // 60))) | set(range(1, 40))
            cuts |= set(range(len(data) - 200, len(data)))
            for n in sorted(cuts):
                with open(path, 'wb') as f:
                    f.write(data[:n])
                p = self.report(path)
                msg = '%s cut at %d: exit %d\n%s' % (name, n, p.returncode, p.stderr)
                if p.returncode == 0:
                    # only the unused end of the last page was cut: all is there
                    got = self.json(path)
                    self.assertEqual(got['trace']['events'], base['trace']['events'], msg)
                    self.assertEqual(len(got['forks']), len(base['forks']), msg)
                    continue
                self.assertIn(p.returncode, (EXIT_FORMAT, EXIT_TRUNCATED), msg)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, msg)
            # bytes flipped all over: refused or read, never a signal or a hang
            bad = bytearray(data)
            for i in range(64, len(bad), 97):
                bad[i] ^= 0x5a
            p = self.report(self.write('flip7.dat', bytes(bad)))
            self.assertIn(p.returncode, (0, EXIT_FORMAT, EXIT_TRUNCATED, EXIT_LAYOUT), p.stderr)

    # ---- wrong header values ------------------------------------------------

    def test_wrong_endian(self):
        data = bytearray(read(REC))
        self.assertEqual(data[12], 0)
        data[12] = 1
        self.fails(self.write('be.dat', bytes(data)), EXIT_FORMAT,
                   r'.*be\.dat is a corrupt trace\.dat: the endian byte says big-endian, '
                   r'but the file is little-endian$')
        data[12] = 7
        self.fails(self.write('e7.dat', bytes(data)), EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: endian byte 7 \(0 little, 1 big\)$')

    def test_wrong_page_size(self):
        data = read(REC)
        for size, why in ((8192, r'page size 8192, but the header_page describes 4096-byte pages'),
                          (65536, r'page size 65536, but the header_page describes 4096-byte pages'),
                          (2048, r'page size 2048'),
                          (4097, r'page size 4097'),
                          (0, r'page size 0')):
            bad = data[:14] + struct.pack('<I', size) + data[18:]
            self.fails(self.write('ps.dat', bad), EXIT_FORMAT, r'.* is a corrupt trace\.dat: ' + why + '$')

    def test_page_size_and_header_page_agree_but_data_does_not(self):
        # both say 8192: the CPU data is 4096-byte pages
        t = tracedat.TraceDat(read(REC))
        t.page_size = 8192
        t.header_page = t.header_page.replace(b'size:4080;', b'size:8176;')
        data = t.bytes()
        # keep the 4096-byte layout of the data: only the header changes
        good = tracedat.TraceDat(read(REC))
        good.header_page = t.header_page
        raw = bytearray(good.bytes())
        raw[14:18] = struct.pack('<I', 8192)
        self.assertNotEqual(bytes(raw), data)
        self.fails(self.write('ps2.dat', bytes(raw)), EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: (CPU \d data \(offset \d+, \d+ bytes\) is not made '
                   r'of whole 8192-byte pages|CPU \d: the page at offset \d+ .*)$')

    def test_long_size(self):
        data = bytearray(read(REC))
        data[13] = 3
        self.fails(self.write('ls.dat', bytes(data)), EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: long size 3$')

    # ---- ring pages -------------------------------------------------------------

    def test_page_commit_too_large(self):
        t = tracedat.TraceDat(read(REC))
        cpu = bytearray(t.cpus[1])
        cpu[8:16] = struct.pack('<Q', 5000)
        t.cpus[1] = bytes(cpu)
        self.fails(self.write('commit.dat', t.bytes()), EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: CPU 1: the page at offset \d+ says it holds '
                   r'5000 bytes of events, it has room for 4080$')

    def test_event_length_loops(self):
        # an event whose length word makes kbuffer step back onto itself
        t = tracedat.TraceDat(read(FIX))
        cpu = bytearray(t.cpus[0])
        cpu[16:24] = struct.pack('<II', 0, 0)	# type_len 0, length 0
        t.cpus[0] = bytes(cpu)
        self.fails(self.write('loop.dat', t.bytes()), EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: CPU 0: the page at offset \d+ has an event '
                   r'of length 0 at \+16$')
        cpu[16:24] = struct.pack('<II', 0, 0x7ffffff0)	# runs past the page
        t.cpus[0] = bytes(cpu)
        self.fails(self.write('long.dat', t.bytes()), EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: CPU 0: the page at offset \d+ has an event at '
                   r'\+16 that runs past its \d+ bytes of data$')

    def test_cpu_data_not_whole_pages(self):
        t = tracedat.TraceDat(read(REC))
        t.cpus[0] = t.cpus[0] + b'\0' * 100
        self.fails(self.write('odd.dat', t.bytes()), EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: CPU 0 data \(offset \d+, \d+ bytes\) is not '
                   r'made of whole 4096-byte pages$')

    def test_latency_trace(self):
        data = read(REC)
        i = data.index(b'flyrecord\0')
        self.fails(self.write('lat.dat', data[:i] + b'latency  \0' + data[i + 10:]), EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: a latency tracer\'s text trace, not a recording '
                   r'of events$')

    def test_printk_formats(self):
        t = tracedat.TraceDat(read(REC))
        t.printk = t.printk + b'ffffffff81000000:'
        self.fails(self.write('pk1.dat', t.bytes()), EXIT_FORMAT,
                   r'.* printk_formats line \d+ has no format after its address$')
        t.printk = t.printk[:-len(b'ffffffff81000000:')] + b'ffffffff81000000 : ""\n'
        self.fails(self.write('pk2.dat', t.bytes()), EXIT_FORMAT,
                   r'.* printk_formats line \d+ has a format too short to read$')

    def test_options(self):
        """Option data libtracecmd would read past or index with (v6)."""
        def with_option(oid, data, replace=True):
            t = tracedat.TraceDat(read(REC))
            if replace:
                t.options = [(o, d) for o, d in t.options if o != oid]
            t.options.append((oid, data))
            return self.write('opt%d.dat' % oid, t.bytes())
        for oid, name in ((5, 'UNAME'), (9, 'VERSION'), (1, 'DATE'), (3, 'OFFSET'), (6, 'HOOK')):
            self.fails(with_option(oid, b'Linux x 6.18'), EXIT_FORMAT,
                       r'.* is a corrupt trace\.dat: option %d \(%s\) is not a terminated '
                       r'string$' % (oid, name))
        self.fails(with_option(7, struct.pack('<Q', 0) + b'inst'), EXIT_FORMAT,
                   r'.* option 7 \(BUFFER\) is not a terminated string$')
        self.fails(with_option(2, b'', replace=False), EXIT_FORMAT, r'.* an empty CPUSTAT option$')
        self.fails(with_option(8, b'\x02\x00'), EXIT_FORMAT, r'.* a CPUCOUNT option of 2 bytes$')
        # TIME_SHIFT: 1 cpu with 1000 samples in a 24-byte option
        self.fails(with_option(12, struct.pack('<QIII', 1, 0, 1, 1000) + b'\0' * 8), EXIT_FORMAT,
                   r'.* the TIME_SHIFT option is cut short$')
        # GUEST: 2 vCPUs, the second says it is vCPU -1
        guest = b'vm\0' + struct.pack('<QI', 7, 2) + struct.pack('<ii', 0, 100) + \
            struct.pack('<ii', -1, 101)
        self.fails(with_option(13, guest), EXIT_FORMAT,
                   r'.* the GUEST option names vCPU -1 of 2$')
        # and a well-formed unknown option is skipped
        got = self.json(with_option(999, b'whatever'))
        self.assertEqual(len(got['forks']), 3)

    # ---- events the trace cannot explain ---------------------------------------

    def test_unknown_event_ids(self):
        """Events whose id has no format are not interpreted; the rest of the
        trace is (the forks come from the lock and newtask events)."""
        base = self.json(REC)
        self.assertEqual(len(base['forks']), 3)
        t = tracedat.TraceDat(read(REC))
        exit_id = t.event_id('sched', 'sched_process_exit')
        ids = {f: t.event_id(*f.split(':')) for f in ('sched:sched_process_exit',)}
        self.assertIsNotNone(exit_id)
        changed = [0]

        def unknown(view):
            if struct.unpack_from('<H', view, 0)[0] in ids.values():
                view[0:2] = struct.pack('<H', 65000)
                changed[0] += 1
        t.map_events(unknown)
        self.assertGreater(changed[0], 0)
        got = self.json(self.write('unknown.dat', t.bytes()))
        self.assertEqual(got['trace']['events'], base['trace']['events'])
        # skipped, and said so
        self.assertEqual(base['traces'][0]['unknown_events'], 0)
        self.assertEqual(got['traces'][0]['unknown_events'], changed[0])
        self.assertEqual([(f['parent_pid'], f['child_pid'], f['vmas_locked']) for f in got['forks']],
                         [(f['parent_pid'], f['child_pid'], f['vmas_locked']) for f in base['forks']])

        # every event unknown: nothing is a fork, and nothing breaks
        t = tracedat.TraceDat(read(REC))
        t.map_events(lambda v: v.__setitem__(slice(0, 2), struct.pack('<H', 65001)))
        got = self.json(self.write('all-unknown.dat', t.bytes()))
        self.assertEqual(got['forks'], [])
        self.assertEqual(got['trace']['events'], base['trace']['events'])
        self.assertEqual(got['traces'][0]['unknown_events'], base['trace']['events'])

    def test_unknown_event_after_lost_events(self):
        """libtracecmd 3.1.6 ends the whole iteration (-1) at a record that
        follows lost events if its id has no format: refused up front."""
        t = tracedat.TraceDat(read(FIX))
        ps = t.page_size
        done = False
        for ci, c in enumerate(t.cpus):
            c = bytearray(c)
            for base in range(0, len(c), ps):
                commit = struct.unpack_from('<Q', c, base + 8)[0]
                evs = tracedat.ring_events(c[base:base + ps], ps)
                if commit & tracedat.RB_MISSED_EVENTS and evs and not done:
                    payload = base + evs[0][1]
                    c[payload:payload + 2] = struct.pack('<H', 9999)
                    done = True
            t.cpus[ci] = bytes(c)
        self.assertTrue(done, 'the fixture has no page with lost events')
        self.fails(self.write('lostunk.dat', t.bytes()), EXIT_FORMAT,
                   r'.* is a corrupt trace\.dat: events were lost before an event of id 9999, '
                   r'which has no format$')

    def test_missing_window_format(self):
        for ev in ('mmap_lock:mmap_lock_released', 'task:task_newtask'):
            t = tracedat.TraceDat(read(REC))
            t.drop_format(*ev.split(':'))
            self.assertIsNone(t.event_id(*ev.split(':')))
            self.fails(self.write('nofmt.dat', t.bytes()), EXIT_LAYOUT,
                       r'.*nofmt\.dat: the trace has no %s events \(it was not recorded with '
                       r'forklock\'s event set\)$' % ev)

    def test_missing_optional_formats(self):
        """Formats replay can do without: the report names what is missing."""
        t = tracedat.TraceDat(read(REC))
        t.drop_format('sched', 'sched_process_exit')
        t.drop_format('maple_tree', 'ma_write')
        got = self.json(self.write('opt.dat', t.bytes()))
        self.assertEqual(sorted(got['traces'][0]['missing_events']),
                         ['maple_tree:ma_write', 'sched:sched_process_exit'])
        self.assertEqual(len(got['forks']), 3)
        text = self.report(os.path.join(self.tmp.name, 'opt.dat')).stdout
        self.assertIn('not in this trace: ', text)

        # no ftrace:print format: the snapshot cannot be read, and it says so
        t = tracedat.TraceDat(read(REC))
        t.drop_format('ftrace', 'print')
        path = self.write('noprint.dat', t.bytes())
        got = self.json(path)
        self.assertFalse(got['traces'][0]['snapshot'])
        self.assertIn('no forklock snapshot', self.report(path).stdout)

    def test_event_id_out_of_range(self):
        """An ID no u16 common_type can carry (libtraceevent keeps it as a
        negative int): the event is missing, not an index before an array."""
        t = tracedat.TraceDat(read(REC))
        rel = t.event_id('mmap_lock', 'mmap_lock_released')
        t.systems = [(n, [re.sub(rb'^ID: \d+$', b'ID: 4294967295', f, flags=re.M)
                          if b'name: mmap_lock_released\n' in f else f for f in fmts])
                     for n, fmts in t.systems]
        self.assertNotEqual(t.event_id('mmap_lock', 'mmap_lock_released'), rel)
        path = self.write('negid.dat', t.bytes())
        p = self.report(path)
        self.assertIn(p.returncode, (EXIT_FORMAT, EXIT_LAYOUT), p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertRegex(p.stderr, r'(events of id|no mmap_lock:mmap_lock_released events|'
                         r'has no format)')

    def test_broken_format_text(self):
        """A window format libtraceevent cannot parse is a missing one (13)."""
        t = tracedat.TraceDat(read(REC))
        systems = []
        for name, fmts in t.systems:
            if name == b'mmap_lock':
                fmts = [f.replace(b'field:', b'feld:') if b'mmap_lock_released' in f else f
                        for f in fmts]
            systems.append((name, fmts))
        t.systems = systems
        self.fails(self.write('badfmt.dat', t.bytes()), EXIT_LAYOUT,
                   r'.*: (the trace has no mmap_lock:mmap_lock_released events .*|unknown layout '
                   r'of mmap_lock:mmap_lock_released: no field .*)$')

    # ---- the fuzz regressions ------------------------------------------------------

    def test_regressions(self):
        files = sorted(f for f in glob.glob(os.path.join(HERE, 'regressions', '*'))
                       if not f.endswith(('.expect', '.md', '.desc')))
        self.assertGreater(len(files), 0)
        for f in files:
            exp = f + '.expect'
            self.assertTrue(os.path.exists(exp), '%s has no .expect' % f)
            codes = [int(c) for c in read(exp).decode().strip().split(',')]
            p = self.report(f)
            self.assertIn(p.returncode, codes, '%s: exit %d, expected %s\n%s' %
                          (f, p.returncode, codes, p.stderr))
            if p.returncode:
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
