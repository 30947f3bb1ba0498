#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Skip policies on recordings of this kernel: lock savings, race windows
and the evidence behind each verdict; plugins built out of tree."""
import os
import subprocess

import fltest
from fltest import FORKLOCK, LiveTest

BUILD = os.environ.get("BUILD_ROOT", "")
SOURCE = os.environ.get("SOURCE_ROOT", "")


def policy(fork, name):
    return fork["policies"][name]


class Policies(LiveTest):
    def test_single_threaded_storm_is_safe_to_skip(self):
        F, N = 25, 60
        _, truth, _ = self.record(self.workload("storm", "--forks", F, "--vmas", N),
                                  args=("--tier", "tracepoint"))
        rep = self.report_json("t.dat")
        forks = self.forks_of(rep, truth["tgid"])
        self.assertEqual(len(forks), F)
        for f in forks:
            self.assertEqual(f["concurrent"], [])
            su = dict(policy(f, "single-user"))
            # the blocked time it would avoid: the fork's blocks on VMAs (none
            # by the storm itself; its locks are all skipped)
            avoided = su.pop("avoided_blocked_ns")
            self.assertEqual(avoided, sum(b["ns"] for b in f["fork_blocks"] if b["vma_end"]))
            self.assertEqual(su.pop("exposed_accessors"),
                             len({b["waker"]["pid"] for b in f["fork_blocks"]
                                  if b["vma_end"] and b["waker"]}))
            self.assertEqual(su, {"decision": "skip", "skipped_locks": truth["vmas"],
                                  "estimated": False, "safety": "safe",
                                  "reason": "threads == 1 (model)"})	# no mm_users read
            self.assertEqual(policy(f, "always-lock")["decision"], "lock")
            self.assertEqual(policy(f, "always-lock")["skipped_locks"], 0)
            # tracepoints cannot see mm_count: undecided, not guessed
            self.assertEqual(policy(f, "single-user-no-uffd")["decision"], "undecided")
        su = rep["policies"]["single-user"]
        self.assertEqual(su["verdict"], "safe")
        self.assertEqual(su["unsafe_forks"], 0)
        self.assertGreaterEqual(su["skipped_forks"], F)
        self.assertGreaterEqual(su["skipped_locks"], F * truth["vmas"])
        self.assertEqual(su["saved_ns_estimate"], su["skipped_locks"] * rep["lock_cost"]["ns"])
        al = rep["policies"]["always-lock"]
        self.assertEqual((al["skipped_forks"], al["skipped_locks"], al["verdict"]), (0, 0, "safe"))

    def test_faulting_siblings_keep_their_locks(self):
        F, T = 30, 3
        _, truth, _ = self.record(self.workload("storm", "--forks", F, "--vmas", 40, "--threads", T,
                                                "--siblings", "fault", "--touch"),
                                  args=("--tier", "tracepoint"))
        rep = self.report_json("t.dat")
        forks = self.forks_of(rep, truth["tgid"])
        self.assertEqual(len(forks), F)
        siblings = set(truth["sibling_tids"])
        seen = 0
        for f in forks:
            self.assertEqual(f["threads"], T)
            self.assertEqual(policy(f, "single-user")["decision"], "lock")
            for a in f["concurrent"]:
                self.assertIn(a["pid"], siblings)
                self.assertEqual(a["tgid"], truth["tgid"])
                self.assertIn(a["kind"], ("sibling_fault", "fault_fallback", "sibling_mmap_lock"))
                # a fault that fell back inside the window may have begun before it
                if a["kind"] != "fault_fallback":
                    self.assertGreaterEqual(a["ts_ns"], f["ts_ns"])
                self.assertLessEqual(a["ts_ns"], f["ts_ns"] + f["window_ns"])
                seen += 1
        # continuously faulting siblings are caught inside windows (not in
        # every one: a window is tens of microseconds on two CPUs)
        self.assertGreater(seen, 0)
        text = subprocess.run([FORKLOCK, "report", "--forks", self.path("t.dat")],
                              capture_output=True, text=True)
        self.assertRegex(text.stdout, r"(sibling_fault|fault_fallback):forklock-worklo/\d+")

    def test_uffd_monitor_makes_single_user_unsafe(self):
        F = 30
        _, truth, _ = self.record(self.workload("uffd", "--forks", F, "--monitor"),
                                  args=("--tier", "tracepoint"))
        rep = self.report_json("t.dat")
        forks = self.forks_of(rep, truth["tgid"])
        self.assertEqual(len(forks), F)
        mon = truth["monitor_pid"]
        raced = [f for f in forks if any(a["pid"] == mon and a["kind"] == "uffd_ioctl"
                                         for a in f["concurrent"])]
        # the owner forks only once it has seen the monitor running on the
        # other CPU (even when that CPU is busy: it waits for it)
        self.assertEqual(truth["monitor_running_at_forks"], F)
        # the monitor issues ioctls back to back from another CPU; the first
        # windows may miss them: the monitor's fd (SCM_RIGHTS) is tied to the
        # owner's mm only once one of its ioctls falls back into a window
        self.assertGreaterEqual(len(raced), F * 3 // 4)
        for f in forks:
            self.assertEqual(f["threads"], 1)
            self.assertEqual(f["uffd"], "present")
            self.assertEqual(policy(f, "single-user-no-uffd")["decision"], "lock")
            self.assertEqual(policy(f, "single-user")["decision"], "skip")
            want = "unsafe" if f in raced else "safe"
            self.assertEqual(policy(f, "single-user")["safety"], want)
        su = rep["policies"]["single-user"]
        self.assertEqual(su["verdict"], "unsafe")
        self.assertEqual(su["unsafe_forks"], len(raced))
        self.assertTrue(su["evidence"])
        for e in su["evidence"]:
            self.assertEqual((e["pid"], e["kind"], e["fork_parent_pid"]), (mon, "uffd_ioctl", truth["pid"]))
        nu = rep["policies"]["single-user-no-uffd"]
        self.assertEqual(nu["unsafe_forks"], 0)
        text = subprocess.run([FORKLOCK, "report", self.path("t.dat")], capture_output=True, text=True)
        self.assertRegex(text.stdout, r"single-user: unsafe: fork by forklock-worklo/%d at [\d.]+: "
                         r"uffd_ioctl by \S+/%d" % (truth["pid"], mon))


class Plugins(LiveTest):
    def cc(self, src, out, *incs):
        p = subprocess.run(["cc", "-shared", "-fPIC", "-Wall", "-Werror", *["-I" + i for i in incs],
                            "-o", out, src], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_out_of_tree_example_loads_by_path(self):
        dest = self.path("dest")
        p = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", dest, "--no-rebuild",
                            "--quiet"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        headers = [os.path.join(r) for r, _, fs in os.walk(dest) if "forklock-policy.h" in fs]
        self.assertEqual(len(headers), 1, headers)
        self.assertTrue(headers[0].endswith("/include/forklock"))
        so = self.path("single-user-small.so")
        # only the installed header: no -I into the source tree
        self.cc(os.path.join(SOURCE, "plugins", "examples", "single-user-small.c"), so, headers[0])

        _, truth, _ = self.record(self.workload("storm", "--forks", 5, "--vmas", 10))
        rep = self.report_json("t.dat", "--policy-plugin", so)
        self.assertIn("single-user-small", rep["policies"])
        self.assertEqual(rep["policies"]["single-user-small"]["plugin"], so)
        for f in self.forks_of(rep, truth["tgid"]):
            # few VMAs (<= 64 by default), single-threaded: skipped
            self.assertEqual(policy(f, "single-user-small")["decision"], "skip")
        env = dict(os.environ, FORKLOCK_SMALL_VMAS="1")
        text = subprocess.run([FORKLOCK, "report", "--policy-plugin", so, "--policy",
                               "single-user-small,always-lock", self.path("t.dat")],
                              capture_output=True, text=True, env=env)
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertRegex(text.stdout, r"\n  single-user-small\s+0\s")
        self.assertNotRegex(text.stdout, r"\n  single-user\s")

    def broken(self, body, code, pattern, record=("true",), line=None):
        src = self.path("broken.c")
        with open(src, "w") as f:
            f.write(body)
        so = self.path("broken.so")
        self.cc(src, so, os.path.join(SOURCE, "lib"))
        self.record(list(record))
        p = subprocess.run([FORKLOCK, "report", "--policy-plugin", so, self.path("t.dat")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, code, p.stderr)
        self.assertEqual(p.stdout, "")
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertRegex(lines[0], line or "^forklock report: error: policy plugin " + pattern)

    def test_missing_symbol(self):
        self.broken("int forklock_policy_registr(void) { return 0; }\n", 14,
                    r"\S+broken.so has no forklock_policy_register\(\) symbol")

    def test_wrong_abi(self):
        self.broken('#include "forklock-policy.h"\n'
                    "static int d(const struct forklock_fork *f, struct forklock_verdict *v)"
                    " { return 0; }\n"
                    "static const struct forklock_policy p = { .abi = 99, .name = \"x\","
                    " .decide = d };\n"
                    "const struct forklock_policy *forklock_policy_register(void) { return &p; }\n",
                    14, r"\S+broken.so is built for policy ABI 99; this forklock has ABI 1")

    def test_failing_decide(self):
        # a policy that fails on a fork ends the report: one line, exit 14, no report
        self.broken('#include "forklock-policy.h"\n'
                    "static int d(const struct forklock_fork *f, struct forklock_verdict *v)"
                    " { return -1; }\n"
                    "static const struct forklock_policy p = { .abi = FORKLOCK_POLICY_ABI,"
                    " .name = \"fails\", .summary = \"fails\", .decide = d };\n"
                    "const struct forklock_policy *forklock_policy_register(void) { return &p; }\n",
                    14, None, record=self.workload("storm", "--forks", 3),
                    line=r"^forklock report: error: policy fails failed on the fork of pid \d+ at \d+$")

    def test_not_a_shared_object(self):
        so = self.path("junk.so")
        with open(so, "w") as f:
            f.write("not an ELF\n")
        self.record(["true"])
        p = subprocess.run([FORKLOCK, "report", "--policy-plugin", so, self.path("t.dat")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 14)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertIn("cannot be loaded", p.stderr)

    def test_unknown_policy_name(self):
        self.record(["true"])
        p = subprocess.run([FORKLOCK, "report", "--policy", "no-such-rule", self.path("t.dat")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("no policy named 'no-such-rule'", p.stderr)


if __name__ == "__main__":
    fltest.main()
