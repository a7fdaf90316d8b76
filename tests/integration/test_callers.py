# SPDX-License-Identifier: ISC
"""The programs that hand mail to sendmail, run headless with HOME set to
the test's directory, delivering through the test Postfix's submission
port (STARTTLS and AUTH) with the account in $HOME/.msmtprc: git
send-email (sendemail.sendmailCmd, and --smtp-server=/path/to/smtpc) and
git am on what arrived, mutt in batch mode with an attachment, bsd-mailx
through a program named sendmail, cron's argv, PHP's mail(), and msmtp's
own example configuration.  Debian packages: git-email, mutt, bsd-mailx,
php-cli (scripts/setup).
"""

import email
import email.policy
import mailbox
import os
import shutil
import subprocess

import pytest

import servers as srv
from conftest import smtpc_path, wait_one

USER = srv.USER
BOB = "bob@example.test"


def need(prog):
    if shutil.which(prog) is None:
        pytest.skip("%s is not installed (scripts/setup)" % prog)


def msmtprc(smtpc, postfix):
    return """\
defaults
tls on
tls_starttls on
tls_trust_file {ca}

account sub
host 127.0.0.1
port {port}
from {user}
auth on
user {user}
passwordeval cat {pw}

account default : sub
""".format(ca=smtpc.s.pki.ca, port=postfix.port, user=USER,
           pw=smtpc.s.password_file())


@pytest.fixture
def home(smtpc, postfix, tmp_path):
    """HOME with ~/.msmtprc and bin/sendmail -> smtpc."""
    rc = tmp_path / ".msmtprc"
    rc.write_text(msmtprc(smtpc, postfix))
    os.chmod(rc, 0o600)
    b = tmp_path / "bin"
    b.mkdir()
    (b / "sendmail").symlink_to(smtpc_path())
    return tmp_path


def env_for(home):
    e = dict(os.environ)
    e.pop("SMTPC_PASSWORD", None)
    e.update(HOME=str(home), LC_ALL="C.UTF-8", GIT_CONFIG_NOSYSTEM="1",
             PATH="%s/bin:%s" % (home, os.environ.get("PATH", "")),
             EMAIL=USER, GIT_AUTHOR_NAME="Alice", GIT_AUTHOR_EMAIL=USER,
             GIT_COMMITTER_NAME="Alice", GIT_COMMITTER_EMAIL=USER)
    return e


def run(argv, home, stdin=None, cwd=None):
    cp = subprocess.run(argv, env=env_for(home), cwd=cwd, input=stdin,
                        stdin=None if stdin is not None
                        else subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        timeout=120)
    assert cp.returncode == 0, "%s -> %d\n%s\n%s" % (
        argv, cp.returncode, cp.stdout.decode(errors="replace"),
        cp.stderr.decode(errors="replace"))
    return cp


def make_series(home):
    """A repository with a base commit and three patches on top."""
    repo = home / "repo"
    repo.mkdir()
    run(["git", "init", "-q", "-b", "main"], home, cwd=repo)
    (repo / "f.txt").write_text("base\n")
    run(["git", "add", "."], home, cwd=repo)
    run(["git", "commit", "-qm", "base"], home, cwd=repo)
    run(["git", "tag", "base"], home, cwd=repo)
    for i in range(1, 4):
        with open(repo / "f.txt", "a") as f:
            f.write("line %d with a dot:\n.\nand ümlaut\n" % i)
        run(["git", "commit", "-qam", "patch %d" % i], home, cwd=repo)
    out = run(["git", "format-patch", "-o", str(home / "out"),
               "base"], home, cwd=repo).stdout.decode().split()
    return repo, sorted(out)


def git_am(home, repo, postfix, n):
    """Apply what Bob received onto base in a fresh clone; the result
    must be the sender's tree."""
    raw = postfix.wait_messages("bob", n, 60)
    assert len(raw) == n, postfix.maillog()[-3000:]
    msgs = [email.message_from_bytes(r.replace(b"\r\n", b"\n"),
                                     policy=email.policy.compat32)
            for r in raw]
    msgs.sort(key=lambda m: str(m["Subject"]))
    box = home / "bob.mbox"
    mb = mailbox.mbox(str(box))
    for m in msgs:
        mb.add(m)
    mb.close()
    clone = home / "clone"
    run(["git", "clone", "-q", str(repo), str(clone)], home)
    run(["git", "checkout", "-q", "base"], home, cwd=clone)
    run(["git", "am", "-q", str(box)], home, cwd=clone)
    a = run(["git", "rev-parse", "HEAD^{tree}"], home, cwd=clone).stdout
    b = run(["git", "rev-parse", "main^{tree}"], home, cwd=repo).stdout
    assert a == b
    log = run(["git", "log", "--format=%s", "base..HEAD"], home,
              cwd=clone).stdout.decode().split("\n")
    assert log[:3] == ["patch 3", "patch 2", "patch 1"]


def test_git_send_email_sendmail_cmd(home, postfix):
    need("git")
    repo, patches = make_series(home)
    run(["git", "config", "sendemail.sendmailCmd",
         "%s sendmail" % smtpc_path()], home, cwd=repo)
    run(["git", "send-email", "--confirm=never", "--quiet", "--to", BOB,
         "--from", "Alice <%s>" % USER, "--no-chain-reply-to",
         "--8bit-encoding=UTF-8"] + patches,
        home, cwd=repo)
    git_am(home, repo, postfix, 3)


