#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The kprobe plan (lib/record/kplan.c) on inputs captured from real kernels.

tests/kprobe/data/<release>/ holds what the plan reads, captured from
Debian's 6.1 and 6.12 cloud kernels booted under qemu and from this host
(6.18, no kprobe_events): the kallsyms lines of the functions that matter,
the tracefs README, the kprobe blacklist (debugfs; not mounted on the
host) and the kernel's BTF cut down by btfmin to mm_struct,
vm_area_struct and the probed functions' arguments.  `forklock check`
prints the plan record would make from them (the same code); a kernel
with none of the anchors is made by hiding symbols or blacklisting them.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

FORKLOCK, BTFMIN, DATA = sys.argv[1:4]
DATA = os.path.abspath(DATA)
del sys.argv[1:4]

K61 = "6.1.0-57-cloud-amd64"
K612 = "6.12.118+deb12-cloud-amd64"
K618 = "6.18.44-fc-v1147"


def inputs(kernel, readme=None, **over):
    d = os.path.join(DATA, kernel)
    env = dict(os.environ,
               FORKLOCK_KALLSYMS=os.path.join(d, "kallsyms"),
               FORKLOCK_KPROBE_README=os.path.join(DATA, readme or kernel, "README"),
               FORKLOCK_KPROBE_BLACKLIST=os.path.join(d, "blacklist"),
               FORKLOCK_BTF=os.path.join(d, "btf"))
    env.update(over)
    return env


def check(env):
    p = subprocess.run([FORKLOCK, "check"], capture_output=True, text=True, env=env, timeout=60)
    return p, [line for line in p.stdout.splitlines()
               if line.startswith(("kprobe ", "btf:", "tier:"))]


