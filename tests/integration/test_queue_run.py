# SPDX-License-Identifier: ISC
"""Sending the queue: `--queue on-tempfail|always` on send and sendmail,
`smtpc queue run` (and `sendmail -q`), against scripted servers on
loopback that fail the way real ones do, and crash tests: the program is
killed (SIGKILL) at each stage by the build with the spool's test hooks
(smtpc-test-hooks, $SMTPC_SPOOL_CRASH_AT), and every message must then be
delivered exactly once, or held as uncertain when it may already have
been, counted at the server by its Message-ID.  A day of retries runs on
a clock the test sets ($SMTPC_SPOOL_NOW), not by sleeping.
"""

import email
import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest

import servers as srv
from conftest import smtpc_path
from scripted import ScriptedServer

FROM = "a@example.test"
TO = "b@example.test"


def hooks_path():
    p = os.path.join(os.path.dirname(smtpc_path()), "smtpc-test-hooks")
    if not os.access(p, os.X_OK):
        pytest.fail("smtpc-test-hooks not built: %s" % p)
    return p


class Q:
    """The queue of one test: its directory, and the program run on it."""

    def __init__(self, smtpc, tmp):
        self.smtpc = smtpc
        self.dir = os.path.join(tmp, "queue")

    def send(self, port, *extra, mode="on-tempfail", text="queued text",
             to=TO, env=None):
        body = ["--text", text]
        if len(text) > 4096:
            path = os.path.join(self.smtpc.tmp, "body.txt")
            with open(path, "w") as f:
                f.write(text)
            body = ["--text-file", path]
        return self.smtpc.run(
            "send", "--server", "127.0.0.1:%d" % port, "--tls", "none",
            "-f", FROM, "--to", to, "-s", "q", *body,
            "--queue", mode, "--queue-dir", self.dir, "--json", *extra,
            env=env)

    def run(self, *extra, env=None):
        return self.smtpc.run("queue", "run", "--queue-dir", self.dir,
                              "--json", *extra, env=env)

    def hooks(self, *args, crash=None, now=None, stdin=None):
        """The test-hooks build: killed at `crash`, its clock at `now`."""
        e = dict(os.environ)
        e.pop("SMTPC_PASSWORD", None)
        e["HOME"] = self.smtpc.tmp
        e["LC_ALL"] = "C.UTF-8"
        e.pop("SMTPC_SPOOL_CRASH_AT", None)
        if crash:
            e["SMTPC_SPOOL_CRASH_AT"] = crash
        if now is not None:
            e["SMTPC_SPOOL_NOW"] = str(now)
        return subprocess.run([hooks_path()] + [str(a) for a in args],
                              env=e, input=stdin, capture_output=True,
                              timeout=120)

    def entries(self, failed=False):
        cp = self.smtpc.run("queue", "list", "--json", "--queue-dir",
                            self.dir, *(["--failed"] if failed else []))
        assert cp.rc == 0, cp
        return [json.loads(l) for l in cp.out.decode().splitlines()]


@pytest.fixture
def q(smtpc, tmp_path):
    return Q(smtpc, str(tmp_path))


def objs(r):
    return [json.loads(l) for l in r.out.decode().splitlines() if l]


def message_ids(server):
    """Message-ID of every message the server took, in order."""
    out = []
    for raw in server.data:
        m = email.message_from_bytes(raw)
        out.append(m["Message-ID"])
    return out


def once(n=1, then=("default",), first=("send", b"451 4.3.0 later\r\n")):
    """An override: `first` for the first n times, then `then`."""
    seen = {"n": 0}

    def act(_arg):
        seen["n"] += 1
        return first if seen["n"] <= n else then
    return act


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- queueing from send and sendmail ----------------------------------------

