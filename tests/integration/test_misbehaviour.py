# SPDX-License-Identifier: ISC
"""Scripted server misbehaviour: each case is data.

A case names what the server does wrong (overrides of one step of an
otherwise correct dialogue, see scripted.py), the extra smtpc arguments,
the exit codes design.md allows, and what the client must not have done.
The server side is ours, so these run in a second or two each.
"""

import re
import time

import pytest

import servers as srv
from conftest import SLOW as WRAP_SLOW
from scripted import DEFAULT_CAPS, ScriptedServer

USER = srv.USER


def _size_limit(limit):
    def mail(arg):
        m = re.search(r"(?i)\bSIZE=(\d+)", arg)
        if m and int(m.group(1)) > limit:
            return b"552 5.3.4 Message size exceeds fixed limit\r\n"
        return None
    return mail


class Case:
    def __init__(self, name, rc, server=None, args=(), never=(),
                 never_tls=(), attach=False, max_seconds=None, check=None,
                 data_sent=False):
        self.name = name
        self.rc = rc
        self.server = server or {}
        self.args = list(args)
        self.never = never            # commands the client must not send
        self.never_tls = never_tls    # ... not even after TLS is up
        self.attach = attach
        self.max_seconds = max_seconds
        self.check = check
        self.data_sent = data_sent    # the failure comes after the body


def _tls_lines(s):
    return [l for tls, l in s.lines if tls]


def _size_matches(s, case_files):
    mail = [l for _tls, l in s.lines if l.upper().startswith("MAIL ")]
    m = re.search(r"(?i)\bSIZE=(\d+)", mail[0])
    assert m, "no SIZE= although SIZE was offered: %s" % mail[0]
    declared = int(m.group(1))
    # data is dot-unstuffed without the final ".\r\n": the message as
    # written, whose size smtpc knows exactly before sending it.
    sent = len(s.data[0])
    assert declared == sent, (declared, sent)


CASES = [
    # -- greeting
    Case("greeting-421", 75,
         {"overrides": {"greeting": [
             ("send", b"421 4.3.2 Service not available\r\n"),
             ("close",)]}}, never=("MAIL", "AUTH")),
    Case("greeting-554", 69,
         {"overrides": {"greeting": b"554 5.3.2 No SMTP service here\r\n"}},
         never=("MAIL", "AUTH")),
    Case("greeting-garbage", 76,
         {"overrides": {"greeting": b"hello, I am not SMTP\r\n"}},
         never=("MAIL", "AUTH")),
    Case("greeting-line-of-200k", 76,
         {"overrides": {"greeting": b"220 " + b"x" * 200000 + b"\r\n"}},
         never=("MAIL", "AUTH")),
    Case("greeting-multiline", 0,
         {"overrides": {"greeting": b"220-mail.example.test hello\r\n"
                                    b"220-more words\r\n220 ESMTP\r\n"}}),
    Case("greeting-slow-but-in-time", 0,
         {"overrides": {"greeting": [("pause", 1.5), ("default",)]}},
         args=["--timeout", "5"]),
    Case("greeting-never-comes", 75,
         {"overrides": {"greeting": [("hang",)]}},
         args=["--timeout", "2"], max_seconds=15),
    # -- EHLO
    Case("ehlo-mixed-reply-codes", 76,
         {"overrides": {"EHLO": b"250-mail.example.test\r\n"
                                b"251 STARTTLS\r\n"}},
         never=("AUTH", "MAIL")),
    Case("ehlo-reply-trickles-byte-by-byte", 0,
         {"overrides": {"EHLO": lambda arg: None}}),
    Case("ehlo-then-drop", 75,
         {"overrides": {"EHLO": [("close",)]}}, never=("MAIL",)),
    # -- STARTTLS
    Case("starttls-response-injection", 76,
         {"overrides": {"STARTTLS": b"220 2.0.0 Ready to start TLS\r\n"
                                    b"250 2.0.0 injected\r\n"}},
         never=("AUTH", "MAIL"), check=lambda s, f: (
             _tls_lines(s) == [] or pytest.fail("spoke after injection"))),
    Case("starttls-refused-454", 75,
         {"overrides": {"STARTTLS": b"454 4.7.0 TLS not available\r\n"}},
         never=("AUTH", "MAIL")),
    Case("starttls-then-garbage-not-tls", 76,
         {"overrides": {"STARTTLS": [
             ("send", b"220 2.0.0 Ready\r\n"), ("pause", 0.2),
             ("send", b"this is not a TLS handshake\r\n" * 20),
             ("close",)]}},
         never=("AUTH", "MAIL")),
    Case("implicit-tls-to-plaintext-server", 76,
         {"starttls": False}, args=["--tls", "implicit"],
         never=("AUTH", "MAIL")),
    # -- AUTH
    # The wrong server or port, as a missing STARTTLS: 76, not 77.
    Case("auth-not-offered", 76,
         {"auth": ""}, never=("AUTH", "MAIL")),
    Case("auth-temporary-failure", 75,
         {"overrides": {"AUTH": b"454 4.7.0 Temporary authentication "
                                b"failure\r\n"}},
         never=("MAIL",)),
    Case("auth-refused-535", 77,
         {"overrides": {"AUTH": b"535 5.7.8 Authentication credentials "
                                b"invalid\r\n"}},
         never=("MAIL",)),
    # -- envelope
    Case("mail-from-550", 69,
         {"overrides": {"MAIL": b"550 5.7.1 Sender rejected\r\n"}}),
    Case("mail-from-451", 75,
         {"overrides": {"MAIL": b"451 4.3.0 Try again later\r\n"}}),
    Case("mail-reply-without-text", 0,
         {"overrides": {"MAIL": b"250\r\n"}}),
    Case("no-pipelining", 0,
         {"capabilities": ["SIZE 314572800", "8BITMIME"]},
         args=["-c", "carol@example.test", "-b", "dave@example.test"]),
    Case("five-hundred-recipients-pipelined", 0, {},
         args=[a for i in range(500)
               for a in ("-b", "r%03d@example.test" % i)],
         check=lambda s, f: (
             sum(1 for c in s.commands() if c == "RCPT") == 501 or
             pytest.fail("RCPT count %d" % s.commands().count("RCPT")))),
    Case("data-refused-554", 69,
         {"overrides": {"DATA": b"554 5.5.1 No valid recipients\r\n"}}),
    # -- message
    Case("final-reply-554", 69,
         {"overrides": {"DOT": b"554 5.6.0 Message content rejected\r\n"}},
         data_sent=True),
    Case("final-reply-452", 75,
         {"overrides": {"DOT": b"452 4.3.1 Insufficient system "
                               b"storage\r\n"}}, data_sent=True),
    Case("final-reply-never-comes", 75,
         {"overrides": {"DOT": [("hang",)]}},
         args=["--timeout", "3"], max_seconds=20, data_sent=True),
    Case("drop-in-mid-data", 75,
         {"overrides": {"DATA-BODY": ("read", 1000)}}, attach=True),
    Case("size-limit-exceeded", 69,
         {"capabilities": ["PIPELINING", "SIZE 1000", "8BITMIME"],
          "overrides": {"MAIL": _size_limit(1000)}},
         attach=True, never=("DATA",)),
    Case("size-declared-matches-sent", 0, {}, attach=True,
         check=_size_matches),
]

