# SPDX-License-Identifier: ISC
"""smtpc batch against real servers: Postfix (STARTTLS, AUTH, PIPELINING)
and the aiosmtpd recorder (which counts connections and commands).

Every message is counted where it arrived: each must be there exactly
once, and the --json results must come one per input line, in order.
"""

import json
import mailbox
import os

from conftest import parse, recorder

import servers as srv

USER = srv.USER
BOB = "bob@example.test"
CAROL = "carol@example.test"


def results(r):
    return [json.loads(line) for line in r.out.decode().splitlines()]


def write_jsonl(path, objs):
    with open(path, "w") as f:
        for o in objs:
            f.write(o if isinstance(o, str) else json.dumps(o))
            f.write("\n")


def ready(path, subject, to):
    with open(path, "w") as f:
        f.write("From: %s\nTo: %s\nSubject: %s\n\nready %s\n" % (
            USER, to, subject, subject))


def test_fifty_mixed_through_postfix(smtpc, postfix, tmp_path):
    """50 lines: composed and ready messages and one line that is not
    JSON.  Exit 65; a result per line in order; every good message
    delivered exactly once (counted in the Maildirs)."""
    lines, want_bob, want_carol = [], set(), set()
    for i in range(1, 51):
        subj = "batch %02d" % i
        if i == 20:
            lines.append("{not json")
        elif i % 5 == 0:
            p = str(tmp_path / ("m%02d.eml" % i))
            ready(p, subj, CAROL)
            lines.append({"message": p})
            want_carol.add(subj)
        else:
            lines.append({"from": USER, "to": BOB, "subject": subj,
                          "text": "message %d\n" % i})
            want_bob.add(subj)
    inp = tmp_path / "in.jsonl"
    write_jsonl(inp, lines)
    r = smtpc.run("batch", *smtpc.postfix(), "--json", inp, timeout=120)
    assert r.rc == 65, r
    res = results(r)
    assert [o["line"] for o in res] == list(range(1, 51)), r
    for o in res:
        if o["line"] == 20:
            assert o["outcome"] == "failed" and o["exit_code"] == 65
            assert "not valid JSON" in o["error"]["message"]
        else:
            assert o["outcome"] == "sent", o
            assert o["final_reply"]["code"] == 250
    bob = postfix.wait_messages("bob", len(want_bob), 60)
    carol = postfix.wait_messages("carol", len(want_carol), 60)
    got_bob = [parse(m)["Subject"] for m in bob]
    got_carol = [parse(m)["Subject"] for m in carol]
    assert sorted(got_bob) == sorted(want_bob)
    assert sorted(got_carol) == sorted(want_carol)
    assert "20" in r.err and "not valid JSON" in r.err


def test_one_connection_refusal_in_the_middle(smtpc, servers, tmp_path):
    """A refused recipient fails its message only: exit 69, one
    connection, one RSET, every other message recorded once."""
    rec = recorder(servers, "plain")
    lines = []
    for i in range(1, 9):
        to = "reject%d@example.test" % i if i == 4 else BOB
        lines.append({"from": USER, "to": to, "subject": "s%d" % i,
                      "text": "t"})
    inp = tmp_path / "in.jsonl"
    write_jsonl(inp, lines)
    r = smtpc.run("batch", *smtpc.server(rec.port, tls="none", auth=False),
                  "--json", inp)
    assert r.rc == 69, r
    res = results(r)
    assert [o["outcome"] for o in res] == (
        ["sent"] * 3 + ["failed"] + ["sent"] * 4), r
    assert res[3]["exit_code"] == 69
    assert res[3]["recipients"][0]["code"] == 550
    assert rec.connections == 1
    assert rec.command_names().count("RSET") == 1
    subjects = [parse(m["data"])["Subject"] for m in rec.messages]
    assert subjects == ["s%d" % i for i in range(1, 9) if i != 4]


