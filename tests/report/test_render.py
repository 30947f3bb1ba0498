#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""forklock report --format mail, compare, merge and --svg on generated
trace.dat fixtures (no kernel needed): golden files, numbers checked
against the fixtures' ground truth and the JSON report, bad input.

FORKLOCK_UPDATE_GOLDEN=1 rewrites the golden files (review the diff)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import mailcheck

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from flcommon import nearest_rank, ols  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
FORKLOCK = os.environ.get("FORKLOCK", "forklock")
MKFIXTURE = os.environ.get("MKFIXTURE", "mkfixture")
UPDATE = os.environ.get("FORKLOCK_UPDATE_GOLDEN") == "1"
POLICIES = "always-lock,anon-cow-only,single-user,single-user-no-uffd"
SVG = "{http://www.w3.org/2000/svg}"

tmp = None


def setUpModule():
    global tmp
    tmp = tempfile.mkdtemp(prefix="forklock-report-test-")
    for v in ("base", "patched", "other"):
        desc = os.path.join(tmp, v + ".desc")
        subprocess.run([sys.executable, os.path.join(HERE, "genstorm.py"), v, desc], check=True)
        subprocess.run([MKFIXTURE, desc, os.path.join(tmp, v + ".dat")], check=True)
    subprocess.run([MKFIXTURE, os.path.join(HERE, "..", "tracedat", "fixtures", "fork-6.18.desc"),
                    os.path.join(tmp, "fork.dat")], check=True)


def tearDownModule():
    shutil.rmtree(tmp, ignore_errors=True)


def run(*args, code=0, tc=None):
    """forklock ARGS in the fixtures' directory; returns the CompletedProcess."""
    p = subprocess.run([FORKLOCK, *args], cwd=tmp, capture_output=True, text=True, timeout=300)
    if tc is not None:
        tc.assertEqual(p.returncode, code, "forklock %s: %s" % (" ".join(args), p.stderr))
    return p


def truth(variant):
    out = subprocess.run([sys.executable, os.path.join(HERE, "genstorm.py"), "--forks", variant],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(l) for l in out.splitlines()]


def version_free(text):
    return re.sub(r"forklock \d+\.\d+\.\d+", "forklock VERSION", text)


