#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The source tree's layout, as HACKING describes it, checked from the
#include lines of lib/, cmd/ and plugins/ (tests/ too for the private
headers):

- every #include "..." names a file: lib/'s are rooted at lib/
  ("replay/replay.h"), a folder's own headers may be named bare;
- no include cycle between files;
- a private header is included only from its own folder: *-local.h,
  *-int.h, and any header whose first comment says "Private to lib/X/";
- the folders of lib/ include one way, down LAYERS (record and replay
  never include each other: they meet in trace.dat and lib/events/);
  plugins/ include only the plugin interface, forklock-policy.h;
- no file of lib/ over MAX_LINES lines unless ALLOWED says why.

Usage: test_layout.py SOURCE_ROOT (default: this file's ../..)
"""
import os
import re
import sys
import tempfile
import unittest

MAX_LINES = 700
# lib/ files allowed over MAX_LINES, with the reason (none today: check.c
# and write.c were split by concern)
ALLOWED = {}

# lower first; a folder includes its own headers and those of lower layers
LAYERS = [
    ["."],				# forklock-exit.h, log.h, shell.h, forklock-policy.h
    ["tracedat", "events"],		# the file format; the event table and snapshot lines
    ["record", "replay"],		# the recorder; decode -> model -> fork windows
    ["policy"],			# judging forks
    ["report"],			# summary, renderers, JSON read and written
    ["compare", "merge"],		# two reports side by side; many summed
]
PLUGIN_HEADERS = {"forklock-policy.h"}
SOURCE_DIRS = ("lib", "cmd", "plugins")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
PRIVATE_RE = re.compile(r"Private to lib/([\w/]+?)/?[\s:.,]")


class Tree:
    """The C files under @root's SOURCE_DIRS (and @extra dirs for includes)."""

    def __init__(self, root, dirs=SOURCE_DIRS, extra=()):
        self.root = root
        self.files = {}		# path from root -> text
        for d in tuple(dirs) + tuple(extra):
            for base, subdirs, names in os.walk(os.path.join(root, d)):
                subdirs[:] = [s for s in subdirs if s not in ("build", ".git")]
                for n in names:
                    if n.endswith((".c", ".h")):
                        p = os.path.relpath(os.path.join(base, n), root)
                        with open(os.path.join(root, p), errors="replace") as f:
                            self.files[p] = f.read()
        self.sources = [p for p in self.files if p.split(os.sep)[0] in dirs]

    def resolve(self, path, inc):
        """The file @path's #include "@inc" names, or None.  In lib/ it is
        rooted at lib/ only; elsewhere the folder's own files come first."""
        cands = [os.path.join("lib", inc)]
        if not path.startswith("lib" + os.sep):
            cands.insert(0, os.path.join(os.path.dirname(path), inc))
        for cand in cands:
            cand = os.path.normpath(cand)
            if cand in self.files:
                return cand
        return None

    def includes(self, path):
        """(line, include text, resolved path or None) of @path."""
        text = self.files[path]
        for m in INCLUDE_RE.finditer(text):
            yield text.count("\n", 0, m.start()) + 1, m.group(1), self.resolve(path, m.group(1))

    def private_folder(self, path):
        """The folder a header is private to, or None."""
        if not path.endswith(".h"):
            return None
        name = os.path.basename(path)
        head = self.files[path][:600]
        m = PRIVATE_RE.search(head)
        if m:
            return os.path.normpath(os.path.join("lib", m.group(1)))
        if name.endswith(("-local.h", "-int.h")):
            return os.path.dirname(path)
        return None


def unresolved(tree):
    return ["%s:%d: #include \"%s\" names no file (lib/'s are rooted at lib/)" % (p, n, inc)
            for p in sorted(tree.sources) for n, inc, to in tree.includes(p) if to is None]


def cycles(tree):
    """Every include cycle, once, as [a, b, ..., a]."""
    graph = {p: sorted({to for _, _, to in tree.includes(p) if to}) for p in tree.files}
    found, state, stack = [], {}, []

    def visit(p):
        state[p] = 1
        stack.append(p)
        for q in graph.get(p, ()):
            if state.get(q) == 1:
                found.append(stack[stack.index(q):] + [q])
            elif not state.get(q):
                visit(q)
        stack.pop()
        state[p] = 2

    for p in sorted(graph):
        if not state.get(p):
            visit(p)
    return [" -> ".join(c) for c in found]


def private_leaks(tree, users):
    """Private headers included from outside their folder, by files in @users."""
    out = []
    for p in sorted(users):
        for n, inc, to in tree.includes(p):
            home = to and tree.private_folder(to)
            if home and os.path.dirname(p) != home:
                out.append("%s:%d: includes %s, private to %s/" % (p, n, to, home))
    return out


def layer_of(path):
    parts = path.split(os.sep)
    if parts[0] != "lib":
        return None, None
    folder = parts[1] if len(parts) > 2 else "."
    for i, layer in enumerate(LAYERS):
        if folder in layer:
            return i, folder
    return len(LAYERS), folder


def layering(tree):
    out = []
    for p in sorted(tree.sources):
        top = p.split(os.sep)[0]
        for n, inc, to in tree.includes(p):
            if not to:
                continue
            if top == "plugins":
                if os.path.basename(to) not in PLUGIN_HEADERS or not to.startswith("lib"):
                    out.append("%s:%d: a plugin includes %s, not only the plugin interface"
                               % (p, n, to))
                continue
            if top != "lib":
                continue		# cmd/ is on top: it may include any public header
            (lp, fp), (lt, ft) = layer_of(p), layer_of(to)
            if lt is None:
                out.append("%s:%d: lib/ includes %s, outside lib/" % (p, n, to))
            elif fp != ft and lt >= lp:
                out.append("%s:%d: lib/%s includes %s: lib/%s is not below it (LAYERS)"
                           % (p, n, fp, to, ft))
    return out


def oversized(tree, limit=MAX_LINES, allowed=None):
    allowed = ALLOWED if allowed is None else allowed
    out = []
    for p in sorted(tree.sources):
        if not p.startswith("lib" + os.sep):
            continue
        n = tree.files[p].count("\n")
        if n > limit and p not in allowed:
            out.append("%s has %d lines (over %d): split it by concern, or give the reason "
                       "in ALLOWED" % (p, n, limit))
    return out


ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


class Layout(unittest.TestCase):
    """The tree itself."""

    @classmethod
    def setUpClass(cls):
        cls.tree = Tree(ROOT, extra=("tests", "workload", "bench"))
        # what is checked is really there: a checker that sees nothing passes nothing
        assert sum(p.startswith("lib" + os.sep) for p in cls.tree.sources) > 50, ROOT
        assert any(cls.tree.private_folder(p) for p in cls.tree.files)

    def test_includes_name_files(self):
        self.assertEqual(unresolved(self.tree), [])

    def test_no_include_cycle(self):
        self.assertEqual(cycles(self.tree), [])

    def test_private_headers_stay_home(self):
        self.assertEqual(private_leaks(self.tree, self.tree.files), [])

    def test_folders_include_down(self):
        self.assertEqual(layering(self.tree), [])

    def test_file_sizes(self):
        self.assertEqual(oversized(self.tree), [])
        for p, why in ALLOWED.items():
            self.assertIn(p, self.tree.files, "ALLOWED names a file that is gone")
            self.assertTrue(why.strip(), "ALLOWED without a reason: " + p)


class Checker(unittest.TestCase):
    """Each check finds what it is for, in a small made-up tree."""

    def tree(self, files):
        d = tempfile.mkdtemp(prefix="layout.")
        self.addCleanup(lambda: __import__("shutil").rmtree(d))
        for p, text in files.items():
            os.makedirs(os.path.join(d, os.path.dirname(p)), exist_ok=True)
            with open(os.path.join(d, p), "w") as f:
                f.write(text)
        return Tree(d, extra=("tests",))

    def test_finds_a_cycle(self):
        t = self.tree({"lib/replay/a.h": '#include "replay/b.h"\n',
                       "lib/replay/b.h": '#include "replay/c.h"\n',
                       "lib/replay/c.h": '#include "replay/a.h"\n',
                       "lib/replay/d.c": '#include "replay/a.h"\n'})
        self.assertEqual(cycles(t), ["lib/replay/a.h -> lib/replay/b.h -> lib/replay/c.h -> "
                                     "lib/replay/a.h"])

    def test_finds_a_bare_include(self):
        t = self.tree({"lib/replay/replay.h": "\n",
                       "lib/report/x.c": '#include "replay.h"\n',
                       "lib/replay/y.c": '#include "replay.h"\n',	# its own folder: still rooted
                       "lib/replay/z.c": '#include "replay/replay.h"\n',
                       "cmd/cmd.h": "\n", "cmd/c.c": '#include "cmd.h"\n'})
        self.assertEqual(unresolved(t), [
            'lib/replay/y.c:1: #include "replay.h" names no file (lib/\'s are rooted at lib/)',
            'lib/report/x.c:1: #include "replay.h" names no file (lib/\'s are rooted at lib/)'])

    def test_finds_a_private_header_out_of_its_folder(self):
        t = self.tree({"lib/replay/replay-int.h": "\n",
                       "lib/replay/decode.h": "/*\n * Private to lib/replay/: the decoder.\n */\n",
                       "lib/record/record-local.h": "\n",
                       "lib/replay/ok.c": '#include "replay/replay-int.h"\n'
                                          '#include "replay/decode.h"\n',
                       "lib/report/bad.c": '#include "replay/decode.h"\n',
                       "cmd/bad.c": '#include "record/record-local.h"\n',
                       "tests/bad.c": '#include "replay/replay-int.h"\n'})
        self.assertEqual(private_leaks(t, t.files), [
            "cmd/bad.c:1: includes lib/record/record-local.h, private to lib/record/",
            "lib/report/bad.c:1: includes lib/replay/decode.h, private to lib/replay/",
            "tests/bad.c:1: includes lib/replay/replay-int.h, private to lib/replay/"])

    def test_finds_an_include_up_the_layers(self):
        t = self.tree({"lib/report/render.h": "\n", "lib/record/record.h": "\n",
                       "lib/forklock-policy.h": "\n", "lib/log.h": "\n",
                       "lib/replay/up.c": '#include "report/render.h"\n',
                       "lib/replay/across.c": '#include "record/record.h"\n',
                       "lib/report/down.c": '#include "log.h"\n',
                       "plugins/p.c": '#include "forklock-policy.h"\n#include "log.h"\n'})
        self.assertEqual(layering(t), [
            "lib/replay/across.c:1: lib/replay includes lib/record/record.h: lib/record is "
            "not below it (LAYERS)",
            "lib/replay/up.c:1: lib/replay includes lib/report/render.h: lib/report is not "
            "below it (LAYERS)",
            "plugins/p.c:2: a plugin includes lib/log.h, not only the plugin interface"])

    def test_finds_a_long_file(self):
        t = self.tree({"lib/replay/long.c": "x\n" * 701, "lib/replay/ok.c": "x\n" * 700,
                       "lib/replay/allowed.c": "x\n" * 900})
        got = oversized(t, allowed={"lib/replay/allowed.c": "one table"})
        self.assertEqual(len(got), 1)
        self.assertIn("lib/replay/long.c has 701 lines", got[0])


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        ROOT = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