class Plan(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="forklock-plan-")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def lines(self, env):
        p, lines = check(env)
        self.assertIn(p.returncode, (0, 4, 6, 7), p.stderr)
        return lines

    def probes(self, lines):
        return [line[len("kprobe probe: "):] for line in lines if line.startswith("kprobe probe: ")]

    def test_61_dup_mmap_at_btf_offsets(self):
        """6.1: dup_mmap is out of line, named BTF arguments are not accepted."""
        lines = self.lines(inputs(K61))
        self.assertIn("btf: mm_struct.mm_users at +84, mm_struct.mm_count at +88, "
                      "mm_struct.map_count at +104, vm_area_struct.vm_mm at +16", lines)
        self.assertIn("kprobe plan: anchor dup_mmap, arguments at BTF offsets", lines)
        self.assertEqual(self.probes(lines), [
            "p:forklock_PID/dup_mmap dup_mmap oldmm=$arg2:x64 mm_users=+84($arg2):s32 "
            "mm_count=+88($arg2):s32 map_count=+104($arg2):s32 (read point, required)",
            "r:forklock_PID/dup_mmap_ret dup_mmap ret=$retval:s32 (end, outcome, required)",
        ])
        self.assertIn("kprobe symbol lock_vma_under_rcu: absent", lines)
        self.assertIn("kprobe symbol __vma_start_write: absent", lines)
        self.assertFalse([line for line in lines if line.startswith("kprobe anchors tried")])

    def test_612_uprobe_dup_mmap_by_btf_name(self):
        """6.12: dup_mmap inlined into copy_process: uprobe_dup_mmap is the read point."""
        lines = self.lines(inputs(K612))
        self.assertIn("btf: mm_struct.mm_users at +132, mm_struct.mm_count at +0, "
                      "mm_struct.map_count at +160, vm_area_struct.vm_mm at +16", lines)
        self.assertIn("kprobe anchors tried: dup_mmap: not a function in kallsyms "
                      "(inlined or absent)", lines)
        self.assertIn("kprobe plan: anchor uprobe_dup_mmap, arguments by BTF name", lines)
        self.assertEqual(self.probes(lines), [
            "p:forklock_PID/uprobe_dup_mmap uprobe_dup_mmap oldmm=oldmm:x64 "
            "mm_users=oldmm->mm_users.counter:s32 mm_count=oldmm->mm_count.counter:s32 "
            "map_count=oldmm->map_count:s32 (read point (oldmm write-locked), required)",
            "p:forklock_PID/dup_mmap_end uprobe_end_dup_mmap (end)",
            "r:forklock_PID/lock_vma_rcu_ret lock_vma_under_rcu ret=$retval:x64 "
            "(per-VMA readers falling back)",
        ])

    def test_612_offsets_when_names_are_not_in_the_readme(self):
        """6.12's symbols and BTF with 6.1's README: $arg1 at 6.12's offsets."""
        lines = self.lines(inputs(K612, readme=K61))
        self.assertIn("kprobe plan: anchor uprobe_dup_mmap, arguments at BTF offsets", lines)
        self.assertEqual(self.probes(lines)[0],
                         "p:forklock_PID/uprobe_dup_mmap uprobe_dup_mmap oldmm=$arg1:x64 "
                         "mm_users=+132($arg1):s32 mm_count=+0($arg1):s32 "
                         "map_count=+160($arg1):s32 (read point (oldmm write-locked), required)")

    def test_618_host(self):
        """This host: no kprobe_events in its README, so no plan, said so."""
        lines = self.lines(inputs(K618))
        self.assertIn("btf: mm_struct.mm_users at +132, mm_struct.mm_count at +0, "
                      "mm_struct.map_count at +176, vm_area_struct.vm_mm at +16", lines)
        self.assertIn("kprobe blacklist: not readable (%s/%s/blacklist): not checked"
                      % (DATA, K618), lines)
        self.assertRegex("\n".join(lines), r"kprobe plan: none \(the kernel's README \(.*/README\) "
                         r"has no kprobe_events\)")
        self.assertIn("tier: tracepoint (no kprobe_events: --tier auto records tracepoints)", lines)

    def test_618_symbols_with_kprobes(self):
        """6.18's symbols and BTF on a kernel with kprobe_events: dup_mmap and the VMA lock."""
        lines = self.lines(inputs(K618, readme=K612))
        self.assertIn("kprobe plan: anchor dup_mmap, arguments by BTF name", lines)
        self.assertEqual([p.split(" ")[0] for p in self.probes(lines)], [
            "p:forklock_PID/dup_mmap", "r:forklock_PID/dup_mmap_ret",
            "p:forklock_PID/vma_start_write", "r:forklock_PID/vma_start_write_ret",
            "r:forklock_PID/lock_vma_rcu_ret"])
        self.assertIn("p:forklock_PID/vma_start_write __vma_start_write vma=vma:x64 "
                      "vm_mm=vma->vm_mm:x64 (per-VMA lock)", self.probes(lines))

    def hide(self, kernel, *symbols):
        path = os.path.join(self.tmp, "kallsyms")
        with open(os.path.join(DATA, kernel, "kallsyms")) as f, open(path, "w") as out:
            for line in f:
                if line.split()[2] not in symbols:
                    out.write(line)
        return path

    def test_no_anchor_says_what_was_tried(self):
        env = inputs(K612, FORKLOCK_KALLSYMS=self.hide(K612, "uprobe_dup_mmap"))
        p, lines = check(env)
        why = ("no anchor in dup_mmap(): tried dup_mmap: not a function in kallsyms (inlined or "
               "absent); uprobe_dup_mmap: not a function in kallsyms (inlined or absent)")
        self.assertIn("kprobe plan: none (%s)" % why, lines)
        self.assertIn("kprobe tier: unavailable (no kprobe_events; no probe plan: %s)" % why, lines)
        self.assertEqual(self.probes(lines), [])

    def test_blacklisted_anchor_is_not_taken(self):
        bl = os.path.join(self.tmp, "blacklist")
        shutil.copy(os.path.join(DATA, K612, "blacklist"), bl)
        with open(bl, "a") as f:
            f.write("0xffffffffad31fea0-0xffffffffad31ff40\tuprobe_dup_mmap\n")
        lines = self.lines(inputs(K612, FORKLOCK_KPROBE_BLACKLIST=bl))
        self.assertIn("kprobe symbol uprobe_dup_mmap: present, in the kprobe blacklist", lines)
        self.assertIn("kprobe plan: none (no anchor in dup_mmap(): tried dup_mmap: not a function "
                      "in kallsyms (inlined or absent); uprobe_dup_mmap: in the kprobe blacklist)",
                      lines)

    def test_ambiguous_symbol_is_not_taken(self):
        path = os.path.join(self.tmp, "kallsyms")
        shutil.copy(os.path.join(DATA, K61, "kallsyms"), path)
        with open(path, "a") as f:
            f.write("ffffffff88291000 t dup_mmap\n")
        lines = self.lines(inputs(K61, FORKLOCK_KALLSYMS=path))
        self.assertIn("kprobe symbol dup_mmap: ambiguous (more than one function of that name)",
                      lines)
        self.assertIn("kprobe plan: anchor uprobe_dup_mmap, arguments at BTF offsets", lines)
        self.assertEqual(self.probes(lines)[0].split(" ")[2], "oldmm=$arg1:x64")

    def test_unreadable_inputs_are_named(self):
        lines = self.lines(inputs(K612, FORKLOCK_KALLSYMS="/nonexistent/kallsyms"))
        self.assertIn("kprobe plan: none (cannot read /nonexistent/kallsyms: No such file or "
                      "directory)", lines)
        self.assertIn("kprobe symbol dup_mmap: unknown (kallsyms not read)", lines)
        lines = self.lines(inputs(K612, FORKLOCK_BTF="/nonexistent/btf"))
        self.assertIn("kprobe plan: none (no BTF (/nonexistent/btf): mm_struct's layout is "
                      "unknown)", lines)


