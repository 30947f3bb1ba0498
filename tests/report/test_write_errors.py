#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every output, written where it cannot go: a full device (/dev/full) gives
exit 5 (FL_EXIT_OUTPUT) and one "cannot write" line for every format of
report, merge and compare, their --svg files and --help; a reader that went
away (`forklock report | head`) gives no error line at all."""
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FORKLOCK = os.environ.get("FORKLOCK", "forklock")
MKFIXTURE = os.environ.get("MKFIXTURE", "mkfixture")
FULL = "/dev/full"
EXIT_OUTPUT = 5

tmp = None


def setUpModule():
    global tmp
    tmp = tempfile.mkdtemp(prefix="forklock-write-errors-")
    for v in ("base", "patched"):
        desc = os.path.join(tmp, v + ".desc")
        subprocess.run([sys.executable, os.path.join(HERE, "genstorm.py"), v, desc], check=True)
        subprocess.run([MKFIXTURE, desc, os.path.join(tmp, v + ".dat")], check=True)
        with open(os.path.join(tmp, v + ".json"), "w") as f:
            subprocess.run([FORKLOCK, "report", "--format", "json", "--forks", v + ".dat"],
                           cwd=tmp, stdout=f, check=True)


def tearDownModule():
    shutil.rmtree(tmp, ignore_errors=True)


def run(args, stdout, sigpipe=True):
    def child():
        if not sigpipe:
            signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    return subprocess.run([FORKLOCK, *args], cwd=tmp, stdout=stdout, stderr=subprocess.PIPE,
                          text=True, timeout=120, preexec_fn=child)


COMMANDS = [
    ["report", "--format", "text", "--forks", "base.dat"],
    ["report", "--format", "json", "--forks", "base.dat"],
    ["report", "--format", "mail", "--forks", "base.dat"],
    ["merge", "--format", "text", "base.json", "patched.json"],
    ["merge", "--format", "json", "base.json", "patched.json"],
    ["merge", "--format", "mail", "base.json", "patched.json"],
    ["compare", "--format", "text", "base.dat", "patched.dat"],
    ["compare", "--format", "json", "base.dat", "patched.dat"],
    ["compare", "--format", "mail", "base.dat", "patched.dat"],
    ["--help"],
    ["report", "--help"],
]


class FullDevice(unittest.TestCase):
    def setUp(self):
        self.assertTrue(stat.S_ISCHR(os.stat(FULL).st_mode), FULL + " is not the device")

    def tearDown(self):
        # an output that failed is removed only when it is a regular file
        self.assertTrue(stat.S_ISCHR(os.stat(FULL).st_mode), FULL + " was removed")

    def test_stdout(self):
        for args in COMMANDS:
            with self.subTest(args=args), open(FULL, "w") as full:
                p = run(args, full)
                self.assertEqual(p.returncode, EXIT_OUTPUT, p.stderr)
                lines = p.stderr.splitlines()
                self.assertEqual(len(lines), 1, p.stderr)
                self.assertRegex(lines[0], r"^forklock( \w+)?: error: cannot write "
                                 r"(the report|the comparison|standard output)")

    def test_svg(self):
        for args in (["report", "--svg", FULL, "base.dat"],
                     ["merge", "--svg", FULL, "base.json", "patched.json"],
                     ["compare", "--svg", FULL, "base.dat", "patched.dat"]):
            with self.subTest(args=args):
                p = run(args, subprocess.DEVNULL)
                self.assertEqual(p.returncode, EXIT_OUTPUT, p.stderr)
                self.assertEqual(p.stderr, "forklock %s: error: cannot write %s: "
                                 "No space left on device\n" % (args[0], FULL))

    def test_working_output_is_exit_0(self):
        """the same commands into a file: exit 0, so the 5 above is the device's"""
        for args in COMMANDS:
            with self.subTest(args=args), open(os.path.join(tmp, "out"), "w") as f:
                p = run(args, f)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stderr, "")
                self.assertGreater(f.tell(), 100)


class ClosedPipe(unittest.TestCase):
    """A pipe whose reader is gone before forklock writes its first byte."""
    def closed_pipe(self):
        r, w = os.pipe()
        os.close(r)
        return w

    def test_sigpipe_ignored(self):
        for args in COMMANDS:
            with self.subTest(args=args):
                w = self.closed_pipe()
                try:
                    p = run(args, w, sigpipe=False)
                finally:
                    os.close(w)
                self.assertEqual(p.returncode, EXIT_OUTPUT, p.stderr)
                self.assertEqual(p.stderr, "")

    def test_sigpipe_default(self):
        w = self.closed_pipe()
        try:
            p = run(["report", "--forks", "base.dat"], w)
        finally:
            os.close(w)
        self.assertEqual(p.returncode, -signal.SIGPIPE)
        self.assertEqual(p.stderr, "")

    def test_head(self):
        """`forklock report --forks | head -1` through a shell, as a user types it"""
        p = subprocess.run(["sh", "-c", '"$0" report --forks base.dat | head -1', FORKLOCK],
                           cwd=tmp, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stderr, "")
        self.assertEqual(len(p.stdout.splitlines()), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
