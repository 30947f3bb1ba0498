#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Build a trace.dat with mkfixture and check it from every side:

  1. our own parse of the v6 layout (every section, option text, the
     flyrecord table, the clock, page alignment, the file size);
  2. ringpage_count() on each CPU's data (events, missed pages and counts);
  3. libtracecmd (tdread): every event, timestamp, pid, missed count and
     field value of the description, by name, and nothing else;
  4. `trace-cmd report`: exit 0, nothing on stderr mentioning an error or a
     warning, no [UNKNOWN EVENT] / [FAILED TO PARSE], one line per event,
     the dropped-events markers, the "# expect" lines of the description;
  5. `trace-cmd report --stat`: the CPUSTAT overruns; `trace-cmd dump -v`.

usage: test_fixture.py --mkfixture M --tdread T --ringcount R --trace-cmd TC
                       --data DIR (DESC | --generate)
"""

import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from flcommon import Reader  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


def die(what):
    print("FAIL: " + what, file=sys.stderr)
    sys.exit(1)


# ---- the description language (the subset the checks need) ----

def tokenize(line):
    """Words; quoted parts with \\" \\\\ \\n \\t; (text, quoted_at)."""
    toks, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n or line[i] == "#":
            return toks
        word, quoted_at = "", None
        while i < n and line[i] not in " \t":
            if line[i] != '"':
                word += line[i]
                i += 1
                continue
            quoted_at = len(word)
            i += 1
            while i < n and line[i] != '"':
                c = line[i]
                if c == "\\":
                    i += 1
                    c = {"n": "\n", "t": "\t", "\\": "\\", '"': '"'}[line[i]]
                word += c
                i += 1
            i += 1
        toks.append((word, quoted_at))


def number(text):
    if text == "true":
        return 1
    if text == "false":
        return 0
    neg = text.startswith("-")
    if neg:
        text = text[1:]
    v = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
    return -v if neg else v


def parse_desc(path):
    d = {"page_size": 4096, "cpus": 1, "uname": None, "version": None, "clock": None,
         "header_page": None, "header_event": None, "formats": [], "printk": b"",
         "cmdlines": b"", "cpustat": {}, "events": [], "missed": [],
         "expect": [], "expect_count": [], "expect_stat": [], "expect_loc": []}
    base = os.path.dirname(path)
    pending = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f.read().split("\n"), 1):
            m = re.match(r"^# expect: (.*)$", line)
            if m:
                d["expect"].append(m.group(1))
            m = re.match(r"^# expect-count: (\d+) (.*)$", line)
            if m:
                d["expect_count"].append((int(m.group(1)), m.group(2)))
            m = re.match(r"^# expect-stat: (\d+) (\d+)$", line)
            if m:
                d["expect_stat"].append((int(m.group(1)), int(m.group(2))))
            m = re.match(r"^# expect-loc: (\S+) (\w+) (\d+)$", line)
            if m:
                d["expect_loc"].append((m.group(1), m.group(2), int(m.group(3))))
            t = tokenize(line)
            if not t:
                continue
            word = t[0][0]
            rest = line.strip()[len(word):].strip()
            if word == "page_size":
                d["page_size"] = int(t[1][0])
            elif word == "cpus":
                d["cpus"] = int(t[1][0])
            elif word in ("uname", "version"):
                d[word] = rest
            elif word == "clock":
                d["clock"] = t[1][0]
            elif word in ("header_page", "header_event"):
                d[word] = os.path.join(base, t[1][0])
            elif word == "format":
                d["formats"].append((t[1][0], os.path.join(base, t[2][0])))
            elif word == "printk":
                if d["printk"] and not d["printk"].endswith(b"\n"):
                    d["printk"] += b"\n"
                with open(os.path.join(base, t[1][0]), "rb") as pf:
                    d["printk"] += pf.read()
            elif word == "printk_line":
                if d["printk"] and not d["printk"].endswith(b"\n"):
                    d["printk"] += b"\n"
                d["printk"] += ('0x%x : "%s"\n' % (int(t[1][0], 16), t[-1][0])).encode()
            elif word == "cmdline":
                d["cmdlines"] += ("%d %s\n" % (int(t[1][0]), t[2][0])).encode()
            elif word == "cpustat":
                st = {}
                for w, _ in t[2:]:
                    k, v = w.split("=", 1)
                    st[k] = int(v, 0)
                d["cpustat"][int(t[1][0])] = st
            elif word == "missed":
                cpu = int(t[1][0])
                pending[cpu] = pending.get(cpu, 0) + int(t[2][0])
                d["missed"].append((cpu, int(t[2][0])))
            elif word.startswith("@"):
                cpu = int(t[1][0])
                fields = {}
                for w, q in t[4:]:
                    k, v = w.split("=", 1)
                    fields[k] = v if q is not None else number(v)
                d["events"].append({"line": lineno, "ts": int(word[1:]), "cpu": cpu,
                                    "pid": int(t[2][0]), "event": t[3][0],
                                    "fields": fields, "missed": pending.pop(cpu, 0)})
    return d


