#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The SVG plots of report, compare and merge on generated fixtures (no
kernel), read back as XML (svgcheck.py): every marker inside its frame,
axes that fit the data and ticks that cover it, a log window axis for the
heavy-tailed fixture only, a legend naming every series, a title naming
the trace, kernel, tier, host and workload, lost data marked, hostile
strings escaped, merged hosts in colours of their own."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import svgcheck

HERE = os.path.dirname(os.path.abspath(__file__))
FORKLOCK = os.environ.get("FORKLOCK", "forklock")
MKFIXTURE = os.environ.get("MKFIXTURE", "mkfixture")
POLICY_SERIES = ["lock", "undecided", "skip, safe", "skip, unknown safety", "skip, unsafe"]
tmp = None


def setUpModule():
    global tmp
    tmp = tempfile.mkdtemp(prefix="forklock-svg-")
    for v in ("base", "patched", "tail", "hostile", "narrow"):
        desc = os.path.join(tmp, v + ".desc")
        subprocess.run([sys.executable, os.path.join(HERE, "genstorm.py"), v, desc], check=True)
        subprocess.run([MKFIXTURE, desc, os.path.join(tmp, v + ".dat")], check=True)


def tearDownModule():
    shutil.rmtree(tmp, ignore_errors=True)


def truth(variant):
    out = subprocess.run([sys.executable, os.path.join(HERE, "genstorm.py"), "--forks", variant],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def run(tc, *args, code=0):
    p = subprocess.run([FORKLOCK, *args], capture_output=True, text=True, cwd=tmp, timeout=300)
    tc.assertEqual(p.returncode, code, p.stderr)
    return p


def plot(tc, name, *args):
    """forklock ARGS --svg NAME.svg: the parsed plot, checked for every property."""
    svg = os.path.join(tmp, name + ".svg")
    p = run(tc, args[0], "--svg", svg, *args[1:])
    root = svgcheck.parse(svg)
    return root, p


class Report(unittest.TestCase):
    def test_properties_and_title(self):
        root, p = plot(self, "base", "report", "--format", "json", "--forks", "base.dat")
        self.assertEqual(svgcheck.problems(root, POLICY_SERIES), [])
        rep = json.loads(p.stdout)
        dots = svgcheck.forks(root)
        self.assertEqual(len(dots), 84)
        self.assertTrue(svgcheck.position_is_monotonic(dots))
        # each fork's marker holds its own numbers, in the replay's order
        want = sorted((f["vmas_locked"], f["window_ns"]) for f in rep["forks"] if f["policies"])
        self.assertEqual(sorted((d["vmas"], d["window_ns"]) for d in dots), want)
        self.assertEqual(want, sorted((f["vmas"], f["window_ns"]) for f in truth("base")))
        # the axes fit the data: VMAs 10..300, windows 3.4..15.6 us, linear
        scale, lo, hi, ticks = svgcheck.axis(root, "x")
        self.assertEqual((scale, lo, hi), ("linear", 0, 300))
        scale, lo, hi, ticks = svgcheck.axis(root, "y")
        self.assertEqual(scale, "linear")
        self.assertGreater(lo, 0)		# not from 0: the least window is 3.4 us
        self.assertLessEqual(lo, min(d["window_ns"] for d in dots))
        self.assertLess(hi - max(d["window_ns"] for d in dots), 2500)
        self.assertEqual(svgcheck.axis(root, "bins")[:3], (scale, lo, hi))
        # the title: what, which trace, kernel, tier, host, workload, forks
        self.assertEqual(svgcheck.texts(root, "title"), ["forklock report: base.dat"])
        sub = svgcheck.texts(root, "subtitle")
        self.assertEqual(sub[0], "kernel 6.18.0 | tier tracepoint | host fixture | "
                                 "84 forks plotted")
        self.assertEqual(sub[1], "workload: storm-driver --rounds 3")
        self.assertEqual(root.find(svgcheck.NS + "title").text, "forklock report: base.dat")
        # the legend: every colour with its count; the markers' meaning
        quality = [f["vmas_locked_quality"] for f in rep["forks"] if f["policies"]]
        self.assertEqual(svgcheck.legend(root), {
            "lock": 20, "undecided": 0, "skip, safe": 63, "skip, unknown safety": 1,
            "skip, unsafe": 0, "counted from the trace": quality.count("exact"),
            "estimated (not sure)": quality.count("estimated"), "events lost": 1})
        self.assertEqual(quality.count("kernel"), 0)
        self.assertEqual(sorted(d["from"] for d in dots),
                         sorted({"exact": "counted", "estimated": "estimated"}[q]
                                for q in quality))
        # the storm's eighth fork lost 3 events: its VMA count is an
        # estimate (hollow), its window is marked, the title says so
        lost = [d for d in dots if d["flag"]]
        self.assertEqual(len(lost), 1)
        self.assertEqual((lost[0]["flag"], lost[0]["from"], lost[0]["vmas"]),
                         ("lost", "estimated", 150))
        self.assertEqual(lost[0]["fill"], "#ffffff")
        flags = [e for e in root.iter(svgcheck.NS + "path") if e.get("class") == "flag"]
        self.assertEqual(len(flags), 1)
        self.assertEqual(svgcheck.texts(root, "warning"), [
            "data lost: 3 events lost in the recording: forks marked x had their window cut "
            "or lost events"])
        jlost = [f for f in rep["forks"] if f["lost_events"]]
        self.assertEqual(len(jlost), 1)
        self.assertEqual(jlost[0]["vmas_locked_quality"], "estimated")

    def test_narrow_range_is_not_drawn_from_zero(self):
        # the issue: every dot at 224-230 VMAs on a 0-250 axis
        root, _ = plot(self, "narrow", "report", "narrow.dat")
        self.assertEqual(svgcheck.problems(root, POLICY_SERIES), [])
        dots = svgcheck.forks(root)
        self.assertEqual(sorted(d["vmas"] for d in dots),
                         sorted(f["vmas"] for f in truth("narrow")))
        scale, lo, hi, ticks = svgcheck.axis(root, "x")
        self.assertEqual((scale, lo, hi), ("linear", 224, 230))
        self.assertEqual([t[2] for t in ticks], [str(v) for v in range(224, 231)])
        # the dots spread over the plot's width, not in a sliver of it
        x0, _, x1, _ = svgcheck.frame(root, "scatter")
        xs = [d["cx"] for d in dots]
        self.assertGreater(max(xs) - min(xs), 0.9 * (x1 - x0))
        windows = [d["window_ns"] for d in dots]
        scale, lo, hi, _ = svgcheck.axis(root, "y")
        self.assertEqual(scale, "linear")
        self.assertGreater(lo, 0.5 * min(windows))
        ys = [d["cy"] for d in dots]
        _, y0, _, y1 = svgcheck.frame(root, "scatter")
        self.assertGreater(max(ys) - min(ys), 0.3 * (y1 - y0))

    def test_heavy_tail_gets_a_log_axis(self):
        root, _ = plot(self, "tail", "report", "tail.dat")
        self.assertEqual(svgcheck.problems(root, POLICY_SERIES), [])
        dots = svgcheck.forks(root)
        windows = [d["window_ns"] for d in dots]
        self.assertGreater(max(windows) / min(windows), 100)
        scale, lo, hi, ticks = svgcheck.axis(root, "y")
        self.assertEqual(scale, "log")
        self.assertEqual(svgcheck.axis(root, "bins")[0], "log")
        self.assertLessEqual(lo, min(windows))
        self.assertGreaterEqual(hi, max(windows))
        self.assertLess(svgcheck.log_decades(lo, hi), svgcheck.log_decades(min(windows),
                                                                           max(windows)) + 1.5)
        # each tick in its own unit, the axis says it is logarithmic
        labels = [t[2] for t in ticks]
        self.assertIn("10 us", labels)
        self.assertIn("1 ms", labels)
        self.assertIn("oldmm write window (log scale)", [
            "".join(t.itertext()) for t in root.iter(svgcheck.NS + "text")])
        # the tail's forks are high up, the rest in the lower part
        y0, y1 = svgcheck.frame(root, "scatter")[1::2]
        for d in dots:
            if d["window_ns"] > 1000000:
                self.assertLess(d["cy"], y0 + (y1 - y0) * 0.3)
            else:
                self.assertGreater(d["cy"], y0 + (y1 - y0) * 0.4)
        self.assertTrue(svgcheck.position_is_monotonic(dots))

    def test_hostile_strings_are_escaped(self):
        name = 'we"ird&<name>\'.dat'
        shutil.copy(os.path.join(tmp, "hostile.dat"), os.path.join(tmp, name))
        root, _ = plot(self, "hostile", "report", name)	# parse() is the XML check
        self.assertEqual(svgcheck.problems(root, POLICY_SERIES), [])
        self.assertEqual(svgcheck.texts(root, "title"), ["forklock report: " + name])
        sub = svgcheck.texts(root, "subtitle")
        self.assertIn("| host h<&>'st |", sub[0])
        # the non-ASCII byte (UTF-8 of e-acute) as \xNN, the markup as it was
        self.assertEqual(sub[1], "workload: sh -c 'make CC=\"cc<&>\" \\xc3\\xa9' </dev/null")
        with open(os.path.join(tmp, "hostile.svg"), "rb") as f:
            raw = f.read()
        self.assertNotIn(b"<&>", raw)
        self.assertTrue(all(b < 0x80 for b in raw))

    def test_several_traces_are_named(self):
        root, _ = plot(self, "two", "report", "base.dat", "tail.dat")
        self.assertEqual(svgcheck.problems(root, POLICY_SERIES), [])
        self.assertEqual(svgcheck.texts(root, "title"),
                         ["forklock report: 2 traces: base.dat, tail.dat"])
        self.assertEqual(svgcheck.texts(root, "subtitle")[1],
                         "workload: storm-driver --rounds 3, storm-driver --tail")
        self.assertEqual(len(svgcheck.forks(root)), 168)


class Compare(unittest.TestCase):
    def test_sides(self):
        root, _ = plot(self, "cmp", "compare", "base.dat", "patched.dat")
        self.assertEqual(svgcheck.problems(root, ["base", "patched"]), [])
        self.assertEqual(svgcheck.legend(root)["base"], 84)
        self.assertEqual(svgcheck.legend(root)["patched"], 84)
        self.assertEqual(svgcheck.texts(root, "title"),
                         ["forklock compare: 2 traces: base.dat, patched.dat"])
        # the lost events are said; compare has no per-fork flags to mark
        self.assertEqual(svgcheck.texts(root, "warning"),
                         ["data lost: 6 events lost in the recording"])
        # compare keeps no per-fork source of the VMA count: it says so
        self.assertEqual({d["from"] for d in svgcheck.forks(root)}, {"unsaid"})
        self.assertEqual(svgcheck.legend(root)["as compare reads them"], 168)
        x0, y0, x1, y1 = svgcheck.frame(root, "scatter")
        fits = [e for e in root.iter(svgcheck.NS + "path") if e.get("class") == "fit"]
        self.assertEqual(sorted(e.get("data-series") for e in fits), ["0", "1"])
        for e in fits:
            nums = [float(v) for v in e.get("d").replace("M", " ").replace("L", " ").split()]
            self.assertGreater(len(nums), 4)
            for x, y in zip(nums[::2], nums[1::2]):
                self.assertTrue(x0 < x < x1 and y0 < y < y1, (x, y))


class Merge(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for v, host in (("base", "hostA"), ("patched", "hostB")):
            p = subprocess.run([FORKLOCK, "report", "--format", "json", "--forks", v + ".dat"],
                               capture_output=True, text=True, cwd=tmp, timeout=300, check=True)
            with open(os.path.join(tmp, host + ".json"), "w") as f:
                f.write(p.stdout)

    def test_two_hosts_two_series(self):
        root, _ = plot(self, "merge", "merge", "hostA.json", "hostB.json")
        self.assertEqual(svgcheck.problems(root, ["hostA", "hostB"]), [])
        dots = svgcheck.forks(root)
        self.assertEqual(sum(1 for d in dots if d["series"] == 0), 84)
        self.assertEqual(sum(1 for d in dots if d["series"] == 1), 84)
        self.assertEqual({k: v for k, v in svgcheck.legend(root).items()
                          if k.startswith("host")}, {"hostA": 84, "hostB": 84})
        colours = {}
        for r in root.iter(svgcheck.NS + "rect"):
            if r.get("class") == "swatch":
                colours[int(r.get("data-series"))] = r.get("fill")
        self.assertEqual(len(colours), 2)
        self.assertNotEqual(colours[0], colours[1])
        self.assertEqual(" ".join(svgcheck.texts(root, "legend-head")), "the report (host)")
        # the hosts' markers are in their host's colour
        for e in root.iter():
            if e.get("class") == "fork":
                self.assertEqual(e.get("fill") if e.get("fill") != "#ffffff" else e.get("stroke"),
                                 colours[int(e.get("data-series"))])
        self.assertEqual(svgcheck.texts(root, "title"),
                         ["forklock merge: 2 traces: base.dat, patched.dat"])

    def test_one_host_keeps_the_policy_colours(self):
        root, _ = plot(self, "merge1", "merge", "hostA.json")
        self.assertEqual(svgcheck.problems(root, POLICY_SERIES), [])
        self.assertEqual(svgcheck.legend(root)["skip, safe"], 63)


if __name__ == "__main__":
    unittest.main(verbosity=2)
