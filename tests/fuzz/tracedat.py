# SPDX-License-Identifier: GPL-2.0-or-later
"""A trace.dat version 6 file as Python lists, and back: enough to damage a
real recording on purpose (tests/fuzz/test_robust.py).  Little-endian,
as forklock record writes it on x86 and arm64."""
import os
import re
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from flcommon import RB_MISSED_EVENTS, Reader, ring_events  # noqa: E402,F401


class TraceDat(Reader):
    """Sections of a v6 file.  formats: [(system, [format bytes])] with
    system "ftrace" first; cpus: [data bytes] per CPU."""

    def __init__(self, data):
        super().__init__(data)
        if self.take(10) != b'\x17\x08\x44tracing' or self.cstr() != b'6':
            raise ValueError('not a version 6 trace.dat')
        self.endian, self.long_size, self.page_size = struct.unpack('<BBI', self.take(6))
        self.header_page = self.named(b'header_page')
        self.header_event = self.named(b'header_event')
        self.ftrace = [self.take(self.u('Q')) for _ in range(self.u('I'))]
        self.systems = []
        for _ in range(self.u('I')):
            name = self.cstr()
            self.systems.append((name, [self.take(self.u('Q')) for _ in range(self.u('I'))]))
        self.kallsyms = self.take(self.u('I'))
        self.printk = self.take(self.u('I'))
        self.cmdlines = self.take(self.u('Q'))
        ncpus = self.u('I')
        self.options = []
        while True:
            name = self.cstr()
            if name != b'options  ':
                break
            while True:
                oid = self.u('H')
                if not oid:
                    break
                self.options.append((oid, self.take(self.u('I'))))
        if name != b'flyrecord':
            raise ValueError('no flyrecord')
        offs = [(self.u('Q'), self.u('Q')) for _ in range(ncpus)]
        self.clock = self.take(self.u('Q')) if any(o == 4 for o, _ in self.options) else None
        self.cpus = [data[o:o + s] for o, s in offs]

    def named(self, name):
        if self.cstr() != name:
            raise ValueError('no ' + name.decode())
        return self.take(self.u('Q'))

    def bytes(self):
        o = bytearray(b'\x17\x08\x44tracing6\0')
        o += struct.pack('<BBI', self.endian, self.long_size, self.page_size)
        for name, text in ((b'header_page', self.header_page), (b'header_event', self.header_event)):
            o += name + b'\0' + struct.pack('<Q', len(text)) + text
        o += struct.pack('<I', len(self.ftrace))
        for f in self.ftrace:
            o += struct.pack('<Q', len(f)) + f
        o += struct.pack('<I', len(self.systems))
        for name, fmts in self.systems:
            o += name + b'\0' + struct.pack('<I', len(fmts))
            for f in fmts:
                o += struct.pack('<Q', len(f)) + f
        o += struct.pack('<I', len(self.kallsyms)) + self.kallsyms
        o += struct.pack('<I', len(self.printk)) + self.printk
        o += struct.pack('<Q', len(self.cmdlines)) + self.cmdlines
        o += struct.pack('<I', len(self.cpus))
        if self.options:
            o += b'options  \0'
            for oid, data in self.options:
                o += struct.pack('<HI', oid, len(data)) + data
            o += struct.pack('<H', 0)
        o += b'flyrecord\0'
        start = len(o) + 16 * len(self.cpus) + (8 + len(self.clock) if self.clock is not None else 0)
        off = -(-start // self.page_size) * self.page_size
        offs = []
        for c in self.cpus:
            offs.append((off if c else 0, len(c)))
            off += len(c)
        for x in offs:
            o += struct.pack('<QQ', *x)
        if self.clock is not None:
            o += struct.pack('<Q', len(self.clock)) + self.clock
        for (off, size), c in zip(offs, self.cpus):
            if size:
                o += b'\0' * (off - len(o)) + c
        return bytes(o)

    # ---- event formats ----------------------------------------------------

    def all_formats(self):
        yield from ((b'ftrace', f) for f in self.ftrace)
        for name, fmts in self.systems:
            yield from ((name, f) for f in fmts)

    def event_id(self, system, event):
        for sysname, f in self.all_formats():
            if sysname == system.encode() and re.search(rb'^name: %s$' % event.encode(), f, re.M):
                return int(re.search(rb'^ID: (\d+)', f, re.M).group(1))
        return None

    def drop_format(self, system, event):
        pat = re.compile(rb'^name: %s$' % re.escape(event.encode()), re.M)
        if system == 'ftrace':
            self.ftrace = [f for f in self.ftrace if not pat.search(f)]
            return
        self.systems = [(n, [f for f in fmts if not (n == system.encode() and pat.search(f))])
                        for n, fmts in self.systems]

    # ---- ring pages -------------------------------------------------------

    def map_events(self, fn):
        """fn(payload bytearray) for every data event of every page."""
        ps = self.page_size
        for ci, c in enumerate(self.cpus):
            c = bytearray(c)
            for base in range(0, len(c), ps):
                for _, start, end in ring_events(c[base:base + ps], ps):
                    fn(memoryview(c)[base + start:base + end])
            self.cpus[ci] = bytes(c)
