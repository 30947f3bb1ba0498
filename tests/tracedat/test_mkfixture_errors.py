#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
mkfixture rejects bad descriptions: exit status 1, exactly one line on
stderr, "DESC:LINE: message" with the line at fault, and no output file
left behind (not even a stale one from an earlier run).  A good
description next to the bad ones must still work.

usage: test_mkfixture_errors.py MKFIXTURE DATA_DIR
"""

import os
import subprocess
import sys
import tempfile

HEAD = """cpus 2
format ftrace {fmt}/ftrace/print
format sched {fmt}/sched/sched_process_fork
format task {fmt}/task/task_newtask
format syscalls {fmt}/syscalls/sys_enter_close
format syscalls {fmt}/syscalls/sys_enter_userfaultfd
format mmap_lock {fmt}/mmap_lock/mmap_lock_start_locking
"""
HEAD_LINES = HEAD.count("\n")

# (name, body after HEAD, line at fault counted in the body, message part)
CASES = [
    ("unknown directive", "bogus 1\n", 1, "unknown directive 'bogus'"),
    ("event without format", "@100 0 1 lock:contention_begin lock_addr=1\n", 1,
     "unknown event lock:contention_begin (no format given for it)"),
    ("unknown field", "@100 0 1 ftrace:print nosuch=1\n", 1, "ftrace:print has no field 'nosuch'"),
    ("time goes back", "@200 0 1 ftrace:print ip=1\n@300 1 1 ftrace:print ip=1\n"
     "@199 0 1 ftrace:print ip=2\n", 3, "is before the previous one on that cpu (200)"),
    ("string in a number", '@1 0 1 ftrace:print ip="abc"\n', 1, "field ip is a number, not a string"),
    ("number in a string", "@1 0 1 ftrace:print buf=5\n", 1, 'field buf needs a "quoted string"'),
    ("number in __data_loc", "@1 0 1 sched:sched_process_fork parent_comm=5\n", 1,
     'field parent_comm needs a "quoted string"'),
    ("comm too long", '@1 0 1 task:task_newtask comm="sixteen_chars_xx"\n', 1,
     "does not fit char[16] with its NUL"),
    ("int overflow", "@1 0 1 syscalls:sys_enter_close __syscall_nr=2147483648\n", 1,
     "does not fit 32 bits"),
    ("hex overflow", "@1 0 1 syscalls:sys_enter_close __syscall_nr=0x100000000\n", 1,
     "does not fit 32 bits"),
    ("u64 overflow", "@1 0 1 ftrace:print ip=18446744073709551616\n", 1,
     "field ip: '18446744073709551616' is not a number"),
    ("int underflow", "@1 0 1 syscalls:sys_enter_close __syscall_nr=-2147483649\n", 1,
     "does not fit 32 bits"),
    ("negative unsigned", "@1 0 1 syscalls:sys_enter_close fd=-1\n", 1, "field fd is unsigned"),
    ("bool word for a pointer", "@1 0 1 ftrace:print ip=true\n", 1, "true/false only for bool"),
    ("not a number", "@1 0 1 ftrace:print ip=12z\n", 1, "field ip: '12z' is not a number"),
    ("unterminated string", '@1 0 1 ftrace:print buf="abc\n', 1, "unterminated string"),
    ("unknown escape", '@1 0 1 ftrace:print buf="a\\qb"\n', 1, "unknown escape '\\q'"),
    ("text after a quote", '@1 0 1 ftrace:print buf="a"b\n', 1, "text after a closing quote"),
    ("cpu out of range", "@1 0 1 ftrace:print\n@2 2 1 ftrace:print\n", 2,
     "cpu 2 but the trace has 2 cpus"),
    ("missed at the end", "@1 0 1 ftrace:print\nmissed 0 3\n", 2,
     "missed on cpu 0 is not followed by an event on that cpu"),
    ("missed zero", "missed 0 0\n", 1, "missed count must be at least 1"),
    ("bad page size", "page_size 3000\n", 1, "page_size must be a power of two"),
    ("page size twice", "page_size 4096\npage_size 8192\n", 2, "page_size is given twice"),
    ("cpus twice", "cpus 4\n", 1, "cpus is given twice"),
    ("missing format file", "format sched nosuch/format\n", 1, "cannot open"),
    ("format twice", "format ftrace {fmt}/ftrace/print\n", 1,
     "event id 5 is already used by ftrace:print"),
    ("event too big", '@1 0 1 ftrace:print buf="' + "x" * 5000 + '"\n', 1,
     "event of 5017 bytes does not fit a 4096-byte page"),
    ("bad timestamp", "@12ab 0 1 ftrace:print\n", 1, "'@12ab' is not @TS (nanoseconds)"),
    ("hex timestamp", "@0x10 0 1 ftrace:print\n", 1, "'@0x10' is not @TS (nanoseconds)"),
    ("no SYSTEM:EVENT", "@1 0 1 print\n", 1, "'print' is not SYSTEM:EVENT"),
    ("pid as a field", "@1 0 1 ftrace:print common_pid=3\n", 1,
     "common_pid is set from the event line, not as a field"),
    ("field twice", "@1 0 1 ftrace:print ip=1 ip=2\n", 1, "field ip is given twice"),
    ("no field=value", "@1 0 1 ftrace:print ip\n", 1, "'ip' is not field=value"),
    ("cpustat beyond cpus", "cpustat 5 overrun=1\n@1 0 1 ftrace:print\n", 1,
     "cpustat for cpu 5 but the trace has 2 cpus"),
    ("cpustat bad key", "cpustat 0 overruns=1\n", 1, "cpustat: unknown key 'overruns'"),
    ("cpustat twice", "cpustat 1 overrun=1\ncpustat 1 overrun=2\n", 2,
     "cpustat for cpu 1 is given twice (line %d)" % (HEAD_LINES + 1)),
    ("printk_line without 0x", 'printk_line 1234 "x"\n', 1, "'1234' is not a 0x address"),
    ("printk_line unquoted", "printk_line 0x1234 mas_store\n", 1, "usage: printk_line"),
    ("cmdline pid", "cmdline abc comm\n", 1, "cmdline pid: 'abc' is not a number"),
    ("clock with brackets", "clock [mono]\n", 1, "usage: clock NAME"),
    ("uname empty", "uname\n", 1, "uname needs a text"),
]


def run(mkfixture, desc_text, tmp, name="case"):
    desc = os.path.join(tmp, name + ".desc")
    out = os.path.join(tmp, name + ".dat")
    with open(desc, "w") as f:
        f.write(desc_text)
    with open(out, "w") as f:
        f.write("stale output of an earlier run")
    r = subprocess.run([mkfixture, desc, out], capture_output=True, text=True)
    return r, desc, out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test_mkfixture_errors.py MKFIXTURE DATA_DIR")
    mkfixture, data = sys.argv[1], sys.argv[2]
    fmt = os.path.join(data, "formats", "6.18")
    head = HEAD.format(fmt=fmt)
    failed = 0

    with tempfile.TemporaryDirectory() as tmp:
        # the head alone, and with good events, is fine
        good = head + ('@1 0 1 ftrace:print ip=0xffffffff81000000 buf="ok \\"quoted\\"\\n"\n'
                       "@2 1 2 syscalls:sys_enter_close __syscall_nr=3 fd=4294967295\n"
                       "missed 1 3\n"
                       '@3 1 2 task:task_newtask comm="fifteen_chars_x" oom_score_adj=-1000\n'
                       "@4 0 1 syscalls:sys_enter_close __syscall_nr=-2147483648\n"
                       "@5 0 1 syscalls:sys_enter_close __syscall_nr=0xffffffff\n"
                       "@6 0 1 syscalls:sys_enter_close __syscall_nr=2147483647\n")
        r, desc, out = run(mkfixture, good, tmp, "good")
        if r.returncode != 0 or r.stderr or not os.path.getsize(out):
            print("FAIL: good description: rc %d %r" % (r.returncode, r.stderr))
            failed += 1

        for i, (name, body, line, message) in enumerate(CASES):
            r, desc, out = run(mkfixture, head + body.format(fmt=fmt), tmp, "case%d" % i)
            want = "%s:%d: " % (desc, HEAD_LINES + line)
            lines = r.stderr.split("\n")
            problems = []
            if r.returncode != 1:
                problems.append("exit status %d" % r.returncode)
            if len(lines) != 2 or lines[1] != "":
                problems.append("not exactly one line on stderr")
            if not lines[0].startswith(want):
                problems.append("does not start with %r" % want)
            if message not in lines[0]:
                problems.append("lacks %r" % message)
            if os.path.exists(out):
                problems.append("left %s behind" % out)
            if r.stdout:
                problems.append("wrote to stdout")
            if problems:
                print("FAIL: %s: %s; stderr was %r" % (name, ", ".join(problems), r.stderr))
                failed += 1
            else:
                print("ok: %s: %s" % (name, lines[0][len(desc) + 1:]))

        # usage
        r = subprocess.run([mkfixture], capture_output=True, text=True)
        if r.returncode != 2 or r.stderr != "usage: mkfixture DESC OUT.dat\n":
            print("FAIL: usage: rc %d %r" % (r.returncode, r.stderr))
            failed += 1

    if failed:
        sys.exit("%d case(s) failed" % failed)


if __name__ == "__main__":
    main()
