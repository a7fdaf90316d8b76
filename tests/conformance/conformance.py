#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""MIME conformance: smtpc writes, three independent readers decode.

For COUNT messages made from a seed (message i uses seed*1000003 + i, so
one failing message can be made again alone with --only i), this program
writes random but valid input -- UTF-8 subjects (Greek, CJK, emoji, RTL,
combining marks, text that looks like encoded-words, very long words),
display names with commas, quotes, backslashes, parentheses and non-ASCII,
IDN domains, file names like "Résumé 2026.pdf", bodies with edge-case lines,
random trees of text/HTML/inline/attached parts -- runs
`smtpc send --dry-run -o FILE` on it, and checks that

  (a) Python's email package (policy=default),
  (b) GMime 3 (tests/conformance/gmime_check.c), and
  (c) munpack (attachments only)

each decode every header, display name, address, file name and body to
exactly what went in, every file byte-identical (SHA-256), and that every
line of the message ends in CRLF and is at most 998 octets.  A non-ASCII
file name must come back whole from Python (both APIs) and GMime, which
read filename*= (RFC 2231), while munpack, which knows no RFC 2231, saves
the file under the plain ASCII stand-in of Content-Type's name=, which
keeps the extension (ascii_name below says what it must be).  No fold of
an address field may fall inside a display name except between two
encoded-words, where every reader drops it.

GMime is a reader like the others: without gmime_check (libgmime-3.0-dev,
installed by scripts/setup) the run fails, unless --no-gmime says to go
without it.

Known parser quirks are normalised below, each where it is handled and
named "QUIRK" (see also shared/notes/mime-parsers.md beside the repository).  Everything
else that differs is a failure.

With --wire N the first N messages are also sent to an aiosmtpd server on
127.0.0.1: what arrives must be the --dry-run bytes exactly, and the SIZE=
smtpc declares (smtpc_reader_size) their length.

Usage: conformance.py [--count N] [--seed S] [--only I] [--keep DIR]
                      [--smtpc BIN] [--gmime-check BIN | --no-gmime]
                      [--jobs J] [--wire N]
