# SPDX-License-Identifier: ISC
"""--json: the result of a send as one JSON object on standard output,
built from the library's result object (smtpc(1), RESULTS).

Checked against what really happened: the queue ID is the one Postfix
logged, the Message-ID the one delivered, each recipient's code the one
the server gave; and nothing secret is ever part of it.
"""

import json

import servers as srv
from conftest import wait_one

USER = srv.USER
BOB = "bob@example.test"
CAROL = "carol@example.test"


def one_object(out):
    lines = out.decode().splitlines()
    assert len(lines) == 1, lines
    return json.loads(lines[0])


def no_secret(raw):
    assert srv.PASSWORD.encode() not in raw


def test_json_sent_through_postfix(smtpc, postfix):
    r = smtpc.run("send", *smtpc.postfix(), "--json", "-f", USER,
                  "--to", BOB, "--cc", CAROL, "-s", "json",
                  "--text", "hello\n")
    assert r.rc == 0, r
    o = one_object(r.out)
    no_secret(r.out)
    assert o["schema"] == 1 and o["outcome"] == "sent", o
    assert o["exit_code"] == 0 and o["error"] is None, o
    assert o["server"]["host"] == "127.0.0.1", o
    assert o["server"]["tls"]["version"].startswith("TLSv1."), o
    assert o["server"]["auth"], o
    assert o["envelope"]["from"] == USER, o
    assert [(x["address"], x["accepted"], x["code"])
            for x in o["recipients"]] == [(BOB, True, 250),
                                          (CAROL, True, 250)], o
    assert o["final_reply"]["code"] == 250, o
    assert o["queue_id"] and o["queue_id"] in o["final_reply"]["text"], o
    assert o["size"] == o["bytes"] and o["size"] > 100, o
    assert o["maybe_delivered"] is False, o
    for stage in ("connect", "greeting", "EHLO", "STARTTLS", "TLS",
                  "AUTH", "envelope", "message"):
        assert o["stages_ms"][stage] >= 0, (stage, o["stages_ms"])
    m = wait_one(postfix, "bob")
    assert m["Message-ID"] == o["message_id"], (m["Message-ID"], o)
    assert o["queue_id"] in postfix.maillog()


def test_json_refused_recipient(smtpc, postfix):
    r = smtpc.run("send", *smtpc.postfix(), "--json", "-f", USER,
                  "--to", BOB,
                  "--to", "nobody@example.test", "-s", "json",
                  "--text", "x\n")
    assert r.rc == 69, r
    o = one_object(r.out)
    assert o["outcome"] == "failed" and o["exit_code"] == 69, o
    assert o["error"]["code"] == "SMTPC_EPERM", o
    assert o["error"]["stage"] == "RCPT TO", o
    bad = [x for x in o["recipients"] if x["accepted"] is False]
    assert [x["address"] for x in bad] == ["nobody@example.test"], o
    assert bad[0]["code"] == 550, o
    assert o["final_reply"] is None and o["queue_id"] is None, o


def test_json_when_nothing_could_start(smtpc):
    r = smtpc.run("send", "--server", "127.0.0.1:1", "--tls", "none",
                  "--json", "-f", USER, "--to", BOB, "--text", "x\n",
                  "--timeout", "5")
    assert r.rc == 75, r
    o = one_object(r.out)
    assert o["outcome"] == "failed" and o["exit_code"] == 75, o
    assert o["error"]["code"] == "SMTPC_ECONN", o
    assert o["error"]["stage"] == "connect", o
    assert o["recipients"] == [] and o["final_reply"] is None, o
