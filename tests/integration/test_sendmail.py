# SPDX-License-Identifier: ISC
"""smtpc sendmail: a ready message on standard input, sent through an
account of the configuration file (never server options), as programs
that hand mail to sendmail expect.

"sub" is the test Postfix's submission port (STARTTLS and AUTH); "rec"
is the aiosmtpd recorder in starttls mode, which keeps the raw bytes and
the commands.  smtpc.run sets HOME to the test's tmp_path.
"""

import json
import os
import re
import subprocess

import pytest

import servers as srv
from conftest import assert_nothing_delivered, parse, recorder, \
    smtpc_path, wait_one
from scripted import ScriptedServer

USER = srv.USER
BOB = "bob@example.test"
CAROL = "carol@example.test"
DAVE = "dave@example.test"


def config(smtpc, servers, extra=""):
    pw = smtpc.s.password_file()
    rec = servers.recorders["starttls"]
    return """\
defaults
tls on
tls_starttls on
tls_trust_file {ca}
auth on
user {user}
passwordeval cat {pw}
timeout 30

account sub
host 127.0.0.1
port {port}
from {user}

account rec
host 127.0.0.1
port {rport}
from {user}
{extra}
account default : sub
""".format(ca=smtpc.s.pki.ca, port=servers.postfix.port, rport=rec.port,
           user=USER, pw=pw, extra=extra)


def write_config(smtpc, servers, tmp_path, extra=""):
    p = tmp_path / "smtpc.conf"
    p.write_text(config(smtpc, servers, extra))
    os.chmod(p, 0o600)
    return str(p)


def via_rec(smtpc, servers, tmp_path, *args, stdin, extra=""):
    """sendmail through the recorder's account: (recorder, result)."""
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path, extra)
    return rec, smtpc.run("sendmail", "-C", cfg, "-a", "rec", *args,
                          stdin=stdin)


MSG = (b"From: Alice <alice@example.test>\n"
       b"To: Bob <bob@example.test>\n"
       b"Cc: carol@example.test\n"
       b"Bcc: dave@example.test\n"
       b"Subject: ready\n"
       b"\n"
       b"hello\n"
       b".\n"
       b"..two dots\n")


def test_t_through_postfix_bcc_gone(smtpc, postfix, servers, tmp_path):
    """-t -i: To, Cc and Bcc receive it; the Bcc field is gone; the
    body's lone dot is kept (input ends at end of file)."""
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-t", "-i", stdin=MSG)
    assert r.rc == 0, r
    for u in ("bob", "carol", "dave"):
        m = wait_one(postfix, u)
        assert m["Subject"] == "ready"
        assert m["Bcc"] is None
        assert m.get_content() == "hello\n.\n..two dots\n"
        assert m["Date"] is not None and m["Message-ID"] is not None


def test_raw_bytes_on_the_wire(smtpc, servers, tmp_path):
    """The recorder's raw bytes: CRLF, no Bcc, headers untouched, the
    added Date and Message-ID; the envelope from the account."""
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "--account", "rec", "-oi", "-t",
                  "-v", stdin=MSG)
    assert r.rc == 0, r
    assert "-> MAIL FROM:<%s>" % USER in r.err, r
    assert len(rec.messages) == 1
    m = rec.messages[0]
    data = m["data"]
    assert b"Bcc" not in data and b"dave" not in data
    assert b"To: Bob <bob@example.test>\r\n" in data
    assert b"\r\nhello\r\n.\r\n..two dots\r\n" in data
    assert b"\r\nDate: " in b"\r\n" + data
    assert sorted(m["rcpt_tos"]) == [BOB, CAROL, DAVE]
    assert m["mail_from"] == USER


def test_command_line_and_t_both(smtpc, servers, tmp_path):
    """Postfix's rule: with -t, the command line's recipients are added
    to the message's, not removed from them."""
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "-t", "--", DAVE,
                  stdin=b"To: bob@example.test\nSubject: x\n\nhi\n")
    assert r.rc == 0, r
    assert sorted(rec.messages[0]["rcpt_tos"]) == [BOB, DAVE]


def test_without_t_only_the_command_line(smtpc, servers, tmp_path):
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", CAROL,
                  stdin=b"To: bob@example.test\nSubject: x\n\nhi\n")
    assert r.rc == 0, r
    assert rec.messages[0]["rcpt_tos"] == [CAROL]


