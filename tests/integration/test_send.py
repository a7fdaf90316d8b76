# SPDX-License-Identifier: ISC
"""The real smtpc binary against real servers on 127.0.0.1.

Each test runs `smtpc send` or `smtpc check` as a user would, then checks
what arrived with an independent parser (Python's email package with
policy=default; munpack for attachments) and compares every attachment
by SHA-256.  Exit codes are the contract of design.md ("The command line").
"""

import os
import re
import shutil
import socket
import subprocess
import time

import pytest

import testdata

import servers as srv
from conftest import (assert_nothing_delivered, parse, recorder, sha256,
                      skip_if_wrapped, wait_one)

USER = srv.USER
BOB = "bob@example.test"
CAROL = "carol@example.test"
DAVE = "dave@example.test"
SEED_TEXT = "Hello Bob,\n\nhere is the picture from the trip.\n"


def leaves(msg):
    return [p for p in msg.walk() if not p.is_multipart()]


def only(parts, ctype):
    found = [p for p in parts if p.get_content_type() == ctype]
    assert len(found) == 1, "want one %s, have %s" % (
        ctype, [p.get_content_type() for p in parts])
    return found[0]


def plain_text(msg):
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None, "no text/plain body"
    return body.get_content()


def header_block(raw):
    return raw.split(b"\r\n\r\n", 1)[0]


# -- sending: what arrives ---------------------------------------------

def test_seed_text_and_jpeg_through_postfix(smtpc, postfix, files):
    """The seed case: text + JPEG, STARTTLS + AUTH on a 587-style port."""
    jpg, data = files["photo.jpg"]
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "Trip photo", "--text", SEED_TEXT, "-a", jpg)
    assert r.rc == 0, r
    m = wait_one(postfix, "bob")
    assert m["Subject"] == "Trip photo"
    assert m["From"].addresses[0].addr_spec == USER
    assert [a.addr_spec for a in m["To"].addresses] == [BOB]
    assert plain_text(m) == SEED_TEXT
    img = only(leaves(m), "image/jpeg")
    assert sha256(img.get_content()) == sha256(data)
    assert img.get_filename() == "photo.jpg"
    # Submitted over TLS with authentication.
    assert "ESMTPSA" in m["Received"], m["Received"]
    # Postfix was told not to add these: they are smtpc's own.
    assert m["Date"] is not None and m["Message-ID"] is not None
    assert m["MIME-Version"] == "1.0"


def test_text_with_inline_image_follows_text(smtpc, postfix, files):
    jpg, data = files["photo.jpg"]
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "Inline", "--text", SEED_TEXT, "--inline", jpg)
    assert r.rc == 0, r
    m = wait_one(postfix, "bob")
    parts = leaves(m)
    assert [p.get_content_type() for p in parts] == ["text/plain",
                                                     "image/jpeg"]
    assert plain_text(m) == SEED_TEXT
    assert parts[1].get_content_disposition() == "inline"
    assert sha256(parts[1].get_content()) == sha256(data)


@pytest.mark.parametrize("cid", [None, "logo@smtpc.test"])
def test_html_with_inline_image_is_related(smtpc, postfix, files, cid):
    jpg, data = files["photo.jpg"]
    ref = cid or "photo.jpg"
    html = ('<html><body><p>Look:</p><img src="cid:%s" alt="photo">'
            '</body></html>\n' % ref)
    inline = jpg if cid is None else "%s;cid=%s" % (jpg, cid)
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "HTML", "--text", "Look (plain version)\n",
                  "--html", html, "--inline", inline)
    assert r.rc == 0, r
    m = wait_one(postfix, "bob")
    rel = [p for p in m.walk() if p.get_content_type() == "multipart/related"]
    assert len(rel) == 1, [p.get_content_type() for p in m.walk()]
    kids = leaves(rel[0])
    h = only(kids, "text/html")
    img = only(kids, "image/jpeg")
    assert h.get_content() == html
    refs = re.findall(r'cid:([^"\'>\s]+)', h.get_content())
    assert refs == [ref]
    assert img["Content-ID"] is not None
    assert img["Content-ID"].strip().strip("<>") == ref
    assert sha256(img.get_content()) == sha256(data)
    assert plain_text(m) == "Look (plain version)\n"
    alt = [p for p in m.walk()
           if p.get_content_type() == "multipart/alternative"]
    assert len(alt) == 1


