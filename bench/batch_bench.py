# SPDX-License-Identifier: ISC
"""Many small messages over one connection (bench/batch and bench/run's
(e)): smtpc batch next to smtp-source (one connection, -d) and Python's
smtplib reusing one connection, all to Postfix's smtp-sink over loopback,
in the same run.

smtp-source spends four round trips per message (MAIL, RCPT, DATA, the
dot, one at a time); smtplib pipelines nothing either; smtpc batch writes
the end of each message with the next envelope, so a message costs one
round trip.  A run counts only if the tool says every message was
accepted (smtpc and smtp-source exit 0, smtplib raises on any refusal).
Only 127.0.0.1 is used; the sink is stopped at the end.
"""

import json
import os
import shutil
import signal
import smtplib
import statistics
import subprocess
import tempfile
import time

from benchutil import free_port, log, wait_port

SINK = shutil.which('smtp-sink') or '/usr/sbin/smtp-sink'
SOURCE = shutil.which('smtp-source') or '/usr/sbin/smtp-source'
TARGET = 2.5          # smtpc batch msg/s >= 2.5x each peer's

SMTPC = 'smtpc batch'
PEER_SOURCE = 'smtp-source -d (1 conn)'
PEER_SMTPLIB = 'python smtplib (1 conn)'
PEERS = (PEER_SOURCE, PEER_SMTPLIB)


class Sink:
    """smtp-sink on a free loopback port (as nobody when run as root)."""

    def __init__(self):
        self.port = free_port()
        args = [SINK, '127.0.0.1:%d' % self.port, '1000']
        if os.getuid() == 0:
            args[1:1] = ['-u', 'nobody']
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc, 'smtp-sink')

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def body(size):
    line = 'The quick brown fox jumps over the lazy dog 0123456789.\n'
    text = (line * (size // len(line) + 1))[:size - 1] + '\n'
    return text


def run_smtpc(smtpc, port, jsonl):
    t0 = time.perf_counter()
    p = subprocess.run([smtpc, 'batch', '--server', '127.0.0.1:%d' % port,
                        '--tls', 'none', '-q', jsonl],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError('smtpc batch failed (%d): %s' %
                           (p.returncode, p.stderr.decode()[-500:]))
    return dt


def run_source(port, n, size):
    t0 = time.perf_counter()
    p = subprocess.run([SOURCE, '-d', '-s', '1', '-m', str(n), '-l',
                        str(size), '-f', 'a@example.test', '-t',
                        'b@example.test', '-M', 'bench.test',
                        '127.0.0.1:%d' % port],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError('smtp-source failed: %s' % p.stderr.decode())
    return dt


def run_smtplib(port, n, msg):
    t0 = time.perf_counter()
    with smtplib.SMTP('127.0.0.1', port) as c:
        for _ in range(n):
            c.sendmail('a@example.test', ['b@example.test'], msg)
    return time.perf_counter() - t0


def measure(smtpc, n=2000, size=1024, runs=3):
    """n messages of about `size` bytes, each tool `runs` times,
    interleaved: msg/s (median) per tool and smtpc's ratio to each peer
    (its rate over the peer's; the target asks >= TARGET).  smtpc None:
    the peers only."""
    tmp = tempfile.mkdtemp(prefix='smtpc-bench-batch-')
    sink = None
    try:
        sink = Sink()
        text = body(size - 300)  # headers take the rest of the 1 KB
        jsonl = os.path.join(tmp, 'in.jsonl')
        with open(jsonl, 'w') as f:
            for i in range(n):
                f.write(json.dumps({'from': 'a@example.test',
                                    'to': 'b@example.test',
                                    'subject': 'bench %d' % i,
                                    'text': text}) + '\n')
        msg = ('From: a@example.test\r\nTo: b@example.test\r\n'
               'Subject: bench\r\n\r\n' +
               body(size - 60).replace('\n', '\r\n')).encode()
        tools = {}
        if smtpc:
            tools[SMTPC] = lambda: run_smtpc(smtpc, sink.port, jsonl)
        tools[PEER_SOURCE] = lambda: run_source(sink.port, n, size)
        tools[PEER_SMTPLIB] = lambda: run_smtplib(sink.port, n, msg)
        times = {k: [] for k in tools}
        for r in range(runs):
            log('  batch run %d/%d ...' % (r + 1, runs))
            for name, fn in tools.items():
                times[name].append(fn())
    finally:
        if sink is not None:
            sink.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    res = {'n': n, 'size': size, 'runs': runs, 'times': times,
           'rate': {k: n / statistics.median(v) for k, v in times.items()},
           'rate_best': {k: n / min(v) for k, v in times.items()},
           'ratio': {}, 'ratio_best': {}}
    if SMTPC in res['rate']:
        for peer in PEERS:
            res['ratio'][peer] = res['rate'][SMTPC] / res['rate'][peer]
            res['ratio_best'][peer] = res['rate_best'][SMTPC] / \
                res['rate_best'][peer]
    return res


def report(res):
    print('%d messages of ~%d bytes, median of %d runs, smtp-sink on '
          'loopback' % (res['n'], res['size'], res['runs']))
    for name, r in res['rate'].items():
        print('  %-26s %9.0f msg/s' % (name, r))
    if SMTPC not in res['rate']:
        print('  smtpc: not built')
    for name, ratio in res['ratio'].items():
        print('  smtpc / %-24s %5.2fx  (target >= %.1fx: %s)   (best run '
              'vs best run: %.2fx)' % (name, ratio, TARGET,
                                       'PASS' if ratio >= TARGET else 'MISS',
                                       res['ratio_best'][name]))
