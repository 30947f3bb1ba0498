#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Mail, compare, merge and --svg on real recordings of this kernel (root,
tracefs): the mail output of a recording is 72 columns of ASCII and says
what its JSON report says; compare sees a storm at 100 and at 1000 extra
VMAs apart and a recording equal to itself; merge of three hosts' reports
is the report of their three traces."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import fltest
import mailcheck
from fltest import FORKLOCK, LiveTest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from flcommon import nearest_rank, ols  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


def forklock(*args):
    return subprocess.run([FORKLOCK, *args], capture_output=True, text=True, timeout=600)


def complete(rep):
    return [f for f in rep["forks"] if not f["partial"] and not f["aborted"]]


class Mail(LiveTest):
    def test_mail_is_the_json(self):
        _, truth, _ = self.record(self.workload("storm", "--forks", 30, "--vmas", 60))
        p = forklock("report", "--format", "mail", self.path("t.dat"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        self.assertEqual(mailcheck.form_problems(p.stdout), [])
        rep = self.report_json("t.dat", forks=False)
        self.assertGreater(mailcheck.check_against_json(self, p.stdout, rep), 60)
        self.assertIn("\nKernel:     %s (bpf tier," % os.uname().release, p.stdout)
        self.assertGreaterEqual(rep["summary"]["single_threaded_forks"], 30)
        # the command lines that produced it: the recorded command (wrapped
        # with " \") and this report's own command line
        lines = mailcheck.logical_lines(p.stdout)
        workload = [l for l in lines if l.startswith("Workload:")][0]
        self.assertTrue(workload.endswith("storm --forks 30 --vmas 60"), workload)
        t = self.path("t.dat")
        # forklock record's own command line, as LiveTest.record() ran it
        self.assertEqual(mailcheck.command_lines(p.stdout), [
            ["forklock", "record", "-f", "-o", t, "--", fltest.WORKLOAD, "storm", "--forks", "30",
             "--vmas", "60"],
            ["forklock", "report", "--format", "mail", t]])

    def test_svg_one_dot_per_fork(self):
        self.record(self.workload("storm", "--forks", 25, "--vmas", 40, "--threads", 2,
                                  "--siblings", "idle"))
        svg = self.path("t.svg")
        p = forklock("report", "--format", "json", "--forks", "--svg", svg, self.path("t.dat"))
        self.assertEqual(p.returncode, 0, p.stderr)
        rep = json.loads(p.stdout)
        root = ET.parse(svg).getroot()
        dots = [c for c in root.iter() if c.get("class") == "fork"]	# circles, squares
        self.assertEqual(len(dots), len(complete(rep)))
        self.assertGreaterEqual(len(dots), 25)
        # the storm's 25 forks had 2 threads: single-user locks them (series 0)
        locked = sum(1 for f in complete(rep) if f["policies"]["single-user"]["decision"] == "lock")
        self.assertEqual(sum(1 for c in dots if c.get("data-series") == "0"), locked)
        self.assertGreaterEqual(locked, 25)


class Compare(LiveTest):
    F = 60

    def storms(self):
        self.record(self.workload("storm", "--forks", self.F, "--vmas", 100), out="v100.dat")
        self.record(self.workload("storm", "--forks", self.F, "--vmas", 1000), out="v1000.dat")

    def test_100_against_1000_vmas(self):
        self.storms()
        a, b = self.path("v100.dat"), self.path("v1000.dat")
        # different commands: refused, one line, exit 15
        p = forklock("compare", a, b)
        self.assertEqual(p.returncode, 15, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertEqual(len(p.stderr.splitlines()), 1)
        self.assertRegex(p.stderr, r"^forklock compare: error: different workloads: base ran "
                         r"'forklock-workload storm --forks %d --vmas 100', patched "
                         r"'forklock-workload storm --forks %d --vmas 1000' \(--force compares "
                         r"them anyway\)\n$" % (self.F, self.F))
        # --comm: only the storm's forks, not those of whatever else forked
        # on this machine meanwhile
        p = forklock("compare", "--force", "--format", "json", "--comm", "forklock-worklo", a, b)
        self.assertEqual(p.returncode, 0, p.stderr)
        c = json.loads(p.stdout)
        self.assertEqual(c["only_comms"], "forklock-worklo")
        ra, rb = self.report_json("v100.dat"), self.report_json("v1000.dat")
        # the storm's forks each locked the same number of VMAs, so the slope
        # is fitted through the origin: sum(x*y) / sum(x*x)
        self.assertEqual(c["slope_ns_per_vma"]["model"], "least squares through the origin")
        for side, rep in (("base", ra), ("patched", rb)):
            forks = [f for f in complete(rep) if f["comm"] == "forklock-worklo"]
            self.assertEqual(len(forks), self.F)
            self.assertEqual(len({f["vmas_locked"] for f in forks}), 1)
            self.assertEqual(c[side]["forks"], len(forks))
            self.assertEqual(c[side]["vma_locks"], sum(f["vmas_locked"] for f in forks))
            self.assertEqual(c[side]["kernel"], os.uname().release)
            # buckets: the storm's forks all in one, their nearest-rank p50/p99
            w = sorted(f["window_ns"] for f in forks)
            rows = [r for r in c["window_by_vmas"] if r[side]["forks"]]
            self.assertEqual(len(rows), 1)
            self.assertEqual(rows[0][side]["forks"], self.F)
            self.assertLessEqual(rows[0]["vmas_min"], forks[0]["vmas_locked"])
            self.assertEqual(rows[0][side]["p50_ns"]["estimate"], nearest_rank(w, 0.5))
            self.assertEqual(rows[0][side]["p99_ns"]["estimate"], nearest_rank(w, 0.99))
            want = sum(f["vmas_locked"] * f["window_ns"] for f in forks) / \
                sum(f["vmas_locked"] ** 2 for f in forks)
            got = c["slope_ns_per_vma"][side]
            self.assertAlmostEqual(got["estimate"] / want, 1, places=9)
            self.assertLess(got["lo"], got["estimate"])
            self.assertGreater(got["hi"], got["estimate"])
        big = [r for r in c["window_by_vmas"] if r["vmas_min"] == 1024][0]
        self.assertGreaterEqual(big["patched"]["forks"], self.F)
        # the change of the slope, with its interval
        ch = c["slope_ns_per_vma"]["change"]
        self.assertAlmostEqual(ch["estimate"], c["slope_ns_per_vma"]["patched"]["estimate"] -
                               c["slope_ns_per_vma"]["base"]["estimate"],
                               delta=1e-6 * abs(ch["estimate"]) + 1e-6)
        self.assertLess(ch["lo"], ch["estimate"])
        self.assertGreater(ch["hi"], ch["estimate"])
        # the windows at 1000 VMAs are longer than at 100
        self.assertGreater(c["window_all"]["change"]["p50_ns"]["lo"], 0)
        text = forklock("compare", "--force", "--format", "mail", "--comm", "forklock-worklo",
                        a, b)
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertEqual(mailcheck.form_problems(text.stdout), [])
        self.assertRegex(text.stdout, r"\n    change +[+-]\d+\.\d \[[+-]\d+\.\d, [+-]\d+\.\d\]\n")

    def test_itself_and_corrupt(self):
        self.record(self.workload("storm", "--forks", self.F, "--vmas", 100), out="v100.dat")
        a = self.path("v100.dat")
        c = json.loads(forklock("compare", "--format", "json", a, a).stdout)
        self.assertEqual(c["workload"]["same"], True)
        for row in c["window_by_vmas"] + [c["window_all"]]:
            self.assertEqual(row["base"], row["patched"])
            self.assertEqual(row["change"]["p50_ns"]["estimate"], 0)
            self.assertEqual(row["change"]["p99_ns"]["estimate"], 0)
        self.assertEqual(c["slope_ns_per_vma"]["change"]["estimate"], 0)
        # a corrupt side: cut short, then garbage
        with open(a, "rb") as f:
            data = f.read()
        cut = self.path("cut.dat")
        with open(cut, "wb") as f:
            f.write(data[:len(data) * 2 // 3])
        p = forklock("compare", a, cut)
        self.assertEqual(p.returncode, 12, p.stderr)
        self.assertEqual(p.stdout, "")
        self.assertRegex(p.stderr, r"^forklock compare: error: %s is truncated[^\n]*\n$"
                         % cut.replace(".", r"\."))
        junk = self.path("junk.dat")
        with open(junk, "wb") as f:
            f.write(b"\0" * 4096)
        p = forklock("compare", junk, a)
        self.assertEqual(p.returncode, 11, p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1)

    def test_least_squares_of_a_mix(self):
        """Storms at 100 and 1000 VMAs in one recording: each side has two
        VMA counts, and the slope is least squares with an intercept."""
        w = fltest.WORKLOAD
        self.record(["sh", "-c", "%s storm --forks 40 --vmas 100 >/dev/null && "
                     "%s storm --forks 40 --vmas 1000 >/dev/null" % (w, w)], out="mix.dat")
        a = self.path("mix.dat")
        p = forklock("compare", "--format", "json", "--comm", "forklock-worklo", a, a)
        self.assertEqual(p.returncode, 0, p.stderr)
        c = json.loads(p.stdout)
        self.assertEqual(c["slope_ns_per_vma"]["model"], "least squares")
        rep = self.report_json("mix.dat")
        forks = [f for f in complete(rep) if f["comm"] == "forklock-worklo"]
        self.assertEqual(len(forks), 80)
        self.assertEqual(c["base"]["forks"], 80)
        want, _ = ols([(f["vmas_locked"], f["window_ns"]) for f in forks])
        got = c["slope_ns_per_vma"]["base"]
        self.assertAlmostEqual(got["estimate"] / want, 1, places=9)
        self.assertLess(got["lo"], got["estimate"])
        self.assertGreater(got["hi"], got["estimate"])
        self.assertGreater(got["estimate"], 0)


class Merge(LiveTest):
    def test_three_hosts(self):
        w = fltest.WORKLOAD
        self.record(self.workload("storm", "--forks", 30, "--vmas", 50), out="a.dat")
        self.record(self.workload("storm", "--forks", 20, "--vmas", 200, "--threads", 3,
                                  "--siblings", "fault"), out="b.dat")
        self.record(["sh", "-c", "%s storm --forks 5 >/dev/null && exec %s uffd --forks 10"
                     % (w, w)], out="c.dat")
        reports = []
        for n in ("a", "b", "c"):
            p = forklock("report", "--format", "json", "--forks", self.path(n + ".dat"))
            self.assertEqual(p.returncode, 0, p.stderr)
            reports.append(self.path(n + ".json"))
            with open(reports[-1], "w") as f:
                f.write(p.stdout)
        m = forklock("merge", "--format", "json", "--forks", *reports)
        self.assertEqual(m.returncode, 0, m.stderr)
        mj = json.loads(m.stdout)
        rj = self.report_json("a.dat", "b.dat", "c.dat")
        self.assertEqual(set(mj), set(rj) | {"hosts"})
        for k in ("schema", "trace", "traces", "summary", "lock_cost", "policies", "forks"):
            self.assertEqual(mj[k], rj[k], k)
        for k, v in rj["summary"].items():
            self.assertEqual(mj["summary"][k], v, "summary." + k)
        for name, pol in rj["policies"].items():
            for k, v in pol.items():
                self.assertEqual(mj["policies"][name][k], v, "policies.%s.%s" % (name, k))
        self.assertEqual([h["host"] for h in mj["hosts"]], ["a", "b", "c"])
        self.assertEqual(sum(h["forks"] for h in mj["hosts"]), rj["summary"]["forks"])
        self.assertGreaterEqual(rj["summary"]["forks"], 65)
        self.assertGreaterEqual(rj["summary"]["multi_threaded_forks"], 20)
        # text and mail
        t = forklock("merge", *reports)
        self.assertEqual(t.returncode, 0, t.stderr)
        self.assertRegex(t.stdout, r"^forklock merge: 3 reports, one line each\n")
        mail = forklock("merge", "--format", "mail", *reports)
        self.assertEqual(mail.returncode, 0, mail.stderr)
        self.assertEqual(mailcheck.form_problems(mail.stdout), [])
        body = mail.stdout[mail.stdout.index("forklock report:"):]
        self.assertGreater(mailcheck.check_against_json(self, body, rj), 80)


if __name__ == "__main__":
    fltest.main()
