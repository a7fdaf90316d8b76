# SPDX-License-Identifier: ISC
"""A scripted SMTP server for misbehaviour cases, on 127.0.0.1.

What this module owns: a small threaded server that plays a correct
submission server (STARTTLS, AUTH PLAIN/LOGIN accepting one user, MAIL,
RCPT, DATA, QUIT) except where a case overrides one step with raw bytes
or an action.  It records every line the client sent, whether TLS was up
at that moment, and the DATA bytes, so a test can check what the client
did *not* do (no AUTH after a failed STARTTLS, no DATA after a refusal).

A case overrides events by name:
    greeting  EHLO  STARTTLS  AUTH  MAIL  RCPT  DATA  DOT  QUIT
with either bytes (sent as they are: garbage, several replies in one
packet, a line of 100 KB) or a list of actions done in order:
    ("send", bytes)  ("default",) the normal reply  ("trickle", bytes
    [, seconds]) one byte at a time (every 2 ms, or every `seconds`)
    ("pause", seconds)  ("close",)  ("hang",) say nothing until the client
    leaves
or a callable(arg_str) returning one of those.  "DATA-BODY": ("read", n)
reads n bytes of the message and drops the connection; ("stall",) reads
nothing more (the client's writes fill the socket buffers) until the
client leaves or the server stops.  `capabilities` replaces the EHLO
keywords; `auth` the AUTH line ("" for none).

Like Postfix, it answers RCPT with 503 without an accepted MAIL, DATA
with 554 (or 503) when no recipient of the transaction was accepted, and
after it has said 421, MAIL, RCPT, DATA and RSET with 421 until QUIT;
whatever a case overrides is answered as the case says.  A body counts as
delivered (`data`) only when a recipient was accepted; `bodies` has every
body that ended in a final dot.

BDAT (RFC 3030) is served when a case offers CHUNKING: each chunk is
read whole, its size recorded in `bdat` as (size, last); "BDAT" overrides
the reply to a chunk that is not the last, "DOT" the final reply (to the
LAST chunk as to the final dot of DATA).  `data` holds the message bytes
either way.
"""

import base64
import socket
import ssl
import threading
import time

DEFAULT_CAPS = ["PIPELINING", "SIZE 314572800", "8BITMIME",
                "ENHANCEDSTATUSCODES"]


