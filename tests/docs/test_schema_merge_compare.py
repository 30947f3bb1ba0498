#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""forklock merge --format json against docs/forklock-report.schema.json
(with its "hosts"), forklock compare --format json against
docs/forklock-compare.schema.json, on generated traces (no kernel); and the
policies' "plugin": null for the plugin directory's, the path as the user
gave it for --policy-plugin, never the build tree's absolute path.

Usage: test_schema_merge_compare.py FORKLOCK MKFIXTURE REPORT_SCHEMA COMPARE_SCHEMA GENSTORM"""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import schemacheck

FORKLOCK, MKFIXTURE, REPORT_SCHEMA, COMPARE_SCHEMA, GENSTORM = (os.path.abspath(a)
                                                                 for a in sys.argv[1:6])
tmp = None


def load(path):
    with open(path) as f:
        return json.load(f)


def run(*args):
    p = subprocess.run([FORKLOCK, *args], cwd=tmp, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, "forklock %s: %s" % (" ".join(args), p.stderr)
    return p.stdout


def setUpModule():
    global tmp
    tmp = tempfile.mkdtemp(prefix="forklock-schemas-")
    for v in ("base", "patched"):
        desc = os.path.join(tmp, v + ".desc")
        subprocess.run([sys.executable, GENSTORM, v, desc], check=True)
        subprocess.run([MKFIXTURE, desc, os.path.join(tmp, v + ".dat")], check=True)
        with open(os.path.join(tmp, v + ".json"), "w") as f:
            f.write(run("report", "--format", "json", "--forks", v + ".dat"))


def tearDownModule():
    shutil.rmtree(tmp, ignore_errors=True)


class Schemas(unittest.TestCase):
    def valid(self, doc, schema):
        self.assertEqual(schemacheck.validate(doc, load(schema)), [])

    def invalid(self, doc, schema):
        self.assertNotEqual(schemacheck.validate(doc, load(schema)), [])

    def test_merge(self):
        for forks in ((), ("--forks",)):
            doc = json.loads(run("merge", "--format", "json", *forks, "base.json", "patched.json"))
            self.assertEqual(doc["schema"], "forklock-report/1")
            self.assertEqual([h["host"] for h in doc["hosts"]], ["base", "patched"])
            self.valid(doc, REPORT_SCHEMA)
            bad = copy.deepcopy(doc)
            bad["hosts"][0]["x"] = 1
            self.invalid(bad, REPORT_SCHEMA)
            bad = copy.deepcopy(doc)
            del bad["hosts"][1]["forks"]
            self.invalid(bad, REPORT_SCHEMA)

    def test_compare(self):
        for a, b in (("base.dat", "patched.dat"), ("base.json", "patched.dat")):
            doc = json.loads(run("compare", "--format", "json", a, b))
            self.valid(doc, COMPARE_SCHEMA)
            for path in (["x"], ["base", "x"], ["window_all", "change", "x"]):
                bad = copy.deepcopy(doc)
                o = bad
                for k in path[:-1]:
                    o = o[k]
                o[path[-1]] = 1
                self.invalid(bad, COMPARE_SCHEMA)
            for key in doc:
                bad = copy.deepcopy(doc)
                del bad[key]
                self.invalid(bad, COMPARE_SCHEMA)
        # every object of the schema is closed and requires all its members
        def walk(s, where):
            if isinstance(s, dict):
                if s.get("type") == "object":
                    self.assertIs(s.get("additionalProperties"), False, where)
                    self.assertEqual(sorted(s["required"]), sorted(s["properties"]), where)
                for k, v in s.items():
                    walk(v, where + "/" + k)
        walk(load(COMPARE_SCHEMA), "#")

    def test_plugin_is_named_not_the_build_tree(self):
        doc = json.loads(run("report", "--format", "json", "base.dat"))
        for name, p in doc["policies"].items():
            self.assertIsNone(p["plugin"], name)
        so = os.path.join(tmp, "su.so")
        shutil.copy(os.path.join(os.path.dirname(FORKLOCK), "..", "plugins", "single-user.so"), so)
        doc = json.loads(run("report", "--format", "json", "--no-default-policies",
                             "--policy-plugin", "./su.so", "base.dat"))
        self.assertEqual(doc["policies"]["single-user"]["plugin"], "./su.so")
        self.valid(doc, REPORT_SCHEMA)
        with open(os.path.join(tmp, "su.json"), "w") as f:
            f.write(run("report", "--format", "json", "--forks", "--no-default-policies",
                        "--policy-plugin", "./su.so", "base.dat"))
        shutil.copy(os.path.join(tmp, "su.json"), os.path.join(tmp, "su2.json"))
        m = json.loads(run("merge", "--format", "json", "su.json", "su2.json"))
        self.assertEqual(m["policies"]["single-user"]["plugin"], "./su.so")
        out = run("report", "--format", "json", "--forks", "base.dat")
        self.assertNotIn(os.path.dirname(os.path.dirname(FORKLOCK)), out)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