def test_tempfail_queued_then_run_delivers_same_bytes(q, servers):
    with ScriptedServer(servers.pki, overrides={"MAIL": once()},
                        starttls=False) as s:
        r = q.send(s.port, "--bcc", "c@example.test")
        assert r.rc == 0, r
        assert "queued as" in r.err and "451" in r.err, r
        first = objs(r)[0]
        assert first["outcome"] == "queued", first
        assert first["error"]["reply"]["code"] == 451
        mid = first["message_id"]
        (e,) = q.entries()
        assert e["state"] == "queued" and e["attempts"] == 1, e
        assert e["message_id"] == mid
        assert [x["address"] for x in e["recipients"]] == [
            TO, "c@example.test"]
        # Not due yet: nothing is tried, quickly.
        conns = s.connections
        r = q.run()
        assert r.rc == 0 and objs(r) == [] and s.connections == conns, r
        r = q.run("--all")
        assert r.rc == 0, r
        (res,) = objs(r)
        assert res["outcome"] == "sent" and res["spool"]["state"] == \
            "delivered", res
        assert res["message_id"] == mid, res
        assert message_ids(s) == [mid]
        assert b"Bcc" not in s.data[0]
        assert q.entries() == []
        # Both recipients in the attempt that failed and in the run.
        assert s.commands().count("RCPT") == 4


def test_connection_refused_is_queued_and_sendmail_q_sends(q, servers,
                                                          smtpc, tmp_path):
    port = closed_port()
    conf = tmp_path / "smtpcrc"
    log = tmp_path / "smtpc.log"
    conf.write_text("account default\nhost 127.0.0.1\nport %d\n"
                    "tls off\nfrom %s\nqueue on-tempfail\nlogfile %s\n"
                    % (port, FROM, log))
    conf.chmod(0o600)
    msg = (b"From: a@example.test\nTo: b@example.test\n"
           b"Bcc: hidden@example.test\nSubject: cron\n\nreport\n")
    r = smtpc.run("sendmail", "-C", conf, "--queue-dir", q.dir, "-t",
                  stdin=msg)
    assert r.rc == 0, r
    assert "queued as" in r.err, r
    (e,) = q.entries()
    assert e["account"] == "default"
    assert sorted(x["address"] for x in e["recipients"]) == [
        TO, "hidden@example.test"]
    cp = smtpc.run("queue", "show", e["id"], "--queue-dir", q.dir)
    assert "connect" in cp.out.decode() or "refused" in cp.out.decode()
    with ScriptedServer(servers.pki, starttls=False, port=port) as s:
        r = smtpc.run("queue", "run", "--all", "--queue-dir", q.dir)
        assert r.rc == 0, r
        assert len(s.data) == 1, (r, s.lines)
        assert b"hidden" not in s.data[0] and b"report" in s.data[0]
        rcpts = [l for _t, l in s.lines if l.upper().startswith("RCPT")]
        assert any("hidden@example.test" in l for l in rcpts), rcpts
        assert message_ids(s) == [e["message_id"]]
    assert q.entries() == []
    # The account's log: the attempt that queued it, the run that sent it.
    lines = log.read_text().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].endswith("exitcode=EX_TEMPFAIL"), lines[0]
    assert lines[1].endswith("exitcode=EX_OK"), lines[1]
    assert "hidden@example.test" in lines[1], lines[1]


def test_sendmail_q_runs_the_per_user_queue(q, servers, smtpc, tmp_path):
    with ScriptedServer(servers.pki, overrides={"MAIL": once()},
                        starttls=False) as s:
        env = {"XDG_STATE_HOME": str(tmp_path / "state")}
        r = smtpc.run("send", "--server", "127.0.0.1:%d" % s.port,
                      "--tls", "none", "-f", FROM, "--to", TO, "-s", "q",
                      "--text", "t", "--queue", "on-tempfail", env=env)
        assert r.rc == 0 and "queued as" in r.err, r
        assert os.path.isdir(tmp_path / "state" / "smtpc" / "queue")
        r = smtpc.run("sendmail", "-q", env=env)
        assert r.rc == 0, r
        assert s.data == [], "not due yet: -q sends what is due"
        r = smtpc.run("sendmail", "-bp", env=env)
        assert r.rc == 0 and b"queued" in r.out, r
        r = smtpc.run("queue", "run", "--all", env=env)
        assert r.rc == 0 and len(s.data) == 1, r


