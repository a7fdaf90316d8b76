# SPDX-License-Identifier: ISC
"""Where the password may go, and where it must not be found.

- --tls none with a user: refused before anything is read or connected
  (exit 76) unless the server is on a loopback address or
  --allow-plaintext-auth is given; when it goes, a warning -q does not
  hide.  A name that is not "localhost" counts as remote whatever it
  resolves to: a private /etc/hosts (a mount namespace) points one at the
  recorder on 127.0.0.1, so the test sees that nothing connected.
- An empty secret, from any source, is refused before connecting with one
  line naming the source (exit 78, a configuration problem).
- A server that offers no AUTH when a user is given is the wrong server
  or port (76), not a refused password (77).
- $SMTPC_PASSWORD leaves no trace in /proc/PID/environ while smtpc runs,
  nor in the environment of the commands it starts.
"""

import os
import pty
import select
import shutil
import signal
import subprocess
import termios
import time

import pytest

import servers as srv
from conftest import recorder, skip_if_wrapped, smtpc_argv
from scripted import ScriptedServer

USER = srv.USER
BOB = "bob@example.test"
REMOTE = "relay.example.org"     # not loopback, by name


def send_args(subject):
    return ["-f", USER, "--to", BOB, "-s", subject, "--text", "x\n"]


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("smtpc: "), err
    return lines[0]


def can_unshare_mount():
    return os.geteuid() == 0 and shutil.which("unshare") is not None and \
        subprocess.run(["unshare", "--mount", "true"]).returncode == 0


