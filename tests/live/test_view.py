#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""forklock report's view: a recording of 'record -- COMMAND' reports
COMMAND's process tree (its forks, exactly), while another process forks
in a loop outside it; --all and recordings without COMMAND report the host."""
import json
import os
import subprocess
import time

from fltest import FORKLOCK, LiveTest, main

LOOP = 'while :; do (true); sleep 0.01; done'


class View(LiveTest):
    def setUp(self):
        super().setUp()
        # the outside forker: exists before the recording, forks all along
        self.outside = subprocess.Popen(["sh", "-c", LOOP])
        time.sleep(0.2)

    def tearDown(self):
        self.outside.kill()
        self.outside.wait()
        super().tearDown()

    def report(self, *args):
        p = subprocess.run([FORKLOCK, "report", *args], capture_output=True, text=True,
                           timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_command_tree_only(self):
        # build-like: three subshells of sh (one fork each), then the storm of 12
        script = '(true); (true); (true); exec "$0" storm --forks 12 --vmas 20 --hold-ms 400 >/dev/null'
        self.record(["sh", "-c", script, self.workload()[0]])
        dat = self.path("t.dat")
        mine = json.loads(self.report("--format", "json", "--forks", dat))
        host = json.loads(self.report("--format", "json", "--forks", "--all", dat))
        out = self.outside.pid
        self.assertEqual((mine["view"], host["view"]), ("command", "host"))
        t = mine["traces"][0]
        root = t["command_pid"]
        forks = [f for f in mine["forks"] if not f["partial"]]
        # exactly COMMAND's: 3 forks of sh, then 12 of the storm (sh exec'd it: same pid)
        self.assertEqual(len(forks), 15, [(f["comm"], f["parent_pid"]) for f in forks])
        self.assertEqual(sorted({f["parent_tgid"] for f in forks}), [root])
        self.assertEqual(mine["summary"]["forks"], 15)
        self.assertEqual([c["comm"] for c in mine["summary"]["top_commands"]],
                         ["forklock-worklo", "sh"])
        self.assertEqual(t["command_forks"], len(mine["forks"]))
        self.assertGreater(t["command_end_ns"], t["command_start_ns"])
        # the outside forker appears only with --all
        self.assertFalse([f for f in mine["forks"] if f["parent_tgid"] == out])
        theirs = [f for f in host["forks"] if f["parent_tgid"] == out]
        self.assertGreater(len(theirs), 5)
        self.assertEqual(host["traces"][0]["host_forks"], len(host["forks"]))
        self.assertGreaterEqual(len(host["forks"]), len(mine["forks"]) + len(theirs))
        # policies judge the view's forks
        self.assertEqual(mine["policies"]["always-lock"]["forks"], 15)

        text = self.report(dat)
        self.assertRegex(text, r"\n  view: COMMAND's process tree \(pid %d, ran [\d.]+ m?s\): "
                         r"%d of the host's %d forks \(--all: host\)\n"
                         % (root, len(mine["forks"]), len(host["forks"])))
        self.assertRegex(text, r"\nforks +15 ")
        self.assertRegex(self.report("--all", dat), r"\n  view: the host \(--all\): %d forks, "
                         r"%d of them by COMMAND's" % (len(host["forks"]), len(mine["forks"])))
        mail = self.report("--format", "mail", dat)
        self.assertIn("\nView:       COMMAND's process tree (pid %d" % root, mail)

    def test_without_command_is_the_host(self):
        out = self.path("d.dat")
        p = subprocess.run([FORKLOCK, "record", "-q", "-o", out, "--duration", "1"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        rep = json.loads(self.report("--format", "json", "--forks", out))
        self.assertEqual(rep["view"], "host")
        self.assertIsNone(rep["traces"][0]["command_pid"])
        self.assertGreater(len([f for f in rep["forks"]
                                if f["parent_tgid"] == self.outside.pid]), 3)
        self.assertIn("\n  view: the host (recorded without COMMAND): ", self.report(out))


if __name__ == "__main__":
    main()
