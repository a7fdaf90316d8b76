# SPDX-License-Identifier: ISC
"""What bench/run, bench/b64 and bench/batch share: finding the programs
measured, loopback ports, random input files, progress on stderr."""

import os
import shutil
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MIB = 1024 * 1024


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def executable(path):
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def find_smtpc(given=None):
    """The smtpc to measure: the one given, else $SMTPC, build/,
    build-bench/, then PATH; None when there is none."""
    cands = [given] if given else []
    if not given:
        cands += [os.environ.get('SMTPC'),
                  os.path.join(REPO, 'build', 'src', 'cli', 'smtpc'),
                  os.path.join(REPO, 'build-bench', 'src', 'cli', 'smtpc'),
                  shutil.which('smtpc')]
    for c in cands:
        if executable(c):
            return os.path.abspath(c)
    return None


def find_b64bench(given=None, smtpc=None):
    """build/bench/b64bench, or the one in the build directory smtpc
    comes from (BUILD/src/cli/smtpc -> BUILD/bench/b64bench)."""
    cands = [given] if given else []
    if not given:
        if smtpc:
            build = os.path.dirname(os.path.dirname(os.path.dirname(
                smtpc)))
            cands.append(os.path.join(build, 'bench', 'b64bench'))
        cands.append(os.path.join(REPO, 'build', 'bench', 'b64bench'))
    for c in cands:
        if executable(c):
            return os.path.abspath(c)
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_port(port, proc, name):
    """Until something listens on 127.0.0.1:port; exits when proc (the
    server started for it) ends first or it takes more than 5 s."""
    for _ in range(200):
        if proc.poll() is not None:
            raise SystemExit('%s exited at start (status %d)'
                             % (name, proc.returncode))
        try:
            socket.create_connection(('127.0.0.1', port), 0.2).close()
            return
        except OSError:
            time.sleep(0.025)
    raise SystemExit('%s did not listen on 127.0.0.1:%d' % (name, port))


def write_random(path, size):
    with open(path, 'wb') as f:
        left = size
        while left > 0:
            n = min(left, 4 * MIB)
            f.write(os.urandom(n))
            left -= n
