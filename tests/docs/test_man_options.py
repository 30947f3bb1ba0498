#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The man pages and the program agree on options, commands and exit codes.

Usage: test_man_options.py FORKLOCK FORKLOCK-EXIT.H PAGE.1...

For 'forklock' (forklock.1) and each command C (forklock-C.1):
  - every long option 'forklock [C] --help' prints is documented in the
    OPTIONS section of the page (a .TP tag), and every long option of that
    section is printed by --help.  One exception, on purpose: --help itself,
    which every command takes but only the top-level usage lists;
  - the program really accepts every option the page documents, long and
    short, with a value of the documented kind ('forklock C OPT VALUE --help'
    exits 0: options are parsed in order, --help ends the parse);
  - where --help pairs a short and a long option ('-o, --output'), the page
    pairs the same two;
  - a default that --help states ('(default: 8192)') is in the page's
    paragraph for that option.
For forklock.1:
  - the commands 'forklock --help' lists are the COMMANDS tags of forklock.1,
    and each has its page forklock-C.1 among PAGE.1...;
  - the EXIT STATUS tags are exactly the codes of lib/forklock-exit.h;
and the EXIT STATUS tags of every command's page are codes of that header.
The SYNOPSIS and SEE ALSO sections are complete:
  - forklock.1's SYNOPSIS names 'forklock help' and every command;
  - a command's SYNOPSIS shows every option its --help prints (long, or the
    short one --help pairs with it), and the values a usage line offers
    ('--format text|json|mail') as the same alternatives;
  - every page's SEE ALSO names forklock(1) and every command's page (not
    itself);
