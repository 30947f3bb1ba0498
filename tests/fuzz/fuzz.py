#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""fuzz.py - build and run the libFuzzer target over forklock's replay path.

Usage:
  fuzz.py [common options] check [--seconds S]
      build; run every input of tests/fuzz/corpus and tests/fuzz/regressions
      once; then fuzz for S seconds (default 10) from a copy of the corpus.
      Exit 0 clean, 1 a crash, leak, timeout or sanitizer report (the input
      is kept and named), 77 clang/libFuzzer missing (meson: skip).
  fuzz.py [common options] run [--seconds S] [--jobs J] [--work DIR] [-- LIBFUZZER_ARGS]
      the long run: fuzz for S seconds (default 900) with J workers (default
      1), growing the corpus in DIR (default BUILD/work-corpus, kept between
      runs); prints the exec count and any crash.
  fuzz.py [common options] repro FILE...
      run the target once on each FILE with full sanitizer stacks and
      forklock's error lines (FUZZ_REPLAY_VERBOSE=1).
  fuzz.py [common options] build
      only build BUILD/fuzz-replay.

Common options (meson passes them; by hand give at least --build):
  --build DIR      where the target and its objects go (default: ./fuzz-build)
  --clang PATH     clang with libFuzzer (default: clang, then clang-14)
  --source-root D  the forklock source tree (default: two levels up)
  --source F       a C file to build with the harness, repeated (default:
                   lib/*.c, lib/tracedat/*.c, lib/events/*.c and lib/replay/*.c);
                   meson gives its own list

The harness (tests/fuzz/fuzz-replay.c) is built with
  clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
against the system libtracecmd/libtraceevent (pkg-config): those are not
instrumented, so their bugs show as crashes (SEGV, abort), not as ASan
reports.  LeakSanitizer runs with tests/fuzz/lsan.supp (one known leak in
libtracecmd 3.1.6, see there).
"""
import argparse
import concurrent.futures
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = None

CFLAGS = ['-g', '-O1', '-fno-omit-frame-pointer',
          '-fsanitize=fuzzer,address,undefined', '-fno-sanitize-recover=all',
          '-D_GNU_SOURCE', '-DFORKLOCK_VERSION="fuzz"', '-std=gnu11']
# a small quarantine: libtraceevent's format parser mallocs a lot; leaks are
# found at exit (see fuzz()), with the full malloc stacks suppressions need
ASAN_FAST = 'quarantine_size_mb=16:detect_leaks=1:allocator_may_return_null=1'
ASAN_FULL = 'detect_leaks=1:fast_unwind_on_malloc=0:allocator_may_return_null=1'
UBSAN = 'print_stacktrace=1:halt_on_error=1'


def die(msg, code=1):
    print('fuzz.py: ' + msg, file=sys.stderr, flush=True)
    sys.exit(code)


def find_clang(given):
    for c in ([given] if given else ['clang', 'clang-14', 'clang-15', 'clang-16']):
        p = shutil.which(c)
        if p:
            return p
    return None


def pkg_config(*args):
    p = subprocess.run(['pkg-config'] + list(args) + ['libtracecmd', 'libtraceevent'],
                       capture_output=True, text=True)
    if p.returncode != 0:
        die('pkg-config: ' + p.stderr.strip())
    return p.stdout.split()


def build(args):
    """Compile each source (cached by content and flags) and link."""
    clang = find_clang(args.clang)
    if not clang:
        die('no clang found: the fuzz target cannot be built', 77)
    root = args.source_root
    sources = args.sources or [s for d in ('', 'tracedat', 'events', 'replay')
                               for s in sorted(glob.glob(os.path.join(root, 'lib', d, '*.c')))]
    sources = [os.path.abspath(s) for s in sources]
    sources.append(os.path.join(HERE, 'fuzz-replay.c'))
    incs = ['-I' + os.path.join(root, 'lib')]
    cflags = CFLAGS + incs + pkg_config('--cflags')
    objdir = os.path.join(args.build, 'obj')
    os.makedirs(objdir, exist_ok=True)
    # headers can change anything: hash them into every object's key
    hdrs = b''.join(open(h, 'rb').read()
                    for h in sorted(glob.glob(os.path.join(root, 'lib', '**', '*.h'),
                                              recursive=True)))

    def compile_one(src):
        key = hashlib.sha1(open(src, 'rb').read() + hdrs + ' '.join([clang] + cflags).encode())
        obj = os.path.join(objdir, '%s-%s.o' % (os.path.basename(src)[:-2], key.hexdigest()[:12]))
        if not os.path.exists(obj):
            p = subprocess.run([clang] + cflags + ['-c', src, '-o', obj + '.tmp'],
                               capture_output=True, text=True)
            if p.returncode != 0:
                return None, '%s:\n%s' % (src, p.stderr)
            os.rename(obj + '.tmp', obj)
        return obj, None

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        results = list(ex.map(compile_one, sources))
    errors = [e for _, e in results if e]
    if errors:
        die('compiling the fuzz target failed:\n' + '\n'.join(errors))
    objs = [o for o, _ in results]
    target = os.path.join(args.build, 'fuzz-replay')
    stamp = target + '.objs'
    want = '\n'.join(objs)
    if not os.path.exists(target) or not os.path.exists(stamp) or open(stamp).read() != want:
        p = subprocess.run([clang, '-fsanitize=fuzzer,address,undefined'] + objs +
                           pkg_config('--libs') + ['-o', target + '.tmp'],
                           capture_output=True, text=True)
        if p.returncode != 0:
            die('linking the fuzz target failed (is libFuzzer installed? '
                'libclang-rt-dev):\n' + p.stderr, 77 if 'libclang_rt.fuzzer' in p.stderr
                or 'fuzzer' in p.stderr else 1)
        os.rename(target + '.tmp', target)
        with open(stamp, 'w') as f:
            f.write(want)
    return target


def env(full=False, verbose=False):
    e = dict(os.environ)
    e['ASAN_OPTIONS'] = ASAN_FULL if full else ASAN_FAST
    e['LSAN_OPTIONS'] = 'suppressions=%s:print_suppressions=0' % os.path.join(HERE, 'lsan.supp')
    e['UBSAN_OPTIONS'] = UBSAN
    if verbose:
        e['FUZZ_REPLAY_VERBOSE'] = '1'
    else:
        e.pop('FUZZ_REPLAY_VERBOSE', None)
    return e


def inputs(d):
    return sorted(f for f in glob.glob(os.path.join(d, '*')) if os.path.isfile(f)
                  and not f.endswith(('.md', '.txt', '.expect', '.desc')))


def stats(texts):
    """(execs, last status line) from libFuzzer's outputs: one text per
    process (the workers' logs when jobs > 1), each counted once."""
    execs = None
    status = []
    for text in texts:
        m = re.findall(r'stat::number_of_executed_units: (\d+)', text)
        if m:
            execs = (execs or 0) + max(int(x) for x in m)
        status += [l for l in text.splitlines() if re.match(r'#\d+\s', l)]
    return execs, status[-1] if status else ''


def report_failure(text, workdir):
    arts = sorted(glob.glob(os.path.join(workdir, 'crash-*')) +
                  glob.glob(os.path.join(workdir, 'leak-*')) +
                  glob.glob(os.path.join(workdir, 'timeout-*')) +
                  glob.glob(os.path.join(workdir, 'oom-*')))
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if re.search(
        r'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|'
        r'==\d+== ERROR|deadly signal|ALARM', l)), max(0, len(lines) - 60))
    print('\n'.join(lines[start:start + 60]))
    for a in arts:
        print('fuzz.py: failing input kept: %s (%d bytes)' % (a, os.path.getsize(a)))
        print('fuzz.py: reproduce: %s --build %s repro %s' % (os.path.realpath(sys.argv[0]),
                                                             BUILD, a))
        print('fuzz.py: once fixed, add it: cp %s %s/' % (a, os.path.join(HERE, 'regressions')))


def report_contained(workdir):
    n = len(glob.glob(os.path.join(workdir, 'contained-v7', '*')))
    if n:
        print('fuzz.py: %d version 7 input(s) made libtracecmd fail in sandbox.c\'s child '
              '(contained: forklock refused them; kept in %s)'
              % (n, os.path.join(workdir, 'contained-v7')), flush=True)


def report_child(workdir):
    for a in CHILD_FINDINGS:
        print('fuzz.py: version 6 input that reached sandbox.c\'s child and failed there: %s' % a)
    print('fuzz.py: its sanitizer report, if any, is in %s' % os.path.join(workdir, 'child-reports'))


def replay_all(target, dirs):
    """Each input of @dirs once; returns the number of inputs or dies."""
    files = [f for d in dirs for f in inputs(d)]
    if not files:
        return 0
    # one process per input: a regression's expected exit code can be pinned
    # by NAME.expect ("11" or "11,12") next to it
    failed = []
    for f in files:
        e = env()
        exp = f + '.expect'
        if os.path.exists(exp):
            e['FUZZ_REPLAY_EXPECT'] = open(exp).read().strip()
        p = subprocess.run([target, '-runs=1', '-timeout=20', '-rss_limit_mb=2048',
                            '-close_fd_mask=3', f], capture_output=True, text=True, env=e,
                           timeout=120)
        if p.returncode != 0:
            out = (p.stdout + p.stderr).splitlines()
            at = next((i for i, l in enumerate(out) if 'ERROR' in l or 'deadly' in l), 0)
            print('\n'.join(out[at:at + 30]))
            failed.append(f)
            print('fuzz.py: %s: the fuzz target failed on this input (exit %d); reproduce with: '
                  '%s --build %s repro %s' % (f, p.returncode, os.path.realpath(sys.argv[0]),
                                               BUILD, f), flush=True)
    if failed:
        die('%d of %d corpus and regression inputs failed' % (len(failed), len(files)))
    return len(files)


def find_leaker(target, dirs, workdir):
    """After a leak reported at exit: which input leaks, run one by one."""
    for f in [f for d in dirs for f in inputs(d)]:
        p = subprocess.run([target, '-runs=1', '-close_fd_mask=3', f], capture_output=True,
                           text=True, env=env(), timeout=120)
        if p.returncode != 0:
            data = open(f, 'rb').read()
            art = os.path.join(workdir, 'leak-' + hashlib.sha1(data).hexdigest())
            with open(art, 'wb') as o:
                o.write(data)
            return art, p.stdout + p.stderr
    return None, ''


CHILD_FINDINGS = []


def contained(text, workdir):
    """Sort out what sandbox.c's child left: libtracecmd's open runs in a
    child process first (lib/tracedat/sandbox.c), which inherits
    libFuzzer and the sanitizers, so a memory error or crash there writes
    a crash-* artifact (and the report as .PID) though forklock refuses
    the file and the fuzzer goes on.  Version 6 files are walked by check.c
    before that child runs: what reaches the child is a gap to close, and
    stays a failure.  Version 7 files are not walked: the child is their
    only protection; their findings are moved to contained-v7/ and counted."""
    parent = set(os.path.basename(a) for a in re.findall(r'Test unit written to (\S+)', text))
    for a in sorted(glob.glob(os.path.join(workdir, '*-*'))):
        name = os.path.basename(a)
        if name in parent or not name.split('-')[0] in ('crash', 'oom', 'timeout', 'leak'):
            continue
        with open(a, 'rb') as f:
            head = f.read(12)
        if head[:10] == b'\x17\x08\x44tracing' and head[10:11] != b'6':
            d = os.path.join(workdir, 'contained-v7')
            os.makedirs(d, exist_ok=True)
            os.rename(a, os.path.join(d, name))
        else:
            CHILD_FINDINGS.append(a)
    reports = glob.glob(os.path.join(workdir, '.[0-9]*'))
    if reports:
        d = os.path.join(workdir, 'child-reports')
        os.makedirs(d, exist_ok=True)
        for r in reports:
            os.rename(r, os.path.join(d, os.path.basename(r)[1:] + '.txt'))


def fuzz(target, corpus_dirs, seconds, workdir, jobs=1, extra=()):
    """libFuzzer for @seconds.  Its own leak check (-detect_leaks=1) runs a
    full LeakSanitizer pass after every input whose mallocs and frees do not
    balance, and every trace with a TRACECLOCK option leaks in libtracecmd
    (lsan.supp): that costs 20x the exec rate.  So the loop runs with
    -detect_leaks=0, LeakSanitizer checks once at exit, and a leak found there
    is pinned to an input by find_leaker()."""
    os.makedirs(workdir, exist_ok=True)
    argv = [target, '-max_total_time=%d' % seconds, '-timeout=10', '-rss_limit_mb=2048',
            '-malloc_limit_mb=1024', '-close_fd_mask=3', '-print_final_stats=1',
            '-detect_leaks=0',
            '-artifact_prefix=' + workdir + '/'] + list(extra)
    if jobs > 1:
        argv += ['-jobs=%d' % jobs, '-workers=%d' % jobs]
    argv += corpus_dirs
    print('fuzz.py: ' + ' '.join(argv), flush=True)
    p = subprocess.run(argv, capture_output=True, text=True, env=env(), cwd=workdir,
                       timeout=seconds + 600)
    text = p.stdout + p.stderr
    texts = [text]
    if jobs > 1:
        texts = []
        for log in sorted(glob.glob(os.path.join(workdir, 'fuzz-*.log'))):
            with open(log, errors='replace') as f:
                texts.append(f.read())
        text += ''.join(texts)
    execs, status = stats(texts)
    contained(text, workdir)
    if p.returncode != 0 and 'ERROR: LeakSanitizer' in text:
        # the exit-time check writes the empty input as its "crash"
        for a in glob.glob(os.path.join(workdir, 'crash-da39a3ee5e6b4b0d3255bfef95601890afd80709')):
            os.unlink(a)
        art, why = find_leaker(target, corpus_dirs, workdir)
        if art:
            text += '\nfuzz.py: the leak, pinned to one input:\n' + why
    return p.returncode, text, execs, status


def judge_run(rc, text, where, failed):
    """What a libFuzzer run left in @where: its contained crashes said, and
    a failure (@failed % rc) or the sandbox child's findings end the run."""
    report_contained(where)
    if rc != 0:
        report_failure(text, where)
        die(failed % rc)
    if CHILD_FINDINGS:
        report_child(where)
        die('sandbox.c\'s child hit %d version 6 input(s) that check.c should refuse first'
            % len(CHILD_FINDINGS))


def cmd_check(args):
    target = build(args)
    n = replay_all(target, [os.path.join(HERE, 'corpus'), os.path.join(HERE, 'regressions')])
    print('fuzz.py: %d corpus and regression inputs replayed cleanly' % n, flush=True)
    work = tempfile.mkdtemp(prefix='fuzz-check.', dir=args.build)
    corpus = os.path.join(work, 'corpus')
    shutil.copytree(os.path.join(HERE, 'corpus'), corpus)
    rc, text, execs, status = fuzz(target, [corpus], args.seconds, work)
    print('fuzz.py: %d s, %s executions; %s' % (args.seconds, execs, status), flush=True)
    judge_run(rc, text, work, 'the bounded fuzz run found a failure (libFuzzer exit %d)')
    if execs is not None and execs < 50:
        die('only %d executions in %d s: the target is too slow to fuzz' % (execs, args.seconds))
    shutil.rmtree(work, ignore_errors=True)
    print('fuzz.py: clean')


def cmd_run(args):
    target = build(args)
    work = args.work or os.path.join(args.build, 'work-corpus')
    os.makedirs(work, exist_ok=True)
    arts = os.path.join(args.build, 'artifacts')
    rc, text, execs, status = fuzz(target, [work, os.path.join(HERE, 'corpus'),
                                            os.path.join(HERE, 'regressions')],
                                   args.seconds, arts, args.jobs, args.libfuzzer_args)
    print('fuzz.py: %d s, %d job(s), %s executions in all; %s' % (args.seconds, args.jobs,
                                                                 execs, status))
    print('fuzz.py: corpus %s: %d inputs' % (work, len(inputs(work))))
    judge_run(rc, text, arts, 'failure found (libFuzzer exit %d)')
    print('fuzz.py: clean')


def cmd_repro(args):
    target = build(args)
    worst = 0
    for f in args.files:
        p = subprocess.run([target, '-runs=1', '-timeout=20', f], env=env(full=True, verbose=True))
        print('fuzz.py: %s: exit %d' % (f, p.returncode))
        worst = max(worst, p.returncode)
    sys.exit(1 if worst else 0)


def main():
    ap = argparse.ArgumentParser(prog='fuzz.py', description=__doc__.split('\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog='\n'.join(__doc__.split('\n')[2:]))
    ap.add_argument('--build', default='fuzz-build')
    ap.add_argument('--clang')
    ap.add_argument('--source-root', default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument('--source', dest='sources', action='append')
    sub = ap.add_subparsers(dest='cmd', required=True)
    c = sub.add_parser('check')
    c.add_argument('--seconds', type=int, default=10)
    r = sub.add_parser('run')
    r.add_argument('--seconds', type=int, default=900)
    r.add_argument('--jobs', type=int, default=1)
    r.add_argument('--work')
    r.add_argument('libfuzzer_args', nargs='*')
    x = sub.add_parser('repro')
    x.add_argument('files', nargs='+')
    sub.add_parser('build')
    args = ap.parse_args()
    global BUILD
    args.build = BUILD = os.path.abspath(args.build)
    args.source_root = os.path.abspath(args.source_root)
    os.makedirs(args.build, exist_ok=True)
    if args.cmd == 'check':
        cmd_check(args)
    elif args.cmd == 'run':
        cmd_run(args)
    elif args.cmd == 'repro':
        cmd_repro(args)
    else:
        print(build(args))


if __name__ == '__main__':
    main()
