# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks of forklock's mail output shared by the fixture and live tests:
the form (72 columns, ASCII, no tabs) and that every number it prints is
the JSON report's number for the same input."""
import re
import subprocess

COLUMNS = 72


def fmt_ns(ns):
    """lib/report/render.c fl_fmt_ns()"""
    if ns < 1000:
        return "%d ns" % ns
    if ns < 1000000:
        return "%.1f us" % (ns / 1e3)
    if ns < 1000000000:
        return "%.2f ms" % (ns / 1e6)
    return "%.2f s" % (ns / 1e9)


def form_problems(text):
    """Lines of mail output that are too long, not ASCII, hold a tab or an
    escape (colour), or end in a blank."""
    bad = []
    for n, line in enumerate(text.split("\n"), 1):
        if len(line) > COLUMNS:
            bad.append("line %d has %d columns: %r" % (n, len(line), line))
        if any(ord(c) > 126 or (ord(c) < 32) for c in line):
            bad.append("line %d is not printable ASCII: %r" % (n, line))
        if line.endswith(" "):
            bad.append("line %d ends in a blank: %r" % (n, line))
    if not text.endswith("\n"):
        bad.append("no newline at the end")
    return bad


def logical_lines(text):
    """Undo the wrapping of the header blocks: a line indented by 12 or more
    continues the one before it (until the policies' table)."""
    out = []
    for line in text.split("\n"):
        if out and re.match(r"^ {12,}\S", line) and not out[-1].startswith("If fork"):
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return out