def test_permanent_failure_never_queued(q, servers):
    with ScriptedServer(servers.pki, starttls=False, overrides={
            "MAIL": b"550 5.7.1 not you\r\n"}) as s:
        r = q.send(s.port)
        assert r.rc == 69, r
        assert "queued" not in r.err, r
        assert q.entries() == []
        assert s.data == []


def test_queue_always_sends_nothing_now(q, servers):
    with ScriptedServer(servers.pki, starttls=False) as s:
        r = q.send(s.port, mode="always")
        assert r.rc == 0, r
        assert objs(r)[0]["outcome"] == "queued"
        assert s.connections == 0
        r = q.run()
        assert r.rc == 0 and len(s.data) == 1, r


@pytest.mark.parametrize("how", ["--queue background", "sendmail -odb"])
def test_background_run_sends_it(q, servers, smtpc, tmp_path, how):
    with ScriptedServer(servers.pki, starttls=False) as s:
        if how.startswith("sendmail"):
            conf = tmp_path / "rc"
            conf.write_text("account default\nhost 127.0.0.1\nport %d\n"
                            "tls off\nfrom %s\n" % (s.port, FROM))
            r = smtpc.run("sendmail", "-C", conf, "--queue-dir", q.dir,
                          "-odb", TO, stdin=b"Subject: bg\n\nbody\n")
        else:
            r = q.send(s.port, mode="background")
        assert r.rc == 0, r
        deadline = time.monotonic() + 20
        while not s.data and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(s.data) == 1, "the background run sent it"
        deadline = time.monotonic() + 10
        while q.entries() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert q.entries() == []


def test_bad_queue_mode_and_unusable_queue(q, servers, smtpc, tmp_path):
    r = smtpc.run("send", "--server", "127.0.0.1:25", "-f", FROM, "--to",
                  TO, "--text", "t", "--queue", "sometimes")
    assert r.rc == 64 and "--queue" in r.err, r
    # Not silently ignored where nothing is queued.
    for cmd in ("check", "batch"):
        r = smtpc.run(cmd, "--server", "127.0.0.1:25", "--queue", "always",
                      "-")
        assert r.rc == 64 and "go with send" in r.err, (cmd, r)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with ScriptedServer(servers.pki, starttls=False) as s:
        r = smtpc.run("send", "--server", "127.0.0.1:%d" % s.port,
                      "--tls", "none", "-f", FROM, "--to", TO, "--text",
                      "t", "--queue", "on-tempfail", "--queue-dir",
                      str(blocker / "q"))
        assert r.rc == 74, r
        assert str(blocker) in r.err, r
        assert s.connections == 0, "nothing is sent that could not be kept"
        # sendmail says it in words too: its caller sees only the code.
        conf = tmp_path / "rc"
        conf.write_text("account default\nhost 127.0.0.1\nport %d\n"
                        "tls off\nfrom %s\nqueue on-tempfail\n"
                        % (s.port, FROM))
        r = smtpc.run("sendmail", "-C", conf, "--queue-dir",
                      str(blocker / "q"), TO,
                      stdin=b"Subject: s\n\nx\n")
        assert r.rc == 74, r
        assert "nothing was delivered or queued" in r.err, r
        assert s.connections == 0


# -- the uncertain case ------------------------------------------------------