def test_max_per_connection(smtpc, servers, tmp_path):
    rec = recorder(servers, "plain")
    inp = tmp_path / "in.jsonl"
    write_jsonl(inp, [{"from": USER, "to": BOB, "subject": "s%d" % i,
                       "text": "t"} for i in range(7)])
    r = smtpc.run("batch", *smtpc.server(rec.port, tls="none", auth=False),
                  "--max-per-connection", "3", inp)
    assert r.rc == 0, r
    assert rec.connections == 3
    assert len(rec.messages) == 7


def test_mbox_with_a_broken_message(smtpc, servers, tmp_path):
    """An mbox whose second message has a broken header: that one fails
    (exit 65), the others are sent, >From unquoted."""
    rec = recorder(servers, "plain")
    box = tmp_path / "in.mbox"
    box.write_text(
        "From alice Mon Jan  1 00:00:00 2024\n"
        "From: %s\nTo: %s\nSubject: one\n\nfirst\n>From here\n\n"
        "From alice Mon Jan  1 00:00:01 2024\n"
        "From: %s\nthis is not a header\nTo: %s\n\nsecond\n\n"
        "From alice Mon Jan  1 00:00:02 2024\n"
        "From: %s\nTo: %s\nSubject: three\n\nthird\n" % (
            USER, BOB, USER, BOB, USER, BOB))
    r = smtpc.run("batch", *smtpc.server(rec.port, tls="none", auth=False),
                  "--json", box)
    assert r.rc == 65, r
    res = results(r)
    assert [o["outcome"] for o in res] == ["sent", "failed", "sent"], r
    assert [o["line"] for o in res] == [1, 9, 16]  # the "From " lines
    assert len(rec.messages) == 2
    first = rec.messages[0]["data"]
    assert b"\r\nFrom here\r\n" in first or b"\nFrom here\n" in first
    assert parse(rec.messages[1]["data"])["Subject"] == "three"


def test_maildir(smtpc, servers, tmp_path):
    rec = recorder(servers, "plain")
    md = mailbox.Maildir(str(tmp_path / "md"))
    for i in range(3):
        md.add("From: %s\nTo: %s\nSubject: md%d\n\nbody\n" % (USER, BOB, i))
    r = smtpc.run("batch", *smtpc.server(rec.port, tls="none", auth=False),
                  tmp_path / "md")
    assert r.rc == 0, r
    assert sorted(parse(m["data"])["Subject"] for m in rec.messages) == [
        "md0", "md1", "md2"]
    assert rec.connections == 1
    assert os.path.isdir(tmp_path / "md" / "new")


def test_ctrl_c_stops_after_the_message_in_flight(smtpc, servers, tmp_path):
    """SIGINT while the input (a pipe) waits: what was sent is reported,
    nothing more is read, exit 75."""
    import signal
    import subprocess
    import time
    from conftest import smtpc_argv

    rec = recorder(servers, "plain")
    env = dict(os.environ, HOME=str(tmp_path), LC_ALL="C.UTF-8")
    p = subprocess.Popen(
        smtpc_argv("batch", *smtpc.server(rec.port, tls="none", auth=False),
                   "--json", "-"),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=env)
    for i in range(2):
        p.stdin.write((json.dumps({"from": USER, "to": BOB,
                                   "subject": "c%d" % i, "text": "t"}) +
                       "\n").encode())
    p.stdin.flush()
    deadline = time.monotonic() + 20
    while len(rec.messages) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(rec.messages) == 2
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 75, err
    res = [json.loads(x) for x in out.decode().splitlines()]
    assert [o["outcome"] for o in res] == ["sent", "sent"]
    assert b"interrupted: 2 of 2 sent" in err


def test_rate(smtpc, servers, tmp_path):
    """--rate 120/min: three messages are spread over at least a second."""
    import time

    rec = recorder(servers, "plain")
    inp = tmp_path / "in.jsonl"
    write_jsonl(inp, [{"from": USER, "to": BOB, "subject": "r%d" % i,
                       "text": "t"} for i in range(3)])
    t0 = time.monotonic()
    r = smtpc.run("batch", *smtpc.server(rec.port, tls="none", auth=False),
                  "--rate", "120/min", inp)
    assert r.rc == 0, r
    assert time.monotonic() - t0 >= 0.95
    assert len(rec.messages) == 3
