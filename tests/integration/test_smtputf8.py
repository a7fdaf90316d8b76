# SPDX-License-Identifier: ISC
"""SMTPUTF8: a UTF-8 local part (RFC 6532) goes out with
SMTPUTF8 (RFC 6531) to a server that offers it, and is refused with exit
65 before MAIL FROM to one that does not.  IDN domains alone need nothing:
they travel as A-labels.

Two aiosmtpd recorders of our own on 127.0.0.1, plain TCP, no AUTH: one
with enable_SMTPUTF8=True, one without.
"""

import email
import email.policy
import socket
import subprocess
import threading

import pytest

from conftest import SLOW, assert_no_report, smtpc_argv

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


class Utf8Recorder:
    def __init__(self, smtputf8):
        self.lock = threading.Lock()
        self.mails = []         # (address, options)
        self.rcpts = []
        self.data = []
        self.sizes = []         # (declared, received)
        rec = self

        class Handler:
            async def handle_MAIL(self, server, session, envelope, address,
                                  mail_options):
                with rec.lock:
                    rec.mails.append((address, [
                        o for o in mail_options
                        if not o.upper().startswith("SIZE=")]))
                envelope.mail_from = address
                envelope.mail_options.extend(mail_options)
                return "250 2.1.0 OK"

            async def handle_RCPT(self, server, session, envelope, address,
                                  rcpt_options):
                with rec.lock:
                    rec.rcpts.append(address)
                envelope.rcpt_tos.append(address)
                return "250 2.1.5 OK"

            async def handle_DATA(self, server, session, envelope):
                with rec.lock:
                    rec.data.append(envelope.original_content)
                    # The SIZE declared (smtpc_reader_size) against the
                    # bytes that arrived.
                    for o in envelope.mail_options:
                        if o.upper().startswith("SIZE="):
                            rec.sizes.append((int(o[5:]), len(
                                envelope.original_content)))
                return "250 2.0.0 queued"

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = aiosmtpd_controller.Controller(
            Handler(), hostname="127.0.0.1", port=self.port,
            decode_data=False, enable_SMTPUTF8=smtputf8)
        self.controller.start()
        fresh(self)             # the controller's start-up probe

    def stop(self):
        self.controller.stop()


@pytest.fixture(scope="module")
def with_utf8():
    r = Utf8Recorder(True)
    yield r
    r.stop()


@pytest.fixture(scope="module")
def without_utf8():
    r = Utf8Recorder(False)
    yield r
    r.stop()


def send(rec, *args, dry_run=None):
    argv = smtpc_argv("send")
    if dry_run:
        argv += ["--dry-run", "-o", dry_run]
    else:
        argv += ["--server", "127.0.0.1:%d" % rec.port, "--tls", "none"]
    argv += list(args)
    cp = subprocess.run(argv, stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        timeout=60 * SLOW,
                        env={"LC_ALL": "C.UTF-8", "HOME": "/"})
    err = cp.stderr.decode("utf-8", "replace")
    assert_no_report(err, " ".join(argv))
    return cp.returncode, err


def fresh(rec):
    with rec.lock:
        rec.mails, rec.rcpts, rec.data, rec.sizes = [], [], [], []
    return rec


FROM = "Jörg Müller <jörg@bücher.example>"
TO = "Ünï Cöde <ünï@example.org>"


def test_utf8_local_part_sent_with_smtputf8(with_utf8):
    rec = fresh(with_utf8)
    rc, err = send(rec, "-f", FROM, "--to", TO, "-s", "Grüße",
                   "--text", "Hallo\n")
    assert rc == 0, err
    assert rec.mails == [("jörg@xn--bcher-kva.example", ["SMTPUTF8"])]
    assert rec.rcpts == ["ünï@example.org"]
    raw = rec.data[0]
    assert rec.sizes == [(len(raw), len(raw))]
    # RFC 6532: the addresses are raw UTF-8 in the header fields.
    assert "<jörg@xn--bcher-kva.example>".encode() in raw
    assert "<ünï@example.org>".encode() in raw
    for line in raw.split(b"\r\n")[:-1]:
        assert b"\n" not in line and len(line) <= 998
    m = email.message_from_bytes(raw, policy=email.policy.default)
    a = m["To"].addresses[0]
    assert a.display_name == "Ünï Cöde"
    assert a.addr_spec.encode("utf-8", "surrogateescape").decode() == \
        "ünï@example.org"
    assert str(m["Subject"]) == "Grüße"


def test_utf8_local_part_refused_without_smtputf8(without_utf8):
    rec = fresh(without_utf8)
    rc, err = send(rec, "-f", FROM, "--to", "bob@example.org",
                   "--text", "Hallo\n")
    assert rc == 65, err
    assert "SMTPUTF8" in err
    assert rec.mails == [] and rec.data == []   # before MAIL FROM


def test_utf8_only_in_reply_to(with_utf8, without_utf8):
    """Reply-To is not in the envelope, but its raw UTF-8 is in the
    header: the message still needs SMTPUTF8."""
    args = ("-f", "alice@example.org", "--to", "bob@example.org",
            "--reply-to", "Jörg <jörg@example.org>", "--text", "Hi\n")
    rec = fresh(with_utf8)
    rc, err = send(rec, *args)
    assert rc == 0, err
    assert rec.mails == [("alice@example.org", ["SMTPUTF8"])]
    rec = fresh(without_utf8)
    rc, err = send(rec, *args)
    assert rc == 65, err
    assert "SMTPUTF8" in err and "nothing was sent" in err
    assert rec.mails == []


def test_idn_domain_needs_no_smtputf8(without_utf8):
    rec = fresh(without_utf8)
    rc, err = send(rec, "-f", "Jörg <joerg@bücher.example>",
                   "--to", "taro@日本.example", "--text", "Hi\n")
    assert rc == 0, err
    assert rec.mails == [("joerg@xn--bcher-kva.example", [])]
    assert rec.rcpts == ["taro@xn--wgv71a.example"]
    assert b"\x80" not in bytes(b & 0x80 for b in rec.data[0]), \
        "an ASCII message"


def test_dry_run_writes_raw_utf8_address(tmp_path):
    out = str(tmp_path / "m.eml")
    rc, err = send(None, "-f", FROM, "--to", TO, "--text", "x\n",
                   dry_run=out)
    assert rc == 0, err
    raw = open(out, "rb").read()
    assert "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= " \
        "<jörg@xn--bcher-kva.example>\r\n".encode() in raw
