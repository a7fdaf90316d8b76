# SPDX-License-Identifier: ISC
"""Hostile servers against the SMTP session, as data.

Each case is one row: what the scripted server (scripted.py) does wrong
at one stage, the extra smtpc arguments, the exit code, the stage the
error must name, and what the client must (or must not) have sent.  The
rows cover 421 at every stage, a dropped connection at every stage, a
server that stalls or trickles its reply byte by byte at every stage
(deadlines are per stage, so smtpc is done within --timeout + 1.5 s),
oversized and malformed replies, pipelining with a refused recipient,
SIZE, BDAT (CHUNKING), DSN, --no-pipelining and --no-chunking.

Where a mail goes out, the bytes the server received must equal what
`smtpc send --dry-run` writes for the same arguments (fixed seed and
date), whether they came by DATA or in BDAT chunks.  In every case the
password never crosses the connection before TLS.
"""

import base64
import os
import re
import time

import pytest

import servers as srv
from conftest import SLOW as WRAP_SLOW
from scripted import DEFAULT_CAPS, ScriptedServer

USER = srv.USER
TIMEOUT = 2             # --timeout for the deadline rows
SLACK = 1.5             # what a deadline row may take beyond it
MIB = 1024 * 1024
ENV = {"SMTPC_TEST_SEED": "4242", "SMTPC_TEST_DATE": "1800000000"}
CHUNKING = DEFAULT_CAPS + ["CHUNKING"]
SLOW = 0.4              # seconds per byte in the trickle rows


class Case:
    def __init__(self, name, rc, server=None, args=(), stage=None,
                 err_has=(), never=(), sent=None, expect=(), quit=None,
                 deadline=False, body=None, check=None):
        self.name = name
        self.rc = rc
        self.server = server or {}
        self.args = list(args)
        self.stage = stage          # "smtpc: STAGE: " in stderr
        self.err_has = err_has      # fragments of stderr
        self.never = never          # commands the client must not send
        # The mail arrived, byte-exact (default: when rc is 0).
        self.sent = rc == 0 if sent is None else sent
        self.expect = expect        # regexes the client lines match, in order
        self.quit = quit            # True: QUIT sent; False: not sent
        self.deadline = deadline    # run with --timeout 2, check wall clock
        self.body = body            # None: text only; "big"/"huge": attach
        self.check = check          # callable(server, result)


def ov(**kw):
    """Server overrides: ov(MAIL=b"...") -> {"overrides": {...}}."""
    return {"overrides": {k.replace("_", "-"): v for k, v in kw.items()}}


def with_caps(caps, **kw):
    d = ov(**kw)
    d["capabilities"] = caps
    return d


def nth(n, reply):
    """An override that answers `reply` to the n-th command only (1-based)."""
    seen = [0]

    def f(_arg):
        seen[0] += 1
        return reply if seen[0] == n else None
    return f


def trickle(reply):
    return [("trickle", reply, SLOW)]


def rcpt_refuse(bad, reply):
    return lambda arg: reply if bad in arg else None


def _bdat_sizes(s, r):
    sizes = [n for n, _last in s.bdat]
    assert [last for _n, last in s.bdat] == \
        [False] * (len(sizes) - 1) + [True], s.bdat
    assert all(n == MIB for n in sizes[:-1]), sizes
    assert 0 < sizes[-1] <= MIB, sizes
    assert sum(sizes) == len(s.data[0]), (sizes, len(s.data[0]))
    assert len(sizes) >= 4, "a 3 MiB attachment takes several chunks"


def _all_batched(s, r):
    """MAIL, every RCPT and DATA came in one write."""
    lines = [l for _t, l in s.lines]
    first = next(i for i, l in enumerate(lines) if l.startswith("MAIL"))
    assert lines[first + 4] == "DATA", lines
    assert lines[first:first + 4] == s.batched[-4:], (lines, s.batched)


def _no_batching(s, r):
    assert s.batched == [], "pipelined despite --no-pipelining: %s" % (
        s.batched)


def _batching(s, r):
    assert any(l.upper().startswith("MAIL") for l in s.batched), \
        "MAIL and RCPT not pipelined: %s" % s.lines


def _dsn_warning(s, r):
    assert "does not offer DSN" in r.err, r


def _no_raw_escape(r):
    assert "\x1b" not in r.err and "\x07" not in r.err, r