def _munpack(raw, tmp):
    d = os.path.join(tmp, "munpack")
    os.makedirs(d)
    src = os.path.join(tmp, "msg.eml")
    with open(src, "wb") as f:
        f.write(raw)
    subprocess.run(["munpack", "-q", "-C", d, src], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = {}
    for n in os.listdir(d):
        if n.endswith(".desc") or n == "tempdesc.txt":
            continue
        with open(os.path.join(d, n), "rb") as f:
            out[n] = f.read()
    return out


def test_pdf_and_audio_attachments(smtpc, postfix, files, tmp_path):
    pdf, pdf_data = files["report.pdf"]
    wav, wav_data = files["sound.wav"]
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "Report and sound", "--text", "Two files.\n",
                  "-a", pdf, "-a", wav)
    assert r.rc == 0, r
    raw = postfix.wait_messages("bob", 1, 30)
    assert len(raw) == 1
    m = parse(raw[0])
    parts = leaves(m)
    p = only(parts, "application/pdf")
    assert p.get_filename() == "report.pdf"
    assert p.get_content_disposition() == "attachment"
    assert sha256(p.get_content()) == sha256(pdf_data)
    w = [x for x in parts if x.get_content_maintype() == "audio"]
    assert len(w) == 1, [x.get_content_type() for x in parts]
    assert w[0].get_content_type() in ("audio/wav", "audio/x-wav",
                                       "audio/wave", "audio/vnd.wave")
    assert w[0].get_filename() == "sound.wav"
    assert sha256(w[0].get_content()) == sha256(wav_data)
    # A second, independent decoder.
    got = _munpack(raw[0], str(tmp_path))
    assert sha256(got.get("report.pdf", b"")) == sha256(pdf_data), \
        sorted(got)
    assert sha256(got.get("sound.wav", b"")) == sha256(wav_data), sorted(got)


def test_attachment_type_and_name_override(smtpc, postfix, files):
    path, data = files["chart.png"]
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "Override", "--text", "x\n",
                  "-a", "%s;type=application/x-smtpc-test;name=data 2026.bin"
                  % path)
    assert r.rc == 0, r
    m = wait_one(postfix, "bob")
    p = only(leaves(m), "application/x-smtpc-test")
    assert p.get_filename() == "data 2026.bin"
    assert sha256(p.get_content()) == sha256(data)


def test_large_binary_attachment(smtpc, postfix, files):
    """3 MiB of every byte value: streaming base64 across chunk edges."""
    path, data = files["random.bin"]
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "Big", "--text", "big\n", "-a", path, timeout=120)
    assert r.rc == 0, r
    m = wait_one(postfix, "bob", timeout=60)
    p = only(leaves(m), "application/octet-stream")
    assert p.get_filename() == "random.bin"
    got = p.get_content()
    assert len(got) == len(data)
    assert sha256(got) == sha256(data)


def test_awkward_text_arrives_exactly(smtpc, postfix):
    """Dot-stuffing, long lines, trailing blanks, non-ASCII, 'From '."""
    text = ("first\n"
            ".\n"
            "..two dots\n"
            ".leading dot\n"
            "From the start of a line\n"
            "trailing blanks   \n"
            "tab\tinside\n"
            + "long " * 300 + "end\n"
            "Grüße, 日本語, ✓\n"
            "=3D and =?utf-8?q?not-a-word?=\n"
            "last line\n")
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "Awkward", "--text", text)
    assert r.rc == 0, r
    m = wait_one(postfix, "bob")
    assert plain_text(m) == text


def test_non_ascii_subject_and_names(smtpc, postfix):
    subject = "Grüße aus Köln — 日本語のテスト, with a long tail " * 2
    subject = subject.strip()
    r = smtpc.run("send", *smtpc.postfix(), "-f",
                  "Zoë Ünïcode <%s>" % USER,
                  "--to", "Bob Example <%s>" % BOB,
                  "-s", subject, "--text", "ü\n")
    assert r.rc == 0, r
    m = wait_one(postfix, "bob")
    assert m["Subject"] == subject
    a = m["From"].addresses[0]
    assert a.addr_spec == USER
    assert a.display_name == "Zoë Ünïcode"
    assert m["To"].addresses[0].display_name == "Bob Example"
    assert plain_text(m) == "ü\n"


def test_custom_header(smtpc, postfix):
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "Hdr", "--text", "x\n",
                  "-H", "X-Smtpc-Test: yes 123")
    assert r.rc == 0, r
    m = wait_one(postfix, "bob")
    assert m["X-Smtpc-Test"] == "yes 123"


def test_text_from_stdin(smtpc, postfix):
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "Stdin", "--text-file", "-",
                  stdin=SEED_TEXT.encode())
    assert r.rc == 0, r
    assert plain_text(wait_one(postfix, "bob")) == SEED_TEXT


def test_text_file(smtpc, postfix, files):
    path, data = files["body.txt"]
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "File", "--text-file", path)
    assert r.rc == 0, r
    assert plain_text(wait_one(postfix, "bob")) == data.decode()


def test_every_recipient_gets_one_copy(smtpc, postfix):
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-c", CAROL, "-b", DAVE, "-s", "Three", "--text", "3\n")
    assert r.rc == 0, r
    for u, addr in (("bob", BOB), ("carol", CAROL), ("dave", DAVE)):
        m = wait_one(postfix, u)
        assert m["Delivered-To"] == addr
        assert m["Bcc"] is None
    m = wait_one(postfix, "carol")
    assert [a.addr_spec for a in m["Cc"].addresses] == [CAROL]


