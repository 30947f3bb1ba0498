#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Checks of forklock-workload's ground truth against what /proc shows.

usage: test_workload.py WORKLOAD TEST

Runs with --hold-ms read /proc/PID/{maps,task,fd} of the workload while it
holds after its forks (it says "holding pid P for MS ms" on stderr), then
compare that independent view with the JSON it prints at the end.
"""
import ctypes
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

PROG = "forklock-workload"
HOLD_MS = 4000
HOLD_RE = re.compile(r"^forklock-workload: holding pid (\d+) for (\d+) ms$")
PAGE = os.sysconf("SC_PAGE_SIZE")
# syscall number of read(2), as /proc/PID/task/TID/syscall shows it
SYS_READ = {"x86_64": 0, "aarch64": 63, "riscv64": 63, "loongarch64": 63}.get(
    platform.machine())
ADDR_NO_RANDOMIZE = 0x0040000

WL = None
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def eq(got, want, what):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


def no_aslr():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.personality(ADDR_NO_RANDOMIZE) < 0:
        raise OSError(ctypes.get_errno(), "personality")


def run(args, expect_rc=0, aslr=True, parse=True):
    """Run the workload to completion; return (json or None, stdout, stderr)."""
    p = subprocess.run([WL] + args, capture_output=True, text=True, timeout=120,
                       preexec_fn=None if aslr else no_aslr)
    eq(p.returncode, expect_rc, "exit status of %s" % " ".join(args))
    data = None
    if parse and p.returncode == 0 and p.stdout:
        data = json.loads(p.stdout)
    return data, p.stdout, p.stderr


def maps_lines(pid):
    with open("/proc/%d/maps" % pid) as f:
        return [l for l in f.read().splitlines() if not l.endswith("[vsyscall]")]


def parse_maps(lines):
    out = []
    for l in lines:
        f = l.split()
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        out.append((lo, hi, f[1]))
    return out


def children_of(pid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == pid:
            kids.append(int(d))
    return kids


def snapshot(pid):
    """Everything the tests compare with the JSON, read while pid holds."""
    snap = {"maps": maps_lines(pid), "tasks": {}, "fds": {}, "children": {}}
    with open("/proc/%d/comm" % pid) as f:
        snap["comm"] = f.read().strip()
    snap["task_comms"] = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/syscall" % (pid, tid)) as f:
            snap["tasks"][int(tid)] = f.read().split()[0]
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            snap["task_comms"][int(tid)] = f.read().strip()
    for fd in os.listdir("/proc/%d/fd" % pid):
        snap["fds"][int(fd)] = os.readlink("/proc/%d/fd/%s" % (pid, fd))
    for kid in children_of(pid):
        with open("/proc/%d/comm" % kid) as f:
            comm = f.read().strip()
        fds = [os.readlink("/proc/%d/fd/%s" % (kid, fd))
               for fd in os.listdir("/proc/%d/fd" % kid)]
        snap["children"][kid] = {"comm": comm, "fds": fds}
    snap["maps_again"] = maps_lines(pid)
    return snap


def run_held(args):
    """Run with --hold-ms; snapshot /proc while it holds; return (json, snap)."""
    t0 = time.monotonic_ns()
    p = subprocess.Popen([WL] + args + ["--hold-ms", str(HOLD_MS)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline().rstrip("\n")
    m = HOLD_RE.match(line)
    snap = None
    if m:
        eq(int(m.group(1)), p.pid, "pid in the holding line")
        eq(int(m.group(2)), HOLD_MS, "ms in the holding line")
        snap = snapshot(p.pid)
    else:
        check(False, "expected the holding line on stderr, got %r" % line)
    out, err = p.communicate(timeout=120)
    t1 = time.monotonic_ns()
    eq(p.returncode, 0, "exit status of %s" % " ".join(args))
    eq(err, "", "stderr after the holding line")
    data = json.loads(out)
    eq(out.count("\n"), 1, "JSON is one line")
    if snap is None:
        raise SystemExit("no snapshot")
    eq(data["pid"], p.pid, "pid")
    eq(data["tgid"], p.pid, "tgid")
    eq(data["comm"], snap["comm"], "comm")
    eq(data["hold_ms"], HOLD_MS, "hold_ms")
    check(t0 <= data["start_ns"] <= data["end_ns"] <= t1,
          "start_ns/end_ns (%d, %d) inside the test's own window (%d, %d)"
          % (data["start_ns"], data["end_ns"], t0, t1))
    # the VMA count the workload reports is the one /proc shows
    eq(len(snap["maps"]), len(snap["maps_again"]), "maps stable while holding")
    eq(data["vmas"], len(snap["maps"]), "vmas vs /proc/PID/maps while holding")
    eq(data["vmas_after"], data["vmas"], "vmas_after")
    return data, snap


def check_children(data, n):
    kids = data["children"]
    eq(len(kids), n, "number of children")
    eq(len(set(kids)), n, "children are distinct")
    check(all(isinstance(k, int) and k > 0 for k in kids), "children are pids")
    check(data["pid"] not in kids, "the workload is not its own child")


def check_region(data, snap, n):
    """The N extra VMAs: one page each, protections alternating, not merged."""
    vmas = parse_maps(snap["maps"])
    lo, hi = data["region_start"], data["region_end"]
    eq(hi - lo, n * PAGE, "region length")
    inside = [v for v in vmas if v[0] >= lo and v[1] <= hi]
    eq(len(inside), n, "VMAs inside the region")
    eq([v[1] - v[0] for v in inside], [PAGE] * n, "each region VMA is one page")
    want = ["r--p" if i % 2 == 0 else "rw-p" for i in range(n)]
    eq([v[2] for v in inside], want, "region protections alternate")
    check(not any(v[0] < lo < v[1] or v[0] < hi < v[1] for v in vmas),
          "no VMA straddles the region's ends")
    check(not any(v[1] == lo or v[0] == hi for v in vmas),
          "an unmapped page on each side of the region")


# ---- storm ---------------------------------------------------------------

def test_storm_basic():
    data, snap = run_held(["storm", "--forks", "5", "--vmas", "100"])
    eq(data["mode"], "storm", "mode")
    # five forks and reaps cost CPU, and no more than the loop's time on every CPU
    check(0 < data["loop_cpu_ns"] <= (data["end_ns"] - data["start_ns"]) * os.cpu_count()
          + 10000000, "loop_cpu_ns %d in a %d ns loop" % (data["loop_cpu_ns"],
                                                         data["end_ns"] - data["start_ns"]))
    eq(data["forks"], 5, "forks")
    check_children(data, 5)
    eq(data["threads"], 1, "threads")
    eq(data["siblings"], "none", "siblings")
    eq(data["sibling_tids"], [], "sibling_tids")
    eq(list(snap["tasks"]), [data["pid"]], "tasks of the process")
    eq(data["extra_vmas"], 100, "extra_vmas")
    eq(data["touch"], False, "touch")
    check_region(data, snap, 100)


def test_storm_vma_delta():
    # ASLR off: the rest of the layout is then identical between runs, so
    # the N region VMAs are exactly the difference.
    base = {}
    for threads in ("1", "2"):
        args = ["storm", "--forks", "2", "--threads", threads]
        v0 = run(args + ["--vmas", "0"], aslr=False)[0]["vmas"]
        base[threads] = v0
        for n in (1, 2, 100, 1001):
            d = run(args + ["--vmas", str(n)], aslr=False)[0]
            eq(d["vmas"] - v0, n, "vmas(N=%d) - vmas(N=0), T=%s" % (n, threads))
            eq(d["vmas_after"], d["vmas"], "vmas_after, N=%d" % n)
        d = run(args + ["--vmas", "100", "--touch"], aslr=False)[0]
        eq(d["vmas"] - v0, 100, "vmas(N=100, --touch) - vmas(N=0), T=%s" % threads)
        eq(d["touch"], True, "touch")
    # an idle sibling adds its stack and the stack's guard page
    eq(base["2"] - base["1"], 2, "VMAs added by one idle sibling")


def check_siblings(data, snap, n, kind):
    eq(data["threads"], n + 1, "threads")
    eq(data["siblings"], kind, "siblings")
    tids = data["sibling_tids"]
    eq(len(tids), n, "sibling_tids")
    eq(len(set(tids)), n, "sibling_tids are distinct")
    check(data["pid"] not in tids, "the forking thread is not a sibling")
    eq(sorted(snap["tasks"]), sorted([data["pid"]] + tids), "tasks of the process")


def test_storm_idle():
    data, snap = run_held(["storm", "--forks", "5", "--vmas", "100",
                           "--threads", "4", "--siblings", "idle"])
    eq(data["forks"], 5, "forks")
    check_children(data, 5)
    check_siblings(data, snap, 3, "idle")
    eq(data["fault_loops"], 0, "fault_loops")
    check_region(data, snap, 100)
    if SYS_READ is not None:
        for tid in data["sibling_tids"]:
            eq(snap["tasks"][tid], str(SYS_READ), "idle sibling %d is in read()" % tid)


def test_storm_idle_default():
    # --threads without --siblings: idle
    data = run(["storm", "--forks", "1", "--threads", "2"])[0]
    eq(data["siblings"], "idle", "default siblings")
    eq(len(data["sibling_tids"]), 1, "sibling_tids")
    # --siblings with one thread: there are none
    data = run(["storm", "--forks", "1", "--siblings", "fault"])[0]
    eq(data["siblings"], "none", "siblings with --threads 1")
    eq(data["sibling_tids"], [], "sibling_tids with --threads 1")


def test_storm_fault():
    data, snap = run_held(["storm", "--forks", "20", "--vmas", "100",
                           "--threads", "3", "--siblings", "fault", "--touch"])
    eq(data["forks"], 20, "forks")
    check_children(data, 20)
    check_siblings(data, snap, 2, "fault")
    check(data["fault_loops"] >= 2, "fault_loops %d >= 2 (each sibling looped before "
          "the first fork)" % data["fault_loops"])
    eq(data["touch"], True, "touch")
    check_region(data, snap, 100)


# ---- uffd ----------------------------------------------------------------

def check_uffd_common(data, snap, forks, pages):
    eq(data["mode"], "uffd", "mode")
    eq(data["forks"], forks, "forks")
    check_children(data, forks)
    eq(data["threads"], 1, "threads")
    eq(list(snap["tasks"]), [data["pid"]], "the owner is single-threaded")
    eq(data["uffd"], True, "uffd")
    eq(data["pages"], pages, "pages")
    eq(snap["fds"].get(data["uffd_fd"]), "anon_inode:[userfaultfd]",
       "uffd_fd %d in /proc/PID/fd" % data["uffd_fd"])
    vmas = parse_maps(snap["maps"])
    lo, hi = data["uffd_start"], data["uffd_end"]
    eq(hi - lo, pages * PAGE, "registered range length")
    eq([v for v in vmas if v[0] < hi and v[1] > lo], [(lo, hi, "rw-p")],
       "the registered range is one VMA of its own")


def test_uffd_plain():
    data, snap = run_held(["uffd", "--forks", "5"])
    check_uffd_common(data, snap, 5, 64)
    eq(data["monitor"], False, "monitor")
    eq(data["monitor_pid"], None, "monitor_pid")
    eq(data["monitor_ioctls"], 0, "monitor_ioctls")
    eq(data["monitor_ioctls_in_span"], 0, "monitor_ioctls_in_span")
    eq(data["spawns"], 0, "spawns")
    eq(snap["children"], {}, "no child process while holding")


def test_uffd_monitor():
    pages = 16
    data, snap = run_held(["uffd", "--forks", "20", "--monitor", "--pages", str(pages)])
    check_uffd_common(data, snap, 20, pages)
    eq(data["monitor"], True, "monitor")
    eq(data["spawns"], 1, "spawns")
    mon = data["monitor_pid"]
    eq(list(snap["children"]), [mon], "the one child while holding is the monitor")
    if mon in snap["children"]:
        eq(snap["children"][mon]["comm"], data["monitor_comm"], "monitor comm")
        check("anon_inode:[userfaultfd]" in snap["children"][mon]["fds"],
              "the monitor holds the userfaultfd")
    n = data["monitor_ioctls"]
    check(n > 0, "monitor_ioctls %d > 0" % n)
    # every 4th ioctl is a ZEROPAGE, the others COPY
    eq(data["monitor_zeropages"], n // 4, "monitor_zeropages")
    eq(data["monitor_copies"], n - n // 4, "monitor_copies")
    # the first pass over the empty range (before "ready") filled every page
    check(n - data["monitor_eexist"] - data["monitor_eagain"] >= pages,
          "at least %d ioctls filled a page" % pages)
    check(0 <= data["monitor_ioctls_in_fork_calls"] <= data["monitor_ioctls_in_span"] <= n,
          "in_fork_calls <= in_span <= ioctls")
    eq(data["monitor_eagain"], 0, "monitor_eagain (no EVENT_* features)")
    # the owner saw the monitor running before every fork (it waits for it)
    eq(data["monitor_running_at_forks"], 20, "monitor_running_at_forks")


# ---- uffd-copy -----------------------------------------------------------

def check_uffd_copy(data, snap, rounds, mib):
    eq(data["mode"], "uffd-copy", "mode")
    eq(data["rounds"], rounds, "rounds")
    eq(data["forks"], 2 * rounds, "forks: two per round")
    check_children(data, 2 * rounds)
    eq(data["copy_bytes"], mib << 20, "copy_bytes")
    lo, hi = data["uffd_start"], data["uffd_end"]
    eq(hi - lo, mib << 20, "registered range length")
    vmas = parse_maps(snap["maps"])
    eq([v for v in vmas if v[0] < hi and v[1] > lo], [(lo, hi, "rw-p")],
       "the registered range is one VMA of its own")
    eq(data["monitor_comm"], "fl-copy-monitor", "monitor_comm")
    eq(data["copy_ioctls"], [1] * rounds, "ONE UFFDIO_COPY per round")
    eq(data["fork_copy"], [c for r in range(rounds) for c in (-1, r)],
       "fork_copy: a free fork, then one during copy r")
    eq(len(data["copy_start_ns"]), rounds, "copy_start_ns")
    fs, fe = data["fork_start_ns"], data["fork_end_ns"]
    cs, ce = data["copy_start_ns"], data["copy_end_ns"]
    for r in range(rounds):
        free, cp = 2 * r, 2 * r + 1
        check(cs[r] < ce[r], "copy %d: start < end" % r)
        check(fe[free] < cs[r] and (r == 0 or fs[free] > ce[r - 1]),
              "free fork %d overlaps no copy" % free)
        # the fork began inside the copy.  copy_end_ns is read after the
        # ioctl returned, and the fork it unblocked may return first: that
        # the fork waited is for the trace to show (tests/live)
        check(cs[r] < fs[cp] < ce[r],
              "fork %d began inside copy %d (fork %d..%d, copy %d..%d)"
              % (cp, r, fs[cp], fe[cp], cs[r], ce[r]))


def test_uffd_copy_process():
    data, snap = run_held(["uffd-copy", "--rounds", "2", "--mib", "64"])
    check_uffd_copy(data, snap, 2, 64)
    eq(data["monitor"], "process", "monitor")
    eq(data["threads"], 1, "threads")
    eq(list(snap["tasks"]), [data["pid"]], "the owner is single-threaded")
    mon = data["monitor_pid"]
    eq(data["monitor_tgid"], mon, "the monitor process: tgid == pid")
    eq(list(snap["children"]), [mon], "the one child while holding is the monitor")
    if mon in snap["children"]:
        eq(snap["children"][mon]["comm"], "fl-copy-monitor", "monitor comm in /proc")
        check("anon_inode:[userfaultfd]" in snap["children"][mon]["fds"],
              "the monitor holds the userfaultfd")
    eq(data["spawns"], 1, "spawns")


def test_uffd_copy_thread():
    data, snap = run_held(["uffd-copy", "--rounds", "2", "--mib", "64",
                           "--monitor", "thread"])
    check_uffd_copy(data, snap, 2, 64)
    eq(data["monitor"], "thread", "monitor")
    eq(data["threads"], 2, "threads")
    mon = data["monitor_pid"]
    eq(sorted(snap["tasks"]), sorted([data["pid"], mon]), "owner and monitor thread")
    eq(data["monitor_tgid"], data["pid"], "the monitor thread shares the owner's tgid")
    eq(snap["task_comms"].get(mon), "fl-copy-monitor", "monitor thread comm in /proc")
    eq(snap["children"], {}, "no child process while holding")
    eq(data["spawns"], 0, "spawns")


# ---- file-fault ----------------------------------------------------------

def test_file_fault():
    data, snap = run_held(["file-fault", "--forks", "40", "--pages", "32"])
    eq(data["mode"], "file-fault", "mode")
    eq(data["forks"], 40, "forks")
    check_children(data, 40)
    eq(data["threads"], 2, "threads")
    tid = data["sibling_tid"]
    eq(sorted(snap["tasks"]), sorted([data["pid"], tid]), "owner and faulting sibling")
    eq(snap["task_comms"].get(tid), "fl-file-faulter", "sibling comm in /proc")
    lo, hi = data["file_start"], data["file_end"]
    eq(hi - lo, 32 * PAGE, "file mapping length")
    lines = [l for l in snap["maps"] if int(l.split()[0].split("-")[0], 16) == lo]
    eq(len(lines), 1, "the file mapping is one VMA")
    if lines:
        f = lines[0].split()
        eq((int(f[0].split("-")[1], 16), f[1]), (hi, "r--p"), "private read-only mapping")
        check(len(f) >= 6 and f[5] == "/memfd:forklock-file-fault",
              "mapped from the memfd: %r" % lines[0])
    check(data["loops"] > 0, "the sibling faulted")
    eq(len(data["fork_start_ns"]), 40, "fork_start_ns")
    check(all(s < e for s, e in zip(data["fork_start_ns"], data["fork_end_ns"])),
          "fork start < end")


# ---- spawn ---------------------------------------------------------------

def test_spawn():
    data = run(["spawn", "--vfork", "3", "--posix-spawn", "2", "--clone-vm", "4"])[0]
    eq(data["mode"], "spawn", "mode")
    eq((data["vfork"], data["posix_spawn"], data["clone_vm"]), (3, 2, 4), "counts")
    eq(data["forks"], 0, "forks")
    check_children(data, 9)
    eq(len(data["vfork_children"]), 3, "vfork_children")
    eq(len(data["posix_spawn_children"]), 2, "posix_spawn_children")
    eq(len(data["clone_vm_children"]), 4, "clone_vm_children")
    eq(data["vfork_children"] + data["posix_spawn_children"] + data["clone_vm_children"],
       data["children"], "children in order vfork, posix_spawn, clone_vm")
    data = run(["spawn"])[0]
    eq((data["vfork"], data["posix_spawn"], data["clone_vm"], data["children"]),
       (0, 0, 0, []), "spawn without options")


# ---- busy ----------------------------------------------------------------

def test_busy():
    data = run(["busy", "--seconds", "1", "--forks-per-sec", "20", "--vmas", "500"])[0]
    eq(data["mode"], "busy", "mode")
    eq(data["forks"], 20, "paced forks: seconds * forks_per_sec")
    eq(data["extra_vmas"], 500, "extra_vmas")
    eq(len(data["sibling_tids"]), 2, "sibling_tids")
    check(data["first_child"] > 0 and data["last_child"] > 0 and
          data["first_child"] != data["last_child"], "first/last child")
    check(data["fault_loops"] > 0 and data["churn_ops"] > 0, "siblings ran")
    span = data["end_ns"] - data["start_ns"]
    check(0.95e9 <= span < 10e9, "paced span %d ns: the 20th fork is at 0.95 s" % span)
    check(data["vmas"] >= 500, "vmas >= extra_vmas")
    data = run(["busy", "--seconds", "1", "--vmas", "0"])[0]
    check(data["forks"] >= 1, "unpaced forks %d >= 1" % data["forks"])
    check(data["end_ns"] - data["start_ns"] >= 1e9, "unpaced: ran one second")
    eq(data["forks_per_sec"], 0, "forks_per_sec")


# ---- command line --------------------------------------------------------

BAD = [
    ([], "no mode given"),
    (["bogus"], "unknown mode 'bogus'"),
    (["--forks", "3"], "the mode comes first"),
    (["storm"], "--forks is required"),
    (["storm", "--forks"], "option '--forks' needs a value"),
    (["storm", "--forks", "abc"], "--forks: 'abc' is not a number"),
    (["storm", "--forks", "-1"], "--forks: '-1' is not a number"),
    (["storm", "--forks", "0"], "--forks: 0 is out of range"),
    (["storm", "--forks", "3x"], "--forks: '3x' is not a number"),
    (["storm", "--forks", "99999999999999999999999"], "is out of range"),
    (["storm", "--forks", "3", "--bogus"], "unknown option '--bogus'"),
    (["storm", "--forks", "3", "-x"], "unknown option '-x'"),
    (["storm", "--forks", "3", "--touch=yes"], "option '--touch' takes no value"),
    (["storm", "--forks", "3", "extra"], "unexpected argument 'extra'"),
    (["storm", "--forks", "3", "--threads", "0"], "--threads: 0 is out of range"),
    (["storm", "--forks", "3", "--siblings", "busy"], "--siblings: 'busy'"),
    (["storm", "--forks", "3", "--json", ""], "--json: empty file name"),
    (["uffd"], "--forks is required"),
    (["uffd", "--forks", "2", "--pages", "0"], "--pages: 0 is out of range"),
    (["uffd", "--forks", "2", "--vmas", "3"], "unknown option '--vmas'"),
    (["spawn", "--vfork", "many"], "--vfork: 'many' is not a number"),
    (["spawn", "--forks", "1"], "unknown option '--forks'"),
    (["busy"], "--seconds is required"),
    (["busy", "--seconds", "0"], "--seconds: 0 is out of range"),
    (["uffd-monitor"], "started by 'uffd --monitor' only"),
    (["uffd-copy"], "--rounds is required"),
    (["uffd-copy", "--rounds", "65"], "--rounds: 65 is out of range"),
    (["uffd-copy", "--rounds", "1", "--monitor", "fork"], "--monitor: 'fork'"),
    (["uffd-copy-monitor"], "started by 'uffd-copy' only"),
    (["file-fault"], "--forks is required"),
]


def test_usage():
    for args, msg in BAD:
        _, out, err = run(args, expect_rc=2)
        eq(out, "", "stdout of %r" % args)
        lines = err.splitlines()
        eq(len(lines), 1, "stderr lines of %r" % args)
        check(err.startswith("forklock-workload: error: ") and msg in err,
              "stderr of %r is %r, want 'forklock-workload: error: ...%s...'"
              % (args, err, msg))
    for args in (["--help"], ["-h"], ["storm", "--help"], ["uffd", "-h"]):
        _, out, err = run(args, parse=False)
        check(out.startswith("usage: forklock-workload MODE"), "usage on stdout for %r" % args)
        eq(err, "", "stderr of %r" % args)


def test_json_file():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "gt.json")
        _, out, err = run(["storm", "--forks", "2", "--json", path])
        eq(out, "", "stdout with --json")
        with open(path) as f:
            data = json.load(f)
        eq(data["forks"], 2, "forks in the --json file")
        bad = os.path.join(tmp, "missing", "gt.json")
        _, out, err = run(["spawn", "--json", bad], expect_rc=1)
        eq(out, "", "stdout when --json cannot be created")
        eq(err, "forklock-workload: error: cannot create %s: No such file or directory\n"
           % bad, "stderr when --json cannot be created")


def test_failure():
    # more VMAs than the kernel allows: exit 1, one line, no JSON
    with open("/proc/sys/vm/max_map_count") as f:
        limit = int(f.read())
    if limit + 10 > 10000000:
        print("SKIP: vm.max_map_count %d is above --vmas' range" % limit)
        return
    _, out, err = run(["storm", "--forks", "1", "--vmas", str(limit + 10)], expect_rc=1)
    eq(out, "", "no JSON on failure")
    eq(len(err.splitlines()), 1, "one line on stderr")
    check(err.startswith("forklock-workload: error: mprotect of page ") and
          "Cannot allocate memory" in err, "mprotect failure message: %r" % err)


TESTS = {name[5:].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("test_")}


def main():
    global WL
    if len(sys.argv) != 3 or sys.argv[2] not in TESTS:
        sys.exit("usage: %s WORKLOAD {%s}" % (sys.argv[0], ",".join(TESTS)))
    WL = sys.argv[1]
    TESTS[sys.argv[2]]()
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
