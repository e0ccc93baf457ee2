#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""slirp_limits.py SOCKSWITCH - a guest cannot exhaust the daemon's
descriptors through the slirp uplink.

The switch runs a slirp uplink with low bounds (conn-max=40,
conn-max-guest=20, half-open-max-guest=8). Guests are raw stream clients
on a unix listener that build their own Ethernet frames:

  D  sends SYNs to the gateway (10.0.2.2 is the host's 127.0.0.1) on a
     port whose listener never accepts and whose backlog is full, so the
     host connects hang: at most 8 of them are in progress at once;
  A  then sends 300 SYNs to a port that accepts: it holds at most 20
     host sockets, the rest are refused with a reset from the gateway;
  A  still gets a DHCP offer (DHCP opens no host socket);
  B  (a second guest) still gets a DHCP offer and its connection;
  C  fills the uplink's total: refused at 40, counted as conn_max.

All the while the daemon's descriptors stay within its baseline plus the
bound, and the control socket answers every query in well under a second.
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

GW = bytes([10, 0, 2, 2])
SLIRP_MAC = bytes.fromhex("52550a000202")
BCAST = b"\xff" * 6
CONN_MAX, GUEST_MAX, HALF_OPEN_MAX = 40, 20, 8


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


class Fail(Exception):
    pass


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000,
                    64, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def tcp_syn(mac, ip, sport, dport):
    t = struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 5 << 4, 0x02, 65535,
                    0, 0)
    pseudo = ip + GW + struct.pack("!BBH", 0, 6, len(t))
    t = t[:16] + struct.pack("!H", csum(pseudo + t)) + t[18:]
    return eth(SLIRP_MAC, mac, 0x0800, ipv4(ip, GW, 6, t))


def arp_request(mac, ip):
    a = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac, ip,
                    b"\0" * 6, GW)
    return eth(BCAST, mac, 0x0806, a)


def dhcp_discover(mac, xid):
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128sI", 1, 1, 6, 0, xid, 0,
                        0x8000, b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                        mac + b"\0" * 10, b"\0" * 64, b"\0" * 128,
                        0x63825363)
    bootp += bytes([53, 1, 1, 255])
    udp = struct.pack("!HHHH", 68, 67, 8 + len(bootp), 0) + bootp
    return eth(BCAST, mac, 0x0800,
               ipv4(b"\0" * 4, b"\xff" * 4, 17, udp))


class Guest:
    """A stream client on the switch that records the frames it gets."""

    def __init__(self, path, n):
        self.mac = bytes([0x52, 0x54, 0, 0, 0, n])
        # static addresses outside the DHCP pool (.15-.30): a lease must
        # not move another guest's address in slirp's ARP table
        self.ip = bytes([10, 0, 2, 100 + n])
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.frames = []
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self.reader, daemon=True)
        self.t.start()
        self.send(arp_request(self.mac, self.ip))

    def reader(self):
        buf = b""
        while True:
            try:
                d = self.s.recv(65536)
            except OSError:
                return
            if not d:
                return
            buf += d
            while len(buf) >= 4:
                n = struct.unpack("!I", buf[:4])[0]
                if len(buf) < 4 + n:
                    break
                with self.lock:
                    self.frames.append(buf[4:4 + n])
                buf = buf[4 + n:]

    def send(self, f):
        self.s.sendall(struct.pack("!I", len(f)) + f)

    def tcp_from_gw(self, dport, flags):
        """Ports of TCP segments from the gateway port @dport to us whose
        flags include all of @flags."""
        out = set()
        with self.lock:
            frames = list(self.frames)
        for f in frames:
            if (len(f) >= 54 and f[0:6] == self.mac and f[12:14] ==
                    b"\x08\x00" and f[23] == 6 and f[26:30] == GW):
                ihl = (f[14] & 15) * 4
                t = f[14 + ihl:]
                sp, dp = struct.unpack("!HH", t[:4])
                if sp == dport and t[13] & flags == flags:
                    out.add(dp)
        return out

    def dhcp_offer(self):
        with self.lock:
            frames = list(self.frames)
        for f in frames:
            if (len(f) > 282 and f[12:14] == b"\x08\x00" and f[23] == 17 and
                    f[34:38] == b"\x00\x43\x00\x44" and f[42] == 2 and
                    f[70:76] == self.mac):
                return True
        return False

    def close(self):
        self.s.close()