def test_bcc_is_hidden_on_the_wire(smtpc, servers):
    """Postfix strips Bcc itself, so look at the raw bytes aiosmtpd got."""
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "--to", BOB,
                  "-c", CAROL, "-b", DAVE, "-s", "Bcc test",
                  "--text", "secret list\n")
    assert r.rc == 0, r
    assert len(rec.messages) == 1
    msg = rec.messages[0]
    assert sorted(msg["rcpt_tos"]) == sorted([BOB, CAROL, DAVE])
    assert msg["mail_from"] == USER
    raw = msg["data"]
    assert not re.search(rb"(?im)^bcc\s*:", header_block(raw)), raw[:2000]
    assert DAVE.encode() not in raw
    m = parse(raw)
    assert [a.addr_spec for a in m["Cc"].addresses] == [CAROL]
    # Every line the client sent ends in CRLF.
    assert b"\n" not in raw.replace(b"\r\n", b"")


@pytest.mark.parametrize("form", ["--tls implicit", "smtps://"])
def test_implicit_tls_with_auth(smtpc, servers, files, form):
    rec = recorder(servers, "implicit")
    jpg, data = files["photo.jpg"]
    if form == "smtps://":
        server = ["--server", "smtps://127.0.0.1:%d" % rec.port,
                  "--cafile", servers.pki.ca, "-u", USER,
                  "--password-file", servers.password_file()]
    else:
        server = smtpc.server(rec.port, tls="implicit")
    r = smtpc.run("send", *server, "-f", USER, "--to", BOB,
                  "-s", "Implicit", "--text", SEED_TEXT, "-a", jpg)
    assert r.rc == 0, r
    assert rec.auth_ok == [True]
    assert len(rec.messages) == 1
    m = parse(rec.messages[0]["data"])
    assert plain_text(m) == SEED_TEXT
    assert sha256(only(leaves(m), "image/jpeg").get_content()) == \
        sha256(data)
    assert "STARTTLS" not in rec.command_names()


def test_server_name_localhost_verifies(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", "--server", "localhost:%d" % rec.port,
                  "--tls", "starttls", "--cafile", servers.pki.ca,
                  "-u", USER, "--password-file", servers.password_file(),
                  "-f", USER, "--to", BOB, "-s", "localhost",
                  "--text", "x\n")
    assert r.rc == 0, r
    assert len(rec.messages) == 1


def test_password_from_environment(smtpc, servers):
    rec = recorder(servers, "implicit")
    r = smtpc.run("send", "--server", "127.0.0.1:%d" % rec.port,
                  "--tls", "implicit", "--cafile", servers.pki.ca,
                  "-u", USER, "-f", USER, "--to", BOB, "-s", "env",
                  "--text", "x\n", env={"SMTPC_PASSWORD": srv.PASSWORD})
    assert r.rc == 0, r
    assert rec.auth_ok == [True]
    assert srv.PASSWORD not in " ".join(r.args)


def test_plain_relay_without_tls_or_auth(smtpc, servers):
    rec = recorder(servers, "plain")
    r = smtpc.run("send", *smtpc.server(rec.port, tls="none", ca=False,
                                        auth=False),
                  "-f", USER, "--to", BOB, "-s", "plain", "--text", "x\n")
    assert r.rc == 0, r
    assert len(rec.messages) == 1
    assert "STARTTLS" not in rec.command_names()
    assert "AUTH" not in rec.command_names()


# -- transcript, dry run, check ------------------------------------------

@pytest.mark.parametrize("where", ["postfix", "aiosmtpd"])
@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_verbose_transcript_masks_secrets(smtpc, servers, where, mech):
    if where == "postfix":
        servers.postfix.clear()
        server = smtpc.postfix()
    else:
        rec = recorder(servers, "implicit")
        server = smtpc.server(rec.port, tls="implicit")
    r = smtpc.run("send", *server, "--auth", mech, "-v", "-f", USER,
                  "--to", BOB, "-s", "Verbose", "--text", "v\n")
    assert r.rc == 0, r
    err = r.err
    assert re.search(r"(?i)\bEHLO\b", err), r
    assert re.search(r"(?i)AUTH %s" % mech, err), r
    assert "****" in err, r
    assert "235" in err, r
    raw_err = err.encode()
    for secret in srv.secret_forms():
        assert secret not in raw_err, "secret leaked: %r" % secret
    if where == "postfix":
        assert re.search(r"(?i)STARTTLS", err), r
    else:
        assert rec.auth_ok == [True]


