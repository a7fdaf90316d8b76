# SPDX-License-Identifier: ISC
"""~/.netrc (or $NETRC) as a source of the login and the password.

The password is servers.PASSWORD, which holds spaces, quotes and a
backslash, so every netrc written here exercises the quoted-token form.
The server is always 127.0.0.1 (Smtpc.server), so that is the machine.
"""

import os

import pytest

import servers as srv
from conftest import recorder, wait_one

USER = srv.USER
BOB = "bob@example.test"
HOST = "127.0.0.1"


def quote(token):
    """A netrc token as curl reads it: double quotes, \\ and \" escaped."""
    return '"%s"' % token.replace("\\", "\\\\").replace('"', '\\"')


def write_netrc(path, password=srv.PASSWORD, login=USER, host=HOST,
                mode=0o600):
    text = "# smtpc test\nmachine other.example login x password y\n"
    text += "machine %s" % host
    if login is not None:
        text += " login %s" % quote(login)
    if password is not None:
        text += "\n\tpassword %s" % quote(password)
    text += "\n"
    with open(path, "w") as f:
        f.write(text)
    os.chmod(str(path), mode)
    return str(path)


def implicit(smtpc, rec, user=True):
    """Server options for the implicit-TLS recorder, no password source."""
    a = ["--server", "%s:%d" % (HOST, rec.port), "--tls", "implicit",
         "--cafile", smtpc.s.pki.ca]
    return a + (["-u", USER] if user else [])


def send_args(subject):
    return ["-f", USER, "--to", BOB, "-s", subject, "--text", "x\n"]


def assert_no_secret(err):
    raw = err.encode()
    for secret in srv.secret_forms():
        assert secret not in raw, "secret leaked: %r" % secret


def test_login_and_password_from_netrc_through_postfix(smtpc, postfix,
                                                       tmp_path):
    """No -u: the login and the password both come from $NETRC."""
    netrc = write_netrc(tmp_path / "netrc")
    r = smtpc.run("send", *smtpc.postfix(auth=False), "-v",
                  *send_args("netrc"), env={"NETRC": netrc})
    assert r.rc == 0, r
    assert wait_one(postfix, "bob")["Subject"] == "netrc"
    assert "AUTH" in r.err.upper() and "****" in r.err, r
    assert "235" in r.err, r
    assert_no_secret(r.err)


def test_password_from_netrc_for_given_user(smtpc, servers, tmp_path):
    rec = recorder(servers, "implicit")
    netrc = write_netrc(tmp_path / "netrc")
    r = smtpc.run("send", *implicit(smtpc, rec), *send_args("u"),
                  env={"NETRC": netrc})
    assert r.rc == 0, r
    assert rec.auth_ok == [True]
    assert len(rec.messages) == 1


def test_netrc_entry_of_another_user_is_not_used(smtpc, servers, tmp_path):
    """-u names a user the entry's login is not: its password stays put."""
    rec = recorder(servers, "implicit")
    netrc = write_netrc(tmp_path / "netrc", login="mallory@example.test")
    r = smtpc.run("send", *implicit(smtpc, rec), *send_args("other"),
                  env={"NETRC": netrc})
    # No other source: the prompt, and no terminal here to ask on.
    assert r.rc == 78, r
    assert rec.connections == 0 and rec.auth_ok == []


@pytest.mark.parametrize("user", [True, False], ids=["u", "no-u"])
def test_netrc_readable_by_others_is_78_before_connecting(smtpc, servers,
                                                         tmp_path, user):
    rec = recorder(servers, "implicit")
    netrc = write_netrc(tmp_path / "netrc", mode=0o644)
    r = smtpc.run("send", *implicit(smtpc, rec, user=user),
                  *send_args("unsafe"), env={"NETRC": netrc})
    assert r.rc == 78, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("smtpc: "), r
    assert netrc in lines[0] and "chmod 600" in lines[0], r
    assert rec.connections == 0 and "AUTH" not in rec.command_names()
    assert_no_secret(r.err)


def test_wrong_password_in_netrc_is_77(smtpc, servers, tmp_path):
    rec = recorder(servers, "implicit")
    netrc = write_netrc(tmp_path / "netrc", password="not " + srv.PASSWORD)
    r = smtpc.run("send", *implicit(smtpc, rec), *send_args("bad"),
                  env={"NETRC": netrc})
    assert r.rc == 77, r
    assert rec.auth_ok and not any(rec.auth_ok)
    assert rec.messages == [] and "MAIL" not in rec.command_names()


def test_dot_netrc_in_home(smtpc, servers, tmp_path):
    """No $NETRC: $HOME/.netrc (smtpc.run sets HOME to tmp_path), no -u."""
    rec = recorder(servers, "implicit")
    write_netrc(tmp_path / ".netrc")
    r = smtpc.run("send", *implicit(smtpc, rec, user=False),
                  *send_args("home"), env={"NETRC": "", "HOME": str(tmp_path)})
    assert r.rc == 0, r
    assert rec.auth_ok == [True]
    assert len(rec.messages) == 1


def test_password_file_beats_netrc(smtpc, servers, tmp_path):
    rec = recorder(servers, "implicit")
    netrc = write_netrc(tmp_path / "netrc", password="not " + srv.PASSWORD)
    r = smtpc.run("send", *implicit(smtpc, rec), "--password-file",
                  servers.password_file(), *send_args("file"),
                  env={"NETRC": netrc})
    assert r.rc == 0, r
    assert rec.auth_ok == [True]


def test_environment_beats_netrc(smtpc, servers, tmp_path):
    rec = recorder(servers, "implicit")
    netrc = write_netrc(tmp_path / "netrc", password="not " + srv.PASSWORD)
    r = smtpc.run("send", *implicit(smtpc, rec), *send_args("env"),
                  env={"NETRC": netrc, "SMTPC_PASSWORD": srv.PASSWORD})
    assert r.rc == 0, r
    assert rec.auth_ok == [True]


def test_malformed_netrc_is_78_naming_the_line(smtpc, servers, tmp_path):
    rec = recorder(servers, "implicit")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine %s login %s\nmachine\n" % (HOST, USER))
    os.chmod(str(netrc), 0o600)
    r = smtpc.run("send", *implicit(smtpc, rec), *send_args("bad netrc"),
                  env={"NETRC": str(netrc)})
    assert r.rc == 78, r
    assert str(netrc) in r.err and "line 2" in r.err, r
    assert rec.connections == 0


def test_netrc_login_not_used_without_tls(smtpc, servers, tmp_path):
    """--tls none and no -u: a plain relay stays a plain relay, even when
    ~/.netrc has an entry for it (its password would cross in the clear)."""
    rec = recorder(servers, "plain")        # offers AUTH without TLS
    netrc = write_netrc(tmp_path / "netrc")
    r = smtpc.run("send", "--server", "%s:%d" % (HOST, rec.port), "--tls",
                  "none", *send_args("relay"), env={"NETRC": netrc})
    assert r.rc == 0, r
    assert len(rec.messages) == 1
    assert "AUTH" not in rec.command_names()
    assert "warning" not in r.err, r


def test_check_names_the_netrc_login(smtpc, servers, tmp_path):
    rec = recorder(servers, "implicit")
    netrc = write_netrc(tmp_path / "netrc")
    r = smtpc.run("check", *implicit(smtpc, rec, user=False),
                  env={"NETRC": netrc})
    assert r.rc == 0, r
    out = r.out.decode()
    assert "ok as %s" % USER in out, out
    assert rec.auth_ok == [True]