def test_lost_final_reply_is_uncertain_never_resent_unless_asked(q, servers):
    with ScriptedServer(servers.pki, starttls=False,
                        overrides={"DOT": once(first=("close",))}) as s:
        r = q.send(s.port)
        assert r.rc == 0, r
        assert "may have the message" in r.err, r
        assert objs(r)[0]["outcome"] == "uncertain"
        (e,) = q.entries()
        assert e["state"] == "uncertain", e
        mid = e["message_id"]
        assert len(s.bodies) == 1
        r = q.run("--all")
        assert r.rc == 0 and objs(r) == [], r
        assert len(s.bodies) == 1, "an uncertain message is never resent"
        cp = q.smtpc.run("queue", "list", "--queue-dir", q.dir)
        assert "uncertain" in cp.out.decode(), cp
        r = q.run("--resend-uncertain")
        assert r.rc == 0, r
        assert objs(r)[0]["spool"]["state"] == "delivered", r
        ids = [email.message_from_bytes(b)["Message-ID"] for b in s.bodies]
        assert ids == [mid, mid], "resent with the same Message-ID"
        assert q.entries() == []


# -- faults while running the queue -----------------------------------------

STAGES_BEFORE_DOT = ["greeting", "EHLO", "MAIL", "RCPT", "DATA"]


@pytest.mark.parametrize("stage", STAGES_BEFORE_DOT + ["DOT"])
@pytest.mark.parametrize("fault", ["421", "drop"])
def test_run_fault_at_each_stage(q, servers, stage, fault):
    port = closed_port()
    assert q.send(port, mode="always").rc == 0
    act = ("send", b"421 4.3.2 going down\r\n") if fault == "421" else \
        ("close",)
    uncertain = stage == "DOT" and fault == "drop"
    # The scripted server keeps every body that ended in a dot, even one
    # it then answered 421: that one was refused, not delivered.
    refused_bodies = 1 if stage == "DOT" else 0
    with ScriptedServer(servers.pki, starttls=False, port=port,
                        overrides={stage: once(first=act)}) as s:
        r = q.run()
        assert r.rc == 0, r
        (after,) = q.entries()
        if uncertain:
            assert after["state"] == "uncertain", after
            assert len(s.bodies) == 1
        else:
            assert after["state"] == "queued" and after["attempts"] == 1, \
                after
            assert len(s.data) == refused_bodies, s.lines
            assert after["last_error"], after
        r = q.run("--all")
        assert r.rc == 0, r
        if uncertain:
            assert q.entries()[0]["state"] == "uncertain"
            assert len(s.bodies) == 1
        else:
            assert q.entries() == [], r
            assert len(s.data) == refused_bodies + 1, (r, s.lines)


def test_partial_recipients_retry_only_the_rest(q, servers):
    port = closed_port()
    rcpts = ["r1@example.test", "r2@example.test", "r3@example.test"]
    assert q.send(port, "--to", rcpts[1], "--to", rcpts[2], to=rcpts[0],
                  mode="always").rc == 0

    def rcpt(arg):
        if "r2@" in arg and not seen_r2:
            seen_r2.append(1)
            return ("send", b"450 4.2.1 mailbox busy\r\n")
        if "r3@" in arg:
            return ("send", b"550 5.1.1 no such user\r\n")
        return ("default",)
    seen_r2 = []
    with ScriptedServer(servers.pki, starttls=False, port=port,
                        overrides={"RCPT": rcpt}) as s:
        r = q.run()
        assert r.rc == 0, r
        (res,) = objs(r)
        assert res["spool"]["state"] == "queued", res
        (e,) = q.entries()
        st = {x["address"]: x["state"] for x in e["recipients"]}
        assert st == {rcpts[0]: "done", rcpts[1]: "pending",
                      rcpts[2]: "failed"}, e
        assert len(s.data) == 1
        s.lines.clear()
        r = q.run("--all")
        assert r.rc == 0, r
        sent_to = [l for _t, l in s.lines if l.upper().startswith("RCPT")]
        # r2 alone, then the report to the sender (r3 failed for good).
        assert len(sent_to) == 2 and rcpts[1] in sent_to[0], sent_to
        assert FROM in sent_to[1], sent_to
        mails = [l for _t, l in s.lines if l.upper().startswith("MAIL")]
        assert mails[-1].startswith("MAIL FROM:<>"), mails
        assert len(s.data) == 3
        report_mail = email.message_from_bytes(s.data[2])
        assert report_mail["Auto-Submitted"] == "auto-replied"
        assert rcpts[2] in report_mail.get_payload(), s.data[2]
        (res,) = objs(r)
        assert res["spool"]["state"] == "failed", res
    # r3 failed for good: the entry moved to failed/, with a report.
    assert q.entries() == []
    (f,) = q.entries(failed=True)
    report = os.path.join(q.dir, "failed", f["id"] + ".report")
    text = open(report).read()
    assert "could not be delivered" in text and rcpts[2] in text, text
    assert "550" in text, text
    delivered = [l for l in text.splitlines() if "delivered to:" in l]
    assert delivered and rcpts[0] in delivered[0] and \
        rcpts[1] in delivered[0], text