def generate(tmp, data):
    """A description big enough to fill pages: 4 cpus, the first and last empty."""
    fmt = os.path.join(data, "formats", "6.18")
    lines = ["page_size 4096", "cpus 4", "clock local",
             "format maple_tree %s/maple_tree/ma_write" % fmt,
             "format ftrace %s/ftrace/print" % fmt,
             "printk %s/printk_formats" % data,
             "cmdline 10 writer", "cmdline 11 marker",
             "cpustat 1 overrun=123", "cpustat 2 overrun=0 dropped=9"]
    stores = splits = 0
    ts = 5000
    for i in range(700):
        fn = "0xffffffff825218e8" if i % 7 else "0xffffffff825218f8"
        if i % 7:
            stores += 1
        else:
            splits += 1
        if i == 300:
            lines.append("missed 1 1000")
        if i == 450:
            ts += 3 << 32          # a long gap: a time extend with array[0] bits
        lines.append("@%d 1 10 maple_tree:ma_write fn=%s min=%d max=%d index=%d last=%d "
                     "piv=0 val=0x%x node=0xffff888000b00000"
                     % (ts, fn, i, i + 1, i * 4096, i * 4096 + 4095, 0xffff888000000000 + i))
        ts += 137
    ts = 7000
    long_lines = 0
    for i in range(300):
        if i in (100, 101 + 50):
            lines.append("missed 2 %d" % (i + 1))
        text = "marker %d %s" % (i, "x" * (i % 150))
        if 16 + len(text) + 1 > 112:
            long_lines += 1
        lines.append('@%d 2 11 ftrace:print ip=0 buf="%s"' % (ts, text))
        ts += 1 << (i % 30)
    lines.append("# expect-count: %d ma_write: +mas_store\tNode " % stores)
    lines.append("# expect-count: %d ma_write: +mas_split\tNode " % splits)
    lines.append("# expect-count: 1 ^CPU:1 \\[1000 EVENTS DROPPED\\]$")
    lines.append("# expect-count: 1 ^CPU:2 \\[101 EVENTS DROPPED\\]$")
    lines.append("# expect-count: 1 ^CPU:2 \\[152 EVENTS DROPPED\\]$")
    lines.append("# expect-count: 300 ^\\s*marker-11 +\\[002\\] +[0-9.]+: print: +0x0: marker ")
    lines.append("# expect-stat: 1 123")
    lines.append("# expect-stat: 2 0")
    lines.append("# expect-stat: 0 0")
    lines.append("# expect-stat: 3 0")
    path = os.path.join(tmp, "generated.desc")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


# ---- the file itself ----

def escape_print_fmt(text):
    """What the writer stores: control bytes in print fmt strings escaped."""
    i = text.find(b"\nprint fmt:")
    if i < 0:
        return text
    out, quoted, esc = bytearray(text[:i + 1]), False, False
    for c in text[i + 1:]:
        if not quoted:
            quoted = c == 0x22
            out.append(c)
        elif esc:
            esc = False
            out.append(c if 0x20 <= c < 0x7f else 0x3f)
        elif c == 0x5c:
            esc = True
            out.append(c)
        elif c == 0x22:
            quoted = False
            out.append(c)
        elif c in (9, 10, 13):
            out += {9: b"\\t", 10: b"\\n", 13: b"\\r"}[c]
        else:
            out.append(c if 0x20 <= c < 0x7f else 0x3f)
    return bytes(out)