Exit status 0 when every check passed.
"""

import argparse
import concurrent.futures
import email
import email.policy
import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# A fixed date for every message (Date is not what is tested here).
DATE = "1767225600"

# Extensions from src/lib/mime.c's table, so the expected type is known.
EXT_TYPES = {
    "pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png",
    "gif": "image/gif", "zip": "application/zip", "gz": "application/gzip",
    "mp3": "audio/mpeg", "ogg": "audio/ogg", "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument."
            "wordprocessingml.document",
    "csv": "text/csv", "json": "application/json", "txt": "text/plain",
    "ics": "text/calendar", "svg": "image/svg+xml", "mp4": "video/mp4",
}
IMAGE_EXTS = ["jpg", "png", "gif", "webp", "svg"]

# IDN domains with their A-labels (IDNA 2008; these agree with 2003).
DOMAINS = [
    ("example.org", "example.org"),
    ("mail.example.com", "mail.example.com"),
    ("sub-domain.example.net", "sub-domain.example.net"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("münchen.example.de", "xn--mnchen-3ya.example.de"),
    ("日本.example", "xn--wgv71a.example"),
    ("παράδειγμα.example", "xn--hxajbheg2az3al.example"),
]

WORDS_ASCII = [
    "hello", "Report", "Q3", "status:", "re:", "Fwd:", "a", "I", "x-y",
    "(draft)", "[urgent]", "50%", "$100", "e-mail", "don't", "\"quoted\"",
    "back\\slash", "semi;colon", "comma,", "<angle>", "at@sign", "a=b",
    "?", "=", "=?", "?=", "_under_", "tab", "dots...", "#tag", "~",
]
WORDS_INTL = [
    "Καλημέρα", "κόσμε", "Ελληνικά", "日本語", "テスト", "中文字符",
    "한국어", "😀", "🎉🎊", "👍🏽", "👨‍👩‍👧", "שלום", "עולם", "مرحبا",
    "العربية", "e\u0301te\u0301", "a\u0308\u0304", "Z\u0324\u0354\u0367",
    "Grüße", "Résumé", "naïve", "Œuvre", "ß", "ñ", "Ω", "€", "…", "—",
    "\u00a0nbsp", "zero\u200bwidth", "ﬁ", "Ǆ", "Ｆｕｌｌ",
]
WORDS_TRICKY = [
    "=?utf-8?q?x?=", "=?UTF-8?B?SGk=?=", "=?iso-8859-1?q?caf=E9?=",
    "=?utf-8?Q?=C3=A9?=", "=?", "=??=", "?=?", "=?x?", "=?utf-8?",
]


def long_word(rng):
    n = rng.choice([60, 76, 77, 100, 200, 400, 990, 1200])
    alphabet = rng.choice(["ascii", "intl", "mixed"])
    if alphabet == "ascii":
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                       for _ in range(n))
    chars = "αβγδεζηθ日本語中文😀éüñ" if alphabet == "intl" else \
        "abcαβγ日é😀-=?_"
    return "".join(rng.choice(chars) for _ in range(n // 3 + 1))


def words(rng, n, tricky=True, long_ok=True):
    out = []
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            out.append(rng.choice(WORDS_ASCII))
        elif r < 0.8:
            out.append(rng.choice(WORDS_INTL))
        elif r < 0.92 and tricky:
            out.append(rng.choice(WORDS_TRICKY))
        elif long_ok:
            out.append(long_word(rng))
        else:
            out.append(rng.choice(WORDS_INTL))
    return out


def gen_subject(rng):
    w = words(rng, rng.randint(1, 14))
    seps = [rng.choice([" ", " ", " ", "  ", "\t"]) for _ in w]
    return "".join(x + s for x, s in zip(w, seps)).rstrip(" \t") or "x"


NAME_PIECES = WORDS_ASCII[:20] + [
    "Last, First", "O'Brien", "\"Nick\"", "a\\b", "(comment)", "Müller",
    "José", "Łukasz", "Ἀθηνᾶ", "王小明", "佐藤", "김민수", "محمد", "דוד",
    "😀", "Dr.", "Jr.", "<x>", "a@b", "semi;", "colon:", "[list]",
    "=?utf-8?q?x?=", "Zoë", "e\u0301", "Smiley", "山田 太郎",
]

# A display name that was folded between "Smiley" and an encoded-word;
# GMime kept that fold as a line break in the name.
SMILEY = "😀 Smiley 山田 太郎"


def gen_name(rng):
    n = rng.randint(1, 5)
    name = " ".join(rng.choice(NAME_PIECES) for _ in range(n))
    if rng.random() < 0.05:
        name = long_word(rng)[:120]
    return name


def quote_name(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def gen_local(rng, k):
    r = rng.random()
    base = rng.choice(["user", "a", "first.last", "x+tag", "o'hara",
                       "under_score", "a-b", "UPPER", "n0"])
    if r < 0.04:
        return '"with space%d"' % k
    if r < 0.08:
        # RFC 6532: a UTF-8 local part, raw in the header.
        return "%s%d" % (rng.choice(["jörg", "用户", "ünï.cöde", "δοκιμή",
                                      "почта"]), k)
    return "%s%d" % (base, k)


def gen_addr(rng, k, with_name):
    local = gen_local(rng, k)
    udom, adom = rng.choice(DOMAINS)
    name = gen_name(rng) if with_name else None
    spec_in = "%s@%s" % (local, udom)
    arg = spec_in if name is None else "%s <%s>" % (quote_name(name),
                                                      spec_in)
    return {"arg": arg, "name": name, "spec": "%s@%s" % (local, adom),
            "uspec": spec_in}


def gen_line(rng):
    r = rng.random()
    if r < 0.08:
        return "."
    if r < 0.14:
        return "From " + " ".join(words(rng, 3, False, False))
    if r < 0.18:
        return "from the start"
    if r < 0.22:
        return "." + "x" * rng.randint(0, 80)
    if r < 0.27:
        n = rng.choice([77, 78, 79, 998, 999, 3000])
        pool = rng.choice(["a", "ab ", "é", "日本", "😀x", "a=b "])
        s = (pool * n)[:n]
        return s
    if r < 0.33:
        return " ".join(words(rng, rng.randint(1, 8), False, False)) + \
            rng.choice([" ", "  ", "\t", " \t", "\t\t "])
    if r < 0.36:
        return ""
    if r < 0.39:
        return "".join(rng.choice("\x01\x02\x07\x08\x0b\x0c\x1b\x7f=ab")
                       for _ in range(rng.randint(1, 40)))
    if r < 0.42:
        return "--not-a-boundary-- =_ =3D =\t"
    if r < 0.45:
        return " leading space and = sign"
    if r < 0.6:
        return " ".join(rng.choice(WORDS_ASCII)
                        for _ in range(rng.randint(1, 15)))
    return " ".join(words(rng, rng.randint(1, 12), True, False))


def gen_body(rng):
    r = rng.random()
    if r < 0.06:
        return ""
    n = rng.choice([1, 1, 2, 3, 5, 10, 30, 100])
    lines = [gen_line(rng) for _ in range(n)]
    eol_mode = rng.random()
    out = []
    for ln in lines:
        out.append(ln)
        if eol_mode < 0.6:
            out.append("\n")
        elif eol_mode < 0.8:
            out.append("\r\n")
        else:
            out.append(rng.choice(["\n", "\r\n", "\r"]))
    body = "".join(out)
    if rng.random() < 0.25:
        body = body.rstrip("\r\n")      # no final line break
    return body


def crlf(text):
    """smtpc's normalisation: every CRLF, CR or LF becomes CRLF."""
    return re.sub(r"\r\n|\r|\n", "\r\n", text)


def is_7bit(b):
    """src/lib/mime.c mime_text_scan: ASCII, no NUL, lines <= 78."""
    for line in b.split(b"\r\n"):
        if len(line) > 78 or b"\r" in line or b"\n" in line:
            return False
        if any(c >= 0x80 or c == 0 for c in line):
            return False
    return True


FILE_NAMES = [
    "Résumé 2026", "report", "a b c", "quote\"d", "back\\slash",
    "paren (1)", "comma, too", "semi; colon", "=?utf-8?q?x?=",
    "日本語のファイル名", "Ελληνικό αρχείο", "😀 emoji", "שם קובץ",
    "naïve café", "UPPER", "dash-and_under", "with.dots.in", "x",
    "'single'", "percent %41", "star*", "tab\there", "a=b",
    "données", "Straße Œuvre Łódź", "e\u0301te\u0301", "日本 v2",
    "Ångström×2", "(日本)", ".ñame", "😀",
]


