#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The kernel matrix: forklock on Debian's own kernels, booted under qemu.

    matrix.py SERIES FORKLOCK WORKLOAD PLUGINDIR       (SERIES: 6.1 or 6.12)

1. Debian's cloud kernel package of SERIES (linux-image-6.1.0-N-cloud-amd64,
   linux-image-6.12.N+debM-cloud-amd64: the newest apt offers) is fetched
   with `apt-get download` into /var/cache/forklock-vm (FORKLOCK_VM_CACHE)
   and kept there; a cached package is used when apt cannot fetch.
2. It is unpacked (dpkg -x) and booted under qemu TCG (KVM does not work on
   these machines) with an initramfs of busybox, forklock, its plugins and
   the workload, each with the libraries ldd lists, and guest-init.sh as
   /init: `forklock check`, then every workload of MATRIX in every tier
   the guest's check offers, then the no-anchor case.
3. /out comes back as a tar on a raw NVMe disk image; here each trace is
   read by `trace-cmd report` and `forklock report`, and the forks are held
   to the workload's own truth.

FORKLOCK_VM_KEEP=DIR keeps the guest's /out (traces, the workload's truth)
in DIR/SERIES, to look at with trace-cmd report and forklock report.

Exit 0: all held; 1: something did not (each failure one line); 77 (meson's
skip): no kernel package (no registry or network and nothing cached), or
no qemu, with one line saying so.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("FORKLOCK_VM_CACHE", "/var/cache/forklock-vm")
PACKAGES = {
    "6.1": r"^linux-image-6\.1\.0-[0-9]+-cloud-amd64$",
    "6.12": r"^linux-image-6\.12\.[0-9]+\+deb[0-9]+-cloud-amd64$",
}
# name, workload arguments (the tier is the guest's)
MATRIX = [
    ("storm1", "storm --forks 10 --vmas 40 --dontfork 6"),
    ("storm4", "storm --forks 10 --vmas 40 --threads 4"),
    ("fault", "storm --forks 10 --threads 3 --siblings fault"),
    ("uffd", "uffd --forks 10"),
    ("monitor", "uffd --forks 20 --monitor"),
]
BOOT_TIMEOUT = 600
TOOLS = ("qemu-system-x86_64", "cpio", "dpkg", "apt-get", "apt-cache", "trace-cmd")
BUSYBOX = os.environ.get("FORKLOCK_VM_BUSYBOX", "/bin/busybox")	# busybox-static


def skip(msg):
    print("vm: %s: skipped" % msg)
    sys.exit(77)


def version_key(name):
    return [int(x) for x in re.findall(r"\d+", name)]


def cached_debs(series):
    pat = re.compile(PACKAGES[series][:-1] + r"_")
    return sorted((d for d in glob.glob(os.path.join(CACHE, "*.deb"))
                   if pat.match(os.path.basename(d))), key=version_key)


def kernel_package(series):
    """The newest package apt offers, downloaded once; else the newest cached."""
    os.makedirs(CACHE, exist_ok=True)
    why = "apt-cache knows no package matching %s" % PACKAGES[series]
    p = subprocess.run(["apt-cache", "search", "--names-only", PACKAGES[series]],
                       capture_output=True, text=True)
    names = sorted((line.split()[0] for line in p.stdout.splitlines() if line.strip()),
                   key=version_key)
    if names:
        name = names[-1]
        have = [d for d in cached_debs(series) if os.path.basename(d).startswith(name + "_")]
        if have:
            return have[-1]
        p = subprocess.run(["apt-get", "download", "-q", name], cwd=CACHE,
                           capture_output=True, text=True)
        have = [d for d in cached_debs(series) if os.path.basename(d).startswith(name + "_")]
        if p.returncode == 0 and have:
            return have[-1]
        why = "apt-get download %s failed: %s" % (name, (p.stderr.strip().splitlines() or
                                                          ["exit %d" % p.returncode])[-1])
    old = cached_debs(series)
    if old:
        print("vm: %s; using the cached %s" % (why, os.path.basename(old[-1])))
        return old[-1]
    skip("no Debian %s cloud kernel package (%s) and none cached in %s" % (series, why, CACHE))


def unpack(deb):
    dest = os.path.join(CACHE, "unpacked", os.path.basename(deb)[:-4])
    if not glob.glob(os.path.join(dest, "boot", "vmlinuz-*")):
        tmp = dest + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(os.path.dirname(tmp), exist_ok=True)
        subprocess.run(["dpkg", "-x", deb, tmp], check=True)
        shutil.rmtree(dest, ignore_errors=True)
        os.rename(tmp, dest)
    return glob.glob(os.path.join(dest, "boot", "vmlinuz-*"))[0]


def libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs = []
    for line in out.splitlines():
        m = re.search(r"=> (/\S+)", line) or re.match(r"\s*(/\S+) \(", line)
        if m:
            libs.append(m.group(1))
    return libs


def initramfs(tmp, forklock, workload, plugindir):
    root = os.path.join(tmp, "root")
    for d in ("bin", "proc", "sys", "dev", "tmp", "out", "usr/lib/forklock/plugins"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy(BUSYBOX, os.path.join(root, "bin", "busybox"))
    shutil.copy(forklock, os.path.join(root, "bin", "forklock"))
    shutil.copy(workload, os.path.join(root, "bin", "forklock-workload"))
    plugins = glob.glob(os.path.join(plugindir, "*.so"))
    for p in plugins:
        shutil.copy(p, os.path.join(root, "usr/lib/forklock/plugins"))
    for binary in [forklock, workload] + plugins:
        for lib in libraries(binary):
            dest = os.path.join(root, lib.lstrip("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(lib, dest)	# follows the symlink: the file under its soname
    shutil.copy(os.path.join(HERE, "guest-init.sh"), os.path.join(root, "init"))
    os.chmod(os.path.join(root, "init"), 0o755)
    with open(os.path.join(root, "matrix"), "w") as f:
        f.writelines("%s %s\n" % m for m in MATRIX)
    img = os.path.join(tmp, "initrd.cpio")
    files = subprocess.run(["find", "."], cwd=root, capture_output=True, check=True).stdout
    with open(img, "wb") as out:
        subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=files,
                       stdout=out, check=True)
    return img


def boot(tmp, vmlinuz, initrd):
    disk = os.path.join(tmp, "out.img")
    with open(disk, "wb") as f:
        f.truncate(512 << 20)
    serial = os.path.join(tmp, "serial.log")
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64", "-smp", "2", "-m", "2G",
           "-kernel", vmlinuz, "-initrd", initrd,
           "-append", "console=ttyS0 quiet panic=-1", "-display", "none",
           "-serial", "file:" + serial, "-no-reboot", "-monitor", "none",
           "-drive", "file=%s,if=none,id=d0,format=raw" % disk,
           "-device", "nvme,serial=forklock,drive=d0"]
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=BOOT_TIMEOUT)
    except subprocess.TimeoutExpired:
        sys.exit("vm: the guest did not finish in %d s (serial log: %s)" % (BOOT_TIMEOUT, serial))
    with open(serial, errors="replace") as f:
        log = f.read()
    if "VM-MATRIX-DONE" not in log:
        sys.exit("vm: the guest stopped before its end (qemu exit %d: %s); serial log:\n%s"
                 % (p.returncode, p.stderr.strip(), log[-3000:]))
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    with tarfile.open(disk) as tar:
        tar.extractall(out)
    return out, time.time() - t0, log