def hosts_wrap(tmp_path, name, addr="127.0.0.1"):
    """A wrapper running smtpc with /etc/hosts saying name is addr."""
    if not can_unshare_mount():
        pytest.skip("needs unshare --mount (root) for a private /etc/hosts")
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n%s %s\n" % (addr, name))
    return ["unshare", "--mount", "sh", "-c",
            'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts)]


# -- AUTH over --tls none ------------------------------------------------

@pytest.mark.parametrize("cmd", ["send", "check"])
def test_plaintext_auth_to_a_remote_name_is_refused(smtpc, servers,
                                                    tmp_path, cmd):
    """REMOTE resolves to the recorder, yet is no loopback address by
    name: refused, nothing connected, no password source even read."""
    rec = recorder(servers, "plain")
    touched = tmp_path / "password-cmd-ran"
    args = [cmd, "--server", "%s:%d" % (REMOTE, rec.port), "--tls", "none",
            "-u", USER, "--password-cmd",
            "touch '%s'; cat '%s'" % (touched, servers.password_file())]
    if cmd == "send":
        args += send_args("remote")
    r = smtpc.run(*args, wrap=hosts_wrap(tmp_path, REMOTE))
    assert r.rc == 76, r
    line = one_line(r.err)
    assert "refusing" in line and REMOTE in line, line
    assert "--allow-plaintext-auth" in line, line
    time.sleep(0.3)
    assert rec.connections == 0, rec.commands
    assert not touched.exists(), "the password was fetched"


def test_plaintext_auth_to_a_remote_address_is_refused(smtpc, tmp_path):
    """An address that is not loopback (TEST-NET-1, RFC 5737): 76 at
    once, not the connect timeout or failure a connection would give."""
    start = time.monotonic()
    r = smtpc.run("send", "--server", "192.0.2.1:25", "--tls", "none",
                  "--timeout", "30", "-u", USER, "--password-file",
                  smtpc.s.password_file(), *send_args("remote"))
    assert r.rc == 76, r
    assert "refusing" in one_line(r.err), r
    assert "connect" not in r.err, r
    assert time.monotonic() - start < 10


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_plaintext_auth_to_loopback_warns_even_with_quiet(smtpc, servers,
                                                          host):
    rec = recorder(servers, "plain")
    r = smtpc.run("send", "--server", "%s:%d" % (host, rec.port),
                  "--tls", "none", "-q", "-u", USER, "--password-file",
                  servers.password_file(), *send_args("loopback"))
    assert r.rc == 0, r
    line = one_line(r.err)
    assert "warning" in line and "unencrypted" in line, line
    assert "AUTH" in rec.command_names() and rec.auth_ok == [True]
    assert len(rec.messages) == 1


def test_allow_plaintext_auth_to_a_remote_name(smtpc, servers, tmp_path):
    rec = recorder(servers, "plain")
    r = smtpc.run("send", "--server", "%s:%d" % (REMOTE, rec.port),
                  "--tls", "none", "--allow-plaintext-auth", "-q",
                  "-u", USER, "--password-file", servers.password_file(),
                  *send_args("allowed"), wrap=hosts_wrap(tmp_path, REMOTE))
    assert r.rc == 0, r
    line = one_line(r.err)
    assert "warning" in line and "--allow-plaintext-auth" in line, line
    assert rec.auth_ok == [True] and len(rec.messages) == 1


def test_no_user_no_refusal(smtpc, servers, tmp_path):
    """A plain relay without AUTH stays usable by any name, silently."""
    rec = recorder(servers, "plain")
    r = smtpc.run("send", "--server", "%s:%d" % (REMOTE, rec.port),
                  "--tls", "none", *send_args("relay"),
                  wrap=hosts_wrap(tmp_path, REMOTE))
    assert r.rc == 0, r
    assert r.err == "", r
    assert "AUTH" not in rec.command_names() and len(rec.messages) == 1


# -- empty secrets -----------------------------------------------------------

def implicit(smtpc, rec):
    return ["--server", "127.0.0.1:%d" % rec.port, "--tls", "implicit",
            "--cafile", smtpc.s.pki.ca, "-u", USER]


def write_netrc(path, password):
    path.write_text('machine 127.0.0.1 login %s password "%s"\n' % (
        USER, password))
    os.chmod(str(path), 0o600)
    return str(path)


@pytest.mark.parametrize("source", [
    "password-file", "password-file-newline", "password-cmd",
    "environment", "netrc", "oauth-token-cmd"])
def test_empty_secret_is_78_naming_the_source(smtpc, servers, tmp_path,
                                              source):
    rec = recorder(servers, "implicit")
    empty = tmp_path / "empty"
    empty.write_text("\n" if source.endswith("newline") else "")
    env = {}
    extra = []
    if source.startswith("password-file"):
        extra = ["--password-file", str(empty)]
        want = "password file %s is empty" % empty
    elif source == "password-cmd":
        extra = ["--password-cmd", "printf '\\n'"]
        want = "--password-cmd printed no password"
    elif source == "environment":
        env = {"SMTPC_PASSWORD": ""}
        want = "SMTPC_PASSWORD is set but empty"
    elif source == "netrc":
        env = {"NETRC": write_netrc(tmp_path / "netrc", "")}
        want = "the entry for 127.0.0.1 has an empty password"
    else:
        extra = ["--oauth-token-cmd", "true"]
        want = "--oauth-token-cmd printed no token"
    r = smtpc.run("send", *implicit(smtpc, rec), *extra,
                  *send_args("empty"), env=env)
    assert r.rc == 78, r
    assert want in one_line(r.err), r
    time.sleep(0.3)
    assert rec.connections == 0


def test_empty_password_at_the_prompt_is_78(smtpc, servers):
    """The prompt on the controlling terminal (a pty here), answered with
    an empty line."""
    skip_if_wrapped("reads the prompt through a pty")
    rec = recorder(servers, "implicit")
    argv = smtpc_argv("send", *implicit(smtpc, rec), *send_args("prompt"))
    env = dict(os.environ, HOME=smtpc.tmp, LC_ALL="C.UTF-8")
    env.pop("SMTPC_PASSWORD", None)
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    out = b""
    answered = False
    status = None
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:         # EIO: the child is gone
                    chunk = b""
                out += chunk
                if not chunk:
                    break
            # Answer once echo is off: smtpc turns it off with
            # TCSAFLUSH, which drops whatever was typed before.
            if not answered and b"Password for" in out and \
                    not termios.tcgetattr(fd)[3] & termios.ECHO:
                os.write(fd, b"\n")
                answered = True
        while status is None and time.monotonic() < deadline:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
            else:
                time.sleep(0.05)
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert status is not None, "smtpc still waiting: %r" % out
    text = out.decode("utf-8", "replace")
    assert answered, text
    assert os.WEXITSTATUS(status) == 78, text
    assert "terminal prompt" in text, text
    assert rec.connections == 0


# -- a server with no AUTH for the user --------------------------------------

def test_postfix_port_without_auth_is_76(smtpc, servers):
    """Postfix's plain port offers no AUTH: the wrong port, not a wrong
    password; the message says what the server offers."""
    r = smtpc.run("send", "--server",
                  "127.0.0.1:%d" % servers.postfix.plain_port,
                  "--tls", "none", "-u", USER, "--password-file",
                  servers.password_file(), *send_args("no auth"))
    assert r.rc == 76, r
    assert "offers no authentication" in r.err, r
    assert "offers: nothing" in r.err, r


# -- $SMTPC_PASSWORD leaves no trace ----------------------------------------

def test_environment_password_not_in_proc_environ(smtpc, servers):
    """While smtpc waits for a greeting that never comes, its
    /proc/PID/environ (what `ps e` shows root and monitoring agents)
    holds no password, and the process is not dumpable: run as nobody,
    its /proc files then belong to root."""
    skip_if_wrapped("the PID must be smtpc's own")
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run smtpc as nobody")
    secret = "env-s3cret-%d-never-seen" % os.getpid()
    s = ScriptedServer(servers.pki, overrides={"greeting": ("hang",)})
    s.start()
    env = dict(os.environ, HOME=smtpc.tmp, LC_ALL="C.UTF-8",
               SMTPC_PASSWORD=secret)
    argv = ["setpriv", "--reuid=nobody", "--regid=nogroup",
            "--clear-groups", smtpc.bin, "send",
            "--server", "127.0.0.1:%d" % s.port, "--tls", "starttls",
            "--timeout", "30", "-u", USER] + send_args("environ")
    p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while s.connections == 0 and time.monotonic() < deadline and \
                p.poll() is None:
            time.sleep(0.05)
        assert s.connections == 1 and p.poll() is None, p.communicate()
        with open("/proc/%d/environ" % p.pid, "rb") as f:
            environ = f.read()
        owner = os.stat("/proc/%d/environ" % p.pid).st_uid
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        p.communicate(timeout=10)
        s.stop()
    # Read, and not empty (the environment holds HOME and the rest).
    assert b"HOME=" in environ, "could not read /proc/PID/environ"
    assert secret.encode() not in environ, \
        "the password is in /proc/PID/environ"
    assert owner == 0, "smtpc is dumpable while it holds a password"


def test_environment_password_not_inherited(smtpc, servers, tmp_path):
    """--password-cmd wins over $SMTPC_PASSWORD, and the command it runs
    does not see that variable."""
    rec = recorder(servers, "implicit")
    seen = tmp_path / "seen"
    r = smtpc.run("send", *implicit(smtpc, rec), "--password-cmd",
                  "printenv SMTPC_PASSWORD > '%s'; cat '%s'" % (
                      seen, servers.password_file()),
                  *send_args("inherit"),
                  env={"SMTPC_PASSWORD": "from the environment"})
    assert r.rc == 0, r
    assert rec.auth_ok == [True]
    assert seen.read_text() == "", "the command inherited SMTPC_PASSWORD"