class Conn:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.tls = False
        self.reply = b""         # what the server sent for the last event
        self.mail = False        # MAIL FROM was accepted
        self.rcpts = 0           # recipients accepted in this transaction
        self.closing = False     # it said 421: only QUIT is served now

    def readline(self, limit=1 << 20):
        while b"\n" not in self.buf:
            if len(self.buf) > limit:
                raise EOFError("line too long")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("client closed")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"

    def read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("client closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, data):
        self.reply += data
        if data.startswith(b"421"):
            self.closing = True
        self.sock.sendall(data)


class ScriptedServer:
    def __init__(self, pki, overrides=None, capabilities=None,
                 implicit=False, starttls=True, user="alice@example.test",
                 password=None, auth="AUTH PLAIN LOGIN", port=0):
        self.pki = pki
        self.overrides = overrides or {}
        self.caps = DEFAULT_CAPS if capabilities is None else capabilities
        self.implicit = implicit
        self.offer_starttls = starttls and not implicit
        self.auth_line = auth
        self.user = user
        self.password = password
        self.lines = []          # (tls: bool, line: str)
        self.data = []           # messages delivered (dot-unstuffed):
                                 # the final dot came, a recipient was
                                 # accepted
        self.bodies = []         # every message body that ended in a dot
        self.bdat = []           # (chunk size, last) for each BDAT
        self.batched = []        # lines read with more input already
                                 # waiting: the client pipelined them
        self._chunks = b""       # BDAT bytes of the current message
        self.connections = 0
        self.errors = []
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", port))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.stopping = threading.Event()
        self.threads = []
        self.ctx = pki.server_context()

    # -- life cycle ------------------------------------------------------

    def start(self):
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def stop(self):
        self.stopping.set()
        try:
            self.lsock.close()
        except OSError:
            pass
        for t in self.threads:
            t.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def commands(self):
        return [l.split(" ", 1)[0].upper() for _tls, l in self.lines]

    def _accept(self):
        self.lsock.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                s, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            t = threading.Thread(target=self._serve, args=(s,), daemon=True)
            t.start()
            self.threads.append(t)

    # -- one client --------------------------------------------------------

    def _act(self, c, event, default, arg=""):
        """Do the override for event, or send default.  False: stop."""
        c.reply = b""
        action = self.overrides.get(event)
        if callable(action):
            action = action(arg)
        if action is None:
            c.send(default)
            return True
        if isinstance(action, bytes):
            c.send(action)
            return True
        if isinstance(action, tuple):
            action = [action]
        for step in action:
            kind = step[0]
            if kind == "send":
                c.send(step[1])
            elif kind == "default":
                c.send(default)
            elif kind == "trickle":
                delay = step[2] if len(step) > 2 else 0.002
                for i in range(len(step[1])):
                    if self.stopping.is_set():
                        return False
                    c.send(step[1][i:i + 1])
                    time.sleep(delay)
            elif kind == "pause":
                time.sleep(step[1])
            elif kind == "close":
                return False
            elif kind == "hang":
                self._hang(c)
                return False
            else:
                raise ValueError(step)
        return True

    def _hang(self, c):
        """Say nothing until the client gives up (or 60 s pass)."""
        c.sock.settimeout(0.5)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.stopping.is_set():
            try:
                if not c.sock.recv(65536):
                    return
            except socket.timeout:
                continue
            except OSError:
                return

    def _ehlo_reply(self, c):
        caps = list(self.caps)
        if self.offer_starttls and not c.tls:
            caps.append("STARTTLS")
        if (c.tls or not self.offer_starttls) and self.auth_line:
            caps.append(self.auth_line)
        lines = ["mail.example.test"] + caps
        return b"".join(("250%s%s\r\n" % ("-" if i < len(lines) - 1 else " ",
                                           l)).encode()
                        for i, l in enumerate(lines))

    def _check_auth(self, user, pw):
        return user == self.user.encode() and (
            self.password is None or pw == self.password.encode())

    def _serve(self, s):
        s.settimeout(30)
        c = Conn(s)
        try:
            if self.implicit:
                c.sock = self.ctx.wrap_socket(s, server_side=True)
                c.tls = True
            self._session(c)
        except (EOFError, OSError, ssl.SSLError) as e:
            self.errors.append(repr(e))
        finally:
            try:
                c.sock.close()
            except OSError:
                pass

    def _session(self, c):
        if not self._act(c, "greeting", b"220 mail.example.test ESMTP\r\n"):
            return
        # Read until the client hangs up, even once stop() was called: the
        # client may exit before this thread has read its last command.
        while True:
            raw = c.readline()
            line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            self.lines.append((c.tls, line))
            if c.buf:
                self.batched.append(line)
            cmd, _, arg = line.partition(" ")
            cmd = cmd.upper()
            if c.closing and cmd in ("MAIL", "RCPT", "DATA", "RSET") and \
                    cmd not in self.overrides:
                # A server that said 421 and has not hung up yet.
                c.send(b"421 4.3.2 Closing\r\n")
                continue
            if cmd in ("EHLO", "HELO"):
                if not self._act(c, "EHLO", self._ehlo_reply(c), arg):
                    return
            elif cmd == "STARTTLS":
                if not self._act(c, "STARTTLS",
                                 b"220 2.0.0 Ready to start TLS\r\n", arg):
                    return
                c.sock = self.ctx.wrap_socket(c.sock, server_side=True)
                c.tls = True
                c.buf = b""      # nothing from before TLS survives
            elif cmd == "AUTH":
                ok = self._auth(c, arg)
                if ok is None:
                    return
            elif cmd == "MAIL":
                c.rcpts = 0
                if not self._act(c, "MAIL", b"250 2.1.0 Ok\r\n", arg):
                    return
                c.mail = c.reply.startswith(b"25")
            elif cmd == "RCPT":
                if not self._act(c, "RCPT", b"250 2.1.5 Ok\r\n" if c.mail
                                 else b"503 5.5.1 Error: need MAIL command\r\n",
                                 arg):
                    return
                if c.mail and c.reply.startswith(b"25"):
                    c.rcpts += 1
            elif cmd == "DATA":
                # Like Postfix: without an accepted recipient, no DATA.
                if c.rcpts:
                    default = b"354 End data with <CR><LF>.<CR><LF>\r\n"
                elif c.mail:
                    default = b"554 5.5.1 Error: no valid recipients\r\n"
                else:
                    default = b"503 5.5.1 Error: need RCPT command\r\n"
                if not self._act(c, "DATA", default):
                    return
                if not c.reply.startswith(b"354"):
                    continue        # refused: no message follows
                if not self._read_data(c):
                    return
            elif cmd == "BDAT":
                if not self._read_bdat(c, arg):
                    return
            elif cmd == "RSET":
                c.mail, c.rcpts = False, 0
                self._chunks = b""
                c.send(b"250 2.0.0 Ok\r\n")
            elif cmd == "NOOP":
                c.send(b"250 2.0.0 Ok\r\n")
            elif cmd == "QUIT":
                self._act(c, "QUIT", b"221 2.0.0 Bye\r\n")
                return
            else:
                c.send(b"502 5.5.2 Error: command not recognized\r\n")

    def _auth(self, c, arg):
        parts = arg.split()
        mech = parts[0].upper() if parts else ""
        action = self.overrides.get("AUTH")
        if action is not None:
            return True if self._act(c, "AUTH", b"", arg) else None
        if mech == "PLAIN":
            if len(parts) > 1:
                resp = parts[1]
            else:
                c.send(b"334 \r\n")
                resp = c.readline().strip().decode()
                self.lines.append((c.tls, "****"))
            try:
                _authz, user, pw = base64.b64decode(resp).split(b"\0")
            except ValueError:
                c.send(b"501 5.5.2 Bad PLAIN response\r\n")
                return False
        elif mech == "LOGIN":
            if len(parts) > 1:
                user = base64.b64decode(parts[1])
            else:
                c.send(b"334 VXNlcm5hbWU6\r\n")
                user = base64.b64decode(c.readline().strip())
                self.lines.append((c.tls, "****"))
            c.send(b"334 UGFzc3dvcmQ6\r\n")
            pw = base64.b64decode(c.readline().strip())
            self.lines.append((c.tls, "****"))
        else:
            c.send(b"504 5.5.4 Unrecognized authentication type\r\n")
            return False
        if self._check_auth(user, pw):
            c.send(b"235 2.7.0 Authentication successful\r\n")
            return True
        c.send(b"535 5.7.8 Authentication credentials invalid\r\n")
        return False

    def _stall(self, c):
        """Read nothing; wait until the client leaves or we stop."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.stopping.is_set():
            time.sleep(0.1)

    def _read_bdat(self, c, arg):
        parts = arg.split()
        if not parts or not parts[0].isdigit() or len(parts) > 2 or (
                len(parts) == 2 and parts[1].upper() != "LAST"):
            c.send(b"501 5.5.4 Syntax: BDAT size [LAST]\r\n")
            return True
        n, last = int(parts[0]), len(parts) == 2
        self.bdat.append((n, last))
        self._chunks += c.read(n)
        if not last:
            return self._act(c, "BDAT",
                             b"250 2.0.0 %d octets received\r\n" % n, arg)
        self.bodies.append(self._chunks)
        self.data.append(self._chunks)
        self._chunks = b""
        c.mail, c.rcpts = False, 0
        return self._act(c, "DOT", b"250 2.0.0 Ok: queued as SCRIPTED\r\n")

    def _read_data(self, c):
        action = self.overrides.get("DATA-BODY")
        if action is not None:
            kind = action[0]
            if kind == "read":
                c.read(action[1])
                return False        # then drop the connection
            if kind == "stall":
                self._stall(c)
                return False
        out = []
        while True:
            line = c.readline(limit=1 << 22)
            if line == b".\r\n":
                break
            if line.startswith(b"."):
                line = line[1:]
            out.append(line)
        self.bodies.append(b"".join(out))
        if c.rcpts:
            self.data.append(self.bodies[-1])
        c.mail, c.rcpts = False, 0
        return self._act(c, "DOT", b"250 2.0.0 Ok: queued as SCRIPTED\r\n")
