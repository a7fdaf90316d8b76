# SPDX-License-Identifier: ISC
"""What a run opens before it does its work: libsecret (and with it GLib,
GIO, GObject) only when a password is looked up in the key ring; OpenSSL's
configuration (and its random generator) only when TLS or AUTH needs it,
never for a Message-ID or a boundary.  Each costs milliseconds on every
run, most of a dry run or of one message to a relay on loopback.  What
smtpc opens is read with strace.
"""

import re
import shutil

import pytest

from conftest import skip_if_wrapped


def opened(smtpc, tmp_path, *args, env=None):
    """The result of running smtpc with ARGS, and the files it opened."""
    if not shutil.which("strace"):
        pytest.skip("strace is not installed")
    skip_if_wrapped("strace and the wrapper cannot both trace smtpc")
    log = tmp_path / "opened"
    e = {"ASAN_OPTIONS": "detect_leaks=0"}   # LeakSanitizer and ptrace
    e.update(env or {})
    r = smtpc.run(*args, env=e, wrap=["strace", "-f", "-o", str(log),
                                      "-e", "trace=open,openat"])
    files = re.findall(r'open(?:at)?\((?:AT_FDCWD, )?"([^"]*)"',
                       log.read_text())
    return r, files


DRY_RUN = ("send", "-f", "a@example.test", "--to", "b@example.test",
           "-s", "start", "--text", "hi", "--dry-run", "-o", "/dev/null")


@pytest.mark.parametrize("args", [("--version",), DRY_RUN],
                         ids=["version", "dry-run"])
def test_no_key_ring_libraries_unless_asked(smtpc, tmp_path, args):
    r, files = opened(smtpc, tmp_path, *args)
    assert r.rc == 0, r
    assert any("libc.so" in f for f in files), files   # strace saw it
    loaded = [f for f in files if re.search(
        r"/lib(secret|glib|gio|gobject)-[0-9.]+\.so", f)]
    assert loaded == [], loaded


def test_dry_run_does_not_start_openssl(smtpc, tmp_path):
    """A message with an attachment needs random bytes for its Message-ID
    and its boundary; they come from the kernel, and OpenSSL, whose first
    use reads its configuration file, is never started."""
    conf = tmp_path / "openssl.cnf"
    conf.write_text("# read only when OpenSSL starts\n")
    att = tmp_path / "a.txt"
    att.write_text("an attachment\n")
    r, files = opened(smtpc, tmp_path, *DRY_RUN, "-a", str(att),
                      env={"OPENSSL_CONF": str(conf)})
    assert r.rc == 0, r
    assert str(att) in files, files                      # strace saw it
    assert str(conf) not in files, files
