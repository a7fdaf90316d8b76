# SPDX-License-Identifier: ISC
"""The queue commands: `smtpc queue list|show|drop|hold|release` and the
program run as `mailq`, on a spool filled through the spool's own API
(tests/unit/spool_put, built beside smtpc): what each says, what each
changes, and the errors they name.
"""

import json
import os
import subprocess

import pytest

from conftest import smtpc_argv, smtpc_path

MSG = (b"From: a@example.test\r\nTo: b@example.test\r\nSubject: q\r\n\r\n"
       b"queued\r\n")


def spool_put():
    # build/src/cli/smtpc -> build/tests/unit/spool_put
    build = os.path.dirname(os.path.dirname(os.path.dirname(smtpc_path())))
    p = os.path.join(build, "tests", "unit", "spool_put")
    if not os.path.exists(p):
        pytest.fail("spool_put not built: %s" % p)
    return p


def put(qdir, sender, *rcpts):
    cp = subprocess.run([spool_put(), qdir, sender] + list(rcpts),
                        input=MSG, capture_output=True, timeout=30)
    assert cp.returncode == 0, cp.stderr
    return cp.stdout.decode().strip()


def q(*args, env=None):
    return subprocess.run(smtpc_argv("queue", *args), capture_output=True,
                          timeout=60, env=env)


@pytest.fixture
def qdir(tmp_path):
    return str(tmp_path / "queue")


def test_list_show_hold_release_drop(qdir):
    a = put(qdir, "a@example.test", "b@example.test", "c@example.test")
    b = put(qdir, "", "d@example.test")
    cp = q("list", "--queue-dir", qdir)
    assert cp.returncode == 0, cp.stderr
    out = cp.stdout.decode()
    assert a in out and b in out, out
    assert "a@example.test -> b@example.test,c@example.test" in out, out
    assert "<> -> d@example.test" in out, out
    assert out.count("queued") == 2 and "next try: now" in out, out

    cp = q("list", "--json", "--queue-dir", qdir)
    objs = [json.loads(l) for l in cp.stdout.decode().splitlines()]
    assert [o["id"] for o in objs] == [a, b], objs
    assert objs[0]["from"] == "a@example.test" and objs[1]["from"] == ""
    assert [r["address"] for r in objs[0]["recipients"]] == \
        ["b@example.test", "c@example.test"]
    assert all(r["state"] == "pending" for r in objs[0]["recipients"])
    assert objs[0]["size"] == len(MSG), objs[0]
    assert objs[0]["message_id"] == "<spool-put@example.test>"

    assert q("hold", a, "--queue-dir", qdir).returncode == 0
    o = json.loads(q("show", a, "--json", "--queue-dir",
                     qdir).stdout.decode())
    assert o["state"] == "held", o
    assert q("release", a, "--queue-dir", qdir).returncode == 0
    o = json.loads(q("show", a, "--json", "--queue-dir",
                     qdir).stdout.decode())
    assert o["state"] == "queued", o

    cp = q("show", b, "--queue-dir", qdir)
    assert cp.returncode == 0 and b"to d@example.test: pending" in \
        cp.stdout, cp

    assert q("drop", b, "--queue-dir", qdir).returncode == 0
    out = q("list", "--queue-dir", qdir).stdout.decode()
    assert a in out and b not in out, out


def test_mailq_name_lists(qdir, tmp_path):
    a = put(qdir, "a@example.test", "b@example.test")
    link = tmp_path / "mailq"
    os.symlink(smtpc_path(), str(link))
    env = dict(os.environ)
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    # The default place: $XDG_STATE_HOME/smtpc/queue.
    os.makedirs(str(tmp_path / "state" / "smtpc"))
    os.rename(qdir, str(tmp_path / "state" / "smtpc" / "queue"))
    cp = subprocess.run([str(link)], capture_output=True, timeout=30,
                        env=env)
    assert cp.returncode == 0, cp.stderr
    assert a in cp.stdout.decode(), cp.stdout


def test_empty_queue_and_errors(qdir):
    cp = q("list", "--queue-dir", qdir)
    assert cp.returncode == 0 and b"The queue is empty" in cp.stdout, cp
    cp = q("show", "1700000000.000000.1.00000000000000", "--queue-dir",
           qdir)
    assert cp.returncode == 66, cp
    assert b"smtpc: " in cp.stderr, cp
    cp = q("drop", "../../etc/passwd", "--queue-dir", qdir)
    assert cp.returncode != 0 and b"not a queue ID" in cp.stderr, cp
    cp = q("frobnicate", "--queue-dir", qdir)
    assert cp.returncode == 64 and b"unknown command" in cp.stderr, cp
    cp = q("run", "--queue-dir", qdir)
    assert cp.returncode == 0 and cp.stdout == b"" and cp.stderr == b"", cp
    cp = q("run", "SOMEID", "--queue-dir", qdir)
    assert cp.returncode == 64 and b"run takes no ID" in cp.stderr, cp