def check_against_json(tc, mail, rep):
    """Assert with unittest.TestCase @tc that @mail says what JSON report
    @rep says.  Returns the number of values compared."""
    lines = logical_lines(mail)
    s = rep["summary"]
    seen = 0

    def find(pattern, start=0):
        for line in lines[start:]:
            m = re.match(pattern, line)
            if m:
                return m
        tc.fail("no line matches %r in the mail output:\n%s" % (pattern, mail))

    def eq(got, want, what):
        nonlocal seen
        tc.assertEqual(got, want, what)
        seen += 1

    # the traces, in order
    kernels = [re.match(r"^Kernel: +(\S+) \((\w+) tier, (\d+) CPUs, clock (\S+)\)$", l)
               for l in lines]
    kernels = [m for m in kernels if m]
    durations = [re.match(r"^Duration: +(.*), (\d+) events, (\d+) lost", l) for l in lines]
    durations = [m for m in durations if m]
    eq(len(kernels), len(rep["traces"]), "one Kernel: line per trace")
    eq(len(durations), len(rep["traces"]), "one Duration: line per trace")
    for t, k, d in zip(rep["traces"], kernels, durations):
        eq(k.group(1), t["kernel"], "kernel")
        eq(k.group(2), t["tier"], "tier")
        eq(int(k.group(3)), t["cpus"], "cpus")
        eq(k.group(4), t["clock"], "clock")
        eq(d.group(1), fmt_ns(t["duration_ns"]), "duration")
        eq(int(d.group(2)), t["events"], "events")
        eq(int(d.group(3)), t["lost_events"], "lost events")
    workloads = [re.match(r"^Workload: +(.*)$", l).group(1) for l in lines
                 if l.startswith("Workload:")]
    for t, w in zip(rep["traces"], workloads):
        if t["command"]:
            eq(w, t["command"], "workload")
        else:
            tc.assertTrue(w.startswith("not recorded"), w)

    m = find(r"^Forks: +(\d+) complete$")
    eq(int(m.group(1)), s["forks"], "forks")
    m = find(r"^  single-threaded +(\d+) \(([\d.]+)%\)$")
    eq(int(m.group(1)), s["single_threaded_forks"], "single-threaded")
    eq(m.group(2), "%.1f" % (100.0 * s["single_threaded_forks"] / s["forks"]
                             if s["forks"] else 0.0), "single-threaded share")
    eq(int(find(r"^  multi-threaded +(\d+)$").group(1)), s["multi_threaded_forks"], "multi")
    eq(int(find(r"^  threads unknown +(\d+)$").group(1)), s["unknown_threads_forks"],
       "threads unknown")
    m = find(r"^  with userfaultfd +(\d+) \(unknown (\d+)\)$")
    eq(int(m.group(1)), s["uffd_forks"], "uffd")
    eq(int(m.group(2)), s["uffd_unknown_forks"], "uffd unknown")
    eq(int(find(r"^  with lost events +(\d+)$").group(1)), s["lossy_forks"], "lossy forks")
    m = find(r"^Not counted: +(\d+) partial, (\d+) aborted$")
    eq(int(m.group(1)), s["partial_forks"], "partial")
    eq(int(m.group(2)), s["aborted_forks"], "aborted")
    m = find(r"^CLONE_VM clones: +(\d+) \(threads (\d+), vforks (\d+); no dup_mmap\)$")
    eq(int(m.group(1)), s["clone_vm_spawns"], "clone_vm")
    eq(int(m.group(2)), s["threads_created"], "threads created")
    eq(int(m.group(3)), s["vforks"], "vforks")
    m = find(r"^Parent VMA locks: +(\d+) \(per fork p50 (\d+), p99 (\d+), max (\d+)\)$")
    eq(int(m.group(1)), s["vma_locks"], "vma locks")
    for k, g in (("p50", 2), ("p99", 3), ("max", 4)):
        eq(int(m.group(g)), s["vmas_locked_per_fork"][k], "vmas per fork " + k)
    m = find(r"^Write window: +total (.*), p50 (.*), p99 (.*), max (.*)$")
    eq(m.group(1), fmt_ns(s["window_total_ns"]), "window total")
    for k, g in (("p50", 2), ("p99", 3), ("max", 4)):
        eq(m.group(g), fmt_ns(s["window_ns"][k]), "window " + k)
    m = find(r"^Wait for oldmm: +p50 (.*), p99 (.*), max (.*)$")
    for k, g in (("p50", 1), ("p99", 2), ("max", 3)):
        eq(m.group(g), fmt_ns(s["lock_wait_ns"][k]), "lock wait " + k)
    m = find(r"^Touched in window: +(\d+) forks \((\d+) could reach a VMA\), others "
             r"blocked (.*)$")
    eq(int(m.group(1)), s["forks_with_concurrent"], "forks with concurrent")
    eq(int(m.group(2)), s["forks_with_vma_reachers"], "forks with reachers")
    eq(m.group(3), fmt_ns(s["blocked_ns"]), "blocked")
    for kind, n in s["concurrent_by_kind"].items():
        m = [re.match(r"^  %s +(\d+)$" % kind, l) for l in lines]
        m = [x for x in m if x]
        if n:
            eq(int(m[0].group(1)), n, "accessors " + kind)
        else:
            eq(m, [], "no line for accessors " + kind)
    m = find(r"^Lost events: +(\d+)")
    eq(int(m.group(1)), rep["trace"]["lost_events"], "lost events (all traces)")

    # policies: one row each
    if rep["policies"]:
        cost = find(r"^  Lock cost: (.*?), (assumed|given|measured):")
        eq(cost.group(1), fmt_ns(rep["lock_cost"]["ns"]), "lock cost")
        eq(cost.group(2), rep["lock_cost"]["basis"], "lock cost basis")
    for name, p in rep["policies"].items():
        m = find(r"^  %s +(\d+) +(.+?) +([\d.]+)%% +(\d+) +(\d+)  (\S+)$" % re.escape(name))
        eq(int(m.group(1)), p["skipped_locks"], name + " skipped locks")
        eq(m.group(2), fmt_ns(p["saved_ns_estimate"]), name + " saved")
        eq(m.group(3), "%.1f" % (100.0 * p["saved_share_of_window"]), name + " share")
        eq(int(m.group(4)), p["undecided_forks"], name + " undecided")
        eq(int(m.group(5)), p["unsafe_forks"], name + " unsafe")
        eq(m.group(6), p["verdict"], name + " verdict")
        if s["forks_with_concurrent"]:
            m = find(r"^    %s locked (\d+), skipped (\d+), left (\d+) undecided$"
                     % re.escape(name))
            eq([int(x) for x in m.groups()], [p["touched_forks"][k] for k in
                                              ("locked", "skipped", "undecided")],
               name + " touched forks")
        if p["unsafe_forks"] or p["unknown_safety_forks"]:
            m = find(r"^  %s: (\d+) unsafe forks, (\d+) of unknown safety" % re.escape(name))
            eq(int(m.group(1)), p["unsafe_forks"], name + " unsafe")
            eq(int(m.group(2)), p["unknown_safety_forks"], name + " unknown safety")

    # window by VMAs: the buckets that have forks
    rows = [re.match(r"^  (\d+)(?:-(\d+)|\+) +(\d+) +(.+? [mnu]?s) +(.+? [mnu]?s) +(.+? [mnu]?s)$",
                     l) for l in lines]
    rows = [r for r in rows if r]
    want = [b for b in s["window_by_vmas"] if b["forks"]]
    eq(len(rows), len(want), "bucket rows")
    for r, b in zip(rows, want):
        eq(int(r.group(1)), b["vmas_min"], "bucket min")
        eq(int(r.group(3)), b["forks"], "bucket forks")
        eq(r.group(4), fmt_ns(b["window_p50_ns"]), "bucket p50")
        eq(r.group(5), fmt_ns(b["window_p99_ns"]), "bucket p99")
        eq(r.group(6), fmt_ns(b["window_max_ns"]), "bucket max")

    # the top forking commands (at most 5)
    start = next((i for i, l in enumerate(lines) if l == "Top forking commands:"), None)
    if s["top_commands"]:
        tc.assertIsNotNone(start, "no top forking commands")
        for i, c in enumerate(s["top_commands"][:5]):
            m = re.match(r"^  (\S+) +(\d+) +(\d+) +(.+)$", lines[start + 2 + i])
            eq(m.group(1), c["comm"] or "?", "top comm")
            eq(int(m.group(2)), c["forks"], "top forks")
            eq(int(m.group(3)), c["vma_locks"] // c["forks"], "top VMAs/fork")
            eq(m.group(4), fmt_ns(c["window_total_ns"] // c["forks"]), "top window/fork")
    return seen


def command_lines(text):
    """The forklock command lines under "Produced by", each as the argument
    list sh makes of it (so the " \\" wrapping is checked as well)."""
    lines = text.split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("  Produced by forklock")
                 or l.startswith("Produced by forklock"))
    out, i = [], start + 1
    while i < len(lines):
        if not lines[i].startswith("  forklock "):
            i += 1
            continue
        cmd = [lines[i]]
        while lines[i].endswith("\\"):
            i += 1
            cmd.append(lines[i])
        i += 1
        script = "\n".join(cmd).replace("forklock", "set --", 1) + \
            '\nprintf "%s\\0" "$@"\n'
        p = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
        out.append(["forklock"] + p.stdout.split("\0")[:-1])
    return out