def test_t_resent_fields(smtpc, servers, tmp_path):
    """A resent message: -t takes Resent-To/Cc/Bcc only; Resent-Bcc is
    removed; Resent-Date and Resent-Message-ID are added."""
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    msg = (b"Resent-From: alice@example.test\n"
           b"Resent-To: carol@example.test\n"
           b"Resent-Bcc: dave@example.test\n"
           b"From: someone@example.test\n"
           b"To: bob@example.test\n"
           b"Subject: fwd\n\nbody\n")
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "-t", stdin=msg)
    assert r.rc == 0, r
    m = rec.messages[0]
    assert sorted(m["rcpt_tos"]) == [CAROL, DAVE]
    assert b"Resent-Bcc" not in m["data"] and b"dave" not in m["data"]
    assert b"Resent-Date: " in m["data"]
    assert b"Resent-Message-ID: " in m["data"]


def test_f_and_F_make_the_from(smtpc, servers, tmp_path):
    """No From in the message: -f's address with -F's name (cron's
    -FCronDaemon glued); MAIL FROM is -f's."""
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "-FCron Daemon",
                  "-f", "carol@example.test", BOB,
                  stdin=b"Subject: no from\n\nx\n")
    assert r.rc == 0, r
    m = rec.messages[0]
    assert m["mail_from"] == CAROL
    p = parse(m["data"])
    assert p["From"].addresses[0].display_name == "Cron Daemon"
    assert p["From"].addresses[0].addr_spec == CAROL


def test_cron_argv(smtpc, servers, tmp_path):
    """cron's exact argv; the account's from is the sender and From."""
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path,
                       extra="from_full_name Alice A\n")
    msg = (b"Subject: Cron <alice@host> date\n"
           b"Content-Type: text/plain; charset=UTF-8\n\nWed Dec  2\n")
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "-FCronDaemon",
                  "-i", "-B8BITMIME", "-oem", BOB, stdin=msg)
    assert r.rc == 0, r
    p = parse(rec.messages[0]["data"])
    assert p["From"].addresses[0].display_name == "CronDaemon"
    assert rec.messages[0]["mail_from"] == USER


def test_symlink_named_sendmail(smtpc, servers, tmp_path):
    """The binary run as `sendmail` reads ~/.msmtprc and takes
    sendmail's flags without the subcommand."""
    rec = recorder(servers, "starttls")
    (tmp_path / ".msmtprc").write_text(config(smtpc, servers))
    os.chmod(tmp_path / ".msmtprc", 0o600)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    link = bindir / "sendmail"
    link.symlink_to(smtpc_path())
    smtpc.bin = str(link)
    r = smtpc.run("-oi", "-a", "rec", "-t",
                  stdin=b"To: bob@example.test\nSubject: link\n\nhi\n")
    assert r.rc == 0, r
    assert rec.messages[0]["rcpt_tos"] == [BOB]


