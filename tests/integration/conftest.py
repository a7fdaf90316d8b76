# SPDX-License-Identifier: ISC
"""pytest fixtures: the real servers, the test files, and running smtpc.

The binary under test is $SMTPC_BIN (default build/src/cli/smtpc, relative
to the repository root).  Servers start once per session; recorders are
reset by each test that uses them.

$SMTPC_WRAP, when set, is a command that prefixes every run of the binary
(scripts/valgrind: "valgrind --error-exitcode=99 --leak-check=full -q ...");
a report of the tool in smtpc's stderr fails the test, and wall-clock
limits are multiplied by $SMTPC_WRAP_SLOW (default 8 under a wrapper).
"""

import atexit
import email
import email.policy
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import servers as srv      # noqa: E402
import testdata            # noqa: E402


def smtpc_path():
    p = os.environ.get("SMTPC_BIN", "build/src/cli/smtpc")
    if not os.path.isabs(p):
        p = os.path.join(REPO, p)
    return p


# The wrapper (valgrind) around every run of smtpc, and how much slower it
# makes smtpc by the wall clock: deadline checks allow SLOW times the slack.
WRAP = shlex.split(os.environ.get("SMTPC_WRAP", ""))
SLOW = float(os.environ.get("SMTPC_WRAP_SLOW", "8")) if WRAP else 1.0
_VALGRIND = re.compile(r"(?m)^==\d+== ")
_exe = []


def smtpc_argv(*args):
    """argv that runs smtpc with ARGS under $SMTPC_WRAP."""
    return WRAP + [smtpc_path()] + [str(a) for a in args]


def smtpc_exe():
    """One executable path that runs smtpc under $SMTPC_WRAP, for code that
    takes a program path (golden.py, conformance.py).  A valgrind report
    shows there as exit status 99 (--error-exitcode in $SMTPC_WRAP)."""
    if not WRAP:
        return smtpc_path()
    if not _exe:
        d = tempfile.mkdtemp(prefix="smtpc-wrap-")
        atexit.register(shutil.rmtree, d, True)
        p = os.path.join(d, "smtpc")
        with open(p, "w") as f:
            f.write("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(
                shlex.quote(a) for a in WRAP + [smtpc_path()]))
        os.chmod(p, 0o755)
        _exe.append(p)
    return _exe[0]


def assert_no_report(err, what=""):
    """No sanitizer or valgrind report in smtpc's stderr ERR (str)."""
    for mark in ("ERROR: AddressSanitizer", "runtime error:",
                 "LeakSanitizer"):
        assert mark not in err, "%s\n%s" % (what, err[-6000:])
    assert not _VALGRIND.search(err), "valgrind: %s\n%s" % (
        what, err[-6000:])


def skip_if_wrapped(reason):
    if WRAP:
        pytest.skip("under %s: %s" % (os.path.basename(WRAP[0]), reason))


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def parse(raw):
    """Parse a message; CRLF (wire, dry-run) becomes LF like a Maildir's,
    so text bodies compare equal whichever way they were stored."""
    raw = raw.replace(b"\r\n", b"\n")
    return email.message_from_bytes(raw, policy=email.policy.default)


class Result:
    def __init__(self, cp, args):
        self.args = args
        self.rc = cp.returncode
        self.out = cp.stdout
        self.err = cp.stderr.decode("utf-8", "replace")

    def __repr__(self):
        return "smtpc %s -> %s\nstderr:\n%s\nstdout:\n%s" % (
            " ".join(self.args), self.rc, self.err[-4000:],
            self.out[-2000:].decode("utf-8", "replace"))


class Smtpc:
    """Runs the binary; knows the servers to build server options."""

    def __init__(self, servers, tmp):
        self.bin = smtpc_path()
        self.s = servers
        self.tmp = tmp

    def run(self, *args, env=None, stdin=None, timeout=60, wrap=()):
        if not os.access(self.bin, os.X_OK):
            pytest.fail("smtpc binary not found: %s (set SMTPC_BIN)"
                        % self.bin)
        e = dict(os.environ)
        e.pop("SMTPC_PASSWORD", None)
        e["HOME"] = self.tmp         # no ~/.netrc or config of the host
        e.pop("XDG_CACHE_HOME", None)   # TLS sessions: under this HOME
        e["LC_ALL"] = "C.UTF-8"
        if env:
            e.update(env)
        argv = list(wrap) + WRAP + [self.bin] + [str(a) for a in args]
        timeout *= SLOW
        try:
            cp = subprocess.run(argv, env=e, input=stdin,
                                stdin=None if stdin is not None
                                else subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail("smtpc did not finish in %ss: %s" % (timeout, args))
        r = Result(cp, [str(a) for a in args])
        # Sanitizer and valgrind reports must never pass silently.
        assert_no_report(r.err, repr(r))
        return r

    def server(self, port, tls="starttls", ca=True, auth=True):
        a = ["--server", "127.0.0.1:%d" % port, "--tls", tls]
        if ca:
            a += ["--cafile", self.s.pki.ca]
        if auth:
            a += ["-u", srv.USER, "--password-file", self.s.password_file()]
        return a

    def postfix(self, **kw):
        return self.server(self.s.postfix.port, **kw)


@pytest.fixture(scope="session")
def servers():
    # One retry: a cold machine has once failed the first start (cause not
    # caught); the first failure stays visible as a warning.
    try:
        s = srv.Servers().start()
    except Exception as e:
        warnings.warn("servers did not start, retrying: %r" % (e,))
        s = srv.Servers().start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("files")
    f = {}

    def put(name, data):
        p = d / name
        p.write_bytes(data)
        f[name] = (str(p), data)

    put("photo.jpg", testdata.make_jpeg())
    put("chart.png", testdata.make_png())
    put("report.pdf", testdata.make_pdf())
    wav = d / "sound.wav"
    f["sound.wav"] = (str(wav), testdata.make_wav(str(wav)))
    put("random.bin", testdata.make_random(3 * 1024 * 1024 + 7))
    put("body.txt", testdata.TEXT_BODY.encode())
    return f


@pytest.fixture
def smtpc(servers, tmp_path):
    return Smtpc(servers, str(tmp_path))


@pytest.fixture
def postfix(servers):
    servers.postfix.clear()
    return servers.postfix


def recorder(servers, mode):
    r = servers.recorders[mode]
    r.reset()
    return r


def wait_one(postfix, user, timeout=30):
    msgs = postfix.wait_messages(user, 1, timeout)
    assert len(msgs) == 1, "expected 1 message for %s, got %d\nlog:\n%s" % (
        user, len(msgs), postfix.maillog()[-3000:])
    return parse(msgs[0])


def assert_nothing_delivered(postfix, users=srv.MAILBOXES, settle=2.0):
    time.sleep(settle)
    for u in users:
        assert postfix.messages(u) == [], "unexpected mail for %s" % u
