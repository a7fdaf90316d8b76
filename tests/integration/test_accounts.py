# SPDX-License-Identifier: ISC
"""Accounts from a configuration file in msmtp's syntax (smtpc-config(5)).

Every account here points at the test Postfix: "sub" at the submission
port (STARTTLS and AUTH required), "relay" at the plain port (neither).
The password comes from passwordeval (cat of servers.password_file), from
a `password` line, or from the desktop key ring (gnome-keyring in a
private D-Bus session).  smtpc.run sets HOME to the test's tmp_path, so
$HOME/.msmtprc and $HOME/.config/smtpc/config are the test's own.
"""

import os
import re
import shutil
import stat
import subprocess

import pytest

import servers as srv
from conftest import REPO, assert_nothing_delivered, smtpc_path, wait_one

USER = srv.USER
BOB = "bob@example.test"
CAROL = "carol@example.test"
DAVE = "dave@example.test"


def assert_no_secret(text):
    raw = text.encode() if isinstance(text, str) else text
    for secret in srv.secret_forms():
        assert secret not in raw, "secret leaked: %r" % secret


def config_text(smtpc, postfix, extra_sub="", extra_relay=""):
    """defaults + two accounts + `account default : sub`."""
    pw = smtpc.s.password_file()
    return """\
# smtpc test configuration
defaults
tls on
tls_starttls on
tls_trust_file {ca}
timeout 30

account sub
host 127.0.0.1
port {port}
auth on
user {user}
passwordeval cat {pw}
from {user}
{extra_sub}
account relay
host 127.0.0.1
port {plain}
tls off
from {carol}
{extra_relay}
account default : sub
""".format(ca=smtpc.s.pki.ca, port=postfix.port, plain=postfix.plain_port,
           user=USER, pw=pw, carol=CAROL, extra_sub=extra_sub,
           extra_relay=extra_relay)