class Ctl:
    """A control connection that times its round trips."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        self.f.readline()  # greeting

    def query(self, cmd):
        import json
        t0 = time.monotonic()
        self.s.sendall((json.dumps({"execute": cmd}) + "\n").encode())
        line = self.f.readline()
        dt = time.monotonic() - t0
        r = json.loads(line)
        if "return" not in r:
            raise Fail("%s: %s" % (cmd, line))
        return r["return"], dt


def wait_until(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise Fail("timed out waiting for " + what)


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def run(binary, top, log_path):
    sw_sock = os.path.join(top, "sw.sock")
    ctl_sock = os.path.join(top, "ctl.sock")
    # a port that accepts (the kernel completes connects in its backlog)
    # and one whose backlog is full, so host connects hang
    open_l = socket.socket()
    open_l.bind(("127.0.0.1", 0))
    open_l.listen(1024)
    open_port = open_l.getsockname()[1]
    stuck_l = socket.socket()
    stuck_l.bind(("127.0.0.1", 0))
    stuck_l.listen(0)
    stuck_port = stuck_l.getsockname()[1]
    fillers = []
    for _ in range(4):  # fill the stuck listener's accept queue
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", stuck_port))
        except BlockingIOError:
            pass
        fillers.append(c)
    time.sleep(0.2)

    logf = open(log_path, "w")
    sw = subprocess.Popen(
        [binary, "--listen", "unix:" + sw_sock, "--control", ctl_sock,
         "--uplink", "slirp,conn-max=%d,conn-max-guest=%d,"
         "half-open-max-guest=%d" % (CONN_MAX, GUEST_MAX, HALF_OPEN_MAX)],
        stdout=logf, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "ready pid=" in open(log_path).read() or
                   sw.poll() is not None, 10, "the switch to start")
        if sw.poll() is not None:
            log = open(log_path).read()
            if "slirp" in log and "unknown uplink" in log:
                skip("this build has no slirp uplink")
            raise Fail("the switch exited")
        ctl = Ctl(ctl_sock)
        a = Guest(sw_sock, 15)
        b = Guest(sw_sock, 16)
        c = Guest(sw_sock, 17)
        d = Guest(sw_sock, 18)
        worst = [0.0]
        stop = threading.Event()

        def poll_ctl():
            c2 = Ctl(ctl_sock)
            while not stop.is_set():
                try:
                    _, dt = c2.query("query-status")
                except (OSError, ValueError):
                    return  # the switch stopped: the test failed anyway
                worst[0] = max(worst[0], dt)
                time.sleep(0.02)

        pt = threading.Thread(target=poll_ctl, daemon=True)
        pt.start()
        time.sleep(0.3)
        base = nfds(sw.pid)  # the guests' and both control connections

        # half-open: connects that never complete
        for i in range(60):
            d.send(tcp_syn(d.mac, d.ip, 20000 + i, stuck_port))
        time.sleep(1.0)
        st, _ = ctl.query("query-slirp")
        print("after SYNs to a stuck port:", st)
        held = st["sockets"]
        if st["half_open"] > HALF_OPEN_MAX or held > HALF_OPEN_MAX + 1:
            raise Fail("%d connects in progress, bound %d" %
                       (st["half_open"], HALF_OPEN_MAX))
        if st["refused"]["half_open_max_guest"] == 0:
            raise Fail("no SYN refused for half-open-max-guest")

        # the guest's own bound: 300 SYNs, at most 20 sockets (in bursts
        # of 5 that complete before the next, to stay under the bound on
        # connects in progress)
        for i in range(300):
            a.send(tcp_syn(a.mac, a.ip, 30000 + i, open_port))
            if i % 5 == 4:
                time.sleep(0.01)
        wait_until(lambda: len(a.tcp_from_gw(open_port, 0x04)) > 0, 5,
                   "a reset for a refused SYN")
        st, _ = ctl.query("query-slirp")
        print("after 300 SYNs from one guest:", st)
        if st["sockets"] - held > GUEST_MAX:
            raise Fail("guest A holds %d host sockets, bound %d" %
                       (st["sockets"] - held, GUEST_MAX))
        if st["refused"]["conn_max_guest"] < 250:
            raise Fail("only %d SYNs refused for conn-max-guest" %
                       st["refused"]["conn_max_guest"])
        if nfds(sw.pid) > base + held + GUEST_MAX:
            raise Fail("%d descriptors, baseline %d + %d + bound %d" %
                       (nfds(sw.pid), base, held, GUEST_MAX))
        synack = a.tcp_from_gw(open_port, 0x12)
        if not synack:
            raise Fail("guest A got no connection at all")

        # DHCP opens nothing: the guest at its bound still gets a lease
        a.send(dhcp_discover(a.mac, 1))
        b.send(dhcp_discover(b.mac, 2))
        wait_until(lambda: a.dhcp_offer() and b.dhcp_offer(), 5,
                   "DHCP offers for guests A and B")

        # another guest still connects
        b.send(tcp_syn(b.mac, b.ip, 40000, open_port))
        wait_until(lambda: 40000 in b.tcp_from_gw(open_port, 0x12), 5,
                   "guest B's SYN+ACK")

        # the uplink's total
        for i in range(100):
            c.send(tcp_syn(c.mac, c.ip, 50000 + i, open_port))
            if i % 5 == 4:
                time.sleep(0.01)
        wait_until(lambda: ctl.query("query-slirp")[0]["refused"]
                   ["conn_max"] > 0, 5, "a refusal at conn-max")
        st, _ = ctl.query("query-slirp")
        print("after guest C:", st)
        if st["sockets"] > CONN_MAX or st["peak"] > CONN_MAX:
            raise Fail("%d host sockets (peak %d), bound %d" %
                       (st["sockets"], st["peak"], CONN_MAX))
        n = nfds(sw.pid)
        print("descriptors: baseline %d, now %d" % (base, n))
        if n > base + CONN_MAX:
            raise Fail("%d descriptors, baseline %d + bound %d" %
                       (n, base, CONN_MAX))
        stop.set()
        pt.join(5)
        # a new control client gets in, too
        _, dt = Ctl(ctl_sock).query("query-status")
        print("control: slowest query %.1f ms, new client %.1f ms" %
              (worst[0] * 1000, dt * 1000))
        if worst[0] > 1.0 or dt > 1.0:
            raise Fail("control socket slow: %.2f s" % max(worst[0], dt))
        log = open(log_path).read()
        if "refused a new" not in log and "refused a TCP" not in log:
            raise Fail("no refusal logged")
        if log.count("refused a TCP connection") > 40:
            raise Fail("refusals not rate-limited: %d lines" %
                       log.count("refused a TCP connection"))
        for g in (a, b, c, d):
            g.close()
    finally:
        sw.terminate()
        try:
            sw.wait(10)
        except subprocess.TimeoutExpired:
            sw.kill()
            sw.wait()
        logf.close()
        for s in fillers + [open_l, stuck_l]:
            s.close()
    if sw.returncode != 0:
        raise Fail("the switch exited with %d" % sw.returncode)


def main():
    if len(sys.argv) != 2:
        print("usage: slirp_limits.py SOCKSWITCH")
        sys.exit(2)
    binary = os.path.abspath(sys.argv[1])
    top = tempfile.mkdtemp(prefix="ssslirplim.")
    log_path = os.path.join(top, "sw.log")
    try:
        run(binary, top, log_path)
    except Fail as e:
        print("FAIL: %s" % e)
        print("---- switch log")
        print(open(log_path).read())
        shutil.rmtree(top, ignore_errors=True)
        sys.exit(1)
    shutil.rmtree(top, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
