#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Real mail servers for smtpc's integration tests, all on 127.0.0.1.

What this module owns:
  - Pki: a throwaway CA and a server certificate (SAN DNS:localhost,
    IP:127.0.0.1) made with the openssl CLI, plus a second "rogue" CA and
    certificate nobody trusts, so nothing ever expires between runs.
  - Postfix: a private Postfix instance (own config, queue and data
    directories) with Dovecot as its SASL back end.  One submission port
    requires STARTTLS and AUTH (587-style); one plain port offers neither
    STARTTLS nor AUTH.  Mail for example.test is delivered by virtual(8)
    into one Maildir per user under the temp dir; every other destination
    goes to the error(8) transport, so nothing ever leaves the machine.
  - Recorder: an aiosmtpd server in a thread that records every
    connection, every command line and every message's envelope and raw
    bytes (in memory and as files), in one of several modes: implicit
    TLS with AUTH, STARTTLS with AUTH, STARTTLS with a certificate from an
    unknown CA, or plain with no STARTTLS.

Used by pytest (tests/integration/conftest.py) and by scripts/demo, which
runs `servers.py serve DIR` and stops it with SIGTERM.  Teardown stops every
process it started by PID and leaves nothing listening.

Runs with Debian's /usr/bin/python3 (python3-aiosmtpd).
"""

import base64
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

USER = "alice@example.test"
# Spaces and symbols on purpose; passwd-file cannot hold ':'.
PASSWORD = 'c0rrect horse "battery" st@ple!#$%&*+/=?^_`{|}~-\'.,;<>[]()\\'
# Recipients that have a Maildir on the Postfix side.
MAILBOXES = ("alice", "bob", "carol", "dave")
DOMAIN = "example.test"

POSTFIX_SBIN = "/usr/lib/postfix/sbin"


def free_port():
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20.0, proc=None):
    """Wait until something accepts on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on 127.0.0.1:%d" % port)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                          **kw)


def stop_process(proc, timeout=10.0):
    """SIGTERM a process we started in its own group, then its group."""
    if proc is None:
        return
    if proc.poll() is None:
        try:
            proc.terminate()
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    # Children the daemon forked (same process group) must not outlive it.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Pki:
    """A throwaway CA, a server certificate it signed, and a rogue pair."""

    def __init__(self, root):
        self.dir = os.path.join(root, "pki")
        os.makedirs(self.dir, exist_ok=True)
        self.ca = os.path.join(self.dir, "ca.pem")
        self.cert = os.path.join(self.dir, "server.pem")
        self.key = os.path.join(self.dir, "server.key")
        self.rogue_ca = os.path.join(self.dir, "rogue-ca.pem")
        self.rogue_cert = os.path.join(self.dir, "rogue-server.pem")
        self.rogue_key = os.path.join(self.dir, "rogue-server.key")
        self._make_pair("ca", "server", self.ca, self.cert, self.key,
                        "smtpc test CA")
        self._make_pair("rogue-ca", "rogue-server", self.rogue_ca,
                        self.rogue_cert, self.rogue_key, "unknown CA")

    def _make_pair(self, caname, name, ca_pem, cert_pem, key_pem, cn):
        d = self.dir
        ca_key = os.path.join(d, caname + ".key")
        ext = os.path.join(d, name + ".ext")
        csr = os.path.join(d, name + ".csr")
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", ca_key, "-out", ca_pem, "-days", "2",
             "-subj", "/CN=" + cn,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        run(["openssl", "req", "-newkey", "rsa:2048", "-nodes",
             "-keyout", key_pem, "-out", csr, "-subj", "/CN=localhost"])
        with open(ext, "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                    "basicConstraints=CA:FALSE\n"
                    "keyUsage=digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth\n")
        run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem,
             "-CAkey", ca_key, "-CAcreateserial", "-out", cert_pem,
             "-days", "2", "-extfile", ext])
        os.chmod(key_pem, 0o644)    # read by smtpd before it drops root

    def server_context(self, rogue=False):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if rogue:
            ctx.load_cert_chain(self.rogue_cert, self.rogue_key)
        else:
            ctx.load_cert_chain(self.cert, self.key)
        return ctx


