#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mkseed - shrink a forklock recording into a fuzz seed.

Usage: mkseed.py IN.dat OUT.dat

A recording made with `forklock record` carries the whole host: every
task's comm in saved_cmdlines (~130 KB here) and one /proc snapshot line
per process and task (several pages of ftrace:print events).  A fuzzer
spends its time parsing those and mutates bytes nobody reads, so a seed
keeps only what the events use:

  - the snapshot (ftrace:print "forklock-snapshot ..." events on CPU 0's
    first pages, as lib/record/output.c writes them) keeps its begin,
    tier, command and end lines and the proc/task lines of the processes
    that have events in the trace; the pages are packed again;
  - saved_cmdlines keeps the lines of the pids that have events;
  - the ftrace system's formats (function, funcgraph, ...: 18 of them) are
    kept only for the ids that have events (print);
  - everything else (formats, printk_formats, options, every other ring
    page) is copied as recorded, and the CPU offsets are recomputed.

The result is still a trace.dat forklock report reads, with the same forks.
Little-endian, 64-bit, version 6 files only (what forklock record writes
here).
"""
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tracedat import Reader, ring_events  # noqa: E402


def parse(data):
    r = Reader(data)
    t = {}
    if r.take(10) != b'\x17\x08\x44tracing':
        raise ValueError('not a trace.dat')
    t['version'] = r.cstr()
    if t['version'] != b'6':
        raise ValueError('version 6 only')
    t['endian'], t['long_size'] = r.u('B'), r.u('B')
    if t['endian'] or t['long_size'] != 8:
        raise ValueError('little-endian 64-bit only')
    t['page_size'] = r.u('I')
    # the header, split at the parts that change
    hstart = r.p
    for name in (b'header_page', b'header_event'):
        if r.cstr() != name:
            raise ValueError('no ' + name.decode())
        r.take(r.u('Q'))
    t['head_pages'] = data[hstart:r.p]
    formats = []
    for _ in range(r.u('I')):
        formats.append(r.take(r.u('Q')))
    t['ftrace_formats'] = formats
    hstart = r.p
    for _ in range(r.u('I')):
        r.cstr()
        for _ in range(r.u('I')):
            r.take(r.u('Q'))
    r.take(r.u('I'))		# kallsyms
    r.take(r.u('I'))		# printk_formats
    t['head'] = data[hstart:r.p]
    t['cmdlines'] = r.take(r.u('Q'))
    t['cpus'] = r.u('I')
    tail = r.p
    t['clock'] = False
    while True:
        name = r.cstr()
        if name == b'options  ':
            while True:
                oid = r.u('H')
                if not oid:
                    break
                r.take(r.u('I'))
                t['clock'] = t['clock'] or oid == 4
            continue
        if name != b'flyrecord':
            raise ValueError('no flyrecord section')
        break
    t['options'] = data[tail:r.p]	# "options  " ... "flyrecord\0"
    t['cpu'] = []
    for _ in range(t['cpus']):
        off, size = r.u('Q'), r.u('Q')
        t['cpu'].append(data[off:off + size])
    # with a TRACECLOCK option, the clock text follows the offsets
    t['after_offsets'] = b''
    if t['clock']:
        n = r.u('Q')
        t['after_offsets'] = struct.pack('<Q', n) + r.take(n)
    return t


def print_id(formats):
    for f in formats:
        if re.search(rb'^name: print$', f, re.M):
            return int(re.search(rb'^ID: (\d+)', f, re.M).group(1))
    return None


def events(page, page_size):
    """(ts, payload) of every data event of one ring page."""
    return [(ts, page[s:e]) for ts, s, e in ring_events(page, page_size)]


def build_pages(evs, page_size):
    """Pack (ts, payload) events (all of one timestamp) into ring pages."""
    pages, cur, ts0 = [], b'', None
    for ts, payload in evs:
        payload += b'\0' * (-len(payload) % 4)
        if len(payload) <= 28 * 4:
            rec = struct.pack('<I', len(payload) // 4) + payload
        else:
            rec = struct.pack('<II', 0, len(payload) + 4) + payload
        if ts0 is None:
            ts0 = ts
        if ts != ts0:
            raise ValueError('snapshot events of different times')
        if 16 + len(cur) + len(rec) > page_size:
            pages.append(struct.pack('<QQ', ts0, len(cur)) + cur.ljust(page_size - 16, b'\0'))
            cur = b''
        cur += rec
    if cur:
        pages.append(struct.pack('<QQ', ts0, len(cur)) + cur.ljust(page_size - 16, b'\0'))
    return b''.join(pages)


def shrink(t):
    ps = t['page_size']
    pid_print = print_id(t['ftrace_formats'])
    pages = [[c[i:i + ps] for i in range(0, len(c), ps)] for c in t['cpu']]

    def is_snapshot_page(page):
        evs = events(page, ps)
        return evs and all(struct.unpack_from('<H', e)[0] == pid_print and
                           b'forklock-snapshot ' in e for _, e in evs)

    nsnap = 0
    while nsnap < len(pages[0]) and is_snapshot_page(pages[0][nsnap]):
        nsnap += 1
    pids = set()
    for cpu, cp in enumerate(pages):
        for i, page in enumerate(cp):
            if cpu == 0 and i < nsnap:
                continue
            for _, e in events(page, ps):
                if len(e) >= 8:
                    pids.add(struct.unpack_from('<i', e, 4)[0])
    snap = [ev for page in pages[0][:nsnap] for ev in events(page, ps)]
    tgid_of = {}
    for _, e in snap:
        m = re.search(rb'forklock-snapshot task pid=(\d+) tgid=(\d+)', e)
        if m:
            tgid_of[int(m.group(1))] = int(m.group(2))
    tgids = {tgid_of.get(p, p) for p in pids}
    keep = []
    for ts, e in snap:
        m = re.search(rb'forklock-snapshot (proc tgid|task pid=\d+ tgid)=(\d+)', e)
        if m and int(m.group(2)) not in tgids:
            continue
        keep.append((ts, e))
    cpu0 = build_pages(keep, ps) + b''.join(pages[0][nsnap:])
    cmdlines = b''.join(l for l in t['cmdlines'].splitlines(keepends=True)
                        if l.split(b' ', 1)[0].isdigit() and int(l.split(b' ', 1)[0]) in pids)
    # the ftrace system's formats: print (the snapshot) and whatever else
    # has events (nothing else, normally)
    ids = set()
    for cp in [[cpu0[i:i + ps] for i in range(0, len(cpu0), ps)]] + pages[1:]:
        for page in cp:
            ids.update(struct.unpack_from('<H', e)[0] for _, e in events(page, ps) if len(e) >= 2)
    ftrace = [f for f in t['ftrace_formats']
              if int(re.search(rb'^ID: (\d+)', f, re.M).group(1)) in ids]
    return cpu0, cmdlines, ftrace


def write(t, cpu0, cmdlines, ftrace):
    ps = t['page_size']
    out = bytearray(b'\x17\x08\x44tracing6\0')
    out += struct.pack('<BBI', 0, 8, ps)
    out += t['head_pages']
    out += struct.pack('<I', len(ftrace)) + b''.join(struct.pack('<Q', len(f)) + f for f in ftrace)
    out += t['head']
    out += struct.pack('<Q', len(cmdlines)) + cmdlines
    out += struct.pack('<I', t['cpus']) + t['options']
    cpus = [cpu0] + t['cpu'][1:]
    start = len(out) + 16 * t['cpus'] + len(t['after_offsets'])
    off = (start + ps - 1) // ps * ps
    offsets = []
    for c in cpus:
        offsets.append((off if c else 0, len(c)))
        off += len(c)
    for o, s in offsets:
        out += struct.pack('<QQ', o, s)
    out += t['after_offsets']
    for (o, s), c in zip(offsets, cpus):
        if s:
            out += b'\0' * (o - len(out))
            out += c
    return bytes(out)


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: mkseed.py IN.dat OUT.dat')
    data = open(sys.argv[1], 'rb').read()
    t = parse(data)
    cpu0, cmdlines, ftrace = shrink(t)
    out = write(t, cpu0, cmdlines, ftrace)
    with open(sys.argv[2], 'wb') as f:
        f.write(out)
    print('%s: %d -> %d bytes' % (sys.argv[2], len(data), len(out)))


if __name__ == '__main__':
    main()
