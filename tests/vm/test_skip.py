#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/vm/matrix.py's way out when it cannot run: exit 77 (meson's skip)
with one line saying why, never a pass, and the cached kernel package
used when apt cannot fetch one.

Each tool the harness needs is hidden in turn (PATH holds stubs of the
others); busybox is hidden with FORKLOCK_VM_BUSYBOX; the registry is a
stub apt-cache/apt-get pair that knows the names it is told, or none,
and fails to download; the cache is a temporary FORKLOCK_VM_CACHE.  No
network, no qemu run: the skip happens before any boot.

    test_skip.py MATRIX_PY
"""
import os
import subprocess
import sys
import contextlib
import io
import tempfile
import unittest

MATRIX = os.path.abspath(sys.argv[1])
del sys.argv[1:2]
sys.path.insert(0, os.path.dirname(MATRIX))
import matrix  # noqa: E402

STUB = "#!/bin/sh\nexit 0\n"
# knows the names in $FAKE_APT_NAMES (one a line), like apt-cache search --names-only
APT_CACHE = '#!/bin/sh\n[ -n "$FAKE_APT_NAMES" ] && printf "%s - Linux\\n" $FAKE_APT_NAMES\nexit 0\n'
# every download fails as with no network; each call is noted in $FAKE_APT_LOG
APT_GET = ('#!/bin/sh\necho "$@" >> "$FAKE_APT_LOG"\n'
           'echo "E: Failed to fetch http://deb.debian.org/x.deb  Temporary failure resolving" >&2\n'
           'exit 100\n')
NAME = "linux-image-6.12.99+deb12-cloud-amd64"


class Skip(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="forklock-vm-skip-")
        self.bin = os.path.join(self.tmp.name, "bin")
        self.cache = os.path.join(self.tmp.name, "cache")
        self.log = os.path.join(self.tmp.name, "apt.log")
        os.makedirs(self.bin)
        os.makedirs(self.cache)
        for tool in matrix.TOOLS:
            self.tool(tool, {"apt-cache": APT_CACHE, "apt-get": APT_GET}.get(tool, STUB))
        self.busybox = os.path.join(self.tmp.name, "busybox")
        self.tool(self.busybox, STUB)

    def tearDown(self):
        self.tmp.cleanup()

    def tool(self, name, text):
        path = os.path.join(self.bin, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)

    def env(self, names=""):
        return dict(os.environ, PATH=self.bin, FORKLOCK_VM_CACHE=self.cache,
                    FORKLOCK_VM_BUSYBOX=self.busybox, FAKE_APT_NAMES=names,
                    FAKE_APT_LOG=self.log)

    def run_matrix(self, series="6.12", names=""):
        return subprocess.run([sys.executable, MATRIX, series, "forklock", "workload", "plugins"],
                              capture_output=True, text=True, env=self.env(names))

    def apt_calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return f.read().splitlines()

    def test_each_missing_tool_is_a_skip(self):
        for tool in matrix.TOOLS:
            with self.subTest(tool=tool):
                os.rename(os.path.join(self.bin, tool), os.path.join(self.tmp.name, tool))
                p = self.run_matrix()
                os.rename(os.path.join(self.tmp.name, tool), os.path.join(self.bin, tool))
                self.assertEqual((p.returncode, p.stdout, p.stderr),
                                 (77, "vm: no %s (scripts/setup installs it): skipped\n" % tool, ""))

    def test_missing_busybox_is_a_skip(self):
        os.unlink(self.busybox)
        p = self.run_matrix()
        self.assertEqual((p.returncode, p.stdout), (77, "vm: no %s (busybox-static; scripts/setup "
                                                        "installs it): skipped\n" % self.busybox))

    def test_no_registry_and_no_cache_is_a_skip(self):
        p = self.run_matrix()
        self.assertEqual((p.returncode, p.stdout),
                         (77, "vm: no Debian 6.12 cloud kernel package (apt-cache knows no package "
                              "matching %s) and none cached in %s: skipped\n"
                          % (matrix.PACKAGES["6.12"], self.cache)))
        self.assertEqual(self.apt_calls(), [])

    def test_failed_download_and_no_cache_is_a_skip(self):
        p = self.run_matrix(names=NAME)
        self.assertEqual((p.returncode, p.stdout),
                         (77, "vm: no Debian 6.12 cloud kernel package (apt-get download %s failed: "
                              "E: Failed to fetch http://deb.debian.org/x.deb  Temporary failure "
                              "resolving) and none cached in %s: skipped\n" % (NAME, self.cache)))
        self.assertEqual(self.apt_calls(), ["download -q " + NAME])

    def test_other_series_in_the_cache_is_no_package(self):
        open(os.path.join(self.cache, NAME + "_6.12.99-1_amd64.deb"), "w").close()
        p = self.run_matrix(series="6.1")
        self.assertEqual(p.returncode, 77, p.stdout + p.stderr)
        self.assertIn("vm: no Debian 6.1 cloud kernel package", p.stdout)

    def cached(self, *versions):
        for v in versions:
            open(os.path.join(self.cache, "linux-image-6.12.%d+deb12-cloud-amd64_6.12.%d-1_amd64.deb"
                              % (v, v)), "w").close()

    def kernel_package(self, names=""):
        """matrix.kernel_package('6.12'): the package's name and what it printed."""
        old = dict(os.environ)
        os.environ.update(self.env(names))
        matrix.CACHE = self.cache
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                return os.path.basename(matrix.kernel_package("6.12")), out.getvalue()
        finally:
            os.environ.clear()
            os.environ.update(old)

    def test_newest_cached_when_apt_cannot_fetch(self):
        self.cached(98, 100, 9)	# numeric order: 100 is the newest
        deb = "linux-image-6.12.100+deb12-cloud-amd64_6.12.100-1_amd64.deb"
        self.assertEqual(self.kernel_package(names=NAME),
                         (deb, "vm: apt-get download %s failed: E: Failed to fetch "
                               "http://deb.debian.org/x.deb  Temporary failure resolving; "
                               "using the cached %s\n" % (NAME, deb)))
        self.assertEqual(self.apt_calls(), ["download -q " + NAME])

    def test_newest_cached_when_there_is_no_registry(self):
        self.cached(98, 100)
        deb = "linux-image-6.12.100+deb12-cloud-amd64_6.12.100-1_amd64.deb"
        self.assertEqual(self.kernel_package(),
                         (deb, "vm: apt-cache knows no package matching %s; using the cached %s\n"
                          % (matrix.PACKAGES["6.12"], deb)))
        self.assertEqual(self.apt_calls(), [])

    def test_the_package_apt_offers_is_not_fetched_twice(self):
        self.cached(99, 100)
        self.assertEqual(self.kernel_package(names=NAME),
                         ("linux-image-6.12.99+deb12-cloud-amd64_6.12.99-1_amd64.deb", ""))
        self.assertEqual(self.apt_calls(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