def gen_filename(rng, used):
    for _ in range(100):
        r = rng.random()
        if r < 0.1:
            stem = "".join(rng.choice("αβγδ日本語éüñ") for _ in
                           range(rng.randint(30, 70)))
        elif r < 0.15:
            stem = "long_ascii_" + "x" * rng.randint(60, 150)
        else:
            stem = rng.choice(FILE_NAMES)
            if rng.random() < 0.5:
                stem += " %d" % rng.randint(0, 99)
        name = stem + "." + rng.choice(list(EXT_TYPES))
        if len(name.encode()) > 240:
            continue
        cid = cid_of(name)
        if name not in used and cid not in {cid_of(u) for u in used}:
            used.add(name)
            return name
    raise RuntimeError("no unique file name")


def cid_of(name):
    """src/lib/mime.c: a base name made a valid Content-ID."""
    return "".join("_" if (ord(c) <= 0x20 or ord(c) >= 0x7f or
                           c in "<>\"()[]\\,;:") else c
                   for c in name.encode("utf-8").decode("latin-1")
                   ).replace("=?", "=_")


# The ASCII stand-in in Content-Type's name= (src/lib/mime.c
# mime_ascii_name), written here from its documented rules rather than
# from the C: Latin letters lose their accents (Unicode's decomposition,
# plus the letters that have none), combining marks go, each run of other
# characters becomes one "_", no leading dot, at most 64 characters with
# the extension kept, "file" when nothing readable is left.
LATIN_NO_DECOMPOSITION = {
    "Æ": "AE", "æ": "ae", "Ð": "D", "ð": "d", "Ø": "O", "ø": "o",
    "Þ": "TH", "þ": "th", "ß": "ss", "Đ": "D", "đ": "d", "Ħ": "H",
    "ħ": "h", "ı": "i", "Ĳ": "IJ", "ĳ": "ij", "ĸ": "k", "Ŀ": "L",
    "ŀ": "l", "Ł": "L", "ł": "l", "ŉ": "n", "Ŋ": "N", "ŋ": "n",
    "Œ": "OE", "œ": "oe", "Ŧ": "T", "ŧ": "t", "ſ": "s",
}
REPL = "\x01"
NAME_MAX, EXT_MAX = 64, 16


def name_is_plain(name):
    """Printable ASCII without "=?": name= carries it as it is."""
    return all(0x20 <= ord(ch) < 0x7f for ch in name) and "=?" not in name


def spell(text):
    out = []
    for ch in text:
        o = ord(ch)
        if 0x20 <= o < 0x7f:
            out.append(ch)
        elif unicodedata.category(ch) == "Mn" and 0x300 <= o <= 0x36f:
            pass
        elif o == 0xa0:
            out.append(" ")
        elif ch in LATIN_NO_DECOMPOSITION:
            out.append(LATIN_NO_DECOMPOSITION[ch])
        elif 0xc0 <= o <= 0x17f and unicodedata.category(ch)[0] == "L":
            base = unicodedata.normalize("NFD", ch)[0]
            out.append(base if base.isascii() else REPL)
        else:
            out.append(REPL)
    return "".join(out)


def ascii_name(name):
    if name_is_plain(name):
        return name
    stem, ext = name, ""
    dot = name.rfind(".")
    if dot > 0 and 0 < len(name[dot + 1:].encode()) <= EXT_MAX:
        stem, ext = name[:dot], "." + spell(name[dot + 1:]).replace(
            REPL, "_")
    s = re.sub(REPL + "(?: *" + REPL + ")*", REPL, spell(stem))
    s = s.lstrip(REPL + " .")[:NAME_MAX - len(ext)].rstrip(REPL + " .")
    s = s.replace(REPL, "_") if re.search("[A-Za-z0-9]", s) else "file"
    return (s + ext).replace("=?", "=_")


def name_params(files):
    """name= of each file: stand-ins numbered ("file-2.pdf") past every
    other name= of the message, case aside (src/lib/writer.c)."""
    base = [ascii_name(f["name"]) for f in files]
    k = []
    for i, f in enumerate(files):
        k.append(0 if name_is_plain(f["name"]) else 1 + sum(
            1 for j in range(i) if k[j] and
            base[j].lower() == base[i].lower()))
    final = list(base)
    for i in range(len(files)):
        while k[i]:
            cand = base[i]
            if k[i] > 1:
                dot = base[i].rfind(".")
                dot = dot if dot > 0 else len(base[i])
                cand = "%s-%d%s" % (base[i][:dot], k[i], base[i][dot:])
            if not any(j != i and (j < i or not k[j]) and
                       final[j].lower() == cand.lower()
                       for j in range(len(files))):
                final[i] = cand
                break
            k[i] += 1
    return {id(f): n for f, n in zip(files, final)}


def gen_data(rng):
    r = rng.random()
    if r < 0.1:
        n = 0
    elif r < 0.3:
        n = rng.randint(1, 5)
    elif r < 0.8:
        n = rng.randint(6, 5000)
    else:
        n = rng.randint(5000, 200000)
    if rng.random() < 0.3:
        return bytes(rng.choice(b"abc \r\n\t.=From") for _ in range(n))
    return rng.getrandbits(8 * n).to_bytes(n, "little") if n else b""


