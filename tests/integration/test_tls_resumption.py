# SPDX-License-Identifier: ISC
"""TLS session resumption across runs, against the test Postfix (STARTTLS;
TLS 1.3 tickets from its tlsmgr) and aiosmtpd (implicit TLS; Python's ssl
module sends two tickets per connection).

smtpc keeps sessions in $XDG_CACHE_HOME/smtpc/tls-sessions, by default
~/.cache/smtpc/tls-sessions; every test has its own HOME.  `smtpc check`
prints "resumed: yes|no", and -v traces what the cache did.
"""

import os
import shutil
import stat

from conftest import recorder, wait_one


def cache_path(smtpc):
    return os.path.join(smtpc.tmp, ".cache", "smtpc", "tls-sessions")


def resumed(r):
    """'yes' or 'no' from `smtpc check`'s resumed: line."""
    for line in r.out.decode("utf-8", "replace").splitlines():
        if line.startswith("resumed:"):
            return line.split()[1]
    raise AssertionError("no resumed: line\n%r" % r)


def check(smtpc, args, env=None):
    return smtpc.run("check", "-v", *args, env=env)


def implicit(smtpc, servers, **kw):
    return smtpc.server(servers.recorders["implicit"].port, tls="implicit",
                        **kw)


def send_args(subject):
    return ["-f", "alice@example.test", "--to", "bob@example.test",
            "-s", subject, "--text", "resumed or not"]


def test_postfix_second_run_resumes(smtpc, postfix):
    args = smtpc.postfix()
    r = check(smtpc, args)
    assert r.rc == 0, r
    assert resumed(r) == "no", r
    assert "saved in" in r.err, r
    path = cache_path(smtpc)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    r = check(smtpc, args)
    assert r.rc == 0 and resumed(r) == "yes", r
    assert "verified:     yes" in r.out.decode(), r
    # Postfix sends no new ticket on a resumed connection: the ticket
    # stays, and a send resumes as well.
    r = smtpc.run("send", "-v", *args, *send_args("resumed send"))
    assert r.rc == 0, r
    assert "resumed from the cache" in r.err, r
    msg = wait_one(postfix, "bob")
    assert msg["Subject"] == "resumed send"


def test_postfix_tls12_session_id_resumes(smtpc, servers, postfix):
    """TLS 1.2 without tickets: the session ID, from Postfix's session
    cache (smtpd_tls_session_cache_database)."""
    args = smtpc.server(servers.postfix.tls12_port)
    r = check(smtpc, args)
    assert r.rc == 0 and resumed(r) == "no", r
    assert "TLS:          TLSv1.2," in r.out.decode(), r
    for _ in range(2):
        r = check(smtpc, args)
        assert r.rc == 0 and resumed(r) == "yes", r
        assert "TLS:          TLSv1.2," in r.out.decode(), r


def test_implicit_tls_resumes(smtpc, servers):
    rec = recorder(servers, "implicit")
    args = implicit(smtpc, servers)
    r = check(smtpc, args)
    assert r.rc == 0 and resumed(r) == "no", r
    for _ in range(2):
        # Each resumed connection brings new tickets for the next one.
        r = check(smtpc, args)
        assert r.rc == 0 and resumed(r) == "yes", r
    r = smtpc.run("send", *args, *send_args("implicit, resumed"))
    assert r.rc == 0, r
    assert len(rec.messages) == 1


def test_changed_cafile_does_not_resume(smtpc, servers, postfix, tmp_path):
    r = check(smtpc, smtpc.postfix())
    assert r.rc == 0 and resumed(r) == "no", r
    copy = tmp_path / "same-ca.pem"
    shutil.copy(servers.pki.ca, copy)
    args = smtpc.postfix(ca=False) + ["--cafile", str(copy)]
    r = check(smtpc, args)
    assert r.rc == 0 and resumed(r) == "no", r
    assert "no cached TLS session" in r.err, r


def test_other_trust_settings_do_not_resume(smtpc, servers):
    """Insecure, a pin or STARTTLS vs implicit: each its own sessions."""
    r = check(smtpc, implicit(smtpc, servers))
    assert r.rc == 0 and resumed(r) == "no", r
    r = check(smtpc, implicit(smtpc, servers, ca=False) + ["--insecure"])
    assert r.rc == 0 and resumed(r) == "no", r
    r = check(smtpc, implicit(smtpc, servers))
    assert r.rc == 0 and resumed(r) == "yes", r


