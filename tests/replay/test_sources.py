#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The ways forklock report reads events give the same bytes.

Usage: test_sources.py FORKLOCK CORPUS_DIR

FORKLOCK_REPLAY=libtracecmd (tracecmd_iterate_events), pages (forklock's
kbuffer page readers, lib/tracedat/pageread.c, in line) and threads (one
reader thread per CPU, merged by time: lib/replay/pages.c) on every
recording and fixture of the corpus (tests/fuzz/corpus), in every output
(text, JSON, JSON with --forks, mail): the same stdout, stderr and exit
code.  A version 6 file is read by pages when asked (no notice); a version
7 file by libtracecmd, and the notice says so.  An unknown
FORKLOCK_REPLAY is refused with one line.  Damaged inputs go the new way by
default in tests/fuzz (robust, reads); the fixtures compare the three ways
in tests/fixture/fxlib.py; a live recording in tests/live/test_sources.py.
"""
import glob
import os
import subprocess
import sys
import unittest

FORKLOCK = sys.argv[1] if len(sys.argv) > 1 else 'forklock'
CORPUS = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'fuzz', 'corpus')
del sys.argv[1:3]

SOURCES = ('libtracecmd', 'pages', 'threads')
OUTPUTS = (('--format', 'text'), ('--format', 'json'), ('--format', 'json', '--forks'),
           ('--format', 'mail'))
NOTICE = b'read by libtracecmd, not by pages'


def run(src, args):
    return subprocess.run([FORKLOCK, 'report', *args], capture_output=True, timeout=120,
                          env=dict(os.environ, FORKLOCK_REPLAY=src))


def version(path):
    with open(path, 'rb') as f:
        return f.read(12)[10:11]


class Sources(unittest.TestCase):
    def test_corpus(self):
        files = sorted(glob.glob(os.path.join(CORPUS, '*.dat')))
        self.assertGreater(len(files), 10, 'no corpus in ' + CORPUS)
        v6 = 0
        for path in files:
            for out in OUTPUTS:
                runs = {s: run(s, [*out, path]) for s in SOURCES}
                ref = runs['libtracecmd']
                what = '%s %s' % (' '.join(out), os.path.basename(path))
                self.assertEqual(ref.returncode, 0, what + ': ' + ref.stderr.decode())
                self.assertTrue(ref.stdout, what + ': no output')
                for s in SOURCES[1:]:
                    r = runs[s]
                    if version(path) == b'6':
                        self.assertNotIn(NOTICE, r.stderr, what)
                        self.assertEqual((r.returncode, r.stdout, r.stderr),
                                         (ref.returncode, ref.stdout, ref.stderr),
                                         '%s: FORKLOCK_REPLAY=%s differs' % (what, s))
                    else:
                        # version 7: libtracecmd reads it, and says so
                        self.assertIn(NOTICE, r.stderr, what)
                        self.assertEqual((r.returncode, r.stdout), (ref.returncode, ref.stdout),
                                         what)
            v6 += version(path) == b'6'
        self.assertGreater(v6, 10)

    def test_several_traces(self):
        # compare (two sides) and report of several traces: one open after another
        files = sorted(glob.glob(os.path.join(CORPUS, 'rec-*.dat')))[:3]
        outs = {s: run(s, ['--format', 'json', *files]) for s in SOURCES}
        self.assertEqual(outs['libtracecmd'].returncode, 0, outs['libtracecmd'].stderr)
        for s in SOURCES[1:]:
            self.assertEqual(outs[s].stdout, outs['libtracecmd'].stdout, s)

    def test_unknown_source(self):
        path = os.path.join(CORPUS, 'rec-storm-3.dat')
        r = run('mmap', ['--format', 'json', path])
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, b'')
        lines = r.stderr.decode().strip().split('\n')
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r'^forklock report: error: FORKLOCK_REPLAY=mmap: not '
                         r'libtracecmd, pages, threads or auto$')


if __name__ == '__main__':
    unittest.main(verbosity=2)