def test_git_send_email_smtp_server_path(home, postfix):
    """--smtp-server=/path/to/smtpc: git runs `smtpc -i RCPT...`."""
    need("git")
    repo, patches = make_series(home)
    run(["git", "send-email", "--confirm=never", "--quiet", "--to", BOB,
         "--from", "Alice <%s>" % USER, "--envelope-sender", USER,
         "--smtp-server", smtpc_path(), "--8bit-encoding=UTF-8"] + patches,
        home, cwd=repo)
    git_am(home, repo, postfix, 3)


def test_mutt_batch_with_attachment(home, postfix):
    need("mutt")
    att = home / "data.bin"
    data = bytes(range(256)) * 64
    att.write_bytes(data)
    rc = home / "muttrc"
    rc.write_text('set sendmail="%s sendmail"\nset from="%s"\n'
                  'set use_from=yes\nset copy=no\nset record=""\n'
                  'set charset="utf-8"\nset send_charset="utf-8"\n'
                  % (smtpc_path(), USER))
    run(["mutt", "-n", "-F", str(rc), "-s", "mutt batch", "-a", str(att),
         "--", BOB], home, stdin="body from mütt\n".encode())
    m = wait_one(postfix, "bob")
    assert m["Subject"] == "mutt batch"
    parts = [p for p in m.walk() if not p.is_multipart()]
    assert parts[0].get_content() == "body from mütt\n"
    assert parts[1].get_content() == data


def test_bsd_mailx_through_sendmail_name(home, postfix):
    """mailx runs the `sendmail` its variable names: our symlink."""
    need("bsd-mailx")
    (home / ".mailrc").write_text("set sendmail=%s/bin/sendmail\n" % home)
    run(["bsd-mailx", "-s", "from mailx", BOB], home,
        stdin=b"mailx body\n")
    m = wait_one(postfix, "bob")
    assert m["Subject"] == "from mailx"
    assert m.get_content() == "mailx body\n"
    assert m["From"] is not None


def test_cron_argv_through_symlink(home, postfix):
    """cron's exact argv to /usr/sbin/sendmail."""
    msg = (b"From: root (Cron Daemon)\n"
           b"To: bob@example.test\n"
           b"Subject: Cron <root@host> date\n"
           b"Content-Type: text/plain; charset=UTF-8\n"
           b"Auto-Submitted: auto-generated\n\nWed Dec  2 00:00:01 UTC\n")
    # cron's From has no domain: the account's from is the sender.
    msg = msg.replace(b"From: root (Cron Daemon)",
                      b"From: root@example.test (Cron Daemon)")
    run([str(home / "bin" / "sendmail"), "-FCronDaemon", "-i",
         "-B8BITMIME", "-oem", BOB], home, stdin=msg)
    m = wait_one(postfix, "bob")
    assert m["Subject"] == "Cron <root@host> date"
    assert m["Auto-Submitted"] == "auto-generated"


def test_php_mail(home, postfix):
    need("php")
    code = ('exit(mail("%s", "from php", "php body\\n", '
            '"From: %s") ? 0 : 1);' % (BOB, USER))
    run(["php", "-n", "-d", "sendmail_path=%s/bin/sendmail -t -i" % home,
         "-r", code], home)
    m = wait_one(postfix, "bob")
    assert m["Subject"] == "from php"
    # PHP writes a newline of its own after the body.
    assert m.get_content().startswith("php body\n")


def msmtp_example():
    p = "/usr/share/doc/msmtp/examples/msmtprc-user.example"
    if not os.path.exists(p):
        pytest.skip("msmtp's example configuration is not installed")
    with open(p) as f:
        return f.read()


def test_msmtp_example_unchanged_loads(smtpc, tmp_path):
    """msmtp's own example as ~/.msmtprc, unchanged: read without a
    complaint; the send stops at its passwordeval (gpg2 and the file are
    not here), named by exit status, before any connection."""
    (tmp_path / ".msmtprc").write_text(msmtp_example())
    os.chmod(tmp_path / ".msmtprc", 0o600)
    r = smtpc.run("sendmail", BOB, stdin=b"Subject: x\n\nx\n")
    assert r.rc in (77, 78), r
    assert "passwordeval" in r.err and ".msmtprc" in r.err, r
    assert "syntax" not in r.err and "unknown" not in r.err, r


def test_msmtp_example_values_replaced_delivers(smtpc, postfix, tmp_path):
    """The same file with only the values of host, port, user and
    passwordeval pointing at the test Postfix (and its CA added)."""
    text = msmtp_example()
    text = text.replace("port 587", "port %d" % postfix.port)
    text = text.replace("host smtp.freemail.example", "host 127.0.0.1")
    text = text.replace("from joe_smith@freemail.example", "from " + USER)
    text = text.replace("user joe.smith", "user " + USER)
    text = text.replace("passwordeval gpg2 --no-tty -q -d "
                        "~/.msmtp-password.gpg",
                        "passwordeval cat " + smtpc.s.password_file())
    text = text.replace("tls_starttls on", "tls_starttls on\n"
                        "tls_trust_file " + smtpc.s.pki.ca)
    (tmp_path / ".msmtprc").write_text(text)
    os.chmod(tmp_path / ".msmtprc", 0o600)
    r = smtpc.run("sendmail", "-t",
                  stdin=b"To: bob@example.test\nSubject: example\n\nx\n")
    assert r.rc == 0, r
    m = wait_one(postfix, "bob")
    assert m["Subject"] == "example"
    assert m["From"] == USER
