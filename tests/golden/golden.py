#!/usr/bin/python3
"""Golden files: the exact bytes smtpc writes for a dozen typical messages.

Each case below is a `smtpc send --dry-run` command; tests/golden/NAME.eml
holds its output, made with a fixed seed and date (SMTPC_TEST_SEED,
SMTPC_TEST_DATE, TZ=UTC) so that boundaries, Message-ID and Date are
reproducible.  tests/integration/test_golden.py compares byte for byte.

When a change to the writer is intended, regenerate them and READ the diff
before committing (`git diff tests/golden`):

    scripts/conformance --regen-golden
    (or: /usr/bin/python3 tests/golden/golden.py --regen --smtpc BIN)
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
SEED = "1"
DATE = "1785585600"     # Sat, 1 Aug 2026 12:00:00 +0000


def d(name):
    return os.path.join(DATA, name)


FROM = ["-f", "Alice Example <alice@example.org>"]
TO = ["--to", "Bob <bob@example.com>"]
HTML2 = ('<html><body><p>Hello Bob,</p>\n<p><img src="cid:photo.jpg">'
         '<img src="cid:logo.png"></p>\n</body></html>\n')

CASES = [
    ("01-text-only", FROM + TO + [
        "-s", "Lunch tomorrow",
        "--text", "Hi Bob,\n\nlunch at noon tomorrow?\n\nAlice\n"]),
    ("02-text-inline-jpg", FROM + TO + [
        "-s", "The photo",
        "--text", "Here is the photo from Saturday.\n",
        "--inline", d("photo.jpg")]),
    ("03-html-inline-images", FROM + TO + [
        "-s", "Newsletter",
        "--html", HTML2,
        "--inline", d("photo.jpg"), "--inline", d("logo.png")]),
    ("04-text-html-inline-attachments", FROM + TO + [
        "-c", "Carol <carol@example.net>",
        "-s", "Quarterly report",
        "--text", "Hello Bob,\n\nthe report is attached.\n",
        "--html", HTML2,
        "--inline", d("photo.jpg"), "--inline", d("logo.png"),
        "--attach", d("report.pdf"), "--attach", d("data.csv")]),
    ("05-international", [
        "-f", "Jörg Müller <joerg@bücher.example>",
        "--to", '"Doe, Jane" <jane@example.com>',
        "--to", "Ἀθηνᾶ Παππᾶ <athina@παράδειγμα.example>",
        "-c", "山田 太郎 <taro@日本.example>",
        "-s", "Grüße aus Köln — Καλημέρα — 日本語 😀",
        "--text", "Grüße,\nder Lebenslauf hängt an.\n",
        "--attach", d("Résumé 2026.pdf"),
        "--attach", d("chart.png") + ";name=Übersicht, Q3 (final).png"]),
    ("06-long-subject", FROM + TO + [
        "-s", "A deliberately long subject line that goes on and on, "
              "well past seventy-eight columns, so that it must be folded "
              "— und dann noch ein paar Wörter mit Umlauten: äöü ÄÖÜ ß, "
              "bis zum Ende",
        "--text", "Body.\n"]),
    ("07-many-recipients", FROM + sum(
        [["--to", "Person %02d <person%02d@example.com>" % (i, i)]
         for i in range(1, 26)], []) + sum(
        [["-c", "cc%02d@example.net" % i] for i in range(1, 11)], []) + [
        "-b", "hidden@example.org",
        "-s", "Team update", "--text", "Hello all.\n"]),
    ("08-dots-and-from", FROM + TO + [
        "-s", "Dots",
        "--text", "Line one\n.\n..\n.leading dot\nFrom here on\n"
                  "From: not a header\n\n.\n"]),
    ("09-quoted-printable", FROM + TO + [
        "-s", "QP body",
        "--text", "Très bien, à demain. Ça marche.\n"
                  "A long line: " + "lorem ipsum dolor sit amet " * 6 +
                  "end.\ntrailing space here \n"
                  "From the start, and = signs.\n"]),
    ("10-base64", FROM + TO + [
        "-s", "Καλημέρα",
        "--text", "Καλημέρα κόσμε! Αυτό είναι ένα μήνυμα στα ελληνικά.\n"
                  "日本語のテキストです。これはテストです。\n"]),
    ("11-empty-body-attachment", FROM + TO + [
        "-s", "File only",
        "--text", "",
        "--attach", d("report.pdf")]),
    ("12-extra-headers", FROM + TO + [
        "--reply-to", "Help Desk <help@example.org>",
        "-s", "Headers",
        "-H", "X-Mailer-Test: golden",
        "-H", "X-Note: Grüße, mit Umlauten",
        "-H", "Message-ID: <fixed-id@example.org>",
        "-H", "List-Unsubscribe: <mailto:unsub@example.org>",
        "--text", "See the headers.\n"]),
]


def run(smtpc, args, out):
    env = dict(os.environ, SMTPC_TEST_SEED=SEED, SMTPC_TEST_DATE=DATE,
               TZ="UTC", LC_ALL="C.UTF-8")
    cp = subprocess.run([smtpc, "send", "--dry-run", "-o", out] + args,
                        env=env, stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return cp.returncode, cp.stderr.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--regen", action="store_true", required=True)
    ap.add_argument("--smtpc", required=True)
    a = ap.parse_args()
    for name, args in CASES:
        rc, err = run(os.path.abspath(a.smtpc), args,
                      os.path.join(HERE, name + ".eml"))
        if rc != 0:
            print("%s: smtpc failed (%d): %s" % (name, rc, err))
            return 1
        print("wrote tests/golden/%s.eml" % name)
    print("now read `git diff tests/golden` before committing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
