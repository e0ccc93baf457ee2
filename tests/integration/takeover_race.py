#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""takeover_race.py SOCKSWITCH [ROUNDS] - two switches started at the same
moment on a path where a stale socket lies: exactly one may run, and the
socket file at the path must be the one it listens on.

Each round leaves a stale unix socket (bound, then closed without removing
it) at the listener's path and at the control socket's path, starts two
switches on them at once, and waits until one is ready and the other has
exited. Before the takeover was made atomic (a lock file beside the
socket, flock()), both could probe the stale socket, both remove it, and
both bind: then both ran, and one listened on a socket nobody could reach.

A round fails if both switches run, if neither does, or if a connection
to the path does not reach the survivor (a stream client sends a
broadcast frame; the survivor must count it). Lock files are gone after
the survivor stops.
"""
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time

from sstest import fail

START_TIMEOUT_S = 10.0



def stale_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()


def start(exe, sock, ctl, logpath):
    log = open(logpath, "wb")
    p = subprocess.Popen(
        [exe, "--listen", "unix:" + sock, "--control", ctl],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return p


def read(path):
    with open(path, "r", errors="replace") as f:
        return f.read()


def settle(procs, logs):
    """Wait until each switch is ready or has exited; return which run."""
    end = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < end:
        states = []
        for p, lp in zip(procs, logs):
            if p.poll() is not None:
                states.append("exited")
            elif "\nready pid=" in "\n" + read(lp):
                states.append("ready")
            else:
                states.append(None)
        if None not in states:
            return [s == "ready" for s in states]
        time.sleep(0.01)
    fail("a switch neither became ready nor exited in %.0f s" %
         START_TIMEOUT_S, logs=[(lp, read(lp)) for lp in logs])


def reaches_switch(sock):
    """Connect to @sock and send one framed broadcast: True if accepted
    and the peer keeps the connection open (a live listener)."""
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(2)
    try:
        c.connect(sock)
        fr = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5" + \
            b"\x00" * 46
        c.sendall(struct.pack(">I", len(fr)) + fr)
        r, _, _ = select.select([c], [], [], 0.2)
        if r and c.recv(1) == b"":
            return False
        return True
    except OSError:
        return False
    finally:
        c.close()


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    exe = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    with tempfile.TemporaryDirectory(prefix="ss-takeover-") as tmp:
        os.chmod(tmp, 0o700)
        sock = os.path.join(tmp, "sw.sock")
        ctl = os.path.join(tmp, "ctl.sock")
        for r in range(rounds):
            for path in (sock, ctl):
                if os.path.lexists(path):
                    os.unlink(path)
                stale_socket(path)
            logs = [os.path.join(tmp, "a.log"), os.path.join(tmp, "b.log")]
            procs = [start(exe, sock, ctl, lp) for lp in logs]
            try:
                running = settle(procs, logs)
                texts = [(lp, read(lp)) for lp in logs]
                if all(running):
                    fail("round %d: both switches run on %s" % (r, sock),
                         logs=texts)
                if not any(running):
                    fail("round %d: neither switch runs" % r, logs=texts)
                if not reaches_switch(sock):
                    fail("round %d: %s does not reach the running switch"
                         % (r, sock), logs=texts)
                loser = texts[running.index(False)][1]
                if "already" not in loser:
                    fail("round %d: the switch that stopped does not say "
                         "why" % r, logs=texts)
            finally:
                for p in procs:
                    if p.poll() is None:
                        p.terminate()
                for p in procs:
                    try:
                        p.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
            left = [n for n in os.listdir(tmp) if n.endswith(".lock")]
            if left:
                fail("round %d: lock files left after the switch stopped: %s"
                     % (r, left))
    print("ok: %d rounds, one switch ran each time and owned the path"
          % rounds)


if __name__ == "__main__":
    main()
