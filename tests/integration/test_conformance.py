# SPDX-License-Identifier: ISC
"""MIME conformance, the short run for scripts/test: 150 seeded messages
through Python's email package, GMime (tests/conformance/gmime_check) and
munpack, each also sent to a local aiosmtpd (same bytes, right SIZE=).
scripts/setup installs GMime and munpack: either missing is a failure, not
a skip.  The full run is `scripts/conformance` (2,000 messages)."""

import os
import shutil
import subprocess

import pytest

from conftest import (REPO, SLOW, assert_no_report, smtpc_argv,
                      smtpc_exe, smtpc_path)

CONFORMANCE = os.path.join(REPO, "tests", "conformance", "conformance.py")
COUNT = 150


def gmime_check_for(bin_path):
    """The gmime_check of the build tree that holds the smtpc binary."""
    build = os.path.dirname(os.path.dirname(os.path.dirname(bin_path)))
    p = os.path.join(build, "tests", "conformance", "gmime_check")
    return p if os.access(p, os.X_OK) else None


def test_conformance_short_run():
    assert shutil.which("munpack") is not None, \
        "munpack is missing (scripts/setup installs the mpack package)"
    gm = gmime_check_for(smtpc_path())
    assert gm is not None, (
        "tests/conformance/gmime_check is not built beside %s: GMime is "
        "missing (scripts/setup installs libgmime-3.0-dev; then meson "
        "setup --reconfigure)" % smtpc_path())
    argv = ["/usr/bin/python3", CONFORMANCE, "--count", str(COUNT),
            "--wire", str(COUNT), "--smtpc", smtpc_exe(),
            "--gmime-check", gm]
    cp = subprocess.run(argv, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, timeout=600 * SLOW)
    out = cp.stdout.decode("utf-8", "replace")
    assert cp.returncode == 0, out[-8000:]
    assert "%d messages" % COUNT in out, out[-2000:]
    assert "readers: python, munpack, gmime" in out, out[-2000:]


def test_invalid_utf8_text_refused(tmp_path):
    """Text that is not valid UTF-8 is refused with 65 (man page,
    MESSAGE FORMAT), naming the file; nothing is written."""
    body = tmp_path / "latin1.txt"
    body.write_bytes(b"caf\xe9\n")
    out = tmp_path / "msg.eml"
    cp = subprocess.run(smtpc_argv("send", "--dry-run", "-o", out,
                                   "-f", "a@example.org",
                                   "--to", "b@example.org",
                                   "--text-file", body),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        stdin=subprocess.DEVNULL)
    assert_no_report(cp.stderr.decode("utf-8", "replace"))
    assert cp.returncode == 65, cp.stderr
    assert b"not valid UTF-8" in cp.stderr
    assert b"latin1.txt" in cp.stderr
    assert not out.exists()


@pytest.mark.parametrize("args", [
    ["-s", "two\nlines"],
    ["-s", "carriage\rreturn"],
    ["-H", "X-Note: a\r\nBcc: evil@example.org"],
    ["--reply-to", "Eve\n <eve@example.org>"],
    ["--attach", "/etc/hostname;name=a\nb.txt"],
], ids=["subject-LF", "subject-CR", "header-CRLF", "name-LF",
        "filename-LF"])
def test_line_break_in_header_value_refused(args, tmp_path):
    """CR or LF in any header value from the user is refused with 65 and
    never passed through."""
    out = tmp_path / "msg.eml"
    cp = subprocess.run(smtpc_argv("send", "--dry-run", "-o", out,
                                   "-f", "a@example.org",
                                   "--to", "b@example.org",
                                   "--text", "x", *args),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        stdin=subprocess.DEVNULL)
    assert_no_report(cp.stderr.decode("utf-8", "replace"))
    assert cp.returncode == 65, cp.stderr
    assert not out.exists()
