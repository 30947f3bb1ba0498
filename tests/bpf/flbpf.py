# SPDX-License-Identifier: GPL-2.0-or-later
"""What the bpf tier's tests share: forklock's BPF programs on this host and
who holds them, and the forklock:bpf_fork lines of trace-cmd report."""
import glob
import json
import re
import subprocess
import time

PROG_NAMES = ("fl_acquire", "fl_release", "fl_ma_write", "fl_reject_test")


def forklock_progs():
    """ids of the loaded BPF programs that are forklock's (by name)."""
    p = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True,
                       timeout=60)
    if p.returncode:
        raise AssertionError("bpftool prog show failed: " + p.stderr)
    return {q["id"] for q in json.loads(p.stdout or "[]") if q.get("name") in PROG_NAMES}


def holders():
    """prog id -> pids holding it (a program fd, or a link fd of it), from /proc/*/fdinfo."""
    held = {}
    for fdinfo in glob.glob("/proc/[0-9]*/fdinfo/*"):
        try:
            with open(fdinfo) as f:
                text = f.read()
        except OSError:
            continue
        m = re.search(r"^prog_id:\s+(\d+)", text, re.M)
        if m:
            held.setdefault(int(m.group(1)), set()).add(int(fdinfo.split("/")[2]))
    return held


def leftover(pid=None, wait=2.0):
    """forklock programs held by @pid or by nobody (after @wait s for the kernel to free them)."""
    deadline = time.time() + wait
    while True:
        left = set()
        held = holders()
        for prog in forklock_progs():
            h = held.get(prog, set())
            if not h or (pid is not None and pid in h):
                left.add(prog)
        if not left or time.time() > deadline:
            return left
        time.sleep(0.1)


FORK_RE = re.compile(r"^\s*forklock-bpf:\s+(.+?)-(\d+)\s+\[(\d+)\]\s+([\d.]+): bpf_fork:\s+(.*)$")


def bpf_forks(text):
    """The bpf_fork lines of trace-cmd report: dicts of pid and each key=value."""
    out = []
    for line in text.splitlines():
        m = FORK_RE.match(line)
        if not m:
            continue
        d = {"comm": m.group(1), "pid": int(m.group(2)), "cpu": int(m.group(3))}
        rest = m.group(5)
        end = re.search(r"end=\((-?\d+) (-?\d+) (-?\d+)\)", rest)
        if end:
            d["mm_users_end"], d["mm_count_end"], d["map_count_end"] = map(int, end.groups())
        for k, v in re.findall(r"(\w+)=(0x[0-9a-f]+|-?\d+)", rest):
            d[k] = int(v, 0)
        out.append(d)
    return out
