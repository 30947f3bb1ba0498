# SPDX-License-Identifier: GPL-2.0-or-later
"""The format file the kernel writes for a kprobe/kretprobe event.

This host has no kprobe_events, so the fixtures of the kprobe tier carry
format files made here, by the kernel's own rules (kernel/trace/):
  - trace_kprobe.c kprobe_event_define_fields(): common fields, then
    "unsigned long __probe_ip" (kprobe) or "unsigned long __probe_func",
    "unsigned long __probe_ret_ip" (kretprobe), 8 bytes each;
  - trace_probe.c traceprobe_define_arg_fields(): each argument after them,
    packed in order (no padding), type named by the fetch type's fmttype
    (x64 -> "u64": ASSIGN_FETCH_TYPE_ALIAS(x64, u64, u64, 0); s32 -> "s32");
  - trace_probe.c __set_print_fmt(): "(%lx)" or "(%lx <- %lx)", then
    " name=FMT" per argument (x64 "0x%Lx", s32 "%d", u32 "%u", u64 "%Lu"),
    then ", REC->__probe_ip" (or __probe_func, __probe_ret_ip) and
    ", REC->name" per argument.
The common fields are those of the tracepoint formats in tests/data.
"""

TYPES = {
    # fetch type: (fmttype, size, signed, print format)
    "x64": ("u64", 8, 0, "0x%Lx"),
    "x32": ("u32", 4, 0, "0x%x"),
    "u64": ("u64", 8, 0, "%Lu"),
    "u32": ("u32", 4, 0, "%u"),
    "s64": ("s64", 8, 1, "%Ld"),
    "s32": ("s32", 4, 1, "%d"),
}

COMMON = """\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;
"""


def probe_format(name, event_id, ret, args):
    """ARGS: [(name, fetch type)].  RET: a kretprobe."""
    lines = ["name: %s" % name, "ID: %d" % event_id, "format:", COMMON.rstrip("\n"), ""]
    if ret:
        fixed = [("__probe_func", 8), ("__probe_ret_ip", 8)]
        head, rec = "(%lx <- %lx)", ", REC->__probe_func, REC->__probe_ret_ip"
    else:
        fixed = [("__probe_ip", 8)]
        head, rec = "(%lx)", ", REC->__probe_ip"
    off = 8
    for fname, size in fixed:
        lines.append("\tfield:unsigned long %s;\toffset:%d;\tsize:%d;\tsigned:0;" % (fname, off, size))
        off += size
    fmt = head
    for aname, atype in args:
        fmttype, size, signed, pf = TYPES[atype]
        lines.append("\tfield:%s %s;\toffset:%d;\tsize:%d;\tsigned:%d;" % (fmttype, aname, off, size, signed))
        off += size
        fmt += " %s=%s" % (aname, pf)
        rec += ", REC->%s" % aname
    lines.append("")
    lines.append('print fmt: "%s"%s' % (fmt, rec))
    return "\n".join(lines) + "\n"


def layout(args, ret):
    """Offsets of each argument, for checking the generated text."""
    off = 24 if ret else 16
    out = {}
    for aname, atype in args:
        out[aname] = off
        off += TYPES[atype][1]
    return out
