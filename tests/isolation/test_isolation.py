#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""forklock record leaves the host's tracing as it found it.

Each case snapshots the top-level tracefs state (read only: tracing_on,
current_tracer, trace_clock, buffer sizes, set_event*, set_ftrace_*,
options/*, events/enable and events/*/enable, saved_cmdlines_size,
tracing_cpumask, the list of instances, dynamic_events, uprobe_events ...)
before and after one `forklock record`, and asserts the two are identical
and that the recorder's instance is gone:

  normal          COMMAND runs and exits
  SIGINT          the recorder is interrupted while a busy workload forks
  SIGTERM         the same with SIGTERM
  failed setup    unwritable output (5), COMMAND not found (127), a kprobe
                  that fails half way (FORKLOCK_FAULT_INJECT, 8), COMMAND
                  that cannot be exec'd after tracing is on (126)

and the output file: created 0600 whatever the umask; an existing one
kept as FILE.old, refused with --no-clobber (exit 5, file untouched, also
through a symlink), replaced with --force.

Other recorders may run on this host at the same time (other test
sessions): their own instances forklock-<boot>-<pidns>-<pid>-<rnd> and kprobe
groups forklock_<same>, while their recorder holds its lock, are not part of the snapshot.
Run as root with tracefs; PYTHONPATH=tests/live.
"""
import glob
import os
import signal
import stat
import subprocess
import time

import fltest
from fltest import FORKLOCK, TRACEFS, LiveTest, instance_of, recorder_alive

# top-level files whose whole text is compared (when the kernel has them)
FILES = [
    "tracing_on", "current_tracer", "trace_clock", "buffer_size_kb", "buffer_total_size_kb",
    "buffer_subbuf_size_kb", "buffer_percent", "set_event", "set_event_pid",
    "set_event_notrace_pid", "set_ftrace_filter", "set_ftrace_notrace", "set_ftrace_pid",
    "set_ftrace_notrace_pid", "set_graph_function", "set_graph_notrace", "saved_cmdlines_size",
    "tracing_cpumask", "tracing_thresh", "trace_options", "timestamp_mode", "max_graph_depth",
    "dynamic_events", "kprobe_events", "uprobe_events", "events/enable",
]


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError as e:
        return "<%s>" % e.strerror


def foreign(name):
    """An instance or probe group of another live forklock recorder."""
    if name.startswith("forklock_"):	# a kprobe group: its instance's name, '_' for '-'
        name = "forklock-" + name[len("forklock_"):].replace("_", "-")
    return recorder_alive(name)


def snapshot():
    s = {}
    for f in FILES:
        p = os.path.join(TRACEFS, f)
        if os.path.exists(p):
            text = read(p)
            if f in ("dynamic_events", "kprobe_events", "uprobe_events"):
                # "p:forklock_123/dup_mmap ...": drop other live recorders' groups
                text = "".join(l for l in text.splitlines(True)
                               if not foreign(l.split(":", 1)[-1].split("/", 1)[0]))
            s[f] = text
    for p in sorted(glob.glob(os.path.join(TRACEFS, "options", "*"))):
        s["options/" + os.path.basename(p)] = read(p)
    for p in sorted(glob.glob(os.path.join(TRACEFS, "events", "*", "enable"))):
        s[os.path.relpath(p, TRACEFS)] = read(p)
    for p in sorted(glob.glob(os.path.join(TRACEFS, "per_cpu", "cpu*", "buffer_size_kb"))):
        s[os.path.relpath(p, TRACEFS)] = read(p)
    s["instances"] = sorted(n for n in os.listdir(os.path.join(TRACEFS, "instances"))
                            if not foreign(n))
    return s


class Isolation(LiveTest):
    def setUp(self):
        super().setUp()
        self.before = snapshot()
        self.assertIn("tracing_on", self.before)

    def assert_untouched(self, pid):
        self.assertEqual(instance_of(pid), [], "the recorder's instance is left")
        after = snapshot()
        diff = ["%s: %r -> %r" % (k, self.before.get(k), after.get(k))
                for k in sorted(set(self.before) | set(after)) if self.before.get(k) != after.get(k)]
        self.assertEqual(diff, [], "top-level tracefs state changed:\n" + "\n".join(diff))

    def start(self, args, env=None, umask=None):
        def pre():
            if umask is not None:
                os.umask(umask)
        return subprocess.Popen([FORKLOCK, "record", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env,
                                preexec_fn=pre)

    def run_fl(self, args, env=None, umask=None):
        proc = self.start(args, env, umask)
        out, err = proc.communicate(timeout=120)
        return proc, out, err

    # ---- recordings that end normally or by signal ----------------------------

    def test_normal(self):
        proc, _, err = self.run_fl(["-o", self.path("n.dat"), "--",
                                    *self.workload("storm", "--forks", 3)])
        self.assertEqual(proc.returncode, 0, err)
        fltest.parse_summary(err)
        self.assert_untouched(proc.pid)

    def interrupted(self, sig, name):
        out = self.path("s.dat")
        proc = self.start(["-o", out, "--", *self.workload("busy", "--seconds", 60)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            inst = os.path.join(TRACEFS, "instances", (instance_of(proc.pid) or ["-"])[0])
            if read(os.path.join(inst, "tracing_on")).strip() == "1":
                break
            if proc.poll() is not None:
                self.fail("recorder exited early: " + proc.stderr.read())
            time.sleep(0.02)
        else:
            proc.kill()
            self.fail("the recorder's instance never started tracing")
        time.sleep(1.0)		# mid-recording: the workload forks, readers stream
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("forklock record: stopped: %s\n" % name, err)
        s = fltest.parse_summary(err)
        self.assertGreater(s["events"], 1000)
        self.assert_untouched(proc.pid)
        # what it wrote is a whole trace
        p = subprocess.run([FORKLOCK, "report", out], capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_sigint(self):
        self.interrupted(signal.SIGINT, "SIGINT")

    def test_sigterm(self):
        self.interrupted(signal.SIGTERM, "SIGTERM")

    # ---- setups that fail -------------------------------------------------------

    def failed(self, args, code, pattern, env=None):
        proc, _, err = self.run_fl(args, env=env)
        self.assertEqual(proc.returncode, code, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], r"^forklock record: error: " + pattern)
        self.assert_untouched(proc.pid)

    def test_failed_unwritable_output(self):
        self.failed(["-o", "/nonexistent-dir/x.dat", "--", "true"], 5,
                    "cannot create /nonexistent-dir/x.dat")

    def test_failed_command_not_found(self):
        self.failed(["-o", self.path("c.dat"), "--", "no-such-command-here"], 127,
                    "command not found: no-such-command-here")
        self.assertFalse(os.path.exists(self.path("c.dat")))

    def test_failed_kprobe_half_way(self):
        env = dict(os.environ, FORKLOCK_FAULT_INJECT="kprobe-create:1",
                   FORKLOCK_KPROBE_README=fltest.KPROBE_README)
        self.failed(["--tier", "kprobe", "-o", self.path("k.dat"), "--", "true"], 8,
                    "kprobe tier: .*injected failure", env=env)
        self.assertFalse(os.path.exists(self.path("k.dat")))

    def test_failed_exec_after_tracing_started(self):
        # executable, but no binary and no #! line: execv() fails with
        # ENOEXEC in the child, after the instance was set up and traced
        bad = self.path("not-a-program")
        with open(bad, "w") as f:
            f.write("\x7fELF but not really\n")
        os.chmod(bad, 0o755)
        self.failed(["-o", self.path("e.dat"), "--", bad], 126,
                    "command is not executable: .*not-a-program")
        self.assertFalse(os.path.exists(self.path("e.dat")))

    # ---- the output file --------------------------------------------------------

    def test_output_created_private(self):
        for umask in (0, 0o022):
            out = self.path("p%o.dat" % umask)
            proc, _, err = self.run_fl(["-o", out, "--", "true"], umask=umask)
            self.assertEqual(proc.returncode, 0, err)
            self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600,
                             "umask %o: mode %o" % (umask, stat.S_IMODE(os.stat(out).st_mode)))
        self.assert_untouched(proc.pid)

    def test_never_overwritten_with_no_clobber(self):
        out = self.path("keep.dat")
        with open(out, "w") as f:
            f.write("precious\n")
        os.chmod(out, 0o644)
        proc, _, err = self.run_fl(["--no-clobber", "-o", out, "--", "true"])
        self.assertEqual(proc.returncode, 5, err)
        self.assertEqual(err.strip().splitlines(),
                         ["forklock record: error: %s exists (--no-clobber)" % out])
        self.assertEqual(read(out), "precious\n")
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o644)
        self.assertFalse(os.path.exists(out + ".old"))
        self.assert_untouched(proc.pid)

        # a symlink (even to a missing file) is not followed
        target = self.path("target")
        link = self.path("link.dat")
        os.symlink(target, link)
        proc, _, err = self.run_fl(["-n", "-o", link, "--", "true"])
        self.assertEqual(proc.returncode, 5, err)
        self.assertFalse(os.path.exists(target))
        with open(target, "w") as f:
            f.write("other\n")
        proc, _, err = self.run_fl(["-n", "-o", link, "--", "true"])
        self.assertEqual(proc.returncode, 5, err)
        self.assertEqual(read(target), "other\n")

        # without it, the symlink itself becomes link.dat.old; its target is untouched
        proc, _, err = self.run_fl(["-o", link, "--", "true"])
        self.assertEqual(proc.returncode, 0, err)
        self.assertTrue(os.path.islink(link + ".old"))
        self.assertEqual(read(target), "other\n")
        self.assertFalse(os.path.islink(link))

        # --force replaces it, with a trace, and keeps no .old
        proc, _, err = self.run_fl(["-f", "-o", out, "--", "true"])
        self.assertEqual(proc.returncode, 0, err)
        with open(out, "rb") as f:
            self.assertEqual(f.read(10), b"\x17\x08\x44tracing")
        self.assertFalse(os.path.exists(out + ".old"))

    def test_fifo_output_never_replaced(self):
        """-f replaces a regular file, nothing else: a FIFO named as the
        output stays a FIFO (no .old either), with one line and exit 21."""
        fifo = self.path("pipe.dat")
        os.mkfifo(fifo, 0o640)
        for args in (["-f"], [], ["-n"]):
            self.failed([*args, "-o", fifo, "--", "true"], 21,
                        "%s is a FIFO: record writes a regular file and replaces only one$"
                        % fifo)
            self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode), args)
            self.assertEqual(stat.S_IMODE(os.lstat(fifo).st_mode), 0o640)
            self.assertFalse(os.path.lexists(fifo + ".old"), args)
        # a symlink to the FIFO is a symlink: -f replaces the link, never the FIFO
        link = self.path("link-to-pipe.dat")
        os.symlink(fifo, link)
        proc, _, err = self.run_fl(["-f", "-o", link, "--", "true"])
        self.assertEqual(proc.returncode, 0, err)
        self.assertFalse(os.path.islink(link))
        self.assertTrue(stat.S_ISREG(os.lstat(link).st_mode))
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))

    def test_forced_output_is_private(self):
        """--force over a world-readable file: the trace (every process's
        comm and command line) must not stay readable by all."""
        out = self.path("open.dat")
        with open(out, "w") as f:
            f.write("x\n")
        os.chmod(out, 0o644)
        proc, _, err = self.run_fl(["-f", "-o", out, "--", "true"])
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)


if __name__ == "__main__":
    fltest.main()
