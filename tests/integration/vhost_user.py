#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vhost_user.py SOCKSWITCH SOCKSWITCHCTL - the vhost-user:PATH listener
against a vhost-user frontend written here (QEMU's side of the protocol)

The frontend keeps its "guest memory" in two memfds (two regions,
contiguous in guest-physical addresses, the second mapped from offset 4096
of its file), passes them with SET_MEM_TABLE and lays out split
virtqueues in them (virtio 1.x section 2.7; queue 0 receive, queue 1
transmit), with eventfds for kicks and calls. REPLY_ACK is negotiated and
every request after it waits for its ack, so nothing here sleeps for the
switch. One switch runs all the cases, which also shows it keeps serving
everyone else:

  good      a frontend and a unix: stream client exchange frames both
            ways, byte for byte; frames wait for receive buffers until
            the frontend posts some and kicks; the receive header
            (num_buffers 1); a 9000-byte frame over five 2 KiB receive
            buffers (MRG_RXBUF, num_buffers 5); transmit chains of one
            buffer, of header and frame, of header and two pieces, in the
            second region, 9000 bytes in three pieces, 255 frames on one
            kick; rx/tx frames and bytes exact on both ports; a new
            memory table while the queues run
  two       two frontends exchange frames (flooded, then unicast to a
            learned address that the stream client does not see)
  hostile   transmit chains outside memory, across a region's end, past
            the last region, device-writable, INDIRECT, looping (two
            kinds), a next index outside the table, 65 buffers, shorter
            than the header: each handed back (used entry, length 0),
            counted as rx_desc_bad, the port stays up and a good frame
            follows; a frame over max_frame counts rx_oversize; a bad
            receive chain after a good one: every receive buffer comes back
            once and the frame arrives whole
  nomrg     a frontend without MRG_RXBUF: frames longer than one receive
            buffer are dropped (tx_too_big, logged), the ones behind them
            arrive
  broken    an avail index more than a ring ahead, a head outside the
            table (transmit), an avail index jump on the receive ring:
            only that port closes ("ring is broken"), the others forward
  garbage   bad flags, a payload over 4096, request 99, memory tables
            with 0 and 9 regions, fewer descriptors than regions, a
            region of size 0, regions larger than their files (the
            switch would die of SIGBUS touching them), a queue size not a power of two (its
            REPLY_ACK says 1), a queue that does not exist, rings outside
            memory, over a region's end or misaligned, a kick before any
            memory, a kick without its descriptor, a pipe as a call (a
            full one blocked the switch) or as a kick, a frontend that hangs
            up in a header and in a payload: each closes only its
            connection with a clear log line; no descriptor or mapping of
            theirs stays in the daemon
  reset     GET_VRING_BASE on both queues answers the last avail indexes,
            the port loses its carrier ("negotiating") and its receive
            ring is left alone; rings set up again on the same connection
            and frames flow again; a frame kicked on the transmit ring
            before SET_VRING_ENABLE is not sent while it is disabled, and
            later at most once (the spec says discard, the switch sends
            it with the next kick: both pass, the result is printed)
  peers     the socket file is 0600; as root, a frontend running as
            uid 65534 is refused by the file mode, and on a 0666 listener
            with "allow_uids": [] by the switch (logged, counted)
"""
import json
import mmap
import os
import select
import socket
import struct
import sys
import tempfile
import time

from sstest import ETH, Client, Switch, fail, metrics_get, skip

# vhost-user requests (QEMU docs/interop/vhost-user.rst)
GET_FEATURES = 1
SET_FEATURES = 2
SET_OWNER = 3
SET_MEM_TABLE = 5
SET_VRING_NUM = 8
SET_VRING_ADDR = 9
SET_VRING_BASE = 10
GET_VRING_BASE = 11
SET_VRING_KICK = 12
SET_VRING_CALL = 13
GET_PROTOCOL_FEATURES = 15
SET_PROTOCOL_FEATURES = 16
SET_VRING_ENABLE = 18

FLAG_VERSION = 0x1
FLAG_REPLY = 0x4
FLAG_NEED_REPLY = 0x8
F_MRG_RXBUF = 1 << 15
F_PROTOCOL_FEATURES = 1 << 30
F_VERSION_1 = 1 << 32
PF_REPLY_ACK = 1 << 3
VRING_NOFD = 1 << 8

D_NEXT = 1
D_WRITE = 2
D_INDIRECT = 4

HDR = 12  # virtio-net header with VERSION_1
NUM = 256  # ring size
RXQ = 0
TXQ = 1
MAX_FRAME = 9500

# Guest memory: region 0 (2 MiB) and region 1 (64 KiB) right after it in
# guest-physical addresses, in two memfds; region 1 starts 4096 bytes into
# its file (mmap_offset). The frontend's own addresses (uva) are made up:
# the switch only uses them to find the rings.
R0_GPA = 0x40000000
R0_UVA = 0x7F0000000000
R0_SIZE = 2 << 20
R1_GPA = R0_GPA + R0_SIZE
R1_UVA = 0x7F1000000000
R1_SIZE = 64 << 10
R1_OFF = 4096
# Offsets in region 0: descriptor table, avail ring, used ring per queue.
RING = {RXQ: (0x0000, 0x1000, 0x2000), TXQ: (0x3000, 0x4000, 0x5000)}
RXBUF_OFF = 0x10000  # receive buffer of descriptor i: + i * RXBUF_LEN
RXBUF_LEN = 2048
TXBUF_OFF = 0x100000  # transmit slots
TXBUF_SLOT = 0x4000
TXBUF_SLOTS = 64
SPARE_OFF = 0x90000  # scratch area (an indirect table)
BURST_OFF = 0xA0000  # a ring's worth of 1 KiB transmit buffers

T0 = time.monotonic()


def mac(n):
    return bytes([2, 0, 0, 0, 0x10, n])


def frame(dst, src, tag, size=64):
    """@size bytes to @dst from @src, the payload a pattern of @tag."""
    body = bytes((tag * 37 + i) & 0xFF for i in range(size - 14))
    return dst + src + ETH + body


def wait_until(what, cond, log, limit_s=5.0):
    end = time.monotonic() + limit_s
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            fail("timed out waiting for " + what, log())
        time.sleep(0.001)


class Frontend:
    """A vhost-user frontend: the connection, the guest's memory, the two
    queues. @name tags its memfds (seen in the daemon's /proc maps)."""

    def __init__(self, path, name, log):
        self.name = name
        self.log = log
        self.ack = False
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)
        self.fd0 = os.memfd_create("vut-%s-0" % name)
        os.ftruncate(self.fd0, R0_SIZE)
        self.m0 = mmap.mmap(self.fd0, R0_SIZE)
        self.fd1 = os.memfd_create("vut-%s-1" % name)
        os.ftruncate(self.fd1, R1_OFF + R1_SIZE)
        self.m1 = mmap.mmap(self.fd1, R1_OFF + R1_SIZE)
        self.kick = [-1, -1]
        self.call = [-1, -1]
        self.reset_rings()

    def reset_rings(self):
        self.avail = [0, 0]  # our avail index per queue
        self.seen = [0, 0]  # used entries consumed per queue
        self.next_desc = [0, 0]
        self.tx_slot = 0

    def close(self):
        self.s.close()
        for fd in self.kick + self.call + [self.fd0, self.fd1]:
            if fd >= 0:
                os.close(fd)
        self.kick = [-1, -1]
        self.call = [-1, -1]
        self.fd0 = self.fd1 = -1
        self.m0.close()
        self.m1.close()

    # ---- memory by guest-physical address
    def where(self, gpa, n):
        if R0_GPA <= gpa and gpa + n <= R0_GPA + R0_SIZE:
            return self.m0, gpa - R0_GPA
        if R1_GPA <= gpa and gpa + n <= R1_GPA + R1_SIZE:
            return self.m1, R1_OFF + gpa - R1_GPA
        raise ValueError("gpa %#x+%d is not in our memory" % (gpa, n))

    def write(self, gpa, data):
        m, off = self.where(gpa, len(data))
        m[off:off + len(data)] = data

    def read(self, gpa, n):
        m, off = self.where(gpa, n)
        return bytes(m[off:off + n])

    # ---- protocol
    def send(self, req, payload=b"", fds=(), flags=FLAG_VERSION, size=None):
        hdr = struct.pack("<III", req, flags,
                          len(payload) if size is None else size)
        if fds:
            socket.send_fds(self.s, [hdr + payload], list(fds))
        else:
            self.s.sendall(hdr + payload)

    def recv_exact(self, n):
        out = b""
        while len(out) < n:
            d = self.s.recv(n - len(out))
            if not d:
                fail("%s: the switch closed the connection" % self.name,
                     self.log())
            out += d
        return out

    def reply(self, req):
        r, flags, size = struct.unpack("<III", self.recv_exact(12))
        if r != req or flags != FLAG_VERSION | FLAG_REPLY:
            fail("%s: reply to %d has request %d flags %#x" %
                 (self.name, req, r, flags), self.log())
        return self.recv_exact(size)

    def get_u64(self, req):
        self.send(req)
        p = self.reply(req)
        if len(p) != 8:
            fail("%s: reply to %d of %d bytes" % (self.name, req, len(p)))
        return struct.unpack("<Q", p)[0]

    def request(self, req, payload=b"", fds=()):
        """Send a request; once REPLY_ACK is on, wait for a 0 ack."""
        if not self.ack:
            self.send(req, payload, fds)
            return
        self.send(req, payload, fds, FLAG_VERSION | FLAG_NEED_REPLY)
        a = struct.unpack("<Q", self.reply(req))[0]
        if a != 0:
            fail("%s: request %d acked with %d" % (self.name, req, a),
                 self.log())

    def mem_table(self):
        return (struct.pack("<II", 2, 0) +
                struct.pack("<QQQQ", R0_GPA, R0_SIZE, R0_UVA, 0) +
                struct.pack("<QQQQ", R1_GPA, R1_SIZE, R1_UVA, R1_OFF))

    def negotiate(self, mrg=True):
        self.request(SET_OWNER)
        feats = self.get_u64(GET_FEATURES)
        want = F_VERSION_1 | F_MRG_RXBUF | F_PROTOCOL_FEATURES
        if feats & want != want:
            fail("%s: features %#x lack %#x" % (self.name, feats, want),
                 self.log())
        if not mrg:
            want &= ~F_MRG_RXBUF
        self.request(SET_FEATURES, struct.pack("<Q", want))
        pf = self.get_u64(GET_PROTOCOL_FEATURES)
        if not pf & PF_REPLY_ACK:
            fail("%s: protocol features %#x lack REPLY_ACK" %
                 (self.name, pf), self.log())
        self.request(SET_PROTOCOL_FEATURES, struct.pack("<Q", PF_REPLY_ACK))
        self.ack = True

    def start_queue(self, q, enable=True):
        """Zeroed rings for queue @q, then NUM, BASE 0, ADDR, CALL, KICK
        (and ENABLE)."""
        desc, avail, used = RING[q]
        self.m0[desc:desc + 16 * NUM] = bytes(16 * NUM)
        self.m0[avail:avail + 6 + 2 * NUM] = bytes(6 + 2 * NUM)
        self.m0[used:used + 6 + 8 * NUM] = bytes(6 + 8 * NUM)
        self.avail[q] = self.seen[q] = self.next_desc[q] = 0
        for fd in (self.kick[q], self.call[q]):
            if fd >= 0:
                os.close(fd)
        self.kick[q] = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self.call[q] = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self.request(SET_VRING_NUM, struct.pack("<II", q, NUM))
        self.request(SET_VRING_BASE, struct.pack("<II", q, 0))
        self.request(SET_VRING_ADDR, struct.pack(
            "<IIQQQQ", q, 0, R0_UVA + desc, R0_UVA + used, R0_UVA + avail,
            0))
        self.request(SET_VRING_CALL, struct.pack("<Q", q), [self.call[q]])
        self.request(SET_VRING_KICK, struct.pack("<Q", q), [self.kick[q]])
        if enable:
            self.enable(q)

    def enable(self, q, on=1):
        self.request(SET_VRING_ENABLE, struct.pack("<II", q, on))

    def setup(self, mrg=True):
        self.negotiate(mrg)
        self.request(SET_MEM_TABLE, self.mem_table(), [self.fd0, self.fd1])
        self.start_queue(RXQ)
        self.start_queue(TXQ)

    # ---- rings
    def put_desc(self, q, i, addr, length, flags, nxt=0):
        struct.pack_into("<QIHH", self.m0, RING[q][0] + 16 * i, addr,
                         length, flags, nxt)

    def get_desc(self, q, i):
        return struct.unpack_from("<QIHH", self.m0, RING[q][0] + 16 * i)

    def alloc(self, q, n):
        out = [(self.next_desc[q] + k) % NUM for k in range(n)]
        self.next_desc[q] += n
        return out

    def chain(self, q, bufs):
        """Descriptors for @bufs [(addr, len, flags)], linked; the head."""
        idx = self.alloc(q, len(bufs))
        for k, (addr, length, flags) in enumerate(bufs):
            last = k == len(bufs) - 1
            self.put_desc(q, idx[k], addr, length,
                          flags | (0 if last else D_NEXT),
                          0 if last else idx[k + 1])
        return idx[0]

    def set_avail_idx(self, q, idx):
        struct.pack_into("<H", self.m0, RING[q][1] + 2, idx & 0xFFFF)

    def make_avail(self, q, head):
        struct.pack_into("<H", self.m0,
                         RING[q][1] + 4 + 2 * (self.avail[q] % NUM), head)
        self.avail[q] = (self.avail[q] + 1) & 0xFFFF
        self.set_avail_idx(q, self.avail[q])

    def do_kick(self, q):
        os.eventfd_write(self.kick[q], 1)

    def used_idx(self, q):
        return struct.unpack_from("<H", self.m0, RING[q][2] + 2)[0]

    def used_new(self, q):
        return (self.used_idx(q) - self.seen[q]) & 0xFFFF

    def take_used(self, q, n, what, limit_s=3.0):
        """The next @n used entries [(id, len)], waiting for them."""
        wait_until("%s: %d used entries on queue %d (%s)" %
                   (self.name, n, q, what),
                   lambda: self.used_new(q) >= n, self.log, limit_s)
        out = []
        for _ in range(n):
            out.append(struct.unpack_from(
                "<II", self.m0, RING[q][2] + 4 + 8 * (self.seen[q] % NUM)))
            self.seen[q] = (self.seen[q] + 1) & 0xFFFF
        return out

    # ---- transmit
    def tx_buf(self, data):
        gpa = R0_GPA + TXBUF_OFF + TXBUF_SLOT * (self.tx_slot % TXBUF_SLOTS)
        self.tx_slot += 1
        self.write(gpa, data)
        return gpa

    def post(self, q, bufs, kick=True):
        head = self.chain(q, bufs)
        self.make_avail(q, head)
        if kick:
            self.do_kick(q)
        return head

    def tx(self, f, cuts=None, kick=True, gpa=None):
        """Put @f behind a zero header on the transmit ring: one buffer,
        or split at the offsets @cuts (into the header+frame buffer)."""
        data = bytes(HDR) + f
        if gpa is None:
            gpa = self.tx_buf(data)
        else:
            self.write(gpa, data)
        edges = [0] + list(cuts or []) + [len(data)]
        bufs = [(gpa + a, b - a, 0) for a, b in zip(edges, edges[1:])]
        return self.post(TXQ, bufs, kick)

    def tx_done(self, heads, what):
        """The transmit ring hands back exactly @heads, with length 0."""
        got = self.take_used(TXQ, len(heads), what)
        if got != [(h, 0) for h in heads]:
            fail("%s: %s: used entries %r, expected %r" %
                 (self.name, what, got, [(h, 0) for h in heads]),
                 self.log())

    # ---- receive
    def rx_post(self, n, kick=True):
        for i in self.alloc(RXQ, n):
            self.put_desc(RXQ, i, R0_GPA + RXBUF_OFF + RXBUF_LEN * i,
                          RXBUF_LEN, D_WRITE)
            self.make_avail(RXQ, i)
        if kick:
            self.do_kick(RXQ)

    def rx_frames(self, n, what):
        """@n frames from the receive ring: [(header, frame, [lens])]."""
        out = []
        for _ in range(n):
            (head, length), = self.take_used(RXQ, 1, what)
            addr, _, _, _ = self.get_desc(RXQ, head)
            data = self.read(addr, length)
            hdr = data[:HDR]
            nb = struct.unpack_from("<H", hdr, 10)[0]
            lens = [length]
            body = data[HDR:]
            for h, ln in self.take_used(RXQ, max(nb - 1, 0), what):
                addr, _, _, _ = self.get_desc(RXQ, h)
                body += self.read(addr, ln)
                lens.append(ln)
            out.append((hdr, body, lens))
        return out

    def rx_none(self, what, quiet_s=0.1):
        time.sleep(quiet_s)
        if self.used_new(RXQ):
            fail("%s: %s: %d unexpected receive entries" %
                 (self.name, what, self.used_new(RXQ)), self.log())

    def expect_closed(self, what, limit_s=3.0):
        """The switch closes the connection (EOF or reset)."""
        self.s.settimeout(limit_s)
        try:
            while self.s.recv(4096):
                pass
        except ConnectionResetError:
            pass
        except socket.timeout:
            fail("%s: %s: the connection stayed open" % (self.name, what),
                 self.log())


class Stream(Client):
    """A unix: stream client (sstest's: 4-byte big-endian length, frame)
    that counts the frames it gets exactly."""

    def __init__(self, path, log):
        super().__init__(path, mac(0x5))
        self.log = log

    def send(self, f):
        self.send_raw(f)

    def split(self):
        """The whole frames received so far, taken from the buffer."""
        out = []
        while len(self.buf) >= 4:
            k = struct.unpack(">I", self.buf[:4])[0]
            if len(self.buf) < 4 + k:
                break
            out.append(self.buf[4:4 + k])
            self.buf = self.buf[4 + k:]
        return out

    def drain(self, quiet_s):
        """Whatever frames come until none for @quiet_s."""
        while select.select([self.s], [], [], quiet_s)[0]:
            d = self.s.recv(1 << 20)
            if not d:
                break
            self.buf += d
        return self.split()

    def frames(self, n, what, quiet_s=0.02, limit_s=3.0):
        """Exactly @n frames (none more within @quiet_s)."""
        out = []
        end = time.monotonic() + limit_s
        while True:
            out += self.split()
            if len(out) > n:
                fail("stream client: %s: %d frames, expected %d" %
                     (what, len(out), n), self.log())
            left = end - time.monotonic() if len(out) < n else quiet_s
            if left <= 0:
                fail("stream client: %s: %d frames, expected %d" %
                     (what, len(out), n), self.log())
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                if len(out) == n:
                    return out
                continue
            d = self.s.recv(1 << 20)
            if not d:
                fail("stream client: %s: the switch hung up" % what,
                     self.log())
            self.buf += d


class Bench:
    """The switch, its ports and the checks every case uses."""

    def __init__(self, exe, ctl_exe, tmp):
        self.tmp = tmp
        self.vu = os.path.join(tmp, "vu.sock")
        self.open = os.path.join(tmp, "open.sock")
        self.ss = os.path.join(tmp, "ss.sock")
        self.metrics = os.path.join(tmp, "metrics.sock")
        conf = {"max_frame": MAX_FRAME, "metrics": "unix:" + self.metrics,
                "listen": [
            "vhost-user:" + self.vu, "unix:" + self.ss,
            {"url": "vhost-user:" + self.open, "mode": "0666",
             "allow_uids": []}]}
        self.sw = Switch(exe, ctl_exe, tmp, conf)
        self.log = self.sw.log

    def ports(self):
        return {p["id"]: p for p in
                json.loads(self.sw.ctl_run("--json", "ports").stdout)}

    def new_port(self, before, transport):
        """The one port attached that is not in @before, of @transport."""
        def one():
            new = [p for i, p in self.ports().items() if i not in before]
            return new if new else None
        new = wait_until("a new %s port" % transport, one, self.log)
        if len(new) != 1 or new[0]["transport"] != transport:
            fail("expected one new %s port, got %r" % (transport, new),
                 self.log())
        return new[0]["id"]

    def port(self, pid):
        p = self.ports().get(pid)
        if not p:
            fail("port %d is gone" % pid, self.log())
        return p

    def gone(self, pid, what):
        wait_until("port %d to go (%s)" % (pid, what),
                   lambda: pid not in self.ports(), self.log)

    def mark(self):
        """Where the log ends now (port ids are reused: look after it)."""
        return len(self.log())

    def closed_line(self, pid, since, why):
        """The log's "port N (...) closed: WHY" line, after @since."""
        def find():
            for ln in self.log()[since:].splitlines():
                if ("port %d (vhost-user pid=" % pid) in ln and \
                        " closed: " in ln:
                    return ln
            return None
        ln = wait_until("port %d's close line" % pid, find, self.log)
        if why not in ln:
            fail("port %d closed with %r, expected %r" % (pid, ln, why),
                 self.log())
        return ln

    def alive(self, what):
        if self.sw.p.poll() is not None:
            fail("%s: the switch exited %d" % (what, self.sw.p.returncode),
                 self.log())

    def frontend(self, name, setup=True, mrg=True):
        before = set(self.ports())
        fe = Frontend(self.vu, name, self.log)
        pid = self.new_port(before, "vhost-user")
        if setup:
            fe.setup(mrg)
            st = self.port(pid)["state"]
            if st != "up":
                fail("%s: port %d is %r after set-up" % (name, pid, st),
                     self.log())
        return fe, pid

    def maps(self):
        with open("/proc/%d/maps" % self.sw.p.pid) as f:
            return f.read()

    def nfds(self):
        return len(os.listdir("/proc/%d/fd" % self.sw.p.pid))


def expect_rx(fe, frames, what, nbufs=None):
    """@fe receives exactly @frames, each behind a header whose
    num_buffers is the buffers it took (@nbufs, default 1 each)."""
    got = fe.rx_frames(len(frames), what)
    for k, ((hdr, body, lens), f) in enumerate(zip(got, frames)):
        nb = nbufs[k] if nbufs else 1
        if hdr != bytes(10) + struct.pack("<H", nb):
            fail("%s: %s: frame %d header %s, expected num_buffers %d" %
                 (fe.name, what, k, hdr.hex(), nb), fe.log())
        if body != f:
            fail("%s: %s: frame %d differs (%d bytes, expected %d)" %
                 (fe.name, what, k, len(body), len(f)), fe.log())
        total = HDR + len(f)
        want = [RXBUF_LEN] * (nb - 1) + [total - RXBUF_LEN * (nb - 1)]
        if lens != want:
            fail("%s: %s: used lengths %r, expected %r" %
                 (fe.name, what, lens, want), fe.log())
    fe.rx_none(what, 0.02)


def expect_stream(st, frames, what):
    got = st.frames(len(frames), what)
    for k, (g, f) in enumerate(zip(got, frames)):
        if g != f:
            fail("stream client: %s: frame %d differs (%d bytes, expected "
                 "%d)" % (what, k, len(g), len(f)), st.log())


def counters(b, pid, rx, tx, what):
    """Port @pid's rx and tx frame and byte counts: exactly @rx, @tx
    ((frames, bytes) each)."""
    p = b.port(pid)
    got = ((p["rx"]["frames"], p["rx"]["bytes"]),
           (p["tx"]["frames"], p["tx"]["bytes"]))
    if got != (rx, tx):
        fail("%s: port %d counts rx %r tx %r, expected rx %r tx %r" %
             (what, pid, got[0], got[1], rx, tx), b.log())
    return p


def sizes(frames):
    return (len(frames), sum(len(f) for f in frames))


# ----------------------------------------------------------------------
def case_good(b):
    fe, a = b.frontend("a")
    before = set(b.ports())
    st = Stream(b.ss, b.log)
    s = b.new_port(before, "unix")
    to_s, to_a = [], []

    # Stream client to frontend before it has receive buffers: the frames
    # wait in the port's queue until buffers come with a kick; num_buffers
    # 1; then 9000 bytes over 5 buffers.
    fs = [frame(mac(0xA), mac(0x5), t, 60 + 100 * t) for t in range(4)]
    for f in fs:
        st.send(f)
    wait_until("4 frames queued for the frontend",
               lambda: b.port(a)["queue"]["frames"] == 4, b.log)
    fe.rx_post(64)
    expect_rx(fe, fs, "stream to frontend")
    big = frame(mac(0xA), mac(0x5), 99, 9000)
    st.send(big)
    expect_rx(fe, [big], "9000 bytes over 2 KiB buffers", [5])
    to_a += fs + [big]

    # Frontend to stream client, each shape of chain.
    one = [frame(mac(0x5), mac(0xA), t, 64 + 50 * t) for t in range(5)]
    heads = [fe.tx(f) for f in one]
    fe.tx_done(heads, "five frames")
    expect_stream(st, one, "five frames from the frontend")
    two = frame(mac(0x5), mac(0xA), 20, 300)
    three = frame(mac(0x5), mac(0xA), 21, 1500)
    r1 = frame(mac(0x5), mac(0xA), 22, 200)
    heads = [fe.tx(two, [HDR]), fe.tx(three, [HDR, HDR + 700]),
             fe.tx(r1, gpa=R1_GPA + 1000)]
    fe.tx_done(heads, "scattered chains")
    expect_stream(st, [two, three, r1], "header+frame, header+2 pieces, "
                  "a frame in region 1")
    jumbo = frame(mac(0x5), mac(0xA), 23, 9000)
    fe.tx_done([fe.tx(jumbo, [HDR, HDR + 4000, HDR + 8000])],
               "a 9000-byte frame in three pieces")
    expect_stream(st, [jumbo], "a 9000-byte frame in three pieces")
    # A burst: a ring less one of frames with one kick (the switch takes
    # them in batches, VU_TX_BUDGET at a time).
    burst, heads = [], []
    for t in range(NUM - 1):
        f = frame(mac(0x5), mac(0xA), t, 100)
        gpa = R0_GPA + BURST_OFF + 1024 * t
        fe.write(gpa, bytes(HDR) + f)
        heads.append(fe.post(TXQ, [(gpa, HDR + len(f), 0)], kick=False))
        burst.append(f)
    fe.do_kick(TXQ)
    fe.tx_done(heads, "a burst of %d frames" % len(burst))
    expect_stream(st, burst, "a burst of %d frames" % len(burst))
    to_s += one + [two, three, r1, jumbo] + burst

    p = counters(b, a, sizes(to_s), sizes(to_a), "good path, frontend")
    counters(b, s, sizes(to_a), sizes(to_s), "good path, stream client")
    if p["rx"]["forwarded"] != len(to_s) or p["rx"]["dropped"] != 0 or \
            p["tx"]["dropped"] != 0:
        fail("good path: drops on the frontend's port: %r" % p, b.log())

    # A new memory table while the queues run (memory hot-plug): the
    # rings stay where they are and frames go on both ways.
    fe.request(SET_MEM_TABLE, fe.mem_table(), [fe.fd0, fe.fd1])
    f = frame(mac(0x5), mac(0xA), 24, 300)
    fe.tx_done([fe.tx(f)], "after a new memory table")
    expect_stream(st, [f], "after a new memory table")
    g = frame(mac(0xA), mac(0x5), 25, 300)
    st.send(g)
    expect_rx(fe, [g], "after a new memory table")
    if b.port(a)["state"] != "up":
        fail("good path: port %d not up after a new memory table" % a,
             b.log())
    print("ok good: %d frames to the stream client (one buffer, header+"
          "frame, header+2 pieces, region 1, 9000 bytes in 3 pieces, a "
          "burst of %d), %d back (queued until buffers came; 9000 bytes "
          "over 5 buffers), counters exact; a new memory table on the go"
          % (len(to_s), len(burst), len(to_a)))
    return fe, a, st, s


def case_two(b, fa, a, st):
    fb, pb = b.frontend("b")
    fb.rx_post(16)
    # To b's address, not yet learned: flooded to b and the stream client.
    f1 = frame(mac(0xB), mac(0xA), 30, 100)
    fa.tx_done([fa.tx(f1)], "a to b")
    expect_rx(fb, [f1], "a to b (flooded)")
    expect_stream(st, [f1], "a to b (flooded)")
    # Back to a's learned address: only a gets it.
    f2 = frame(mac(0xA), mac(0xB), 31, 1400)
    f3 = frame(mac(0xA), mac(0xB), 32, 3000)
    fb.tx_done([fb.tx(f2), fb.tx(f3, [HDR])], "b to a")
    expect_rx(fa, [f2, f3], "b to a (unicast)", [1, 2])
    st.frames(0, "b to a is not flooded")
    # Now b is known too.
    f4 = frame(mac(0xB), mac(0xA), 33, 80)
    fa.tx_done([fa.tx(f4)], "a to b again")
    expect_rx(fb, [f4], "a to b (unicast)")
    st.frames(0, "a to b is not flooded once learned")
    counters(b, pb, sizes([f2, f3]), sizes([f1, f4]), "two frontends, b")
    print("ok two: frontend to frontend both ways, flooded then unicast")
    return fb, pb


def case_hostile(b, st):
    fe, h = b.frontend("h")
    good_n = 0

    def good(what):
        nonlocal good_n
        f = frame(mac(0x5), mac(0xC), 40 + good_n, 90)
        fe.tx_done([fe.tx(f)], "good frame after " + what)
        expect_stream(st, [f], "good frame after " + what)
        good_n += 1

    good("set-up")
    buf = fe.tx_buf(bytes(HDR) + frame(mac(0x5), mac(0xC), 1, 64))
    spare = R0_GPA + SPARE_OFF
    cases = [
        ("outside the memory table", [(0x1000, 76, 0)]),
        ("across the end of region 0",
         [(R1_GPA - 20, 76, 0)]),
        ("past the end of region 1", [(R1_GPA + R1_SIZE - 20, 76, 0)]),
        ("a header, then a buffer outside memory",
         [(buf, HDR, 0), (0x10, 64, 0)]),
        ("device-writable", [(buf, 76, D_WRITE)]),
        ("device-writable second buffer",
         [(buf, HDR, 0), (buf + HDR, 64, D_WRITE)]),
        ("INDIRECT", [(spare, 32, D_INDIRECT)]),
        ("65 buffers", [(buf, HDR, 0)] + [(buf + HDR, 1, 0)] * 64),
        ("shorter than the header", [(buf, 8, 0)]),
        ("a header and nothing", [(buf, 4, 0), (buf + 4, 0, 0),
                                  (buf + 4, 7, 0)]),
    ]
    # The INDIRECT table itself would be a fine frame.
    struct.pack_into("<QIHH", fe.m0, SPARE_OFF, buf, 76, 0, 0)
    bad = 0
    for what, bufs in cases:
        head = fe.post(TXQ, bufs)
        fe.tx_done([head], what)
        bad += 1
        p = b.port(h)
        if p["drops"]["rx_desc_bad"] != bad or p["state"] != "up":
            fail("hostile: %s: port %d shows rx_desc_bad %d state %s, "
                 "expected %d, up" % (what, h, p["drops"]["rx_desc_bad"],
                                      p["state"], bad), b.log())
        good(what)
    # Loops: two buffers pointing at each other; one empty buffer
    # pointing at itself (only the ring-size bound stops it); a next
    # index outside the table.
    i, j = fe.alloc(TXQ, 2)
    fe.put_desc(TXQ, i, buf, HDR, D_NEXT, j)
    fe.put_desc(TXQ, j, buf + HDR, 64, D_NEXT, i)
    k, = fe.alloc(TXQ, 1)
    fe.put_desc(TXQ, k, buf, 0, D_NEXT, k)
    m, = fe.alloc(TXQ, 1)
    fe.put_desc(TXQ, m, buf, HDR, D_NEXT, NUM + 5)
    for what, head in (("a two-buffer loop", i), ("an empty self-loop", k),
                       ("next outside the table", m)):
        fe.make_avail(TXQ, head)
        fe.do_kick(TXQ)
        fe.tx_done([head], what)
        bad += 1
        if b.port(h)["drops"]["rx_desc_bad"] != bad:
            fail("hostile: %s not counted as rx_desc_bad" % what, b.log())
        good(what)
    # Over max_frame, counted as such and handed back.
    over = frame(mac(0x5), mac(0xC), 60, MAX_FRAME + 1)
    fe.tx_done([fe.tx(over)], "over max_frame")
    good("over max_frame")
    p = b.port(h)
    if p["drops"]["rx_desc_bad"] != bad or p["drops"]["rx_oversize"] != 1 \
            or p["rx"]["forwarded"] != good_n or \
            p["rx"]["frames"] != good_n + bad + 1 or p["state"] != "up":
        fail("hostile: port %d shows %r, expected %d rx_desc_bad, 1 "
             "rx_oversize, %d forwarded" % (h, p, bad, good_n), b.log())
    if "guest's transmit descriptor chain is outside its memory" \
            not in b.log():
        fail("hostile: no log line for the bad chains", b.log())

    # Receive side: a good buffer, then a read-only chain, while a frame
    # that needs two buffers waits; then two more good ones. Every buffer
    # comes back exactly once and the frame lands whole.
    g, ro = fe.alloc(RXQ, 2)
    fe.put_desc(RXQ, g, R0_GPA + RXBUF_OFF + RXBUF_LEN * g, RXBUF_LEN,
                D_WRITE)
    fe.make_avail(RXQ, g)
    fe.put_desc(RXQ, ro, R0_GPA + RXBUF_OFF + RXBUF_LEN * ro, RXBUF_LEN, 0)
    fe.make_avail(RXQ, ro)
    f = frame(mac(0xC), mac(0x5), 63, 3000)
    st.send(f)
    # Two entries come back (the frame does not fit what is left), then
    # two more buffers take the frame.
    seen = fe.take_used(RXQ, 2, "a bad receive chain")
    fe.rx_post(2)
    seen += fe.take_used(RXQ, 2, "a bad receive chain, then two buffers")
    time.sleep(0.02)
    seen += fe.take_used(RXQ, fe.used_new(RXQ), "")
    heads = sorted(x[0] for x in seen)
    data = b"".join(fe.read(fe.get_desc(RXQ, x)[0], n) for x, n in seen)
    want = bytes(10) + struct.pack("<H", 2) + f
    if heads != sorted([g, ro, ro + 1, ro + 2]) or data != want:
        fail("hostile: a read-only receive chain after a good one: used "
             "entries %r for heads %d, %d (read-only), %d, %d; frame "
             "whole: %s; each buffer must come back once" %
             (seen, g, ro, ro + 1, ro + 2, data == want), b.log())
    if b.port(h)["state"] != "up":
        fail("hostile: the port is not up after the receive chain",
             b.log())
    b.alive("hostile")
    print("ok hostile: %d bad transmit chains handed back and counted "
          "(rx_desc_bad), one over max_frame (rx_oversize), a good frame "
          "after each; a bad receive chain handed back once" % bad)
    return fe, h


def case_nomrg(b, st):
    fe, n = b.frontend("n", mrg=False)
    f = frame(mac(0x5), mac(0xF), 100, 64)
    fe.tx_done([fe.tx(f)], "n's first frame")
    expect_stream(st, [f], "n's first frame")
    fe.rx_post(4)
    at = b.mark()
    fits = RXBUF_LEN - HDR
    fs = [frame(mac(0xF), mac(0x5), 101, 3000),
          frame(mac(0xF), mac(0x5), 102, 100),
          frame(mac(0xF), mac(0x5), 103, fits + 1),
          frame(mac(0xF), mac(0x5), 104, fits)]
    for x in fs:
        st.send(x)
    expect_rx(fe, [fs[1], fs[3]], "without MRG_RXBUF")
    p = b.port(n)
    if p["drops"]["tx_too_big"] != 2 or p["tx"]["frames"] != 2 or \
            p["queue"]["frames"] != 0:
        fail("nomrg: port %d shows tx_too_big %d, tx frames %d, queued %d;"
             " expected 2, 2, 0" % (n, p["drops"]["tx_too_big"],
                                   p["tx"]["frames"], p["queue"]["frames"]),
             b.log())
    want = "port %d: 1 frame(s) too big for the guest's receive buffers " \
           "dropped (this one 3000 bytes); without MRG_RXBUF" % n
    if want not in b.log()[at:]:
        fail("nomrg: no log line %r" % want, b.log())
    print("ok nomrg: without MRG_RXBUF, frames over one buffer dropped "
          "(tx_too_big) and the ones behind them delivered")
    return fe, n


def break_tx_idx(fe, st):
    fe.set_avail_idx(TXQ, fe.avail[TXQ] + NUM + 1)
    fe.do_kick(TXQ)


def break_tx_head(fe, st):
    fe.make_avail(TXQ, NUM + 3)
    fe.do_kick(TXQ)


def break_rx_idx(fe, st):
    fe.rx_post(2)
    fe.set_avail_idx(RXQ, fe.avail[RXQ] + 2 * NUM)
    st.send(frame(fe.mac, mac(0x5), 74, 64))  # makes the switch look


def case_broken(b, fa, st):
    cases = [("c", "an avail index a ring and one ahead", break_tx_idx,
              "guest's transmit ring is broken"),
             ("d", "a head outside the table", break_tx_head,
              "guest's transmit ring is broken"),
             ("e", "a receive avail index two rings ahead", break_rx_idx,
              "guest's receive ring is broken")]
    for n, (name, what, act, why) in enumerate(cases):
        fe, pid = b.frontend(name)
        fe.mac = mac(0x20 + n)
        f = frame(mac(0x5), fe.mac, 72 + n, 64)
        fe.tx_done([fe.tx(f)], name + "'s first frame")
        expect_stream(st, [f], name + "'s first frame")
        at = b.mark()
        act(fe, st)
        fe.expect_closed(what)
        b.gone(pid, what)
        b.closed_line(pid, at, why)
        fe.close()
        # The others go on: the first frontend and the stream client.
        f = frame(mac(0x5), mac(0xA), 80 + n, 120)
        fa.tx_done([fa.tx(f)], "after " + what)
        expect_stream(st, [f], "a after " + what)
        g = frame(mac(0xA), mac(0x5), 90 + n, 120)
        st.send(g)
        expect_rx(fa, [g], "after " + what)
    b.alive("broken")
    print("ok broken: avail index jumps (transmit, receive) and a head "
          "outside the table close only their port")


def short_file(fe):
    """SET_MEM_TABLE: a 2 MiB region in a file of 4 KiB (touching the
    rest would raise SIGBUS in the switch)."""
    fd = os.memfd_create("vut-short")
    os.ftruncate(fd, 4096)
    fe.send(SET_MEM_TABLE, struct.pack("<II", 1, 0) +
            struct.pack("<QQQQ", R0_GPA, R0_SIZE, R0_UVA, 0), fds=[fd])
    os.close(fd)


def pipe_as(fe, req):
    """A pipe as queue 1's call or kick: the switch would block writing
    to a full one, or spin on one whose writer has gone."""
    r, w = os.pipe()
    fe.send(req, struct.pack("<Q", 1), fds=[w if req == SET_VRING_CALL
                                            else r])
    os.close(r)
    os.close(w)


def case_garbage(b, fa, st):
    def ring_addr(desc, used, avail):
        return struct.pack("<IIQQQQ", 1, 0, desc, used, avail, 0)
    vq_addr = ring_addr(0x1000, 0x3000, 0x2000)
    fds_before = b.nfds()
    cases = [
        ("bad flags", lambda fe: fe.send(GET_FEATURES, flags=0x2),
         "not a vhost-user message (request 1, flags 0x2, 0 bytes)"),
        ("payload over 4096",
         lambda fe: fe.send(SET_MEM_TABLE, bytes(64), size=4097),
         "not a vhost-user message (request 5, flags 0x1, 4097 bytes)"),
        ("request 99", lambda fe: fe.send(99, bytes(8)),
         "vhost-user request 99: request 99 is not supported"),
        ("0 regions", lambda fe: fe.send(SET_MEM_TABLE,
                                         struct.pack("<II", 0, 0) +
                                         bytes(32), fds=[fe.fd0]),
         "vhost-user request 5: memory table with 0 regions (1-8"),
        ("9 regions", lambda fe: fe.send(
            SET_MEM_TABLE, struct.pack("<II", 9, 0) +
            struct.pack("<QQQQ", R0_GPA, 4096, R0_UVA, 0) * 9,
            fds=[fe.fd0] * 9),
         "vhost-user request 5: memory table with 9 regions (1-8"),
        ("fewer descriptors", lambda fe: fe.send(
            SET_MEM_TABLE, fe.mem_table(), fds=[fe.fd0]),
         "memory table with 2 regions came with 1 descriptors"),
        ("size 0 region", lambda fe: fe.send(
            SET_MEM_TABLE, struct.pack("<II", 1, 0) +
            struct.pack("<QQQQ", R0_GPA, 0, R0_UVA, 0), fds=[fe.fd0]),
         "memory region 0: bad size"),
        ("a region larger than its file", short_file,
         "memory region 0 needs 2097152 bytes of its file (offset 0 + "
         "size 2097152) but the file has 4096"),
        ("a region past its file's end by its offset", lambda fe: fe.send(
            SET_MEM_TABLE, struct.pack("<II", 2, 0) +
            struct.pack("<QQQQ", R0_GPA, R0_SIZE, R0_UVA, 0) +
            struct.pack("<QQQQ", R1_GPA, R1_SIZE, R1_UVA, 2 * R1_OFF),
            fds=[fe.fd0, fe.fd1]),
         "memory region 1 needs %d bytes of its file (offset %d + size "
         "%d) but the file has %d" % (2 * R1_OFF + R1_SIZE, 2 * R1_OFF,
                                      R1_SIZE, R1_OFF + R1_SIZE)),
        ("queue size 100", lambda fe: fe.negotiate() or fe.send(
            SET_VRING_NUM, struct.pack("<II", 1, 100),
            flags=FLAG_VERSION | FLAG_NEED_REPLY),
         "vhost-user request 8: queue size 100 (a power of two up to"),
        ("queue 2", lambda fe: fe.send(SET_VRING_NUM,
                                       struct.pack("<II", 2, 256)),
         "queue 2 does not exist"),
        ("a call that is a pipe", lambda fe: pipe_as(fe, SET_VRING_CALL),
         "queue 1: the call descriptor is not an eventfd"),
        ("a kick that is a pipe", lambda fe: pipe_as(fe, SET_VRING_KICK),
         "queue 1: the kick descriptor is not an eventfd"),
        ("kick without its descriptor", lambda fe: fe.send(
            SET_VRING_KICK, struct.pack("<Q", 1)),
         "request 12 came without its descriptor"),
    ]

    def rings(addr, mem=True):
        def go(fe):
            fe.negotiate()
            if mem:
                fe.request(SET_MEM_TABLE, fe.mem_table(),
                           [fe.fd0, fe.fd1])
            fe.request(SET_VRING_NUM, struct.pack("<II", 1, NUM))
            fe.request(SET_VRING_ADDR, addr)
            k = os.eventfd(0)
            fe.send(SET_VRING_KICK, struct.pack("<Q", 1), fds=[k])
            os.close(k)
        return go
    cases += [
        ("rings outside memory", rings(vq_addr),
         "queue of 256 entries at 0x1000/0x2000/0x3000: outside the "
         "guest's memory"),
        ("descriptor table over a region's end",
         rings(ring_addr(R0_UVA + R0_SIZE - 2048, R0_UVA + 0x2000,
                       R0_UVA + 0x1000)), "outside the guest's memory"),
        ("misaligned descriptor table",
         rings(ring_addr(R0_UVA + 8, R0_UVA + 0x2000, R0_UVA + 0x1000)),
         "bad size or alignment"),
        ("kick before memory", rings(vq_addr, mem=False),
         "kick for a queue without memory, size or addresses"),
        ("hang-up in a header", lambda fe: fe.s.sendall(
            struct.pack("<II", GET_FEATURES, FLAG_VERSION)) or
         fe.s.shutdown(socket.SHUT_WR), "frontend closed the connection"),
        ("hang-up in a payload", lambda fe: fe.s.sendall(
            struct.pack("<III", SET_VRING_ADDR, FLAG_VERSION, 40) +
            bytes(20)) or fe.s.shutdown(socket.SHUT_WR),
         "frontend closed the connection"),
    ]
    names = []
    for what, act, why in cases:
        fe, pid = b.frontend("g%d" % len(names), setup=False)
        at = b.mark()
        names.append(fe.name)
        act(fe)
        if what == "queue size 100":
            a = struct.unpack("<Q", fe.reply(SET_VRING_NUM))[0]
            if a != 1:
                fail("garbage: REPLY_ACK for a bad queue size says %d" % a,
                     b.log())
        fe.expect_closed(what)
        b.gone(pid, what)
        b.closed_line(pid, at, why)
        fe.close()
        b.alive(what)
    # The switch kept nothing of theirs: descriptors and mappings.
    wait_until("the daemon's descriptors back to %d" % fds_before,
               lambda: b.nfds() == fds_before, b.log, 2.0)
    maps = b.maps()
    for n in names + ["c", "d", "e"]:  # and case_broken's
        if "vut-%s-" % n in maps:
            fail("garbage: the daemon still maps %s's memory:\n%s" %
                 (n, maps), b.log())
    f = frame(mac(0x5), mac(0xA), 80, 100)
    fa.tx_done([fa.tx(f)], "after the garbage")
    expect_stream(st, [f], "a after the garbage")
    print("ok garbage: %d bad connections closed one by one with their "
          "reason; descriptors back to %d, no mapping left; others served"
          % (len(names), fds_before))


def case_reset(b, fa, a, st):
    f = frame(mac(0x5), mac(0xA), 90, 100)
    fa.tx_done([fa.tx(f)], "before reset")
    expect_stream(st, [f], "before reset")
    bases = {}
    for q in (RXQ, TXQ):
        fa.send(GET_VRING_BASE, struct.pack("<II", q, 0))
        qq, base = struct.unpack("<II", fa.reply(GET_VRING_BASE))
        bases[q] = base
        if qq != q:
            fail("reset: GET_VRING_BASE %d answered for queue %d" % (q, qq),
                 b.log())
    # Every transmit chain was taken; receive: as many as were used.
    want = {RXQ: fa.seen[RXQ], TXQ: fa.avail[TXQ]}
    if bases != want:
        fail("reset: GET_VRING_BASE says %r, expected %r" % (bases, want),
             b.log())
    p = b.port(a)
    if p["state"] != "negotiating":
        fail("reset: port %d is %r with its queues stopped" %
             (a, p["state"]), b.log())
    g = frame(mac(0xA), mac(0x5), 91, 100)
    st.send(g)
    time.sleep(0.05)
    if fa.used_idx(RXQ) != fa.seen[RXQ]:
        fail("reset: the stopped receive ring was written", b.log())
    tx_before = p["tx"]["frames"]

    # The guest sets up fresh rings on the same connection. A frame put on
    # the transmit ring and kicked before SET_VRING_ENABLE is not sent
    # while the ring is disabled.
    fa.start_queue(RXQ)
    fa.start_queue(TXQ, enable=False)
    early = frame(mac(0x5), mac(0xA), 92, 100)
    dis0 = b.port(a)["drops"]["rx_disabled"]
    h1 = fa.tx(early)
    # consumed and dropped at once, as the vhost-user spec asks
    fa.tx_done([h1], "a frame kicked on a disabled ring")
    st.frames(0, "a frame kicked on a disabled ring")
    if b.port(a)["drops"]["rx_disabled"] != dis0 + 1:
        fail("reset: the frame on the disabled ring was not counted as "
             "rx_disabled", b.log())
    fa.enable(TXQ)
    if b.port(a)["state"] != "up":
        fail("reset: port %d not up after the rings came back" % a,
             b.log())
    f1 = frame(mac(0x5), mac(0xA), 95, 100)
    fa.tx_done([fa.tx(f1)], "the first frame after the reset")
    got = st.drain(0.1)
    if got != [f1]:
        fail("reset: after SET_VRING_ENABLE the stream client got %d frames"
             " (%r), expected only the frame sent once enabled" %
             (len(got), [len(x) for x in got]), b.log())
    late = "discarded"
    fa.rx_post(8)
    f2 = frame(mac(0x5), mac(0xA), 93, 3000)
    fa.tx_done([fa.tx(f2, [HDR, HDR + 1000])], "after reset")
    expect_stream(st, [f2], "after reset")
    g2 = frame(mac(0xA), mac(0x5), 94, 5000)
    st.send(g2)
    expect_rx(fa, [g2], "after reset", [3])
    if b.port(a)["tx"]["frames"] != tx_before + 1:
        fail("reset: port %d sent %d frames after the reset, expected 1" %
             (a, b.port(a)["tx"]["frames"] - tx_before), b.log())
    print("ok reset: GET_VRING_BASE %r, carrier off, rings again on the "
          "same connection, frames flow both ways (a frame kicked on the "
          "disabled ring: %s)" % (bases, late))


def peer_child(path):
    """Child as uid/gid 65534: 10 if the file mode refuses it, 11 if the
    switch closes the connection, else 12."""
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(path)
    except PermissionError:
        os._exit(10)
    try:
        s.sendall(struct.pack("<III", GET_FEATURES, FLAG_VERSION, 0))
        if not s.recv(64):
            os._exit(11)
    except (ConnectionResetError, BrokenPipeError):
        os._exit(11)
    except socket.timeout:
        pass
    os._exit(12)


def as_nobody(path):
    pid = os.fork()
    if pid == 0:
        try:
            peer_child(path)
        except BaseException as e:  # noqa: BLE001 - report, exit
            print("child: %r" % e)
        os._exit(3)
    _, status = os.waitpid(pid, 0)
    return pid, os.waitstatus_to_exitcode(status)


def case_peers(b):
    for path in (b.vu, b.open):
        mode = os.stat(path).st_mode & 0o777
        want = 0o600 if path == b.vu else 0o666
        if mode != want:
            fail("peers: %s has mode %o, expected %o" % (path, mode, want),
                 b.log())
    if os.geteuid() != 0:
        print("ok peers: vu.sock is 0600 (not root: another uid not "
              "tried)")
        return
    os.chmod(b.tmp, 0o755)
    _, rc = as_nobody(b.vu)
    if rc != 10:
        fail("peers: uid 65534 on the 0600 socket: child exit %d, "
             "expected 10 (EACCES)" % rc, b.log())
    pid, rc = as_nobody(b.open)
    if rc != 11:
        fail("peers: uid 65534 on the 0666 listener with allow_uids []: "
             "child exit %d, expected 11 (closed by the switch)" % rc,
             b.log())
    line = "refusing vhost-user pid=%d uid=65534: uid 65534 gid 65534 " \
           "may not attach" % pid
    wait_until("the refusal in the log", lambda: line in b.log(), b.log)
    stats = json.loads(b.sw.ctl_run("--json", "status").stdout)
    refused = {x["url"]: x["peers_refused"] for x in stats["listener_stats"]}
    if refused.get("vhost-user:" + b.open) != 1 or \
            refused.get("vhost-user:" + b.vu) != 0:
        fail("peers: listener_stats %r" % refused, b.log())
    # Root may attach there (and is served).
    before = set(b.ports())
    fe = Frontend(b.open, "root", b.log)
    b.new_port(before, "vhost-user")
    fe.negotiate()
    fe.close()
    print("ok peers: 0600 socket; uid 65534 refused by the file mode, and "
          "by the switch on a 0666 listener (logged, counted); root served")


def case_metrics(b, a):
    """The vhost-user port's own counters in /metrics equal query-ports'."""
    vh = b.port(a)["vhost_user"]
    text = metrics_get(b.metrics)
    for fam in ("kicks", "calls", "rx_wait", "queue_stops"):
        name = "sockswitch_port_vhost_user_%s_total" % fam
        if "# TYPE %s counter" % name not in text:
            fail("metrics: no %s family" % name, b.log())
        lines = [ln for ln in text.splitlines()
                 if ln.startswith(name + "{") and 'port="%d"' % a in ln]
        if len(lines) != 1:
            fail("metrics: %d lines of %s for port %d" % (len(lines), name, a),
                 b.log())
        v = int(lines[0].rsplit(" ", 1)[1])
        # kicks and calls only grow between the two reads
        if v < vh[fam] or (fam in ("rx_wait", "queue_stops") and v != vh[fam]):
            fail("metrics: %s %d, query-ports said %d" % (name, v, vh[fam]),
                 b.log())
    if vh["kicks"] == 0 or vh["calls"] == 0:
        fail("metrics: the good case made no kick or call (%r)" % vh, b.log())
    for ln in text.splitlines():
        if ln.startswith("sockswitch_port_vhost_user_") and \
                'transport="unix"' in ln:
            fail("metrics: a vhost-user counter on a stream port: " + ln,
                 b.log())
    print("ok: metrics: the vhost-user port's kicks, calls, rx_wait and "
          "queue_stops, as query-ports says")


def timed(name, fn, *args):
    t = time.monotonic()
    r = fn(*args)
    print("# %s: %.2f s" % (name, time.monotonic() - t))
    return r


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    for need in ("memfd_create", "eventfd"):
        if not hasattr(os, need):
            skip("python has no os.%s (needs Linux, Python 3.10)" % need)
    if not hasattr(socket, "send_fds"):
        skip("python has no socket.send_fds (needs Python 3.9)")
    with tempfile.TemporaryDirectory(prefix="ss-vhost-") as tmp:
        b = Bench(sys.argv[1], sys.argv[2], tmp)
        try:
            fa, a, st, _ = timed("good", case_good, b)
            timed("metrics", case_metrics, b, a)
            # The connections of these frontends stay open to the end.
            keep = [timed("two", case_two, b, fa, a, st),
                    timed("hostile", case_hostile, b, st),
                    timed("nomrg", case_nomrg, b, st)]
            timed("broken", case_broken, b, fa, st)
            timed("garbage", case_garbage, b, fa, st)
            timed("reset", case_reset, b, fa, a, st)
            timed("peers", case_peers, b)
            b.alive("the end")
            for fe, _ in keep:
                fe.close()
        finally:
            b.sw.stop()
    print("# all: %.2f s" % (time.monotonic() - T0))


if __name__ == "__main__":
    main()