def test_permanent_refusal_on_retry_fails_at_once(q, servers):
    port = closed_port()
    assert q.send(port, mode="always").rc == 0
    with ScriptedServer(servers.pki, starttls=False, port=port,
                        overrides={"MAIL": once()}) as s:
        assert q.run().rc == 0
        assert q.entries()[0]["state"] == "queued"
    with ScriptedServer(servers.pki, starttls=False, port=port,
                        overrides={"DOT": b"554 5.7.1 spam\r\n"}) as s:
        r = q.run("--all")
        assert r.rc == 0, r
        assert "given up" in r.err and "554" in r.err, r
        assert objs(r)[0]["spool"]["state"] == "failed"
        # The report went to the sender, and this server refused it too:
        # said, and kept in failed/.
        assert len(s.bodies) == 2, s.lines
        assert "report not mailed" in r.err, r
    assert q.entries() == []
    assert len(q.entries(failed=True)) == 1


def test_one_connection_per_server_pipelined(q, servers):
    port = closed_port()
    for i in range(6):
        assert q.send(port, text="message %d" % i, mode="always").rc == 0
    other = closed_port()
    assert q.send(other, text="elsewhere", mode="always").rc == 0
    with ScriptedServer(servers.pki, starttls=False, port=port) as s, \
            ScriptedServer(servers.pki, starttls=False, port=other) as t:
        r = q.run()
        assert r.rc == 0, r
        assert s.connections == 1 and len(s.data) == 6, s.lines
        assert t.connections == 1 and len(t.data) == 1
        # Each message's envelope rode behind the previous one's end.
        assert len(s.batched) > 0, s.batched
        bodies = [email.message_from_bytes(b).get_payload().strip()
                  for b in s.data]
        assert bodies == ["message %d" % i for i in range(6)], bodies
    assert q.entries() == []


def test_nothing_due_exits_at_once(q):
    t0 = time.monotonic()
    r = q.run()
    assert r.rc == 0 and r.out == b"", r
    assert time.monotonic() - t0 < 5


# -- crash tests --------------------------------------------------------------

# Killed while queueing (send --queue always): before the rename nothing
# is queued, after it all is; never a partial entry.
ENQUEUE_POINTS = [("enqueue-tmp-created", 0), ("enqueue-written", 0),
                  ("enqueue-synced", 0), ("enqueue-renamed", 1),
                  ("enqueue-done", 1)]


@pytest.mark.parametrize("point,queued", ENQUEUE_POINTS)
def test_crash_while_queueing(q, servers, point, queued):
    port = closed_port()
    cp = q.hooks("send", "--server", "127.0.0.1:%d" % port, "--tls", "none",
                 "-f", FROM, "--to", TO, "-s", "crash", "--text", "x",
                 "--queue", "always", "--queue-dir", q.dir, crash=point)
    assert cp.returncode == -9, (point, cp.stderr)
    entries = q.entries()
    assert len(entries) == queued, entries
    cp = q.smtpc.run("queue", "list", "--queue-dir", q.dir)
    assert "cannot" not in cp.err and "not a queue" not in cp.err, cp
    with ScriptedServer(servers.pki, starttls=False, port=port) as s:
        assert q.run("--all").rc == 0
        assert len(s.data) == queued
    assert q.entries() == []


