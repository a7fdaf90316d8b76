# SPDX-License-Identifier: ISC
"""The name smtpc gives in EHLO.

Never the machine's bare short host name: it leaks the name, and servers
refuse it (the test Postfix runs reject_non_fqdn_helo_hostname, as strict
providers do, so every Postfix test depends on this).  The host's fully
qualified name when it has one, else the address literal of our end of the
connection (RFC 5321 4.1.4), else what --helo says.

The host name and /etc/hosts are the machine's; the tests that need a
particular one run smtpc in its own UTS and mount namespaces (unshare,
root) with a host name and an /etc/hosts of their own.
"""

import os
import re
import shutil
import socket
import subprocess

import pytest

import servers as srv
from conftest import recorder

USER = srv.USER
BOB = "bob@example.test"


def send_args(subject):
    return ["-f", USER, "--to", BOB, "-s", subject, "--text", "x\n"]


def ehlo_names(rec):
    with rec.lock:
        return [c.split(" ", 1)[1] if " " in c else ""
                for _n, c in rec.commands
                if c.upper().startswith(("EHLO", "HELO"))]


def can_unshare():
    return os.geteuid() == 0 and shutil.which("unshare") is not None and \
        subprocess.run(["unshare", "--uts", "--mount", "true"]).returncode \
        == 0


def as_host(tmp_path, hostname, hosts_lines):
    """A wrapper: smtpc on a machine called hostname, with this
    /etc/hosts."""
    if not can_unshare():
        pytest.skip("needs unshare --uts --mount (root)")
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n" + "".join(
        l + "\n" for l in hosts_lines))
    return ["unshare", "--uts", "--mount", "sh", "-c",
            'hostname "$0" && mount --bind "$1" /etc/hosts && shift && '
            'exec "$@"', hostname, str(hosts)]


def test_postfix_refuses_a_short_helo_name(smtpc, postfix):
    """The test Postfix really checks: a bare name gets 504 (5xx: 69)."""
    r = smtpc.run("send", *smtpc.postfix(), "--helo", "shortname",
                  *send_args("short helo"))
    assert r.rc == 69, r
    assert "504" in r.err and "fully-qualified" in r.err, r


def test_postfix_takes_the_default_name(smtpc, postfix):
    r = smtpc.run("send", *smtpc.postfix(), "-v", *send_args("default"))
    assert r.rc == 0, r
    assert postfix.wait_messages("bob", 1, 30), postfix.maillog()[-2000:]
    sent = re.findall(r"(?m)^-> EHLO (\S+)$", r.err)
    assert sent, r.err
    short = socket.gethostname()
    if "." not in short:
        assert short not in sent, sent


def test_default_name_is_never_the_short_host_name(smtpc, servers):
    rec = recorder(servers, "starttls")
    r = smtpc.run("send", *smtpc.server(rec.port), *send_args("name"))
    assert r.rc == 0, r
    names = ehlo_names(rec)
    assert len(names) == 2, names          # before and after STARTTLS
    short = socket.gethostname()
    for n in names:
        assert n == "[127.0.0.1]" or ("." in n and not n.startswith("[")), \
            names
        if "." not in short:
            assert n != short, names


@pytest.mark.parametrize("hostname,hosts,want", [
    # Debian's installer writes this line: the FQDN comes from it.
    ("shortbox", ["127.0.1.1 box.example.test shortbox"],
     "box.example.test"),
    # A container's usual /etc/hosts: the name, and no FQDN for it.
    ("shortbox", ["127.0.0.1 shortbox"], "[127.0.0.1]"),
    # A host name that is fully qualified already.
    ("box.example.test", [], "box.example.test"),
], ids=["fqdn-from-hosts", "short-only", "hostname-is-fqdn"])
def test_default_name_by_host_setup(smtpc, servers, tmp_path, hostname,
                                    hosts, want):
    rec = recorder(servers, "plain")
    r = smtpc.run("send", "--server", "127.0.0.1:%d" % rec.port,
                  "--tls", "none", *send_args("setup"),
                  wrap=as_host(tmp_path, hostname, hosts))
    assert r.rc == 0, r
    assert ehlo_names(rec) == [want]
    if "." not in hostname:
        with rec.lock:
            assert not any(hostname in c for _n, c in rec.commands)


def test_helo_option_at_postfix(smtpc, postfix):
    r = smtpc.run("send", *smtpc.postfix(), "-v", "--helo",
                  "client.example.test", *send_args("helo option"))
    assert r.rc == 0, r
    assert "-> EHLO client.example.test" in r.err, r
    assert postfix.wait_messages("bob", 1, 30)
