#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""slirp_flood.py SOCKSWITCH [N] [--forge] - one guest floods a slirp
uplink with TCP SYNs; what does it cost the daemon?

The switch runs with an open file limit of 4096 and `--uplink slirp`; a
raw guest on a unix listener (tests/integration/slirp_limits.py's Guest)
sends N SYNs (default 6000) to the gateway, 10.0.2.2, on a host port that
accepts. Prints, 5 s after the last SYN: the daemon's descriptors, the
slowest control query during the flood, how long a new control client
waits, and whether a second guest still connects. --forge gives every SYN
a source MAC of its own (one guest posing as many).
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "integration"))
import slirp_limits as T  # noqa: E402


def main():
    args = [a for a in sys.argv[1:] if a != "--forge"]
    forge = "--forge" in sys.argv
    if not args:
        print("usage: slirp_flood.py SOCKSWITCH [N] [--forge]")
        sys.exit(2)
    binary = os.path.abspath(args[0])
    n = int(args[1]) if len(args) > 1 else 6000
    top = tempfile.mkdtemp(prefix="ssslirpflood.")
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(4096)
    port = lst.getsockname()[1]
    sw = subprocess.Popen(
        ["sh", "-c", 'ulimit -n 4096; exec "$0" --listen unix:"$1"/sw.sock '
         '--control "$1"/ctl.sock --uplink slirp', binary, top],
        stdout=open(os.path.join(top, "log"), "w"),
        stderr=subprocess.STDOUT)
    try:
        T.wait_until(lambda: os.path.exists(os.path.join(top, "ctl.sock")),
                     10, "the switch")
        a = T.Guest(os.path.join(top, "sw.sock"), 15)
        ctl = T.Ctl(os.path.join(top, "ctl.sock"))
        worst = [0.0]
        stop = threading.Event()

        def poll():
            while not stop.is_set():
                try:
                    _, dt = ctl.query("query-status")
                except (OSError, ValueError):
                    worst[0] = float("inf")
                    return
                worst[0] = max(worst[0], dt)
                time.sleep(0.02)

        t = threading.Thread(target=poll, daemon=True)
        t.start()
        t0 = time.monotonic()
        for i in range(n):
            mac = bytes([0x52, 0x54, 1, 0, i >> 8 & 255, i & 255])
            a.send(T.tcp_syn(mac if forge else a.mac, a.ip, 1024 + i % 64000,
                             port))
            if i % 50 == 49:
                time.sleep(0.01)
        sent = time.monotonic() - t0
        time.sleep(5)
        fds = len(os.listdir("/proc/%d/fd" % sw.pid))
        stop.set()
        t.join(3)
        try:
            _, dt = T.Ctl(os.path.join(top, "ctl.sock")).query("query-status")
            newctl = "%.1f ms" % (dt * 1000)
        except OSError as e:
            newctl = "failed (%s)" % e
        b = T.Guest(os.path.join(top, "sw.sock"), 16)
        b.send(T.tcp_syn(b.mac, b.ip, 40000, port))
        try:
            T.wait_until(lambda: 40000 in b.tcp_from_gw(port, 0x12), 2, "")
            second = "yes"
        except T.Fail:
            second = "no"
        print("%d SYNs%s in %.1f s; daemon descriptors %d; slowest control "
              "query %.0f ms; new control client %s; second guest connects: "
              "%s" % (n, " (forged MACs)" if forge else "", sent, fds,
                      worst[0] * 1000, newctl, second))
    finally:
        sw.terminate()
        sw.wait()
        lst.close()
        subprocess.run(["rm", "-rf", top])


if __name__ == "__main__":
    main()