def gen_case(seed, index):
    rng = random.Random(seed * 1000003 + index)
    c = {"index": index, "rcpt": []}
    k = 0
    c["from"] = gen_addr(rng, k, rng.random() < 0.8)
    for kind, lo, hi in (("to", 1, 4), ("cc", 0, 3), ("bcc", 0, 2),
                         ("reply-to", 0, 2)):
        n = rng.randint(lo, hi) if rng.random() < 0.7 or kind == "to" \
            else 0
        if kind == "to" and rng.random() < 0.05:
            n = rng.randint(10, 40)     # many recipients: folded list
        for _ in range(max(n, lo)):
            k += 1
            c["rcpt"].append((kind, gen_addr(rng, k, rng.random() < 0.7)))
    if rng.random() < 0.05:
        k += 1
        udom, adom = rng.choice(DOMAINS)
        c["rcpt"].insert(1, ("to", {
            "arg": "%s <to%d@%s>" % (quote_name(SMILEY), k, udom),
            "name": SMILEY, "spec": "to%d@%s" % (k, adom),
            "uspec": "to%d@%s" % (k, udom)}))
    c["subject"] = gen_subject(rng) if rng.random() < 0.95 else None
    c["headers"] = []
    for h in range(rng.choice([0, 0, 0, 1, 2])):
        c["headers"].append(("X-Conformance-%d" % h,
                             " ".join(words(rng, rng.randint(1, 6)))))
    shape = rng.random()
    c["text"] = gen_body(rng) if shape < 0.8 else None
    c["html"] = None
    if rng.random() < 0.45:
        c["html"] = "<html><body>\n" + gen_body(rng) + "\n"
    c["files"] = []
    used = set()
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 4, 5])):
        f = {"inline": rng.random() < 0.35}
        f["disk"] = gen_filename(rng, used)
        if f["inline"] and rng.random() < 0.6:
            f["disk"] = f["disk"].rsplit(".", 1)[0] + "." + \
                rng.choice(IMAGE_EXTS)
            if f["disk"] in used:
                f["disk"] = "img%d.png" % len(used)
            used.add(f["disk"])
        f["data"] = gen_data(rng)
        f["type_arg"] = None
        f["type"] = EXT_TYPES[f["disk"].rsplit(".", 1)[1]]
        if rng.random() < 0.08:
            f["type_arg"] = f["type"] = rng.choice(
                ["application/x-conformance", "image/x-test",
                 "application/octet-stream"])
        f["name"] = f["disk"]
        f["name_arg"] = None
        f["cid"] = cid_of(f["disk"]) if f["inline"] else None
        f["cid_arg"] = None
        if not f["inline"] and rng.random() < 0.2:
            f["name_arg"] = f["name"] = rng.choice(
                ["Given \"name\" (1).pdf", "Übersicht, final.pdf",
                 "back\\slash;semi.txt", "日本語.txt", "plain.bin",
                 "données.pdf", long_word(rng)[:80] + ".dat"])
            if f["name"] in used:
                f["name_arg"] = f["name"] = "n%d-%s" % (len(used),
                                                        f["name"])
            used.add(f["name"])
        if f["inline"] and rng.random() < 0.3:
            f["cid_arg"] = f["cid"] = "part%d.%d@conformance.test" % (
                index, len(c["files"]))
        c["files"].append(f)
    if c["html"] is not None:
        for f in c["files"]:
            if f["inline"]:
                c["html"] += '<img src="cid:%s">\n' % f["cid"]
        c["html"] += "</body></html>" + rng.choice(["", "\n", "\r\n"])
    return c


def case_argv(c, d):
    """Write the case's files into directory d; return smtpc's arguments."""
    a = ["send", "--dry-run", "-o", os.path.join(d, "msg.eml"),
         "-f", c["from"]["arg"]]
    opt = {"to": "--to", "cc": "-c", "bcc": "-b", "reply-to": "--reply-to"}
    for kind, r in c["rcpt"]:
        a += [opt[kind], r["arg"]]
    if c["subject"] is not None:
        a += ["-s", c["subject"]]
    for name, value in c["headers"]:
        a += ["-H", "%s: %s" % (name, value)]
    for what in ("text", "html"):
        if c[what] is not None:
            p = os.path.join(d, what + ".body")
            with open(p, "wb") as fp:
                fp.write(c[what].encode("utf-8"))
            a += ["--%s-file" % what, p]
    os.mkdir(os.path.join(d, "files"))
    for f in c["files"]:
        p = os.path.join(d, "files", f["disk"])
        with open(p, "wb") as fp:
            fp.write(f["data"])
        spec = p
        if f["type_arg"]:
            spec += ";type=" + f["type_arg"]
        if f["name_arg"]:
            spec += ";name=" + f["name_arg"]
        if f["cid_arg"]:
            spec += ";cid=" + f["cid_arg"]
        a += ["--inline" if f["inline"] else "--attach", spec]
    return a


def expected_tree(c):
    """The structure src/lib/writer.c builds, as a string, and the leaves
    in order: (type, text bytes or file dict)."""
    inl = [f for f in c["files"] if f["inline"]]
    att = [f for f in c["files"] if not f["inline"]]
    leaves = []
    text = c["text"]
    if c["html"] is not None:
        body = "text/html"
        hl = [("text/html", c["html"])]
        if inl:
            body = "multipart/related(text/html,%s)" % ",".join(
                f["type"] for f in inl)
            hl += [(f["type"], f) for f in inl]
        if text is not None:
            body = "multipart/alternative(text/plain,%s)" % body
            hl = [("text/plain", text)] + hl
        leaves = hl
        rest = att
    else:
        body = None
        if text is not None or not c["files"]:
            body = "text/plain"
            leaves = [("text/plain", text or "")]
        rest = c["files"]
    if not rest and (c["html"] is not None or not inl):
        return body, leaves
    kids = ([body] if body else []) + [f["type"] for f in rest]
    leaves += [(f["type"], f) for f in rest]
    return "multipart/mixed(%s)" % ",".join(kids), leaves