def _no_connection(s, r):
    assert s.connections == 0, "connected although the usage was wrong"


HUGE_REPLY = b"250 " + b"y" * 5000 + b"\r\n"
MANY_LINES = b"".join(b"250-X%d\r\n" % i for i in range(300)) + b"250 Z\r\n"

CASES = [
    # -- 421 at every stage: 75, QUIT where the connection allows it
    Case("421-greeting", 75, ov(greeting=b"421 4.3.2 Shutting down\r\n"),
         stage="greeting", never=("EHLO", "MAIL"), quit=True),
    Case("421-ehlo", 75, ov(EHLO=b"421 4.3.2 Shutting down\r\n"),
         stage="EHLO", never=("STARTTLS", "AUTH", "MAIL"), quit=True),
    Case("421-starttls", 75,
         ov(STARTTLS=[("send", b"421 4.3.2 Shutting down\r\n"),
                      ("close",)]),
         stage="STARTTLS", never=("AUTH", "MAIL")),
    Case("421-auth", 75, ov(AUTH=b"421 4.7.0 Too many errors\r\n"),
         stage="AUTH", never=("MAIL",), quit=True),
    Case("421-mail", 75, ov(MAIL=b"421 4.3.2 Shutting down\r\n"),
         stage="MAIL FROM", quit=True),
    Case("421-rcpt", 75, ov(RCPT=b"421 4.3.2 Shutting down\r\n"),
         stage="RCPT TO", quit=True),
    Case("421-mail-yet-data-taken", 75,
         ov(MAIL=b"421 4.3.2 Shutting down\r\n",
            RCPT=b"250 2.1.5 Ok\r\n", DATA=b"354 go\r\n"),
         stage="MAIL FROM", quit=False),
    Case("421-data", 75,
         ov(DATA=[("send", b"421 4.3.2 Shutting down\r\n"), ("close",)]),
         stage="DATA"),
    Case("421-after-dot", 75, ov(DOT=b"421 4.3.2 Shutting down\r\n"),
         stage="message", quit=True, sent=False),
    Case("421-bdat-chunk", 75,
         with_caps(CHUNKING, BDAT=b"421 4.3.2 Shutting down\r\n"),
         body="big", stage="BDAT", quit=True,
         check=lambda s, r: len(s.bdat) == 1 or pytest.fail(s.bdat)),

    # -- 4xx is 75, 5xx is 69, with the stage named
    Case("ehlo-and-helo-refused-5xx", 69,
         ov(EHLO=b"502 5.5.2 Not today\r\n"), stage="EHLO",
         never=("MAIL",), quit=True, expect=("^EHLO ", "^HELO ", "^QUIT$")),
    Case("rcpt-450", 75, ov(RCPT=b"450 4.2.1 Mailbox busy\r\n"),
         stage="RCPT TO", expect=("^DATA$", "^RSET$", "^QUIT$")),
    Case("rcpt-450-no-pipelining", 75,
         ov(RCPT=b"450 4.2.1 Mailbox busy\r\n"), args=["--no-pipelining"],
         stage="RCPT TO", never=("DATA",), expect=("^RSET$", "^QUIT$")),
    Case("data-451", 75, ov(DATA=b"451 4.3.0 Try later\r\n"),
         stage="DATA", expect=("^DATA$", "^RSET$", "^QUIT$")),
    Case("bdat-chunk-451", 75,
         with_caps(CHUNKING, BDAT=b"451 4.3.0 Try later\r\n"),
         body="big", stage="BDAT", sent=False,
         expect=("^BDAT 1048576$", "^RSET$", "^QUIT$")),

    # -- the connection dropped at every stage: 75
    Case("drop-greeting", 75, ov(greeting=[("close",)]), stage="greeting"),
    Case("drop-ehlo", 75, ov(EHLO=[("close",)]), stage="EHLO",
         never=("MAIL",)),
    Case("drop-starttls", 75, ov(STARTTLS=[("close",)]), stage="STARTTLS",
         never=("AUTH", "MAIL")),
    Case("drop-auth", 75, ov(AUTH=[("close",)]), stage="AUTH",
         never=("MAIL",)),
    Case("drop-mail", 75, ov(MAIL=[("close",)]), stage="MAIL FROM",),
    Case("drop-rcpt", 75, ov(RCPT=[("close",)]), stage="RCPT TO",),
    Case("drop-data", 75, ov(DATA=[("close",)]), stage="DATA"),
    Case("drop-mid-body", 75, ov(DATA_BODY=("read", 100000)), body="big",
         stage="message", sent=False,
         check=lambda s, r: "may have accepted" not in r.err or
         pytest.fail("a cut message cannot have been accepted")),
    Case("drop-after-dot", 75, ov(DOT=[("close",)]), stage="message",
         err_has=("may have accepted",), sent=False),
    Case("drop-after-bdat-last", 75, with_caps(CHUNKING, DOT=[("close",)]),
         stage="message", err_has=("may have accepted",), sent=False,
         expect=(r"^BDAT \d+ LAST$",)),

    # -- a server that says nothing: each stage ends at its deadline
    Case("stall-greeting", 75, ov(greeting=[("hang",)]), deadline=True,
         stage="greeting"),
    Case("stall-ehlo", 75, ov(EHLO=[("hang",)]), deadline=True,
         stage="EHLO"),
    Case("stall-starttls-reply", 75, ov(STARTTLS=[("hang",)]),
         deadline=True, stage="STARTTLS", never=("AUTH",)),
    Case("stall-in-tls-handshake", 75,
         ov(STARTTLS=[("send", b"220 2.0.0 Ready\r\n"), ("hang",)]),
         deadline=True, stage="TLS", never=("AUTH",)),
    Case("stall-in-implicit-tls-handshake", 75,
         dict(starttls=False, **ov(greeting=[("hang",)])),
         args=["--tls", "implicit"], deadline=True, stage="TLS"),
    Case("stall-auth", 75, ov(AUTH=[("hang",)]), deadline=True,
         stage="AUTH", never=("MAIL",)),
    Case("stall-mail", 75, ov(MAIL=[("hang",)]), deadline=True,
         stage="MAIL FROM"),
    Case("stall-rcpt", 75, ov(RCPT=[("hang",)]), deadline=True,
         stage="RCPT TO"),
    Case("stall-data", 75, ov(DATA=[("hang",)]), deadline=True,
         stage="DATA"),
    Case("stall-reading-body", 75, ov(DATA_BODY=("stall",)), body="huge",
         deadline=True, stage="message", sent=False),
    Case("stall-after-dot", 75, ov(DOT=[("hang",)]), deadline=True,
         stage="message", err_has=("may have accepted",), sent=False),
    Case("stall-bdat-chunk-reply", 75, with_caps(CHUNKING, BDAT=[("hang",)]),
         body="big", deadline=True, stage="BDAT", sent=False),
    Case("stall-after-bdat-last", 75, with_caps(CHUNKING, DOT=[("hang",)]),
         deadline=True, stage="message", err_has=("may have accepted",),
         sent=False),
    Case("stall-quit-after-sending", 0, ov(QUIT=[("hang",)]),
         deadline=True, quit=True),

    # -- a reply trickled a byte every 0.4 s: no per-read reset
    Case("trickle-greeting", 75,
         ov(greeting=trickle(b"220 mail.example.test ESMTP\r\n")),
         deadline=True, stage="greeting"),
    Case("trickle-ehlo", 75,
         ov(EHLO=trickle(b"250-mail.example.test\r\n250 PIPELINING\r\n")),
         deadline=True, stage="EHLO"),
    Case("trickle-starttls", 75,
         ov(STARTTLS=trickle(b"220 2.0.0 Ready to start TLS\r\n")),
         deadline=True, stage="STARTTLS", never=("AUTH",)),
    Case("trickle-auth", 75,
         ov(AUTH=trickle(b"235 2.7.0 Authentication successful\r\n")),
         deadline=True, stage="AUTH", never=("MAIL",)),
    Case("trickle-mail", 75, ov(MAIL=trickle(b"250 2.1.0 Ok, go on\r\n")),
         deadline=True, stage="MAIL FROM"),
    Case("trickle-rcpt", 75, ov(RCPT=trickle(b"250 2.1.5 Ok, go on\r\n")),
         deadline=True, stage="RCPT TO"),
    Case("trickle-data", 75,
         ov(DATA=trickle(b"354 End data with <CR><LF>.<CR><LF>\r\n")),
         deadline=True, stage="DATA"),
    Case("trickle-bdat-chunk-reply", 75,
         with_caps(CHUNKING, BDAT=trickle(b"250 2.0.0 chunk received\r\n")),
         body="big", deadline=True, stage="BDAT", sent=False),
    Case("trickle-after-dot", 75,
         ov(DOT=trickle(b"250 2.0.0 Ok: queued as X\r\n")),
         deadline=True, stage="message", err_has=("may have accepted",),
         sent=False),

    # -- replies too long, too many, malformed: 76, the line escaped
    Case("reply-line-too-long", 76, ov(RCPT=HUGE_REPLY), stage="RCPT TO",
         err_has=("longer than",)),
    Case("reply-too-many-lines", 76, ov(EHLO=MANY_LINES), stage="EHLO",
         err_has=("too many lines",), never=("MAIL",)),
    Case("reply-bad-code", 76, ov(MAIL=b"2x0 ok\r\n"), stage="MAIL FROM",
         err_has=('"2x0 ok"',)),
    Case("reply-code-changes-in-multiline", 76,
         ov(MAIL=b"250-first\r\n251 second\r\n"), stage="MAIL FROM",
         err_has=("code changed", '"251 second"')),
    # Reply text is text: UTF-8 and control bytes are kept and escaped
    # wherever shown; only the code, separator and lines are grammar.
    Case("reply-text-utf8-greeting", 0,
         ov(greeting=b"220 h\xc3\xb4te ESMTP \xe2\x9c\x93\r\n")),
    Case("reply-text-control-bytes-accepted", 0,
         ov(RCPT=b"250 2.1.5 ok\x1b[2J\x07\xff\r\n")),
    Case("reply-text-control-bytes-refused", 69,
         ov(RCPT=b"550 5.7.1 \x1b[2J\x07gone\r\n"), stage="RCPT TO",
         err_has=(r"550 5.7.1 \x1b[2J\x07gone",),
         check=lambda s, r: _no_raw_escape(r)),
    Case("reply-nul-byte", 76, ov(RCPT=b"250 2.1.5 o\x00k\r\n"),
         stage="RCPT TO", err_has=("NUL byte", r"o\x00k")),
    Case("reply-bad-separator", 76, ov(DATA=b"354_go ahead\r\n"),
         stage="DATA", err_has=("separator",)),

    # -- pipelining with a refused recipient in the middle
    # DATA went with the envelope and the server took it for bob and
    # carol: hanging up before the end of the data is the only way left
    # to deliver nothing.
    Case("pipelined-refused-rcpt", 69,
         ov(RCPT=rcpt_refuse("bad@", b"550 5.1.1 No such user\r\n")),
         args=["--to", "bad@example.test", "--to", "carol@example.test"],
         stage="RCPT TO", err_has=("bad@example.test", "5.1.1"),
         never=("RSET",), quit=False,
         expect=("^MAIL FROM:", "^RCPT TO:<bob@", "^RCPT TO:<bad@",
                 "^RCPT TO:<carol@", "^DATA$"),
         check=_all_batched),
    Case("pipelined-refused-rcpt-data-refused", 69,
         ov(RCPT=rcpt_refuse("bad@", b"550 5.1.1 No such user\r\n"),
            DATA=b"554 5.5.1 Error: not with a refused recipient\r\n"),
         args=["--to", "bad@example.test"], stage="RCPT TO",
         err_has=("bad@example.test",),
         expect=("^RCPT TO:<bad@", "^DATA$", "^RSET$", "^QUIT$")),
    # Every recipient refused, DATA taken all the same: a lone dot ends it
    # (RFC 2920 3.1), and nothing can be delivered.
    Case("no-recipient-yet-data-taken", 69,
         ov(RCPT=b"550 5.1.1 No such user\r\n", DATA=b"354 go\r\n"),
         stage="RCPT TO", expect=("^DATA$", "^RSET$", "^QUIT$"),
         check=lambda s, r: s.bodies == [b""] or pytest.fail(s.bodies)),
    Case("pipelined-refused-rcpt-allow-partial", 0,
         ov(RCPT=rcpt_refuse("bad@", b"550 5.1.1 No such user\r\n")),
         args=["--to", "bad@example.test", "--to", "carol@example.test",
               "--allow-partial"],
         err_has=("not delivered to bad@example.test",),
         expect=("^RCPT TO:<bad@", "^RCPT TO:<carol@", "^DATA$"),
         never=("RSET",)),
    Case("pipelining-used-when-offered", 0, {},
         args=["-c", "carol@example.test"], check=_batching),
    Case("no-pipelining-honoured", 0, {},
         args=["-c", "carol@example.test", "--no-pipelining"],
         check=_no_batching),

    # -- SIZE
    Case("size-over-the-limit", 69,
         {"capabilities": ["PIPELINING", "SIZE 10000", "8BITMIME"]},
         body="big", stage="MAIL FROM", err_has=("accepts at most 10000",),
         never=("MAIL", "DATA", "BDAT")),

    # -- CHUNKING / BDAT
    Case("bdat-chunks-exact-bytes", 0, {"capabilities": CHUNKING},
         body="big", never=("DATA",), check=_bdat_sizes),
    Case("bdat-small-message-one-last-chunk", 0,
         {"capabilities": CHUNKING}, never=("DATA",),
         expect=(r"^BDAT \d+ LAST$",),
         check=lambda s, r: len(s.bdat) == 1 or pytest.fail(s.bdat)),
    Case("bdat-chunk-refused-552", 69,
         with_caps(CHUNKING, BDAT=nth(2, b"552 5.3.4 Message too big\r\n")),
         body="big", stage="BDAT", err_has=("5.3.4",), sent=False,
         expect=(r"^BDAT 1048576$", r"^BDAT 1048576$", "^RSET$", "^QUIT$"),
         check=lambda s, r: len(s.bdat) == 2 or pytest.fail(s.bdat)),
    Case("bdat-last-refused-554", 69,
         with_caps(CHUNKING, DOT=b"554 5.6.0 Message rejected\r\n"),
         stage="message", sent=False),
    Case("no-chunking-honoured", 0, {"capabilities": CHUNKING},
         args=["--no-chunking"], body="big", never=("BDAT",),
         expect=("^DATA$",)),

    # -- DSN (RFC 3461)
    Case("dsn-parameters", 0, {"capabilities": DEFAULT_CAPS + ["DSN"]},
         args=["--dsn-notify", "success,failure", "--dsn-return", "hdrs",
               "--dsn-envid", "q 1+x=y", "-c", "carol@example.test"],
         expect=(r"^MAIL FROM:<[^>]*> SIZE=\d+ RET=HDRS ENVID=q\+201\+2Bx\+3Dy$",
                 r"^RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE$",
                 r"^RCPT TO:<carol@example.test> NOTIFY=SUCCESS,FAILURE$")),
    Case("dsn-never", 0, {"capabilities": DEFAULT_CAPS + ["DSN"]},
         args=["--dsn-notify", "never"],
         expect=(r"^MAIL FROM:<[^>]*> SIZE=\d+$",
                 r"^RCPT TO:<bob@example.test> NOTIFY=NEVER$")),
    Case("dsn-not-offered-sent-without", 0, {},
         args=["--dsn-notify", "failure", "--dsn-envid", "x1"],
         expect=(r"^MAIL FROM:<[^>]*> SIZE=\d+$",
                 r"^RCPT TO:<bob@example.test>$"),
         check=_dsn_warning),
    Case("dsn-notify-never-with-others-is-usage", 64, {},
         args=["--dsn-notify", "never,success"], sent=False,
         check=_no_connection),
]


