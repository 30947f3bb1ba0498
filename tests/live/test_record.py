#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""forklock record on this kernel: the file trace-cmd reads, exact counts,
clean tracefs on every exit path, lost events, one-line errors."""
import os
import pty
import re
import select
import signal
import subprocess
import time

import fltest
from fltest import FORKLOCK, LiveTest, instance_of, instances

F, V = 30, 100


def tracecmd(*args):
    return subprocess.run(["trace-cmd", *args], capture_output=True, text=True, timeout=600)


def event_lines(text):
    """trace-cmd report lines that are events (not headers, not drop notices)."""
    return [l for l in text.splitlines()
            if re.match(r"^\s*\S.*\[\d{3}\]\s+\d+\.\d+:", l)]


class Record(LiveTest):
    def test_tracecmd_reads_it(self):
        summary, truth, _ = self.record(self.workload("storm", "--forks", F, "--vmas", V))
        self.assertEqual(truth["forks"], F)
        out = self.path("t.dat")
        rep = tracecmd("report", out)
        self.assertEqual(rep.returncode, 0, rep.stderr)
        self.assertNotIn("UNKNOWN EVENT", rep.stdout)
        self.assertNotRegex(rep.stderr, r"(?i)error|warning|unknown option")
        lines = event_lines(rep.stdout)
        self.assertEqual(len(lines), summary["events"])
        # every VMA dup_mmap copied is one ma_write fn=mas_store by the parent
        stores = [l for l in lines if "ma_write:" in l and re.search(r"ma_write:\s+mas_store\s", l)
                  and "-%d " % truth["pid"] in l]
        self.assertGreaterEqual(len(stores), F * truth["vmas"])
        # ma_write is filtered in the kernel only where printk_formats lacks
        # "mas_store" (record/setup.c): then nothing else is in the trace
        with open("/sys/kernel/tracing/printk_formats") as f:
            resolves = ' : "mas_store"\n' in f.read()
        others = [l for l in lines if "ma_write:" in l
                  and not re.search(r"ma_write:\s+mas_store\s", l)]
        if resolves:
            # unfiltered: the workload's own mmap()s of its VMAs are other writes
            # (the exact VMA counts of test_report are the replay's own counting)
            self.assertNotEqual([l for l in others if "-%d " % truth["pid"] in l], [])
        else:
            self.assertEqual(others, [])
        # the snapshot is in the file as print events
        self.assertRegex(rep.stdout, r"forklock-snapshot begin version=1 recorder=\d+")
        self.assertIn("forklock-snapshot command pid=%d" % truth["pid"], rep.stdout)

        stat = tracecmd("report", "--stat", out)
        self.assertEqual(stat.returncode, 0, stat.stderr)
        cpus = len([d for d in os.listdir("/sys/kernel/tracing/per_cpu") if d.startswith("cpu")])
        for cpu in range(cpus):
            self.assertRegex(stat.stdout, r"CPU: %d\nentries: \d+\noverrun: 0\n" % cpu)
        self.assertEqual(len(re.findall(r"^read events: \d+$", stat.stdout, re.M)), cpus)

    def test_page_aligned_and_v6(self):
        self.record(self.workload("storm", "--forks", 3))
        with open(self.path("t.dat"), "rb") as f:
            head = f.read(16)
        self.assertEqual(head[:10], b"\x17\x08\x44tracing")
        self.assertEqual(head[10:12], b"6\x00")
        rep = tracecmd("report", "--cpu", "0", self.path("t.dat"))
        self.assertEqual(rep.returncode, 0, rep.stderr)

    def test_duration_without_command(self):
        out = self.path("d.dat")
        p = subprocess.run([FORKLOCK, "record", "-o", out, "--duration", "0.5"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        s = fltest.parse_summary(p.stderr)
        self.assertGreater(s["events"], 0)
        self.assertGreaterEqual(s["seconds"], 0.49)
        self.assertIn("stopped: duration", p.stderr)

    def test_max_size(self):
        summary, _, p = self.record(self.workload("busy", "--seconds", 30), args=["--max-size", "4"])
        self.assertRegex(p.stderr, r"stopped: --max-size reached \(\d+\.\d MiB of trace data\)")
        # checked every 100 ms: a little over, never far
        self.assertGreaterEqual(summary["mib"], 4.0)
        self.assertLess(summary["mib"], 64.0)
        self.assertLess(summary["seconds"], 25)
        rep = tracecmd("report", self.path("t.dat"))
        self.assertEqual(rep.returncode, 0, rep.stderr)
        self.assertEqual(len(event_lines(rep.stdout)), summary["events"])

    def test_output_kept_as_old(self):
        out = self.path("exists.dat")
        with open(out, "w") as f:
            f.write("keep me")
        with open(out + ".old", "w") as f:
            f.write("older")
        p = subprocess.run([FORKLOCK, "record", "-o", out, "--", "true"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("the previous %s is kept as %s.old" % (out, out), p.stderr)
        with open(out + ".old") as f:
            self.assertEqual(f.read(), "keep me")
        self.assertEqual(tracecmd("report", out).returncode, 0)
        # --no-clobber: refused, both untouched
        p = subprocess.run([FORKLOCK, "record", "--no-clobber", "-o", out, "--", "true"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 5)
        self.assertEqual(p.stderr.strip().splitlines(),
                         ["forklock record: error: %s exists (--no-clobber)" % out])
        with open(out + ".old") as f:
            self.assertEqual(f.read(), "keep me")
        p = subprocess.run([FORKLOCK, "record", "-f", "-n", "-o", out, "--", "true"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stderr)

    def test_failed_recording_puts_the_old_output_back(self):
        out = self.path("back.dat")
        with open(out, "w") as f:
            f.write("keep me")
        bad = self.path("not-a-program")
        with open(bad, "w") as f:
            f.write("\x7fELF but not really\n")
        os.chmod(bad, 0o755)
        p = subprocess.run([FORKLOCK, "record", "-o", out, "--", bad],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 126, p.stderr)
        with open(out) as f:
            self.assertEqual(f.read(), "keep me")
        self.assertFalse(os.path.exists(out + ".old"))


class Cleanup(LiveTest):
    def start(self, name):
        return subprocess.Popen([FORKLOCK, "record", "-f", "-o", self.path(name)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_instance(self, pid):
        for _ in range(200):
            if instance_of(pid):
                return instance_of(pid)[0]
            time.sleep(0.02)
        self.fail("recorder %d never created its instance" % pid)

    def stop_with(self, sig):
        p = self.start("sig.dat")
        self.wait_instance(p.pid)
        time.sleep(0.3)
        p.send_signal(sig)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("stopped: %s" % signal.Signals(sig).name, err)
        self.assertEqual(instance_of(p.pid), [])
        rep = tracecmd("report", self.path("sig.dat"))
        self.assertEqual(rep.returncode, 0, rep.stderr)
        self.assertEqual(len(event_lines(rep.stdout)), fltest.parse_summary(err)["events"])

    def test_normal_exit(self):
        self.record(["true"])
        self.assertEqual(instance_of(self.recorder_pid), [])

    def test_sigint(self):
        self.stop_with(signal.SIGINT)

    def test_sigterm(self):
        self.stop_with(signal.SIGTERM)

    def test_sigkill_then_next_recorder_removes_it(self):
        p = self.start("killed.dat")
        name = self.wait_instance(p.pid)
        p.kill()
        p.wait()
        self.assertIn(name, instances())
        # the killed recorder left no temporary files next to the output
        self.assertEqual([f for f in os.listdir(self.dir) if f.startswith(".forklock")], [])
        _, _, q = self.record(["true"], out="next.dat")
        # It must be gone.  Ours removed it and says so, unless another
        # recorder on this host (a parallel test run) cleaned up first;
        # alone on the host nothing else can, so a recorder that does not
        # clean up still fails here.
        self.assertNotIn(name, instances())
        if "removed stale tracefs instance %s" % name not in q.stderr:
            self.assertNotIn("removed stale tracefs instance", q.stderr)
        self.assertEqual(instance_of(p.pid), [])


class Lost(LiveTest):
    def test_tiny_buffer_reports_lost_events_as_in_cpustat(self):
        summary, _, _ = self.record(self.workload("busy", "--seconds", 2), args=["--buffer-kb", "8"])
        self.assertGreater(summary["lost"], 0, "an 8 KB buffer lost nothing on a busy workload")
        stat = tracecmd("report", "--stat", self.path("t.dat"))
        self.assertEqual(stat.returncode, 0, stat.stderr)
        per_cpu = {}
        for m in re.finditer(r"CPU: (\d+)\nentries: \d+\noverrun: (\d+)\ncommit overrun: (\d+)\n"
                             r"bytes: \d+\noldest event ts:.*\nnow ts:.*\ndropped events: (\d+)",
                             stat.stdout):
            per_cpu[int(m.group(1))] = int(m.group(2)) + int(m.group(3)) + int(m.group(4))
        self.assertEqual(per_cpu, summary["lost_per_cpu"])
        self.assertEqual(sum(per_cpu.values()), summary["lost"])


def dynamic_events():
    with open("/sys/kernel/tracing/dynamic_events") as f:
        return [l for l in f if "forklock" in l]


class Tier(LiveTest):
    """This host has no kprobe_events: the kprobe tier's behaviour here."""

    def test_check_says_no_kprobes(self):
        p = subprocess.run([FORKLOCK, "check"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("kprobe_events: not available\n", p.stdout)
        # --tier auto: kprobe > bpf > tracepoint (tests/bpf/test_bpf_auto.py)
        self.assertRegex(p.stdout, r"\ntier: bpf ")
        self.assertRegex(p.stdout, r"btf: mm_struct.mm_users at \+\d+, mm_struct.mm_count at \+\d+")

    def test_auto_falls_back_with_one_notice(self):
        _, _, p = self.record(["true"], args=["--tier", "auto"])
        notices = [l for l in p.stderr.splitlines() if "kprobe" in l]
        self.assertEqual(notices, ["forklock record: no kprobe_events on this kernel: "
                                   "recording the bpf tier"])
        rep = self.report_json("t.dat", forks=False)
        self.assertEqual(rep["trace"]["tier"], "bpf")

    def test_kprobe_tier_fails_clearly(self):
        _, _, p = self.record(["true"], args=["--tier", "kprobe"], check=False)
        self.assertEqual(p.returncode, 8)
        self.assertEqual(p.stderr.strip().splitlines(),
                         ["forklock record: error: the kprobe tier needs kprobe_events, which "
                          "this kernel does not have; use --tier tracepoint"])
        self.assertFalse(os.path.exists(self.path("t.dat")))

    def test_setup_failing_half_way_leaves_nothing(self):
        before = dynamic_events()
        env = dict(os.environ, FORKLOCK_FAULT_INJECT="kprobe-create:1",
                   FORKLOCK_KPROBE_README=fltest.KPROBE_README)
        proc = subprocess.Popen([FORKLOCK, "record", "--tier", "kprobe", "-o", self.path("i.dat"),
                                 "--", "true"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 8, err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], r"^forklock record: error: kprobe tier: cannot create kprobe "
                         r"dup_mmap_ret on dup_mmap .*injected failure; removed the 1 probe "
                         r"created before it$")
        self.assertEqual(instance_of(proc.pid), [])
        self.assertEqual(dynamic_events(), before)
        self.assertFalse(os.path.exists(self.path("i.dat")))


class Errors(LiveTest):
    def run_fl(self, *args, pre=()):
        proc = subprocess.Popen([*pre, FORKLOCK, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate(timeout=60)
        p = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        p.pid = proc.pid	# setpriv and sh exec forklock: the same pid
        return p

    def one_line(self, p, code, pattern):
        self.assertEqual(p.returncode, code, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertRegex(lines[0], r"^forklock record: error: " + pattern)
        self.assertEqual(instance_of(p.pid), [])

    def test_not_root(self):
        p = self.run_fl("record", "-o", "/tmp/never.dat", "--", "true",
                        pre=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
        self.one_line(p, 3, "recording needs root")

    def test_no_tracefs(self):
        # a private mount namespace where tracefs is gone and cannot be mounted
        script = ("umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null; "
                  "mount -t tmpfs none /sys/kernel && exec %s record -o %s -- true"
                  % (FORKLOCK, self.path("n.dat")))
        proc = subprocess.Popen(["unshare", "-m", "sh", "-c", script], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate(timeout=60)
        p = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        p.pid = proc.pid	# unshare and sh exec forklock: the same pid
        self.one_line(p, 4, "tracefs is not mounted and cannot be mounted")

    def test_unwritable_output(self):
        p = self.run_fl("record", "-o", "/nonexistent-dir/t.dat", "--", "true")
        self.one_line(p, 5, "cannot create /nonexistent-dir/t.dat")

    def test_unknown_option(self):
        p = self.run_fl("record", "--frobnicate", "--", "true")
        self.one_line(p, 2, "unknown option '--frobnicate'")

    def test_command_not_found(self):
        p = self.run_fl("record", "-o", self.path("c.dat"), "--", "no-such-command-here")
        self.one_line(p, 127, "command not found: no-such-command-here")
        self.assertFalse(os.path.exists(self.path("c.dat")))

    def test_command_not_executable(self):
        p = self.run_fl("record", "-o", self.path("c.dat"), "--", "/etc/hostname")
        self.one_line(p, 126, "command is not executable: /etc/hostname")

    def test_bad_values(self):
        self.one_line(self.run_fl("record", "--buffer-kb", "x"), 2, "--buffer-kb needs")
        self.one_line(self.run_fl("record", "--duration", "-1"), 2, "--duration needs")



PROGRESS_RE = re.compile(r"\r\x1b\[Kforklock record: (\d+) s, (\d+) events, ([\d.]+) MiB, (\d+) lost")


class Progress(LiveTest):
    def run_on_pty(self, args):
        master, slave = pty.openpty()
        p = subprocess.Popen([FORKLOCK, "record", "-f", "-o", self.path("p.dat"), *args],
                             stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        out = b""
        while True:
            r, _, _ = select.select([master], [], [], 60)
            if not r:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:		# EIO: the other side is closed
                break
            if not chunk:
                break
            out += chunk
        p.wait(timeout=60)
        os.close(master)
        return p, out.decode(errors="replace")

    def test_progress_on_a_terminal(self):
        p, err = self.run_on_pty(["--", *self.workload("busy", "--seconds", 3, "--vmas", 50)])
        self.assertEqual(p.returncode, 0, err)
        shown = [tuple(float(x) for x in m.groups()) for m in PROGRESS_RE.finditer(err)]
        # about once a second over 3 s: 1 s, 2 s, (3 s)
        self.assertGreaterEqual(len(shown), 2, repr(err))
        self.assertLessEqual(len(shown), 4, repr(err))
        secs = [s[0] for s in shown]
        self.assertEqual(secs, sorted(secs))
        self.assertEqual(secs[0], 1)
        events = [s[1] for s in shown]
        self.assertEqual(events, sorted(events))
        self.assertGreater(events[-1], 0)
        summary = fltest.parse_summary(err.replace("\r\n", "\n"))
        self.assertLessEqual(events[-1], summary["events"])
        self.assertLessEqual(shown[-1][2], summary["mib"] + 0.1)
        # the line is cleared before the summary: no progress text left on its line
        self.assertIn("\r\x1b[K", err)
        last = err.rindex("\r\x1b[K")
        self.assertNotRegex(err[last:], r" lost\r(?!\n)")

    def test_no_progress_without_a_terminal(self):
        _, _, p = self.record(self.workload("busy", "--seconds", 2, "--vmas", 50))
        self.assertNotIn("\r", p.stderr)
        self.assertNotIn("\x1b", p.stderr)

    def test_no_progress_when_quiet(self):
        p, err = self.run_on_pty(["-q", "--", *self.workload("busy", "--seconds", 2, "--vmas", 50)])
        self.assertEqual(p.returncode, 0, err)
        self.assertNotIn("\x1b", err)


if __name__ == "__main__":
    fltest.main()
