#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every man page formats without a single warning.

Usage: test_man_lint.py PAGE.1...

For each page:
  - groff -man -ww -z -Tutf8 PAGE     (all warnings on) prints nothing, exits 0
  - man --warnings -l -Tutf8 PAGE     (MANWIDTH=80, man-db's own pipeline:
                                       preconv, tbl, groff) prints nothing on
                                       stderr, exits 0
  - the source is plain ASCII roff (special characters as \\(lq, \\(en ...)
  - .TH names the page after its file (forklock-record.1 -> FORKLOCK-RECORD 1)
    and the NAME line starts with the file's name
Exit 77 (skipped) when neither groff nor man is installed.
"""
import os
import re
import shutil
import subprocess
import sys

failures = []


def fail(page, what):
    failures.append("%s: %s" % (os.path.basename(page), what))


def run(page, argv, env):
    p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    out = (p.stderr or "").strip()
    if p.returncode != 0 or out:
        fail(page, "%s: exit %d\n%s" % (" ".join(argv[:-1]), p.returncode, out))


def main(pages):
    groff = shutil.which("groff")
    man = shutil.which("man")
    if not groff and not man:
        print("neither groff nor man is installed: skipped")
        return 77
    env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat", LC_ALL="C.UTF-8",
               MAN_DISABLE_SECCOMP="1")
    for page in pages:
        base = os.path.basename(page)
        stem, _, section = base.rpartition(".")
        with open(page, "rb") as f:
            raw = f.read()
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError as e:
            fail(page, "not ASCII at byte %d (use roff escapes)" % e.start)
            text = raw.decode("utf-8", "replace")
        th = re.search(r"^\.TH\s+(\S+)\s+(\S+)", text, re.M)
        if not th or th.group(1) != stem.upper() or th.group(2) != section:
            fail(page, ".TH should be '.TH %s %s', is %r" % (stem.upper(), section,
                                                            th.group(0) if th else None))
        name = re.search(r"^\.SH NAME\n(.*)$", text, re.M)
        if not name or not name.group(1).replace("\\-", "-").startswith(stem + " - "):
            fail(page, "the NAME line should start with '%s \\- '" % stem)
        if groff:
            run(page, [groff, "-man", "-ww", "-z", "-Tutf8", page], env)
        if man:
            run(page, [man, "--warnings", "-l", "-Tutf8", page], env)
        print("%s: checked" % base)
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