and 'forklock help C' prints exactly 'forklock C --help', 'forklock help
bogus' and 'forklock bogus' exit 2, '-V' prints what '--version' prints.
"""
import os
import re
import subprocess
import sys

failures = []
# a value of the kind each documented metavariable names
VALUES = {"FILE": "/nonexistent-forklock-docs-test/out.dat", "SEC": "1", "KB": "8192",
          "N": "10", "FMT": "json", "PATH": "/nonexistent-forklock-docs-test/policy.so",
          "NAMES": "single-user,always-lock", "TIER": "tracepoint",
          "MB": "64", "NAME": "single-user"}


def fail(what):
    failures.append(what)
    print("FAIL " + what)


def roff_text(line):
    """A roff line as the reader sees it, roughly: no macro, escapes resolved."""
    line = re.sub(r"^\.[A-Z]{1,2}\s?", "", line)
    line = re.sub(r"\\f[BIRP]|\\f\(..|\\f\[[^]]*\]", "", line)
    line = line.replace("\\-", "-").replace("\\(lq", '"').replace("\\(rq", '"')
    line = line.replace("\\%", "").replace("\\:", "").replace("\\&", "")
    return line.replace('"', "")


def sections(text):
    """{'.SH name': [lines]}"""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r'^\.SH\s+"?([^"]*)"?\s*$', line)
        if m:
            cur = m.group(1)
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def tags(lines):
    """(tag line, paragraph lines) of every .TP/.TQ item in a section."""
    items, i = [], 0
    while i < len(lines):
        if lines[i] in (".TP", ".TQ") and i + 1 < len(lines):
            tag, body, j = lines[i + 1], [], i + 2
            while j < len(lines) and lines[j] not in (".TP", ".TQ") and \
                    not lines[j].startswith((".SH", ".SS", ".PP")):
                body.append(lines[j])
                j += 1
            items.append((tag, body))
            i = j
        else:
            i += 1
    return items


OPT_RE = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])")


def page_options(text, page):
    """[(short or None, long, metavar or None, paragraph text)] of the OPTIONS section."""
    sec = sections(text).get("OPTIONS")
    if sec is None:
        fail("%s: no OPTIONS section" % page)
        return []
    out = []
    for tag, body in tags(sec):
        words = roff_text(tag).replace(",", " ").split()
        opts = [w for w in words if OPT_RE.fullmatch(w)]
        longs = [o for o in opts if o.startswith("--")]
        shorts = [o for o in opts if not o.startswith("--")]
        if not longs:
            fail("%s: OPTIONS tag without a long option: %r" % (page, tag))
            continue
        rest = [w for w in words if w not in opts]
        meta = rest[0] if rest and rest[0].isupper() else None
        out.append((shorts[0] if shorts else None, longs[0], meta,
                    " ".join(roff_text(b) for b in body)))
    return out


def help_of(forklock, cmd):
    argv = [forklock] + ([cmd] if cmd else []) + ["--help"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if p.returncode != 0 or not p.stdout.startswith("usage:"):
        fail("'%s' exited %d, stdout %r" % (" ".join(argv[1:]), p.returncode, p.stdout[:80]))
    return p.stdout


def help_options(text):
    """long options --help mentions, {long: short}, {long: default}"""
    longs = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))
    pairs, defaults = {}, {}
    for line in text.splitlines():
        m = re.match(r"^\s+(?:-([a-zA-Z]), )?(--[a-z][a-z0-9-]*)\b(.*)$", line)
        if not m:
            continue
        if m.group(1):
            pairs[m.group(2)] = "-" + m.group(1)
        d = re.search(r"\(default:? ([^)]+)\)", m.group(3))
        if d:
            defaults[m.group(2)] = d.group(1)
    return longs, pairs, defaults


def check_command(forklock, cmd, page_path):
    page = os.path.basename(page_path)
    with open(page_path) as f:
        text = f.read()
    help_text = help_of(forklock, cmd)
    h_longs, h_pairs, h_defaults = help_options(help_text)
    documented = page_options(text, page)
    p_longs = {o[1] for o in documented}

    for o in sorted(h_longs - p_longs):
        fail("%s: '%s --help' prints %s, the OPTIONS section does not document it"
             % (page, cmd or "forklock", o))
    for o in sorted(p_longs - h_longs - {"--help"}):
        fail("%s documents %s, '%s --help' does not print it" % (page, o, cmd or "forklock"))
    if "--help" not in p_longs:
        fail("%s does not document --help" % page)

    for short, long_, meta, para in documented:
        value = []
        if meta:
            if meta not in VALUES:
                fail("%s: %s takes %s, add a sample value to VALUES" % (page, long_, meta))
                continue
            value = [VALUES[meta]]
        for opt in [long_] + ([short] if short else []):
            argv = [forklock] + ([cmd] if cmd else []) + [opt] + value
            # a command parses its options in order and stops at --help; the
            # top level takes exactly one option (--help or --version)
            if cmd and opt not in ("--help", "-h"):
                argv.append("--help")
            p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            want = "usage:" if cmd or opt in ("--help", "-h") else "forklock "
            if p.returncode != 0 or not p.stdout.startswith(want):
                fail("%s documents %s, but '%s' exits %d: %s"
                     % (page, opt, " ".join(argv[1:]), p.returncode, p.stderr.strip()))
        if long_ in h_pairs and h_pairs[long_] != short:
            fail("%s pairs %s with %s, --help with %s" % (page, long_, short, h_pairs[long_]))
        if long_ in h_defaults and h_defaults[long_] not in para:
            fail("%s: --help says %s defaults to %r, its paragraph does not say so"
                 % (page, long_, h_defaults[long_]))
    print("%s: %d options checked against '%s --help'"
          % (page, len(documented), cmd or "forklock"))
    return text, help_text


def synopsis_text(text):
    """The SYNOPSIS as the reader sees it, alternatives without spaces: 'a|b'."""
    words = " ".join(roff_text(l) for l in sections(text).get("SYNOPSIS", []))
    words = re.sub(r"\s*\|\s*", "|", words)
    return re.sub(r"\s+", " ", words)


def check_synopsis(cmd, text, page, help_text):
    syn = synopsis_text(text)
    if not syn:
        fail("%s: no SYNOPSIS section" % page)
        return
    h_longs, h_pairs, _ = help_options(help_text)
    shown = set(OPT_RE.findall(syn))
    for o in sorted(h_longs - {"--help"}):
        if o not in shown and h_pairs.get(o) not in shown:
            fail("%s: SYNOPSIS lacks %s%s, which '%s --help' prints"
                 % (page, o, " (or %s)" % h_pairs[o] if o in h_pairs else "", cmd))
    usage = help_text.split("\n\n")[0]
    for opt, alts in re.findall(r"(--[a-z][a-z0-9-]*)[ =]([a-z]+(?:\|[a-z]+)+)", usage):
        forms = [re.escape(opt)] + ([re.escape(h_pairs[opt])] if opt in h_pairs else [])
        if not re.search(r"(?:%s) %s(?![a-z|])" % ("|".join(forms), re.escape(alts)), syn):
            fail("%s: SYNOPSIS does not offer %s %s as '%s --help' does"
                 % (page, opt, alts, cmd))


def check_see_also(text, page, pages):
    sec = sections(text).get("SEE ALSO")
    if sec is None:
        fail("%s: no SEE ALSO section" % page)
        return
    named = set(re.findall(r"([\w-]+)\(\d\)", " ".join(roff_text(l) for l in sec)
                           .replace(" (", "(")))
    for other in pages:
        name = other[:-2]
        if other != page and name not in named:
            fail("%s: SEE ALSO does not name %s(1)" % (page, name))


def check_help_command(forklock, commands):
    for c in commands:
        a = subprocess.run([forklock, "help", c], capture_output=True, text=True, timeout=30)
        b = subprocess.run([forklock, c, "--help"], capture_output=True, text=True, timeout=30)
        if (a.returncode, a.stdout, a.stderr) != (b.returncode, b.stdout, b.stderr) or \
                a.returncode != 0:
            fail("'forklock help %s' (exit %d) is not 'forklock %s --help' (exit %d)"
                 % (c, a.returncode, c, b.returncode))
    for argv, msg in ((["help", "bogus"], "unknown command 'bogus'"),
                      (["bogus"], "unknown command 'bogus'"),
                      (["--bogus"], "unknown option '--bogus'")):
        p = subprocess.run([forklock, *argv], capture_output=True, text=True, timeout=30)
        if p.returncode != 2 or p.stdout or msg not in p.stderr or len(p.stderr.splitlines()) != 1:
            fail("'forklock %s' exits %d, stderr %r: want 2 and one line with %r"
                 % (" ".join(argv), p.returncode, p.stderr, msg))
    v = [subprocess.run([forklock, o], capture_output=True, text=True, timeout=30)
         for o in ("-V", "--version")]
    if v[0].returncode or v[0].stdout != v[1].stdout or \
            not re.fullmatch(r"forklock \d+\.\d+\.\d+\n", v[0].stdout):
        fail("'forklock -V' printed %r, '--version' %r" % (v[0].stdout, v[1].stdout))


def exit_codes(header):
    with open(header) as f:
        text = f.read()
    return {int(v) for v in re.findall(r"^\s*FL_EXIT_\w+\s*=\s*(\d+)\s*,", text, re.M)}


def page_exit_codes(text, page):
    sec = sections(text).get("EXIT STATUS")
    if sec is None:
        fail("%s: no EXIT STATUS section" % page)
        return set()
    return {int(t) for t, _ in tags(sec) if re.fullmatch(r"\d+", t)}


def main(forklock, header, pages):
    by_name = {os.path.basename(p): p for p in pages}
    if "forklock.1" not in by_name:
        fail("forklock.1 is not among the pages")
        return 1
    top_text, top_help = check_command(forklock, None, by_name["forklock.1"])

    # commands: 'forklock --help' <-> forklock.1 COMMANDS <-> forklock-C.1
    m = re.search(r"^commands:\n((?:  \S.*\n)+)", top_help, re.M)
    commands = [line.split()[0] for line in m.group(1).splitlines()] if m else []
    if not commands:
        fail("'forklock --help' lists no commands")
    documented = {roff_text(t).split()[0] for t, _ in tags(sections(top_text).get("COMMANDS", []))}
    for c in commands:
        if c not in documented:
            fail("forklock.1: command %s is not in COMMANDS" % c)
    for c in sorted(documented - set(commands)):
        fail("forklock.1 documents command %s, 'forklock --help' does not list it" % c)
    syn = synopsis_text(top_text)
    for c in ["help"] + commands:
        if not re.search(r"\bforklock %s\b" % c, syn):
            fail("forklock.1: SYNOPSIS does not show 'forklock %s'" % c)
    cmd_pages = ["forklock.1"] + ["forklock-%s.1" % c for c in commands]
    check_see_also(top_text, "forklock.1", cmd_pages)
    check_help_command(forklock, commands)
    for c in commands:
        page = "forklock-%s.1" % c
        if page not in by_name:
            fail("no page %s for command %s" % (page, c))
            continue
        text, help_text = check_command(forklock, c, by_name[page])
        check_synopsis(c, text, page, help_text)
        check_see_also(text, page, cmd_pages)
        for code in sorted(page_exit_codes(text, page) - exit_codes(header)):
            fail("%s documents exit status %d, which lib/forklock-exit.h does not have"
                 % (page, code))

    # exit codes: the header <-> forklock.1
    codes, documented = exit_codes(header), page_exit_codes(top_text, "forklock.1")
    if not codes:
        fail("no FL_EXIT_* codes found in %s" % header)
    for c in sorted(codes - documented):
        fail("forklock.1: exit status %d (lib/forklock-exit.h) is not in EXIT STATUS" % c)
    for c in sorted(documented - codes):
        fail("forklock.1 documents exit status %d, lib/forklock-exit.h has no such code" % c)
    print("forklock.1: exit statuses %s" % sorted(documented))
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
