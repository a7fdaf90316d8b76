# SPDX-License-Identifier: ISC
"""The mail queue, end to end (bench/queue): what queueing costs, how
fast the queue is flushed next to sending the same messages directly,
and how fast a large queue is listed.

- enqueue: the system calls of one `smtpc send --queue always` that touch
  the spool (strace -f -c: fsync/fdatasync, write, rename), and the wall
  time of queueing next to the same command with --dry-run -o /dev/null
  (the difference is what the queue costs a sender), median of 30 each.
  Target: one file write and two fsyncs per message.
- flush: N queued messages of about 1 KB (default 1,000) sent by `smtpc
  queue run` next to `smtpc batch` sending the same messages in one
  session, both to Postfix's smtp-sink over loopback, interleaved, median
  of the runs.  Target: the queue at >= 80% of the direct rate.
- list: `smtpc queue list` of 10 x N entries, best of 5.  Target: < 0.5 s
  for 10,000.

Only 127.0.0.1 is used; the sink is stopped and the temporary
directories removed at the end.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

from batch_bench import Sink, body
from benchutil import log

FLUSH_TARGET = 0.80
LIST_TARGET = 0.5


def _send(smtpc, port, qdir, i, text, *extra):
    return [smtpc, 'send', '--server', '127.0.0.1:%d' % port, '--tls',
            'none', '-f', 'a@example.test', '--to', 'b@example.test', '-s',
            'bench %d' % i, '--text', text, '-q'] + list(extra) + \
        (['--queue', 'always', '--queue-dir', qdir] if qdir else [])


def _fill(smtpc, port, qdir, n, text):
    """n messages queued, two senders at a time."""
    procs = []
    for i in range(n):
        procs.append(subprocess.Popen(_send(smtpc, port, qdir, i, text),
                                      stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE))
        if len(procs) >= 2:
            p = procs.pop(0)
            if p.wait() != 0:
                raise RuntimeError('queueing failed: %s' %
                                   p.stderr.read().decode())
    for p in procs:
        if p.wait() != 0:
            raise RuntimeError('queueing failed')


def _timed(argv):
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError('%s failed (%d): %s' % (argv[1], p.returncode,
                                                   p.stderr.decode()[-400:]))
    return dt


def _count(qdir):
    return len([f for f in os.listdir(os.path.join(qdir, 'queue'))
                if not f.endswith('.st')])


def enqueue_cost(smtpc, tmp, runs=30):
    qdir = os.path.join(tmp, 'enq')
    text = body(700)
    res = {}
    if shutil.which('strace'):
        # The first message creates the spool (and syncs its directory).
        subprocess.run(_send(smtpc, 25, qdir, 0, text), check=True)
        out = os.path.join(tmp, 'strace.txt')
        subprocess.run(['strace', '-f', '-qq', '-o', out, '-e',
                        'trace=fsync,fdatasync,write,pwrite64,rename,'
                        'renameat,renameat2'] +
                       _send(smtpc, 25, qdir, 0, text), check=True,
                       stdout=subprocess.DEVNULL)
        calls = open(out).read().splitlines()
        res['fsync'] = sum(1 for c in calls if re.search(
            r'\b(fsync|fdatasync)\(', c))
        res['rename'] = sum(1 for c in calls if 'rename' in c)
        res['write'] = sum(1 for c in calls if re.search(
            r'\b(write|pwrite64)\(', c) and not re.search(
                r'\b(write|pwrite64)\([12],', c))
    q, d = [], []
    for i in range(runs):
        q.append(_timed(_send(smtpc, 25, qdir, i, text)))
        d.append(_timed(_send(smtpc, 25, None, i, text, '--dry-run', '-o',
                              '/dev/null')))
    res['queue_ms'] = statistics.median(q) * 1000
    res['dry_run_ms'] = statistics.median(d) * 1000
    res['cost_ms'] = res['queue_ms'] - res['dry_run_ms']
    return res


def flush(smtpc, tmp, n=1000, runs=3):
    sink = Sink()
    try:
        text = body(700)
        template = os.path.join(tmp, 'template')
        log('  queueing %d messages ...' % n)
        _fill(smtpc, sink.port, template, n, text)
        jsonl = os.path.join(tmp, 'in.jsonl')
        with open(jsonl, 'w') as f:
            for i in range(n):
                f.write(json.dumps({'from': 'a@example.test',
                                    'to': 'b@example.test',
                                    'subject': 'bench %d' % i,
                                    'text': text}) + '\n')
        tq, tb = [], []
        for r in range(runs):
            log('  flush run %d/%d ...' % (r + 1, runs))
            qdir = os.path.join(tmp, 'q%d' % r)
            shutil.copytree(template, qdir)
            tq.append(_timed([smtpc, 'queue', 'run', '-q', '--queue-dir',
                              qdir]))
            if _count(qdir) != 0:
                raise RuntimeError('queue run left %d messages' %
                                   _count(qdir))
            tb.append(_timed([smtpc, 'batch', '--server',
                              '127.0.0.1:%d' % sink.port, '--tls', 'none',
                              '-q', jsonl]))
            shutil.rmtree(qdir)
    finally:
        sink.stop()
    rq, rb = n / statistics.median(tq), n / statistics.median(tb)
    return {'n': n, 'runs': runs, 'queue_rate': rq, 'batch_rate': rb,
            'ratio': rq / rb, 'template': template}


def delete_floor(tmp, n=1000):
    """Microseconds to delete one ~1 KB file (open, unlink, close) on the
    file system of `tmp`: what removing a delivered entry costs at least,
    whatever the queue's design."""
    d = os.path.join(tmp, 'floor')
    os.mkdir(d)
    for i in range(n):
        with open(os.path.join(d, str(i)), 'wb') as f:
            f.write(b'x' * 1300)
    os.sync()
    t0 = time.perf_counter()
    for i in range(n):
        p = os.path.join(d, str(i))
        fd = os.open(p, os.O_RDONLY)
        os.unlink(p)
        os.close(fd)
    return (time.perf_counter() - t0) * 1e6 / n


