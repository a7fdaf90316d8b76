# SPDX-License-Identifier: ISC
"""base64 with MIME line breaks, measured two ways (bench/b64 and
bench/run's (f)): the encoder into memory for each line kernel
(build/bench/b64bench), then the whole writer, `smtpc send --dry-run -o
/dev/null` of one attachment, next to coreutils `base64 -w76 FILE` and
`openssl base64 -in FILE` on the same file, all into /dev/null, run
interleaved.  See bench/README.md."""

import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

from benchutil import MIB, log, write_random

TARGET_MEM = 3.0      # GiB/s: base64 with line breaks into memory
TARGET_WRITER = 2.0   # GiB/s: the whole writer (best run) ...
TARGET_WRITER_X = 2.0  # ... and >= 2x coreutils base64 -w76 (best runs)

SMTPC = 'smtpc send --dry-run'
BASELINE = 'baseline smtpc'
COREUTILS = 'coreutils base64 -w76'
OPENSSL = 'openssl base64'


def memory(b64bench, mib=64):
    """b64bench's table (text) and its figures: GiB/s per kernel for 64
    KiB pieces and for one large input, the automatic choice, QP."""
    out = subprocess.run([b64bench, str(mib)], check=True, text=True,
                         stdout=subprocess.PIPE).stdout
    res = {'text': out.rstrip(), 'kernels': {}, 'mib': mib}
    for line in out.splitlines():
        m = re.match(r'^(\w+)\s+([\d.]+)\s+([\d.]+)\s*$', line)
        if m:
            res['kernels'][m.group(1)] = {'pieces': float(m.group(2)),
                                          'large': float(m.group(3))}
        m = re.match(r'^automatic choice: (\w+)', line)
        if m:
            res['auto'] = m.group(1)
        m = re.match(r'^quoted-printable.*: ([\d.]+) GiB/s', line)
        if m:
            res['qp'] = float(m.group(1))
    auto = res['kernels'].get(res.get('auto'))
    # The writer encodes 64 KiB pieces into one reused buffer.
    res['auto_gibs'] = auto['pieces'] if auto else None
    return res


def report_memory(res):
    if res is None:
        print('b64bench: not built')
        return
    print(res['text'])
    print('target: >= %.1f GiB/s into memory (automatic kernel)'
          % TARGET_MEM)


def spawn_measure(argv):
    """One run, stdout on /dev/null: wall seconds, and user+sys CPU
    seconds of the child (os.wait4's rusage: this child only)."""
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, '/dev/null', os.O_WRONLY, 0)])
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError('%s: exit %d' % (argv[0], code))
    return wall, ru.ru_utime + ru.ru_stime


def writer(smtpc, size_mib, runs, baseline=None, tmp=None, keep=False):
    """The writer next to coreutils and openssl on one random file of
    size_mib MiB: per tool the median and best wall, the median CPU and
    input GiB/s; smtpc's speed-up over each peer."""
    own = tmp is None
    if own:
        tmp = tempfile.mkdtemp(prefix='smtpc-b64.')
    try:
        path = os.path.join(tmp, 'b64-data.bin')
        log('writing %d MiB of random bytes ...' % size_mib)
        write_random(path, size_mib * MIB)
        # Typed, so libmagic does not look at the file: the writer alone.
        attach = path + ';type=application/octet-stream'
        send = ['send', '--dry-run', '-o', '/dev/null', '-f',
                'a@example.test', '--to', 'b@example.test', '-s', 'b64',
                '--text', 'hi', '-a', attach]
        tools = []
        if smtpc:
            tools.append((SMTPC, [smtpc] + send))
        if baseline:
            tools.append((BASELINE, [os.path.abspath(baseline)] + send))
        for name, argv in ((COREUTILS, [shutil.which('base64'), '-w76',
                                        path]),
                           (OPENSSL, [shutil.which('openssl'), 'base64',
                                      '-in', path])):
            if argv[0]:
                tools.append((name, argv))
        subprocess.run(['cat', path], stdout=subprocess.DEVNULL, check=True)
        raw = {name: [] for name, _ in tools}
        for r in range(runs):
            log('  writer run %d/%d ...' % (r + 1, runs))
            for name, argv in tools:     # interleaved: same conditions
                raw[name].append(spawn_measure(argv))
    finally:
        if own and keep:
            log('kept ' + tmp)
        elif own:
            shutil.rmtree(tmp)
        else:
            try:
                os.unlink(os.path.join(tmp, 'b64-data.bin'))
            except OSError:
                pass
    gib = size_mib / 1024.0
    res = {'size_mib': size_mib, 'runs': runs, 'tools': {}}
    for name, _ in tools:
        walls = [w for w, _ in raw[name]]
        cpus = [c for _, c in raw[name]]
        s = {'wall': statistics.median(walls), 'wall_best': min(walls),
             'cpu': statistics.median(cpus), 'walls': walls, 'cpus': cpus}
        s['gibs_best'] = gib / s['wall_best']
        s['gibs_cpu'] = gib / s['cpu']
        res['tools'][name] = s
    me = res['tools'].get(SMTPC)
    for peer in (COREUTILS, OPENSSL):
        them = res['tools'].get(peer)
        if me and them:
            # Speed-up: the peer's time over smtpc's (above 1, smtpc wins).
            res.setdefault('speedup', {})[peer] = {
                'wall': them['wall'] / me['wall'],
                'best': them['wall_best'] / me['wall_best'],
                'cpu': them['cpu'] / me['cpu']}
    return res


def report_writer(res):
    print('%d MiB file, %d runs, input GiB/s' % (res['size_mib'],
                                                 res['runs']))
    print('%-24s %9s %9s %9s %9s %9s' % ('', 'wall med', 'wall best',
          'cpu med', 'GiB/s', 'GiB/s cpu'))
    for name, s in res['tools'].items():
        print('%-24s %8.0fms %8.0fms %8.0fms %9.2f %9.2f' % (
            name, s['wall'] * 1e3, s['wall_best'] * 1e3, s['cpu'] * 1e3,
            s['gibs_best'], s['gibs_cpu']))
    up = res.get('speedup', {})
    for peer in (COREUTILS, OPENSSL):
        if peer in up:
            u = up[peer]
            print('smtpc vs %s: wall (median) %.2fx faster, best %.2fx, '
                  'cpu %.2fx' % (peer, u['wall'], u['best'], u['cpu']))
    if COREUTILS in up:
        print('target: writer >= %.1f GiB/s and >= %.0fx coreutils (best '
              'runs): %s' % (TARGET_WRITER, TARGET_WRITER_X,
                             'PASS' if writer_pass(res) else 'MISS'))


def writer_pass(res):
    me = res['tools'].get(SMTPC)
    up = res.get('speedup', {}).get(COREUTILS)
    if not me or not up:
        return None
    return me['gibs_best'] >= TARGET_WRITER and \
        up['best'] >= TARGET_WRITER_X


def loadavg():
    with open('/proc/loadavg') as f:
        return float(f.read().split()[0])