def expected_text(c, text):
    """Decoded bytes of a text part: CRLF-normalised UTF-8.  When the text
    is the whole message, sent 7bit, and lacks a final line break, the
    writer adds one: SMTP needs the message to end in CRLF, and 7bit has
    no soft break to hide it (QP and base64 bodies stay exact)."""
    b = crlf(text).encode("utf-8")
    top = (c["html"] is None or c["text"] is None) and not c["files"]
    if top and b and not b.endswith(b"\r\n") and is_7bit(b):
        b += b"\r\n"
    return b


class Failures:
    def __init__(self, c):
        self.c = c
        self.items = []
        self.checks = 0
        self.quirks = {}

    def eq(self, reader, what, got, want):
        self.checks += 1
        if got != want:
            self.items.append("%s: %s: got %r, want %r" % (
                reader, what, got, want))

    def true(self, reader, what, cond, detail=""):
        self.checks += 1
        if not cond:
            self.items.append("%s: %s %s" % (reader, what, detail))

    def quirk(self, name):
        self.quirks[name] = self.quirks.get(name, 0) + 1


def check_lines(fx, raw):
    fx.true("wire", "ends in CRLF", raw.endswith(b"\r\n"))
    lines = raw.split(b"\r\n")
    for i, ln in enumerate(lines):
        if b"\r" in ln or b"\n" in ln:
            fx.true("wire", "bare CR or LF on line %d" % (i + 1), False)
            break
        if len(ln) > 998:
            fx.true("wire", "line %d is %d octets" % (i + 1, len(ln)),
                    False)
            break
    else:
        fx.true("wire", "lines", True)
    fx.true("wire", "no NUL", b"\0" not in raw)
    # Not a failure (RFC 5322 allows up to 998): how often folding at 78
    # was not possible in the top-level header (a very long word, say).
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    if any(len(ln) > 78 for ln in head):
        fx.quirk("info: a top-level header line over 78 octets")