def test_mailq_and_queue_modes(smtpc, tmp_path):
    """sendmail -bp and mailq list the queue (smtpc queue list); -q (and
    -q30m: run once, a timer repeats it) sends it: with nothing queued,
    at once and silently."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "mailq").symlink_to(smtpc_path())
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    r = smtpc.run("sendmail", "-bp", env=env)
    assert r.rc == 0 and "The queue is empty" in r.out.decode(), r
    for q in ("-q", "-q30m"):
        r = smtpc.run("sendmail", q, env=env)
        assert r.rc == 0 and r.out == b"" and r.err == "", r
    smtpc.bin = str(bindir / "mailq")
    r = smtpc.run(env=env)
    assert r.rc == 0 and "The queue is empty" in r.out.decode(), r


@pytest.mark.parametrize("mode", ["-bd", "-bi", "-bs", "-bt", "-bv"])
def test_server_modes_refused(smtpc, mode):
    r = smtpc.run("sendmail", mode, BOB, stdin=b"")
    assert r.rc == 64 and mode in r.err, r


def test_ignored_flags_accepted(smtpc, servers, tmp_path):
    """Flags of a mail server: accepted and ignored (as msmtp does)."""
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "-odi", "-oQ/tmp",
                  "-em", "-B", "7BIT", "-h", "17", "-L", "tag", "-m",
                  "-n", "-U", "-G", "-O", "x=y", "-ti", stdin=MSG)
    assert r.rc == 0, r
    assert len(rec.messages) == 1


@pytest.mark.parametrize("msg,line,what", [
    (b"From: a@example.test\nTo: bob@example.test\nno colon here\n\nx\n",
     3, "no ':'"),
    (b"From: a@example.test\nTo: bob@example.test\nX: a\0b\n\nx\n",
     3, "NUL"),
    (b"From: a@example.test\nTo: bob@example.test\nX: " + b"a" * 1000 +
     b"\n\nx\n", 3, "998"),
])
def test_bad_header_nothing_sent(smtpc, servers, tmp_path, msg, line, what):
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "-t", stdin=msg)
    assert r.rc == 65, r
    assert "line %d" % line in r.err and what in r.err, r
    assert "nothing was delivered" in r.err
    assert rec.connections == 0


def test_bad_body_line_from_a_pipe_nothing_sent(smtpc, servers, tmp_path):
    """A body line over 998 octets, only seen while sending: the reader
    fails before the final dot; nothing is delivered."""
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    msg = b"To: bob@example.test\nSubject: x\n\nok\n" + b"b" * 2000 + b"\n"
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "-t", stdin=msg)
    assert r.rc == 65, r
    assert "line 5" in r.err, r
    assert "nothing was delivered" in r.err
    assert rec.messages == []


def test_no_recipient(smtpc, servers, tmp_path):
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, stdin=b"Subject: x\n\nx\n")
    assert r.rc == 64 and "no recipient" in r.err, r
    r = smtpc.run("sendmail", "-C", cfg, "-t",
                  stdin=b"From: a@example.test\nSubject: x\n\nx\n")
    assert r.rc == 65 and "recipient" in r.err, r


def test_eight_bit_body_declares_8bitmime(smtpc, servers, tmp_path):
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    msg = ("To: bob@example.test\nSubject: x\nMIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=UTF-8\n"
           "Content-Transfer-Encoding: 8bit\n\nZoë\n").encode()
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "-t", stdin=msg)
    assert r.rc == 0, r
    mail = [c for _n, c in rec.commands if c.upper().startswith("MAIL")]
    assert "BODY=8BITMIME" in mail[0], rec.commands
    assert "Zoë\r\n".encode() in rec.messages[0]["data"]


def test_json_one_object(smtpc, servers, tmp_path):
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "--json", "-t",
                  stdin=MSG)
    assert r.rc == 0, r
    lines = r.out.decode().splitlines()
    assert len(lines) == 1
    j = json.loads(lines[0])
    assert j["exit_code"] == 0
    assert j["maybe_delivered"] is False
    assert sorted(x["address"] for x in j["recipients"]) == [BOB, CAROL,
                                                             DAVE]
    assert len(rec.messages) == 1


def test_json_on_a_bad_message(smtpc, servers, tmp_path):
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "--json", "-t",
                  stdin=b"To: bob@example.test\nbad\n\nx\n")
    assert r.rc == 65, r
    j = json.loads(r.out.decode())
    assert j["exit_code"] == 65 and j["maybe_delivered"] is False


def test_logfile_line(smtpc, servers, tmp_path):
    recorder(servers, "starttls")
    log = tmp_path / "smtpc.log"
    cfg = write_config(smtpc, servers, tmp_path,
                       extra="logfile %s\n" % log)
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "-t", stdin=MSG)
    assert r.rc == 0, r
    text = log.read_text()
    assert text.count("\n") == 1
    assert "recipients=%s,%s,%s" % (BOB, CAROL, DAVE) in text
    assert "exitcode=EX_OK" in text


# -- configuration errors -------------------------------------------------

def test_missing_config_names_the_file(smtpc, tmp_path):
    r = smtpc.run("sendmail", "-C", str(tmp_path / "nope"), "--json", BOB,
                  stdin=b"Subject: x\n\nx\n")
    assert r.rc == 78 and "nope" in r.err, r
    assert "nothing was delivered" in r.err, r
    j = json.loads(r.out.decode())
    assert j["exit_code"] == 78 and j["outcome"] == "failed", j
    assert j["maybe_delivered"] is False


def test_usage_error_says_nothing_went(smtpc):
    r = smtpc.run("sendmail", "-Z", BOB, stdin=b"Subject: x\n\nx\n")
    assert r.rc == 64 and "nothing was delivered" in r.err, r


def test_no_config_at_all(smtpc):
    r = smtpc.run("sendmail", BOB, stdin=b"Subject: x\n\nx\n")
    assert r.rc == 78 and "configuration file" in r.err, r


def test_syntax_error_file_line(smtpc, tmp_path):
    p = tmp_path / "c"
    p.write_text("account a\nhost h\nbogus_key x\n")
    os.chmod(p, 0o600)
    r = smtpc.run("sendmail", "-C", str(p), BOB, stdin=b"Subject: x\n\nx\n")
    assert r.rc == 78 and "%s:3" % p in r.err, r


def test_unknown_account_lists_known(smtpc, servers, tmp_path):
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-a", "nosuch", BOB,
                  stdin=b"Subject: x\n\nx\n")
    assert r.rc == 78 and "no account 'nosuch'" in r.err, r
    assert "known: sub, rec, default" in r.err, r


def test_passwordeval_failing(smtpc, servers, tmp_path):
    """Its exit status is named, never its output."""
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path).replace("x", "x")
    text = open(cfg).read().replace(
        "passwordeval cat %s" % smtpc.s.password_file(),
        "passwordeval echo SECRETOUT; exit 3")
    open(cfg, "w").write(text)
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", BOB,
                  stdin=b"Subject: x\n\nx\n")
    assert r.rc in (77, 78), r
    assert "exit status 3" in r.err and "SECRETOUT" not in r.err, r
    assert rec.messages == []


def test_postfix_nothing_on_error(smtpc, postfix, servers, tmp_path):
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-t",
                  stdin=b"To: bob@example.test\n\0\n\nx\n")
    assert r.rc == 65, r
    assert_nothing_delivered(postfix, users=("bob",), settle=0.5)


def test_set_from_header_off(smtpc, servers, tmp_path):
    """off: no From is added; a message without one is refused (RFC 5322
    wants it), one with its own goes out with the account's sender."""
    off = "set_from_header off\n"
    rec, r = via_rec(smtpc, servers, tmp_path, BOB, extra=off,
                     stdin=b"Subject: none\n\nx\n")
    assert r.rc == 65 and "From" in r.err, r
    assert rec.messages == []
    rec, r = via_rec(smtpc, servers, tmp_path, BOB, extra=off,
                     stdin=b"From: carol@example.test\nSubject: own\n\nx\n")
    assert r.rc == 0, r
    assert rec.messages[0]["mail_from"] == USER
    assert parse(rec.messages[0]["data"])["From"] == CAROL