class Golden(unittest.TestCase):
    def golden(self, name, text):
        path = os.path.join(GOLDEN, name)
        text = version_free(text)
        if UPDATE:
            os.makedirs(GOLDEN, exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        with open(path) as f:
            self.assertEqual(text, f.read(), "output differs from golden/" + name)

    def mail_form(self, text):
        self.assertEqual(mailcheck.form_problems(text), [])


class Mail(Golden):
    def test_fork_fixture(self):
        p = run("report", "--format", "mail", "--policy", POLICIES, "fork.dat", tc=self)
        self.assertEqual(p.stderr, "")
        self.mail_form(p.stdout)
        self.golden("report-fork-6.18.mail", p.stdout)
        rep = json.loads(run("report", "--format", "json", "--policy", POLICIES, "fork.dat",
                             tc=self).stdout)
        self.assertGreater(mailcheck.check_against_json(self, p.stdout, rep), 50)

    def test_storm(self):
        p = run("report", "--format", "mail", "--policy", POLICIES, "base.dat", tc=self)
        self.mail_form(p.stdout)
        self.golden("report-storm.mail", p.stdout)
        rep = json.loads(run("report", "--format", "json", "--policy", POLICIES, "base.dat",
                             tc=self).stdout)
        self.assertGreater(mailcheck.check_against_json(self, p.stdout, rep), 80)
        # the ground truth, not only the JSON
        t = truth("base")
        self.assertIn("Forks:              %d complete\n" % len(t), p.stdout)
        self.assertIn("Parent VMA locks:   %d " % sum(f["vmas"] for f in t), p.stdout)
        # the evidence of anon-cow-only: the server's sibling fault, one line
        self.assertRegex(p.stdout, r"\n    fork by server/5000 at [\d.]+ s: sibling_fault by "
                         r"server/5001 at\n      \+300 ns\n")
        # the command lines that produced it
        self.assertIn("\n  forklock record -o base.dat -- storm-driver --rounds 3\n", p.stdout)
        self.assertIn("\n  forklock report --format mail --policy \\\n      %s \\\n"
                      "      base.dat\n" % POLICIES, p.stdout)

    def test_two_traces_and_quoting(self):
        """Several traces; an argument with a space is quoted for the shell;
        long command lines are cut with ' \\' and stay within 72 columns."""
        os.makedirs(os.path.join(tmp, "a dir"), exist_ok=True)
        long = "a dir/" + "x" * 80 + ".dat"
        shutil.copy(os.path.join(tmp, "patched.dat"), os.path.join(tmp, long))
        p = run("report", "--format", "mail", "--policy", POLICIES, "base.dat", long, tc=self)
        self.mail_form(p.stdout)
        self.assertIn("Total:      2 traces,", p.stdout)
        # the command lines, pasted into sh, give back the arguments
        self.assertEqual(mailcheck.command_lines(p.stdout), [
            ["forklock", "record", "-o", "base.dat", "--", "storm-driver", "--rounds", "3"],
            ["forklock", "record", "-o", long, "--", "storm-driver", "--rounds", "3"],
            ["forklock", "report", "--format", "mail", "--policy", POLICIES, "base.dat", long]])

    def test_unknown_format(self):
        p = run("report", "--format", "html", "base.dat", code=2, tc=self)
        self.assertEqual(p.stderr, "forklock report: error: unknown format 'html' "
                         "(text, json or mail)\n")


UNDECIDES = r"""#include "forklock-policy.h"
static int d(const struct forklock_fork *f, struct forklock_verdict *v)
{
	v->decision = FORKLOCK_UNDECIDED;
	return 0;
}
static const struct forklock_policy p = { .abi = FORKLOCK_POLICY_ABI, .name = "undecides",
	.summary = "never decides", .decide = d };
const struct forklock_policy *forklock_policy_register(void) { return &p; }
"""


class Verdicts(unittest.TestCase):
    """A verdict is over the forks a policy decided; savings say they are a model."""
    @classmethod
    def setUpClass(cls):
        src = os.path.join(tmp, "undecides.c")
        with open(src, "w") as f:
            f.write(UNDECIDES)
        cls.so = os.path.join(tmp, "undecides.so")
        subprocess.run(["cc", "-shared", "-fPIC", "-Wall", "-Werror",
                        "-I" + os.path.join(HERE, "..", "..", "lib"), "-o", cls.so, src], check=True)

    def test_every_fork_undecided_is_na(self):
        n = len(truth("base"))
        args = ("--policy-plugin", self.so, "--policy", "undecides,always-lock", "base.dat")
        t = run("report", *args, tc=self).stdout
        self.assertRegex(t, r"\n  undecides +0 +%d +0 +0 ns +0\.00%% +0  n/a \(undecided %d\)\n"
                         % (n, n))
        self.assertRegex(t, r"\n  always-lock +0 +0 +0 +0 ns +0\.00% +0  safe\n")
        self.assertNotRegex(t, r"undecides .* safe")
        rep = json.loads(run("report", "--format", "json", *args, tc=self).stdout)
        u = rep["policies"]["undecides"]
        self.assertEqual((u["verdict"], u["decided_forks"], u["undecided_forks"],
                          u["unknown_safety_forks"], u["evidence"]), ("n/a", 0, n, 0, []))
        m = run("report", "--format", "mail", *args, tc=self).stdout
        self.assertRegex(m, r"\n  undecides +0 +0 ns +0\.0%% +%d +0  n/a\n" % n)
        self.assertEqual(mailcheck.form_problems(m), [])

    def test_touched_forks_say_locked_or_skipped(self):
        """base.dat: one fork (server, 2 threads) has a sibling fault in its window"""
        touched = [f for f in truth("base") if f["fault"]]
        self.assertEqual(len(touched), 1)
        rep = json.loads(run("report", "--format", "json", "--policy", POLICIES, "base.dat",
                             tc=self).stdout)
        want = {"always-lock": (1, 0, 0), "anon-cow-only": (0, 1, 0), "single-user": (1, 0, 0),
                "single-user-no-uffd": (1, 0, 0)}
        for name, (lk, sk, un) in want.items():
            self.assertEqual(rep["policies"][name]["touched_forks"],
                             {"locked": lk, "skipped": sk, "undecided": un}, name)
        t = run("report", "--policy", POLICIES, "base.dat", tc=self).stdout
        self.assertRegex(t, r"\n  touched forks +locked +skipped +undecided +of the 1 forks "
                         r"touched in their window\n  always-lock +1 +0 +0\n  anon-cow-only +0 +1 +0\n")

    def test_lock_cost_reads_as_a_model(self):
        rep = json.loads(run("report", "--format", "json", "base.dat", tc=self).stdout)
        self.assertEqual(rep["lock_cost"]["basis"], "assumed")
        self.assertRegex(rep["lock_cost"]["source"], r"^assumed: 5% of the per-VMA dup_mmap\(\) "
                         r"time \(median \d+ ns here")
        t = run("report", "base.dat", tc=self).stdout
        self.assertIn("saved = locks skipped x %d ns per lock, a model\n  lock cost assumed: 5%%"
                      % rep["lock_cost"]["ns"], t)
        rep = json.loads(run("report", "--format", "json", "--lock-cost-ns", "50", "base.dat",
                             tc=self).stdout)
        self.assertEqual(rep["lock_cost"], {"ns": 50, "source": "given: --lock-cost-ns",
                                            "basis": "given"})
        # fewer than 10 forks: the 30 ns assumption, said as one
        rep = json.loads(run("report", "--format", "json", "fork.dat", tc=self).stdout)
        self.assertEqual((rep["lock_cost"]["ns"], rep["lock_cost"]["basis"]), (30, "assumed"))
        self.assertTrue(rep["lock_cost"]["source"].startswith("assumed: 30 ns, too few forks"))
        h = run("report", "--help", tc=self).stdout
        self.assertIn("(default:\n                            assumed 5% of the per-VMA dup_mmap "
                      "time; 30 ns under 10 forks)", h)


class Compare(Golden):
    def compare_json(self, *args, code=0):
        p = run("compare", "--format", "json", *args, code=code, tc=self)
        return json.loads(p.stdout) if code == 0 else p

    def test_golden(self):
        for fmt, name in (("text", "compare-storm.txt"), ("mail", "compare-storm.mail"),
                          ("json", "compare-storm.json")):
            p = run("compare", "--format", fmt, "base.dat", "patched.dat", tc=self)
            self.assertEqual(p.stderr, "")
            if fmt != "json":
                self.mail_form(p.stdout)
            self.golden(name, p.stdout)

    def test_numbers_are_the_truth(self):
        c = self.compare_json("base.dat", "patched.dat")
        self.assertEqual(c["schema"], "forklock-compare/1")
        self.assertEqual(c["method"]["replicates"], 2000)
        self.assertEqual(c["method"]["seed"], 1)
        self.assertEqual(c["workload"], {"same": True, "forced": False, "by": "command"})
        for side in ("base", "patched"):
            t = truth(side)
            self.assertEqual(c[side]["forks"], len(t))
            self.assertEqual(c[side]["vma_locks"], sum(f["vmas"] for f in t))
            self.assertEqual(c[side]["window_total_ns"], sum(f["window_ns"] for f in t))
            self.assertEqual(c[side]["workload"], "storm-driver --rounds 3")
            # medians and p99 of every bucket: nearest rank of the known windows
            for row in c["window_by_vmas"]:
                hi = row["vmas_max"] if row["vmas_max"] is not None else 1 << 32
                w = [f["window_ns"] for f in t if row["vmas_min"] <= f["vmas"] <= hi]
                self.assertEqual(row[side]["forks"], len(w))
                if w:
                    self.assertEqual(row[side]["p50_ns"]["estimate"], nearest_rank(w, 0.5))
                    self.assertEqual(row[side]["p99_ns"]["estimate"], nearest_rank(w, 0.99))
                    for q in ("p50_ns", "p99_ns"):
                        ci = row[side][q]
                        self.assertLessEqual(ci["lo"], ci["estimate"])
                        self.assertGreaterEqual(ci["hi"], ci["estimate"])
                        self.assertGreaterEqual(ci["lo"], min(w))
                        self.assertLessEqual(ci["hi"], max(w))
            allw = [f["window_ns"] for f in t]
            self.assertEqual(c["window_all"][side]["p50_ns"]["estimate"], nearest_rank(allw, 0.5))
            # the slope: least squares with an intercept, as computed here
            slope, intercept = ols([(f["vmas"], f["window_ns"]) for f in t])
            got = c["slope_ns_per_vma"][side]
            self.assertAlmostEqual(got["estimate"], slope, places=6)
            self.assertAlmostEqual(got["intercept_ns"], intercept, places=3)
            self.assertLess(got["lo"], slope)
            self.assertGreater(got["hi"], slope)
            self.assertEqual(got["degenerate_resamples"], 0)
        # generated with 40 and 25 ns per VMA (and jitter)
        self.assertEqual(c["slope_ns_per_vma"]["model"], "least squares")
        self.assertLess(abs(c["slope_ns_per_vma"]["base"]["estimate"] - 40), 1)
        self.assertLess(abs(c["slope_ns_per_vma"]["patched"]["estimate"] - 25), 1)
        ch = c["slope_ns_per_vma"]["change"]
        self.assertAlmostEqual(ch["estimate"], c["slope_ns_per_vma"]["patched"]["estimate"] -
                               c["slope_ns_per_vma"]["base"]["estimate"], places=9)
        self.assertLess(ch["hi"], 0)
        self.assertLess(ch["lo"], ch["estimate"])
        for row in c["window_by_vmas"] + [c["window_all"]]:
            for q in ("p50_ns", "p99_ns"):
                self.assertEqual(row["change"][q]["estimate"],
                                 row["patched"][q]["estimate"] - row["base"][q]["estimate"])

    def test_only_comms(self):
        c = self.compare_json("--comm", "storm,cron", "base.dat", "patched.dat")
        self.assertEqual(c["only_comms"], "storm,cron")
        for side in ("base", "patched"):
            t = [f for f in truth(side) if f["comm"] in ("storm", "cron")]
            self.assertEqual(c[side]["forks"], len(t))
            self.assertEqual(c[side]["forks"], 64)
            slope, _ = ols([(f["vmas"], f["window_ns"]) for f in t])
            self.assertAlmostEqual(c["slope_ns_per_vma"][side]["estimate"], slope, places=6)
        self.assertNotIn("300", [r["vmas_max"] for r in c["window_by_vmas"]])
        self.assertEqual(c["window_by_vmas"][-1]["vmas_min"], 128)
        text = run("compare", "--comm", "storm,cron", "base.dat", "patched.dat", tc=self).stdout
        self.assertIn("\nParents:    only the forks of storm,cron (--comm)\n", text)
        p = run("compare", "--comm", "nobody", "base.dat", "patched.dat", tc=self)
        self.assertIn("Forks:      base 0, patched 0", p.stdout)

    def test_reproducible_and_seeded(self):
        a = run("compare", "--format", "json", "base.dat", "patched.dat", tc=self).stdout
        b = run("compare", "--format", "json", "base.dat", "patched.dat", tc=self).stdout
        self.assertEqual(a, b)
        c = json.loads(run("compare", "--format", "json", "--seed", "2", "base.dat", "patched.dat",
                           tc=self).stdout)
        a = json.loads(a)
        self.assertEqual(c["slope_ns_per_vma"]["base"]["estimate"],
                         a["slope_ns_per_vma"]["base"]["estimate"])
        self.assertNotEqual(c["slope_ns_per_vma"]["base"]["lo"], a["slope_ns_per_vma"]["base"]["lo"])
        d = json.loads(run("compare", "--format", "json", "--bootstrap", "500", "base.dat",
                           "patched.dat", tc=self).stdout)
        self.assertEqual(d["method"]["replicates"], 500)

    def test_itself(self):
        c = self.compare_json("base.dat", "base.dat")
        for row in c["window_by_vmas"] + [c["window_all"]]:
            self.assertEqual(row["base"], row["patched"])
            for q in ("p50_ns", "p99_ns"):
                self.assertEqual(row["change"][q]["estimate"], 0)
                self.assertLessEqual(row["change"][q]["lo"], 0)
                self.assertGreaterEqual(row["change"][q]["hi"], 0)
        sl = c["slope_ns_per_vma"]
        self.assertEqual(sl["base"], sl["patched"])
        self.assertEqual(sl["change"]["estimate"], 0)
        self.assertLess(sl["change"]["lo"], 0)
        self.assertGreater(sl["change"]["hi"], 0)
        text = run("compare", "base.dat", "base.dat", tc=self).stdout
        self.assertRegex(text, r"\n    change +\+0\.0 \[-[\d.]+, \+[\d.]+\]\n")

    def test_json_side(self):
        """A JSON report (with --forks) on a side gives the same numbers as its trace."""
        with open(os.path.join(tmp, "base.json"), "w") as f:
            f.write(run("report", "--format", "json", "--forks", "base.dat", tc=self).stdout)
        a = self.compare_json("base.dat", "patched.dat")
        b = self.compare_json("base.json", "patched.dat")
        self.assertEqual(b["base"]["format"], "json")
        for k in ("base", "patched"):
            for x in (a, b):
                del x[k]["input"], x[k]["format"]
        self.assertEqual(a, b)

    def test_different_workloads(self):
        p = run("compare", "base.dat", "other.dat", code=15, tc=self)
        self.assertEqual(p.stdout, "")
        self.assertEqual(p.stderr, "forklock compare: error: different workloads: base ran "
                         "'storm-driver --rounds 3', patched 'other-driver' "
                         "(--force compares them anyway)\n")
        c = self.compare_json("--force", "base.dat", "other.dat")
        self.assertEqual(c["workload"], {"same": False, "forced": True, "by": "command"})
        # every fork of "other" locked 30 VMAs: no intercept; both through the origin
        sl = c["slope_ns_per_vma"]
        self.assertEqual(sl["model"], "least squares through the origin")
        for side in ("base", "other"):
            t = truth(side)
            want = sum(f["vmas"] * f["window_ns"] for f in t) / sum(f["vmas"] ** 2 for f in t)
            got = sl["base" if side == "base" else "patched"]
            self.assertAlmostEqual(got["estimate"], want, places=6)
            self.assertIsNone(got["intercept_ns"])
        text = run("compare", "--force", "base.dat", "other.dat", tc=self).stdout
        self.assertIn("DIFFERENT recorded commands, compared because of --force", text)
        self.assertIn("least squares through the origin", text)

    def test_workload_by_comms(self):
        """Without a recorded command (fork.dat has no snapshot) the workload
        is the set of forking comms."""
        p = run("compare", "base.dat", "fork.dat", code=15, tc=self)
        self.assertEqual(p.stderr, "forklock compare: error: different workloads: base forked "
                         "from 'server, storm', patched 'forker' (--force compares them "
                         "anyway)\n")
        # (cron made 4 of the 84 forks: less than 5%)

    def test_bad_input(self):
        full = os.path.join(tmp, "base.dat")
        with open(full, "rb") as f:
            data = f.read()
        with open(os.path.join(tmp, "cut.dat"), "wb") as f:
            f.write(data[:len(data) // 2])
        with open(os.path.join(tmp, "junk.dat"), "w") as f:
            f.write("not a trace\n" * 20)
        rep = run("report", "--format", "json", "--forks", "base.dat", tc=self).stdout
        with open(os.path.join(tmp, "cut.json"), "w") as f:
            f.write(rep[:len(rep) // 2])
        with open(os.path.join(tmp, "noforks.json"), "w") as f:
            f.write(run("report", "--format", "json", "base.dat", tc=self).stdout)
        with open(os.path.join(tmp, "badfork.json"), "w") as f:
            r = json.loads(rep)
            r["forks"][3]["window_ns"] = "soon"
            json.dump(r, f)
        for args, code, msg in (
                (("base.dat", "cut.dat"), 12, r"cut\.dat is truncated"),
                (("cut.dat", "base.dat"), 12, r"cut\.dat is truncated"),
                (("base.dat", "junk.dat"), 11, r"junk\.dat is not a trace\.dat file"),
                (("base.dat", "nope.dat"), 10, r"cannot open nope\.dat: No such file"),
                (("cut.json", "base.dat"), 12, r"cut\.json is truncated: the JSON ends"),
                (("base.dat", "noforks.json"), 13, r"noforks\.json has no per-fork data"),
                (("base.dat", "badfork.json"), 11, r"badfork\.json: fork 3: \"window_ns\" is "
                                                   r"not an integer"),
                (("base.dat",), 2, r"compare needs two files"),
                (("--bootstrap", "9", "base.dat", "base.dat"), 2, r"--bootstrap needs a number "
                                                                 r"from 10 to 1000000, not '9'")):
            p = run("compare", *args, code=code, tc=self)
            self.assertEqual(p.stdout, "", args)
            lines = p.stderr.splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertRegex(lines[0], r"^forklock compare: error: " + msg)


class Merge(Golden):
    @classmethod
    def setUpClass(cls):
        for v in ("base", "patched", "fork"):
            p = run("report", "--format", "json", "--forks", "--policy", POLICIES, v + ".dat")
            assert p.returncode == 0, p.stderr
            with open(os.path.join(tmp, v + ".json"), "w") as f:
                f.write(p.stdout)

    def test_equals_report_of_all(self):
        files = ("base", "patched", "fork")
        m = run("merge", "--format", "json", "--forks", *[f + ".json" for f in files],
                tc=self).stdout
        r = run("report", "--format", "json", "--forks", "--policy", POLICIES,
                *[f + ".dat" for f in files], tc=self).stdout
        mj, rj = json.loads(m), json.loads(r)
        self.assertEqual(set(mj), set(rj) | {"hosts"})
        for k in rj:
            self.assertEqual(mj[k], rj[k], k)
        # byte for byte, but for the hosts
        self.assertEqual(m[:m.rindex(',\n  "hosts"')] + "\n}\n", r)
        self.assertEqual([h["host"] for h in mj["hosts"]], list(files))
        for h, f in zip(mj["hosts"], files):
            one = json.loads(run("report", "--format", "json", "--policy", POLICIES, f + ".dat",
                                 tc=self).stdout)
            self.assertEqual(h["forks"], one["summary"]["forks"])
            self.assertEqual(h["vma_locks"], one["summary"]["vma_locks"])
            self.assertEqual(h["window_ns"], one["summary"]["window_ns"])
            self.assertEqual(h["report"], f + ".json")
        # the same without --forks
        m = json.loads(run("merge", "--format", "json", *[f + ".json" for f in files],
                           tc=self).stdout)
        r = json.loads(run("report", "--format", "json", "--policy", POLICIES,
                           *[f + ".dat" for f in files], tc=self).stdout)
        self.assertEqual(m["summary"], r["summary"])
        self.assertEqual(m["policies"], r["policies"])
        self.assertNotIn("forks", m)

    def test_text_and_mail(self):
        t = run("merge", "base.json", "patched.json", tc=self).stdout
        self.assertRegex(t, r"^forklock merge: 2 reports, one line each\n  host +kernel")
        self.assertRegex(t, r"\n  base +6\.18\.0 +1 +84 +76\.2% +10390 ")
        m = run("merge", "--format", "mail", "base.json", "patched.json", tc=self).stdout
        self.mail_form(m)
        self.golden("merge-storm.mail", m)
        rep = json.loads(run("merge", "--format", "json", "base.json", "patched.json",
                             tc=self).stdout)
        body = m[m.index("forklock report:"):]
        self.assertGreater(mailcheck.check_against_json(self, body, rep), 80)

    def test_kprobe_tier(self):
        """The kprobe members of a fork, a trace and the summary survive a
        merge.  The percentiles of the timed VMA lock waits need each wait:
        the report carries them ("vma_lock_wait_ns", the values
        tests/docs/report-schema-kprobe.desc gives) and the merged report
        equals that of the traces; a report without them is refused."""
        desc = os.path.join(HERE, "..", "docs", "report-schema-kprobe.desc")
        subprocess.run([MKFIXTURE, desc, os.path.join(tmp, "kp.dat")], check=True)
        rep = run("report", "--format", "json", "--forks", "kp.dat", tc=self).stdout
        r = json.loads(rep)
        self.assertEqual([f["kprobe"]["vma_lock_waits"] for f in r["forks"]], [2, 1])
        self.assertEqual([f["kprobe"]["vma_lock_wait_ns"] for f in r["forks"]], [[100, 4000], [60]])
        with open(os.path.join(tmp, "kpw.json"), "w") as f:
            f.write(rep)
        for f in r["forks"]:
            del f["kprobe"]["vma_lock_wait_ns"]
        with open(os.path.join(tmp, "kp.json"), "w") as f:
            json.dump(r, f)
        p = run("merge", "kp.json", code=13, tc=self)
        self.assertEqual(p.stderr, "forklock merge: error: kp.json: fork 0: its 2 timed VMA lock "
                         "waits are not in the report, one by one: their percentiles cannot be "
                         "summed again\n")
        # the same file twice is refused (it would count twice): a copy of each
        shutil.copyfile(os.path.join(tmp, "kp.dat"), os.path.join(tmp, "kp2.dat"))
        with open(os.path.join(tmp, "kpw2.json"), "w") as f:
            f.write(run("report", "--format", "json", "--forks", "kp2.dat", tc=self).stdout)
        m = json.loads(run("merge", "--format", "json", "--forks", "kpw.json", "kpw2.json",
                           tc=self).stdout)
        both = json.loads(run("report", "--format", "json", "--forks", "kp.dat", "kp2.dat",
                              tc=self).stdout)
        for k in both:
            self.assertEqual(m[k], both[k], k)
        self.assertEqual(m["summary"]["kprobe"]["vma_lock_waits"], 6)
        self.assertEqual(m["summary"]["kprobe"]["vma_lock_wait_ns"],
                         {"p50": 100, "p99": 4000, "max": 4000})
        self.assertIsNotNone(m["summary"]["dup_probe"])
        self.assertEqual(m["traces"][0]["probes"], both["traces"][0]["probes"])

    def test_refusals(self):
        with open(os.path.join(tmp, "noforks.json"), "w") as f:
            f.write(run("report", "--format", "json", "base.dat", tc=self).stdout)
        with open(os.path.join(tmp, "one-policy.json"), "w") as f:
            f.write(run("report", "--format", "json", "--forks", "--policy", "single-user",
                        "patched.dat", tc=self).stdout)
        with open(os.path.join(tmp, "cost.json"), "w") as f:
            f.write(run("report", "--format", "json", "--forks", "--policy", POLICIES,
                        "--lock-cost-ns", "50", "patched.dat", tc=self).stdout)
        r = json.loads(open(os.path.join(tmp, "patched.json")).read())
        r["summary"]["forks"] += 1
        with open(os.path.join(tmp, "edited.json"), "w") as f:
            json.dump(r, f)
        r = json.loads(open(os.path.join(tmp, "patched.json")).read())
        r["policies"]["single-user"]["skipped_locks"] -= 10
        with open(os.path.join(tmp, "edited2.json"), "w") as f:
            json.dump(r, f)
        for args, code, msg in (
                (("base.json", "noforks.json"), 13, r"noforks\.json has no per-fork data: make it "
                                                    r"with 'forklock report --format json --forks'"),
                (("base.json", "one-policy.json"), 15, r"one-policy\.json was judged by other "
                                                       r"policies than base\.json"),
                (("base.json", "cost.json"), 15, r"cost\.json was made with a lock cost of 50 ns"),
                (("base.json", "edited.json"), 11, r"edited\.json: its summary does not match its "
                                                   r"forks: summary\.forks is 85, the forks say 84"),
                (("base.json", "edited2.json"), 11, r"edited2\.json: policy single-user's results "
                                                    r"do not match"),
                (("base.json", "base.dat"), 11, r"base\.dat is not a forklock JSON report"),
                ((), 2, r"merge needs at least one REPORT\.json")):
            p = run("merge", *args, code=code, tc=self)
            self.assertEqual(p.stdout, "", args)
            lines = p.stderr.splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertRegex(lines[0], r"^forklock merge: error: " + msg)


def svg_tree(tc, path):
    root = ET.parse(path).getroot()
    tc.assertEqual(root.tag, SVG + "svg")
    text = open(path).read()
    # self-contained: nothing fetched, nothing run
    for bad in ("href", "<script", "url(", "@import", "<image", "<foreignObject"):
        tc.assertNotIn(bad, text)
    return root


def circles(root):
    return [c for c in root.iter() if c.get("class") == "fork"]	# circles, squares


def bars(root):
    return [r for r in root.iter(SVG + "rect") if r.get("class") == "bar"]


class Svg(unittest.TestCase):
    def test_report(self):
        svg = os.path.join(tmp, "base.svg")
        p = run("report", "--format", "json", "--forks", "--policy", POLICIES, "--svg", svg,
                "base.dat", tc=self)
        rep = json.loads(p.stdout)
        root = svg_tree(self, svg)
        judged = [f for f in rep["forks"] if f["policies"]]
        self.assertEqual(int(root.get("data-forks")), len(judged))
        dots = circles(root)
        self.assertEqual(len(dots), len(judged))
        self.assertEqual(sum(int(b.get("data-count")) for b in bars(root)), len(judged))
        # colours: the single-user decisions (series 0 lock ... 4 skip unsafe)
        series = {"lock": 0, "undecided": 1}
        want = [0] * 5
        for f in judged:
            d = f["policies"]["single-user"]
            k = series.get(d["decision"]) if d["decision"] != "skip" else \
                {"safe": 2, "unknown": 3, "unsafe": 4}[d["safety"]]
            want[k] += 1
        got = [0] * 5
        for c in dots:
            got[int(c.get("data-series"))] += 1
        self.assertEqual(got, want)
        self.assertEqual(want, [20, 0, 63, 1, 0])
        got = [0] * 5
        for b in bars(root):
            got[int(b.get("data-series"))] += int(b.get("data-count"))
        self.assertEqual(got, want)
        legend = [t.text for t in root.iter(SVG + "text") if t.text and "(" in t.text]
        self.assertIn("skip, safe (63)", legend)
        self.assertIn("colour: the decision of policy single-user",
                      root.find(SVG + "desc").text)

    def test_report_other_policy_and_errors(self):
        svg = os.path.join(tmp, "acow.svg")
        run("report", "--policy", POLICIES, "--svg", svg, "--svg-policy", "anon-cow-only",
            "base.dat", tc=self)
        root = svg_tree(self, svg)
        got = [0] * 5
        for c in circles(root):
            got[int(c.get("data-series"))] += 1
        # anon-cow-only skips the server's 5 MAP_SHARED VMAs (one fork of
        # unknown safety: its sibling faulted), locks the rest
        self.assertEqual(got, [64, 0, 19, 1, 0])
        p = run("report", "--svg", svg, "--svg-policy", "nope", "base.dat", code=2, tc=self)
        self.assertEqual(p.stderr, "forklock report: error: --svg-policy nope: no such policy "
                         "loaded\n")
        p = run("report", "--svg", "/nonexistent/dir/x.svg", "base.dat", code=5, tc=self)
        self.assertRegex(p.stderr, r"^forklock report: error: cannot create /nonexistent/dir/x\.svg")
        self.assertEqual(p.stdout, "")

    def test_compare_and_merge(self):
        svg = os.path.join(tmp, "cmp.svg")
        run("compare", "--svg", svg, "base.dat", "patched.dat", tc=self)
        root = svg_tree(self, svg)
        dots = circles(root)
        self.assertEqual(len(dots), len(truth("base")) + len(truth("patched")))
        self.assertEqual(sum(1 for c in dots if c.get("data-series") == "1"), len(truth("patched")))
        fits = [l for l in root.iter(SVG + "path") if l.get("class") == "fit"]
        self.assertEqual(sorted(l.get("data-series") for l in fits), ["0", "1"])
        self.assertEqual(sum(int(b.get("data-count")) for b in bars(root)), len(dots))
        for v in ("base", "patched"):
            p = run("report", "--format", "json", "--forks", "--policy", POLICIES, v + ".dat",
                    tc=self)
            with open(os.path.join(tmp, v + ".json"), "w") as f:
                f.write(p.stdout)
        svg = os.path.join(tmp, "merge.svg")
        run("merge", "--svg", svg, "base.json", "patched.json", tc=self)
        self.assertEqual(len(circles(svg_tree(self, svg))), 168)


if __name__ == "__main__":
    unittest.main(verbosity=2)