def check_address_folds(fx, raw):
    """A fold of an address field falls between addresses, before an
    angle-addr, or between two encoded-words: anywhere else in a display
    name, GMime keeps it as a line break in the name."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    for field in ("From", "To", "Cc", "Reply-To"):
        m = re.search(r"(?im)^%s:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)" %
                      re.escape(field), head)
        if not m:
            continue
        v = m.group(1)
        bad = [v[max(0, i - 20):i + 22] for i in
               (x.start() for x in re.finditer("\r\n", v))
               if not (v[:i].endswith(",") or v[i + 2:].lstrip(" \t")
                       .startswith("<") or (v[:i].endswith("?=") and
                                            v[i + 2:].lstrip(" \t")
                                            .startswith("=?")))]
        fx.true("wire", "%s folded only outside display names" % field,
                not bad, repr(bad[:2]))


def unescape(s):
    """QUIRK (Python): raw UTF-8 in headers (RFC 6532) comes back as
    surrogate escapes under policy=default; turn them back into text."""
    try:
        return s.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeError:
        return s


def name_eq(fx, reader, what, got, want, raw_field):
    """Display names.  QUIRK (Python, GMime): a reader may put a space
    between two adjacent encoded-words of one display name; accept that
    only when the field really has adjacent encoded-words and nothing but
    spaces differs."""
    got = got or None
    if got != want and got is not None and want is not None and \
            got.replace(" ", "") == want.replace(" ", "") and \
            re.search(r"\?=\s+=\?", raw_field):
        fx.quirk("%s: space between encoded-words in a name" % reader)
        got = want
    fx.eq(reader, what, got, want)


def raw_field(raw, name):
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    m = re.search(r"(?im)^%s:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)" %
                  re.escape(name), head)
    return m.group(1).replace("\r\n", "") if m else ""


def check_python(fx, c, raw):
    m = email.message_from_bytes(raw, policy=email.policy.default)
    fx.eq("python", "defects", [type(d).__name__ for d in m.defects], [])
    want_subject = None if c["subject"] is None else \
        c["subject"].strip(" \t")
    got = m["Subject"]
    fx.eq("python", "Subject", None if got is None else str(got),
          want_subject)
    groups = {"from": [c["from"]]}
    for kind, r in c["rcpt"]:
        groups.setdefault(kind, []).append(r)
    for kind, field in (("from", "From"), ("to", "To"), ("cc", "Cc"),
                        ("reply-to", "Reply-To")):
        want = groups.get(kind, [])
        h = m[field]
        got = list(h.addresses) if h is not None else []
        fx.eq("python", "%s count" % field, len(got), len(want))
        rf = raw_field(raw, field)
        for a, w in zip(got, want):
            name_eq(fx, "python", "%s name" % field,
                    unescape(a.display_name),
                    w["name"].strip(" ") if w["name"] else None, rf)
            fx.eq("python", "%s address" % field, unescape(a.addr_spec),
                  w["spec"])
    fx.eq("python", "Bcc absent", m["Bcc"], None)
    for name, value in c["headers"]:
        h = m[name]
        fx.eq("python", name, None if h is None else str(h),
              value.strip(" \t"))
    tree, leaves = expected_tree(c)

    def walk(p):
        if p.is_multipart():
            return "%s(%s)" % (p.get_content_type(), ",".join(
                walk(k) for k in p.iter_parts()))
        return p.get_content_type()
    fx.eq("python", "structure", walk(m), tree)
    parts = [p for p in m.walk() if not p.is_multipart()]
    if len(parts) != len(leaves):
        return
    names = name_params(c["files"])
    # The older API (compat32, message_from_bytes' default) picks the
    # file name on its own rules: it must find the full name too.
    old = [p for p in email.message_from_bytes(raw).walk()
           if not p.is_multipart()]
    for p, (typ, src) in zip(old, leaves):
        if not isinstance(src, str):
            fx.eq("python", "file %r filename (compat32)" % src["name"],
                  p.get_filename(), src["name"])
    for p, (typ, src) in zip(parts, leaves):
        data = p.get_payload(decode=True) or b""
        if isinstance(src, str):
            fx.eq("python", "%s charset" % typ, p.get_content_charset(),
                  "utf-8")
            fx.eq("python", "%s body" % typ, data, expected_text(c, src))
            continue
        f = src
        fx.eq("python", "file %r sha256" % f["name"],
              hashlib.sha256(data).hexdigest(),
              hashlib.sha256(f["data"]).hexdigest())
        fx.eq("python", "file %r disposition" % f["name"],
              p.get_content_disposition(),
              "inline" if f["inline"] else "attachment")
        fx.eq("python", "file %r filename" % f["name"], p.get_filename(),
              f["name"])
        # name= holds the ASCII stand-in for readers without RFC 2231;
        # Python reads it as it is (no encoded-word to decode).
        fx.eq("python", "file %r name=" % f["name"],
              p.get_param("name", header="content-type"), names[id(f)])
        if f["inline"]:
            fx.eq("python", "file %r Content-ID" % f["name"],
                  p["Content-ID"], "<%s>" % f["cid"])


def check_gmime(fx, c, raw, recs):
    """recs: the gmime_check lines of this message."""
    def unhex(s):
        return None if s == "-" else "" if s == "=" else \
            bytes.fromhex(s).decode("utf-8", "replace")
    for r in recs:
        if r[0] == "E":
            fx.true("gmime", "parse", False, r[1])
            return
    subj = [unhex(r[1]) for r in recs if r[0] == "S"]
    want_subject = None if c["subject"] is None else \
        c["subject"].strip(" \t")
    fx.eq("gmime", "Subject", subj[0] if subj else None, want_subject)
    groups = {"from": [c["from"]]}
    for kind, r in c["rcpt"]:
        groups.setdefault(kind, []).append(r)
    for kind, field in (("from", "From"), ("to", "To"), ("cc", "Cc"),
                        ("reply-to", "Reply-To")):
        want = groups.get(kind, [])
        got = [r for r in recs if r[0] == "A" and r[1] == field]
        fx.eq("gmime", "%s count" % field, len(got), len(want))
        rf = raw_field(raw, field)
        for a, w in zip(got, want):
            # GMime keeps a fold inside a display name as a line break
            # (but for one between encoded-words): no such fold is
            # written, so a name with a line break is a failure here.
            gname = unhex(a[2])
            name_eq(fx, "gmime", "%s name" % field, gname,
                    w["name"].strip(" ") if w["name"] else None, rf)
            got_spec = unhex(a[3])
            if got_spec == w["uspec"] != w["spec"]:
                # QUIRK (GMime): internet_address_mailbox_get_addr gives
                # an A-label domain back decoded to Unicode.
                fx.quirk("gmime: IDN domain decoded")
                got_spec = w["spec"]
            fx.eq("gmime", "%s address" % field, got_spec, w["spec"])
    for name, value in c["headers"]:
        got = [unhex(r[2]) for r in recs if r[0] == "H" and r[1] == name]
        fx.eq("gmime", name, got[:1], [value.strip(" \t")])
    tree, leaves = expected_tree(c)
    # Rebuild the structure string from the depth-first records.
    nodes = [r for r in recs if r[0] in "MP"]
    pos = [0]

    def build(depth):
        r = nodes[pos[0]]
        pos[0] += 1
        if r[0] == "P":
            return r[2]
        kids = []
        while pos[0] < len(nodes) and int(nodes[pos[0]][1]) == depth + 1:
            kids.append(build(depth + 1))
        return "%s(%s)" % (r[2], ",".join(kids))
    fx.eq("gmime", "structure", build(0) if nodes else None, tree)
    parts = [r for r in nodes if r[0] == "P"]
    if len(parts) != len(leaves):
        return
    names = name_params(c["files"])
    for p, (typ, src) in zip(parts, leaves):
        if isinstance(src, str):
            want = expected_text(c, src)
            fx.eq("gmime", "%s body sha256" % typ, p[6],
                  hashlib.sha256(want).hexdigest())
            continue
        f = src
        fx.eq("gmime", "file %r sha256" % f["name"], p[6],
              hashlib.sha256(f["data"]).hexdigest())
        fx.eq("gmime", "file %r disposition" % f["name"], p[3],
              "inline" if f["inline"] else "attachment")
        fx.eq("gmime", "file %r filename" % f["name"], unhex(p[4]),
              f["name"])
        fx.eq("gmime", "file %r name=" % f["name"], unhex(p[8]),
              names[id(f)])
        if f["inline"]:
            fx.eq("gmime", "file %r Content-ID" % f["name"], unhex(p[5]),
                  f["cid"])


def munpack_sha(f):
    """QUIRK (munpack): a text/* file is written with the local line
    ending: it drops every CR."""
    data = f["data"]
    if f["type"].startswith("text/"):
        data = data.replace(b"\r", b"")
    return hashlib.sha256(data).hexdigest()


def munpack_names(c):
    """The names munpack gives the files, in the message's order: it reads
    Content-Disposition's filename= (never filename*=), else Content-Type's
    name=; turns every byte outside [A-Za-z0-9#%+,-.:=@^_~] into 'X'; and
    adds ".1", ".2", ... (one counter a run) to a name already written."""
    _, leaves = expected_tree(c)
    files = [src for _, src in leaves if not isinstance(src, str)]
    names = name_params(c["files"])
    out, suffix = [], 0
    for f in files:
        n = names[id(f)].lstrip("~/")
        n = re.sub(r"[^A-Za-z0-9#%+,\-.:=@^_~]", "X", n)
        if n in out:
            suffix += 1
            while "%s.%d" % (n, suffix) in out:
                suffix += 1
            n = "%s.%d" % (n, suffix)
        out.append(n)
    return files, out


def check_munpack(fx, c, d):
    """munpack knows neither RFC 2231 nor RFC 2047 in names: every file
    must come out under the munpack form of its name= (the ASCII stand-in
    for a non-ASCII name, with the file's extension), with its bytes."""
    out = os.path.join(d, "munpack")
    os.mkdir(out)
    cp = subprocess.run(["munpack", "-q", "-C", out,
                         os.path.join(d, "msg.eml")],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    fx.eq("munpack", "exit status", cp.returncode, 0)
    # QUIRK (munpack): a second text part finds the first one's
    # tempdesc.txt and says so; nothing else may be said.
    fx.eq("munpack", "stderr", [ln for ln in cp.stderr.decode(
        "utf-8", "replace").splitlines()
        if ln != "tempdesc.txt: File exists"], [])
    # It says "NAME (TYPE)" for each file it writes, in order.
    said = [ln.rsplit(" (", 1)[0] for ln in
            cp.stdout.decode("utf-8", "replace").splitlines()]
    files, want = munpack_names(c)
    fx.eq("munpack", "file names", said, want)
    for f, n in zip(files, said):
        ext = f["name"].rsplit(".", 1)[1] if "." in f["name"][1:] else ""
        if not name_is_plain(f["name"]) and 0 < len(ext) <= EXT_MAX and \
                ext.isascii():
            fx.true("munpack", "file %r saved with its extension" %
                    f["name"], n.endswith("." + ext) and
                    MUNPACK_SAFE.match(n) is not None, "(as %r)" % n)
        p = os.path.join(out, n)
        got = None
        if os.path.isfile(p):
            with open(p, "rb") as fp:
                got = hashlib.sha256(fp.read()).hexdigest()
        fx.eq("munpack", "file %r sha256" % f["name"], got, munpack_sha(f))
    extra = sorted(set(os.listdir(out)) - set(said) - {"tempdesc.txt"})
    fx.eq("munpack", "other files", [n for n in extra
                                     if not n.endswith(".desc")], [])


MUNPACK_SAFE = re.compile(r"^[A-Za-z0-9#%+,\-.:=@^_~]+$")


class WireSink:
    """An aiosmtpd server on 127.0.0.1 (plain TCP; SIZE and SMTPUTF8
    offered) that keeps what arrives by Message-ID: the --wire check sends
    some messages for real and compares them with the --dry-run bytes."""

    def __init__(self):
        import threading
        from aiosmtpd.controller import Controller
        self.lock = threading.Lock()
        self.got = {}
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                data = envelope.original_content
                m = re.search(rb"(?im)^Message-ID: *(<[^>]*>)", data)
                size = [int(o[5:]) for o in envelope.mail_options
                        if o.upper().startswith("SIZE=")]
                with sink.lock:
                    sink.got[m.group(1) if m else b"?"] = (size, data)
                return "250 2.0.0 OK"

        import socket
        with socket.socket() as so:
            so.bind(("127.0.0.1", 0))
            self.port = so.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1",
                                     port=self.port, decode_data=False,
                                     enable_SMTPUTF8=True)
        self.controller.start()

    def stop(self):
        self.controller.stop()


def check_wire(fx, args, argv, env, raw):
    """Send the message for real: the server gets the --dry-run bytes
    exactly (CRLF, dot-stuffing undone), and SIZE= in MAIL FROM, which is
    smtpc_reader_size, is their length."""
    send = [argv[0], "send", "--server", "127.0.0.1:%d" % args.sink.port,
            "--tls", "none", "-q"] + argv[5:]
    cp = subprocess.run(send, env=env, stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    fx.eq("wire", "send exit status", cp.returncode, 0)
    m = re.search(rb"(?im)^Message-ID: *(<[^>]*>)", raw)
    with args.sink.lock:
        size, data = args.sink.got.pop(m.group(1), (None, None))
    fx.true("wire", "arrived bytes == --dry-run bytes", data == raw,
            "(%s vs %d bytes)" % (None if data is None else len(data),
                                  len(raw)))
    fx.eq("wire", "SIZE= (smtpc_reader_size)", size, [len(raw)])


def run_case(args, seed, index, workdir):
    c = gen_case(seed, index)
    d = os.path.join(workdir, "m%05d" % index)
    os.mkdir(d)
    fx = Failures(c)
    argv = [args.smtpc] + case_argv(c, d)
    env = dict(os.environ, SMTPC_TEST_SEED=str(seed * 7 + index),
               SMTPC_TEST_DATE=DATE, TZ="UTC", LC_ALL="C.UTF-8")
    cp = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    fx.eq("smtpc", "exit status", cp.returncode, 0)
    if cp.returncode != 0:
        fx.items.append("smtpc: " + cp.stderr.decode("utf-8", "replace"))
        return fx, d, None
    with open(os.path.join(d, "msg.eml"), "rb") as fp:
        raw = fp.read()
    check_lines(fx, raw)
    check_address_folds(fx, raw)
    try:
        check_python(fx, c, raw)
    except Exception as e:      # a crash of the reader is a failure too
        fx.true("python", "parse", False, repr(e))
    if c["files"]:
        check_munpack(fx, c, d)
    if index < args.wire:
        check_wire(fx, args, argv, env, raw)
    return fx, d, raw


def gmime_batch(args, items):
    """Run gmime_check once over many files; return {path: records}."""
    paths = [os.path.join(d, "msg.eml") for _, d, raw in items
             if raw is not None]
    if not paths:
        return {}
    # GLib keeps its type system until exit: no leak check for the reader
    # when it was built with the sanitizers.
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    cp = subprocess.run([args.gmime_check] + paths, stdout=subprocess.PIPE,
                        env=env, check=True)
    res, cur = {}, None
    for line in cp.stdout.decode("ascii").splitlines():
        r = line.split("\t")
        if r[0] == "F":
            cur = res.setdefault(r[1], [])
        else:
            cur.append(r)
    return res


def find_gmime_check():
    for b in ("build", "build-conf"):
        p = os.path.join(REPO, b, "tests", "conformance", "gmime_check")
        if os.access(p, os.X_OK):
            return p
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--only", type=int, default=None,
                    help="make and check only message number ONLY")
    ap.add_argument("--keep", default=None,
                    help="copy failing messages' directories here")
    ap.add_argument("--smtpc", default=os.environ.get(
        "SMTPC_BIN", os.path.join(REPO, "build", "src", "cli", "smtpc")))
    ap.add_argument("--gmime-check", default=os.environ.get(
        "GMIME_CHECK") or find_gmime_check())
    ap.add_argument("--no-gmime", action="store_true",
                    help="run without GMime (otherwise a missing "
                    "gmime_check is a failure)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--wire", type=int, default=0, metavar="N",
                    help="also send the first N messages to a local "
                    "aiosmtpd and compare what arrives")
    args = ap.parse_args(argv)
    if args.no_gmime:
        args.gmime_check = None
    elif not args.gmime_check or not os.access(args.gmime_check, os.X_OK):
        print("conformance: FAILED: no GMime reader (gmime_check %s); "
              "scripts/setup installs libgmime-3.0-dev, then the build "
              "makes tests/conformance/gmime_check (--no-gmime to go "
              "without)" % ("not built" if not args.gmime_check else
                            "%s not executable" % args.gmime_check))
        return 1
    if not os.path.isabs(args.smtpc):
        args.smtpc = os.path.abspath(args.smtpc)
    t0 = time.time()
    indices = [args.only] if args.only is not None else range(args.count)
    workdir = tempfile.mkdtemp(prefix="smtpc-conformance-")
    results = []
    args.sink = WireSink() if args.wire > 0 else None
    try:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
            futs = [ex.submit(run_case, args, args.seed, i, workdir)
                    for i in indices]
            results = [f.result() for f in futs]
            if args.gmime_check:
                batches = [results[i:i + 100]
                           for i in range(0, len(results), 100)]
                gm = {}
                for r in ex.map(lambda b: gmime_batch(args, b), batches):
                    gm.update(r)
                for fx, d, raw in results:
                    if raw is None:
                        continue
                    try:
                        check_gmime(fx, fx.c, raw,
                                    gm.get(os.path.join(d, "msg.eml"), []))
                    except Exception as e:
                        fx.true("gmime", "records", False, repr(e))
        checks = sum(fx.checks for fx, _, _ in results)
        failed = [(fx, d) for fx, d, _ in results if fx.items]
        quirks = {}
        for fx, _, _ in results:
            for k, v in fx.quirks.items():
                quirks[k] = quirks.get(k, 0) + v
        for fx, d in failed[:20]:
            print("FAIL message %d (--only %d):" % (fx.c["index"],
                                                    fx.c["index"]))
            for it in fx.items[:8]:
                print("   ", it[:600])
            if args.keep:
                dst = os.path.join(args.keep, os.path.basename(d))
                shutil.rmtree(dst, ignore_errors=True)
                shutil.copytree(d, dst)
        for k, v in sorted(quirks.items()):
            if k.startswith("info: "):
                print("note: %s (%d messages)" % (k[6:], v))
            else:
                print("normalised quirk: %s (%d times)" % (k, v))
        readers = "python, munpack" + (", gmime" if args.gmime_check
                                       else " (--no-gmime: GMime not run)")
        if args.wire:
            readers += "; %d sent to aiosmtpd" % min(args.wire,
                                                     len(results))
        print("conformance: %d messages, %d checks, %d messages failed "
              "(seed %d; readers: %s) in %.1f s" % (
                  len(results), checks, len(failed), args.seed, readers,
                  time.time() - t0))
        return 1 if failed else 0
    finally:
        if args.sink is not None:
            args.sink.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
