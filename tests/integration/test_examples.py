# SPDX-License-Identifier: ISC
"""The programs in examples/ as a user builds them, through Postfix
(submission, STARTTLS, AUTH).

tests/abi/check installs the library into a temporary prefix and builds
every example with `pkg-config --cflags --libs smtpc` only, linked with
the static library (NAME) and the shared one (NAME.shared).  With
$SMTPC_EXAMPLES_DIR (scripts/test sets it) the programs it left there are
run; without it this file runs tests/abi/check itself on the build
directory of $SMTPC_BIN.  What arrives is read with Python's email
package: the text and its picture byte for byte, the HTML with its
pictures under the Content-IDs it names, every message of a series with
each recipient's answer printed (and a session opened again after a 421,
against a scripted server), a ready message without its Bcc.
"""

import email
import email.policy
import os
import re
import subprocess

import pytest

from conftest import REPO, SLOW, WRAP, smtpc_path, wait_one
from scripted import ScriptedServer
import servers as srv

LINKS = ("static", "shared")
CONNECT = re.compile(r"(?m)/submission/smtpd\[\d+\]: connect from ")


def build_dir():
    return os.path.dirname(os.path.dirname(os.path.dirname(smtpc_path())))


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    d = os.environ.get("SMTPC_EXAMPLES_DIR")
    if d:
        if not os.access(os.path.join(d, "send_many"), os.X_OK):
            pytest.fail("SMTPC_EXAMPLES_DIR=%s holds no built examples "
                        "(tests/abi/check BUILDDIR DIR builds them)" % d)
        return d
    d = str(tmp_path_factory.mktemp("examples"))
    cp = subprocess.run([os.path.join(REPO, "tests", "abi", "check"),
                         build_dir(), d], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, timeout=600)
    if cp.returncode != 0:
        pytest.fail("tests/abi/check could not install and build the "
                    "examples:\n" + cp.stdout.decode("utf-8", "replace"))
    return d


def run(servers, examples, name, link, args, stdin=None, port=None,
        status=0):
    prog = os.path.join(examples, name if link == "static"
                        else name + ".shared")
    env = dict(os.environ)
    env["SMTPC_PASSWORD"] = srv.PASSWORD
    env["SMTPC_CAFILE"] = servers.pki.ca
    port = servers.postfix.port if port is None else port
    argv = WRAP + [prog, "127.0.0.1", str(port),
                   srv.USER, srv.USER] + [str(a) for a in args]
    cp = subprocess.run(argv, env=env, input=stdin,
                        stdin=None if stdin is not None
                        else subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, timeout=120 * SLOW)
    out = cp.stdout.decode("utf-8", "replace")
    assert cp.returncode == status, "%s exit %d\nstdout:\n%s\nstderr:\n%s" % (
        name, cp.returncode, out, cp.stderr.decode("utf-8", "replace"))
    return out


def addr(user):
    return "%s@%s" % (user, srv.DOMAIN)


@pytest.mark.parametrize("link", LINKS)
def test_text_and_image(servers, postfix, files, examples, link):
    path, jpeg = files["photo.jpg"]
    run(servers, examples, "send_text_and_image", link, [addr("bob"), path])
    m = wait_one(postfix, "bob")
    assert m["Subject"] == "A picture"
    assert m.get_content_type() == "multipart/mixed"
    text, image = m.get_payload()
    assert text.get_content_type() == "text/plain"
    assert "the picture is below" in text.get_content()
    assert image.get_content_type() == "image/jpeg"
    assert image.get_content_disposition() == "inline"
    assert image.get_payload(decode=True) == jpeg


@pytest.mark.parametrize("link", LINKS)
def test_html_with_inline_images(servers, postfix, files, examples, link):
    jpg_path, jpeg = files["photo.jpg"]
    png_path, png = files["chart.png"]
    run(servers, examples, "send_html_inline", link,
        [addr("carol"), jpg_path, png_path])
    m = wait_one(postfix, "carol")
    assert m["Subject"] == "Pictures"
    html = m.get_body(preferencelist=("html",))
    plain = m.get_body(preferencelist=("plain",))
    assert "best read as HTML" in plain.get_content()
    related = [p for p in m.walk()
               if p.get_content_type() == "multipart/related"]
    assert len(related) == 1, m.as_string()[:3000]
    cids = {}
    for p in related[0].iter_parts():
        if p.get("Content-ID"):
            cids[p["Content-ID"].strip("<>")] = p
    for cid, ctype, data in (("image1", "image/jpeg", jpeg),
                             ("image2", "image/png", png)):
        assert 'src="cid:%s"' % cid in html.get_content()
        assert cid in cids, sorted(cids)
        assert cids[cid].get_content_type() == ctype
        assert cids[cid].get_payload(decode=True) == data