# Killed while sending the queue: (point, deliveries at the server by then,
# what the entry is after, deliveries once the queue is run again).
RUN_POINTS = [
    ("claimed", 0, "queued", 1),          # first pass, nothing sent
    ("body-middle", 0, "queued", 1),      # during DATA, no dot
    ("sending-written", 0, "uncertain", 0),  # the dot may go: held
    ("record-start", 1, "uncertain", 1),  # after the 250, not recorded
    ("remove-entry-unlinked", 1, None, 1),  # delivered, half cleaned
]


@pytest.mark.parametrize("point,before,state,after", RUN_POINTS)
def test_crash_while_running(q, servers, point, before, state, after):
    port = closed_port()
    big = "line of text to make the message longer than one read\n" * 3000
    assert q.send(port, text=big, mode="always").rc == 0
    (e,) = q.entries()
    with ScriptedServer(servers.pki, starttls=False, port=port) as s:
        cp = q.hooks("queue", "run", "--queue-dir", q.dir, crash=point)
        assert cp.returncode == -9, (point, cp.stderr)
        time.sleep(0.2)
        assert len(s.data) == before, (point, s.lines)
        entries = q.entries()
        if state is None:
            assert entries == []
        else:
            assert [x["state"] for x in entries] == [state], entries
        r = q.run("--all")
        assert r.rc == 0, r
        time.sleep(0.1)
        assert len(s.data) == after, (point, s.lines)
        assert message_ids(s) == [e["message_id"]] * after
        if state == "uncertain":
            # Never sent again unless asked; then with its Message-ID.
            assert [x["state"] for x in q.entries()] == ["uncertain"]
            assert q.run("--resend-uncertain").rc == 0
            assert message_ids(s) == [e["message_id"]] * (after + 1)
    assert q.entries() == []
    # Nothing of the killed run is left behind, once swept.
    for sub in ("tmp", "queue", "run"):
        assert os.listdir(os.path.join(q.dir, sub)) == [], (point, sub)


def test_full_disk_leaves_no_partial_entry(q, servers, tmp_path):
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    cp = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs",
                         str(mnt)], capture_output=True)
    if cp.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % cp.stderr.decode())
    try:
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(1 << 20))
        qd = str(mnt / "queue")
        r = q.smtpc.run("send", "--server", "127.0.0.1:%d" % closed_port(),
                        "--tls", "none", "-f", FROM, "--to", TO, "-s", "big",
                        "--text", "x", "-a", str(big), "--queue", "always",
                        "--queue-dir", qd)
        assert r.rc == 75, r
        assert "space" in r.err or "full" in r.err, r
        assert os.listdir(os.path.join(qd, "queue")) == []
        assert os.listdir(os.path.join(qd, "tmp")) == []
        # A small one still fits: the failed one left nothing behind.
        r = q.smtpc.run("send", "--server", "127.0.0.1:1", "--tls", "none",
                        "-f", FROM, "--to", TO, "--text", "x", "--queue",
                        "always", "--queue-dir", qd)
        assert r.rc == 0, r
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


# -- concurrency ----------------------------------------------------------------