def test_connect_refused(smtpc, servers):
    """No listener: 75, naming the connect stage."""
    s = ScriptedServer(servers.pki)
    port = s.port
    s.lsock.close()                 # bound, never listening: refused
    r = smtpc.run("send", "--server", "127.0.0.1:%d" % port, "--tls",
                  "none", "-f", USER, "--to", "bob@example.test",
                  "--text", "x", "--timeout", str(TIMEOUT))
    assert r.rc == 75, r
    assert "smtpc: connect: " in r.err, r


@pytest.fixture(scope="module")
def bodies(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    big = d / "big.bin"
    big.write_bytes(os.urandom(3 * MIB + 12345))
    # Larger than the loopback socket buffers, so a server that stops
    # reading blocks the client's writes.
    huge = d / "huge.bin"
    huge.write_bytes(os.urandom(24 * MIB))
    return {"big": str(big), "huge": str(huge)}


def _in_order(lines, patterns):
    i = 0
    for p in patterns:
        while i < len(lines) and not re.search(p, lines[i]):
            i += 1
        if i == len(lines):
            return p
        i += 1
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile(smtpc, servers, bodies, case):
    s = ScriptedServer(servers.pki, password=srv.PASSWORD,
                       **case.server).start()
    try:
        base = ["send", "--server", "127.0.0.1:%d" % s.port,
                "--cafile", servers.pki.ca, "-u", USER,
                "--password-file", servers.password_file(),
                "-f", USER, "--to", "bob@example.test",
                "-s", "hostile " + case.name, "--text", "hostile\n.dot\n"]
        if case.body:
            base += ["-a", bodies[case.body]]
        args = base + case.args
        if "--tls" not in case.args:
            args += ["--tls", "starttls"]
        args += ["--timeout", str(TIMEOUT if case.deadline else 10)]
        t0 = time.monotonic()
        r = smtpc.run(*args, env=ENV, timeout=60)
        elapsed = time.monotonic() - t0
    finally:
        s.stop()
    where = "%r\nserver saw: %s\nserver errors: %s" % (
        r, [l for _t, l in s.lines][:30], s.errors[:3])
    assert r.rc == case.rc, where
    if case.deadline:
        assert elapsed < TIMEOUT + SLACK * WRAP_SLOW, "took %.2fs\n%s" % (
            elapsed, where)
    if case.stage:
        assert "smtpc: %s: " % case.stage in r.err, where
    for frag in case.err_has:
        assert frag in r.err, where
    cmds = s.commands()
    for c in case.never:
        assert c not in cmds, "client sent %s\n%s" % (c, where)
    if case.quit is not None:
        assert ("QUIT" in cmds) == case.quit, where
    lines = [l for _t, l in s.lines]
    missing = _in_order(lines, case.expect)
    assert missing is None, "no line matching %r in order\n%s" % (
        missing, where)
    # The password never crosses the connection before TLS.
    plain = " ".join(l for tls, l in s.lines if not tls)
    assert "AUTH" not in plain.upper(), where
    assert srv.PASSWORD not in plain, where
    assert base64.b64encode(srv.PASSWORD.encode()).decode()[:16] not in \
        plain, where
    if case.sent:
        assert len(s.data) == 1, where
        dry = smtpc.run(*(args + ["--dry-run"]), env=ENV)
        assert dry.rc == 0, dry
        assert s.data[0] == dry.out, "delivered bytes differ from " \
            "--dry-run (%d vs %d bytes)" % (len(s.data[0]), len(dry.out))
    elif r.rc != 0:
        # Nothing complete arrived, except where the server took it
        # before it failed the final reply.
        assert s.data == [] or case.stage == "message", where
        # No message text went out at all (a lone dot is no text).
        assert all(b == b"" for b in s.bodies) or \
            case.stage == "message", where
    if case.check:
        case.check(s, r)


# -- the same extensions against a real server (Postfix offers PIPELINING,
#    SIZE, DSN and CHUNKING): what the scripted one accepts, Postfix must.

@pytest.mark.parametrize("extra,verb", [([], "BDAT"),
                                        (["--no-chunking"], "DATA")])
def test_postfix_bdat_dsn(smtpc, postfix, files, extra, verb):
    from conftest import sha256, wait_one
    path, data = files["random.bin"]
    r = smtpc.run("send", *smtpc.postfix(), "-v", "-f", USER,
                  "--to", "bob@example.test", "-s", "extensions",
                  "--text", "first\n.\n..two\n", "-a", path,
                  "--dsn-notify", "failure,delay", "--dsn-return", "hdrs",
                  "--dsn-envid", "smtpc-test 1", *extra, timeout=120)
    assert r.rc == 0, r
    assert re.search(r"^-> MAIL FROM:<%s> SIZE=\d+ RET=HDRS "
                     r"ENVID=smtpc-test\+201$" % re.escape(USER), r.err,
                     re.M), r
    assert "-> RCPT TO:<bob@example.test> NOTIFY=FAILURE,DELAY" in r.err, r
    assert re.search(r"^-> %s\b" % verb, r.err, re.M), r
    if verb == "BDAT":
        assert re.search(r"^-> BDAT \d+ LAST$", r.err, re.M), r
        assert "-> DATA" not in r.err, r
    m = wait_one(postfix, "bob", timeout=60)
    texts = [p for p in m.walk() if p.get_content_type() == "text/plain"]
    assert texts[0].get_content() == "first\n.\n..two\n"
    att = [p for p in m.walk() if p.get_filename() == "random.bin"]
    assert sha256(att[0].get_content()) == sha256(data)