@pytest.mark.parametrize("link", LINKS)
def test_many_messages_one_session(servers, postfix, examples, link):
    count = 4
    connects = len(CONNECT.findall(postfix.maillog()))
    out = run(servers, examples, "send_many", link,
              [count, addr("bob"), addr("dave"), "nobody@" + srv.DOMAIN])
    heads = re.findall(r"(?m)^message (\d+)/%d: accepted, queue ID (\S+), "
                       r"Message-ID (<[^>]+>)$" % count, out)
    assert [int(h[0]) for h in heads] == list(range(1, count + 1)), out
    queue_ids = [h[1] for h in heads]
    assert "(not" not in queue_ids and len(set(queue_ids)) == count, out
    for user in ("bob", "dave"):
        assert len(re.findall(r"(?m)^  %s: accepted 250 2\.\d+\.\d+ "
                              % re.escape(addr(user)), out)) == count, out
    assert len(re.findall(r"(?m)^  nobody@%s: refused 550 5\.1\.1 "
                          % re.escape(srv.DOMAIN), out)) == count, out
    assert "%d of %d messages accepted" % (count, count) in out
    assert "opening it again" not in out, out
    # One connection for the whole series.
    assert len(CONNECT.findall(postfix.maillog())) - connects == 1
    for user in ("bob", "dave"):
        msgs = postfix.wait_messages(user, count, 30)
        assert len(msgs) == count, postfix.maillog()[-3000:]
        parsed = [email.message_from_bytes(b, policy=email.policy.default)
                  for b in msgs]
        assert sorted(p["Subject"] for p in parsed) == sorted(
            "Message %d of %d" % (i, count) for i in range(1, count + 1))
        ids = {p["Message-ID"] for p in parsed}
        assert ids == {h[2] for h in heads}


def test_many_messages_refusal_and_reopen(servers, examples):
    """A refused message leaves the session ready for the next one; a 421
    closes it, and send_many opens it again and goes on."""
    mails = []

    def mail(_arg):
        mails.append(1)
        if len(mails) == 2:
            return b"550 5.7.1 sender refused for this message\r\n"
        if len(mails) == 3:
            return b"421 4.3.2 shutting down\r\n"
        return None

    s = ScriptedServer(servers.pki, password=srv.PASSWORD,
                       overrides={"MAIL": mail}).start()
    try:
        out = run(servers, examples, "send_many", "static",
                  [4, addr("bob")], port=s.port, status=1)
    finally:
        s.stop()
    assert re.search(r"(?m)^message 1/4: accepted", out), out
    assert re.search(r"(?m)^message 2/4: failed: MAIL FROM: .*sender "
                     r"refused for this message", out), out
    assert re.search(r"(?m)^message 3/4: failed: MAIL FROM: ", out), out
    assert re.search(r"(?m)^message 4/4: accepted", out), out
    # Only the 421 closed the session: one reopen, two connections.
    assert out.count("session closed; opening it again") == 1, out
    assert out.index("message 3/4") < out.index("opening it again") < \
        out.index("message 4/4"), out
    assert s.connections == 2
    assert len(s.data) == 2
    assert "2 of 4 messages accepted" in out


READY = (
    "From: Cron Daemon <{me}>\n"
    "To: Bob <{bob}>\n"
    "Cc: {carol}\n"
    "Bcc: {dave}\n"
    "Subject: nightly report\n"
    "\n"
    "All jobs finished.\n"
    ".\n"
    "A line with a dot above.\n")


@pytest.mark.parametrize("link", LINKS)
def test_ready_message_from_a_pipe(servers, postfix, examples, link):
    msg = READY.format(me=srv.USER, bob=addr("bob"), carol=addr("carol"),
                       dave=addr("dave")).encode()
    out = run(servers, examples, "send_ready_message", link, [], stdin=msg)
    assert re.search(r"^sent to 3 recipients, queued as [0-9A-Za-z]+$",
                     out.strip()), out
    for user in ("bob", "carol", "dave"):
        m = wait_one(postfix, user)
        assert m["Subject"] == "nightly report"
        assert m["Bcc"] is None, m.as_string()
        # Postfix's own trace fields name the mailbox; no other may.
        for k, v in m.items():
            if k not in ("Delivered-To", "X-Original-To", "Received",
                         "Return-Path"):
                assert addr("dave") not in str(v), (k, v)
        assert m["Date"] and m["Message-ID"]
        assert m.get_content() == ("All jobs finished.\n.\n"
                                   "A line with a dot above.\n")
