#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vhost_dpdk.py SOCKSWITCH SOCKSWITCHCTL - the vhost-user listener with
DPDK's virtio-user frontend (dpdk-testpmd, Debian package dpdk) as the
guest, no hugepages, no NIC

One switch: a vhost-user:PATH listener and a unix: one, where a stream
client C sits. Each case runs its own dpdk-testpmd -i (its virtio-user
port on PATH, MAC 02:00:00:00:00:10) for a few seconds: testpmd polls,
so it holds a CPU while it forwards.

  txonly   testpmd sends 64-byte UDP frames to 02:00:00:00:00:00, which
           nobody has: flooded to C. The vhost-user port's rx.frames and
           rx.bytes equal testpmd's TX-packets and TX-bytes exactly; C
           gets the frames intact, as many as its port sent, and its
           tx.frames + tx.dropped are what the vhost-user port forwarded
  rxonly   C sends 2,000 frames of 60 to 1514 bytes at once, broadcast
           and to testpmd's MAC, more than its receive ring holds (256):
           testpmd's RX-packets and RX-bytes count every one, as do the
           port's tx counters, with no drop
  macswap  C sends 500 numbered frames to testpmd, which sends each back
           with the addresses swapped: C gets all 500, in order, their
           payload intact

query-ports shows each port's vhost_user object running (VERSION_1, a
memory region, both queues) and no bad descriptor or stopped queue after
the traffic. After each case testpmd quits: the port closes ("frontend closed the
connection" in the log) and leaves the port table. Needs dpdk-testpmd;
exits 77 (skip) without it.
"""
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time

from sstest import ETH, Client, Switch, fail, skip

TP_MAC = bytes.fromhex("020000000010")
C_MAC = bytes.fromhex("020000000001")
NOBODY = bytes.fromhex("020000000000")  # testpmd's default peer address
BCAST = b"\xff" * 6
PROMPT = b"testpmd> "
VERSION_1 = 1 << 32  # virtio 1.0 (feature bit 32)


def lcores():
    """Two EAL lcores on the CPUs this process may use (both on one CPU if
    it has only one): testpmd needs a main lcore and a forwarding one."""
    cpus = sorted(os.sched_getaffinity(0))
    return "0@%d,1@%d" % (cpus[0], cpus[-1])


class Testpmd:
    """dpdk-testpmd -i with one virtio-user port on @path, in forwarding
    mode @mode; commands go through its prompt. Ended by its own pid."""

    def __init__(self, path, mode, log):
        self.prefix = "sockswitch-%d-%s" % (os.getpid(), mode)
        self.log = log
        self.out = b""
        self.buf = b""
        # stdbuf: its printf output must not wait in a stdio buffer
        # behind the prompt, which it writes directly.
        args = ["stdbuf", "-o0", "dpdk-testpmd", "--lcores", lcores(),
                "--no-huge", "-m", "512", "--single-file-segments",
                "--no-pci",
                "--no-shconf", "--file-prefix", self.prefix,
                "--vdev", "net_virtio_user0,path=%s,mac=%s" %
                (path, ":".join("%02x" % b for b in TP_MAC)),
                "--", "-i", "--forward-mode=" + mode,
                "--total-num-mbufs=16384"]
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.until(PROMPT, 60)

    def text(self):
        return self.out.decode(errors="replace")

    def until(self, pat, limit_s):
        """Read testpmd's output up to @pat; return it."""
        end = time.monotonic() + limit_s
        while pat not in self.buf:
            left = end - time.monotonic()
            r = select.select([self.p.stdout], [], [], max(left, 0))[0]
            d = os.read(self.p.stdout.fileno(), 65536) if r else b""
            if not d:
                why = "exited %s" % self.p.poll() if r else "timed out"
                fail("dpdk-testpmd %s waiting for %r" % (why, pat),
                     logs=(("dpdk-testpmd", self.text() +
                            self.buf.decode(errors="replace")),
                           ("switch log", self.log())))
            self.buf += d
        i = self.buf.index(pat) + len(pat)
        got, self.buf = self.buf[:i], self.buf[i:]
        self.out += got
        return got.decode(errors="replace")

    def cmd(self, line, limit_s=20):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()
        return self.until(PROMPT, limit_s)

    def stats(self):
        """show port stats 0: {"RX-packets": n, "TX-bytes": n, ...}"""
        text = self.cmd("show port stats 0")
        return {k: int(v) for k, v in
                re.findall(r"([RT]X-[a-z]+):\s+(\d+)", text)}

    def quit(self):
        """quit, or SIGKILL after 10 s; remove its runtime directory."""
        if self.p.poll() is None:
            try:
                self.p.stdin.write(b"quit\n")
                self.p.stdin.close()
            except OSError:
                pass
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        # EAL makes this directory even with --no-shconf (empty then).
        base = "/var/run" if os.geteuid() == 0 else \
            os.environ.get("XDG_RUNTIME_DIR", "/tmp")
        shutil.rmtree(os.path.join(base, "dpdk", self.prefix),
                      ignore_errors=True)


def vhost_port(got, pid):
    """The vhost-user port of the frontend with process id @pid."""
    return next((p for p in got.values()
                 if p["transport"] == "vhost-user" and
                 "pid=%d " % pid in p["peer"] + " "), {})


def run_case(sw, mode, body):
    """Start testpmd in @mode and wait for its port to come up, run
    @body(testpmd, port name), then quit testpmd: its port must close,
    with the reason in the log."""
    tp = Testpmd(os.path.join(sw.tmp, "vu.sock"), mode, sw.log)
    try:
        got = sw.wait_ports("testpmd's port up", lambda g: vhost_port(
            g, tp.p.pid).get("state") == "up")
        name = vhost_port(got, tp.p.pid)["name"]
        vh = got[name]["vhost_user"]
        check(sw, tp, vh["running"] and vh["features"] & VERSION_1 and
              vh["regions"] >= 1 and vh["rx_queue_size"] > 0 and
              vh["tx_queue_size"] > 0,
              "%s's vhost_user in query-ports: %r" % (name, vh))
        body(tp, name)
        vh = sw.ports()[name]["vhost_user"]
        check(sw, tp, vh["rx_bad_desc"] == 0 and vh["queue_stops"] == 0,
              "%s's vhost_user after the case: %r" % (name, vh))
    finally:
        tp.quit()
    sw.wait_ports("testpmd's port gone",
                  lambda g: not vhost_port(g, tp.p.pid))
    if not re.search(r"port %s \(vhost-user pid=%d [^)]*\) closed: "
                     r"frontend closed the connection" %
                     (name[1:], tp.p.pid), sw.log()):
        fail("no 'port %s (vhost-user pid=%d ...) closed: frontend closed "
             "the connection' line" % (name[1:], tp.p.pid), sw.log())


def check(sw, tp, ok, why):
    if not ok:
        fail(why, logs=(("switch log", sw.log()),
                        ("dpdk-testpmd", tp.text())))


def case_txonly(sw, c):
    def body(tp, name):
        tp.cmd("start")
        got = c.recv_all(0.5, 1.5)
        tp.cmd("stop")
        st = tp.stats()
        sent = st["TX-packets"]
        check(sw, tp, sent > 0, "testpmd sent nothing: %r" % st)
        # The switch takes what was still in the ring; C reads the rest.
        sw.wait_ports("testpmd's frames received",
                      lambda g: g[name]["rx"]["frames"] >= sent)
        got += c.recv_all(0.5)
        g = sw.wait_ports("C's queue drained",
                          lambda g: g["p1"]["queue"]["frames"] == 0)
        got += c.recv_all(0.3)
        vp, cp = g[name], g["p1"]
        print("# txonly: testpmd sent %d frames, C got %d, its port "
              "dropped %d" % (sent, len(got), cp["tx"]["dropped"]))
        check(sw, tp, vp["rx"]["frames"] == sent and
              vp["rx"]["bytes"] == st["TX-bytes"],
              "testpmd sent %d frames, %d bytes; its port received %r" %
              (sent, st["TX-bytes"], vp["rx"]))
        check(sw, tp, vp["rx"]["forwarded"] + vp["rx"]["dropped"] == sent,
              "rx forwarded + dropped != frames: %r" % vp["rx"])
        check(sw, tp, len(got) > 0 and cp["tx"]["frames"] == len(got),
              "C got %d frames, its port sent %d" %
              (len(got), cp["tx"]["frames"]))
        check(sw, tp, cp["tx"]["frames"] + cp["tx"]["dropped"] ==
              vp["rx"]["forwarded"],
              "C's port sent %r, testpmd's forwarded %d" %
              (cp["tx"], vp["rx"]["forwarded"]))
        frames = set(f for _, f in got)
        f = got[0][1]
        check(sw, tp, len(frames) == 1 and len(f) == 64 and
              f[:12] == NOBODY + TP_MAC and f[12:14] == b"\x08\x00",
              "C got %d different frames; the first: %s" %
              (len(frames), f.hex()))
    run_case(sw, "txonly", body)
    print("ok txonly: every frame testpmd sent counted, C got them intact")


def case_rxonly(sw, c, n=2000):
    frames = []
    for i in range(n):
        dst = BCAST if i % 2 else TP_MAC
        size = 60 + (i * 37) % 1455
        head = dst + C_MAC + ETH + struct.pack(">I", i)
        frames.append(head + bytes((i + k) & 0xff
                                   for k in range(size - len(head))))

    def body(tp, name):
        tp.cmd("start")
        c.s.sendall(b"".join(struct.pack(">I", len(f)) + f
                             for f in frames))
        sw.wait_ports("the frames sent to testpmd", lambda g: (
            g[name]["tx"]["frames"] + g[name]["tx"]["dropped"] >= n))
        time.sleep(0.2)  # testpmd polls its ring
        tp.cmd("stop")
        st = tp.stats()
        vp = sw.ports()[name]
        print("# rxonly: C sent %d frames; testpmd received %d" %
              (n, st["RX-packets"]))
        check(sw, tp, vp["tx"]["frames"] == n and vp["tx"]["dropped"] == 0,
              "testpmd's port sent %r of %d frames" % (vp["tx"], n))
        check(sw, tp, st["RX-packets"] == n and
              st["RX-bytes"] == sum(map(len, frames)) and
              st["RX-errors"] == 0 and st["RX-missed"] == 0,
              "testpmd received %r of %d frames, %d bytes" %
              (st, n, sum(map(len, frames))))
    run_case(sw, "rxonly", body)
    print("ok rxonly: %d frames of 60 to 1514 bytes at once, every one "
          "received by testpmd" % n)


def case_macswap(sw, c, n=500):
    def body(tp, name):
        # testpmd sends faster than the switch hands its transmit ring
        # back: let it wait for room (up to 1,000 x 1 ms) as a guest's
        # driver would, rather than drop.
        tp.cmd("set fwd macswap retry")
        tp.cmd("set burst tx delay 1000 retry 1000")
        tp.cmd("start")
        sent = [struct.pack(">I", i) + b"macswap" + bytes(range(40))
                for i in range(n)]
        for p in sent:
            c.send(TP_MAC, p)
        got = [f for _, f in c.recv_all(0.5, 10)]
        tp.cmd("stop")
        st = tp.stats()
        check(sw, tp, st["RX-packets"] == n and st["TX-packets"] == n,
              "testpmd received %d and sent %d of %d frames" %
              (st["RX-packets"], st["TX-packets"], n))
        want = [C_MAC + TP_MAC + ETH + p for p in sent]
        # c.send() pads to 60 bytes: so are the frames back.
        want = [w + bytes(60 - len(w)) if len(w) < 60 else w for w in want]
        if got != want:
            bad = next((i for i, (a, b) in enumerate(zip(got, want))
                        if a != b), min(len(got), len(want)))
            check(sw, tp, False,
                  "C got %d of %d frames back; the first that differs, "
                  "#%d: %s" % (len(got), n, bad,
                               got[bad].hex() if bad < len(got) else "none"))
    run_case(sw, "macswap", body)
    print("ok macswap: %d frames to testpmd and back, in order, intact" % n)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    if not shutil.which("dpdk-testpmd"):
        skip("dpdk-testpmd not found (Debian package dpdk; "
             "sh scripts/install-deps.sh --test)")
    if not shutil.which("stdbuf"):
        skip("stdbuf not found (coreutils)")
    with tempfile.TemporaryDirectory(prefix="ss-vhost-dpdk-") as tmp:
        conf = {"listen": ["unix:" + os.path.join(tmp, "sw.sock"),
                           "vhost-user:" + os.path.join(tmp, "vu.sock")]}
        sw = Switch(sys.argv[1], sys.argv[2], tmp, conf)
        try:
            c = Client(sw.sock, C_MAC)
            sw.wait_ports("C attached", lambda g: len(g) == 1)
            case_txonly(sw, c)
            case_rxonly(sw, c)
            case_macswap(sw, c)
        finally:
            sw.stop()


if __name__ == "__main__":
    main()
