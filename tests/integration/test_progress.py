# SPDX-License-Identifier: ISC
"""The progress line of `smtpc send` (--progress, --no-progress, the default).

The line is drawn on stderr with carriage returns, one redraw per whole
percent, and ends with a newline before anything else is printed.  By
default it shows only on a terminal and for a message of 1 MiB or more;
the terminal cases run smtpc with a pseudo-terminal as its stderr.
"""

import os
import pty
import re
import subprocess
import threading

import pytest

import servers as srv
from conftest import WRAP, recorder, smtpc_path
from scripted import ScriptedServer

USER = srv.USER
BOB = "bob@example.test"
LINE = re.compile(r"\rsmtpc: sending [0-9.]+ [KM]iB: +(\d+)%")


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    p = tmp_path_factory.mktemp("progress") / "big.bin"
    p.write_bytes(os.urandom(3 * 1024 * 1024))
    return str(p)


def percents(err):
    return [int(m) for m in LINE.findall(err)]


def run_on_terminal(smtpc, *args):
    """Run smtpc with a pseudo-terminal as stderr; (exit code, stderr)."""
    master, slave = pty.openpty()
    chunks = []

    def drain():
        while True:
            try:
                b = os.read(master, 65536)
            except OSError:         # EIO: the last writer closed
                return
            if not b:
                return
            chunks.append(b)

    t = threading.Thread(target=drain, daemon=True)
    t.start()
    env = dict(os.environ, HOME=smtpc.tmp, LC_ALL="C.UTF-8")
    env.pop("SMTPC_PASSWORD", None)
    try:
        p = subprocess.run(WRAP + [smtpc_path()] + [str(a) for a in args],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=slave, env=env, timeout=120,
                           start_new_session=True)
    finally:
        os.close(slave)
    t.join(10)
    os.close(master)
    # The terminal turns "\n" into "\r\n"; undo it to compare lines.
    return p.returncode, b"".join(chunks).decode().replace("\r\n", "\n")


def send_args(smtpc, rec, *extra):
    return ["send", *smtpc.server(rec.port), "-f", USER, "--to", BOB,
            "-s", "progress", "--text", "x\n", *extra]


def test_progress_forced_on_a_pipe(smtpc, servers, big):
    rec = recorder(servers, "starttls")
    r = smtpc.run(*send_args(smtpc, rec, "-a", big, "--progress"))
    assert r.rc == 0, r
    assert len(rec.messages) == 1
    p = percents(r.err)
    # The first 64 KiB piece of 4 MiB is already 1%.
    assert p[0] <= 2 and p[-1] == 100, r
    assert p == sorted(set(p)), "each percent drawn once, in order: %s" % p
    assert len(p) > 50, p
    # The line ends before anything that follows it.
    assert re.search(r"100%\n", r.err), r


def test_progress_small_message_when_asked(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run(*send_args(smtpc, rec, "--progress"))
    assert r.rc == 0, r
    assert percents(r.err)[-1] == 100, r
    assert "KiB" in r.err, r


def test_no_progress_on_a_pipe_by_default(smtpc, servers, big):
    rec = recorder(servers, "starttls")
    r = smtpc.run(*send_args(smtpc, rec, "-a", big))
    assert r.rc == 0, r
    assert "sending" not in r.err, r


@pytest.mark.parametrize("extra,shown", [
    ([], True),
    (["--no-progress"], False),
    (["-q"], False),
])
def test_progress_on_a_terminal(smtpc, servers, big, extra, shown):
    rec = recorder(servers, "starttls")
    rc, err = run_on_terminal(smtpc, *send_args(smtpc, rec, "-a", big,
                                                *extra))
    assert rc == 0, err
    assert len(rec.messages) == 1
    assert bool(percents(err)) == shown, err
    if shown:
        assert "100%\nsmtpc: sent to 1 recipient" in err, err


def test_small_message_on_a_terminal_has_no_progress(smtpc, servers):
    rec = recorder(servers, "starttls")
    rc, err = run_on_terminal(smtpc, *send_args(smtpc, rec))
    assert rc == 0, err
    assert percents(err) == [], err
    assert "smtpc: sent to 1 recipient" in err, err


def test_progress_line_ends_before_the_error(smtpc, servers, big):
    """The server drops the connection 100 000 bytes into the message:
    the error starts on a line of its own, after the last percent."""
    s = ScriptedServer(servers.pki, password=srv.PASSWORD,
                       overrides={"DATA-BODY": ("read", 100000)}).start()
    try:
        r = smtpc.run("send", "--server", "127.0.0.1:%d" % s.port,
                      "--cafile", servers.pki.ca, "-u", USER,
                      "--password-file", servers.password_file(),
                      "-f", USER, "--to", BOB, "-s", "cut", "--text", "x\n",
                      "-a", big, "--progress", "--no-chunking",
                      "--timeout", "10")
    finally:
        s.stop()
    assert r.rc == 75, r
    p = percents(r.err)
    assert p and p[-1] < 100, r
    assert re.search(r"%\nsmtpc: message: ", r.err), r
