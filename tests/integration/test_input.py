# SPDX-License-Identifier: ISC
"""What `smtpc send` takes from its user besides the options' values: the
body from a pipe (as mailx reads it), `-o -` for standard output, and
address lists in --to, --cc, --bcc, --reply-to and the operands.

Each test runs the real binary against the real servers (Postfix, or an
aiosmtpd recorder when the envelope or the raw bytes matter) and reads what
arrived with Python's email package.
"""

import fcntl
import os
import pty
import select
import subprocess
import termios
import time

import pytest

import servers as srv
from conftest import (SLOW, assert_no_report, parse, recorder, smtpc_argv,
                      wait_one)

USER = srv.USER
BOB = "bob@example.test"
CAROL = "carol@example.test"
DAVE = "dave@example.test"
LIST = 'Bob Example <%s>, "Last, First" <%s>' % (BOB, CAROL)


def plain_text(msg):
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None, "no text/plain body"
    return body.get_content()


def addresses(msg, field):
    return [(a.display_name, a.addr_spec) for a in msg[field].addresses]


# -- the body from a pipe ------------------------------------------------

def test_piped_body_through_postfix(smtpc, postfix):
    """`echo hi | smtpc send -f A B`: "hi" is the body, as with mailx."""
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "-s", "piped",
                  BOB, stdin=b"hi\n")
    assert r.rc == 0, r
    m = wait_one(postfix, "bob")
    assert plain_text(m) == "hi\n"
    assert m.get_content_type() == "text/plain"


def test_piped_body_with_attachment(smtpc, servers, files):
    rec = recorder(servers, "starttls")
    pdf, data = files["report.pdf"]
    body = "Zoë's report, see attached.\n" * 3
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "-a", pdf,
                  BOB, stdin=body.encode())
    assert r.rc == 0, r
    m = parse(rec.messages[0]["data"])
    parts = [p for p in m.walk() if not p.is_multipart()]
    assert [p.get_content_type() for p in parts] == ["text/plain",
                                                     "application/pdf"]
    assert parts[0].get_content() == body
    assert parts[1].get_content() == data


def test_empty_stdin_is_no_body(smtpc, servers, files):
    """Empty input is the same message as no body at all: an empty
    text/plain alone, the files alone beside attachments (documented)."""
    rec = recorder(servers, "starttls")
    pdf, _ = files["report.pdf"]
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, BOB,
                  stdin=b"")
    assert r.rc == 0, r
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "-a", pdf,
                  BOB, stdin=b"")
    assert r.rc == 0, r
    alone, with_file = [parse(x["data"]) for x in rec.messages]
    assert alone.get_content_type() == "text/plain"
    assert alone.get_content() == ""
    assert [p.get_content_type() for p in with_file.walk()
            if not p.is_multipart()] == ["application/pdf"]


def test_piped_bytes_that_are_not_text_are_refused(smtpc, servers):
    """A body must be UTF-8: other bytes on the pipe stop the send (65)
    and the message says they came from standard input."""
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, BOB,
                  stdin=b"\x89PNG\r\n\x1a\n\xff\xfe")
    assert r.rc == 65, r
    assert "standard input" in r.err and "-a FILE" in r.err, r
    assert rec.connections == 0


@pytest.mark.parametrize("opt", [["--text", "given\n"],
                                 ["--html", "<p>given</p>\n"],
                                 ["--text-file", "-"]])
def test_a_body_option_reads_stdin_at_most_once(smtpc, servers, opt):
    """With a body option the pipe is the body only through `-`, once."""
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, *opt, BOB,
                  stdin=b"from the pipe\n")
    assert r.rc == 0, r
    m = parse(rec.messages[0]["data"])
    want = "from the pipe\n" if opt[1] == "-" else opt[1]
    assert m.get_body().get_content() == want
    assert rec.messages[0]["data"].count(b"from the pipe") == \
        (1 if opt[1] == "-" else 0)


def test_password_file_on_stdin_is_not_the_body(smtpc, servers):
    """stdin named by --password-file is the password's, never the body's:
    the password must not be mailed to the recipient."""
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", "--server", "127.0.0.1:%d" % rec.port,
                  "--cafile", servers.pki.ca, "-u", USER,
                  "--password-file", "/dev/stdin", "-f", USER, BOB,
                  stdin=(srv.PASSWORD + "\n").encode())
    assert r.rc == 0, r
    assert rec.auth_ok == [True]
    raw = rec.messages[0]["data"]
    assert parse(raw).get_content() == ""
    assert b"horse" not in raw


