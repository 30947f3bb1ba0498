# SPDX-License-Identifier: GPL-2.0-or-later
"""Reading forklock's SVG plots back (lib/report/svg.h says which elements
a test can read) and the properties every plot must have, for test_svg.py,
test_svg_browser.py and the live tests:

- it is XML and self-contained (nothing fetched, nothing run);
- every fork's marker lies inside the scatter's frame, a margin from it,
  and every bar inside the histogram's;
- each axis' ticks ascend and cover the data (first <= least, last >=
  greatest), and the markers sit where the ticks say (a fork between two
  tick values is drawn between their grid lines);
- the legend names every series a marker uses, with its count.
"""
import math
import re
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"


def parse(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for bad in ("href", "<script", "url(", "@import", "<image", "<foreignObject", "<style"):
        if bad in text:
            raise AssertionError("%s holds %r: not self-contained" % (path, bad))
    root = ET.fromstring(text)
    if root.tag != NS + "svg":
        raise AssertionError("%s: root element %s" % (path, root.tag))
    return root


def size(root):
    return int(root.get("width")), int(root.get("height"))


def frame(root, plot):
    for r in root.iter(NS + "rect"):
        if r.get("class") == "frame" and r.get("data-plot") == plot:
            x, y, w, h = (float(r.get(k)) for k in ("x", "y", "width", "height"))
            return x, y, x + w, y + h
    raise AssertionError("no frame of the %s" % plot)


def forks(root):
    """Each fork's marker: centre, half size, series and data."""
    out = []
    for e in root.iter():
        if e.get("class") != "fork":
            continue
        if e.tag == NS + "circle":
            cx, cy, r = float(e.get("cx")), float(e.get("cy")), float(e.get("r"))
        elif e.tag == NS + "rect":
            w = float(e.get("width"))
            cx, cy, r = float(e.get("x")) + w / 2, float(e.get("y")) + w / 2, w / 2
        else:
            raise AssertionError("a fork drawn as %s" % e.tag)
        out.append({"cx": cx, "cy": cy, "r": r, "series": int(e.get("data-series")),
                    "vmas": int(e.get("data-vmas")), "window_ns": int(e.get("data-window-ns")),
                    "from": e.get("data-vmas-from"), "flag": e.get("data-flag"),
                    "shape": e.tag[len(NS):], "fill": e.get("fill")})
    return out


def bars(root):
    return [r for r in root.iter(NS + "rect") if r.get("class") == "bar"]


def axis(root, name):
    """(scale, lo, hi, [(value, pixel, label)]) of the axis named @name (pixel: its grid line)."""
    for g in root.iter(NS + "g"):
        if g.get("class") == "axis" and g.get("data-axis") == name:
            ticks = [(float(t.get("data-value")), float(t.get("data-at")), t.text)
                     for t in g.iter(NS + "text") if t.get("class") == "tick"]
            return g.get("data-scale"), float(g.get("data-lo")), float(g.get("data-hi")), ticks
    raise AssertionError("no axis %s" % name)


def texts(root, cls):
    return ["".join(t.itertext()) for t in root.iter(NS + "text") if t.get("class") == cls]


def legend(root):
    """{name: count} of the legend's colour entries (the ones after a swatch)."""
    out = {}
    for t in texts(root, "legend-entry"):
        m = re.match(r"^(.*) \((\d+)\)$", t)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def _between(ticks, v):
    """The pixel range of @v by the ticks around it."""
    lo = max((t for t in ticks if t[0] <= v), key=lambda t: t[0])
    hi = min((t for t in ticks if t[0] >= v), key=lambda t: t[0])
    return sorted((lo[1], hi[1]))


def problems(root, series_names=None):
    """What is wrong with a plot, as sentences; [] if nothing."""
    bad = []
    x0, y0, x1, y1 = frame(root, "scatter")
    dots = forks(root)
    if int(root.get("data-forks")) != len(dots):
        bad.append("data-forks %s, %d markers" % (root.get("data-forks"), len(dots)))
    for d in dots:
        if not (x0 + d["r"] + 1 <= d["cx"] <= x1 - d["r"] - 1 and
                y0 + d["r"] + 1 <= d["cy"] <= y1 - d["r"] - 1):
            bad.append("fork at (%.1f, %.1f) on or outside the frame %s" % (d["cx"], d["cy"],
                                                                           (x0, y0, x1, y1)))
    for name, key in (("x", "vmas"), ("y", "window_ns")):
        scale, lo, hi, ticks = axis(root, name)
        values = [t[0] for t in ticks]
        if values != sorted(values) or len(set(values)) != len(values) or len(values) < 2:
            bad.append("axis %s: ticks not ascending: %s" % (name, values))
            continue
        if abs(values[0] - lo) > 1e-6 * abs(hi) or abs(values[-1] - hi) > 1e-6 * abs(hi):
            bad.append("axis %s: ticks %s do not end at its ends %s, %s" % (name, values, lo, hi))
        if dots:
            least, most = min(d[key] for d in dots), max(d[key] for d in dots)
            if values[0] > least or values[-1] < most:
                bad.append("axis %s: ticks %s..%s do not cover the data %s..%s"
                           % (name, values[0], values[-1], least, most))
                continue
            c = "cx" if name == "x" else "cy"
            for d in dots:
                a, b = _between(ticks, d[key])
                if not a - 0.6 <= d[c] <= b + 0.6:
                    bad.append("axis %s: fork of %s=%s drawn at %.1f, not between its ticks' "
                               "%.1f and %.1f" % (name, key, d[key], d[c], a, b))
                    break
        if scale not in ("linear", "log"):
            bad.append("axis %s: scale %s" % (name, scale))
        if scale == "log" and lo <= 0:
            bad.append("axis %s: log from %s" % (name, lo))
    hx0, hy0, hx1, hy1 = frame(root, "histogram")
    total = 0
    for b in bars(root):
        x, y, w, h = (float(b.get(k)) for k in ("x", "y", "width", "height"))
        total += int(b.get("data-count"))
        if not (hx0 <= x and x + w <= hx1 and hy0 < y and y + h <= hy1 + 0.01 and h > 0):
            bad.append("bar %s outside the histogram's frame" % ((x, y, w, h),))
    if total != len(dots):
        bad.append("the bars count %d forks, the scatter %d" % (total, len(dots)))
    names = legend(root)
    if series_names is not None:
        for s in sorted({d["series"] for d in dots}):
            n = sum(1 for d in dots if d["series"] == s)
            if names.get(series_names[s]) != n:
                bad.append("legend: %r (%d) missing from %s" % (series_names[s], n, names))
    return bad


def position_is_monotonic(dots):
    """More VMAs never left of fewer; longer windows never below shorter."""
    by_v = sorted(dots, key=lambda d: (d["vmas"], d["cx"]))
    by_w = sorted(dots, key=lambda d: (d["window_ns"], -d["cy"]))
    return (all(a["cx"] <= b["cx"] + 1e-9 for a, b in zip(by_v, by_v[1:])) and
            all(a["cy"] >= b["cy"] - 1e-9 for a, b in zip(by_w, by_w[1:])))


def log_decades(lo, hi):
    return math.log10(hi / lo)
