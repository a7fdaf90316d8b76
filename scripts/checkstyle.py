#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""checkstyle.py FILE... - the house style (style(9), as OpenSMTPD writes
it) in the rules a machine can hold, for every C file of the tree:

  - lines of at most 80 columns (a tab reaches the next multiple of 8);
  - indentation by tabs: no run of 8 spaces in a line's leading blanks
    (a continuation line is tabs and then 4 spaces);
  - no trailing blanks, no carriage returns;
  - a function definition's return type on a line of its own, its name
    at the start of the next, its opening brace alone on a line;
  - an SPDX-License-Identifier in the first lines of the file.

Prints "FILE:LINE: what" for each breach; exit 1 if any.
"""
import re
import sys

DEF = re.compile(r'^(static\s+|const\s+|unsigned\s+|struct\s+\w+\s*\*?\s*|'
                 r'enum\s+\w+\s+|[a-z_0-9]+\s+\**)+[a-z_][a-z_0-9]*\(')


def columns(line):
    col = 0
    for c in line:
        col = (col // 8 + 1) * 8 if c == '\t' else col + 1
    return col


def check(path):
    bad = []
    try:
        text = open(path, encoding='utf-8').read()
    except UnicodeDecodeError:
        text = open(path, encoding='latin-1').read()
    lines = text.split('\n')
    if not any('SPDX-License-Identifier:' in l for l in lines[:5]):
        bad.append((1, 'no SPDX-License-Identifier in the first lines'))
    for i, l in enumerate(lines, 1):
        if '\r' in l:
            bad.append((i, 'carriage return'))
        if l != l.rstrip():
            bad.append((i, 'trailing blanks'))
        if columns(l) > 80:
            bad.append((i, 'longer than 80 columns (%d)' % columns(l)))
        lead = l[:len(l) - len(l.lstrip(' \t'))]
        if '        ' in lead:
            bad.append((i, 'indented with spaces, not tabs'))
        # "int foo(...)" at the start of a line, then "{": a definition
        # whose type shares the name's line.
        if DEF.match(l) and not l.rstrip().endswith(';') and \
                i < len(lines) and lines[i].startswith('{'):
            bad.append((i, 'return type on the name\'s line (style(9): '
                        'type, then name at the start of the next line)'))
        if re.match(r'^[a-z_][a-z_0-9]*\(.*\)\s*\{\s*$', l) or (
                DEF.match(l) and l.rstrip().endswith('{') and '=' not in l):
            bad.append((i, 'a function\'s opening brace on its own line'))
    return ['%s:%d: %s' % (path, n, w) for n, w in bad]


def main(paths):
    out = []
    for p in paths:
        out += check(p)
    for line in out:
        print(line)
    return 1 if out else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