MASTER_CF = """\
{sub}      inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_session_cache_database=
# Like submission, TLS 1.2 only and no tickets: sessions resume by ID,
# from the session cache tlsmgr keeps (main.cf names it, for tlsmgr;
# submission does without: TLS 1.3 tickets need no cache on the server).
{tls12}    inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix/tls12
  -o smtpd_tls_mandatory_protocols=<=TLSv1.2
  -o tls_session_ticket_cipher=
{plain}    inet  n       -       n       -       -       smtpd
  -o syslog_name=postfix/plain
  -o smtpd_tls_security_level=none
  -o smtpd_sasl_auth_enable=no
  -o smtpd_relay_restrictions=permit_auth_destination,reject
  -o smtpd_recipient_restrictions=permit_auth_destination,reject
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

MAIN_CF = """\
compatibility_level = 3.6
config_directory = {conf}
queue_directory = {queue}
data_directory = {data}
daemon_directory = {sbin}
command_directory = /usr/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
alias_maps =
alias_database =
setgid_group = postdrop
maillog_file = {log}
maillog_file_prefixes = {root}
import_environment = MAIL_CONFIG MAIL_DEBUG TZ LANG=C
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.{domain}
mydomain = {domain}
myorigin = {domain}
mydestination =
mynetworks = 127.0.0.1/32
local_transport = error:no local delivery in tests
default_transport = error:nothing leaves the test machine
relay_transport = error:nothing leaves the test machine
relay_domains =
smtp_host_lookup = native
smtpd_peername_lookup = no
biff = no
always_add_missing_headers = no
local_header_rewrite_clients =
message_size_limit = 314572800
mailbox_size_limit = 0
virtual_mailbox_limit = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_client_connection_rate_limit = 0
smtpd_client_auth_rate_limit = 0
smtpd_timeout = 60s
# Refuse bare LF from the client (no exclusions: the client is mynetworks):
# every Postfix test then checks that smtpc ends each line in CRLF.
smtpd_forbid_bare_newline = reject
smtpd_forbid_bare_newline_exclusions =
# As strict providers are about the EHLO name: a bare short host name (or
# "localhost") gets 504 at RCPT time, so every Postfix test also checks
# that smtpc sends a fully qualified name or an address literal.
smtpd_helo_required = yes
smtpd_helo_restrictions = reject_non_fqdn_helo_hostname
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0

smtpd_tls_security_level = encrypt
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 1
smtpd_tls_received_header = no
smtpd_tls_session_cache_database = btree:{data}/smtpd_scache
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {sasl}
smtpd_sasl_security_options = noanonymous
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject

virtual_mailbox_domains = {domain}
virtual_mailbox_base = {maildirs}
virtual_mailbox_maps = texthash:{conf}/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = 100
"""

DOVECOT_CONF = """\
protocols =
base_dir = {run}
state_dir = {state}
log_path = {log}
info_log_path = {log}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login scram-sha-256
auth_failure_delay = 0
auth_verbose = yes
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent allow_all_users=yes
}}
service auth {{
  unix_listener {sasl_name} {{
    mode = 0666
  }}
}}
# Dovecot delays repeated failures from one IP (all tests come from
# 127.0.0.1); a listener nobody may open turns the penalty off.
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


