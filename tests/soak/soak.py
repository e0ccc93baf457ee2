#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""soak.py SOCKSWITCH SOCKSWITCHCTL [SOCKSWITCH_PLUG] [SECONDS] - soak test

One real switch, every kind of client at once, for SECONDS (default: the
SOAK_SECONDS environment variable, else 300):

  stable stations (attached the whole run, each sending numbered frames:
  unicast to the other stations, broadcast, multicast, unicast to an
  unknown address, and now and then, from the datagram ones, one over
  max_frame or under an Ethernet header):
    unix and tcp stream clients, a udp and a unixgram client, vde_plug
    (Debian vdeplug, if installed) on the vde: listener, sockswitch-plug
    on the vde: listener and sockswitch-plug on the udp: listener
  churn: short-lived clients of each kind (unix, tcp, udp, unixgram) that
    attach, send, and go: stream ones half close (some mid-frame) and read
    what is left, datagram ones are closed with `sockswitchctl close`
  chaos: reloads (SIGHUP and `sockswitchctl reload`) between two configs
    that differ in an extra listener, mac_table_size and
    tx_queue_frames; captures started and stopped with `sockswitchctl
    capture` into a file or a FIFO (the file is read back as pcap); one
    station's port impaired (`impair PORT loss=10% delay=5ms`) and `off`

Checks:
  - flat: at each checkpoint (churn and chaos paused, back on the first
    config, only the stable ports attached) the switch's descriptors
    (/proc/PID/fd) equal those of the first checkpoint after warm-up,
    exactly; its RSS (VmRSS) stays within 4 MiB + 10 % of it (malloc keeps
    freed memory in its arenas and bins and the queues' spill chunks
    grow with bursts, so some slack; a leak per client or per frame
    outgrows it in the 5-minute run, and the ASan build's leak check
    catches the small ones at exit)
  - nothing uncounted, from the switch's own per-port "final" log lines
    (every port, churned ones too, at close or at SIGTERM):
    * the frames all clients sent, complete or cut mid-frame, are the
      switch's rx_frames; its rx drops are the oversize frames sent
      (rx_oversize), the runts (rx_runt) and the frames cut mid-frame
      (rx_framing), nothing else
    * for every stable station: what it was sent by anyone (unicast to
      it, every broadcast, multicast and unknown unicast from others)
      equals what its port sent (tx_frames) plus the port's tx drops
      (queue full, closed, impairment); what it received is tx_frames
      (plus datagrams the kernel dropped at its own socket, from
      /proc/net/udp), each frame once, each a frame that was sent
    * the churn clients received at most what their ports sent
  - every reload, capture and impair command succeeds; a file capture
    reads back as pcap with as many records as the switch says it wrote
  - the switch exits 0 on SIGTERM; every process is ended by its pid