def test_dry_run_prints_and_connects_nowhere(smtpc, servers, files):
    rec = recorder(servers, "starttls")
    jpg, data = files["photo.jpg"]
    r = smtpc.run("send", *smtpc.server(rec.port), "--dry-run",
                  "-f", USER, "--to", BOB, "-s", "Dry", "--text", SEED_TEXT,
                  "-a", jpg)
    assert r.rc == 0, r
    time.sleep(0.3)
    assert rec.connections == 0
    m = parse(r.out)
    assert m["Subject"] == "Dry"
    assert plain_text(m) == SEED_TEXT
    assert sha256(only(leaves(m), "image/jpeg").get_content()) == \
        sha256(data)


@pytest.mark.parametrize("dry", [True, False])
def test_output_file_sends_nothing(smtpc, servers, tmp_path, dry):
    rec = recorder(servers, "starttls")
    out = tmp_path / "out.eml"
    r = smtpc.run("send", *smtpc.server(rec.port),
                  *(["--dry-run"] if dry else []),
                  "-o", str(out), "-f", USER, "--to", BOB, "-s", "To file",
                  "--text", SEED_TEXT)
    assert r.rc == 0, r
    time.sleep(0.3)
    assert rec.connections == 0
    m = parse(out.read_bytes())
    assert m["Subject"] == "To file"
    assert plain_text(m) == SEED_TEXT


def test_check_shows_tls_capabilities_and_auth(smtpc, postfix):
    r = smtpc.run("check", *smtpc.postfix())
    assert r.rc == 0, r
    text = r.out.decode("utf-8", "replace") + "\n" + r.err
    assert re.search(r"TLS\s*v?1\.[23]", text), r
    assert re.search(r"PIPELINING|SIZE|8BITMIME", text), r
    assert re.search(r"auth\w*\W.{0,60}(ok|succe|accept|235)", text,
                     re.I | re.S), r
    for secret in srv.secret_forms():
        assert secret not in r.err.encode() + r.out
    assert_nothing_delivered(postfix, settle=0.5)


def test_check_wrong_password(smtpc, servers, tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("wrong password\n")
    r = smtpc.run("check", "--server",
                  "127.0.0.1:%d" % servers.postfix.port,
                  "--tls", "starttls", "--cafile", servers.pki.ca,
                  "-u", USER, "--password-file", str(bad))
    assert r.rc == 77, r


# -- failures and their exit codes ---------------------------------------

@pytest.mark.parametrize("where", ["postfix", "aiosmtpd"])
def test_wrong_password_is_77(smtpc, servers, tmp_path, where):
    bad = tmp_path / "bad"
    bad.write_text("not " + srv.PASSWORD + "\n")
    if where == "postfix":
        servers.postfix.clear()
        port, tls = servers.postfix.port, "starttls"
    else:
        rec = recorder(servers, "implicit")
        port, tls = rec.port, "implicit"
    r = smtpc.run("send", "--server", "127.0.0.1:%d" % port, "--tls", tls,
                  "--cafile", servers.pki.ca, "-u", USER,
                  "--password-file", str(bad), "-f", USER, "--to", BOB,
                  "-s", "bad pw", "--text", "x\n")
    assert r.rc == 77, r
    if where == "postfix":
        assert_nothing_delivered(servers.postfix, settle=1.0)
    else:
        assert rec.auth_ok and not any(rec.auth_ok)
        assert rec.messages == []
        assert "MAIL" not in rec.command_names()


def test_untrusted_certificate_is_76(smtpc, servers):
    """No --cafile: the throwaway CA is not in the system store."""
    servers.postfix.clear()
    r = smtpc.run("send", *smtpc.postfix(ca=False), "-f", USER, "--to", BOB,
                  "-s", "untrusted", "--text", "x\n")
    assert r.rc == 76, r
    assert_nothing_delivered(servers.postfix, settle=1.0)


def test_certificate_from_unknown_ca_is_76(smtpc, servers):
    rec = recorder(servers, "rogue")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "--to", BOB,
                  "-s", "rogue", "--text", "x\n")
    assert r.rc == 76, r
    names = rec.command_names()
    assert "AUTH" not in names and "MAIL" not in names, names
    assert rec.messages == []


def test_insecure_accepts_unknown_ca_and_says_so(smtpc, servers):
    rec = recorder(servers, "rogue")
    r = smtpc.run("send", *smtpc.server(rec.port, ca=False), "--insecure",
                  "-f", USER, "--to", BOB, "-s", "insecure", "--text", "x\n")
    assert r.rc == 0, r
    assert len(rec.messages) == 1
    assert re.search(r"insecure|not verif|unverified|no verif", r.err,
                     re.I), r


