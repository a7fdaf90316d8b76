#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Count passed and failed test cases for scripts/test.

    tally.py meson BUILDDIR    TAP cases of every unit test in
                               BUILDDIR/meson-logs/testlog.json
    tally.py junit FILE.xml    pytest's JUnit XML

Prints "PASSED FAILED" on one line.  A TAP executable that dies before
its plan is complete counts its missing cases as failures; one that
reports no case at all but fails counts as one failure.  Skipped cases
count as neither.
"""

import json
import os
import re
import sys
import xml.etree.ElementTree as ET

_PLAN = re.compile(r"^1\.\.(\d+)")
_CASE = re.compile(r"^(not ok|ok)\b(.*)$")


def tally_tap(text):
    passed = failed = seen = 0
    plan = None
    for line in text.splitlines():
        m = _PLAN.match(line)
        if m:
            plan = int(m.group(1))
            continue
        m = _CASE.match(line)
        if not m:
            continue
        seen += 1
        directive = m.group(2)
        if re.search(r"#\s*SKIP", directive, re.I):
            continue
        if m.group(1) == "ok" or re.search(r"#\s*TODO", directive, re.I):
            passed += 1
        else:
            failed += 1
    if plan is not None and seen < plan:
        failed += plan - seen
    return passed, failed


def tally_meson(builddir):
    path = os.path.join(builddir, "meson-logs", "testlog.json")
    passed = failed = 0
    try:
        f = open(path)
    except OSError:
        return 0, 1
    with f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            p, fl = tally_tap(t.get("stdout") or "")
            if t.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") \
                    and fl == 0:
                fl = 1
            passed += p
            failed += fl
    return passed, failed


def tally_junit(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return 0, 1
    passed = failed = 0
    for case in root.iter("testcase"):
        kinds = {c.tag for c in case}
        if "skipped" in kinds:
            continue
        if kinds & {"failure", "error"}:
            failed += 1
        else:
            passed += 1
    return passed, failed


def main(argv):
    if len(argv) != 3 or argv[1] not in ("meson", "junit"):
        sys.stderr.write(__doc__)
        return 64
    p, f = (tally_meson if argv[1] == "meson" else tally_junit)(argv[2])
    print(p, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