def _clone_ids(src, dst, k):
    """The entries of src/queue copied into dst/queue under new IDs (the
    random part changed), so that one fill gives k times as many."""
    qs, qd = os.path.join(src, 'queue'), os.path.join(dst, 'queue')
    for name in os.listdir(qs):
        m = re.match(r'^(.*\.\d+\.)([0-9a-f]{4})([0-9a-f]{8})(\.st)?$', name)
        if not m:
            continue
        new = '%s%04x%08x%s' % (m.group(1), k, int(m.group(3), 16),
                                m.group(4) or '')
        shutil.copyfile(os.path.join(qs, name), os.path.join(qd, new))
        os.chmod(os.path.join(qd, new), 0o600)


def listing(smtpc, tmp, template, times=10):
    qdir = os.path.join(tmp, 'big')
    shutil.copytree(template, qdir)
    shutil.rmtree(os.path.join(qdir, 'queue'))
    os.mkdir(os.path.join(qdir, 'queue'), 0o700)
    for k in range(times):
        _clone_ids(template, qdir, k + 1)
    n = _count(qdir)
    t = [_timed([smtpc, 'queue', 'list', '--queue-dir', qdir])
         for _ in range(5)]
    return {'n': n, 'best_s': min(t), 'median_s': statistics.median(t)}


def measure(smtpc, n=1000, runs=3):
    tmp = tempfile.mkdtemp(prefix='smtpc-bench-queue-')
    try:
        log('  enqueue ...')
        enq = enqueue_cost(smtpc, tmp)
        fl = flush(smtpc, tmp, n, runs)
        fl['delete_us'] = delete_floor(tmp)
        log('  list ...')
        li = listing(smtpc, tmp, fl['template'])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    fl.pop('template')
    return {'enqueue': enq, 'flush': fl, 'list': li}


def report(res):
    e, f, li = res['enqueue'], res['flush'], res['list']
    if 'fsync' in e:
        print('enqueue: %d fsync, %d rename, %d write calls into one file '
              'per message (target: one file written, 2 fsync)' % (
                  e['fsync'], e['rename'], e['write']))
    print('enqueue: smtpc send --queue always %.1f ms, --dry-run %.1f ms: '
          'the queue costs %.1f ms (median of 30)' % (
              e['queue_ms'], e['dry_run_ms'], e['cost_ms']))
    print('flush: %d x ~1 KB, queue run %.0f msg/s, batch %.0f msg/s: '
          '%.2f of direct (target >= %.2f: %s)' % (
              f['n'], f['queue_rate'], f['batch_rate'], f['ratio'],
              FLUSH_TARGET, 'PASS' if f['ratio'] >= FLUSH_TARGET else
              'MISS'))
    per_msg = 1e6 / f['batch_rate']
    print('       floor: deleting one file here costs %.0f us, a message '
          'sent directly %.0f us: with one file removed per message the '
          'queue can reach at most %.2f of direct' % (
              f['delete_us'], per_msg, per_msg / (per_msg + f['delete_us'])))
    print('list: %d entries in %.3f s (best of 5; target < %.1f s for '
          '10,000: %s)' % (li['n'], li['best_s'], LIST_TARGET,
                           'PASS' if li['best_s'] < LIST_TARGET else 'MISS'))