@pytest.mark.parametrize("tls", ["starttls", None])
def test_starttls_not_offered_is_76(smtpc, servers, tls):
    """--tls starttls (and the default) means required, never skipped."""
    rec = recorder(servers, "plain")
    args = ["--server", "127.0.0.1:%d" % rec.port, "--cafile",
            servers.pki.ca, "-u", USER, "--password-file",
            servers.password_file()]
    if tls:
        args += ["--tls", tls]
    r = smtpc.run("send", *args, "-f", USER, "--to", BOB,
                  "-s", "no starttls", "--text", "x\n")
    assert r.rc == 76, r
    names = rec.command_names()
    assert rec.connections == 1
    assert "AUTH" not in names, names
    assert "MAIL" not in names, names
    assert rec.messages == []


def test_starttls_not_offered_by_postfix_is_76(smtpc, servers):
    servers.postfix.clear()
    r = smtpc.run("send", *smtpc.server(servers.postfix.plain_port),
                  "-f", USER, "--to", BOB, "-s", "no starttls",
                  "--text", "x\n")
    assert r.rc == 76, r
    assert_nothing_delivered(servers.postfix, settle=1.0)


@pytest.mark.parametrize("opt", ["-a", "--inline", "--text-file",
                                 "--html-file"])
def test_missing_input_file_is_66_before_connecting(smtpc, servers, opt,
                                                    tmp_path):
    rec = recorder(servers, "starttls")
    missing = str(tmp_path / "no-such-file.pdf")
    extra = [opt, missing]
    if opt != "--text-file":
        extra = ["--text", "x\n"] + extra
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "--to", BOB,
                  "-s", "missing", *extra)
    assert r.rc == 66, r
    time.sleep(0.3)
    assert rec.connections == 0


@pytest.mark.parametrize("rcode,rc", [(3, 68), (2, 75)],
                         ids=["nxdomain-68", "servfail-75"])
def test_unknown_host_is_68(smtpc, servers, rcode, rc):
    """A name that does not exist is 68; a resolver that fails (SERVFAIL:
    getaddrinfo says EAI_AGAIN) is a temporary failure, 75."""
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "--mount", "true"]).returncode != 0:
        pytest.skip("needs unshare --mount (root) for a private resolver")
    try:
        dns = srv.NxDomainDns(smtpc.tmp, rcode=rcode)
    except OSError as e:
        pytest.skip("cannot bind 127.0.0.1:53: %s" % e)
    dns.start()
    try:
        wrap = ["unshare", "--mount", "sh", "-c",
                'mount --bind "$0" /etc/resolv.conf && exec "$@"',
                dns.resolv_conf()]
        # Not a reserved name (.invalid, .test): a client may refuse those
        # without asking DNS, and this test wants the real lookup.
        r = smtpc.run("send", "--server", "mail.no-such-host-smtpc.net:587",
                      "--tls", "starttls", "--cafile", servers.pki.ca,
                      "-u", USER, "--password-file", servers.password_file(),
                      "-f", USER, "--to", BOB, "-s", "nx", "--text", "x\n",
                      wrap=wrap)
    finally:
        dns.stop()
    assert r.rc == rc, r
    assert "smtpc: connect: cannot resolve mail.no-such-host-smtpc.net" in \
        r.err, r
    assert dns.queries >= 1


def test_silent_resolver_is_75_within_timeout(smtpc, servers):
    """A resolver that never answers: --timeout bounds the name lookup as
    it bounds the connect, instead of the resolver's own retries."""
    from conftest import SLOW   # a wrapper (valgrind) starts slower
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "--mount", "true"]).returncode != 0:
        pytest.skip("needs unshare --mount (root) for a private resolver")
    try:
        dns = srv.SilentDns(smtpc.tmp)
    except OSError as e:
        pytest.skip("cannot bind 127.0.0.1:53: %s" % e)
    dns.start()
    try:
        wrap = ["unshare", "--mount", "sh", "-c",
                'mount --bind "$0" /etc/resolv.conf && exec "$@"',
                dns.resolv_conf()]
        t0 = time.monotonic()
        r = smtpc.run("send", "--server", "mail.no-such-host-smtpc.net:587",
                      "--timeout", "2", "--tls", "starttls",
                      "--cafile", servers.pki.ca, "-u", USER,
                      "--password-file", servers.password_file(),
                      "-f", USER, "--to", BOB, "-s", "silent",
                      "--text", "x\n", wrap=wrap)
        elapsed = time.monotonic() - t0
    finally:
        dns.stop()
    assert r.rc == 75, r
    assert "smtpc: connect: cannot resolve mail.no-such-host-smtpc.net: " \
        "timed out after 2 s" in r.err, r
    assert elapsed < 2 + 1.5 * SLOW, elapsed
    assert dns.queries >= 1


@pytest.mark.parametrize("extra", [[], ["--no-chunking"]],
                         ids=["bdat", "pipelined-data"])