class Postfix:
    """A private Postfix instance with Dovecot SASL, on 127.0.0.1."""

    def __init__(self, root, pki, user=USER, password=PASSWORD):
        self.root = os.path.join(root, "postfix")
        self.pki = pki
        self.user = user
        self.password = password
        self.conf = os.path.join(self.root, "conf")
        self.queue = os.path.join(self.root, "queue")
        self.data = os.path.join(self.root, "data")
        self.maildirs = os.path.join(self.root, "maildirs")
        self.log = os.path.join(self.root, "maillog")
        self.dovecot_dir = os.path.join(self.root, "dovecot")
        self.sasl = os.path.join(self.dovecot_dir, "run", "auth-postfix")
        self.dovecot_log = os.path.join(self.dovecot_dir, "dovecot.log")
        self.port = None            # STARTTLS required + AUTH
        self.plain_port = None      # neither STARTTLS nor AUTH
        self.tls12_port = None      # like port, TLS 1.2 and session IDs
        self.master = None
        self.dovecot = None

    # -- setup -------------------------------------------------------

    def _write(self, path, text, mode=0o644):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def _configure(self):
        nobody = pwd.getpwnam("nobody")
        for d in (self.conf, self.queue, self.data, self.maildirs,
                  os.path.join(self.dovecot_dir, "run"),
                  os.path.join(self.dovecot_dir, "state")):
            os.makedirs(d, exist_ok=True)
        os.chmod(self.root, 0o755)
        os.chmod(self.dovecot_dir, 0o755)
        os.chmod(os.path.join(self.dovecot_dir, "run"), 0o755)
        pfx = pwd.getpwnam("postfix")
        os.chown(self.data, pfx.pw_uid, pfx.pw_gid)
        os.chmod(self.data, 0o700)
        os.chown(self.maildirs, nobody.pw_uid, nobody.pw_gid)
        os.chmod(self.maildirs, 0o755)

        self.port = free_port()
        self.plain_port = free_port()
        while self.plain_port == self.port:
            self.plain_port = free_port()
        self.tls12_port = free_port()
        while self.tls12_port in (self.port, self.plain_port):
            self.tls12_port = free_port()
        self._write(os.path.join(self.conf, "master.cf"), MASTER_CF.format(
            sub="127.0.0.1:%d" % self.port,
            tls12="127.0.0.1:%d" % self.tls12_port,
            plain="127.0.0.1:%d" % self.plain_port))
        self._write(os.path.join(self.conf, "main.cf"), MAIN_CF.format(
            conf=self.conf, queue=self.queue, data=self.data,
            sbin=POSTFIX_SBIN, log=self.log, root=self.root, domain=DOMAIN,
            cert=self.pki.cert, key=self.pki.key, sasl=self.sasl,
            maildirs=self.maildirs, uid=nobody.pw_uid, gid=nobody.pw_gid))
        # One Maildir per user; anyone else at example.test is refused
        # at RCPT time with 550 5.1.1 (smtpd_reject_unlisted_recipient).
        self._write(os.path.join(self.conf, "vmailbox"), "".join(
            "%s@%s %s/\n" % (u, DOMAIN, u) for u in MAILBOXES))

        self._write(os.path.join(self.dovecot_dir, "passwd"),
                    "%s:{PLAIN}%s::::::\n" % (self.user, self.password),
                    0o644)
        self._write(os.path.join(self.dovecot_dir, "dovecot.conf"),
                    DOVECOT_CONF.format(
                        run=os.path.join(self.dovecot_dir, "run"),
                        state=os.path.join(self.dovecot_dir, "state"),
                        log=self.dovecot_log,
                        passwd=os.path.join(self.dovecot_dir, "passwd"),
                        sasl_name=os.path.basename(self.sasl)))

    def start(self):
        self._configure()
        env = dict(os.environ, MAIL_CONFIG=self.conf)
        self.dovecot = subprocess.Popen(
            ["/usr/sbin/dovecot", "-F", "-c",
             os.path.join(self.dovecot_dir, "dovecot.conf")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.dovecot_dir, "stderr"), "w"),
            start_new_session=True)
        # Creates the queue directories with the owners Postfix wants.
        run(["/usr/sbin/postfix", "-c", self.conf, "check"], env=env)
        self.master = subprocess.Popen(
            [os.path.join(POSTFIX_SBIN, "master"), "-c", self.conf, "-d"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.root, "master.stderr"), "w"),
            env=env, start_new_session=True)
        deadline = time.monotonic() + 20
        while not os.path.exists(self.sasl):
            if self.dovecot.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dovecot did not start: " +
                                   self._tail(self.dovecot_log))
            time.sleep(0.05)
        try:
            wait_port(self.port, proc=self.master)
            wait_port(self.plain_port, proc=self.master)
            wait_port(self.tls12_port, proc=self.master)
        except RuntimeError as e:
            raise RuntimeError("%s\n%s" % (e, self._tail(self.log)))
        return self

    def stop(self):
        stop_process(self.master)
        stop_process(self.dovecot)
        self.master = self.dovecot = None

    # -- inspection --------------------------------------------------

    @staticmethod
    def _tail(path, n=4000):
        try:
            with open(path, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def maillog(self):
        return self._tail(self.log, 10 ** 7)

    def maildir(self, user):
        return os.path.join(self.maildirs, user)

    def messages(self, user):
        """Raw bytes of each message in user's Maildir, oldest first."""
        new = os.path.join(self.maildirs, user, "new")
        try:
            names = os.listdir(new)
        except FileNotFoundError:
            return []
        paths = sorted((os.path.join(new, n) for n in names),
                       key=lambda p: (os.stat(p).st_mtime, p))
        out = []
        for p in paths:
            with open(p, "rb") as f:
                out.append(f.read())
        return out

    def wait_messages(self, user, count=1, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.messages(user)
            if len(msgs) >= count or time.monotonic() > deadline:
                return msgs
            time.sleep(0.1)

    def clear(self):
        for u in MAILBOXES:
            new = os.path.join(self.maildirs, u, "new")
            if os.path.isdir(new):
                for n in os.listdir(new):
                    os.unlink(os.path.join(new, n))

    def queue_empty(self):
        for sub in ("incoming", "active", "deferred", "hold", "maildrop"):
            d = os.path.join(self.queue, sub)
            for _dirpath, _dirs, files in os.walk(d):
                if files:
                    return False
        return True


# -- aiosmtpd recorder -------------------------------------------------

class Recorder:
    """An aiosmtpd server on 127.0.0.1 that records what clients do.

    mode: "implicit"  implicit TLS (465-style), AUTH PLAIN/LOGIN required
          "starttls"  STARTTLS offered and required, AUTH after TLS
          "rogue"     like starttls, certificate from an unknown CA
          "plain"     no STARTTLS offered; AUTH offered (in the clear)
                      so a client that falls back to plaintext would use it
    Recipients whose local part starts with "reject" get 550 at RCPT,
    "tempfail" 451.
    """

    def __init__(self, root, pki, mode, user=USER, password=PASSWORD):
        self.mode = mode
        self.dir = os.path.join(root, "recorder-" + mode)
        os.makedirs(self.dir, exist_ok=True)
        self.pki = pki
        self.user = user
        self.password = password
        self.port = free_port()
        self.lock = threading.Lock()
        self.connections = 0
        self.commands = []          # (connection number, line as str)
        self.messages = []          # dicts: mail_from, rcpt_tos, data
        self.auth_ok = []
        self.controller = None

    def reset(self):
        with self.lock:
            self.connections = 0
            self.commands = []
            self.messages = []
            self.auth_ok = []

    def command_names(self):
        with self.lock:
            return [c.split(" ", 1)[0].upper() for _n, c in self.commands]

    def _authenticator(self, server, session, envelope, mechanism, data):
        from aiosmtpd.smtp import AuthResult, LoginPassword
        ok = (isinstance(data, LoginPassword) and
              data.login == self.user.encode() and
              data.password == self.password.encode())
        with self.lock:
            self.auth_ok.append(ok)
        # handled=False: aiosmtpd then sends the 535 itself.
        return AuthResult(success=ok, handled=False)

    def start(self):
        import logging
        import warnings
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import SMTP

        # Implicit TLS with AUTH makes aiosmtpd warn on every connection.
        warnings.filterwarnings("ignore", module="aiosmtpd")
        warnings.filterwarnings("ignore", message=".*AUTH while not")
        logging.getLogger("mail.log").setLevel(logging.CRITICAL)

        rec = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address,
                                  rcpt_options):
                local = address.split("@")[0].lower()
                if local.startswith("reject"):
                    return "550 5.1.1 <%s>: Recipient address rejected" % (
                        address)
                if local.startswith("tempfail"):
                    return "451 4.3.0 <%s>: Try again later" % address
                envelope.rcpt_tos.append(address)
                return "250 2.1.5 OK"

            async def handle_DATA(self, server, session, envelope):
                data = envelope.original_content or b""
                with rec.lock:
                    n = len(rec.messages)
                    rec.messages.append({
                        "mail_from": envelope.mail_from,
                        "rcpt_tos": list(envelope.rcpt_tos),
                        "data": data,
                    })
                base = os.path.join(rec.dir, "msg-%03d" % n)
                with open(base + ".eml", "wb") as f:
                    f.write(data)
                with open(base + ".json", "w") as f:
                    json.dump({"mail_from": envelope.mail_from,
                               "rcpt_tos": envelope.rcpt_tos}, f)
                return "250 2.0.0 Ok: queued as %d" % n

        class RecordingSMTP(SMTP):
            def __init__(self, *a, **kw):
                super().__init__(*a, **kw)
                for name, meth in list(self._smtp_methods.items()):
                    self._smtp_methods[name] = self._wrap(name, meth)
                with rec.lock:
                    rec.connections += 1
                    self._conn_no = rec.connections

            def _wrap(self, name, meth):
                async def recorded(arg):
                    line = name if arg is None else "%s %s" % (name, arg)
                    with rec.lock:
                        rec.commands.append((self._conn_no, line))
                    return await meth(arg)
                return recorded

        kw = dict(hostname="127.0.0.1", port=self.port,
                  server_hostname="localhost", decode_data=False,
                  authenticator=self._authenticator,
                  auth_exclude_mechanism=["CRAM-MD5"],
                  data_size_limit=314572800, enable_SMTPUTF8=True)
        if self.mode == "implicit":
            # aiosmtpd 1.4 only counts STARTTLS as TLS for
            # auth_require_tls; the whole connection is TLS here.
            kw.update(ssl_context=self.pki.server_context(),
                      auth_required=True, auth_require_tls=False)
        elif self.mode in ("starttls", "rogue"):
            kw.update(tls_context=self.pki.server_context(
                rogue=self.mode == "rogue"), require_starttls=True,
                auth_required=True, auth_require_tls=True)
        elif self.mode == "plain":
            kw.update(auth_required=False, auth_require_tls=False)
        else:
            raise ValueError(self.mode)

        class RecController(Controller):
            def factory(self):
                return RecordingSMTP(self.handler, **self.SMTP_kwargs)

        ssl_context = kw.pop("ssl_context", None)
        host = kw.pop("hostname")
        port = kw.pop("port")
        server_hostname = kw.pop("server_hostname")
        self.controller = RecController(
            Handler(), hostname=host, port=port, ssl_context=ssl_context,
            server_hostname=server_hostname, **kw)
        self.controller.start()
        # The controller's own start-up probe counts as a connection.
        self.reset()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class NxDomainDns:
    """A DNS server on 127.0.0.1:53 (UDP) that answers NXDOMAIN to all
    (or SERVFAIL, with rcode=2).

    With a private /etc/resolv.conf pointing at it (a mount namespace,
    see resolv_conf()), an unknown host is unknown without any query
    leaving the machine.
    """

    def __init__(self, root, rcode=3):
        self.root = root
        self.rcode = rcode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 53))
        self.sock.settimeout(0.2)
        self.queries = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def resolv_conf(self):
        p = os.path.join(self.root, "resolv.conf")
        with open(p, "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        return p

    def _serve(self):
        while not self.done.is_set():
            try:
                q, addr = self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(q) < 12:
                continue
            self.queries += 1
            # Same id and question; QR, RD copied, RA, the RCODE; no answers.
            qd_end = 12
            while qd_end < len(q) and q[qd_end] != 0:
                qd_end += q[qd_end] + 1
            qd_end += 5
            flags = 0x8180 | self.rcode
            resp = q[:2] + flags.to_bytes(2, "big") + b"\x00\x01" + \
                b"\x00\x00\x00\x00\x00\x00" + q[12:qd_end]
            try:
                self.sock.sendto(resp, addr)
            except OSError:
                pass

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.done.set()
        self.thread.join(2)
        self.sock.close()


class SilentDns(NxDomainDns):
    """A DNS server on 127.0.0.1:53 that reads every query and answers
    none: a resolver that is down without saying so.  Its resolv.conf
    keeps the resolver's default timeouts (5 s, 2 attempts in glibc), so
    only the client's own deadline can end a lookup sooner."""

    def resolv_conf(self):
        p = os.path.join(self.root, "resolv.conf")
        with open(p, "w") as f:
            f.write("nameserver 127.0.0.1\n")
        return p

    def _serve(self):
        while not self.done.is_set():
            try:
                self.sock.recvfrom(512)
            except socket.timeout:
                continue
            except OSError:
                return
            self.queries += 1


class Servers:
    """All servers of one test session, under one temp dir."""

    def __init__(self, root=None, recorders=("implicit", "starttls",
                                             "rogue", "plain"),
                 postfix=True):
        self.own_root = root is None
        self.root = root or tempfile.mkdtemp(prefix="smtpc-itest-")
        os.chmod(self.root, 0o755)
        self.pki = Pki(self.root)
        self.postfix = Postfix(self.root, self.pki) if postfix else None
        self.recorders = {m: Recorder(self.root, self.pki, m)
                          for m in recorders}

    def start(self):
        try:
            if self.postfix:
                self.postfix.start()
            for r in self.recorders.values():
                r.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        for r in self.recorders.values():
            r.stop()
        if self.postfix:
            self.postfix.stop()
        # SMTPC_ITEST_KEEP=1 keeps logs, Maildirs and recordings to look at.
        if self.own_root and not os.environ.get("SMTPC_ITEST_KEEP"):
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def describe(self):
        d = {"root": self.root, "ca": self.pki.ca, "user": USER,
             "password_file": self.password_file()}
        if self.postfix:
            d.update(postfix_port=self.postfix.port,
                     postfix_plain_port=self.postfix.plain_port,
                     postfix_tls12_port=self.postfix.tls12_port,
                     maildirs=self.postfix.maildirs,
                     maillog=self.postfix.log)
        for m, r in self.recorders.items():
            d[m + "_port"] = r.port
        return d

    def password_file(self):
        p = os.path.join(self.root, "password")
        if not os.path.exists(p):
            with open(p, "w") as f:
                f.write(PASSWORD + "\n")
            os.chmod(p, 0o600)
        return p


def secret_forms(user=USER, password=PASSWORD):
    """Every form a leaked password could take on a transcript."""
    pw = password.encode()
    forms = [pw, base64.b64encode(pw),
             base64.b64encode(b"\0" + user.encode() + b"\0" + pw),
             base64.b64encode(user.encode() + b"\0" + user.encode() +
                              b"\0" + pw)]
    return forms


def show(path, originals):
    """Print each part of the message in path: type, size, and for
    each original file the SHA-256 of the part with the same name."""
    import email
    import email.policy
    import hashlib
    with open(path, "rb") as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.default)
    for h in ("From", "To", "Subject", "Date", "Message-ID"):
        print("%-11s %s" % (h + ":", msg[h]))
    print("structure:")
    want = {os.path.basename(o): o for o in originals}
    ok = True
    for part in msg.walk():
        ctype = part.get_content_type()
        if part.is_multipart():
            print("  %s" % ctype)
            continue
        body = part.get_content()
        data = body.encode() if isinstance(body, str) else body
        name = part.get_filename()
        print("    %-26s %-10s %7d bytes%s" % (
            ctype, part.get_content_disposition() or "-", len(data),
            "  name=%s" % name if name else ""))
        if name in want:
            with open(want[name], "rb") as f:
                orig = hashlib.sha256(f.read()).hexdigest()
            got = hashlib.sha256(data).hexdigest()
            print("      sha256 received %s" % got)
            print("      sha256 original %s  %s" % (
                orig, "MATCH" if got == orig else "DIFFERENT"))
            ok = ok and got == orig
            del want[name]
    for name in want:
        print("  missing part for %s" % name)
        ok = False
    return 0 if ok else 1


def main(argv):
    """servers.py serve DIR [--recorders]: start, write DIR/servers.json,
    run until SIGTERM/SIGINT, then stop everything.
    servers.py show MESSAGE [ORIGINAL...]: describe a delivered message."""
    if len(argv) >= 3 and argv[1] == "show":
        return show(argv[2], argv[3:])
    if len(argv) < 3 or argv[1] != "serve":
        sys.stderr.write("usage: servers.py serve DIR [--recorders]\n"
                         "       servers.py show MESSAGE [ORIGINAL...]\n")
        return 64
    root = argv[2]
    os.makedirs(root, exist_ok=True)
    recorders = ("implicit", "starttls", "rogue", "plain") \
        if "--recorders" in argv[3:] else ()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    srv = Servers(root, recorders=recorders)
    with srv:
        info = srv.describe()
        tmp = os.path.join(root, "servers.json.tmp")
        with open(tmp, "w") as f:
            json.dump(info, f, indent=1)
        os.rename(tmp, os.path.join(root, "servers.json"))
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
