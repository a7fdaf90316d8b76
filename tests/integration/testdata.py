# SPDX-License-Identifier: ISC
"""Real test files made from scratch with the standard library.

What this module owns: small but valid files of the types smtpc must
carry — a baseline JPEG (our own tiny encoder), a PNG, a PDF with a
correct xref table, a WAV — plus text with the edge cases of SMTP bodies
(lines starting with a dot, long lines, bare CR/LF mixes are left to the
unit tests).  Everything is deterministic so hashes are stable.
"""

import math
import random
import struct
import wave
import zlib

# -- JPEG ----------------------------------------------------------------

_ZIGZAG = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]

# Canonical Huffman tables with one code length for every symbol: valid
# for any decoder, and no symbol table to copy from Annex K.
_DC_SYMS = list(range(12))                      # 12 codes of 4 bits
_AC_SYMS = [0x00, 0xF0] + [(r << 4) | s for r in range(16)
                           for s in range(1, 11)]   # 162 codes of 8 bits
_DC_LEN, _AC_LEN = 4, 8


def _codes(syms, length):
    return {s: (i, length) for i, s in enumerate(syms)}


class _Bits:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, value, nbits):
        for i in range(nbits - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)      # byte stuffing
                self.acc = self.n = 0

    def flush(self):
        while self.n:
            self.put(1, 1)                  # pad with 1 bits
        return bytes(self.out)


def _category(v):
    v = abs(v)
    n = 0
    while v:
        n += 1
        v >>= 1
    return n


def _vbits(v, size):
    return v if v >= 0 else v + (1 << size) - 1


def make_jpeg(width=48, height=32, seed=1):
    """A baseline greyscale JPEG (JFIF) of a gradient with a disc."""
    q = [8] * 64
    rnd = random.Random(seed)
    pix = [[0] * width for _ in range(height)]
    for y in range(height):
        for x in range(width):
            v = 40 + 3 * x + 2 * y
            dx, dy = x - width / 2, y - height / 2
            if dx * dx + dy * dy < (height / 3) ** 2:
                v = 230 - 2 * y
            pix[y][x] = max(0, min(255, v + rnd.randint(-3, 3)))
    cos = [[math.cos((2 * x + 1) * u * math.pi / 16) for x in range(8)]
           for u in range(8)]
    dc_codes = _codes(_DC_SYMS, _DC_LEN)
    ac_codes = _codes(_AC_SYMS, _AC_LEN)
    bits = _Bits()
    prev_dc = 0
    for by in range(0, height, 8):
        for bx in range(0, width, 8):
            blk = [[pix[min(by + y, height - 1)][min(bx + x, width - 1)] - 128
                    for x in range(8)] for y in range(8)]
            coef = [0] * 64
            for v in range(8):
                for u in range(8):
                    s = 0.0
                    for y in range(8):
                        row = blk[y]
                        cy = cos[v][y]
                        for x in range(8):
                            s += row[x] * cos[u][x] * cy
                    cu = 1 / math.sqrt(2) if u == 0 else 1.0
                    cv = 1 / math.sqrt(2) if v == 0 else 1.0
                    coef[v * 8 + u] = int(round(0.25 * cu * cv * s /
                                                q[v * 8 + u]))
            zz = [coef[_ZIGZAG[i]] for i in range(64)]
            diff = zz[0] - prev_dc
            prev_dc = zz[0]
            size = _category(diff)
            bits.put(*dc_codes[size])
            if size:
                bits.put(_vbits(diff, size), size)
            run = 0
            for k in range(1, 64):
                c = zz[k]
                if c == 0:
                    run += 1
                    continue
                while run > 15:
                    bits.put(*ac_codes[0xF0])
                    run -= 16
                size = _category(c)
                bits.put(*ac_codes[(run << 4) | size])
                bits.put(_vbits(c, size), size)
                run = 0
            if run:
                bits.put(*ac_codes[0x00])
    scan = bits.flush()

    def seg(marker, payload):
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    def dht(cls, syms, length):
        counts = [0] * 16
        counts[length - 1] = len(syms)
        return seg(0xC4, bytes([cls << 4]) + bytes(counts) + bytes(syms))

    out = b"\xff\xd8"
    out += seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    out += seg(0xDB, b"\x00" + bytes(q[_ZIGZAG[i]] for i in range(64)))
    out += seg(0xC0, struct.pack(">BHHB", 8, height, width, 1) +
               b"\x01\x11\x00")
    out += dht(0, _DC_SYMS, _DC_LEN)
    out += dht(1, _AC_SYMS, _AC_LEN)
    out += seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    out += scan + b"\xff\xd9"
    return out


# -- PNG -----------------------------------------------------------------

def make_png(width=24, height=16):
    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + \
            struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(v for x in range(width)
                                   for v in (x * 10 % 256, y * 15 % 256, 128))
                   for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                       0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# -- PDF -----------------------------------------------------------------

def make_pdf(text="smtpc test document"):
    """A one-page PDF 1.4 with a correct cross-reference table."""
    stream = ("BT /F1 24 Tf 72 720 Td (%s) Tj ET" % text).encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream +
        b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, xref))
    return bytes(out)


# -- WAV -----------------------------------------------------------------

def make_wav(path, seconds=0.25, rate=8000, freq=440.0):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(
            struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq *
                                                    i / rate)))
            for i in range(int(seconds * rate))))
    with open(path, "rb") as f:
        return f.read()


def make_random(size, seed=7):
    """Incompressible bytes (every byte value, CR/LF/dots included)."""
    return random.Random(seed).randbytes(size)


TEXT_BODY = (
    "Hello Bob,\n"
    "\n"
    "here is the picture from the trip.\n"
    ".a line that starts with a dot\n"
    ".\n"
    "and one more line after a lone dot.\n"
)