def test_refused_recipient_at_postfix_is_69(smtpc, postfix, extra):
    """With BDAT nothing of the message has started: RSET.  Without it,
    DATA went in the same write as the RCPTs and Postfix took it for bob:
    smtpc hangs up before the end of the data and Postfix drops it."""
    with open(postfix.log, "rb") as f:
        f.seek(0, os.SEEK_END)
        log_start = f.tell()
    r = smtpc.run("send", *smtpc.postfix(), "-v", "-f", USER, "--to", BOB,
                  "--to", "nobody@example.test", "-s", "refused",
                  "--text", "x\n", *extra)
    assert r.rc == 69, r
    assert "nobody@example.test" in r.err, r
    assert_nothing_delivered(postfix)
    if extra:
        assert re.search(r"^-> DATA$", r.err, re.M), r
        assert "-> RSET" not in r.err, r
        # Postfix logs through postlogd: give a loaded machine time.
        deadline = time.monotonic() + 15
        while True:
            with open(postfix.log, "rb") as f:
                f.seek(log_start)
                log = f.read().decode("utf-8", "replace")
            if "lost connection after DATA" in log or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert "lost connection after DATA" in log, log
    else:
        assert "-> RSET" in r.err, r


def test_refused_recipient_at_aiosmtpd_is_69(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER,
                  "--to", "reject-me@example.test", "-c", CAROL,
                  "-s", "refused", "--text", "x\n")
    assert r.rc == 69, r
    assert "reject-me@example.test" in r.err, r
    assert rec.messages == []


def test_temporary_refusal_is_75(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER,
                  "--to", "tempfail@example.test", "-s", "4xx",
                  "--text", "x\n")
    assert r.rc == 75, r
    assert rec.messages == []


def test_connection_refused_is_75(smtpc, servers):
    port = srv.free_port()
    r = smtpc.run("send", *smtpc.server(port), "-f", USER, "--to", BOB,
                  "-s", "refused", "--text", "x\n")
    assert r.rc == 75, r


def test_silent_server_times_out_with_75(smtpc, servers):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(5)            # the kernel accepts; nobody ever speaks
        port = s.getsockname()[1]
        t0 = time.monotonic()
        r = smtpc.run("send", *smtpc.server(port), "--timeout", "2",
                      "-f", USER, "--to", BOB, "-s", "slow", "--text", "x\n",
                      timeout=30)
        elapsed = time.monotonic() - t0
    assert r.rc == 75, r
    assert elapsed < 15, elapsed


def test_unknown_option_is_64(smtpc):
    r = smtpc.run("send", "--no-such-option")
    assert r.rc == 64, r


def test_bad_address_is_65_before_connecting(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER,
                  "--to", "bob@@example.test", "-s", "bad", "--text", "x\n")
    assert r.rc == 65, r
    assert rec.connections == 0


def test_header_injection_is_refused_before_connecting(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "--to", BOB,
                  "-s", "inject", "--text", "x\n",
                  "-H", "X-A: b\r\nBcc: evil@example.test")
    assert r.rc in (64, 65), r
    assert rec.connections == 0


def test_subject_injection_is_refused_or_neutralised(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "--to", BOB,
                  "-s", "hi\r\nBcc: evil@example.test", "--text", "x\n")
    if r.rc == 0:
        raw = rec.messages[0]["data"]
        assert not re.search(rb"(?im)^bcc\s*:", header_block(raw)), raw
        assert sorted(rec.messages[0]["rcpt_tos"]) == [BOB]
    else:
        assert r.rc in (64, 65), r
        assert rec.connections == 0


def test_version_and_help(smtpc):
    r = smtpc.run("--version")
    assert r.rc == 0, r
    assert re.search(rb"\d+\.\d+", r.out), r
    r = smtpc.run("--help")
    assert r.rc == 0, r
    assert b"send" in r.out, r


# -- more composition ----------------------------------------------------

def test_non_ascii_attachment_name(smtpc, postfix, files, tmp_path):
    name = "Grüße résumé 日本.pdf"
    p = tmp_path / name
    data = files["report.pdf"][1]
    p.write_bytes(data)
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "name", "--text", "x\n", "-a", str(p))
    assert r.rc == 0, r
    m = wait_one(postfix, "bob")
    part = only(leaves(m), "application/pdf")
    assert part.get_filename() == name
    assert sha256(part.get_content()) == sha256(data)


def test_type_guessed_from_content_without_extension(smtpc, servers, files,
                                                     tmp_path):
    rec = recorder(servers, "starttls")
    pdf = tmp_path / "report"
    pdf.write_bytes(files["report.pdf"][1])
    jpg = tmp_path / "picture"
    jpg.write_bytes(files["photo.jpg"][1])
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "--to", BOB,
                  "-s", "magic", "--text", "x\n", "-a", str(pdf),
                  "-a", str(jpg))
    assert r.rc == 0, r
    m = parse(rec.messages[0]["data"])
    types = {p.get_filename(): p.get_content_type() for p in leaves(m)
             if p.get_filename()}
    assert types == {"report": "application/pdf", "picture": "image/jpeg"}