def _prompting_run(args, stdin, password, cwd):
    """Run smtpc with `stdin` on a pipe and a terminal of its own (its
    controlling tty, /dev/tty), and type `password` at the prompt there
    once echo is off."""
    master, slave = pty.openpty()

    def own_terminal():
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    env = dict(os.environ, HOME=cwd, LC_ALL="C.UTF-8")
    env.pop("SMTPC_PASSWORD", None)
    p = subprocess.Popen(smtpc_argv(*args), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=own_terminal, env=env, cwd=cwd)
    seen = b""
    try:
        p.stdin.write(stdin)
        p.stdin.close()
        p.stdin = None          # communicate() must not flush it again
        deadline = time.monotonic() + 30 * SLOW
        while b"Password for" not in seen:
            left = deadline - time.monotonic()
            assert left > 0, "no prompt on the terminal: %r" % seen
            if select.select([master], [], [], min(left, 0.2))[0]:
                seen += os.read(master, 4096)
        # The prompt flushes typed-ahead input when it turns echo off.
        while termios.tcgetattr(slave)[3] & termios.ECHO:
            assert time.monotonic() < deadline, "echo never turned off"
            time.sleep(0.01)
        os.write(master, password.encode() + b"\n")
        out, err = p.communicate(timeout=60 * SLOW)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
        os.close(slave)
    err = err.decode("utf-8", "replace")
    assert_no_report(err)
    return p.returncode, out, err, seen


def test_password_prompt_on_terminal_with_piped_body(servers, tmp_path):
    """The pipe is the body; the password is asked on /dev/tty, never read
    from the pipe."""
    rec = recorder(servers, "starttls")
    rc, _out, err, seen = _prompting_run(
        ["send", "--server", "127.0.0.1:%d" % rec.port, "--cafile",
         servers.pki.ca, "-u", USER, "-f", USER, "-s", "prompt", BOB],
        b"typed into a pipe\n", srv.PASSWORD, str(tmp_path))
    assert rc == 0, err
    assert b"Password for %s" % USER.encode() in seen
    assert rec.auth_ok == [True]
    assert parse(rec.messages[0]["data"]).get_content() == \
        "typed into a pipe\n"


# -- -o - ---------------------------------------------------------------

def test_output_dash_is_standard_output(tmp_path):
    cp = subprocess.run(smtpc_argv("send", "-o", "-", "-f", USER,
                                   "-s", "to stdout", BOB),
                        input=b"body on stdout\n", cwd=str(tmp_path),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        timeout=60 * SLOW)
    assert_no_report(cp.stderr.decode("utf-8", "replace"))
    assert cp.returncode == 0, cp.stderr
    m = parse(cp.stdout)
    assert m["Subject"] == "to stdout"
    assert m.get_content() == "body on stdout\n"
    assert os.listdir(str(tmp_path)) == [], "-o - created a file"


# -- address lists --------------------------------------------------------

def test_to_list_reaches_every_recipient(smtpc, servers):
    """One --to with a list, a list as operand, a Cc and a Bcc list: the
    envelope has every address once, the headers each address once,
    "Last, First" intact."""
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER,
                  "--to", LIST, "-c", "%s, , %s" % (DAVE, BOB),
                  "-b", "Hidden One <hidden1@example.test>,"
                  "hidden2@example.test",
                  "--reply-to", '"Desk, Help" <help@example.test>, %s' % USER,
                  "--text", "lists\n", "%s, Bob Again <%s>" % (DAVE, BOB))
    assert r.rc == 0, r
    msg = rec.messages[0]
    assert sorted(msg["rcpt_tos"]) == sorted(
        [BOB, CAROL, DAVE, "hidden1@example.test", "hidden2@example.test"])
    m = parse(msg["data"])
    assert addresses(m, "To") == [("Bob Example", BOB),
                                  ("Last, First", CAROL), ("", DAVE)]
    assert addresses(m, "Cc") == [("", DAVE), ("", BOB)]
    assert addresses(m, "Reply-To") == [("Desk, Help", "help@example.test"),
                                        ("", USER)]
    assert b"hidden" not in msg["data"]


def test_to_list_through_postfix(smtpc, postfix):
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, "--to", LIST,
                  "-s", "list", "--text", "to both\n")
    assert r.rc == 0, r
    for user, addr in (("bob", BOB), ("carol", CAROL)):
        m = wait_one(postfix, user)
        assert m["Delivered-To"] == addr
        assert addresses(m, "To") == [("Bob Example", BOB),
                                      ("Last, First", CAROL)]


@pytest.mark.parametrize("bad,named", [
    ("%s, bob@" % BOB, 'in "bob@": the domain is empty'),
    ("Last, First <%s>" % CAROL, '"Last" has no \'@domain\''),
    ("%s, undisclosed-recipients:;" % BOB, "groups"),
    ("Team: %s, %s;" % (BOB, CAROL), "groups"),
    (" , ", "no address"),
])
def test_bad_list_names_the_address_and_sends_nothing(smtpc, servers, bad,
                                                      named):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), "-f", USER, "--to", bad,
                  "--text", "x\n")
    assert r.rc == 65, r
    assert named in r.err, r
    assert rec.connections == 0
