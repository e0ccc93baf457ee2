#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""queue_budget.py SOCKSWITCH SOCKSWITCHCTL [--rss|--no-rss] - the queue budget

A real switch with --queue-budget 128 MiB (per-port bound 2 MiB, the
default). 200 stream clients connect and never read; one client reads
everything; one broadcasts 1,600 frames of 1,400 bytes (paced by the
reader, so the reader never lags far). Without the budget the 200 queues
would hold 200 x 2 MiB = 400 MiB. Checked:

  bound        query-status "memory": queued_bytes never above the budget
               (sampled while sending) and the peak RSS (VmHWM) grows by
               less than the budget + 48 MiB
  fairness     the stalled ports' drops are tx_budget; the reader gets
               every frame and has no drop at all
  conservation every stalled port: frames sent + still queued + its tx
               drops = frames broadcast
  release      the 200 ports close: queued_bytes goes to 0, the switch
               calls malloc_trim() (memory.malloc_trims) and its RSS comes
               back within 24 MiB of what it was before the traffic

With --no-rss (an ASan build: its allocator keeps freed memory in
quarantine and has its own overhead) the two RSS checks are left out.

The traffic (class Flood) is also what bench/budget.sh runs, at 1,000
ports and against switches without the budget.
"""
import json
import os
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from sstest import fail, start_switch

STALLED = 200
FRAMES = 1600
SIZE = 1400
BUDGET = 128 << 20
MIB = 1 << 20


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class Switch:
    """The switch under test, on a unix listener and a control socket;
    @args are more options."""

    def __init__(self, exe, ctl_exe, tmp, args=()):
        self.sock = os.path.join(tmp, "sw.sock")
        self.ctl = os.path.join(tmp, "ctl.sock")
        self.ctl_exe = ctl_exe
        self.logpath = os.path.join(tmp, "sw.log")
        self.p = start_switch(
            [exe, "--listen", "unix:" + self.sock, "--control", self.ctl]
            + list(args), self.logpath)

    def log(self):
        """The last 40 lines: 200 ports make a long log."""
        with open(self.logpath, errors="replace") as f:
            return "\n".join(f.read().splitlines()[-40:])

    def query(self, what):
        r = subprocess.run([self.ctl_exe, "-s", self.ctl, "--json", what],
                           capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            fail("sockswitchctl %s: %s" % (what, r.stderr), self.log())
        return json.loads(r.stdout)

    def memory(self):
        """query-status "memory", or None from a switch without it."""
        return self.query("status").get("memory")

    def rss_kb(self):
        return status_kb(self.p.pid, "VmRSS")

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def connect(path, rcvbuf=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(path)
    return s


class Reader(threading.Thread):
    """Reads frames off a stream socket and counts them."""

    def __init__(self, s):
        super().__init__(daemon=True)
        self.s = s
        self.frames = 0
        self.stop = False

    def run(self):
        buf = b""
        while not self.stop:
            r, _, _ = select.select([self.s], [], [], 0.1)
            if not r:
                continue
            d = self.s.recv(1 << 20)
            if not d:
                return
            buf += d
            while len(buf) >= 4:
                n = struct.unpack(">I", buf[:4])[0]
                if len(buf) < 4 + n:
                    break
                self.frames += 1
                buf = buf[4 + n:]


def wait_for(cond, limit_s, what, sw):
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    fail(what, sw.log())


class Flood:
    """@nstalled clients that never read, one that reads everything and
    one that broadcasts, on @sw. Sizes in KiB are from /proc."""

    def __init__(self, sw, nstalled):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 4 * nstalled:
            resource.setrlimit(resource.RLIMIT_NOFILE,
                               (min(hard, 8 * nstalled), hard))
        self.sw = sw
        self.stalled = [connect(sw.sock, 4096) for _ in range(nstalled)]
        self.reader_sock = connect(sw.sock)
        self.sender = connect(sw.sock)
        wait_for(lambda: sw.query("status")["counts"]["ports"]
                 == nstalled + 2, 30, "not every client attached", sw)
        # Accepted in the order they connected: ids ascend the same way.
        names = [p["name"] for p in sorted(sw.query("ports"),
                                           key=lambda p: p["id"])]
        self.stalled_names = names[:nstalled]
        self.reader_name = names[nstalled]
        self.reader = Reader(self.reader_sock)
        self.reader.start()
        time.sleep(1.5)  # let start-up allocations settle
        self.base_kb = sw.rss_kb()

    def broadcast(self, frames, budget=None):
        """Send @frames broadcasts of SIZE bytes, 50 at a time, each
        group once the reader has the one before. Return the largest
        queued_bytes sampled (0 from a switch without it); FAIL if one
        is above @budget."""
        frame = b"\xff" * 6 + bytes([2, 0, 0, 0, 0, 1]) + b"\x88\xb5"
        frame += b"\0" * (SIZE - len(frame))
        rec = struct.pack(">I", len(frame)) + frame
        high = 0
        for i in range(0, frames, 50):
            self.sender.sendall(rec * 50)
            wait_for(lambda: self.reader.frames >= i + 50, 60,
                     "the reader got %d of %d frames"
                     % (self.reader.frames, i + 50), self.sw)
            mem = self.sw.memory() if i % 400 == 0 else None
            if mem:
                high = max(high, mem["queued_bytes"])
            if mem and budget and mem["queued_bytes"] > budget:
                fail("queued_bytes %d over the budget %d"
                     % (mem["queued_bytes"], budget), self.sw.log())
        return high

    def close_stalled(self, trims):
        """Close the clients that never read and wait until their ports
        are gone, and, with @trims, for a malloc_trim(); else 3 s."""
        for s in self.stalled:
            s.close()
        wait_for(lambda: self.sw.query("status")["counts"]["ports"] == 2,
                 30, "the stalled ports did not close", self.sw)
        if trims:
            wait_for(lambda: self.sw.memory()["malloc_trims"] > 0, 5,
                     "no malloc_trim() after the queues drained", self.sw)
        else:
            time.sleep(3)

    def finish(self):
        self.reader.stop = True
        self.reader.join()
        self.reader_sock.close()
        self.sender.close()


def check_ports(sw, stalled_names, reader_name):
    ports = {p["name"]: p for p in sw.query("ports")}
    refused = 0
    for name in stalled_names:
        p = ports[name]
        d = p["drops"]
        total = p["tx"]["frames"] + p["queue"]["frames"] + p["tx"]["dropped"]
        if total != FRAMES:
            fail("port %s: sent %d + queued %d + dropped %d != %d" % (
                name, p["tx"]["frames"], p["queue"]["frames"],
                p["tx"]["dropped"], FRAMES), sw.log())
        if p["tx"]["dropped"] != d["tx_budget"] + d["tx_queue_full"]:
            fail("port %s: unexpected drops %s" % (name, d), sw.log())
        refused += d["tx_budget"]
    r = ports[reader_name]
    if r["tx"]["frames"] != FRAMES or r["tx"]["dropped"] != 0:
        fail("the reader's port: %s" % r, sw.log())
    if refused == 0:
        fail("no frame was refused by the budget", sw.log())
    return refused


def main():
    exe, ctl_exe = sys.argv[1], sys.argv[2]
    rss = "--no-rss" not in sys.argv[3:]
    with tempfile.TemporaryDirectory(prefix="ss-budget-") as tmp:
        sw = Switch(exe, ctl_exe, tmp, ["--queue-budget", str(BUDGET)])
        try:
            run(sw, rss)
        finally:
            sw.stop()
    print("OK")


def run(sw, rss):
    fl = Flood(sw, STALLED)
    base = fl.base_kb
    mem = sw.memory()
    if mem["queue_budget"] != BUDGET:
        fail("queue_budget %s, asked for %d" % (mem, BUDGET), sw.log())

    high = fl.broadcast(FRAMES, BUDGET)
    mem = sw.memory()
    peak = status_kb(sw.p.pid, "VmHWM")
    refused = check_ports(sw, fl.stalled_names, fl.reader_name)
    print("queued %d bytes at the end (highest sample %d), budget %d; "
          "%d frames refused (tx_budget); RSS %d KiB before, peak %d KiB"
          % (mem["queued_bytes"], high, BUDGET, refused, base, peak))
    if mem["queued_bytes"] > BUDGET or mem["queued_bytes"] < BUDGET // 2:
        fail("queued_bytes %d: expected near the budget %d"
             % (mem["queued_bytes"], BUDGET), sw.log())
    if rss and (peak - base) * 1024 > BUDGET + 48 * MIB:
        fail("peak RSS grew by %d KiB, budget %d" % (peak - base, BUDGET),
             sw.log())

    fl.close_stalled(trims=True)
    mem = sw.memory()
    after = sw.rss_kb()
    print("after the ports closed: queued %d bytes, RSS %d KiB "
          "(%+d KiB from before the traffic), %d trims"
          % (mem["queued_bytes"], after, after - base, mem["malloc_trims"]))
    if mem["queued_bytes"] != 0:
        fail("queued_bytes %d with no port stalled" % mem["queued_bytes"],
             sw.log())
    if rss and (after - base) * 1024 > 24 * MIB:
        fail("RSS stayed %d KiB above where it was" % (after - base),
             sw.log())
    fl.finish()


if __name__ == "__main__":
    main()
