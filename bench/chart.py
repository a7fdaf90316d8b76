# SPDX-License-Identifier: ISC
"""bench/run's chart: one horizontal bar per measured figure with its
target drawn across the bar, written as SVG by hand (no plotting library
to install).

A row is a dict: label, value (None: not measured), target (None: shown
without one), op ('<=', '>=' or '<': how value must compare with target),
unit ('x' for a ratio, else the unit of an absolute figure), pass.
Ratios share one logarithmic axis around 1.00x (the same as the peer),
so a bar to the left is smtpc below its peer and one to the right above;
absolute figures (GiB/s, MB) are each drawn on their own scale from 0."""

import math
from xml.sax.saxutils import escape

WIDTH = 1010
LABEL_X = 12
PLOT_X0 = 430
PLOT_X1 = 770
TEXT_X = 782
ROW_H = 24
BAR_H = 12
OPS = {'<=': '\u2264', '>=': '\u2265', '<': '<'}
COLOUR = {True: '#2e7d32', False: '#c62828', None: '#78909c'}


def fmt(v, unit):
    if v is None:
        return '-'
    if unit == 'x':
        return '%.2fx' % v
    return '%.2f %s' % (v, unit) if v < 100 else '%.0f %s' % (v, unit)


def log_axis(rows):
    """[lo, hi], powers of two around every value, target and 1."""
    vals = [1.0]
    for r in rows:
        for v in (r.get('value'), r.get('target')):
            if v is not None and v > 0:
                vals.append(v)
    lo = 2.0 ** math.floor(math.log2(min(vals)))
    hi = 2.0 ** math.ceil(math.log2(max(vals)))
    if lo == hi:
        lo, hi = lo / 2, hi * 2
    return lo, hi


def text(x, y, s, size=12, anchor='start', weight='normal',
         colour='#222'):
    return ('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" '
            'font-weight="%s" fill="%s">%s</text>'
            % (x, y, size, anchor, weight, colour, escape(s)))


def row_text(r):
    if r.get('value') is None:
        return r.get('why') or 'not measured'
    s = fmt(r['value'], r['unit'])
    if r.get('target') is not None:
        s += ' \u00b7 target %s %s \u00b7 %s' % (
            OPS[r['op']], fmt(r['target'], r['unit']),
            'PASS' if r.get('pass') else 'MISS')
    return s


def bar(out, y, x0, x1, r):
    colour = COLOUR[r.get('pass') if r.get('target') is not None
                    else None]
    left, right = min(x0, x1), max(x0, x1)
    out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%d" '
               'fill="%s"><title>%s</title></rect>'
               % (left, y - BAR_H / 2, max(right - left, 1.0), BAR_H,
                  colour, escape('%s: %s' % (r['label'], row_text(r)))))


def target_mark(out, y, x):
    out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" '
               'stroke="#111" stroke-width="2.5"/>'
               % (x, y - ROW_H / 2 + 2, x, y + ROW_H / 2 - 2))
    out.append('<path d="M %.1f %.1f l -4 -5 h 8 z" fill="#111"/>'
               % (x, y - ROW_H / 2 + 2))


def ratios_svg(rows, title, subtitle=''):
    """The chart of `rows` as an SVG document (str)."""
    ratios = [r for r in rows if r['unit'] == 'x']
    absolute = [r for r in rows if r['unit'] != 'x']
    out = []
    y = 28
    out.append(text(LABEL_X, y, title, 16, weight='bold'))
    if subtitle:
        y += 18
        out.append(text(LABEL_X, y, subtitle, 11, colour='#555'))
    y += 14

    if ratios:
        lo, hi = log_axis(ratios)

        def xr(v):
            v = min(max(v, lo), hi)
            return PLOT_X0 + (PLOT_X1 - PLOT_X0) * (
                math.log2(v) - math.log2(lo)) / (math.log2(hi) -
                                                  math.log2(lo))
        y += 20
        out.append(text(LABEL_X, y, 'smtpc next to its peer (ratio, '
                        'log scale; 1.00x = the same)', 13,
                        weight='bold'))
        top = y + 8
        y = top + ROW_H / 2
        rows_y = []
        for r in ratios:
            rows_y.append((r, y))
            y += ROW_H
        bottom = y - ROW_H / 2
        t = lo
        while t <= hi * 1.0001:
            x = xr(t)
            out.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" '
                       'stroke="%s" stroke-width="1"/>'
                       % (x, top, x, bottom + 4,
                          '#888' if t == 1.0 else '#ddd'))
            out.append(text(x, bottom + 16, fmt(t, 'x') if t >= 1 else
                            ('%gx' % t), 10, 'middle', colour='#555'))
            t *= 2
        for r, ry in rows_y:
            out.append(text(LABEL_X, ry + 4, r['label'], 12))
            if r.get('value') is not None:
                bar(out, ry, xr(1.0), xr(r['value']), r)
            if r.get('target') is not None:
                target_mark(out, ry, xr(r['target']))
            out.append(text(TEXT_X, ry + 4, row_text(r), 11))
        y = bottom + 24

    if absolute:
        y += 20
        out.append(text(LABEL_X, y, 'absolute figures (each bar on its '
                        'own scale from 0)', 13, weight='bold'))
        y += 8 + ROW_H / 2
        for r in absolute:
            v, t = r.get('value'), r.get('target')
            scale = max(x for x in (v, t, 1e-9) if x is not None) * 1.15
            out.append(text(LABEL_X, y + 4, r['label'], 12))
            out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" '
                       'stroke="#888"/>' % (PLOT_X0, y - ROW_H / 2 + 2,
                                            PLOT_X0, y + ROW_H / 2 - 2))
            if v is not None:
                bar(out, y, PLOT_X0, PLOT_X0 + (PLOT_X1 - PLOT_X0) *
                    v / scale, r)
            if t is not None:
                target_mark(out, y, PLOT_X0 + (PLOT_X1 - PLOT_X0) *
                            t / scale)
            out.append(text(TEXT_X, y + 4, row_text(r), 11))
            y += ROW_H
        y += 4

    y += 16
    x = LABEL_X
    for colour, what in ((COLOUR[True], 'meets its target'),
                         (COLOUR[False], 'misses it'),
                         (COLOUR[None], 'no target')):
        out.append('<rect x="%d" y="%.1f" width="12" height="12" '
                   'fill="%s"/>' % (x, y - 10, colour))
        out.append(text(x + 17, y, what, 11))
        x += 150
    target_mark(out, y - 4, x + 6)
    out.append(text(x + 17, y, 'the target', 11))
    height = int(y + 14)
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<svg xmlns="http://www.w3.org/2000/svg" width="%d" '
            'height="%d" viewBox="0 0 %d %d" '
            'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n'
            '<rect width="100%%" height="100%%" fill="#fff"/>\n'
            % (WIDTH, height, WIDTH, height))
    return head + '\n'.join(out) + '\n</svg>\n'