def write(path, text, mode=0o600):
    path = str(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def line_of(path, needle):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if needle in line:
                return n
    raise AssertionError("%s not in %s" % (needle, path))


def body(subject):
    return ["-s", subject, "--text", "hello\n"]


# -- choosing the account ------------------------------------------------

def test_default_account_sends_through_submission(smtpc, postfix, tmp_path):
    """No -f, no --server, no -u: all from `account default : sub`."""
    write(tmp_path / ".config/smtpc/config", config_text(smtpc, postfix))
    r = smtpc.run("send", "-v", *body("default account"), BOB)
    assert r.rc == 0, r
    msg = wait_one(postfix, "bob")
    assert msg["Subject"] == "default account"
    assert msg["From"] == USER
    assert "-> STARTTLS" in r.err and "235" in r.err, r
    assert_no_secret(r.err)


def test_named_account_and_from_header(smtpc, postfix, tmp_path):
    """--account relay: plain port, no TLS, no AUTH; its from is the
    sender; from_full_name makes the display name."""
    cfg = write(tmp_path / "c", config_text(
        smtpc, postfix, extra_relay="from_full_name Relay, The Robot\n"))
    r = smtpc.run("send", "-C", cfg, "--account", "relay", "-v",
                  *body("relay account"), DAVE)
    assert r.rc == 0, r
    msg = wait_one(postfix, "dave")
    assert msg["From"].addresses[0].addr_spec == CAROL
    assert msg["From"].addresses[0].display_name == "Relay, The Robot"
    assert "STARTTLS" not in r.err and "AUTH" not in r.err, r
    assert "MAIL FROM:<%s>" % CAROL in r.err, r


def test_from_selects_the_account(smtpc, postfix, tmp_path):
    """-f carol+news@ matches relay's `from carol@` (msmtp's rules)."""
    cfg = write(tmp_path / "c", config_text(smtpc, postfix))
    r = smtpc.run("send", "-C", cfg, "-v", "-f",
                  "Carol <carol+news@example.test>", *body("matched"), BOB)
    assert r.rc == 0, r
    assert "STARTTLS" not in r.err and "AUTH" not in r.err, r
    assert "MAIL FROM:<carol+news@example.test>" in r.err, r
    assert wait_one(postfix, "bob")["Subject"] == "matched"
    # Any other sender: the default account (submission, AUTH).
    postfix.clear()
    r = smtpc.run("send", "-C", cfg, "-v", "-f", "x@example.test",
                  *body("unmatched"), BOB)
    assert r.rc == 0, r
    assert "-> STARTTLS" in r.err and "235" in r.err, r
    assert wait_one(postfix, "bob")["Subject"] == "unmatched"


def test_command_line_wins_over_the_account(smtpc, postfix, tmp_path):
    """--account relay, but --server and --tls and -u say submission."""
    cfg = write(tmp_path / "c", config_text(smtpc, postfix))
    r = smtpc.run("send", "-C", cfg, "--account", "relay", "-v",
                  "--server", "127.0.0.1:%d" % postfix.port,
                  "--tls", "starttls", "-u", USER, "--password-file",
                  smtpc.s.password_file(), *body("overridden"), BOB)
    assert r.rc == 0, r
    assert "-> STARTTLS" in r.err and "235" in r.err, r
    assert "MAIL FROM:<%s>" % CAROL in r.err, r
    assert wait_one(postfix, "bob")["Subject"] == "overridden"


def test_auth_off_means_no_auth_even_with_a_user(smtpc, postfix, tmp_path):
    cfg = write(tmp_path / "c", config_text(
        smtpc, postfix, extra_relay="user %s\nauth off\n" % USER))
    r = smtpc.run("send", "-C", cfg, "--account", "relay", "-v",
                  *body("no auth"), BOB)
    assert r.rc == 0, r
    assert "AUTH" not in r.err, r


# -- errors in the file or the choice ------------------------------------

def test_missing_explicit_file_is_78(smtpc, tmp_path):
    missing = str(tmp_path / "nope.conf")
    r = smtpc.run("send", "-C", missing, *body("x"), BOB)
    assert r.rc == 78, r
    assert missing in r.err and "cannot open" in r.err, r
    r = smtpc.run("check", "--config", missing)
    assert r.rc == 78 and missing in r.err, r


def test_no_file_at_all_is_no_error(smtpc, postfix):
    """HOME without any configuration: the command line alone, as before."""
    r = smtpc.run("send", *smtpc.postfix(), "-f", USER, *body("no file"),
                  BOB)
    assert r.rc == 0, r
    assert wait_one(postfix, "bob")["Subject"] == "no file"
    r = smtpc.run("send", "-f", USER, *body("x"), BOB)
    assert r.rc == 64 and "missing --server" in r.err, r


def test_syntax_error_names_file_and_line(smtpc, postfix, tmp_path):
    text = config_text(smtpc, postfix) + "hots example.org\n"
    cfg = write(tmp_path / "c", text)
    r = smtpc.run("send", "-C", cfg, *body("x"), BOB)
    assert r.rc == 78, r
    n = len(text.splitlines())
    assert "%s:%d: unknown key 'hots'" % (cfg, n) in r.err, r
    assert len(r.err.strip().splitlines()) == 1, r


def test_unknown_account_lists_the_known_ones(smtpc, postfix, tmp_path):
    cfg = write(tmp_path / "c", config_text(smtpc, postfix))
    r = smtpc.run("check", "-C", cfg, "--account", "nosuch")
    assert r.rc == 78, r
    assert "no account 'nosuch'" in r.err, r
    assert "known: sub, relay, default" in r.err, r


def as_nobody(tmp_path):
    """A home of nobody's and a wrapper running smtpc as nobody: msmtp's
    rule (and smtpc's) spares root the check of a file's permissions."""
    import pwd
    import tempfile
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run smtpc as another user")
    nobody = pwd.getpwnam("nobody")
    home = tempfile.mkdtemp(prefix="smtpc-nobody-")
    os.chmod(home, 0o755)
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    wrap = ["setpriv", "--reuid", str(nobody.pw_uid), "--regid",
            str(nobody.pw_gid), "--clear-groups"]
    if subprocess.run(wrap + ["test", "-x", smtpc_path()]).returncode != 0:
        shutil.rmtree(home)
        pytest.skip("nobody cannot run %s" % smtpc_path())
    return home, nobody, wrap


def test_password_in_a_file_others_can_read_is_78(smtpc, postfix, tmp_path):
    home, nobody, wrap = as_nobody(tmp_path)
    try:
        text = config_text(smtpc, postfix).replace(
            "passwordeval cat %s" % smtpc.s.password_file(),
            "password %s" % srv.PASSWORD)
        path = write(os.path.join(home, ".msmtprc"), text, mode=0o644)
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
        r = smtpc.run("send", *body("x"), BOB, env={"HOME": home},
                      wrap=wrap)
        assert r.rc == 78, r
        assert path in r.err and "chmod 600" in r.err, r
        assert len(r.err.strip().splitlines()) == 1, r
        assert_no_secret(r.err)
        # Mode 600: the same file sends, with the password it holds.
        os.chmod(path, 0o600)
        r = smtpc.run("send", "-v", *body("password line"), BOB,
                      env={"HOME": home}, wrap=wrap)
        assert r.rc == 0, r
        assert wait_one(postfix, "bob")["Subject"] == "password line"
        assert_no_secret(r.err)
    finally:
        shutil.rmtree(home)


# -- passwordeval --------------------------------------------------------

def test_failing_passwordeval_shows_status_not_output(smtpc, postfix,
                                                       tmp_path):
    text = config_text(smtpc, postfix).replace(
        "passwordeval cat %s" % smtpc.s.password_file(),
        "passwordeval echo leaked-output-xyz; exit 3")
    cfg = write(tmp_path / "c", text)
    n = line_of(cfg, "passwordeval")
    r = smtpc.run("send", "-C", cfg, *body("x"), BOB)
    assert r.rc == 78, r
    assert "passwordeval (%s:%d) failed (exit status 3)" % (cfg, n) \
        in r.err, r
    assert "leaked-output-xyz" not in r.err, r
    assert_nothing_delivered(postfix, ["bob"], settle=0.5)


def test_empty_passwordeval_is_78(smtpc, postfix, tmp_path):
    text = config_text(smtpc, postfix).replace(
        "passwordeval cat %s" % smtpc.s.password_file(), "passwordeval true")
    cfg = write(tmp_path / "c", text)
    r = smtpc.run("send", "-C", cfg, *body("x"), BOB)
    assert r.rc == 78, r
    assert "passwordeval" in r.err and "printed no password" in r.err, r


# -- check ---------------------------------------------------------------

def test_check_shows_origins_and_masks_the_password(smtpc, postfix,
                                                     tmp_path):
    text = config_text(smtpc, postfix).replace(
        "passwordeval cat %s" % smtpc.s.password_file(),
        "password %s" % srv.PASSWORD) + "tls_crl_file /x.pem\n"
    cfg = write(tmp_path / "c", text)
    r = smtpc.run("check", "-C", cfg, "--account", "sub",
                  "--timeout", "40")
    assert r.rc == 0, r
    out = r.out.decode()
    assert out.startswith("account sub  (%s)\n" % cfg), out
    assert "host 127.0.0.1  (%s:%d)" % (cfg, line_of(cfg, "host ")) in out
    assert "tls on  (%s:%d)" % (cfg, line_of(cfg, "tls on")) in out
    assert "password ****  (%s:" % cfg in out, out
    assert "timeout 40  (command line)" in out, out
    assert "ignored tls_crl_file  (%s:" % cfg in out, out
    assert re.search(r"(?m)^auth: +ok as %s" % re.escape(USER), out), out
    assert_no_secret(out)
    assert_no_secret(r.err)


def test_check_default_account_by_itself(smtpc, postfix, tmp_path):
    write(tmp_path / ".msmtprc", config_text(smtpc, postfix))
    r = smtpc.run("check")
    assert r.rc == 0, r
    out = r.out.decode()
    assert out.startswith("account default  ("), out
    assert "passwordeval cat " in out, out
    assert re.search(r"(?m)^TLS: +TLSv1\.[23]", out), out


# -- the key ring ---------------------------------------------------------

KEYRING_LIBRARY = "libsecret-1.so.0"


def keyring_built():
    """smtpc built with the key ring: it names libsecret, which it opens
    at the first lookup (not a library ldd lists)."""
    with open(smtpc_path(), "rb") as f:
        return KEYRING_LIBRARY.encode() in f.read()


def keyring_available():
    if not all(shutil.which(p) for p in ("dbus-run-session", "secret-tool",
                                          "gnome-keyring-daemon")):
        return False
    return keyring_built()


def keyring_wrap(tmp_path, host, user, pwfile):
    """smtpc inside a private D-Bus session whose gnome-keyring holds the
    password under msmtp's attributes, stored by secret-tool.  The login
    keyring is created and unlocked from stdin (the daemon asks nothing
    of a terminal); the daemon ends with the bus."""
    run = tmp_path / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    script = (
        'echo -n keyring-unlock | gnome-keyring-daemon --unlock '
        '--components=secrets >/dev/null || exit 90; '
        'printf %s "$(cat "$2")" | secret-tool store --label=smtpc-test '
        'host "$0" service smtp user "$1" || exit 91; '
        'shift 2; exec "$@"')
    return ["env", "XDG_RUNTIME_DIR=%s" % run, "dbus-run-session", "--",
            "sh", "-c", script, host, user, pwfile]


def test_keyring_password_msmtp_attributes(smtpc, postfix, tmp_path):
    if not keyring_available():
        pytest.skip("needs gnome-keyring, secret-tool, dbus-run-session "
                    "and smtpc built with libsecret")
    text = config_text(smtpc, postfix).replace(
        "passwordeval cat %s\n" % smtpc.s.password_file(), "")
    cfg = write(tmp_path / "c", text)
    wrap = keyring_wrap(tmp_path, "127.0.0.1", USER,
                        smtpc.s.password_file())
    r = smtpc.run("send", "-C", cfg, "-v", *body("keyring"), BOB,
                  wrap=wrap)
    assert r.rc == 0, r
    assert "235" in r.err, r
    assert wait_one(postfix, "bob")["Subject"] == "keyring"
    assert_no_secret(r.err)
    # Another user at the same host: no item, no terminal: 78.
    r = smtpc.run("send", "-C", cfg, "-u", "mallory@example.test",
                  *body("x"), BOB, wrap=wrap)
    assert r.rc == 78 and "no password for mallory" in r.err, r


def system_library(name):
    """The file the dynamic linker opens for NAME (its cache), or None."""
    out = subprocess.run(["ldconfig", "-p"], stdout=subprocess.PIPE,
                         text=True).stdout
    m = re.search(r"(?m)^\s+%s \(libc6,x86-64\) => (\S+)$"
                  % re.escape(name), out)
    return os.path.realpath(m.group(1)) if m else None


def test_keyring_library_missing_at_run_time(smtpc, postfix, tmp_path):
    """libsecret is opened at the first lookup, not when smtpc starts:
    where it cannot be opened, the key ring has no password (why, under
    -v) and smtpc goes on as a build without it does."""
    if not keyring_built():
        pytest.skip("smtpc built without the key ring")
    lib = system_library(KEYRING_LIBRARY)
    if os.getuid() != 0 or not shutil.which("unshare") or lib is None:
        pytest.skip("needs root, unshare and %s to hide" % KEYRING_LIBRARY)
    text = config_text(smtpc, postfix).replace(
        "passwordeval cat %s\n" % smtpc.s.password_file(), "")
    cfg = write(tmp_path / "c", text)
    # In a mount namespace of its own, the library is an empty file.
    wrap = ["unshare", "-m", "sh", "-c",
            'mount --bind /dev/null "$0" || exit 90; exec "$@"', lib]
    # A bus address, so that smtpc goes as far as opening the library.
    env = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=%s" % (tmp_path / "bus")}
    r = smtpc.run("send", "-C", cfg, "-v", *body("x"), BOB, wrap=wrap,
                  env=env)
    assert r.rc == 78 and "no password for %s" % USER in r.err, r
    assert re.search(r"(?m)^smtpc: key ring not used: .*%s"
                     % re.escape(KEYRING_LIBRARY), r.err), r


# -- the log --------------------------------------------------------------

# The final reply (smtpstatus, smtpmsg) shows once the send hands the
# program its result object; every other field is there now.
LOG_OK = re.compile(
    r"^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d host=127\.0\.0\.1 tls=on "
    r"auth=on user=alice@example\.test from=alice@example\.test "
    r"recipients=bob@example\.test,carol@example\.test mailsize=(\d+) "
    r"(?:smtpstatus=250 smtpmsg='250 2\.0\.0 Ok: (?:\d+ bytes )?queued as "
    r"([0-9A-Z]+)' )?"
    r"exitcode=EX_OK$")


def test_logfile_line_per_message(smtpc, postfix, tmp_path):
    log = tmp_path / "logs" / "smtpc.log"
    os.makedirs(str(log.parent))
    cfg = write(tmp_path / "c", config_text(
        smtpc, postfix, extra_sub="logfile %s\n" % log))
    r = smtpc.run("send", "-C", cfg, *body("logged"), BOB, CAROL)
    assert r.rc == 0, r
    wait_one(postfix, "bob")
    assert stat.S_IMODE(os.stat(str(log)).st_mode) == 0o600
    lines = log.read_text().splitlines()
    assert len(lines) == 1, lines
    m = LOG_OK.match(lines[0])
    assert m, lines[0]
    assert int(m.group(1)) > 100
    assert m.group(2) is None or m.group(2) in postfix.maillog(), m.group(2)
    # A refused recipient: appended, with the server's words.
    r = smtpc.run("send", "-C", cfg, *body("refused"),
                  "nobody@example.test")
    assert r.rc == 69, r
    lines = log.read_text().splitlines()
    assert len(lines) == 2, lines
    assert " recipients=nobody@example.test smtpstatus=550 smtpmsg='550 " \
        "5.1.1 " in lines[1], lines[1]
    assert "errormsg='RCPT TO: " in lines[1], lines[1]
    assert "mailsize=" not in lines[1] and \
        lines[1].endswith(" exitcode=EX_UNAVAILABLE"), lines[1]
    assert_no_secret(log.read_bytes())


def test_logfile_dash_is_standard_output(smtpc, postfix, tmp_path):
    cfg = write(tmp_path / "c", config_text(
        smtpc, postfix, extra_relay="logfile -\n"))
    r = smtpc.run("send", "-C", cfg, "--account", "relay",
                  *body("stdout log"), BOB)
    assert r.rc == 0, r
    out = r.out.decode()
    assert re.match(r"^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d host=127\.0\.0"
                    r"\.1 tls=off auth=off from=carol@example\.test "
                    r"recipients=bob@example\.test mailsize=\d+ "
                    r"(?:smtpstatus=250 .* )?exitcode=EX_OK\n$", out), out


def test_logfile_records_a_failure_before_connecting(smtpc, postfix,
                                                      tmp_path):
    log = tmp_path / "smtpc.log"
    text = config_text(smtpc, postfix, extra_sub="logfile %s\n" % log)
    text = text.replace("passwordeval cat %s" % smtpc.s.password_file(),
                        "passwordeval exit 5")
    cfg = write(tmp_path / "c", text)
    r = smtpc.run("send", "-C", cfg, *body("x"), BOB)
    assert r.rc == 78, r
    line = log.read_text()
    assert line.endswith(" from=alice@example.test "
                         "recipients=bob@example.test exitcode=EX_CONFIG\n"), \
        line


# -- msmtp's own example file ---------------------------------------------

def test_msmtp_user_example_file_sends(smtpc, postfix, tmp_path):
    """msmtp's doc/msmtprc-user.example as ~/.msmtprc, only the host, port
    and user values changed; the CA and the password (the file wants gpg
    or the key ring) come from the command line."""
    src = os.path.join(REPO, "tests", "unit", "data", "msmtprc-user.example")
    with open(src) as f:
        text = f.read()
    for key, old, new in (("host", "smtp.freemail.example", "127.0.0.1"),
                          ("port", "587", str(postfix.port)),
                          ("user", "joe.smith", USER)):
        text, n = re.subn(r"(?m)^%s %s$" % (key, re.escape(old)),
                          "%s %s" % (key, new), text)
        assert n == 1, key
    write(tmp_path / ".msmtprc", text)
    r = smtpc.run("send", "--cafile", smtpc.s.pki.ca, "--password-file",
                  smtpc.s.password_file(), "-v", *body("msmtp example"), BOB)
    assert r.rc == 0, r
    msg = wait_one(postfix, "bob")
    assert msg["From"] == "joe_smith@freemail.example"
    assert "MAIL FROM:<joe_smith@freemail.example>" in r.err, r
    assert "-> STARTTLS" in r.err and "235" in r.err, r


def syslog_wrap(tmp_path):
    """A wrapper giving smtpc a /dev/log of the test's (a private mount
    namespace: /dev a tmpfs with the few devices bound back) and the
    datagram socket behind it, which the system may not have."""
    import socket
    if os.geteuid() != 0 or not shutil.which("unshare") or subprocess.run(
            ["unshare", "--mount", "true"]).returncode != 0:
        pytest.skip("needs unshare --mount (root) for a private /dev/log")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "log.sock")
    sock.bind(path)
    sock.settimeout(5)
    old = tmp_path / "olddev"
    old.mkdir()
    script = (
        'mount --bind /dev "$0" && mount -t tmpfs tmpfs /dev && '
        'for n in null zero full random urandom tty; do '
        'touch /dev/$n && mount --bind "$0/$n" /dev/$n || exit 90; done; '
        'ln -s "$1" /dev/log && shift && exec "$@"')
    return sock, ["unshare", "--mount", "--propagation", "private", "sh",
                  "-c", script, str(old), path]


def test_syslog_line(smtpc, postfix, tmp_path):
    sock, wrap = syslog_wrap(tmp_path)
    try:
        cfg = write(tmp_path / "c", config_text(
            smtpc, postfix, extra_relay="syslog LOG_MAIL\n"))
        r = smtpc.run("send", "-C", cfg, "--account", "relay",
                      *body("syslog"), BOB, wrap=wrap)
        assert r.rc == 0, r
        data = sock.recv(4096).decode()
    finally:
        sock.close()
    # <PRI>: LOG_MAIL (2 << 3) | LOG_INFO (6) = 22.
    assert re.match(r"^<22>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d smtpc\[\d+\]: "
                    r"host=127\.0\.0\.1 tls=off auth=off "
                    r"from=carol@example\.test recipients=bob@example\.test "
                    r"mailsize=\d+ (?:smtpstatus=250 .* )?exitcode=EX_OK$",
                    data), data
    wait_one(postfix, "bob")
