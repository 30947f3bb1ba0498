# SPDX-License-Identifier: GPL-2.0-or-later
"""A fixture trace written line by line in tests/fixture/mkfixture's .desc
format: the header (page size, kernel, clock, event formats), the events
(@TS CPU PID system:event fields), then mkfixture makes the trace.dat.

One builder for every fixture test, so the line formats live in one place.
"""
import os
import subprocess


class Desc:
    def __init__(self, data, memcg="memcg_id=0"):
        self.data = data	# tests/data
        self.memcg = memcg	# the mmap_lock events' memcg field of this kernel
        self.lines = []
        self.ts = 1000000

    def ev(self, pid, text, dt=10, cpu=0):
        """An event DT ns after the last one (0: the same tick) on CPU."""
        self.ts += dt
        self.lines.append("@%d %d %d %s" % (self.ts, cpu, pid, text))

    def lock(self, ev, pid, mm, dt=10, cpu=0, **kw):
        extra = " ".join("%s=%s" % (k, v) for k, v in kw.items())
        self.ev(pid, "mmap_lock:mmap_lock_%s mm=%#x %s %s" % (ev, mm, self.memcg, extra), dt, cpu)

    def print_(self, text):
        self.lines.append('@%d 0 100 ftrace:print ip=0 buf="%s\\n"' % (self.ts, text))

    def head(self, release, tracepoints, kernel="6.18", cpus=1):
        """The header: KERNEL's own tracepoint formats where tests/data has
        them, 6.18's otherwise."""
        head = ["page_size 4096", "cpus %d" % cpus, "uname Linux fixture %s #1 SMP x86_64" % release,
                "clock mono", "printk %s" % os.path.join(self.data, "printk_formats")]
        for tp in tracepoints:
            own = os.path.join(self.data, "formats", kernel, tp)
            head.append("format %s %s" % (tp.split("/")[0], own if os.path.exists(own) else
                                          os.path.join(self.data, "formats", "6.18", tp)))
        return head

    def probes(self, tmp, group, probes, probe_format):
        """Header lines for kprobe events {name: (id, kretprobe, args)} of
        GROUP, their format files written into TMP by PROBE_FORMAT."""
        head = []
        for name, (eid, ret, args) in probes.items():
            path = os.path.join(tmp, name + ".format")
            with open(path, "w") as f:
                f.write(probe_format(name, eid, ret, args))
            head.append("format %s %s" % (group, path))
        return head

    def write(self, tmp, name, head, mkfixture):
        """TMP/NAME.desc from HEAD and the events, made into TMP/NAME.dat."""
        desc = os.path.join(tmp, name + ".desc")
        with open(desc, "w") as f:
            f.write("\n".join(head + self.lines) + "\n")
        out = os.path.join(tmp, name + ".dat")
        subprocess.run([mkfixture, desc, out], check=True)
        return out
