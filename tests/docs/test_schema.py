#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""forklock report --format json against docs/forklock-report.schema.json.

Usage:
  test_schema.py fixture FORKLOCK MKFIXTURE SCHEMA DESC...
      Each DESC (tests/docs/report-schema.desc, a tracepoint-tier trace with
      every kind of fork, and report-schema-kprobe.desc, a kprobe-tier one)
      is built into a trace.dat with mkfixture and reported: no root, no
      kernel needed.
  test_schema.py live FORKLOCK WORKLOAD SCHEMA
      A real recording (root, tracefs; exit 77 = skipped without them) of
      forklock-workload: a storm with faulting sibling threads, a
      userfaultfd owner with a monitor, and a shell that existed before the
      recording forking during it.  The recorder's forklock-PID tracefs
      instance must be gone afterwards (other recorders may come and go on
      the host meanwhile: their instances are not this test's).

Both modes check:
  - the schema itself: every object closed (additionalProperties false) but
    'policies', every member required but 'forks' and 'policies', every
    member described and typed;
  - the report with --forks and without, and of two files at once, is valid
    (schemacheck.py, a validator of our own: PyPI is out of reach);
  - the validator rejects the real report with any one member added, removed
    or of the wrong type, at every kind of object of the report (top level, a
    fork, an accessor, VMA kinds, a fork's policy decision, trace, a trace
    file, summary and its parts, lock_cost, a policy's result, its evidence),
    a wrong enum value, a bad policy name or a wrong schema name; and accepts
    it without 'forks' or 'policies', or with a policy of a new name.
"""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schemacheck  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from flcommon import instance_of  # noqa: E402

failures = []
checks = 0


def fail(what):
    failures.append(what)
    print("FAIL " + what)


def expect(ok, what):
    global checks
    checks += 1
    if not ok:
        fail(what)


# ---- the schema itself ---------------------------------------------------------

def check_schema(schema):
    v = schemacheck.Validator(schema)   # refuses keywords it does not check

    def described(s):
        if "$ref" in s and "description" not in s:
            s = v._resolve(s["$ref"])
        return "description" in s

    def typed(s):
        return any(k in s for k in ("type", "enum", "const", "$ref", "anyOf"))

    def walk(s, where):
        if not isinstance(s, dict):
            return
        if "properties" in s:
            optional = {"forks", "policies", "hosts"} if where == "#" else set()
            expect(s.get("additionalProperties") is False,
                   "schema %s: an object must have additionalProperties false" % where)
            expect(set(s.get("required", [])) == set(s["properties"]) - optional,
                   "schema %s: required should be every member but %s" % (where, sorted(optional)))
            for name, sub in s["properties"].items():
                w = "%s/properties/%s" % (where, name)
                expect(described(sub), "schema %s: no description" % w)
                expect(typed(sub), "schema %s: no type" % w)
                if name != "policies" or where != "#":
                    walk(sub, w)
                else:
                    # room for policies of any name: a map, not a closed object
                    expect(sub.get("type") == "object" and "properties" not in sub
                           and sub.get("additionalProperties", True) is not False
                           and name not in s.get("required", []),
                           "schema %s: must be an optional open object" % w)
                    if isinstance(sub.get("additionalProperties"), dict):
                        walk(sub["additionalProperties"], w + "/additionalProperties")
        for key in ("items", "additionalProperties"):
            if isinstance(s.get(key), dict):
                walk(s[key], "%s/%s" % (where, key))
        for i, sub in enumerate(s.get("anyOf", [])):
            walk(sub, "%s/anyOf/%d" % (where, i))
        for name, sub in s.get("$defs", {}).items():
            walk(sub, "%s/$defs/%s" % (where, name))

    walk(schema, "#")


# ---- mutations of a real report ---------------------------------------------------

def sites(doc):
    """(label, path) of one object of each kind in @doc; path is a list of keys."""
    out = [("top level", [])]
    forks = doc.get("forks") or []
    if forks:
        out.append(("a fork", ["forks", 0]))
    for i, f in enumerate(forks):
        if f["concurrent"]:
            out.append(("an accessor", ["forks", i, "concurrent", 0]))
            break
    for i, f in enumerate(forks):
        if f["vma_kinds"] is not None:
            out.append(("vma_kinds", ["forks", i, "vma_kinds"]))
            break
    for i, f in enumerate(forks):
        if f.get("kprobe"):
            out.append(("a fork's kprobe view", ["forks", i, "kprobe"]))
            break
    for i, f in enumerate(forks):
        if f.get("policies"):
            out.append(("a fork's policy decision",
                        ["forks", i, "policies", sorted(f["policies"])[0]]))
            break
    out += [("trace", ["trace"]), ("a trace file", ["traces", 0]), ("summary", ["summary"]),
            ("summary percentiles", ["summary", "window_ns"]),
            ("summary by kind", ["summary", "concurrent_by_kind"])]
    k = doc["summary"].get("kprobe")
    if k:
        out.append(("summary kprobe", ["summary", "kprobe"]))
        if k["longest_waits"]:
            out.append(("a longest wait", ["summary", "kprobe", "longest_waits", 0]))
    if doc["summary"].get("dup_probe"):
        out.append(("a dup_probe entry", ["summary", "dup_probe", 0]))
    if "lock_cost" in doc:
        out.append(("lock_cost", ["lock_cost"]))
    for name, r in sorted((doc.get("policies") or {}).items()):
        out.append(("a policy result", ["policies", name]))
        break
    for name, r in sorted((doc.get("policies") or {}).items()):
        if r.get("evidence"):
            out.append(("policy evidence", ["policies", name, "evidence", 0]))
            break
    if doc["summary"]["top_commands"]:
        out.append(("a top command", ["summary", "top_commands", 0]))
    if doc["summary"]["window_by_vmas"]:
        out.append(("a window bucket", ["summary", "window_by_vmas", 0]))
    return out


def at(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def other_type(v):
    """A value of another JSON type than @v."""
    if isinstance(v, bool):
        return 0
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return 12345
    if v is None:
        return True     # no member of the schema is boolean-or-null
    if isinstance(v, list):
        return {}
    return []


def check_mutations(doc, schema, label):
    v = schemacheck.Validator(schema)

    def mutated(name, change, valid):
        d = copy.deepcopy(doc)
        change(d)
        errs = v.errors(d)
        if valid:
            expect(not errs, "%s: %s should be valid: %s" % (label, name, errs[:3]))
        else:
            expect(bool(errs), "%s: %s was accepted" % (label, name))

    n0 = checks
    for site, path in sites(doc):
        obj = at(doc, path)
        mutated("%s with a member added" % site,
                lambda d, p=path: at(d, p).__setitem__("x_not_in_schema", 1), False)
        for key in list(obj):
            optional = path == [] and key in ("forks", "policies", "hosts")
            mutated("%s without %r" % (site, key),
                    lambda d, p=path, k=key: at(d, p).pop(k), optional)
            mutated("%s with %r of another type" % (site, key),
                    lambda d, p=path, k=key: at(d, p).__setitem__(k, other_type(at(d, p)[k])),
                    False)
    mutated("schema name forklock-report/2",
            lambda d: d.__setitem__("schema", "forklock-report/2"), False)
    mutated("no 'policies' member", lambda d: d.pop("policies", None), True)
    mutated("a policy named 'Bad_Name'",
            lambda d: d.setdefault("policies", {}).__setitem__(
                "Bad_Name", copy.deepcopy(POLICY_RESULT)), False)
    mutated("a policy of a new name",
            lambda d: d.setdefault("policies", {}).__setitem__(
                "my-rule", copy.deepcopy(POLICY_RESULT)), True)
    if doc.get("forks"):
        mutated("uffd 'maybe'", lambda d: d["forks"][0].__setitem__("uffd", "maybe"), False)
        mutated("tier 'kprobe'", lambda d: d["forks"][0].__setitem__("tier", "kprobe"), True)
        mutated("tier 'bpf'", lambda d: d["forks"][0].__setitem__("tier", "bpf"), True)
        mutated("tier 'ebpf'", lambda d: d["forks"][0].__setitem__("tier", "ebpf"), False)
        mutated("vmas_locked_quality 'guessed'",
                lambda d: d["forks"][0].__setitem__("vmas_locked_quality", "guessed"), False)
        mutated("sources.mm_users 'model'",
                lambda d: d["forks"][0]["sources"].__setitem__("mm_users", "model"), False)
        mutated("sources.mm_users 'bpf'",
                lambda d: d["forks"][0]["sources"].__setitem__("mm_users", "bpf"), True)
        mutated("a map_count of -1",
                lambda d: d["forks"][0].__setitem__("map_count", -1), False)
        mutated("an mm_users holder of kind 'thread'",
                lambda d: d["forks"][0].__setitem__(
                    "mm_users_holders", [{"pid": 5, "comm": "x", "kind": "thread"}]), False)
        mutated("an mm_users holder",
                lambda d: d["forks"][0].__setitem__(
                    "mm_users_holders", [{"pid": 5, "comm": "x", "kind": "uffd_ioctl"}]), True)
        mutated("5 mm_users holders",
                lambda d: d["forks"][0].__setitem__(
                    "mm_users_holders", [{"pid": 5, "comm": "x", "kind": "ptrace"}] * 5), False)
        mutated("a negative window",
                lambda d: d["forks"][0].__setitem__("window_ns", -1), False)
        mutated("a 16-character comm",
                lambda d: d["forks"][0].__setitem__("comm", "x" * 16), False)
        mutated("9 accessors in detail",
                lambda d: d["forks"][0].__setitem__(
                    "concurrent", [copy.deepcopy(ACCESSOR) for _ in range(9)]), False)
        mutated("8 accessors in detail",
                lambda d: d["forks"][0].__setitem__(
                    "concurrent", [copy.deepcopy(ACCESSOR) for _ in range(8)]), True)
    judged = [i for i, f in enumerate(doc.get("forks") or []) if f.get("policies")]
    if judged:
        i = judged[0]
        name = sorted(doc["forks"][i]["policies"])[0]
        mutated("a fork's decision 'maybe'",
                lambda d: d["forks"][i]["policies"][name].__setitem__("decision", "maybe"), False)
        mutated("a fork's safety 'fine'",
                lambda d: d["forks"][i]["policies"][name].__setitem__("safety", "fine"), False)
        mutated("a fork judged by a policy of a new name",
                lambda d: d["forks"][i]["policies"].__setitem__(
                    "my-rule", copy.deepcopy(d["forks"][i]["policies"][name])), True)
    print("%s: %d mutations checked" % (label, checks - n0))


ACCESSOR = {"kind": "uffd_ioctl", "pid": 2, "tgid": None, "comm": "m", "ts_ns": 1,
            "blocked_ns": None, "reaches_vma": True}
POLICY_RESULT = {"summary": "a rule", "plugin": "./my-rule.so", "forks": 1, "skipped_forks": 1,
                 "locked_forks": 0, "undecided_forks": 0, "skipped_locks": 24,
                 "undecided_locks": 0, "estimated_forks": 0, "saved_ns_estimate": 720,
                 "saved_share_of_window": 0.015, "unsafe_forks": 0,
                 "unknown_safety_forks": 0, "avoided_blocked_ns": 0, "avoided_forks": 0,
                 "avoided_unknown_forks": 0, "exposed_accessors": 0, "verdict": "safe",
                 "decided_forks": 1,
                 "touched_forks": {"locked": 0, "skipped": 0, "undecided": 0}, "evidence": []}


# ---- running forklock report ---------------------------------------------------------

def report(forklock, files, forks=True, view=("--all",)):
    argv = [forklock, "report", "--format", "json", *view] + (["--forks"] if forks else []) + files
    p = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        fail("'%s' exited %d: %s" % (" ".join(argv[1:]), p.returncode, p.stderr.strip()))
        return None
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        fail("'%s' printed no JSON: %s" % (" ".join(argv[1:]), e))
        return None


def check_reports(forklock, schema, files, label):
    # two files: the same one twice is refused (it would count twice)
    second = files[0] + ".copy.dat"
    shutil.copyfile(files[0], second)
    docs = [("%s --forks" % label, report(forklock, files[:1])),
            ("%s, COMMAND's view" % label, report(forklock, files[:1], view=())),
            ("%s (summary only)" % label, report(forklock, files[:1], forks=False)),
            ("%s, two files" % label, report(forklock, [files[0], second]))]
    for name, doc in docs:
        if doc is None:
            continue
        errs = schemacheck.validate(doc, schema)
        expect(not errs, "%s: does not match the schema:\n  %s" % (name, "\n  ".join(errs[:20])))
        print("%s: %s" % (name, "valid" if not errs else "%d errors" % len(errs)))
    doc = docs[0][1]
    if doc is not None:
        check_mutations(doc, schema, label)
    return doc


# ---- modes ----------------------------------------------------------------------------

def fixture(forklock, mkfixture, schema, descs):
    tmp = tempfile.mkdtemp(prefix="forklock-docs-")
    try:
        for desc in descs:
            name = os.path.splitext(os.path.basename(desc))[0]
            dat = os.path.join(tmp, name + ".dat")
            p = subprocess.run([mkfixture, desc, dat], capture_output=True, text=True, timeout=60)
            if p.returncode != 0:
                fail("mkfixture %s: %s" % (desc, p.stderr.strip()))
                continue
            doc = check_reports(forklock, schema, [dat], name)
            if doc and "kprobe" in name:
                expect(all(f["tier"] == "kprobe" and f["kprobe"] for f in doc["forks"]),
                       "%s: a fork without the kprobe tier" % name)
                expect(doc["summary"].get("kprobe") and doc["summary"].get("dup_probe"),
                       "%s: no kprobe summary or dup_probe map" % name)
            elif doc:
                fixture_coverage(doc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fixture_coverage(doc):
    """report-schema.desc is meant to reach every shape the JSON has."""
    forks = doc["forks"]
    expect(any(f["partial"] for f in forks), "fixture: no partial fork")
    expect(any(f["aborted"] for f in forks), "fixture: no aborted fork")
    expect(any(f["child_pid"] is None for f in forks), "fixture: no null child_pid")
    expect(any(f["parent_tgid"] is None for f in forks), "fixture: no null tgid")
    expect(any(f["uffd"] == "present" for f in forks), "fixture: no uffd present")
    expect({a["kind"] for f in forks for a in f["concurrent"]} >=
           {"fault_fallback", "remote_mmap_lock", "uffd_ioctl"},
           "fixture: accessor kinds missing")
    expect(any(f.get("policies") is None for f in forks), "fixture: no unjudged fork")
    pol = doc.get("policies") or {}
    if pol:
        expect(any(r["evidence"] for r in pol.values()), "fixture: no policy evidence")
    else:
        print("fixture: no policy loaded (no plugin directory): policies not covered")


def live(forklock, workload, schema):
    if os.geteuid() != 0:
        print("not root: skipped")
        return 77
    p = subprocess.run([forklock, "check"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        print("forklock check says no recording is possible here: skipped\n" + p.stdout)
        return 77
    # other recorders (other test runs) may come and go on this host
    # meanwhile: judge only the instance of the recorder this test starts
    recorder = None
    tmp = tempfile.mkdtemp(prefix="forklock-docs-")
    bg = None
    try:
        # a shell that exists before the recording (in the snapshot, VMA kinds
        # known) and forks during it, when COMMAND opens the fifo
        go, done = os.path.join(tmp, "go"), os.path.join(tmp, "done")
        os.mkfifo(go)
        os.mkfifo(done)
        bg = subprocess.Popen(["sh", "-c", 'read x < "$1"; (true); (true); echo ok > "$2"',
                               "sh", go, done])
        time.sleep(0.2)
        script = ('echo go > "$1"; cat "$2" >/dev/null; '
                  '"$3" storm --forks 10 --threads 3 --siblings fault >/dev/null && '
                  'exec "$3" uffd --forks 5 --monitor >/dev/null')
        dat = os.path.join(tmp, "live.dat")
        argv = [forklock, "record", "-q", "-o", dat, "--",
                "sh", "-c", script, "sh", go, done, workload]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        recorder = proc.pid
        _, err = proc.communicate(timeout=300)
        expect(proc.returncode == 0, "forklock record exited %d: %s" % (proc.returncode, err))
        if proc.returncode == 0:
            doc = check_reports(forklock, schema, [dat], "live")
            if doc:
                forks = [f for f in doc["forks"] if not f["partial"] and not f["aborted"]]
                expect(len(forks) >= 17, "live: %d complete forks, 17 expected" % len(forks))
                expect(any(f["concurrent"] for f in forks), "live: no accessor")
                expect(any(f["uffd"] == "present" for f in forks), "live: no uffd present")
                expect(any(f["vma_kinds"] for f in forks), "live: no vma_kinds object")
                # the shell outside COMMAND forked twice: the host's, not COMMAND's
                outside = [f for f in forks if f["parent_pid"] == bg.pid]
                expect(len(outside) == 2, "live: %d forks of the outside shell" % len(outside))
                expect(doc["view"] == "host", "live: --all is the host's view")
                mine = report(forklock, [dat], view=())
                if mine:
                    expect(mine["view"] == "command", "live: the default view is COMMAND's")
                    expect(not [f for f in mine["forks"] if f["parent_pid"] == bg.pid],
                           "live: the outside shell's forks are in COMMAND's view")
                    expect(len(mine["forks"]) == mine["traces"][0]["command_forks"] and
                           len(doc["forks"]) == doc["traces"][0]["host_forks"],
                           "live: command_forks/host_forks are not the forks listed")
    finally:
        if bg is not None:
            try:
                bg.wait(timeout=10)
            except subprocess.TimeoutExpired:
                bg.kill()
                bg.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        if recorder is not None:
            expect(not instance_of(recorder),
                   "the instance of recorder %d was left behind" % recorder)
    return None


def main(argv):
    if len(argv) < 2 or argv[1] not in ("fixture", "live"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, args = argv[1], argv[2:]
    if (mode == "fixture" and len(args) < 4) or (mode == "live" and len(args) != 3):
        print(__doc__, file=sys.stderr)
        return 2
    with open(args[2]) as f:
        schema = json.load(f)
    check_schema(schema)
    if mode == "fixture":
        fixture(args[0], args[1], schema, args[3:])
    else:
        ret = live(args[0], args[1], schema)
        if ret is not None:
            return ret
    print("%d checks, %d failed" % (checks, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
