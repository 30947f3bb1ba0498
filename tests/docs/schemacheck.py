# SPDX-License-Identifier: GPL-2.0-or-later
"""A small JSON Schema (draft 2020-12) validator for docs/forklock-report.schema.json.

Only the keywords that schema uses are implemented; a schema with any other
keyword is refused (SchemaError), so the schema cannot quietly rely on a check
that is not made.  Implemented: $schema $defs $ref (local "#/..." pointers
only) title description type enum const properties required
additionalProperties propertyNames items minItems maxItems minimum maximum
minLength maxLength pattern anyOf.

    errors = validate(instance, schema)     # [] when valid
    python3 schemacheck.py SCHEMA.json DOC.json   # exit 0 valid, 1 invalid

No third-party module: PyPI is not reachable from the build machines.
"""
import json
import re
import sys

KNOWN = {
    "$schema", "$defs", "$ref", "title", "description", "type", "enum", "const",
    "properties", "required", "additionalProperties", "items", "minItems",
    "maxItems", "minimum", "maximum", "minLength", "maxLength", "pattern", "anyOf",
    "propertyNames",
}
TYPES = {"null", "boolean", "integer", "number", "string", "array", "object"}


class SchemaError(Exception):
    """The schema itself uses something this validator does not check."""


def _is_type(value, t):
    if t == "null":
        return value is None
    if t == "boolean":
        return isinstance(value, bool)
    if t == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "string":
        return isinstance(value, str)
    if t == "array":
        return isinstance(value, list)
    if t == "object":
        return isinstance(value, dict)
    raise SchemaError("unknown type %r" % t)


def _json_equal(a, b):
    """Equality as JSON means it: true is not 1, 1 is 1.0, order of keys does not matter."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


class Validator:
    def __init__(self, schema):
        self.root = schema
        self._check_schema(schema, "#")

    # ---- the schema ------------------------------------------------------
    def _check_schema(self, s, where):
        if isinstance(s, bool):
            return
        if not isinstance(s, dict):
            raise SchemaError("%s: a schema must be an object or a boolean" % where)
        for k, v in s.items():
            if k not in KNOWN:
                raise SchemaError("%s: keyword %r is not supported by this validator" % (where, k))
            if k == "type":
                for t in (v if isinstance(v, list) else [v]):
                    if t not in TYPES:
                        raise SchemaError("%s: unknown type %r" % (where, t))
            elif k in ("properties", "$defs"):
                for name, sub in v.items():
                    self._check_schema(sub, "%s/%s/%s" % (where, k, name))
            elif k in ("items", "additionalProperties", "propertyNames"):
                self._check_schema(v, "%s/%s" % (where, k))
            elif k == "anyOf":
                for i, sub in enumerate(v):
                    self._check_schema(sub, "%s/anyOf/%d" % (where, i))
            elif k == "$ref":
                self._resolve(v)
            elif k == "pattern":
                re.compile(v)

    def _resolve(self, ref):
        if not ref.startswith("#"):
            raise SchemaError("only local $ref is supported, not %r" % ref)
        node = self.root
        for part in ref[1:].split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise SchemaError("$ref %r does not resolve" % ref)
            node = node[part]
        return node

    # ---- an instance ---------------------------------------------------------
    def errors(self, value, schema=None, path="$"):
        out = []
        self._validate(value, self.root if schema is None else schema, path, out)
        return out

    def _validate(self, v, s, path, out):
        if s is True:
            return
        if s is False:
            out.append("%s: no value is allowed here" % path)
            return
        if "$ref" in s:
            self._validate(v, self._resolve(s["$ref"]), path, out)
        if "type" in s:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(_is_type(v, t) for t in types):
                out.append("%s: %s is not of type %s" % (path, _short(v), " or ".join(types)))
                return
        if "const" in s and not _json_equal(v, s["const"]):
            out.append("%s: %s is not %s" % (path, _short(v), _short(s["const"])))
        if "enum" in s and not any(_json_equal(v, e) for e in s["enum"]):
            out.append("%s: %s is not one of %s" % (path, _short(v), _short(s["enum"])))
        if "anyOf" in s:
            if not any(not self.errors(v, sub, path) for sub in s["anyOf"]):
                why = "; ".join("; ".join(self.errors(v, sub, path)) for sub in s["anyOf"])
                out.append("%s: matches no alternative of anyOf (%s)" % (path, why))
        if _is_type(v, "number"):
            if "minimum" in s and v < s["minimum"]:
                out.append("%s: %s is less than %s" % (path, v, s["minimum"]))
            if "maximum" in s and v > s["maximum"]:
                out.append("%s: %s is more than %s" % (path, v, s["maximum"]))
        if isinstance(v, str):
            if "minLength" in s and len(v) < s["minLength"]:
                out.append("%s: %s is shorter than %d" % (path, _short(v), s["minLength"]))
            if "maxLength" in s and len(v) > s["maxLength"]:
                out.append("%s: %s is longer than %d" % (path, _short(v), s["maxLength"]))
            if "pattern" in s and not re.search(s["pattern"], v):
                out.append("%s: %s does not match %s" % (path, _short(v), s["pattern"]))
        if isinstance(v, list):
            if "minItems" in s and len(v) < s["minItems"]:
                out.append("%s: %d items, fewer than %d" % (path, len(v), s["minItems"]))
            if "maxItems" in s and len(v) > s["maxItems"]:
                out.append("%s: %d items, more than %d" % (path, len(v), s["maxItems"]))
            if "items" in s:
                for i, item in enumerate(v):
                    self._validate(item, s["items"], "%s[%d]" % (path, i), out)
        if isinstance(v, dict):
            props = s.get("properties", {})
            for name in s.get("required", []):
                if name not in v:
                    out.append("%s: required member %r is missing" % (path, name))
            for name, item in v.items():
                sub = "%s.%s" % (path, name)
                if "propertyNames" in s:
                    self._validate(name, s["propertyNames"], "%s (name)" % sub, out)
                if name in props:
                    self._validate(item, props[name], sub, out)
                elif "additionalProperties" in s:
                    if s["additionalProperties"] is False:
                        out.append("%s: member %r is not in the schema" % (path, name))
                    else:
                        self._validate(item, s["additionalProperties"], sub, out)


def _short(v):
    text = json.dumps(v)
    return text if len(text) <= 60 else text[:57] + "..."


def validate(instance, schema):
    return Validator(schema).errors(instance)


def main(argv):
    if len(argv) != 3:
        print("usage: schemacheck.py SCHEMA.json DOC.json", file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        schema = json.load(f)
    with open(argv[2]) as f:
        doc = json.load(f)
    errs = validate(doc, schema)
    for e in errs:
        print(e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
