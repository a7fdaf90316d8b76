# SPDX-License-Identifier: ISC
"""Messages from anywhere, through Postfix (submission, STARTTLS, AUTH):
examples/forward_message, a program on libsmtpc, forwards saved mails as
message/rfc822 attachments, and sends a ready message from standard input
as sendmail -t does (a pipe and a regular file).

What arrives is read by Python's email package, GMime
(tests/conformance/gmime_check, which descends into message/rfc822 parts)
and munpack: each forwarded mail is a message/rfc822 part, 7bit or 8bit,
never encoded, whose inner message parses with its subject, body and
attachment intact.  The ready message arrives at every recipient of its
To, Cc and Bcc fields, without its Bcc field, with Date and Message-ID
added.
"""

import email
import email.policy
import hashlib
import os
import shutil
import subprocess

import pytest

from conftest import SLOW, WRAP, smtpc_path, wait_one
import servers as srv

INNER_FILE = bytes(range(256)) * 4

INNER_7BIT = (
    b"From: Old Sender <old@example.org>\n"
    b"To: someone@example.org\n"
    b"Subject: the quarterly report\n"
    b"Message-ID: <inner-7bit@example.org>\n"
    b"MIME-Version: 1.0\n"
    b"Content-Type: multipart/mixed; boundary=\"inner-b\"\n"
    b"\n"
    b"--inner-b\n"
    b"Content-Type: text/plain; charset=us-ascii\n"
    b"\n"
    b"The report is attached.\n"
    b".\n"
    b"--inner-b\n"
    b"Content-Type: application/octet-stream; name=\"data.bin\"\n"
    b"Content-Disposition: attachment; filename=\"data.bin\"\n"
    b"Content-Transfer-Encoding: base64\n"
    b"\n" + b"\n".join(
        __import__("base64").encodebytes(INNER_FILE).splitlines()) +
    b"\n--inner-b--\n")