def test_untrusted_ca_refused_even_with_a_cached_session(smtpc, servers,
                                                         postfix):
    r = check(smtpc, smtpc.postfix())
    assert r.rc == 0, r
    args = smtpc.postfix(ca=False) + ["--cafile", servers.pki.rogue_ca]
    r = check(smtpc, args)
    assert r.rc == 76, r
    assert "certificate verify failed" in r.err, r


def test_trust_store_change_rechecks_the_cached_session(smtpc, servers,
                                                        postfix):
    """Same settings (the system store, which SSL_CERT_FILE names here),
    but the store no longer trusts the server's CA: the cached session's
    certificate is checked again and the session not offered, so the
    connection is refused as a full handshake would be."""
    args = smtpc.postfix(ca=False)
    good = {"SSL_CERT_FILE": servers.pki.ca}
    r = check(smtpc, args, env=good)
    assert r.rc == 0 and resumed(r) == "no", r
    r = check(smtpc, args, env=good)
    assert r.rc == 0 and resumed(r) == "yes", r
    rogue = {"SSL_CERT_FILE": servers.pki.rogue_ca}
    r = check(smtpc, args, env=rogue)
    assert r.rc == 76, r
    assert "fails the checks now" in r.err, r
    assert "certificate verify failed" in r.err, r
    # The session that failed its checks is gone from the file.
    r = check(smtpc, args, env=rogue)
    assert r.rc == 76 and "no cached TLS session" in r.err, r


def test_corrupted_cache_warns_and_sends(smtpc, postfix):
    args = smtpc.postfix()
    r = check(smtpc, args)
    assert r.rc == 0, r
    path = cache_path(smtpc)
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        data[len(data) // 2] ^= 0x01
        f.seek(0)
        f.write(bytes(data))
    r = smtpc.run("send", "-v", *args, *send_args("after damage"))
    assert r.rc == 0, r
    assert "warning: TLS session cache" in r.err and "damaged" in r.err, r
    assert wait_one(postfix, "bob")["Subject"] == "after damage"
    # Replaced by a good file: the next run resumes.
    r = check(smtpc, args)
    assert r.rc == 0 and resumed(r) == "yes", r
    # Cut short: the same.
    with open(path, "r+b") as f:
        f.truncate(100)
    r = check(smtpc, args)
    assert r.rc == 0 and resumed(r) == "no", r
    assert "cut short" in r.err, r


def test_no_tls_cache_never_writes(smtpc, servers, postfix):
    args = smtpc.postfix() + ["--no-tls-cache"]
    r = check(smtpc, args)
    assert r.rc == 0 and resumed(r) == "no", r
    r = smtpc.run("send", *args, *send_args("no cache"))
    assert r.rc == 0, r
    assert not os.path.exists(os.path.join(smtpc.tmp, ".cache")), \
        os.listdir(smtpc.tmp)
    # With a cache present, --no-tls-cache neither uses nor touches it.
    r = check(smtpc, smtpc.postfix())
    assert r.rc == 0, r
    before = os.stat(cache_path(smtpc))
    r = check(smtpc, args)
    assert r.rc == 0 and resumed(r) == "no", r
    after = os.stat(cache_path(smtpc))
    assert (before.st_ino, before.st_mtime_ns) == \
        (after.st_ino, after.st_mtime_ns)


def test_cache_others_may_touch_is_not_trusted(smtpc, servers, postfix):
    args = smtpc.postfix()
    r = check(smtpc, args)
    assert r.rc == 0, r
    path = cache_path(smtpc)
    os.chmod(path, 0o644)
    r = check(smtpc, args)
    assert r.rc == 0 and resumed(r) == "no", r
    assert "others may read or write it" in r.err, r
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, "not replaced"
    # A directory others may write in: neither read nor written.
    d = os.path.dirname(path)
    os.chmod(d, 0o777)
    before = os.stat(path)
    r = check(smtpc, args)
    assert r.rc == 0 and resumed(r) == "no", r
    assert "others may write in its directory" in r.err, r
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns


def test_xdg_cache_home(smtpc, servers, postfix, tmp_path):
    xdg = tmp_path / "xdg"
    r = check(smtpc, smtpc.postfix(), env={"XDG_CACHE_HOME": str(xdg)})
    assert r.rc == 0, r
    assert (xdg / "smtpc" / "tls-sessions").is_file()
    assert not os.path.exists(os.path.join(smtpc.tmp, ".cache"))
