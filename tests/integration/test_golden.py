# SPDX-License-Identifier: ISC
"""Golden files: smtpc's exact bytes for a dozen typical
messages, with a fixed seed and date.  The cases and the way to regenerate
them are in tests/golden/golden.py (`scripts/conformance --regen-golden`;
read the diff before committing)."""

import difflib
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(os.path.dirname(HERE), "golden")
sys.path.insert(0, GOLDEN)

import golden       # noqa: E402
from conftest import assert_no_report, smtpc_exe     # noqa: E402


@pytest.mark.parametrize("name,args", golden.CASES,
                         ids=[c[0] for c in golden.CASES])
def test_golden(name, args, tmp_path):
    out = str(tmp_path / (name + ".eml"))
    rc, err = golden.run(smtpc_exe(), args, out)
    assert_no_report(err, name)
    assert rc == 0, err
    with open(out, "rb") as f:
        got = f.read()
    with open(os.path.join(GOLDEN, name + ".eml"), "rb") as f:
        want = f.read()
    if got != want:
        diff = "".join(difflib.unified_diff(
            want.decode("utf-8", "replace").splitlines(True),
            got.decode("utf-8", "replace").splitlines(True),
            "tests/golden/%s.eml" % name, "smtpc output"))
        pytest.fail("output differs from the golden file (if intended: "
                    "scripts/conformance --regen-golden, then read the "
                    "diff):\n" + diff[:6000])
