# SPDX-License-Identifier: ISC
"""Many sessions in many threads at once, through Postfix (submission,
STARTTLS, AUTH): tests/threads/send_threads runs 8 threads that start
together, each with its own session and result, each sending 5 messages
(a text, a picture from memory, an attachment from a callback), and
checks every result.  Every message must arrive, once, under the queue
ID and Message-ID its result named.

The same program built with ThreadSanitizer (scripts/tsan, in the build
directory's name + "-tsan", or $SMTPC_TSAN_THREADS) must run without a
report: the library claims to keep no shared mutable state.
"""

import email
import email.policy
import os
import re
import subprocess

import pytest

from conftest import REPO, SLOW, WRAP, smtpc_path
import servers as srv

THREADS = 8
MESSAGES = 5
LINE = re.compile(r"(?m)^(\d+) (\d+) (\S+) (<[^>]+>)$")


def build_dir():
    return os.path.dirname(os.path.dirname(os.path.dirname(smtpc_path())))


def plain_program():
    p = os.path.join(build_dir(), "tests", "threads", "send_threads")
    if not os.access(p, os.X_OK):
        pytest.fail("tests/threads/send_threads is not built beside %s"
                    % smtpc_path())
    return p


def tsan_program():
    p = os.environ.get("SMTPC_TSAN_THREADS")
    if p:
        return p
    cp = subprocess.run([os.path.join(REPO, "scripts", "tsan"),
                         build_dir() + "-tsan"], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, timeout=1800)
    if cp.returncode != 0:
        pytest.fail("scripts/tsan failed:\n" +
                    cp.stderr.decode("utf-8", "replace")[-4000:])
    return cp.stdout.decode().strip().splitlines()[-1]


def run_threads(servers, prog, wrap=(), env=None):
    e = dict(os.environ)
    e["SMTPC_PASSWORD"] = srv.PASSWORD
    e["SMTPC_CAFILE"] = servers.pki.ca
    if env:
        e.update(env)
    rcpts = ["bob@" + srv.DOMAIN, "carol@" + srv.DOMAIN]
    argv = list(wrap) + [prog, "127.0.0.1", str(servers.postfix.port),
                         srv.USER, srv.USER, str(THREADS), str(MESSAGES)]
    cp = subprocess.run(argv + rcpts, env=e, stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        timeout=300 * SLOW)
    out = cp.stdout.decode("utf-8", "replace")
    err = cp.stderr.decode("utf-8", "replace")
    assert "ThreadSanitizer" not in err, err[-8000:]
    assert cp.returncode == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (
        cp.returncode, out, err[-4000:])
    return out


def check_delivery(postfix, out):
    sent = LINE.findall(out)
    total = THREADS * MESSAGES
    assert len(sent) == total, out
    assert sorted((int(t), int(m)) for t, m, _q, _i in sent) == sorted(
        (t, m) for t in range(1, THREADS + 1)
        for m in range(1, MESSAGES + 1)), out
    assert len({q for _t, _m, q, _i in sent}) == total, out
    by_id = {i: (int(t), int(m)) for t, m, _q, i in sent}
    assert len(by_id) == total, out
    for user in ("bob", "carol"):
        raw = postfix.wait_messages(user, total, 60 * SLOW)
        assert len(raw) == total, postfix.maillog()[-3000:]
        for b in raw:
            m = email.message_from_bytes(b, policy=email.policy.default)
            t, n = by_id[m["Message-ID"]]
            assert m["Subject"] == "thread %d message %d" % (t, n)
            parts = {p.get_filename(): p.get_payload(decode=True)
                     for p in m.walk() if p.get_filename()}
            size = 3000 + t * 100 + n
            assert parts["data.bin"] == bytes(
                (t + k) % 256 for k in range(size))
            assert parts["pic.bin"] == bytes(
                (t * 31 + n * 7 + k) % 256 for k in range(64))


def test_threads(servers, postfix):
    out = run_threads(servers, plain_program(), wrap=WRAP)
    check_delivery(postfix, out)


def test_threads_under_thread_sanitizer(servers, postfix):
    prog = tsan_program()
    out = run_threads(servers, prog,
                      env={"TSAN_OPTIONS": "halt_on_error=1:exitcode=66"})
    check_delivery(postfix, out)