def cpustat_text(d, cpu, oldest, now):
    st = d["cpustat"].get(cpu, {})

    def usecs(ns):
        t = (ns + 500) // 1000
        return "%5d.%06d" % (t // 1000000, t % 1000000)
    return ("CPU: %d\nentries: %d\noverrun: %d\ncommit overrun: %d\nbytes: %d\n"
            "oldest event ts: %s\nnow ts: %s\ndropped events: %d\nread events: %d\n"
            % (cpu, st.get("entries", 0), st.get("overrun", 0), st.get("commit_overrun", 0),
               st.get("bytes", 0), usecs(oldest), usecs(now), st.get("dropped", 0),
               st.get("read", 0))).encode()


KERNEL_CLOCKS = ["local", "global", "counter", "uptime", "perf", "mono",
                 "mono_raw", "boot", "tai", "x86-tsc"]


def check_layout(path, d, data):
    with open(path, "rb") as f:
        buf = f.read()
    r = Reader(buf)

    def take(n):
        try:
            return r.take(n)
        except ValueError as e:
            die(str(e))

    def u(fmt):
        return struct.unpack("<" + fmt, take(struct.calcsize(fmt)))[0]

    cstr = r.cstr

    check(take(10) == b"\x17\x08\x44tracing", "magic")
    check(take(2) == b"6\0", "version 6")
    check(take(1) == b"\0", "little endian")
    check(take(1) == b"\x08", "long size 8")
    check(u("I") == d["page_size"], "page size")
    hp = open(d["header_page"] or os.path.join(data, "header_page"), "rb").read()
    he = open(d["header_event"] or os.path.join(data, "header_event"), "rb").read()
    check(take(12) == b"header_page\0", "header_page tag")
    n = u("Q")
    check(take(n) == hp, "header_page text")
    check(take(13) == b"header_event\0", "header_event tag")
    n = u("Q")
    check(take(n) == he, "header_event text")

    ftrace = [open(p, "rb").read() for s, p in d["formats"] if s == "ftrace"]
    check(u("I") == len(ftrace), "ftrace format count")
    for text in ftrace:
        n = u("Q")
        check(take(n) == escape_print_fmt(text), "ftrace format text")
    systems = []
    for s, p in d["formats"]:
        if s == "ftrace":
            continue
        if s not in [x[0] for x in systems]:
            systems.append((s, []))
        dict(systems)[s].append(open(p, "rb").read())
    check(u("I") == len(systems), "system count")
    for name, texts in systems:
        check(cstr() == name.encode(), "system name %s" % name)
        check(u("I") == len(texts), "event count of %s" % name)
        for text in texts:
            n = u("Q")
            got = take(n)
            check(got == escape_print_fmt(text), "format text in %s" % name)
            check(not re.search(rb'print fmt: "[^"]*\t', got), "TAB left in a print fmt")
    check(u("I") == 0, "kallsyms empty")
    n = u("I")
    check(take(n) == d["printk"], "printk_formats text")
    n = u("Q")
    check(take(n) == d["cmdlines"], "saved cmdlines text")
    check(u("I") == d["cpus"], "cpu count")

    check(take(10) == b"options  \0", "options tag")
    options = []
    while True:
        oid = u("H")
        if oid == 0:
            break
        n = u("I")
        options.append((oid, take(n)))
    want = []
    if d["clock"]:
        clocks = [("[%s]" % c if c == d["clock"] else c) for c in KERNEL_CLOCKS]
        if d["clock"] not in KERNEL_CLOCKS:
            clocks.insert(0, "[%s]" % d["clock"])
        want.append((4, (" ".join(clocks) + "\n\0").encode()))
    if d["uname"]:
        want.append((5, d["uname"].encode() + b"\0"))
    if d["version"]:
        want.append((9, d["version"].encode() + b"\0"))
    now = max([e["ts"] for e in d["events"]] or [0])
    for cpu in range(d["cpus"]):
        ts = [e["ts"] for e in d["events"] if e["cpu"] == cpu]
        want.append((2, cpustat_text(d, cpu, ts[0] if ts else 0, now) + b"\0"))
    check(options == want, "options: got %r" % options)

    check(take(10) == b"flyrecord\0", "flyrecord tag")
    table = [(u("Q"), u("Q")) for _ in range(d["cpus"])]
    if d["clock"]:
        n = u("Q")
        check(take(n) == ("[%s]" % d["clock"]).encode(), "clock after the offsets")
    end = r.p
    ps = d["page_size"]
    for cpu, (off, size) in enumerate(table):
        aligned = (end + ps - 1) // ps * ps
        check(off == aligned, "cpu %d offset %d, expected %d" % (cpu, off, aligned))
        check(size % ps == 0, "cpu %d size %d not whole pages" % (cpu, size))
        check(buf[end:off] == b"\0" * (off - end), "padding before cpu %d is zeros" % cpu)
        if size:
            end = off + size
    check(len(buf) == end, "file size %d, expected %d" % (len(buf), end))
    return table


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--mkfixture", "--tdread", "--ringcount", "--trace-cmd", "--data"):
        ap.add_argument(opt, required=True)
    ap.add_argument("--generate", action="store_true")
    ap.add_argument("desc", nargs="?")
    a = ap.parse_args()
    if not shutil.which(a.trace_cmd):
        die("trace-cmd (%s) not found: it is the reference reader of these tests" % a.trace_cmd)

    with tempfile.TemporaryDirectory() as tmp:
        desc = generate(tmp, a.data) if a.generate else a.desc
        d = parse_desc(desc)
        out = os.path.join(tmp, "fixture.dat")
        r = subprocess.run([a.mkfixture, desc, out], capture_output=True, text=True)
        if r.returncode != 0 or r.stderr:
            die("mkfixture: rc %d: %s" % (r.returncode, r.stderr))
        events = d["events"]
        print("%s: %d events on %d cpus" % (os.path.basename(desc), len(events), d["cpus"]))

        # 1. layout
        table = check_layout(out, d, a.data)

        # 2. ringpage_count per cpu
        for cpu, (off, size) in enumerate(table):
            r = subprocess.run([a.ringcount, out, str(off), str(size), str(d["page_size"])],
                               capture_output=True, text=True)
            check(r.returncode == 0, "ringcount cpu %d: %s" % (cpu, r.stderr))
            c = json.loads(r.stdout)
            mine = [e for e in events if e["cpu"] == cpu]
            lost = [n for m_cpu, n in d["missed"] if m_cpu == cpu]
            check(c["events"] == len(mine), "cpu %d: ringpage_count %d events, wanted %d"
                  % (cpu, c["events"], len(mine)))
            check(c["missed_pages"] == len(lost), "cpu %d: %d missed pages, wanted %d"
                  % (cpu, c["missed_pages"], len(lost)))
            check(c["missed_events"] == sum(lost), "cpu %d: %d missed events, wanted %d"
                  % (cpu, c["missed_events"], sum(lost)))
            check(c["pages"] == size // d["page_size"], "cpu %d page count" % cpu)
            if mine:
                check(c["first_ts"] == mine[0]["ts"] and c["last_ts"] == mine[-1]["ts"],
                      "cpu %d first/last ts" % cpu)

        # 3. libtracecmd, field by field
        r = subprocess.run([a.tdread, out], capture_output=True, text=True)
        if r.returncode != 0:
            die("tdread: %s" % r.stderr)
        check(not r.stderr, "tdread stderr: %r" % r.stderr)
        lines = [json.loads(x) for x in r.stdout.splitlines()]
        head, recs, total = lines[0], lines[1:-1], lines[-1]["total"]
        check(head["cpus"] == d["cpus"], "libtracecmd cpus")
        check(total == len(events) == len(recs), "libtracecmd saw %d events, wanted %d"
              % (total, len(events)))
        for cpu in range(d["cpus"]):
            got = [x for x in recs if x["cpu"] == cpu]
            want = [e for e in events if e["cpu"] == cpu]
            check(len(got) == len(want), "cpu %d: %d records, wanted %d"
                  % (cpu, len(got), len(want)))
            for g, w in zip(got, want):
                where = "line %d (%s)" % (w["line"], w["event"])
                check(g["ts"] == w["ts"], "%s: ts %d" % (where, g["ts"]))
                check(g["event"] == w["event"], "%s: event %s" % (where, g["event"]))
                check(g["pid"] == w["pid"], "%s: pid %d" % (where, g["pid"]))
                check(g["missed"] == w["missed"], "%s: missed %d, wanted %d"
                      % (where, g["missed"], w["missed"]))
                check(not g["print_failed"], "%s: print fmt failed to parse" % where)
                for name, value in g["fields"].items():
                    exp = w["fields"].get(name, "" if isinstance(value, str) else 0)
                    check(value == exp, "%s: %s = %r, wanted %r" % (where, name, value, exp))
                for name in w["fields"]:
                    check(name in g["fields"], "%s: no field %s" % (where, name))
                # strings follow each other right after the fixed part
                locs = sorted(g["locs"].values())
                for (o1, l1), (o2, _) in zip(locs, locs[1:]):
                    check(o2 == o1 + l1, "%s: dynamic strings not contiguous" % where)
                if locs:
                    check(locs[-1][0] + locs[-1][1] <= g["size"], "%s: string past the end" % where)
                for ev, name, off in d["expect_loc"]:
                    if ev == w["event"]:
                        check(g["locs"].get(name, [None])[0] == off, "%s: %s at %r, wanted %d"
                              % (where, name, g["locs"].get(name), off))
        # records come in time order overall (what merges the cpus)
        ts = [x["ts"] for x in recs]
        check(ts == sorted(ts), "libtracecmd records not in time order")

        # 4. trace-cmd report
        r = subprocess.run([a.trace_cmd, "report", out], capture_output=True, text=True)
        check(r.returncode == 0, "trace-cmd report rc %d" % r.returncode)
        check(not re.search(r"error|warning", r.stderr, re.I),
              "trace-cmd report stderr: %r" % r.stderr)
        report = r.stdout.split("\n")
        check("[UNKNOWN EVENT]" not in r.stdout, "[UNKNOWN EVENT] in report")
        check("FAILED TO PARSE" not in r.stdout, "[FAILED TO PARSE] in report")
        ev_re = re.compile(r"^\s*\S.*-\d+\s+\[\d{3}\]\s+\d+\.\d{6}: \w+: ")
        ev_lines = [x for x in report if ev_re.match(x)]
        check(len(ev_lines) == len(events), "report has %d event lines, wanted %d"
              % (len(ev_lines), len(events)))
        drops = [x for x in report if re.match(r"^CPU:\d+ \[\d+ EVENTS DROPPED\]$", x)]
        check(len(drops) == len(d["missed"]), "report has %d drop markers, wanted %d"
              % (len(drops), len(d["missed"])))
        for i, x in enumerate(report):
            m = re.match(r"^CPU:(\d+) \[(\d+) EVENTS DROPPED\]$", x)
            if m:
                nxt = report[i + 1] if i + 1 < len(report) else ""
                check(re.search(r"\[%03d\]" % int(m.group(1)), nxt),
                      "drop marker not followed by an event of cpu %s" % m.group(1))
        for pattern in d["expect"]:
            check(any(re.search(pattern, x) for x in report), "report lacks /%s/" % pattern)
        for n, pattern in d["expect_count"]:
            got = sum(1 for x in report if re.search(pattern, x))
            check(got == n, "report has %d lines /%s/, wanted %d" % (got, pattern, n))

        # 5. --stat and dump -v
        r = subprocess.run([a.trace_cmd, "report", "--stat", out], capture_output=True, text=True)
        check(r.returncode == 0, "report --stat rc %d" % r.returncode)
        blocks = dict(re.findall(r"^CPU: (\d+)\n(?:.*\n)*?overrun: (\d+)$", r.stdout, re.M))
        for cpu, overrun in d["expect_stat"]:
            check(blocks.get(str(cpu)) == str(overrun), "--stat: cpu %d overrun %r, wanted %d"
                  % (cpu, blocks.get(str(cpu)), overrun))
        for cpu in range(d["cpus"]):
            want = d["cpustat"].get(cpu, {}).get("overrun", 0)
            check(blocks.get(str(cpu)) == str(want), "--stat: cpu %d block" % cpu)
        for cpu, (off, size) in enumerate(table):
            check("CPU%d data recorded at offset=0x%x\n    %d bytes in size" % (cpu, off, size)
                  in r.stdout, "--stat: cpu %d offset/size" % cpu)
        r = subprocess.run([a.trace_cmd, "dump", "-v", out], capture_output=True, text=True)
        check(r.returncode == 0 and "is a valid trace-cmd file" in r.stdout,
              "trace-cmd dump -v: %s %s" % (r.stdout, r.stderr))

    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