def test_concurrent_runs_and_enqueues_never_double_or_lose(q, servers):
    port = closed_port()
    n_first, n_more = 24, 12
    for i in range(n_first):
        assert q.send(port, text="m%d" % i, mode="always").rc == 0
    with ScriptedServer(servers.pki, starttls=False, port=port) as s:
        errors = []

        def runner():
            for _ in range(3):
                r = q.run("--all")
                if r.rc != 0:
                    errors.append(r)

        def enqueuer():
            for i in range(n_more):
                r = q.send(port, text="late%d" % i, mode="always")
                if r.rc != 0:
                    errors.append(r)
        threads = [threading.Thread(target=runner) for _ in range(4)]
        threads.append(threading.Thread(target=enqueuer))
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert errors == [], errors
        assert q.run("--all").rc == 0
        ids = message_ids(s)
        assert len(ids) == n_first + n_more, (len(ids), s.connections)
        assert len(set(ids)) == len(ids), "a message was sent twice"
    assert q.entries() == []


# -- a day of retries on a clock the test sets ------------------------------------

def test_a_day_of_retries_then_the_lifetime(q, servers):
    port = closed_port()
    t0 = 1_900_000_000
    cp = q.hooks("send", "--server", "127.0.0.1:%d" % port, "--tls", "none",
                 "-f", FROM, "--to", TO, "-s", "day", "--text", "x",
                 "--queue", "always", "--queue-dir", q.dir, now=t0)
    assert cp.returncode == 0, cp.stderr
    with ScriptedServer(servers.pki, starttls=False, port=port, overrides={
            "MAIL": b"451 4.3.0 still down\r\n"}) as s:
        nxt, attempts, t = t0, 0, t0
        while t < t0 + 86400:
            conns = s.connections
            cp = q.hooks("queue", "run", "--queue-dir", q.dir, "--json",
                         now=t)
            assert cp.returncode == 0, cp.stderr
            (e,) = q.entries()
            if t >= nxt:
                attempts += 1
                assert s.connections == conns + 1, t - t0
                assert e["attempts"] == attempts
                # 60 s doubling to an hour, +-25% jitter, never past it.
                d = min(60 * 2 ** (attempts - 1), 3600)
                wait = e["next_attempt"] - t
                assert d * 3 // 4 - 1 <= wait <= min(d + d // 4, 3600), \
                    (attempts, wait)
                nxt = e["next_attempt"]
            else:
                assert s.connections == conns, "tried before it was due"
            t += 120
        # About an hour apart after the first hours: 25 to 40 a day.
        assert 25 <= attempts <= 40, attempts
        # Past the lifetime (5 days): given up, moved, the sender told.
        cp = q.hooks("queue", "run", "--all", "--queue-dir", q.dir,
                     now=t0 + 5 * 86400 + 1)
        assert cp.returncode == 0
        assert b"given up" in cp.stderr, cp.stderr
    assert q.entries() == []
    (f,) = q.entries(failed=True)
    text = open(os.path.join(q.dir, "failed", f["id"] + ".report")).read()
    assert "5 days" in text and TO in text, text


# -- group commit: a run the computer stopped under --------------------------

def boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        pytest.skip("no boot ID here: runs sync every change, no journal")


@pytest.mark.parametrize("same_boot", [True, False])
def test_journal_of_a_stopped_run(q, servers, same_boot):
    """A journal nobody holds: written in this boot, the entries say the
    truth and are sent; written in an earlier boot (the computer stopped
    during the run: what was not synced may be lost), every entry it names
    without "done" may have been sent and is held as uncertain, those
    with "done" are not touched."""
    port = closed_port()
    for i in range(3):
        assert q.send(port, text="m%d" % i, mode="always").rc == 0
    a, b, c = [e["id"] for e in q.entries()]
    boot = boot_id() if same_boot else "00000000-0000-4000-8000-000000000000"
    os.makedirs(os.path.join(q.dir, "run"), exist_ok=True)
    with open(os.path.join(q.dir, "run", "99999999.0"), "w") as f:
        f.write("smtpc-run 1\nboot %s\nid %s\nid %s\ndone %s\n" % (
            boot, a, b, b))
    with ScriptedServer(servers.pki, starttls=False, port=port) as s:
        r = q.run()
        assert r.rc == 0, r
        if same_boot:
            assert len(s.data) == 3, s.lines
            assert q.entries() == []
        else:
            assert len(s.data) == 2, s.lines
            (held,) = q.entries()
            assert held["id"] == a and held["state"] == "uncertain", held
            cp = q.smtpc.run("queue", "show", a, "--queue-dir", q.dir)
            assert "computer stopped" in cp.out.decode(), cp
    assert os.listdir(os.path.join(q.dir, "run")) == []