class Btfmin(unittest.TestCase):
    def test_cut_down_btf_gives_the_kernels_offsets(self):
        """The captured BTF files are made by btfmin: on this host's own BTF it keeps the offsets."""
        if not os.path.exists("/sys/kernel/btf/vmlinux"):
            self.skipTest("no /sys/kernel/btf/vmlinux")
        with tempfile.TemporaryDirectory() as tmp:
            small = os.path.join(tmp, "btf")
            subprocess.run([BTFMIN, "/sys/kernel/btf/vmlinux", small], check=True)
            _, full = check(dict(os.environ, FORKLOCK_BTF="/sys/kernel/btf/vmlinux"))
            _, cut = check(dict(os.environ, FORKLOCK_BTF=small))
            self.assertLess(os.path.getsize(small), 16384)
        full = [line for line in full if line.startswith("btf:")]
        self.assertEqual(len(full), 1)
        self.assertRegex(full[0], r"^btf: mm_struct.mm_users at \+\d+, ")
        self.assertEqual(full, [line for line in cut if line.startswith("btf:")])


@unittest.skipUnless(os.geteuid() == 0, "recording needs root")
class Record(unittest.TestCase):
    """record uses the same plan: no anchor -> --tier kprobe fails, --tier auto falls back once."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="forklock-plan-")
        self.env = inputs(K612, FORKLOCK_KALLSYMS=self.hide(), FORKLOCK_BTF="/sys/kernel/btf/vmlinux",
                          FORKLOCK_FAULT_INJECT="kprobe-create:99")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def hide(self):
        path = os.path.join(self.tmp, "kallsyms")
        with open(os.path.join(DATA, K612, "kallsyms")) as f, open(path, "w") as out:
            out.writelines(line for line in f if line.split()[2] != "uprobe_dup_mmap")
        return path

    def record(self, tier, out):
        return subprocess.run([FORKLOCK, "record", "--tier", tier, "-o", out, "--", "true"],
                              capture_output=True, text=True, env=self.env, timeout=120)

    def test_kprobe_tier_refused(self):
        out = os.path.join(self.tmp, "k.dat")
        p = self.record("kprobe", out)
        self.assertEqual(p.returncode, 8, p.stderr)
        self.assertEqual(p.stderr.strip().splitlines(), [
            "forklock record: error: kprobe tier: no anchor in dup_mmap(): tried dup_mmap: not a "
            "function in kallsyms (inlined or absent); uprobe_dup_mmap: not a function in "
            "kallsyms (inlined or absent)"])
        self.assertFalse(os.path.exists(out))

    def test_auto_falls_back_with_one_notice(self):
        out = os.path.join(self.tmp, "a.dat")
        p = self.record("auto", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        notices = [line for line in p.stderr.splitlines() if "kprobe" in line]
        self.assertEqual(notices, [
            "forklock record: kprobe tier unavailable (no anchor in dup_mmap(): tried dup_mmap: "
            "not a function in kallsyms (inlined or absent); uprobe_dup_mmap: not a function in "
            "kallsyms (inlined or absent)): recording the bpf tier"])
        r = subprocess.run([FORKLOCK, "report", "--format", "json", out], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        # kprobe > bpf > tracepoint: this host's BPF takes over
        self.assertEqual(json.loads(r.stdout)["trace"]["tier"], "bpf")


if __name__ == "__main__":
    unittest.main(verbosity=2)
