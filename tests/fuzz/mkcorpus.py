#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mkcorpus - (re)make the fuzz seed corpus in tests/fuzz/corpus/.

Usage: mkcorpus.py BUILD [--no-record]

Two kinds of seeds, each a few KB to 100 KB:

  rec-*.dat  real recordings on this host: `forklock record` of
             forklock-workload runs (storm, threads with faulting siblings,
             userfaultfd with a monitor, vfork/posix_spawn/CLONE_VM,
             busy), shrunk by mkseed.py (the host's other processes taken
             out of the snapshot and saved_cmdlines).  Needs root and
             tracefs; --no-record keeps the existing ones.
  v7-*.dat   rec-storm-3.dat converted by `trace-cmd convert` to version 7
             (trace-cmd record's default), uncompressed and zstd-compressed:
             check.c does not walk version 7, libtracecmd reads it.
  fx-*.dat   mkfixture fixtures: the three kernels' layouts of
             tests/tracedat/fixtures (6.18, 6.8, 6.1, with lost events
             and CPU stats), the fixture tests' scenario on each kernel
             (tests/fixture), and the kprobe tier's two styles
             (tests/kprobe).

The corpus is committed; run this again when the trace.dat writer or the
event set changes, and commit the result.
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, 'corpus')

WORKLOADS = {
    'storm-3': ['storm', '--forks', '3'],
    'storm-vmas': ['storm', '--forks', '2', '--vmas', '200', '--touch'],
    'storm-threads-fault': ['storm', '--forks', '2', '--threads', '3', '--siblings', 'fault'],
    'uffd-monitor': ['uffd', '--forks', '2', '--monitor', '--pages', '8'],
    'spawn': ['spawn', '--vfork', '1', '--posix-spawn', '1', '--clone-vm', '1'],
}


def record(build, tmp):
    fl = os.path.join(build, 'cmd', 'forklock')
    wl = os.path.join(build, 'workload', 'forklock-workload')
    for name, args in WORKLOADS.items():
        raw = os.path.join(tmp, name + '.dat')
        subprocess.run([fl, 'record', '-q', '-f', '-o', raw, '--', wl] + args, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, os.path.join(HERE, 'mkseed.py'), raw,
                        os.path.join(CORPUS, 'rec-%s.dat' % name)], check=True)


def version7():
    src = os.path.join(CORPUS, 'rec-storm-3.dat')
    for name, comp in (('none', 'none'), ('zstd', 'any')):
        subprocess.run(['trace-cmd', 'convert', '-i', src, '-o',
                        os.path.join(CORPUS, 'v7-storm-3-%s.dat' % name), '--file-version', '7',
                        '--compression', comp], check=True, stdout=subprocess.DEVNULL)


def fixtures(build, tmp):
    mk = os.path.join(build, 'tests', 'tracedat', 'mkfixture')
    for k in ('6.18', '6.8', '6.1'):
        subprocess.run([mk, os.path.join(SRC, 'tests', 'tracedat', 'fixtures', 'fork-%s.desc' % k),
                        os.path.join(CORPUS, 'fx-fork-%s.dat' % k)], check=True)
    sys.path.insert(0, os.path.join(SRC, 'tests', 'fixture'))
    import fxlib
    env = fxlib.Env(mk, os.path.join(build, 'cmd', 'forklock'), os.path.join(SRC, 'tests', 'data'),
                    os.path.join(SRC, 'tests', 'fixture'))
    for style in ('6.18', '6.8', '6.1'):
        desc = fxlib.header(env, style) + fxlib.body(env, 'scenario.desc.in', style)
        shutil.copy(fxlib.make(env, 'scenario-' + style, desc),
                    os.path.join(CORPUS, 'fx-scenario-%s.dat' % style))
    for tmpl in ('accessors', 'misc', 'lost', 'no-snapshot'):
        desc = fxlib.header(env) + fxlib.body(env, tmpl + '.desc.in')
        shutil.copy(fxlib.make(env, tmpl, desc), os.path.join(CORPUS, 'fx-%s.dat' % tmpl))
    # the kprobe tier: tests/kprobe/test_kprobe.py's Kernel, without its tests
    argv = sys.argv
    sys.argv = [argv[0], os.path.join(build, 'cmd', 'forklock'), mk,
                os.path.join(SRC, 'tests', 'data')]
    sys.path.insert(0, os.path.join(SRC, 'tests', 'kprobe'))
    import test_kprobe
    sys.argv = argv
    for style in ('6.18', '6.8'):
        out = test_kprobe.Kernel(style).build(tmp)
        shutil.copy(out, os.path.join(CORPUS, 'fx-kprobe-%s.dat' % style))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = os.path.abspath(sys.argv[1])
    os.makedirs(CORPUS, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='mkcorpus.') as tmp:
        if '--no-record' not in sys.argv:
            record(build, tmp)
        fixtures(build, tmp)
        if shutil.which('trace-cmd'):
            version7()
    for f in sorted(os.listdir(CORPUS)):
        print('%-40s %7d' % (f, os.path.getsize(os.path.join(CORPUS, f))))


if __name__ == '__main__':
    main()