Exit 0 on success, 1 on failure, 77 (skip) if the platform lacks /proc.
"""
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from sstest import fail, skip  # noqa: E402

ETH = b"\x88\xb5"
MAGIC = b"SOAK"
BCAST = b"\xff" * 6
MCAST = bytes([0x01, 0x00, 0x5e, 0x00, 0x00, 0x42])
UNKNOWN = bytes([0x02, 0xee, 0, 0, 0, 1])  # never a source: always flooded
MAX_FRAME = 1600
TX_DROPS = ("tx_queue_full", "tx_closed", "tx_nomem", "tx_too_big",
            "impair_loss", "impair_mtu", "impair_rate", "impair_queue_full")
RX_DROPS = ("rx_runt", "rx_oversize", "rx_framing", "rx_disabled", "rx_local",
            "rx_dest_down", "rx_backlog")
RSS_SLACK_KB = 4096
RSS_SLACK_FRAC = 0.10


def mac_of(i):
    return bytes([0x02, 0x50, 0, 0, i >> 8 & 0xff, i & 0xff])


class Ledger:
    """What every client sent and what every stable station must get."""

    def __init__(self):
        self.lock = threading.Lock()
        self.complete = 0  # whole frames written, everyone
        self.partial = 0  # frames cut mid-frame by a closing client
        self.oversize = 0  # frames over max_frame (dropped, counted)
        self.runt = 0  # datagrams shorter than a header (the same)
        self.expect = {}  # stable index -> frames the switch must offer it
        self.sent = {}  # sender index -> set of (kind, seq) sent
        self.churn_rx = 0  # frames the churn clients received

    def sent_frame(self, src, seq, dst, stables):
        """@src sent frame @seq to @dst: whom must it reach?"""
        with self.lock:
            self.complete += 1
            self.sent.setdefault(src, set()).add(seq)
            if dst in (BCAST, MCAST, UNKNOWN):
                for i in stables:
                    if i != src:
                        self.expect[i] = self.expect.get(i, 0) + 1
            else:
                for i, st in stables.items():
                    if st.mac == dst and i != src:
                        self.expect[i] = self.expect.get(i, 0) + 1


class Station:
    """One client: numbered frames out (a subclass's _send()), and a
    thread that takes frames in (its rx_loop()) and notes who sent them."""

    def __init__(self, idx, name, ledger):
        self.idx = idx
        self.name = name
        self.mac = mac_of(idx)
        self.ledger = ledger
        self.seq = 0
        self.wlock = threading.Lock()
        self.buf = b""
        self.got = 0
        self.seen = set()
        self.dups = 0
        self.alien = 0
        self.port = None  # switch port id, for stable stations
        self.stop = threading.Event()
        self.rthread = None

    def frame(self, dst, size):
        self.seq += 1
        body = MAGIC + struct.pack(">HI", self.idx, self.seq)
        f = dst + self.mac + ETH + body
        return f + bytes(max(0, size - len(f))), self.seq

    def send(self, dst, size, stables):
        with self.wlock:
            f, seq = self.frame(dst, size)
            self._send(f)
            if size <= MAX_FRAME:
                self.ledger.sent_frame(self.idx, seq, dst, stables)
            else:
                with self.ledger.lock:
                    self.ledger.complete += 1
                    self.ledger.oversize += 1

    def on_frame(self, f):
        self.got += 1
        if len(f) < 24 or f[14:18] != MAGIC:
            self.alien += 1
            return
        src, seq = struct.unpack(">HI", f[18:24])
        if (src, seq) in self.seen:
            self.dups += 1
        self.seen.add((src, seq))

    def kernel_drops(self):
        """Frames the kernel dropped at the client's own socket."""
        return 0

    def parse(self, d, hdr=4):
        """Frames out of a byte stream, each after a @hdr-byte length."""
        self.buf += d
        fmt = ">H" if hdr == 2 else ">I"
        while len(self.buf) >= hdr:
            n = struct.unpack(fmt, self.buf[:hdr])[0]
            if len(self.buf) < hdr + n:
                break
            self.on_frame(self.buf[hdr:hdr + n])
            self.buf = self.buf[hdr + n:]

    def start_rx(self):
        self.rthread = threading.Thread(target=self._rx_loop, daemon=True)
        self.rthread.start()

    def _rx_loop(self):
        try:
            self.rx_loop()
        except OSError:
            pass

    def close(self):
        self.stop.set()
        if self.rthread:
            self.rthread.join(5)


class StreamStation(Station):
    """unix: or tcp: stream client, 4-byte big-endian length per frame."""

    def __init__(self, idx, name, ledger, family, addr):
        super().__init__(idx, name, ledger)
        self.s = socket.socket(family, socket.SOCK_STREAM)
        self.s.connect(addr)
        self.buf = b""

    def _send(self, f):
        self.s.sendall(struct.pack(">I", len(f)) + f)

    def send_partial(self, dst):
        """Half a frame: the switch sees the peer close mid-frame."""
        with self.wlock:
            f, _ = self.frame(dst, 200)
            self.s.sendall(struct.pack(">I", len(f)) + f[:50])
            with self.ledger.lock:
                self.ledger.partial += 1

    def read_some(self, wait_s):
        """Take what arrived within @wait_s; False at end of stream."""
        r, _, _ = select.select([self.s], [], [], wait_s)
        if not r:
            return True
        d = self.s.recv(1 << 18)
        self.parse(d)
        return bool(d)

    def rx_loop(self):
        while not self.stop.is_set() and self.read_some(0.2):
            pass

    def drain_to_eof(self, limit_s=10):
        """Half close, then read until the switch closes (churn)."""
        self.s.shutdown(socket.SHUT_WR)
        end = time.monotonic() + limit_s
        while time.monotonic() < end and self.read_some(0.5):
            pass
        self.s.close()


class DgramStation(Station):
    """udp: or unixgram: client, one frame per datagram."""

    def __init__(self, idx, name, ledger, family, server, bind):
        super().__init__(idx, name, ledger)
        self.s = socket.socket(family, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.s.bind(bind)
        # Not connect(): the switch answers a unixgram peer from a socket
        # other than the one it listens on, which a connected unix
        # datagram socket refuses (EPERM).
        self.server = server
        self.family = family
        self.bind = bind

    def _send(self, f):
        self.s.sendto(f, self.server)

    def send_runt(self):
        with self.wlock:
            self.s.sendto(self.mac + BCAST[:4], self.server)
            with self.ledger.lock:
                self.ledger.complete += 1
                self.ledger.runt += 1

    def rx_loop(self):
        while not self.stop.is_set():
            r, _, _ = select.select([self.s], [], [], 0.2)
            if r:
                self.on_frame(self.s.recv(1 << 17))

    def kernel_drops(self):
        """Datagrams the kernel dropped at this socket (udp only)."""
        if self.family != socket.AF_INET:
            return 0
        port = self.s.getsockname()[1]
        with open("/proc/net/udp") as f:
            for line in f.readlines()[1:]:
                c = line.split()
                if int(c[1].split(":")[1], 16) == port:
                    return int(c[-1])
        return 0

    def finish(self):
        self.s.close()
        if self.family == socket.AF_UNIX:
            os.unlink(self.bind)


class PipeStation(Station):
    """A plug process (vde_plug, sockswitch-plug) on stdin/stdout: 2-byte
    (vde_plug) or 4-byte big-endian lengths."""

    def __init__(self, idx, name, ledger, argv, hdr, procs):
        super().__init__(idx, name, ledger)
        self.hdr = hdr
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        procs.append(self.p)
        self.buf = b""
        self.last_drops = 0

    def kernel_drops(self):
        """Datagrams the kernel dropped at the plug's UDP socket, if any
        (a plug on the udp: listener reads from one)."""
        inodes = set()
        fds = "/proc/%d/fd" % self.p.pid
        try:
            for fd in os.listdir(fds):
                m = re.match(r"socket:\[(\d+)\]",
                             os.readlink(os.path.join(fds, fd)))
                if m:
                    inodes.add(m.group(1))
        except OSError:
            return self.last_drops  # gone: what it was last
        n = 0
        with open("/proc/net/udp") as f:
            for line in f.readlines()[1:]:
                c = line.split()
                if c[9] in inodes:
                    n += int(c[-1])
        self.last_drops = n
        return n

    def _send(self, f):
        fmt = ">H" if self.hdr == 2 else ">I"
        self.p.stdin.write(struct.pack(fmt, len(f)) + f)
        self.p.stdin.flush()

    def rx_loop(self):
        fd = self.p.stdout.fileno()
        while not self.stop.is_set():
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                continue
            d = os.read(fd, 1 << 18)
            if not d:
                return
            self.parse(d, self.hdr)


class Soak:
    def __init__(self, exe, ctl, plug, seconds):
        self.exe, self.ctl_exe, self.plug = exe, ctl, plug
        self.seconds = seconds
        self.tmp = tempfile.mkdtemp(prefix="sssoak.")
        self.procs = []
        self.p = None
        self.ledger = Ledger()
        self.stables = {}
        self.rng = random.Random(int(os.environ.get("SOAK_SEED", "1")))
        self.next_idx = 100
        self.idx_lock = threading.Lock()
        self.paused = threading.Event()  # set: churn and chaos stop
        self.done = threading.Event()
        self.idle = {}  # worker -> Event: set while it is paused
        self.errors = []
        self.stats = {"reloads": 0, "captures": 0, "impairs": 0,
                      "churn": 0, "checkpoints": 0}
        self.samples = []  # (t, rss_kb, fds)
        self.checkpoints = []  # (t, rss_kb, fds)
        self.alt = False  # second config in place
        self.chaos_round = []  # chaos actions left in this round
        self.saved_log = ""

    # ---- the switch ----
    def path(self, name):
        return os.path.join(self.tmp, name)

    def config(self, alt):
        listen = ["unix:" + self.path("sw.sock"),
                  "tcp:127.0.0.1:0",
                  "udp:127.0.0.1:0",
                  "unixgram:" + self.path("dg.sock"),
                  "vde:" + self.path("vde")]
        if alt:
            listen.append("unix:" + self.path("extra.sock"))
        return {"listen": listen, "control": self.path("ctl.sock"),
                "max_frame": MAX_FRAME, "ageing": 3600,
                "mac_table_size": 2048 if alt else 4096,
                "tx_queue_frames": 2048 if alt else 4096}

    def write_config(self, alt):
        tmp = self.path("sw.json.new")
        with open(tmp, "w") as f:
            json.dump(self.config(alt), f, indent=1)
        os.rename(tmp, self.path("sw.json"))
        self.alt = alt

    def log(self):
        with open(self.path("sw.log"), errors="replace") as f:
            return f.read()

    def die(self, why):
        log = self.saved_log or self.log()
        self.cleanup()
        fail(why, log[-20000:])

    def start(self):
        self.write_config(False)
        env = dict(os.environ)
        # A small quarantine under ASan (2 MiB, full within the warm-up):
        # its default keeps up to 256 MiB of freed memory back and would
        # grow RSS for the whole run.
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                               ":quarantine_size_mb=2").lstrip(":")
        log = open(self.path("sw.log"), "wb")
        self.p = subprocess.Popen([self.exe, "--config",
                                   self.path("sw.json")],
                                  stdout=log, stderr=subprocess.STDOUT,
                                  env=env)
        log.close()
        self.procs.append(self.p)
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if "ready pid=" in self.log():
                break
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        else:
            self.saved_log = self.log()
            self.die("switch did not start")
        if self.p.poll() is not None:
            self.saved_log = self.log()
            self.die("switch exited at start")
        st = self.query("query-status")
        self.tcp = self.udp = None
        for u in st["listeners"]:
            if u.startswith("tcp:"):
                self.tcp = u[4:].rsplit(":", 1)
            elif u.startswith("udp:"):
                self.udp = u[4:].rsplit(":", 1)
        self.tcp = (self.tcp[0], int(self.tcp[1]))
        self.udp = (self.udp[0], int(self.udp[1]))

    def query(self, cmd, args=None):
        """One control request over the socket (answers fast, without a
        process per query)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.path("ctl.sock"))
        f = s.makefile("rwb")
        f.readline()  # greeting
        req = {"execute": cmd}
        if args:
            req["arguments"] = args
        f.write(json.dumps(req).encode() + b"\n")
        f.flush()
        rep = json.loads(f.readline())
        f.close()
        s.close()
        if "return" not in rep:
            raise RuntimeError("%s: %s" % (cmd, rep))
        return rep["return"]

    def ctl(self, *args):
        r = subprocess.run([self.ctl_exe, "-s", self.path("ctl.sock"),
                            "--json"] + list(args),
                           capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            raise RuntimeError("sockswitchctl %s: rc %d: %s%s" % (
                " ".join(args), r.returncode, r.stdout, r.stderr))
        return r.stdout

    def sample(self):
        pid = self.p.pid
        with open("/proc/%d/status" % pid) as f:
            rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        return rss, len(os.listdir("/proc/%d/fd" % pid))

    # ---- stations ----
    def new_idx(self):
        with self.idx_lock:
            self.next_idx += 1
            return self.next_idx

    def attach_stable(self, make, idx):
        """Start a station and wait for its port: the one new port."""
        before = {p["id"] for p in self.query("query-ports")}
        st = make(idx)
        st.start_rx()
        st.send(BCAST, 60, self.stables)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            new = [p["id"] for p in self.query("query-ports")
                   if p["id"] not in before]
            if len(new) == 1:
                st.port = new[0]
                self.stables[st.idx] = st
                return
            time.sleep(0.05)
        self.die("station %s: no port appeared" % st.name)

    def make_stables(self):
        L = self.ledger
        mk = [
            lambda i: StreamStation(i, "unix", L, socket.AF_UNIX,
                                    self.path("sw.sock")),
            lambda i: StreamStation(i, "tcp", L, socket.AF_INET, self.tcp),
            lambda i: DgramStation(i, "udp", L, socket.AF_INET, self.udp,
                                   ("127.0.0.1", 0)),
            lambda i: DgramStation(i, "unixgram", L, socket.AF_UNIX,
                                   self.path("dg.sock"),
                                   self.path("st-%d.sock" % i)),
        ]
        if shutil.which("vde_plug"):
            mk.append(lambda i: PipeStation(
                i, "vde_plug", L, ["vde_plug", "vde://" + self.path("vde")],
                2, self.procs))
        else:
            print("# vde_plug not installed (Debian vdeplug): "
                  "sockswitch-plug is the VDE client")
        if self.plug:
            mk.append(lambda i: PipeStation(
                i, "plug-vde", L, [self.plug, "vde:" + self.path("vde"), "-"],
                4, self.procs))
            mk.append(lambda i: PipeStation(
                i, "plug-udp", L,
                [self.plug, "udp:%s:%d" % self.udp, "-"], 4, self.procs))
        for k, f in enumerate(mk):
            self.attach_stable(f, k + 1)
        print("# stable stations: " + ", ".join(
            "%s=p%d" % (s.name, s.port) for s in self.stables.values()))

    # ---- workers ----
    def worker(self, name, body):
        ev = threading.Event()
        self.idle[name] = ev

        def run():
            try:
                while not self.done.is_set():
                    if self.paused.is_set():
                        ev.set()
                        time.sleep(0.05)
                        continue
                    ev.clear()
                    body()
            except Exception as e:  # reported, fails the run
                self.errors.append("%s: %r" % (name, e))
            ev.set()
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    def traffic(self, st):
        """A stable station's frames: mostly unicast to another station,
        then broadcast, multicast, unknown unicast; rarely oversize."""
        others = [s.mac for s in self.stables.values() if s is not st]
        r = self.rng.random()
        dst = (self.rng.choice(others) if r < 0.6 else BCAST if r < 0.8
               else MCAST if r < 0.9 else UNKNOWN)
        size = self.rng.choice((60, 60, 128, 512, 1000, 1500))
        if isinstance(st, DgramStation) and self.rng.random() < 0.004:
            # Over max_frame, or under a header: dropped and counted (on
            # a stream either one would close the connection).
            if self.rng.random() < 0.5:
                st.send_runt()
                return
            size = MAX_FRAME + 100
        st.send(dst, size, self.stables)
        time.sleep(0.01)

    def find_port(self, peer_part):
        for p in self.query("query-ports"):
            if peer_part in p["peer"]:
                return p["id"]
        return None

    def churn_once(self):
        L = self.ledger
        kind = self.rng.choice(("unix", "tcp", "udp", "unixgram"))
        i = self.new_idx()
        if kind == "unix":
            c = StreamStation(i, kind, L, socket.AF_UNIX,
                              self.path("sw.sock"))
        elif kind == "tcp":
            c = StreamStation(i, kind, L, socket.AF_INET, self.tcp)
        elif kind == "udp":
            c = DgramStation(i, kind, L, socket.AF_INET, self.udp,
                             ("127.0.0.1", 0))
        else:
            c = DgramStation(i, kind, L, socket.AF_UNIX,
                             self.path("dg.sock"),
                             self.path("ch-%d.sock" % i))
        c.start_rx()
        macs = [s.mac for s in self.stables.values()]
        for _ in range(self.rng.randint(1, 30)):
            dst = self.rng.choice(macs + [BCAST, BCAST, MCAST])
            c.send(dst, self.rng.choice((60, 300, 1200)), self.stables)
            if self.rng.random() < 0.3:
                time.sleep(0.005)
        if isinstance(c, StreamStation):
            if self.rng.random() < 0.3:
                c.send_partial(BCAST)
            c.stop.set()
            c.rthread.join(5)
            c.drain_to_eof()
        else:
            # A datagram port lives until dgram_idle: close it now, as an
            # operator would, then the client goes.
            if kind == "udp":
                peer = "127.0.0.1:%d" % c.s.getsockname()[1]
            else:
                peer = c.bind
            time.sleep(0.05)
            port = None
            end = time.monotonic() + 5
            while port is None and time.monotonic() < end:
                port = self.find_port(peer)
                if port is None:
                    time.sleep(0.05)
            if port is None:
                raise RuntimeError("churn %s: no port for %s" % (kind, peer))
            self.ctl("close", str(port))
            time.sleep(0.05)
            c.stop.set()
            c.rthread.join(5)
            c.finish()
        with L.lock:
            L.churn_rx += c.got
        self.stats["churn"] += 1
        time.sleep(self.rng.uniform(0, 0.1))

    def chaos_once(self):
        # Each action once per round, in a random order: even a short run
        # does every one.
        if not self.chaos_round:
            self.chaos_round = ["reload-hup", "reload-ctl", "capture-file",
                                "capture-fifo", "impair"]
            self.rng.shuffle(self.chaos_round)
        what = self.chaos_round.pop()
        if what == "reload-hup":
            self.write_config(not self.alt)
            n = self.log().count("reload (SIGHUP)")
            self.p.send_signal(signal.SIGHUP)
            end = time.monotonic() + 10
            while self.log().count("reload (SIGHUP)") <= n:
                if time.monotonic() > end:
                    raise RuntimeError("SIGHUP: no reload logged")
                time.sleep(0.05)
            if "reload (SIGHUP) failed" in self.log():
                raise RuntimeError("SIGHUP: reload failed")
            self.stats["reloads"] += 1
        elif what == "reload-ctl":
            self.write_config(not self.alt)
            self.ctl("reload")
            self.stats["reloads"] += 1
        elif what == "capture-file":
            self.capture_file()
        elif what == "capture-fifo":
            self.capture_fifo()
        else:
            st = self.stables[1]  # the unix stream station
            self.ctl("impair", "p%d" % st.port, "loss=10%", "delay=5ms",
                     "seed=%d" % self.rng.randint(1, 1000))
            time.sleep(self.rng.uniform(0.2, 1.0))
            self.ctl("impair", "p%d" % st.port, "off")
            self.stats["impairs"] += 1
        time.sleep(self.rng.uniform(0.1, 0.6))

    def capture_file(self):
        path = self.path("cap.pcap")
        st = self.rng.choice(list(self.stables.values()))
        port = self.rng.choice(("all", "p%d" % st.port))
        rep = json.loads(self.ctl("capture", "start", "port=" + port,
                                  "file=" + path))
        time.sleep(self.rng.uniform(0.2, 1.0))
        self.ctl("capture", "stop", "id=%d" % rep["id"])
        # The end line carries what was written; the file must match.
        pat = re.compile(r"capture %d \(port [^)]*\) to %s ended: [^;]*; "
                         r"(\d+) frames, \d+ bytes, (\d+) dropped"
                         % (rep["id"], re.escape(path)))
        end = time.monotonic() + 10
        while not pat.search(self.log()):
            if time.monotonic() > end:
                raise RuntimeError("capture %d: no end line" % rep["id"])
            time.sleep(0.05)
        m = pat.findall(self.log())[-1]
        frames = int(m[0])
        records = pcap_records(path)
        if records != frames:
            raise RuntimeError("capture %d: %d records in the file, the "
                               "switch says %d frames" %
                               (rep["id"], records, frames))
        os.unlink(path)
        self.stats["captures"] += 1

    def capture_fifo(self):
        path = self.path("cap.fifo")
        os.mkfifo(path, 0o600)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        got = [0]
        stop = threading.Event()

        def reader():
            while True:
                r, _, _ = select.select([fd], [], [], 0.1)
                if r:
                    d = os.read(fd, 1 << 16)
                    if not d:
                        if stop.is_set():
                            return
                        time.sleep(0.02)
                    got[0] += len(d)
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        rep = json.loads(self.ctl("capture", "start", "port=all",
                                  "file=" + path))
        time.sleep(self.rng.uniform(0.2, 1.0))
        self.ctl("capture", "stop", "id=%d" % rep["id"])
        stop.set()
        t.join(10)
        os.close(fd)
        os.unlink(path)
        if got[0] < 24:
            raise RuntimeError("FIFO capture: reader got %d bytes" % got[0])
        self.stats["captures"] += 1

    # ---- checkpoints ----
    def pause(self):
        self.paused.set()
        end = time.monotonic() + 30
        for name, ev in self.idle.items():
            if not ev.wait(max(0.1, end - time.monotonic())):
                self.die("%s did not pause" % name)

    def checkpoint(self):
        """Churn and chaos paused, first config back, only the stable
        ports: the switch's fds and RSS."""
        self.pause()
        if self.alt:
            self.write_config(False)
            self.ctl("reload")
        stable = {s.port for s in self.stables.values()}
        end = time.monotonic() + 10
        while {p["id"] for p in self.query("query-ports")} != stable:
            if time.monotonic() > end:
                self.die("churned ports still attached at a checkpoint")
            time.sleep(0.05)
        if self.query("query-captures"):
            self.die("a capture still runs at a checkpoint")
        # A sockswitchctl connection just closed may not be reaped yet:
        # take the least of a few samples.
        best = None
        for _ in range(5):
            time.sleep(0.05)
            s = self.sample()
            best = s if best is None or s[1] < best[1] else best
        self.checkpoints.append((time.monotonic() - self.t0,) + best)
        self.stats["checkpoints"] += 1
        print("# checkpoint %d at %.0f s: rss %d kB, %d fds" % (
            len(self.checkpoints), self.checkpoints[-1][0], best[0], best[1]))
        self.paused.clear()

    # ---- the run ----
    def run(self):
        self.start()
        self.make_stables()
        self.t0 = time.monotonic()
        for st in self.stables.values():
            self.worker("tx-%s" % st.name,
                        lambda st=st: self.traffic(st))
        for k in range(2):
            self.worker("churn-%d" % k, self.churn_once)
        self.worker("chaos", self.chaos_once)
        warm = min(30.0, self.seconds * 0.2)
        every = max(5.0, (self.seconds - warm) / 10)
        next_cp = warm
        while time.monotonic() - self.t0 < self.seconds:
            if self.errors:
                self.done.set()
                self.saved_log = self.log()
                self.die("; ".join(self.errors))
            if self.p.poll() is not None:
                self.saved_log = self.log()
                self.die("switch exited %d during the run" % self.p.returncode)
            self.samples.append((time.monotonic() - self.t0,) +
                                self.sample())
            if time.monotonic() - self.t0 >= next_cp:
                self.checkpoint()
                next_cp = time.monotonic() - self.t0 + every
            time.sleep(0.5)
        self.checkpoint()
        self.pause()
        self.done.set()
        time.sleep(0.2)
        if self.errors:
            self.saved_log = self.log()
            self.die("; ".join(self.errors))
        self.finish()

    def finish(self):
        # Quiet: every queue empty, each station has what its port sent.
        end = time.monotonic() + 20
        while True:
            ports = {p["id"]: p for p in self.query("query-ports")}
            busy = [p for p in ports.values()
                    if p["queue"]["frames"] or p["impair"].get("held")]
            short = [s for s in self.stables.values()
                     if s.got + s.kernel_drops() <
                     ports[s.port]["tx"]["frames"]]
            if not busy and not short:
                break
            if time.monotonic() > end:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.saved_log = self.log()
            self.die("switch did not stop on SIGTERM")
        self.saved_log = self.log()
        if rc != 0:
            self.die("switch exited %d on SIGTERM" % rc)
        for st in self.stables.values():
            st.close()
        self.check()

    def check(self):
        finals = parse_finals(self.saved_log)
        L = self.ledger
        problems = []
        rx = sum(f["rx_frames"] for f in finals)
        if rx != L.complete + L.partial:
            problems.append("clients sent %d frames + %d cut mid-frame, "
                            "the switch received %d" %
                            (L.complete, L.partial, rx))
        drops = {k: sum(f[k] for f in finals) for k in RX_DROPS}
        want = dict.fromkeys(RX_DROPS, 0)
        want["rx_oversize"] = L.oversize
        want["rx_framing"] = L.partial
        want["rx_runt"] = L.runt
        if drops != want:
            problems.append("rx drops %s, expected %s" % (
                {k: v for k, v in drops.items() if v},
                {k: v for k, v in want.items() if v}))
        by_port = {}
        for f in finals:
            by_port[f["port"]] = f  # the stable ports close last
        tx_all = sum(f["tx_frames"] for f in finals)
        tx_stable = 0
        for st in self.stables.values():
            f = by_port[st.port]
            offered = (f["tx_frames"] + f["tx_queued_now"] +
                       sum(f[k] for k in TX_DROPS))
            exp = L.expect.get(st.idx, 0)
            kd = st.kernel_drops()
            tx_stable += f["tx_frames"]
            line = ("%s (p%d): offered %d (sent %d + dropped %d), expected "
                    "%d; received %d + %d kernel drops" % (
                        st.name, st.port, offered, f["tx_frames"],
                        offered - f["tx_frames"], exp, st.got, kd))
            print("# " + line)
            if offered != exp:
                problems.append("offered != expected: " + line)
            if st.got + kd != f["tx_frames"]:
                problems.append("received != sent by the port: " + line)
            if st.dups or st.alien:
                problems.append("%s: %d duplicates, %d unknown frames" %
                                (st.name, st.dups, st.alien))
            for src, seq in st.seen:
                if seq not in L.sent.get(src, ()):
                    problems.append("%s got frame %d of %d, never sent" %
                                    (st.name, seq, src))
                    break
        if L.churn_rx > tx_all - tx_stable:
            problems.append("churn clients received %d, their ports sent "
                            "%d" % (L.churn_rx, tx_all - tx_stable))
        print("# frames: %d sent (%d oversize), %d cut mid-frame; %d "
              "ports in all; churn clients got %d of %d their ports sent"
              % (L.complete, L.oversize, L.partial, len(finals), L.churn_rx,
                 tx_all - tx_stable))
        print("# %s" % ", ".join("%s %d" % kv for kv in self.stats.items()))
        # Flat: fds exact, RSS within the slack, after warm-up.
        cps = self.checkpoints
        if len(cps) < 2:
            problems.append("only %d checkpoints" % len(cps))
        else:
            base_rss, base_fds = cps[0][1], cps[0][2]
            lim = base_rss + RSS_SLACK_KB + base_rss * RSS_SLACK_FRAC
            for t, rss, fds in cps[1:]:
                if fds != base_fds:
                    problems.append("fds %d at %.0f s, %d at the first "
                                    "checkpoint" % (fds, t, base_fds))
                if rss > lim:
                    problems.append("RSS %d kB at %.0f s, over %d kB (first "
                                    "checkpoint %d kB + 4 MiB + 10 %%)" %
                                    (rss, t, lim, base_rss))
            print("# RSS %d -> %d kB (limit %d), fds %d -> %d; during the "
                  "run RSS %d..%d kB, fds %d..%d" % (
                      base_rss, cps[-1][1], lim, base_fds, cps[-1][2],
                      min(s[1] for s in self.samples),
                      max(s[1] for s in self.samples),
                      min(s[2] for s in self.samples),
                      max(s[2] for s in self.samples)))
        if (self.stats["reloads"] == 0 or self.stats["captures"] == 0 or
                self.stats["impairs"] == 0 or self.stats["churn"] < 5):
            problems.append("too little happened: %s" % self.stats)
        self.cleanup()
        if problems:
            fail("; ".join(problems[:10]), self.saved_log[-20000:])
        print("ok soak: %d s, nothing uncounted, fds and RSS flat" %
              self.seconds)

    def cleanup(self):
        self.done.set()
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def pcap_records(path):
    with open(path, "rb") as f:
        d = f.read()
    if len(d) < 24:
        raise RuntimeError("capture file of %d bytes" % len(d))
    magic = d[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise RuntimeError("not a pcap file: magic %s" % magic.hex())
    off, n = 24, 0
    while off < len(d):
        if off + 16 > len(d):
            raise RuntimeError("pcap: truncated record header")
        incl = struct.unpack(e + "I", d[off + 8:off + 12])[0]
        off += 16 + incl
        n += 1
    if off != len(d):
        raise RuntimeError("pcap: truncated record")
    return n


def parse_finals(log):
    out = []
    for line in log.splitlines():
        if " final port=" not in line:
            continue
        f = {"port": int(re.search(r" port=(\d+)", line).group(1))}
        for k, v in re.findall(r" (\w+)=(\d+)(?= |$)", line):
            if k.startswith("drop_"):
                k = k[5:]
            f[k] = int(v)
        out.append(f)
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__.split("\n")[0])
        sys.exit(2)
    if not os.path.isdir("/proc/self/fd"):
        skip("no /proc: RSS and fds cannot be sampled")
    exe, ctl = sys.argv[1], sys.argv[2]
    plug = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    secs = int(sys.argv[4] if len(sys.argv) > 4 else
               os.environ.get("SOAK_SECONDS", "300"))
    s = Soak(exe, ctl, plug, secs)
    try:
        s.run()
    except SystemExit:
        raise
    except BaseException as e:
        s.cleanup()
        raise e


if __name__ == "__main__":
    main()
