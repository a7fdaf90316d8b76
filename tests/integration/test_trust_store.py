# SPDX-License-Identifier: ISC
"""The system trust store, without --cafile: where the default certificate
directory is hashed (Debian's /etc/ssl/certs), smtpc looks up only the CA a
chain needs there instead of reading the whole bundle file (some 150 CAs,
tens of milliseconds) on every run; also when SSL_CERT_FILE and
SSL_CERT_DIR name those same defaults.  What smtpc opens is read with
strace.
"""

import os
import re
import shutil

import pytest

from conftest import skip_if_wrapped

CERT_DIR = "/usr/lib/ssl/certs"      # OpenSSL's default on Debian
BUNDLE = "/usr/lib/ssl/cert.pem"


def same(env, path):
    """$env unset, or naming the same file as path (as smtpc decides)."""
    v = os.environ.get(env)
    if v is None:
        return True
    try:
        a, b = os.stat(v), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def hashed(d):
    try:
        return any(re.fullmatch(r"[0-9a-f]{8}\.[0-9]+", n)
                   for n in os.listdir(d))
    except OSError:
        return False


def test_system_store_reads_only_the_ca_needed(smtpc, servers, tmp_path):
    if not shutil.which("strace"):
        pytest.skip("strace is not installed")
    skip_if_wrapped("strace and the wrapper cannot both trace smtpc")
    if not hashed(CERT_DIR):
        pytest.skip("%s is not a hashed directory here" % CERT_DIR)
    if not same("SSL_CERT_FILE", BUNDLE) or not same("SSL_CERT_DIR",
                                                     CERT_DIR):
        pytest.skip("SSL_CERT_FILE or SSL_CERT_DIR names another store")
    log = tmp_path / "opened"
    args = smtpc.postfix(ca=False, auth=False) + ["--no-tls-cache"]
    # LeakSanitizer cannot run under ptrace: an ASan build checks leaks
    # everywhere else.
    r = smtpc.run("check", *args, wrap=["strace", "-f", "-o", str(log),
                                        "-e", "trace=%file"],
                  env={"ASAN_OPTIONS": "detect_leaks=0"})
    # The test CA is in no system store: the check fails, as it must.
    assert r.rc == 76, r
    assert "certificate verify failed" in r.err, r
    opened = log.read_text()
    assert not re.search(r'open(at)?\(.*"(%s|[^"]*ca-certificates\.crt)"'
                         % BUNDLE, opened), \
        "the whole bundle was read:\n" + opened[-3000:]
    # The issuer was looked up by its subject's hash (stat, then open).
    assert re.search(r'"%s/[0-9a-f]{8}\.0"' % CERT_DIR, opened), \
        opened[-3000:]