@pytest.mark.parametrize("point", ["group-noted", "group-synced"])
def test_crash_in_group_commit(q, servers, point):
    boot_id()  # skips where there is no group commit
    port = closed_port()
    for i in range(3):
        assert q.send(port, text="m%d" % i, mode="always").rc == 0
    ids = [e["message_id"] for e in q.entries()]
    with ScriptedServer(servers.pki, starttls=False, port=port) as s:
        cp = q.hooks("queue", "run", "--queue-dir", q.dir, crash=point)
        assert cp.returncode == -9, cp.stderr
        time.sleep(0.2)
        before = len(s.data)
        # group-noted: killed before the first claim; group-synced: after
        # the three were sent and synced, before "done" was written.
        assert before == (0 if point == "group-noted" else 3), s.lines
        assert q.run("--all").rc == 0
        assert sorted(message_ids(s)) == sorted(ids), "each exactly once"
    assert q.entries() == []
    assert os.listdir(os.path.join(q.dir, "run")) == []


def test_retry_and_lifetime_options(q, servers):
    port = closed_port()
    t0 = 1_900_000_000
    cp = q.hooks("send", "--server", "127.0.0.1:%d" % port, "--tls", "none",
                 "-f", FROM, "--to", TO, "--text", "x", "--queue", "always",
                 "--queue-dir", q.dir, now=t0)
    assert cp.returncode == 0, cp.stderr
    with ScriptedServer(servers.pki, starttls=False, port=port, overrides={
            "MAIL": b"451 4.3.0 later\r\n"}) as s:
        cp = q.hooks("queue", "run", "--retry-first", "10m",
                     "--retry-max", "2h", "--queue-dir", q.dir, now=t0)
        assert cp.returncode == 0, cp.stderr
        (e,) = q.entries()
        assert 450 <= e["next_attempt"] - t0 <= 750, e
        cp = q.hooks("queue", "run", "--all", "--lifetime", "1h",
                     "--queue-dir", q.dir, now=t0 + 3601)
        assert cp.returncode == 0 and b"given up" in cp.stderr, cp.stderr
        assert s.connections == 2
    assert q.entries() == [] and len(q.entries(failed=True)) == 1
    for bad in ("0", "-5m", "3w", "400d", "m"):
        r = q.run("--lifetime", bad)
        assert r.rc == 64 and "duration" in r.err, (bad, r)


def test_password_from_the_environment_is_named_when_queued(q, servers):
    """A queued message keeps where its password comes from, never the
    password: one from SMTPC_PASSWORD must be there for the run too."""
    with ScriptedServer(servers.pki, starttls=False, password="s3cret",
                        overrides={"MAIL": once()}) as s:
        r = q.send(s.port, "-u", "alice@example.test",
                   env={"SMTPC_PASSWORD": "s3cret"})
        assert r.rc == 0 and "queued as" in r.err, r
        assert "SMTPC_PASSWORD" in r.err and "environment" in r.err, r
        for f in os.listdir(os.path.join(q.dir, "queue")):
            with open(os.path.join(q.dir, "queue", f), "rb") as fp:
                assert b"s3cret" not in fp.read(), f
        # Without it, the run cannot log in: deferred, said, kept.
        r = q.run("--all")
        assert r.rc == 0 and s.data == [], r
        assert q.entries()[0]["state"] == "queued"
        r = q.run("--all", env={"SMTPC_PASSWORD": "s3cret"})
        assert r.rc == 0 and len(s.data) == 1, (r, s.lines)