def test_empty_attachment(smtpc, servers, tmp_path):
    rec = recorder(servers, "starttls")
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "--to", BOB,
                  "-s", "empty", "--text", "x\n", "-a", str(empty))
    assert r.rc == 0, r
    m = parse(rec.messages[0]["data"])
    p = [x for x in leaves(m) if x.get_filename() == "empty.bin"]
    assert len(p) == 1
    assert p[0].get_content() == b""


def test_positional_recipients_and_reply_to(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER,
                  "--reply-to", "Replies <replies@example.test>",
                  "-s", "positional", "--text", "x\n", BOB, CAROL)
    assert r.rc == 0, r
    msg = rec.messages[0]
    assert sorted(msg["rcpt_tos"]) == sorted([BOB, CAROL])
    m = parse(msg["data"])
    assert sorted(a.addr_spec for a in m["To"].addresses) == \
        sorted([BOB, CAROL])
    assert m["Reply-To"].addresses[0].addr_spec == "replies@example.test"


# -- bounded memory -------------------------------------------------------

_RSS = ("import resource, subprocess, sys\n"
        "r = subprocess.call(sys.argv[2:], stdout=open(sys.argv[1], 'wb'))\n"
        "sys.stderr.write('\\nmaxrss=%d\\n' % "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(r)\n")


def _sanitized(path):
    out = subprocess.run(["ldd", path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout
    return b"libasan" in out or b"libubsan" in out


def _maxrss_kb(result):
    m = re.findall(r"maxrss=(\d+)", result.err)
    assert m, result
    return int(m[-1])


def _big(tmp_path, name, mib):
    p = tmp_path / name
    with open(p, "wb") as f:
        for i in range(mib):
            f.write(testdata.make_random(1 << 20, seed=i))
    return str(p)


def test_memory_does_not_grow_with_attachment(smtpc, servers, tmp_path):
    """Peak RSS for 16 MiB and 64 MiB attachments differs by little.

    (Both sizes are above what libmagic reads to guess a type -- up to
    7 MiB by default -- so that part of the peak is the same for both.)"""
    if _sanitized(smtpc.bin):
        pytest.skip("RSS is meaningless under ASan")
    skip_if_wrapped("peak RSS is the tool's, not smtpc's")
    wrap = ["/usr/bin/python3", "-c", _RSS, "/dev/null"]
    rss = []
    for name, mib in (("small.bin", 16), ("large.bin", 64)):
        path = _big(tmp_path, name, mib)
        r = smtpc.run("send", "--dry-run", "-f", USER, "--to", BOB,
                      "-s", "rss", "--text", "x\n", "-a", path, wrap=wrap,
                      timeout=120)
        assert r.rc == 0, r
        rss.append(_maxrss_kb(r))
        os.unlink(path)
    assert rss[1] - rss[0] < 4 * 1024, "peak RSS %s KiB -> %s KiB" % tuple(
        rss)


def test_memory_bounded_while_sending(smtpc, servers, tmp_path):
    if _sanitized(smtpc.bin):
        pytest.skip("RSS is meaningless under ASan")
    skip_if_wrapped("peak RSS is the tool's, not smtpc's")
    rec = recorder(servers, "starttls")
    path = _big(tmp_path, "send.bin", 32)
    wrap = ["/usr/bin/python3", "-c", _RSS, "/dev/null"]
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "--to", BOB,
                  "-s", "rss", "--text", "x\n",
                  "-a", path + ";type=application/octet-stream",
                  wrap=wrap, timeout=120)
    assert r.rc == 0, r
    assert len(rec.messages) == 1
    assert _maxrss_kb(r) < 32 * 1024, "peak RSS %d KiB" % _maxrss_kb(r)
    got = parse(rec.messages[0]["data"])
    part = only(leaves(got), "application/octet-stream")
    with open(path, "rb") as f:
        assert sha256(part.get_content()) == sha256(f.read())
    rec.reset()


# -- more options ----------------------------------------------------------

def test_password_command(smtpc, servers):
    rec = recorder(servers, "implicit")
    r = smtpc.run("send", "--server", "127.0.0.1:%d" % rec.port,
                  "--tls", "implicit", "--cafile", servers.pki.ca,
                  "-u", USER, "--password-cmd",
                  "cat '%s'" % servers.password_file(),
                  "-f", USER, "--to", BOB, "-s", "cmd", "--text", "x\n")
    assert r.rc == 0, r
    assert rec.auth_ok == [True]


def test_failing_password_command_sends_no_auth(smtpc, servers):
    rec = recorder(servers, "implicit")
    r = smtpc.run("send", "--server", "127.0.0.1:%d" % rec.port,
                  "--tls", "implicit", "--cafile", servers.pki.ca,
                  "-u", USER, "--password-cmd", "exit 3",
                  "-f", USER, "--to", BOB, "-s", "cmd", "--text", "x\n")
    assert r.rc == 78, r
    assert "smtpc: --password-cmd failed (exit status 3)" in r.err, r
    assert "AUTH" not in rec.command_names()
    assert rec.messages == []


def test_allow_partial_delivers_to_the_accepted(smtpc, postfix):
    r = smtpc.run("send", *smtpc.postfix(), "--allow-partial", "-f", USER,
                  "--to", BOB, "--to", "nobody@example.test",
                  "-s", "partial", "--text", "x\n")
    assert r.rc in (0, 69), r
    assert "nobody@example.test" in r.err, r
    m = wait_one(postfix, "bob")
    assert m["Subject"] == "partial"


def test_helo_name(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "--helo",
                  "client.example.test", "-f", USER, "--to", BOB,
                  "-s", "helo", "--text", "x\n")
    assert r.rc == 0, r
    with rec.lock:
        ehlo = [c for _n, c in rec.commands if c.upper().startswith("EHLO")]
    assert ehlo and all(c.split()[1] == "client.example.test" for c in ehlo)


def test_quiet_prints_nothing_on_success(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-q", "-f", USER,
                  "--to", BOB, "-s", "quiet", "--text", "x\n")
    assert r.rc == 0, r
    assert r.err == "" and r.out == b"", r


def test_html_from_stdin_only(smtpc, servers):
    rec = recorder(servers, "starttls")
    html = "<p>only <b>HTML</b> here</p>\n"
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "--to", BOB,
                  "-s", "html only", "--html-file", "-",
                  stdin=html.encode())
    assert r.rc == 0, r
    m = parse(rec.messages[0]["data"])
    assert m.get_body(preferencelist=("html",)).get_content() == html


def test_crlf_text_file_arrives_as_lines(smtpc, postfix, tmp_path):
    """A Windows text file: CRLF in, the same lines out (Postfix refuses
    any bare LF on the wire, so this also checks the line endings)."""
    p = tmp_path / "dos.txt"
    p.write_bytes(b"line one\r\nline two\r\n\r\n.dot\r\nend\r\n")
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", BOB,
                  "-s", "crlf", "--text-file", str(p))
    assert r.rc == 0, r
    m = wait_one(postfix, "bob")
    assert plain_text(m) == "line one\nline two\n\n.dot\nend\n"


