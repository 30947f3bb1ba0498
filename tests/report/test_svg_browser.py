#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The SVGs of report, compare and merge --svg drawn by a real browser:
headless Chromium (installed by ./setup-chromium when missing; the test
fails, it does not skip, when there is none) renders each to a PNG at the
SVG's own size, and the PNG must show a title, a legend, the markers where
the SVG puts them and the bars in their series' colours, with nothing cut
at the picture's edges.  The PNGs are kept in $FORKLOCK_SVG_SCREENS
(meson-logs/svg-screens/ of the build) to be looked at."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

import svgcheck

HERE = os.path.dirname(os.path.abspath(__file__))
FORKLOCK = os.environ.get("FORKLOCK", "forklock")
MKFIXTURE = os.environ.get("MKFIXTURE", "mkfixture")
# where the screenshots are kept for a person to look at (meson: meson-logs/svg-screens/)
SCREENS = os.environ.get("FORKLOCK_SVG_SCREENS")


def read_png(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError("%s is not a PNG" % path)
    pos, idat, width = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise AssertionError("PNG of depth %d, colour type %d, interlace %d"
                                     % (depth, ctype, interlace))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def count(rows, box, test, skip=None):
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    n = 0
    for y in range(y0, y1 + 1):
        for x in range(x0, x1 + 1):
            if skip and skip[0] <= x <= skip[2] and skip[1] <= y <= skip[3]:
                continue
            if test(rows[y][x]):
                n += 1
    return n


def inside(box, margin=1):
    """The pixels inside a frame (x0, y0, x1, y1), without its line."""
    x0, y0, x1, y1 = box
    return (int(x0) + margin, int(y0) + margin, int(x1) - margin, int(y1) - margin)


def dark(p):
    return max(p) < 110


def white(p):
    return min(p) > 245


def greenish(p):		# #009E73 (skip, safe) and its blends with white
    r, g, b = p
    return g > r + 40 and g > b + 10


def blueish(p):			# #0072B2 (lock; base) and its blends
    r, g, b = p
    return b > r + 60 and b > g + 20


def reddish(p):			# #D55E00 (patched) and its blends
    r, g, b = p
    return r > g + 50 and r > b + 80


class Browser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        p = subprocess.run([os.path.join(HERE, "setup-chromium")], capture_output=True, text=True,
                           timeout=800)
        if p.returncode != 0:
            raise AssertionError("no Chromium to draw the SVGs: " + p.stderr.strip())
        cls.chromium = p.stdout.strip().splitlines()[-1]
        cls.dir = tempfile.mkdtemp(prefix="forklock-svg-test-")
        for v in ("base", "patched", "tail"):
            desc = os.path.join(cls.dir, v + ".desc")
            subprocess.run([sys.executable, os.path.join(HERE, "genstorm.py"), v, desc],
                           check=True)
            subprocess.run([MKFIXTURE, desc, os.path.join(cls.dir, v + ".dat")], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def draw(self, svg):
        """Chromium's screenshot of @svg at its own size: (rows, parsed SVG), checked for what
        every plot must show: not blank, text drawn, nothing cut at the edges."""
        root = svgcheck.parse(svg)
        width, height = svgcheck.size(root)
        self.assertLessEqual(width, 820)		# pastes into a mail or a web page
        png = svg[:-4] + ".png"
        profile = tempfile.mkdtemp(prefix="chromium-", dir=self.dir)
        p = subprocess.run([self.chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", "--user-data-dir=" + profile,
                            "--window-size=%d,%d" % (width, height),
                            "--screenshot=" + png, "file://" + svg],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(png), "chromium wrote no screenshot:\n" + p.stderr)
        if SCREENS:
            os.makedirs(SCREENS, exist_ok=True)
            shutil.copy(png, os.path.join(SCREENS, os.path.basename(png)))
        w, h, rows = read_png(png)
        self.assertEqual((w, h), (width, height))
        # not blank: text in the title, frames, something in both plots
        self.assertGreater(count(rows, (10, 8, 400, 30), dark), 150, "no title drawn")
        scat, hist = svgcheck.frame(root, "scatter"), svgcheck.frame(root, "histogram")
        self.assertGreater(count(rows, inside(scat), lambda p: not white(p) and
                                 max(p) - min(p) > 40), 30, "no markers drawn")
        self.assertGreater(count(rows, inside(hist), lambda p: max(p) - min(p) > 40), 100,
                           "no bars drawn")
        # the legend's text right of the scatter
        self.assertGreater(count(rows, (scat[2] + 10, scat[1], w - 1, scat[1] + 120), dark), 200,
                           "no legend drawn")
        # nothing cut: the outermost pixels are the background, and what is
        # drawn (text included) stays a margin inside the picture
        self.assertEqual(count(rows, (0, 0, w - 1, 2), lambda p: not white(p)), 0, "cut at the top")
        self.assertEqual(count(rows, (0, h - 3, w - 1, h - 1), lambda p: not white(p)), 0,
                         "cut at the bottom")
        self.assertEqual(count(rows, (0, 0, 2, h - 1), lambda p: not white(p)), 0, "cut at the left")
        self.assertEqual(count(rows, (w - 3, 0, w - 1, h - 1), lambda p: not white(p)), 0,
                         "cut at the right")
        # every marker is drawn where the SVG puts it (its colour within its box)
        missing = 0
        for d in svgcheck.forks(root):
            r = int(d["r"]) + 1
            box = (d["cx"] - r, d["cy"] - r, d["cx"] + r, d["cy"] + r)
            missing += count(rows, box, lambda p: max(p) - min(p) > 40) == 0
        self.assertEqual(missing, 0, "markers not drawn where the SVG says")
        return rows, root

    def plot(self, name, *args):
        svg = os.path.join(self.dir, name + ".svg")
        p = subprocess.run([FORKLOCK, args[0], "--svg", svg, *args[1:]], capture_output=True,
                           text=True, cwd=self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows, root = self.draw(svg)
        return rows, root, svgcheck.frame(root, "scatter"), svgcheck.frame(root, "histogram")

    def test_report(self):
        rows, root, scat, hist = self.plot("report", "report", "base.dat")
        scatter, histogram = inside(scat, 2), inside(hist, 2)
        # single-user: the storm and cron forks skip (green), the server's lock (blue)
        self.assertGreater(count(rows, scatter, greenish), 50)
        self.assertGreater(count(rows, scatter, blueish), 20)
        # the server's dots are at 300 VMAs, the others at 150 or fewer: the
        # right quarter of the plot (x from 0 to 300 VMAs) is the server's
        right = (scatter[0] + (scatter[2] - scatter[0]) * 3 // 4, scatter[1], scatter[2],
                 scatter[3])
        self.assertGreater(count(rows, right, blueish), 20)
        self.assertEqual(count(rows, right, greenish), 0)
        # the legend's swatches and the bars in the histogram
        legend = (scat[2] + 10, scat[1], WIDTH_OF(root) - 1, scat[1] + 120)
        self.assertGreater(count(rows, legend, greenish), 50)
        self.assertGreater(count(rows, legend, blueish), 50)
        self.assertGreater(count(rows, histogram, greenish), 200)
        self.assertGreater(count(rows, histogram, blueish), 50)
        # the lost-events warning in red under the title
        self.assertGreater(count(rows, (10, 60, 500, 80), lambda p: p[0] > 120 and p[1] < 60 and
                                 p[2] < 60), 100)

    def test_heavy_tail(self):
        rows, root, scat, hist = self.plot("tail", "report", "tail.dat")
        scatter = inside(scat, 2)
        # on the log axis the 2 ms forks are high, the rest low: colour in both
        top = (scatter[0], scatter[1], scatter[2], scatter[1] + (scatter[3] - scatter[1]) // 3)
        bottom = (scatter[0], scatter[3] - (scatter[3] - scatter[1]) // 2, scatter[2], scatter[3])
        self.assertGreater(count(rows, top, lambda p: greenish(p) or blueish(p)), 10)
        self.assertGreater(count(rows, bottom, greenish), 50)

    def test_merge(self):
        for v, host in (("base", "hostA"), ("patched", "hostB")):
            p = subprocess.run([FORKLOCK, "report", "--format", "json", "--forks", v + ".dat"],
                               capture_output=True, text=True, cwd=self.dir, check=True)
            with open(os.path.join(self.dir, host + ".json"), "w") as f:
                f.write(p.stdout)
        rows, root, scat, hist = self.plot("merge", "merge", "hostA.json", "hostB.json")
        # hostA blue, hostB red, in the plot, the bars and the legend
        for test in (blueish, reddish):
            self.assertGreater(count(rows, inside(scat, 2), test), 50)
            self.assertGreater(count(rows, inside(hist, 2), test), 100)
            self.assertGreater(count(rows, (scat[2] + 10, scat[1], WIDTH_OF(root) - 1,
                                            scat[1] + 80), test), 50)

    def test_compare(self):
        rows, root, scat, hist = self.plot("compare", "compare", "base.dat", "patched.dat")
        self.assertGreater(count(rows, inside(scat, 2), blueish), 50)
        self.assertGreater(count(rows, inside(scat, 2), reddish), 50)
        self.assertGreater(count(rows, inside(hist, 2), blueish), 100)
        self.assertGreater(count(rows, inside(hist, 2), reddish), 100)


def WIDTH_OF(root):
    return svgcheck.size(root)[0]


if __name__ == "__main__":
    unittest.main(verbosity=2)