INNER_8BIT = (
    "From: Zoë <zoe@example.org>\r\n"
    "To: someone@example.org\r\n"
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Grüße aus München\r\n").encode()


def build_dir():
    return os.path.dirname(os.path.dirname(os.path.dirname(smtpc_path())))


def example():
    p = os.path.join(build_dir(), "examples", "forward_message")
    if not os.access(p, os.X_OK):
        pytest.fail("examples/forward_message is not built beside %s"
                    % smtpc_path())
    return p


def gmime_check():
    p = os.path.join(build_dir(), "tests", "conformance", "gmime_check")
    assert os.access(p, os.X_OK), (
        "tests/conformance/gmime_check is not built (libgmime-3.0-dev, "
        "from scripts/setup)")
    return p


def run_example(servers, args, stdin=None):
    env = dict(os.environ)
    env["SMTPC_PASSWORD"] = srv.PASSWORD
    env["SMTPC_CAFILE"] = servers.pki.ca
    argv = WRAP + [example(), "127.0.0.1", str(servers.postfix.port),
                   srv.USER, srv.USER] + [str(a) for a in args]
    cp = subprocess.run(argv, env=env, stdin=stdin if stdin is not None
                        else subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, timeout=60 * SLOW)
    assert cp.returncode == 0, cp.stderr.decode("utf-8", "replace")
    return cp


def unhex(s):
    return "" if s in ("-", "=") else bytes.fromhex(s).decode()


def test_forwarded_messages(servers, postfix, tmp_path):
    a = tmp_path / "report.eml"
    a.write_bytes(INNER_7BIT)
    b = tmp_path / "gruesse.eml"
    b.write_bytes(INNER_8BIT)
    run_example(servers, ["bob@example.test", a, b])
    raw = postfix.wait_messages("bob", 1, 30)[0]

    # The wire form: message/rfc822, 7bit and 8bit, nothing encoded.
    assert b"Content-Type: message/rfc822; name=\"report.eml\"" in raw
    assert b"Content-Type: message/rfc822; name=\"gruesse.eml\"" in raw
    parts = raw.split(b"Content-Type: message/rfc822")
    assert b"Content-Transfer-Encoding: 7bit\n\n" in parts[1][:300]
    assert b"Content-Transfer-Encoding: 8bit\n\n" in parts[2][:300]
    assert "Grüße aus München".encode() in parts[2]

    # Python's email package.
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert m.get_content_type() == "multipart/mixed"
    kids = list(m.iter_parts())
    assert [k.get_content_type() for k in kids] == [
        "text/plain", "message/rfc822", "message/rfc822"]
    assert kids[1].get_filename() == "report.eml"
    inner = kids[1].get_payload(0)
    assert inner["Subject"] == "the quarterly report"
    assert inner["Message-ID"] == "<inner-7bit@example.org>"
    files = [p for p in inner.iter_attachments()]
    assert len(files) == 1 and files[0].get_filename() == "data.bin"
    assert files[0].get_content() == INNER_FILE
    body = inner.get_body(("plain",)).get_content()
    # The line break before the delimiter belongs to it (RFC 2046 5.1.1).
    assert body.replace("\r\n", "\n") == "The report is attached.\n."
    inner8 = kids[2].get_payload(0)
    assert inner8["Subject"] == "Grüße"
    assert inner8.get_content().replace("\r\n", "\n") == \
        "Grüße aus München\n"

    # GMime, inside the message/rfc822 parts too.
    f = tmp_path / "arrived.eml"
    f.write_bytes(raw)
    out = subprocess.run([gmime_check(), str(f)], stdout=subprocess.PIPE,
                         check=True, timeout=60).stdout.decode()
    recs = [line.split("\t") for line in out.splitlines()]
    assert not [r for r in recs if r[0] == "E"], out
    msgs = [r for r in recs if r[0] == "P" and r[2] == "message/rfc822"]
    assert [(r[3], unhex(r[4])) for r in msgs] == [
        ("attachment", "report.eml"), ("attachment", "gruesse.eml")], out
    assert [unhex(r[2]) for r in recs if r[0] == "I"] == [
        "the quarterly report", "Grüße"], out
    data = [r for r in recs if r[0] == "P" and unhex(r[4]) == "data.bin"]
    assert len(data) == 1 and int(data[0][1]) >= 2 and \
        data[0][6] == hashlib.sha256(INNER_FILE).hexdigest(), out

    # munpack descends into the forwarded messages: the inner attachment
    # comes out whole, and (-t) the inner texts.
    assert shutil.which("munpack") is not None, "munpack is missing"
    d = tmp_path / "munpack"
    d.mkdir()
    subprocess.run(["munpack", "-t", "-q", "-C", str(d), str(f)],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   check=True, timeout=60)
    assert (d / "data.bin").read_bytes() == INNER_FILE, os.listdir(d)
    texts = b"".join(p.read_bytes() for p in d.iterdir()
                     if p.name.startswith("part"))
    assert "Grüße aus München".encode() in texts, os.listdir(d)


READY = (
    b"From: Cron Daemon <alice@example.test>\n"
    b"To: bob@example.test\n"
    b"Cc: Team: carol@example.test;\n"
    b"Bcc: dave@example.test\n"
    b"Subject: Cron <root@host> run-parts /etc/cron.daily\n"
    b"\n"
    b"line one\n"
    b".\n"
    b"..two dots\r\n"
    b"caf\xc3\xa9\n")


@pytest.mark.parametrize("how", ["pipe", "file"])
def test_ready_message(servers, postfix, tmp_path, how):
    f = tmp_path / "ready.eml"
    f.write_bytes(READY)
    if how == "file":
        with open(f, "rb") as stdin:
            run_example(servers, ["-"], stdin=stdin)
    else:
        p = subprocess.Popen(["cat", str(f)], stdout=subprocess.PIPE)
        run_example(servers, ["-"], stdin=p.stdout)
        p.stdout.close()
        p.wait()
    got = {u: wait_one(postfix, u) for u in ("bob", "carol", "dave")}
    for u, m in got.items():
        assert m["Subject"] == \
            "Cron <root@host> run-parts /etc/cron.daily", u
        assert m["Bcc"] is None, u
        assert m["Date"] is not None and m["Message-ID"] is not None, u
        body = m.get_payload(decode=True)
        assert body == b"line one\n.\n..two dots\ncaf\xc3\xa9\n", (u, body)
    raw = postfix.messages("bob")[0]
    head = raw.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in head and b"dave@" not in head
