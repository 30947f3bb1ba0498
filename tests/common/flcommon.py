# SPDX-License-Identifier: GPL-2.0-or-later
"""What the Python tests share, written once:

- the report's statistics as forklock computes them (lib/report/rank.c,
  lib/compare/stats.c): nearest rank, p50/p99/max, least squares;
- reading a trace.dat's bytes front to back (the C side is
  lib/tracedat/bytes.c) and walking one ring-buffer page's events
  (lib/tracedat/format.h, as libtraceevent's kbuffer does);
- the tracefs instances forklock recorders make, and what a test must
  never leave behind.

A test imports it after putting this folder on sys.path:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "common"))
"""
import fcntl
import math
import os
import struct
import time

# ---- statistics ------------------------------------------------------------


def nearest_rank(values, q):
    """The nearest-rank quantile q of values (0 for none), as fl_rank()."""
    v = sorted(values)
    if not v:
        return 0
    return v[max(1, min(len(v), math.ceil(q * len(v)))) - 1]


def pct(values):
    """A report's {"p50", "p99", "max"} of values."""
    return {"p50": nearest_rank(values, 0.50), "p99": nearest_rank(values, 0.99),
            "max": max(values) if values else 0}


def ols(points):
    """Least squares of y on x over (x, y) points: (slope, intercept)."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    sxy = sum((x - mx) * (y - my) for x, y in points)
    return sxy / sxx, my - sxy / sxx * mx


# ---- trace.dat bytes -------------------------------------------------------


class Reader:
    """Little-endian fields of a byte string, front to back; ValueError
    where the bytes end."""

    def __init__(self, data):
        self.d = data
        self.p = 0

    def take(self, n):
        b = self.d[self.p:self.p + n]
        if len(b) != n:
            raise ValueError("file ends at %d, wanted %d more bytes" % (self.p, n - len(b)))
        self.p += n
        return b

    def u(self, fmt):
        v = struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]
        return v

    def cstr(self):
        e = self.d.index(b"\0", self.p)
        s = self.d[self.p:e]
        self.p = e + 1
        return s


RB_COMMIT_MASK = (1 << 27) - 1	# format.h TRACEDAT_RB_COMMIT_MASK
RB_MISSED_EVENTS = 1 << 31


def ring_events(page, page_size):
    """(ts, start, end) of every data event's payload in one little-endian
    ring-buffer page (offsets into page), time extends and stamps applied."""
    ts = struct.unpack_from("<Q", page, 0)[0]
    commit = struct.unpack_from("<Q", page, 8)[0] & RB_COMMIT_MASK
    p, end = 16, 16 + min(commit, page_size - 16)
    out = []
    while p + 4 <= end:
        h = struct.unpack_from("<I", page, p)[0]
        tl, delta = h & 31, h >> 5
        if tl == 0:		# length (+4) in the word after the header
            n = struct.unpack_from("<I", page, p + 4)[0] - 4
            ts += delta
            out.append((ts, p + 8, p + 8 + n))
            p += 8 + ((n + 3) & ~3)
        elif tl <= 28:
            ts += delta
            out.append((ts, p + 4, p + 4 + tl * 4))
            p += 4 + tl * 4
        elif tl == 29:		# padding: kbuffer reads its length word
            p += 4 + struct.unpack_from("<I", page, p + 4)[0]
        elif tl == 30:		# time extend
            ts += delta + (struct.unpack_from("<I", page, p + 4)[0] << 27)
            p += 8
        else:			# absolute time stamp
            ts = struct.unpack_from("<I", page, p + 4)[0] << 27 | delta
            p += 8
    return out


# ---- tracefs instances -----------------------------------------------------

TRACEFS = "/sys/kernel/tracing"


def instances():
    """The forklock-* instances on this host (any recorder's)."""
    try:
        return sorted(n for n in os.listdir(os.path.join(TRACEFS, "instances"))
                      if n.startswith("forklock-"))
    except OSError:
        return []


def parse_instance(name):
    """(boot, pidns, pid, random) of a forklock-<boot>-<pidns>-<pid>-<random>
    instance name (lib/record/instance.c), or None."""
    parts = name[len("forklock-"):].split("-") if name.startswith("forklock-") else []
    if len(parts) != 4 or not all(p and all(c in "0123456789abcdef" for c in p) for p in parts):
        return None
    return parts[0], int(parts[1]), int(parts[2]), parts[3]


def pidns_inode(pid="self"):
    return os.stat("/proc/%s/ns/pid" % pid).st_ino


def instance_of(pid, pidns=None):
    """The instances of the recorder that is PID in PID namespace PIDNS
    (default: ours)."""
    ns = pidns_inode() if pidns is None else pidns
    return [n for n in instances()
            if parse_instance(n) and parse_instance(n)[1:3] == (ns, pid)]


def instance_locked(name):
    """Does a live recorder hold NAME's lock (flock on NAME/tracing_on)?"""
    try:
        fd = os.open(os.path.join(TRACEFS, "instances", name, "tracing_on"), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def recorder_alive(name):
    """Is the recorder that owns instance NAME still running?  As the
    recorder's own cleanup decides: it holds the lock, or the instance is
    too young to have been claimed (trace_clock set) yet."""
    if not parse_instance(name):
        # forklock-<pid> of an older forklock (no lock): its pid and comm
        try:
            with open("/proc/%s/comm" % name[len("forklock-"):]) as f:
                return f.read().strip() == "forklock"
        except (OSError, ValueError):
            return False
    if instance_locked(name):
        return True
    path = os.path.join(TRACEFS, "instances", name)
    try:
        with open(os.path.join(path, "trace_clock")) as f:
            claimed = "[mono]" in f.read()
        young = time.time() - os.stat(path).st_ctime <= 30
    except OSError:
        return False
    return not claimed and young


def stale_instances():
    """Instances whose recorder is gone: what a test must never leave.
    (A recorder running outside this test keeps its own.)"""
    return [n for n in instances() if not recorder_alive(n)]


def remove_instance(name):
    """What a crashed recorder leaves: tracing off, events off, rmdir --
    only once its lock could be taken (then dropped: rmdir fails EBUSY while
    any fd inside is open)."""
    if recorder_alive(name):
        return
    path = os.path.join(TRACEFS, "instances", name)
    for f, v in (("tracing_on", "0"), ("events/enable", "0")):
        try:
            with open(os.path.join(path, f), "w") as fh:
                fh.write(v)
        except OSError:
            pass
    try:
        os.rmdir(path)
    except OSError:
        pass