def test_set_from_header_on_refused(smtpc, servers, tmp_path):
    rec, r = via_rec(smtpc, servers, tmp_path, BOB,
                     extra="set_from_header on\n",
                     stdin=b"Subject: x\n\nx\n")
    assert r.rc == 78 and "set_from_header on" in r.err, r
    assert "smtpc.conf:" in r.err, r
    assert rec.connections == 0


def scripted_config(smtpc, servers, tmp_path, s):
    p = tmp_path / "scripted.conf"
    p.write_text("account default\nhost 127.0.0.1\nport %d\ntls on\n"
                 "tls_starttls on\ntls_trust_file %s\nauth on\nuser %s\n"
                 "passwordeval cat %s\nfrom %s\ntimeout 10\n" % (
                     s.port, servers.pki.ca, USER,
                     smtpc.s.password_file(), USER))
    os.chmod(p, 0o600)
    return str(p)


EIGHT_BIT = ("To: bob@example.test\nSubject: x\nMIME-Version: 1.0\n"
             "Content-Type: text/plain; charset=UTF-8\n"
             "Content-Transfer-Encoding: 8bit\n\nZoë\n").encode()


def test_eight_bit_without_8bitmime_refused(smtpc, servers, tmp_path):
    """A server without 8BITMIME: the 8-bit byte fails the reader before
    the final dot; exit 65, nothing delivered, and it says so."""
    s = ScriptedServer(servers.pki, password=srv.PASSWORD,
                       capabilities=["PIPELINING", "ENHANCEDSTATUSCODES"]
                       ).start()
    try:
        cfg = scripted_config(smtpc, servers, tmp_path, s)
        r = smtpc.run("sendmail", "-C", cfg, "--json", "-t",
                      stdin=EIGHT_BIT)
    finally:
        s.stop()
    assert r.rc == 65, r
    assert "8BITMIME" in r.err and "nothing was delivered" in r.err, r
    assert s.data == [] and s.bodies == []
    j = json.loads(r.out.decode())
    assert j["maybe_delivered"] is False and j["outcome"] == "failed"


