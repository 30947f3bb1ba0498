#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The bash completion (docs/forklock.bash-completion) in a real bash: the
words it offers for COMP_WORDS/COMP_CWORD, 'complete -p forklock', and
where 'meson install' puts it (bash-completion's completionsdir).

Usage: test_completion.py FORKLOCK COMPLETION BUILD_DIR"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

FORKLOCK, COMPLETION, BUILD = (os.path.abspath(a) for a in sys.argv[1:4])
tmp = None


def complete(*words, cwd=None):
    """COMPREPLY, sorted and unique, for the command line WORDS (the last is
    the word under the cursor); forklock is the build's."""
    script = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); ' \
             '_forklock; printf "%s\\n" "${COMPREPLY[@]}"'
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", COMPLETION,
                        FORKLOCK, *words], capture_output=True, text=True, timeout=60,
                       cwd=cwd or tmp)
    assert p.returncode == 0 and not p.stderr, p.stderr
    return sorted(set(w for w in p.stdout.split("\n") if w))


def help_text(cmd):
    return subprocess.run([FORKLOCK, cmd, "--help"], capture_output=True, text=True,
                          check=True).stdout


def commands():
    out = subprocess.run([FORKLOCK, "--help"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"^commands:\n((?:  \S.*\n)+)", out, re.M)
    return sorted(line.split()[0] for line in m.group(1).splitlines())


def setUpModule():
    global tmp
    tmp = tempfile.mkdtemp(prefix="forklock-completion-")
    for name in ("a.dat", "b.dat", "r.json", "notes.txt"):
        open(os.path.join(tmp, name), "w").close()
    os.mkdir(os.path.join(tmp, "sub"))


def tearDownModule():
    shutil.rmtree(tmp, ignore_errors=True)


class Completion(unittest.TestCase):
    def test_registered(self):
        p = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                            'source "$1" && complete -p forklock', "bash", COMPLETION],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.stdout.strip(), "complete -o filenames -F _forklock forklock",
                         p.stderr)

    def test_commands(self):
        cmds = commands()
        self.assertIn("report", cmds)
        self.assertEqual(complete(""), sorted(cmds + ["help"]))
        self.assertEqual(complete("re"), ["record", "report"])
        self.assertEqual(complete("help", "c"), ["check", "compare"])
        self.assertEqual(complete("help", "report", ""), [])
        self.assertEqual(complete("-"), ["--help", "--version", "-V", "-h"])

    def test_options_are_the_help(self):
        """every command: exactly the options its --help prints, and -h, --help"""
        for cmd in commands():
            with self.subTest(cmd=cmd):
                want = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])",
                                      help_text(cmd))) | {"-h", "--help"}
                self.assertGreater(len(want), 2 if cmd != "check" else 1)
                self.assertEqual(complete(cmd, "-"), sorted(want))
        self.assertEqual(complete("report", "--fo"), ["--forks", "--format"])

    def test_values(self):
        self.assertEqual(complete("report", "--format", ""), ["json", "mail", "text"])
        self.assertEqual(complete("report", "-F", "j"), ["json"])
        self.assertEqual(complete("merge", "-F", ""), ["json", "mail", "text"])
        self.assertEqual(complete("compare", "--format", "m"), ["mail"])
        self.assertEqual(complete("record", "--tier", ""), ["auto", "bpf", "kprobe", "tracepoint"])
        self.assertEqual(complete("record", "-t", "t"), ["tracepoint"])
        # a number: nothing offered, not files
        self.assertEqual(complete("record", "--duration", ""), [])
        self.assertEqual(complete("report", "--top", ""), [])

    def test_policies(self):
        listed = subprocess.run([FORKLOCK, "report", "--list-policies"], capture_output=True,
                                text=True, check=True).stdout
        names = sorted(l.split("\t")[0] for l in listed.splitlines())
        self.assertIn("single-user", names)
        self.assertIn("always-lock", names)
        self.assertEqual(complete("report", "--policy", ""), names)
        self.assertEqual(complete("report", "--svg-policy", ""), names)
        self.assertEqual(complete("merge", "--svg-policy", "single-user-"),
                         ["single-user-no-uffd"])
        # NAMES is comma separated: the last name is completed
        self.assertEqual(complete("report", "--policy", "single-user,al"),
                         ["single-user,always-lock"])

    def test_files(self):
        self.assertEqual(complete("report", ""), ["a.dat", "b.dat", "r.json", "sub"])
        self.assertEqual(complete("compare", "a.dat", ""), ["a.dat", "b.dat", "r.json", "sub"])
        self.assertEqual(complete("merge", ""), ["r.json", "sub"])
        self.assertEqual(complete("record", "-o", ""),
                         ["a.dat", "b.dat", "notes.txt", "r.json", "sub"])
        self.assertEqual(complete("report", "--svg", "n"), ["notes.txt"])
        self.assertEqual(complete("check", ""), [])

    def test_record_command(self):
        """after 'record --': COMMAND from PATH, then its arguments"""
        self.assertIn("sh", complete("record", "--", "s"))
        self.assertNotIn("--format", complete("record", "-o", "x.dat", "--", "sh", "--"))
        self.assertIn("notes.txt", complete("record", "--", "cat", "n"))

    def test_installed_where_bash_completion_says(self):
        out = subprocess.run(["meson", "introspect", BUILD, "--installed"], capture_output=True,
                             text=True, check=True).stdout
        installed = json.loads(out)
        dest = [d for s, d in installed.items() if os.path.samefile(s, COMPLETION)]
        self.assertEqual(len(dest), 1, installed)
        opts = {o["name"]: o["value"] for o in json.loads(subprocess.run(
            ["meson", "introspect", BUILD, "--buildoptions"], capture_output=True, text=True,
            check=True).stdout)}
        datadir = os.path.join(opts["prefix"], opts["datadir"])
        p = subprocess.run(["pkg-config", "--define-variable=datadir=" + datadir,
                            "--variable=completionsdir", "bash-completion"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, "bash-completion's pkg-config file: " + p.stderr)
        self.assertEqual(dest[0], os.path.join(p.stdout.strip(), "forklock"))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
