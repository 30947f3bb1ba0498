#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The SVGs of report --svg and compare --svg drawn by a real browser:
headless Chromium (installed by ./setup-chromium when missing; the test
fails, it does not skip, when there is none) renders each to a PNG, and the
PNG must show the dots and bars in their series' colours where the plot
puts them."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FORKLOCK = os.environ.get("FORKLOCK", "forklock")
MKFIXTURE = os.environ.get("MKFIXTURE", "mkfixture")
WIDTH, HEIGHT = 960, 900		# lib/report/svg.c
SCATTER = (91, 81, 929, 519)		# x0, y0, x1, y1 inside the frames
HISTOGRAM = (91, 611, 929, 839)
LEGEND = (91, 81, 300, 175)		# the legend, top left of the scatter


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
    x0, y0, x1, y1 = box
    n = 0
    for y in range(y0, y1 + 1):
        for x in range(x0, x1 + 1):
            if skip and skip[0] <= x <= skip[2] and skip[1] <= y <= skip[3]:
                continue
            if test(rows[y][x]):
                n += 1
    return n


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
        for v in ("base", "patched"):
            desc = os.path.join(cls.dir, v + ".desc")
            subprocess.run([sys.executable, os.path.join(HERE, "genstorm.py"), v, desc],
                           check=True)
            subprocess.run([MKFIXTURE, desc, os.path.join(cls.dir, v + ".dat")], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def draw(self, svg):
        png = svg[:-4] + ".png"
        profile = tempfile.mkdtemp(prefix="chromium-", dir=self.dir)
        p = subprocess.run([self.chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--hide-scrollbars", "--user-data-dir=" + profile,
                            "--window-size=%d,%d" % (WIDTH, HEIGHT),
                            "--screenshot=" + png, "file://" + svg],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(png), "chromium wrote no screenshot:\n" + p.stderr)
        if os.environ.get("FORKLOCK_KEEP_PNG"):
            shutil.copy(png, os.environ["FORKLOCK_KEEP_PNG"] + os.path.basename(png))
        w, h, rows = read_png(png)
        self.assertEqual((w, h), (WIDTH, HEIGHT))
        return rows

    def test_report(self):
        svg = os.path.join(self.dir, "report.svg")
        p = subprocess.run([FORKLOCK, "report", "--svg", svg, os.path.join(self.dir, "base.dat")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = self.draw(svg)
        # single-user: the storm and cron forks skip (green), the server's lock (blue)
        self.assertGreater(count(rows, SCATTER, greenish, skip=LEGEND), 50)
        self.assertGreater(count(rows, SCATTER, blueish, skip=LEGEND), 20)
        # the server's dots are at 300 VMAs, the others at 150 or fewer: the
        # right quarter of the plot (x from 0 to 300 VMAs) is the server's
        right = (SCATTER[0] + (SCATTER[2] - SCATTER[0]) * 3 // 4, SCATTER[1], SCATTER[2],
                 SCATTER[3])
        self.assertGreater(count(rows, right, blueish), 20)
        self.assertEqual(count(rows, right, greenish), 0)
        # the legend and the bars in the histogram
        self.assertGreater(count(rows, LEGEND, greenish), 50)
        self.assertGreater(count(rows, HISTOGRAM, greenish), 200)
        self.assertGreater(count(rows, HISTOGRAM, blueish), 50)
        # text was drawn: dark pixels above the plot (the title)
        self.assertGreater(count(rows, (80, 10, 400, 35), lambda p: max(p) < 100), 50)

    def test_compare(self):
        svg = os.path.join(self.dir, "compare.svg")
        p = subprocess.run([FORKLOCK, "compare", "--svg", svg, os.path.join(self.dir, "base.dat"),
                            os.path.join(self.dir, "patched.dat")], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = self.draw(svg)
        self.assertGreater(count(rows, SCATTER, blueish, skip=LEGEND), 50)
        self.assertGreater(count(rows, SCATTER, reddish, skip=LEGEND), 50)
        self.assertGreater(count(rows, HISTOGRAM, blueish), 100)
        self.assertGreater(count(rows, HISTOGRAM, reddish), 100)


if __name__ == "__main__":
    unittest.main(verbosity=2)
