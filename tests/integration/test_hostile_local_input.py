# SPDX-License-Identifier: ISC
"""Hostile local input, needing no server: password sources refuse what
they would otherwise cut or half-wipe, and error lines cannot drive the
terminal whatever a file name holds.

The send is pointed at 127.0.0.1 port 1 (nothing listens there): getting as
far as "connect" proves the password was accepted, and nothing leaves the
machine.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from conftest import smtpc_argv  # noqa: E402

SEND = ["send", "--server", "127.0.0.1:1", "-f", "a@example.org",
        "--to", "b@example.org", "--text", "hi", "--timeout", "5"]


def run(args, env=None):
    e = dict(os.environ)
    e.pop("SMTPC_PASSWORD", None)
    e.update(env or {})
    return subprocess.run(smtpc_argv(*args), capture_output=True, env=e,
                          stdin=subprocess.DEVNULL, timeout=60)


def pwfile(tmp_path, data):
    p = tmp_path / "pw"
    p.write_bytes(data)
    return str(p)


def test_password_file_at_the_limit_is_used(tmp_path):
    for data in (b"a" * 4096 + b"\n", b"a" * 4096 + b"\r\n", b"a" * 4096):
        cp = run(SEND + ["-u", "me", "--password-file",
                         pwfile(tmp_path, data)])
        assert cp.returncode == 75, cp.stderr
        assert b"connect:" in cp.stderr


def test_password_file_too_long_is_refused_not_cut(tmp_path):
    for data in (b"a" * 4097, b"a" * 4097 + b"\n", b"a" * 4095 + b"\r\n\r\n",
                 b"a" * 9000):
        cp = run(SEND + ["-u", "me", "--password-file",
                         pwfile(tmp_path, data)])
        assert cp.returncode == 78, (len(data), cp.stderr)
        assert b"connect" not in cp.stderr


def test_password_cmd_too_long_is_refused_not_cut():
    long_cmd = "%s -c \"print('a' * 4097)\"" % sys.executable
    cp = run(SEND + ["-u", "me", "--password-cmd", long_cmd])
    assert cp.returncode == 78, cp.stderr
    assert b"longer than 4096" in cp.stderr
    ok_cmd = "%s -c \"print('a' * 4096)\"" % sys.executable
    cp = run(SEND + ["-u", "me", "--password-cmd", ok_cmd])
    assert cp.returncode == 75, cp.stderr


def test_password_env_too_long_is_refused():
    cp = run(SEND + ["-u", "me"], env={"SMTPC_PASSWORD": "a" * 4097})
    assert cp.returncode == 78, cp.stderr
    cp = run(SEND + ["-u", "me"], env={"SMTPC_PASSWORD": "a" * 4096})
    assert cp.returncode == 75, cp.stderr


def test_error_line_escapes_control_characters_in_file_names(tmp_path):
    name = str(tmp_path / "no\x1b]0;owned\x07file\x1b[31m.txt")
    cp = run(["send", "--dry-run", "-f", "a@example.org", "--to",
              "b@example.org", "--text", "hi", "-a", name])
    assert cp.returncode == 66, cp.stderr
    assert b"\x1b" not in cp.stderr and b"\x07" not in cp.stderr
    assert b"no\\x1b]0;owned\\x07file\\x1b[31m.txt" in cp.stderr
    # UTF-8 C1 controls (U+009B is a CSI on some terminals) too; other
    # UTF-8 stays readable.
    name = str(tmp_path / "caf\u00e9\u009b2J.txt")
    cp = run(["send", "--dry-run", "-f", "a@example.org", "--to",
              "b@example.org", "--text", "hi", "-a", name])
    assert cp.returncode == 66, cp.stderr
    assert b"\xc2\x9b" not in cp.stderr
    assert "caf\u00e9\\xc2\\x9b2J.txt".encode() in cp.stderr


# The library's own checks, made before any connection: the program does
# not repeat them.  Port 1 has no listener, so a check made after trying
# to connect would show as 75, not 64.
BAD_BEFORE_CONNECT = [
    (["--tls-fingerprint", "0123"], "TLS fingerprint"),
    (["--tls-fingerprint", "ab" * 32 + "x"], "TLS fingerprint"),
    (["--dsn-envid", ""], "DSN envelope ID"),
    (["--dsn-envid", "a\nb"], "DSN envelope ID"),
    (["--dsn-envid", "caf\u00e9"], "DSN envelope ID"),
    (["--dsn-envid", "+" * 34], "DSN envelope ID"),
    (["--dsn-notify", "never,success"], "NEVER goes alone"),
]


def test_library_checks_come_before_connecting():
    for extra, says in BAD_BEFORE_CONNECT:
        cp = run(SEND + ["--tls", "none"] + extra)
        assert cp.returncode == 64, (extra, cp.stderr)
        assert says.encode() in cp.stderr, (extra, cp.stderr)
        assert b"connect" not in cp.stderr, (extra, cp.stderr)