def test_lost_final_reply_says_maybe_delivered(smtpc, servers, tmp_path):
    """The connection closes after the final dot: exit 75, and both the
    words and the JSON say the server may have the message."""
    s = ScriptedServer(servers.pki, password=srv.PASSWORD,
                       overrides={"DOT": [("close",)]}).start()
    try:
        cfg = scripted_config(smtpc, servers, tmp_path, s)
        r = smtpc.run("sendmail", "-C", cfg, "--json", "-t", stdin=MSG)
    finally:
        s.stop()
    assert r.rc == 75, r
    assert "may have the message" in r.err, r
    j = json.loads(r.out.decode())
    assert j["maybe_delivered"] is True and j["outcome"] == "uncertain"


def test_stdin_closed(smtpc, servers, tmp_path):
    """No standard input at all: 74, nothing sent."""
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", BOB,
                  wrap=["sh", "-c", 'exec "$@" <&-', "sh"])
    assert r.rc in (65, 74), r
    assert "nothing was delivered" in r.err, r
    assert rec.connections == 0


def test_logfile_line_for_a_bad_message(smtpc, servers, tmp_path):
    """A message refused before any connection is logged too."""
    log = tmp_path / "smtpc.log"
    rec, r = via_rec(smtpc, servers, tmp_path, BOB,
                     extra="logfile %s\n" % log,
                     stdin=b"From: alice@example.test\nbad line\n\nx\n")
    assert r.rc == 65, r
    text = log.read_text()
    assert text.count("\n") == 1, text
    assert "exitcode=EX_DATAERR" in text and "line 2" in text, text
    assert rec.connections == 0


def test_syslog_line(smtpc, servers, tmp_path):
    from test_accounts import syslog_wrap
    sock, wrap = syslog_wrap(tmp_path)
    try:
        recorder(servers, "starttls")
        cfg = write_config(smtpc, servers, tmp_path,
                           extra="syslog LOG_MAIL\n")
        r = smtpc.run("sendmail", "-C", cfg, "-a", "rec", "-t", stdin=MSG,
                      wrap=wrap)
        assert r.rc == 0, r
        data = sock.recv(4096).decode()
    finally:
        sock.close()
    # <PRI>: LOG_MAIL (2 << 3) | LOG_INFO (6) = 22.
    assert data.startswith("<22>"), data
    assert "recipients=%s,%s,%s" % (BOB, CAROL, DAVE) in data, data
    assert data.endswith("exitcode=EX_OK"), data


def test_silent_on_a_terminal(smtpc, servers, tmp_path):
    """Success says nothing even when stderr is a terminal (send says a
    word there): mutt and git show sendmail's output as a complaint.
    A regular file of over 1 MiB on stdin would show progress too."""
    import pty
    big = tmp_path / "big.eml"
    big.write_bytes(b"To: bob@example.test\nSubject: big\n\n" +
                    (b"0123456789abcdef" * 4 + b"\n") * 20 * 1024)
    rec = recorder(servers, "starttls")
    cfg = write_config(smtpc, servers, tmp_path)
    master, slave = pty.openpty()
    try:
        with open(big, "rb") as f:
            p = subprocess.run([smtpc_path(), "sendmail", "-C", cfg, "-a",
                                "rec", "-t"], stdin=f, stderr=slave,
                               stdout=subprocess.PIPE, timeout=60,
                               env=dict(os.environ, HOME=str(tmp_path)))
        os.close(slave)
        slave = None
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert p.returncode == 0, out
    assert out == b"", out
    assert len(rec.messages) == 1


def test_dsn_flags_through_postfix(smtpc, postfix, servers, tmp_path):
    """-N, -R and -V become NOTIFY=, RET= and ENVID= (Postfix offers
    DSN)."""
    cfg = write_config(smtpc, servers, tmp_path)
    r = smtpc.run("sendmail", "-C", cfg, "-v", "-N", "failure,delay",
                  "-R", "hdrs", "-V", "env42", BOB,
                  stdin=b"Subject: dsn\n\nx\n")
    assert r.rc == 0, r
    assert re.search(r"-> MAIL FROM:<%s> .*RET=HDRS" % re.escape(USER),
                     r.err), r
    assert "ENVID=env42" in r.err, r
    assert re.search(r"-> RCPT TO:<%s> NOTIFY=(FAILURE,DELAY|DELAY,FAILURE)"
                     % re.escape(BOB), r.err), r
    assert wait_one(postfix, "bob")["Subject"] == "dsn"