def test_auth_in_the_clear_only_with_tls_none_and_a_warning(smtpc, servers):
    """The issue's rule: AUTH never crosses a plain connection unless
    --tls none was chosen.  When it was, the password goes out (a trusted
    relay) but the user is told, loudly, on stderr."""
    rec = recorder(servers, "plain")    # offers AUTH without TLS
    r = smtpc.run("send", *smtpc.server(rec.port, tls="none", ca=False),
                  "-f", USER, "--to", BOB, "-s", "clear", "--text", "x\n")
    assert r.rc == 0, r
    assert "unencrypted" in r.err, r
    assert "AUTH" in rec.command_names()
    # Without --tls none the same server is refused before any AUTH.
    rec2 = recorder(servers, "plain")
    r2 = smtpc.run("send", *smtpc.server(rec2.port, ca=False),
                   "-f", USER, "--to", BOB, "-s", "clear", "--text", "x\n")
    assert r2.rc == 76, r2
    assert "AUTH" not in rec2.command_names()


def test_long_unbreakable_subject(smtpc, servers):
    rec = recorder(servers, "starttls")
    subject = "x" * 1200 + " tail"
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "--to", BOB,
                  "-s", subject, "--text", "x\n")
    assert r.rc == 0, r
    raw = rec.messages[0]["data"]
    assert max(len(l) for l in raw.split(b"\r\n")) <= 998
    assert parse(raw)["Subject"] == subject


def test_display_names_with_specials(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port),
                  "-f", '"Doe, John (work)" <%s>' % USER,
                  "--to", '"Zoë, Ünïcode" <%s>' % BOB,
                  "-c", '"Say \\"hi\\"" <%s>' % CAROL,
                  "-s", "names", "--text", "x\n")
    assert r.rc == 0, r
    m = parse(rec.messages[0]["data"])
    frm = m["From"].addresses
    assert len(frm) == 1 and frm[0].addr_spec == USER
    assert frm[0].display_name == "Doe, John (work)"
    to = m["To"].addresses
    # One address, not two: the comma is inside the name.  (Python's
    # parser may put a space between adjacent encoded-words.)
    assert len(to) == 1 and to[0].addr_spec == BOB, m["To"]
    assert to[0].display_name.replace(" ", "") == "Zoë,Ünïcode"
    cc = m["Cc"].addresses
    assert len(cc) == 1 and cc[0].display_name == 'Say "hi"'
    assert sorted(rec.messages[0]["rcpt_tos"]) == sorted([BOB, CAROL])