# Replace the trickle case's callable with the real reply at run time.
_TRICKLE = "ehlo-reply-trickles-byte-by-byte"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_scripted(smtpc, servers, files, case):
    kw = dict(case.server)
    if case.name == _TRICKLE:
        reply = ("250-mail.example.test\r\n" +
                 "".join("250-%s\r\n" % c for c in DEFAULT_CAPS) +
                 "250 STARTTLS\r\n").encode()
        kw = {"overrides": {"EHLO": lambda arg, _r=reply, _n=[0]: (
            _n.__setitem__(0, _n[0] + 1) or
            ([("trickle", _r)] if _n[0] == 1 else None))}}
    s = ScriptedServer(servers.pki, password=srv.PASSWORD, **kw).start()
    try:
        tls = "implicit" if "--tls" in case.args else "starttls"
        args = ["send", "--server", "127.0.0.1:%d" % s.port,
                "--cafile", servers.pki.ca, "-u", USER,
                "--password-file", servers.password_file(),
                "-f", USER, "--to", "bob@example.test",
                "-s", "scripted " + case.name, "--text", "scripted\n"]
        if "--tls" not in case.args:
            args += ["--tls", tls]
        if "--timeout" not in case.args:
            args += ["--timeout", "10"]
        if case.attach:
            args += ["-a", files["random.bin"][0]]
        t0 = time.monotonic()
        r = smtpc.run(*(args + case.args), timeout=60)
        elapsed = time.monotonic() - t0
    finally:
        s.stop()
    assert r.rc == case.rc, "%r\nserver saw: %s\nserver errors: %s" % (
        r, s.lines[:20], s.errors[:3])
    cmds = s.commands()
    # Whatever the server did, the password never crossed in the clear.
    for tls, line in s.lines:
        if tls:
            continue
        assert not line.upper().startswith("AUTH"), line
        for f in srv.secret_forms():
            assert f.decode("latin-1") not in line, line
    for c in case.never:
        assert c not in cmds, "client sent %s: %s" % (c, s.lines[:20])
    if case.max_seconds is not None:
        assert elapsed < case.max_seconds * WRAP_SLOW, elapsed
    if case.rc == 0:
        assert len(s.data) == 1, s.lines
    elif not case.data_sent:
        assert s.data == [], "message went out in a failure case"
        assert s.bodies == [], "a body went out in a failure case"
    if case.check:
        case.check(s, files)