class Matrix:
    def __init__(self, series, out, forklock, plugindir):
        self.series, self.out, self.forklock = series, out, forklock
        self.env = dict(os.environ, FORKLOCK_PLUGIN_DIR=plugindir)
        self.failures = []

    def expect(self, ok, what):
        if not ok:
            self.failures.append(what)
            print("vm %s: FAIL: %s" % (self.series, what))
        return ok

    def read(self, name):
        with open(os.path.join(self.out, name), errors="replace") as f:
            return f.read()

    def report(self, dat):
        p = subprocess.run([self.forklock, "report", "--format", "json", "--forks", dat],
                           capture_output=True, text=True, env=self.env)
        if not self.expect(p.returncode == 0, "forklock report %s: exit %d: %s"
                           % (os.path.basename(dat), p.returncode, p.stderr.strip())):
            return None
        return json.loads(p.stdout)

    def trace_cmd(self, dat):
        p = subprocess.run(["trace-cmd", "report", "-i", dat], capture_output=True, text=True)
        self.expect(p.returncode == 0 and p.stdout.count("\n") > 10,
                    "trace-cmd report %s: exit %d: %s" % (os.path.basename(dat), p.returncode,
                                                         p.stderr.strip()[-300:]))

    def check_lines(self):
        text = self.read("check.txt")
        self.expect(self.read("check.rc").strip() == "0", "check exit %s" % self.read("check.rc"))
        anchor = {"6.1": "dup_mmap, arguments at BTF offsets",
                  "6.12": "uprobe_dup_mmap, arguments by BTF name"}[self.series]
        for line in ("kprobe plan: anchor " + anchor, "kprobe tier: available", "tier: kprobe",
                     "per-VMA locks: " + ("no" if self.series == "6.1" else "yes")):
            self.expect(re.search("^" + re.escape(line), text, re.M),
                        "check does not say '%s':\n%s" % (line, text))
        self.expect(self.read("tiers").split() == ["tracepoint", "kprobe"],
                    "tiers offered: %s" % self.read("tiers").strip())

    def run(self, tier, name, args):
        run = "%s-%s" % (tier, name)
        rc = self.read(run + ".rc").strip()
        if not self.expect(rc == "0", "%s: record exit %s: %s" % (run, rc, self.read(run + ".err"))):
            return
        dat = os.path.join(self.out, run + ".dat")
        self.trace_cmd(dat)
        rep = self.report(dat)
        if rep is None:
            return
        truth = json.loads(self.read(run + ".json"))
        self.expect(rep["trace"]["tier"] == tier, "%s: trace tier %s" % (run, rep["trace"]["tier"]))
        mine = [f for f in rep["forks"] if f["parent_tgid"] == truth["pid"]]
        done = [f for f in mine if not f["partial"] and not f["aborted"]]
        self.expect(len(done) == len(mine) == truth["forks"],
                    "%s: %d forks of the workload (%d complete), truth %d"
                    % (run, len(mine), len(done), truth["forks"]))
        kp = tier == "kprobe"
        locked = [f["vmas_locked"] for f in done]
        if self.series == "6.1":	# no per-VMA locks before 6.4
            self.expect(set(locked) == {0}, "%s: vmas_locked %s on 6.1" % (run, sorted(set(locked))))
        elif "vmas_locked" in truth:
            self.expect(set(locked) == {truth["vmas_locked"]}, "%s: vmas_locked %s, truth %d"
                        % (run, sorted(set(locked)), truth["vmas_locked"]))
        elif kp:	# no VM_DONTCOPY VMAs: map_count equals the mas_store count
            self.expect(all(f["vmas_locked"] == f["vmas_copied"] for f in done),
                        "%s: vmas_locked %s != vmas_copied %s" % (run, locked,
                                                                  [f["vmas_copied"] for f in done]))
        if "vmas_copied" in truth:
            self.expect({f["vmas_copied"] for f in done} == {truth["vmas_copied"]},
                        "%s: vmas_copied %s, truth %d" % (run, sorted({f["vmas_copied"] for f in done}),
                                                          truth["vmas_copied"]))
        self.expect({f["threads"] for f in done} == {truth["threads"]},
                    "%s: threads %s, truth %d" % (run, sorted({f["threads"] for f in done}),
                                                  truth["threads"]))
        users = [f["mm_users"] for f in done]
        if not kp:
            self.expect(set(users) == {None}, "%s: mm_users %s in the tracepoint tier" % (run, users))
            return
        self.expect(all(f["sources"]["mm_users"] == "kprobe" and f["mm_count"] is not None and
                        f["map_count"] is not None for f in done),
                    "%s: mm_users/mm_count/map_count not all read by the probe" % run)
        if name.startswith("storm") or name == "fault":
            self.expect(set(users) == {truth["threads"]}, "%s: mm_users %s, threads %d"
                        % (run, users, truth["threads"]))
        if name == "uffd":
            self.expect(set(users) == {1}, "%s: mm_users %s" % (run, users))
            self.expect(all(f["mm_count"] >= 2 for f in done),
                        "%s: mm_count %s of a uffd owner" % (run, [f["mm_count"] for f in done]))
        if name.startswith("uffd") or name == "monitor":
            self.expect(all(f["uffd"] not in ("none", None) for f in done),
                        "%s: uffd %s" % (run, sorted({str(f["uffd"]) for f in done})))
        if name == "monitor":
            self.monitor(run, done, truth, rep)

    def monitor(self, run, done, truth, rep):
        """The seed's race: the monitor's UFFDIO_COPY holds an mmget() at the fork."""
        two = [f for f in done if f["mm_users"] == 2]
        print("vm %s: %s: %d of %d forks read mm_users 2 (the monitor's mmget)"
              % (self.series, run, len(two), len(done)))
        self.expect(all(f["mm_users"] in (1, 2) for f in done),
                    "%s: mm_users %s" % (run, [f["mm_users"] for f in done]))
        # The kernel fetches mm_users between the read's timestamp and the
        # owner's next event; the monitor's ioctl holds its mmget() between
        # its sys_enter and sys_exit.  So when mm_users is 2 (the monitor is
        # the only other holder of the owner's mm in the guest), one of its
        # ioctls meets the read and the report names it, once the trace has
        # tied the uffd (it came by SCM_RIGHTS) to the owner's mm: an ioctl
        # on it took the owner's mmap_lock (6.1: every one, once the owner's
        # mm pointer is known from its first fork; 6.12: one that fell back
        # from the per-VMA lock).  The tie stays (one fd), so every fork
        # after the first that names the monitor names it; before that,
        # 'unknown' is what the trace can say.  Lost events would be said.
        named = [f["ts_ns"] for f in two if truth["monitor_pid"] in
                 {h["pid"] for h in f["mm_users_holders"]}]
        self.expect(named, "%s: no fork with mm_users 2 names the monitor" % run)
        for f in two:
            if f["ts_ns"] in named:
                continue
            why = ("events lost" if f["lost_events"] else
                   "before the uffd was tied to the owner's mm" if named and
                   f["ts_ns"] < named[0] else None)
            if why and [h["kind"] for h in f["mm_users_holders"]] == ["unknown"]:
                print("vm %s: %s: fork %d: holder unknown (%s)" % (self.series, run,
                                                                   f["child_pid"], why))
                continue
            self.expect(False, "%s: fork %d: mm_users 2, holders %s do not name the monitor %d"
                        % (run, f["child_pid"], f["mm_users_holders"], truth["monitor_pid"]))
        s = rep["summary"]
        self.expect(s["multi_threaded_forks"] == 0, "%s: %d forks counted multi-threaded"
                    % (run, s["multi_threaded_forks"]))
        self.expect(s["transient_mm_users_forks"] == len(two), "%s: transient_mm_users_forks %d, "
                    "forks with mm_users 2: %d" % (run, s["transient_mm_users_forks"], len(two)))

    def no_anchor(self):
        text = self.read("noanchor-check.txt")
        self.expect("kprobe plan: none (no anchor in dup_mmap(): tried dup_mmap: not a function "
                    "in kallsyms (inlined or absent); uprobe_dup_mmap: not a function in kallsyms "
                    "(inlined or absent))" in text, "no-anchor check:\n%s" % text)
        self.expect("\ntier: tracepoint (kprobe tier unavailable: " in text,
                    "no-anchor check's tier:\n%s" % text)
        err = self.read("noanchor.err")
        self.expect(self.read("noanchor.rc").strip() == "0", "no-anchor record: %s" % err)
        said = [line for line in err.splitlines() if "kprobe" in line]
        self.expect(len(said) == 1 and "kprobe tier unavailable (no anchor in dup_mmap()" in said[0],
                    "no-anchor record --tier auto said: %s" % said)
        rep = self.report(os.path.join(self.out, "noanchor.dat"))
        if rep:
            self.expect(rep["trace"]["tier"] == "tracepoint", "no-anchor trace tier %s"
                        % rep["trace"]["tier"])

    def clean(self):
        self.expect(self.read("instances-left").strip() == "", "instances left in the guest: %s"
                    % self.read("instances-left"))
        self.expect(self.read("kprobes-left").strip() == "", "kprobes left in the guest: %s"
                    % self.read("kprobes-left"))


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in PACKAGES:
        sys.exit("usage: matrix.py 6.1|6.12 FORKLOCK WORKLOAD PLUGINDIR")
    series, forklock, workload, plugindir = sys.argv[1:]
    for tool in TOOLS:
        if not shutil.which(tool):
            skip("no %s (scripts/setup installs it)" % tool)
    if not os.path.exists(BUSYBOX):
        skip("no %s (busybox-static; scripts/setup installs it)" % BUSYBOX)
    deb = kernel_package(series)
    vmlinuz = unpack(deb)
    with tempfile.TemporaryDirectory(prefix="forklock-vm-") as tmp:
        t0 = time.time()
        out, took, log = boot(tmp, vmlinuz, initramfs(tmp, forklock, workload, plugindir))
        m = Matrix(series, out, forklock, plugindir)
        release = m.read("release").strip()
        print("vm %s: %s booted and recorded in %.0f s" % (series, release, took))
        m.expect(release.startswith(series + "."), "guest release %s" % release)
        m.check_lines()
        for tier in ("tracepoint", "kprobe"):
            for name, args in MATRIX:
                m.run(tier, name, args)
        m.no_anchor()
        m.clean()
        print("vm %s: %d failure%s, %.0f s in all" % (series, len(m.failures),
              "" if len(m.failures) == 1 else "s", time.time() - t0))
        if os.environ.get("FORKLOCK_VM_KEEP"):
            keep = os.path.join(os.environ["FORKLOCK_VM_KEEP"], series)
            shutil.copytree(out, keep, dirs_exist_ok=True)
            print("vm: guest output kept in %s" % keep)
    return 1 if m.failures else 0


if __name__ == "__main__":
    sys.exit(main())
