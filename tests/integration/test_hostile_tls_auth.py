# SPDX-License-Identifier: ISC
"""Hostile servers against smtpc's TLS and AUTH (issue 4, items 2, 3, 7).

Each case is data: a server (the scripted server of scripted.py with a
TLS context of the case's choosing and, for AUTH, a server side of the
mechanism written here), the extra smtpc arguments, the exit code, what
the client must and must not have done.  Every case also checks that the
password (in every form it could take) never crossed the connection
while it was unencrypted, and that no AUTH command went out before TLS.

Certificates the shared Pki does not have (expired, for another name,
self-signed, a client CA) are made here with python3-cryptography.
"""

import base64
import datetime
import hashlib
import hmac
import ipaddress
import os
import re
import ssl
import time
import warnings

import pytest

import servers as srv
from scripted import ScriptedServer

USER = srv.USER
PASSWORD = srv.PASSWORD
TOKEN = "ya29.a0AfH6SMBx-test_token.value~/+="

crypto = pytest.importorskip("cryptography")
from cryptography import x509                                 # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa
from cryptography.hazmat.primitives.asymmetric import ec      # noqa: E402
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID  # noqa


# -- certificates ---------------------------------------------------------

def _write_key(path, key):
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def _write_cert(path, cert):
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def _cert(subject_cn, key, issuer_cert, issuer_key, names=(), ips=(),
          days=(-1, 2), ca=False, client=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                            subject_cn)])
    b = (x509.CertificateBuilder()
         .subject_name(subject)
         .issuer_name(issuer_cert.subject if issuer_cert else subject)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(now + datetime.timedelta(days=days[0]))
         .not_valid_after(now + datetime.timedelta(days=days[1])))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None),
                            critical=True)
    else:
        alt = [x509.DNSName(n) for n in names] + \
            [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        if alt:
            b = b.add_extension(x509.SubjectAlternativeName(alt),
                                critical=False)
        b = b.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.CLIENT_AUTH if client
             else ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return b.sign(issuer_key or key, hashes.SHA256())


class Certs:
    """Server certificates of every kind of wrong, and a client pair."""

    def __init__(self, pki, d):
        self.pki = pki
        self.dir = d
        with open(os.path.join(pki.dir, "ca.key"), "rb") as f:
            ca_key = serialization.load_pem_private_key(f.read(), None)
        with open(pki.ca, "rb") as f:
            ca_cert = x509.load_pem_x509_certificate(f.read())
        here = ("localhost",), ("127.0.0.1",)
        self.pairs = {}
        self._make("expired", ca_cert, ca_key, *here, days=(-30, -1))
        self._make("future", ca_cert, ca_key, *here, days=(5, 30))
        self._make("other-name", ca_cert, ca_key, ("mail.other.example",),
                   ())
        self._make("self-signed", None, None, *here)
        # A CA for client certificates, and one client pair it signed.
        ck = ec.generate_private_key(ec.SECP256R1())
        cc = _cert("smtpc client CA", ck, None, None, ca=True)
        self.client_ca = os.path.join(d, "client-ca.pem")
        _write_cert(self.client_ca, cc)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert("alice client", key, cc, ck, client=True)
        self.client_cert = os.path.join(d, "client.pem")
        self.client_key = os.path.join(d, "client.key")
        _write_cert(self.client_cert, cert)
        _write_key(self.client_key, key)
        self.client_key_encrypted = os.path.join(d, "client-enc.key")
        with open(self.client_key_encrypted, "wb") as f:
            f.write(key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"passphrase")))
        self.client_both = os.path.join(d, "client-both.pem")
        with open(self.client_both, "wb") as f:
            f.write(open(self.client_cert, "rb").read() +
                    open(self.client_key, "rb").read())
        self.good_sha256 = self.sha256(pki.cert)

    def _make(self, name, ca_cert, ca_key, names, ips, days=(-1, 2)):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert("localhost" if names == ("localhost",) else names[0],
                     key, ca_cert, ca_key, names, ips, days)
        c = os.path.join(self.dir, name + ".pem")
        k = os.path.join(self.dir, name + ".key")
        _write_cert(c, cert)
        _write_key(k, key)
        self.pairs[name] = (c, k)

    @staticmethod
    def sha256(pem_path):
        with open(pem_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        return cert.fingerprint(hashes.SHA256()).hex().upper()

    def context(self, kind="good", tls_max=None, client_ca=False):
        """A server-side TLS context (what ScriptedServer wraps with)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if kind == "good":
            ctx.load_cert_chain(self.pki.cert, self.pki.key)
        else:
            ctx.load_cert_chain(*self.pairs[kind])
        if tls_max is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = tls_max
            # Let OpenSSL 3 speak the old versions at all (security
            # level 0): the refusal must then be the client's.
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        if client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(self.client_ca)
        return ctx


class FixedPki:
    """What ScriptedServer asks of a Pki: one server context."""

    def __init__(self, ctx):
        self.ctx = ctx

    def server_context(self):
        return self.ctx


@pytest.fixture(scope="module")
def certs(servers, tmp_path_factory):
    return Certs(servers.pki, str(tmp_path_factory.mktemp("hostile-pki")))


# -- server sides of the mechanisms ---------------------------------------

def b64(b):
    return base64.b64encode(b).decode()


def unb64(s):
    return base64.b64decode(s, validate=True)


def _hmac(h, key, msg):
    return hmac.new(key, msg, h).digest()


class AuthServer(ScriptedServer):
    """The scripted server with an AUTH side chosen per case.

    auth_mode: "scram" (SCRAM-SHA-1/256 server, options in scram),
    "oauth" (XOAUTH2 / OAUTHBEARER: the token must be TOKEN, else the
    RFC's error JSON), "cram" (CRAM-MD5), "bad-b64" (334 with a challenge
    that is not base64), "loop" (334 forever), or None: scripted.py's own
    PLAIN/LOGIN.
    """

    def __init__(self, pki, auth_mode=None, scram=None, **kw):
        super().__init__(pki, **kw)
        self.auth_mode = auth_mode
        self.scram = scram or {}
        self.auth_data = []         # decoded client AUTH payloads
        self.auth_results = []

    def _cont(self, c):
        """Read one continuation line of the client, recorded masked."""
        line = c.readline().rstrip(b"\r\n")
        self.lines.append((c.tls, "****" if line != b"*" else "*"))
        self.raw_auth.append((c.tls, line))
        return line

    def _auth(self, c, arg):
        if not hasattr(self, "raw_auth"):
            self.raw_auth = []
        self.raw_auth.append((c.tls, arg.encode()))
        if self.auth_mode is None:
            return super()._auth(c, arg)
        parts = arg.split()
        mech = parts[0].upper() if parts else ""
        initial = parts[1] if len(parts) > 1 else None
        ok = getattr(self, "_auth_" + self.auth_mode.replace("-", "_"))(
            c, mech, initial)
        self.auth_results.append(ok)
        return ok

    def _cancelled(self, c, line):
        if line == b"*":
            c.send(b"501 5.7.0 Authentication cancelled\r\n")
            return True
        return False

    def _auth_bad_b64(self, c, mech, initial):
        c.send(b"334 this is *not* base64!\r\n")
        line = self._cont(c)
        if self._cancelled(c, line):
            return False
        c.send(b"535 5.7.8 what was that\r\n")
        return False

    def _auth_loop(self, c, mech, initial):
        for _ in range(50):
            c.send(b"334 " + base64.b64encode(b"again?") + b"\r\n")
            line = self._cont(c)
            if self._cancelled(c, line):
                return False
        c.send(b"535 5.7.8 gave up\r\n")
        return False

    def _auth_cram(self, c, mech, initial):
        if mech != "CRAM-MD5":
            return super()._auth(c, " ".join(filter(None, (mech, initial))))
        challenge = b"<1896.697170952@postoffice.example.test>"
        c.send(b"334 " + base64.b64encode(challenge) + b"\r\n")
        resp = unb64(self._cont(c))
        self.auth_data.append(resp)
        want = USER.encode() + b" " + hmac.new(
            PASSWORD.encode(), challenge, hashlib.md5).hexdigest().encode()
        if resp == want:
            c.send(b"235 2.7.0 Authentication successful\r\n")
            return True
        c.send(b"535 5.7.8 Authentication credentials invalid\r\n")
        return False

    def _auth_oauth(self, c, mech, initial):
        if initial is None:
            c.send(b"334 \r\n")
            initial = self._cont(c)
        data = unb64(initial)
        self.auth_data.append((mech, data))
        if mech == "XOAUTH2":
            good = data == ("user=%s\x01auth=Bearer %s\x01\x01" % (
                USER, TOKEN)).encode()
        elif mech == "OAUTHBEARER":
            m = re.match(rb"^n,a=([^,]*),\x01(.*)\x01\x01$", data, re.S)
            kv = dict(p.split(b"=", 1) for p in m.group(2).split(b"\x01")) \
                if m else {}
            good = bool(m) and m.group(1) == USER.encode() and \
                kv.get(b"auth") == b"Bearer " + TOKEN.encode()
        else:
            c.send(b"504 5.5.4 Unrecognized authentication type\r\n")
            return False
        if good and not self.scram.get("refuse"):
            c.send(b"235 2.7.0 Accepted\r\n")
            return True
        err = b'{"status":"401","schemes":"bearer","scope":"mail"}'
        c.send(b"334 " + base64.b64encode(err) + b"\r\n")
        self.oauth_dummy = self._cont(c)
        c.send(b"535 5.7.8 Username and Password not accepted\r\n")
        return False

    def _auth_scram(self, c, mech, initial):
        h = {"SCRAM-SHA-256": hashlib.sha256,
             "SCRAM-SHA-1": hashlib.sha1}.get(mech)
        if h is None:
            c.send(b"504 5.5.4 Unrecognized authentication type\r\n")
            return False
        opt = self.scram
        if initial is None:
            c.send(b"334 \r\n")
            initial = self._cont(c)
        first = unb64(initial).decode()
        assert first.startswith("n,,"), first
        bare = first[3:]
        attrs = dict(a.split("=", 1) for a in bare.split(","))
        self.auth_data.append(first)
        nonce = opt.get("nonce", attrs["r"] + "Srv+N0nce/%d" % os.getpid())
        salt = os.urandom(16)
        iters = opt.get("iterations", 4096)
        sfirst = "r=%s,s=%s,i=%d" % (nonce, b64(salt), iters)
        c.send(b"334 " + base64.b64encode(sfirst.encode()) + b"\r\n")
        line = self._cont(c)
        if self._cancelled(c, line):
            return False
        final = unb64(line).decode()
        wo_proof, _, proof = final.rpartition(",p=")
        salted = hashlib.pbkdf2_hmac(h().name, PASSWORD.encode(), salt,
                                     iters)
        auth_msg = ("%s,%s,%s" % (bare, sfirst, wo_proof)).encode()
        stored = h(_hmac(h, salted, b"Client Key")).digest()
        csig = _hmac(h, stored, auth_msg)
        ckey = bytes(a ^ b for a, b in zip(unb64(proof), csig))
        if wo_proof != "c=biws,r=" + nonce or h(ckey).digest() != stored:
            c.send(b"334 " + base64.b64encode(b"e=invalid-proof") + b"\r\n")
            self._cont(c)
            c.send(b"535 5.7.8 Authentication credentials invalid\r\n")
            return False
        if opt.get("skip_final"):
            c.send(b"235 2.7.0 Authentication successful\r\n")
            return True
        ssig = _hmac(h, _hmac(h, salted, b"Server Key"), auth_msg)
        if opt.get("wrong_signature"):
            ssig = bytes([ssig[0] ^ 1]) + ssig[1:]
        c.send(b"334 " + base64.b64encode(b"v=" + base64.b64encode(ssig)) +
               b"\r\n")
        line = self._cont(c)
        if self._cancelled(c, line):
            return False
        self.final_response = line
        c.send(b"235 2.7.0 Authentication successful\r\n")
        return True


# -- the cases ------------------------------------------------------------

class Case:
    def __init__(self, name, rc, server=None, args=(), tls="starttls",
                 ctx=None, auth=True, never=(), sent=False, check=None,
                 stderr=None, expect_auth=None):
        self.name = name
        self.rc = rc
        self.server = server or {}
        self.args = list(args)
        self.tls = tls
        self.ctx = ctx or {}          # Certs.context keywords
        self.auth = auth              # add -u and --password-file
        self.never = never            # commands that must not be sent
        self.sent = sent              # the mail must (not) have gone
        self.check = check
        self.stderr = stderr          # regex the error must match
        self.expect_auth = expect_auth  # mechanism named in AUTH


def _auth_lines(s):
    return [l for _tls, l in s.lines if l.upper().startswith("AUTH ")]


def _check_xoauth2(s, r):
    assert s.auth_data == [("XOAUTH2", ("user=%s\x01auth=Bearer %s\x01\x01"
                                        % (USER, TOKEN)).encode())]


def _check_oauthbearer(s, r):
    mech, data = s.auth_data[0]
    assert mech == "OAUTHBEARER"
    assert data == ("n,a=%s,\x01host=127.0.0.1\x01port=%d\x01auth=Bearer "
                    "%s\x01\x01" % (USER, s.port, TOKEN)).encode()


def _check_cancelled(s, r):
    assert "*" in [l for _t, l in s.lines], s.lines
    assert "MAIL" not in s.commands()


def _check_scram_ok(s, r):
    assert s.final_response == b"", "response to server-final not empty"
    first = s.auth_data[0]
    assert re.match(r"^n,,n=alice@example\.test,r=[A-Za-z0-9+/]{24}$",
                    first), first


def _check_xoauth2_error(s, r):
    assert s.oauth_dummy == b"", s.oauth_dummy


def _check_oauthbearer_error(s, r):
    assert s.oauth_dummy == b"AQ==", s.oauth_dummy     # base64 of ^A


def _check_trace_masked(s, r):
    # Every AUTH payload line of the transcript is masked.
    lines = [l for l in r.err.splitlines() if l.startswith("-> ")]
    i = [n for n, l in enumerate(lines) if l.startswith("-> AUTH")][0]
    assert lines[i] == "-> AUTH SCRAM-SHA-256 ****", lines[i]
    assert lines[i + 1:i + 3] == ["-> ****", "-> ****"], lines[i:i + 4]
    payloads = [w for _tls, raw in s.raw_auth
                for w in raw.decode("latin-1").split()
                if len(w) > 8 and not w.startswith("SCRAM-")]
    assert payloads, s.raw_auth
    for p in payloads:
        assert p not in r.err, "AUTH payload in the trace: %s" % p


CASES = [
    # -- STARTTLS attacks
    Case("starttls-stripped", 76, {"starttls": False},
         never=("AUTH", "MAIL"), stderr=r"(?i)STARTTLS"),
    Case("auth-offered-only-before-tls", 76,
         {"auth": "", "capabilities": ["PIPELINING", "SIZE 1000000"],
          "overrides": {"EHLO": lambda arg, _n=[0]: (
              _n.__setitem__(0, _n[0] + 1) or
              (b"250-mail.example.test\r\n250-AUTH PLAIN LOGIN\r\n"
               b"250 STARTTLS\r\n" if _n[0] == 1 else None))}},
         never=("AUTH", "MAIL"),
         stderr=r"(?i)offers no authentication.*offers: nothing"),
    Case("capabilities-pipelined-with-starttls-reply", 76,
         {"overrides": {"STARTTLS":
                        b"220 2.0.0 Ready to start TLS\r\n"
                        b"250-mail.example.test\r\n250 AUTH PLAIN\r\n"}},
         never=("AUTH", "MAIL"), stderr=r"(?i)after its STARTTLS reply"),
    Case("downgrade-to-tls-1.1", 76, ctx={"tls_max": "TLSv1_1"},
         never=("AUTH", "MAIL"), stderr=r"(?i)TLS"),
    Case("downgrade-to-tls-1.0", 76, ctx={"tls_max": "TLSv1"},
         never=("AUTH", "MAIL")),
    Case("implicit-downgrade-to-tls-1.1", 76, {"implicit": True},
         tls="implicit", ctx={"tls_max": "TLSv1_1"},
         never=("AUTH", "MAIL")),
    Case("certificate-for-another-name", 76, ctx={"kind": "other-name"},
         never=("AUTH", "MAIL"),
         stderr=r"(?i)mismatch.*mail\.other\.example"),
    Case("expired-certificate", 76, ctx={"kind": "expired"},
         never=("AUTH", "MAIL"), stderr=r"(?i)expired"),
    Case("not-yet-valid-certificate", 76, ctx={"kind": "future"},
         never=("AUTH", "MAIL"), stderr=r"(?i)not yet valid"),
    Case("self-signed-certificate", 76, ctx={"kind": "self-signed"},
         never=("AUTH", "MAIL"), stderr=r"(?i)self.signed"),
    Case("implicit-self-signed-certificate", 76, {"implicit": True},
         tls="implicit", ctx={"kind": "self-signed"},
         never=("AUTH", "MAIL")),
    # -- pinning
    Case("pin-matches-self-signed", 0, ctx={"kind": "self-signed"},
         args=["--tls-fingerprint", "@self-signed"], sent=True),
    Case("pin-with-colons-lower-case", 0,
         args=["--tls-fingerprint", "@good:colons"], sent=True),
    Case("pin-matches-cert-for-another-name", 0,
         ctx={"kind": "other-name"},
         args=["--tls-fingerprint", "@other-name"], sent=True),
    Case("pin-mismatch", 76, args=["--tls-fingerprint", "@self-signed"],
         never=("AUTH", "MAIL"),
         stderr=r"(?i)fingerprint mismatch: expected SHA256 "
                r"([0-9A-F]{2}:){31}[0-9A-F]{2}, server has "
                r"([0-9A-F]{2}:){31}[0-9A-F]{2}"),
    Case("implicit-pin-mismatch", 76, {"implicit": True}, tls="implicit",
         args=["--tls-fingerprint", "@self-signed"],
         never=("AUTH", "MAIL")),
    # -- client certificates
    Case("client-cert-required-and-given", 0, ctx={"client_ca": True},
         args=["--cert", "@client_cert", "--key", "@client_key"],
         sent=True),
    Case("client-cert-and-key-in-one-file", 0, ctx={"client_ca": True},
         args=["--cert", "@client_both"], sent=True),
    Case("client-cert-required-not-given", 76, ctx={"client_ca": True},
         never=("AUTH", "MAIL")),
    Case("client-cert-unreadable", 66,
         args=["--cert", "/nonexistent/client.pem"],
         never=("EHLO",), stderr=r"/nonexistent/client\.pem"),
    Case("client-key-does-not-match", 76, ctx={"client_ca": True},
         args=["--cert", "@client_cert", "--key", "@other_key"],
         never=("AUTH", "MAIL"),
         stderr=r"(?i)client key .*(mismatch|does not match)"),
    Case("client-key-encrypted-no-prompt", 76, ctx={"client_ca": True},
         args=["--cert", "@client_cert", "--key", "@client_key_encrypted"],
         never=("AUTH", "MAIL"), stderr=r"(?i)cannot use client key"),
    # -- AUTH edge cases
    Case("auth-bad-base64-challenge", 76,
         {"auth_mode": "bad-b64", "auth": "AUTH LOGIN"},
         never=("MAIL",), check=_check_cancelled,
         stderr=r"(?i)malformed AUTH challenge"),
    Case("auth-334-loop", 76, {"auth_mode": "loop", "auth": "AUTH LOGIN"},
         never=("MAIL",), check=_check_cancelled),
    Case("auth-535-words", 77,
         {"overrides": {"AUTH": b"535 5.7.8 Username and Password not "
                                b"accepted. Learn more at x\r\n"}},
         never=("MAIL",), stderr=r"535 5\.7\.8 .*Username and Password"),
    Case("auth-534-words", 77,
         {"overrides": {"AUTH": b"534 5.7.9 Application-specific password "
                                b"required\r\n"}},
         never=("MAIL",), stderr=r"534 5\.7\.9 .*Application-specific"),
    Case("auth-454-words", 75,
         {"overrides": {"AUTH": b"454 4.7.0 Temporary authentication "
                                b"failure\r\n"}},
         never=("MAIL",), stderr=r"454 4\.7\.0 .*Temporary"),
    Case("scram-sha-256", 0,
         {"auth_mode": "scram", "auth": "AUTH PLAIN LOGIN SCRAM-SHA-1 "
                                        "SCRAM-SHA-256"},
         sent=True, expect_auth="SCRAM-SHA-256", check=_check_scram_ok),
    Case("scram-sha-1", 0,
         {"auth_mode": "scram", "auth": "AUTH PLAIN SCRAM-SHA-1 LOGIN"},
         sent=True, expect_auth="SCRAM-SHA-1", check=_check_scram_ok),
    Case("scram-sha-256-trace-masked", 0,
         {"auth_mode": "scram", "auth": "AUTH SCRAM-SHA-256"},
         args=["-v"], sent=True, check=_check_trace_masked),
    Case("scram-wrong-server-signature", 76,
         {"auth_mode": "scram", "auth": "AUTH SCRAM-SHA-256",
          "scram": {"wrong_signature": True}},
         never=("MAIL",), check=_check_cancelled,
         stderr=r"(?i)signature is wrong"),
    Case("scram-success-without-server-signature", 76,
         {"auth_mode": "scram", "auth": "AUTH SCRAM-SHA-256",
          "scram": {"skip_final": True}},
         never=("MAIL",), stderr=r"(?i)without proving"),
    Case("scram-nonce-not-ours", 76,
         {"auth_mode": "scram", "auth": "AUTH SCRAM-SHA-256",
          "scram": {"nonce": "AttackerChosenNonce1234567890"}},
         never=("MAIL",), check=_check_cancelled,
         stderr=r"(?i)nonce does not extend ours"),
    Case("scram-absurd-iteration-count", 76,
         {"auth_mode": "scram", "auth": "AUTH SCRAM-SHA-256",
          "scram": {"iterations": 100000000}},
         never=("MAIL",), check=_check_cancelled,
         stderr=r"(?i)iteration count"),
    Case("scram-weak-iteration-count", 76,
         {"auth_mode": "scram", "auth": "AUTH SCRAM-SHA-1",
          "scram": {"iterations": 1}},
         never=("MAIL",), check=_check_cancelled),
    Case("xoauth2-token-cmd", 0,
         {"auth_mode": "oauth", "auth": "AUTH PLAIN LOGIN XOAUTH2"},
         args=["--oauth-token-cmd", "@token-cmd"], auth="user-only",
         sent=True, expect_auth="XOAUTH2", check=_check_xoauth2),
    Case("oauthbearer-preferred-with-token", 0,
         {"auth_mode": "oauth", "auth": "AUTH XOAUTH2 OAUTHBEARER PLAIN"},
         args=["--oauth-token-cmd", "@token-cmd"], auth="user-only",
         sent=True, expect_auth="OAUTHBEARER", check=_check_oauthbearer),
    Case("xoauth2-error-json-answered-empty", 77,
         {"auth_mode": "oauth", "auth": "AUTH XOAUTH2",
          "scram": {"refuse": True}},
         args=["--oauth-token-cmd", "@token-cmd"], auth="user-only",
         never=("MAIL",), check=_check_xoauth2_error,
         stderr=r"535 5\.7\.8 .*Username and Password not accepted"),
    Case("oauthbearer-error-answered-with-ctrl-a", 77,
         {"auth_mode": "oauth", "auth": "AUTH OAUTHBEARER",
          "scram": {"refuse": True}},
         args=["--oauth-token-cmd", "@token-cmd"], auth="user-only",
         never=("MAIL",), check=_check_oauthbearer_error),
    Case("token-never-in-password-mechanism", 76,
         {"auth_mode": "oauth", "auth": "AUTH PLAIN LOGIN"},
         args=["--oauth-token-cmd", "@token-cmd"], auth="user-only",
         never=("AUTH", "MAIL"), stderr=r"offers: PLAIN LOGIN"),
    # A mechanism that cannot take the secret given: the user's error
    # (usage), found before connecting.
    Case("password-never-in-token-mechanism", 64,
         {"auth_mode": "oauth", "auth": "AUTH XOAUTH2 PLAIN"},
         args=["--auth", "XOAUTH2"], never=("EHLO", "AUTH", "MAIL"),
         stderr=r"(?i)XOAUTH2 needs an OAuth token"),
    Case("cram-md5-not-chosen-by-default", 0,
         {"auth_mode": "cram", "auth": "AUTH CRAM-MD5 PLAIN"},
         sent=True, expect_auth="PLAIN"),
    Case("cram-md5-only-offered-not-used", 76,
         {"auth_mode": "cram", "auth": "AUTH CRAM-MD5"},
         never=("AUTH", "MAIL"), stderr=r"offers: CRAM-MD5"),
    Case("cram-md5-when-named", 0,
         {"auth_mode": "cram", "auth": "AUTH CRAM-MD5 PLAIN"},
         args=["--auth", "CRAM-MD5"], sent=True, expect_auth="CRAM-MD5"),
]


def _resolve(arg, certs, tmp):
    """@name placeholders in a case's arguments."""
    if not arg.startswith("@"):
        return arg
    name = arg[1:]
    if name == "good:colons":
        fp = certs.good_sha256.lower()
        return ":".join(fp[i:i + 2] for i in range(0, len(fp), 2))
    if name == "token-cmd":
        p = os.path.join(tmp, "token.sh")
        with open(p, "w") as f:
            f.write("#!/bin/sh\necho '%s'\necho second line\n" % TOKEN)
        os.chmod(p, 0o700)
        return p
    if name in ("client_cert", "client_key", "client_both",
                "client_key_encrypted"):
        return getattr(certs, name)
    if name == "other_key":
        return certs.pairs["self-signed"][1]
    return certs.sha256(certs.pairs[name][0])


def assert_no_secret_in_clear(s):
    """The password, in any encoding, never went over plaintext, and no
    AUTH command left before TLS."""
    forms = srv.secret_forms() + [TOKEN.encode(),
                                  base64.b64encode(TOKEN.encode())]
    for tls, line in s.lines:
        if tls:
            continue
        assert not line.upper().startswith("AUTH"), \
            "AUTH sent in the clear: %r" % line
        for f in forms:
            assert f.decode("latin-1") not in line, \
                "secret in the clear: %r" % line
    for tls, raw in getattr(s, "raw_auth", []):
        assert tls, "AUTH data in the clear: %r" % raw


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile(smtpc, servers, certs, tmp_path, case):
    kw = dict(case.server)
    ctxkw = dict(case.ctx)
    if "tls_max" in ctxkw:
        ctxkw["tls_max"] = getattr(ssl.TLSVersion, ctxkw["tls_max"])
    pki = FixedPki(certs.context(**ctxkw))
    s = AuthServer(pki, password=PASSWORD, **kw).start()
    try:
        args = ["send", "--server", "127.0.0.1:%d" % s.port,
                "--tls", case.tls, "--timeout", "10",
                "-f", USER, "--to", "bob@example.test",
                "-s", "hostile " + case.name, "--text", "hostile\n"]
        if "--tls-fingerprint" not in case.args:
            args += ["--cafile", servers.pki.ca]
        if case.auth is True:
            args += ["-u", USER, "--password-file",
                     servers.password_file()]
        elif case.auth == "user-only":
            args += ["-u", USER]
        args += [_resolve(a, certs, str(tmp_path)) for a in case.args]
        r = smtpc.run(*args, timeout=60)
    finally:
        s.stop()
    assert r.rc == case.rc, "%r\nserver saw: %s\nserver errors: %s" % (
        r, s.lines[:20], s.errors[:3])
    assert_no_secret_in_clear(s)
    for c in case.never:
        assert c not in s.commands(), "client sent %s: %s" % (c, s.lines)
    if case.sent:
        assert len(s.data) == 1, s.lines
    else:
        assert s.data == [], "message went out in a failure case"
    if case.stderr:
        assert re.search(case.stderr, r.err), r
    if case.expect_auth:
        auth = _auth_lines(s)
        assert auth and auth[0].split()[1] == case.expect_auth, auth
    if case.check:
        case.check(s, r)


def test_check_shows_fingerprint_and_pin(smtpc, servers, certs):
    """`smtpc check` prints the SHA-256 a user then pins."""
    s = AuthServer(FixedPki(certs.context("self-signed")),
                   password=PASSWORD).start()
    try:
        base = ["check", "--server", "127.0.0.1:%d" % s.port,
                "--timeout", "10"]
        r = smtpc.run(*(base + ["--insecure"]))
        assert r.rc == 0, r
        fp = certs.sha256(certs.pairs["self-signed"][0])
        shown = re.search(r"sha256:\s+(\S+)", r.out.decode()).group(1)
        assert shown.replace(":", "") == fp
        r = smtpc.run(*(base + ["--tls-fingerprint", shown]))
        assert r.rc == 0, r
        assert "pinned" in r.out.decode()
    finally:
        s.stop()


@pytest.mark.parametrize("bad", ["abc", "G" * 64, "0" * 63, "0" * 65,
                                 "00:" * 32])
def test_fingerprint_malformed_is_usage_error(smtpc, bad):
    r = smtpc.run("check", "--server", "127.0.0.1:1", "--tls-fingerprint",
                  bad)
    assert r.rc == 64, r


def test_postfix_dovecot_scram_sha_256(smtpc, servers):
    """The real Postfix + Dovecot SASL with SCRAM-SHA-256 offered."""
    pf = servers.postfix
    pf.clear()
    r = smtpc.run("check", *smtpc.postfix())
    if "SCRAM-SHA-256" not in r.out.decode():
        pytest.skip("this Dovecot does not offer SCRAM-SHA-256")
    assert r.rc == 0, r
    assert re.search(r"auth:\s+ok as .* \(SCRAM-SHA-256\)", r.out.decode()), r
    r = smtpc.run("send", *smtpc.postfix(), "--auth", "SCRAM-SHA-256",
                  "-v", "-f", USER, "--to", "bob@example.test",
                  "-s", "SCRAM to Postfix", "--text", "scram\n")
    assert r.rc == 0, r
    assert "AUTH SCRAM-SHA-256 ****" in r.err
    for f in srv.secret_forms():
        assert f not in r.err.encode()
    msgs = pf.wait_messages("bob", 1, 30)
    assert len(msgs) == 1 and b"SCRAM to Postfix" in msgs[0]


@pytest.mark.parametrize("host,sni", [("localhost", "localhost"),
                                      ("127.0.0.1", None)])
def test_sni_sent_for_names_only(smtpc, servers, certs, host, sni):
    """SNI carries the name the user gave (RFC 6066 3: never an address),
    and the certificate is checked against that name."""
    seen = []
    ctx = certs.context()
    ctx.sni_callback = lambda sock, name, c: seen.append(name)
    s = AuthServer(FixedPki(ctx), password=PASSWORD).start()
    try:
        r = smtpc.run("send", "--server", "%s:%d" % (host, s.port),
                      "--cafile", servers.pki.ca, "--timeout", "10",
                      "-u", USER, "--password-file", servers.password_file(),
                      "-f", USER, "--to", "bob@example.test", "-s", "sni",
                      "--text", "sni\n")
    finally:
        s.stop()
    assert r.rc == 0, r
    assert seen == [sni], seen
    assert len(s.data) == 1
    assert_no_secret_in_clear(s)
