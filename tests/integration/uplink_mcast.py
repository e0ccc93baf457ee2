#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""uplink_mcast.py SOCKSWITCH SOCKSWITCHCTL - the mcast uplink against a QEMU-style
multicast hub, in a network namespace of its own (only lo).

The hub's other members are plain UDP sockets made here the way QEMU's
-netdev socket,mcast=GROUP:PORT makes its own (bound to GROUP:PORT with
SO_REUSEADDR, joined, IP_MULTICAST_LOOP on, one frame per datagram). A
stream client on the switch's unix listener is the LAN side.

1. Join failure: the switch starts while lo is down and there is no
   multicast route; it must say so, name the localaddr=127.0.0.1
   workaround, and retry. Once lo is up with a multicast route, a retry
   joins and the port comes up.
2. Traffic: a member's frame reaches the stream client once (and the
   address is learned on the mcast port); 1,000 frames from the stream
   client reach each member exactly once; the switch drops its own echoes
   and counts them (mcast_echoes = the port's tx_frames); nothing comes
   back to the stream client; a member's frame byte-identical to one the
   switch just sent is still delivered; an empty, a 10-byte and an
   oversize datagram count rx_runt / rx_oversize and the port stays up.
3. Reload: the config's uplink is replaced by one with localaddr=127.0.0.1
   (the QEMU users' form) on another port: the old port closes, the new
   one joins, and frames flow both ways through it.
4. The echo counter shows everywhere counters show: the SIGUSR1 line,
   the metrics page (sockswitch_port_mcast_echoes_total, checked with
   promtool when it is installed) and `sockswitchctl ports`.

Needs root (for unshare -n and ip); exits 77 (skip) without it.
"""
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from sstest import metrics_get as scrape

GROUP = "230.0.0.1"
PORT1, PORT2 = 41001, 41002
MAX_FRAME = 2000
N_FRAMES = 1000
SW_MAC = b"\x02\x00\x00\x00\x00\x01"      # the stream client's guest
M1_MAC = b"\x02\x00\x00\x00\x01\x01"      # hub member 1's guest
BCAST = b"\xff" * 6
ETH_TYPE = b"\x88\xb5"                    # local experimental


def fail(why, log=None):
    print("FAIL: " + why)
    if log:
        print("---- switch log")
        print(read(log)[-6000:])
    sys.exit(1)


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def read(path):
    with open(path, "r", errors="replace") as f:
        return f.read()


def frame(dst, src, tag):
    f = dst + src + ETH_TYPE + tag
    return f + b"\x00" * (60 - len(f)) if len(f) < 60 else f


def tag_of(f):
    return f[14:].rstrip(b"\x00")


def enter_netns():
    """Re-run this script in a new network namespace (only lo, down)."""
    if os.environ.get("SS_MCAST_NETNS"):
        return
    if os.geteuid() != 0:
        skip("needs root for a network namespace of its own (unshare -n)")
    for tool in ("unshare", "ip"):
        if not shutil.which(tool):
            skip("%s not found" % tool)
    if subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        skip("unshare -n does not work here")
    env = dict(os.environ, SS_MCAST_NETNS="1")
    os.execvpe("unshare", ["unshare", "-n", sys.executable] + sys.argv, env)


def ip(*args):
    subprocess.run(["ip"] + list(args), check=True)


class Ctl:
    """A control socket client: one request, one reply line."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(path)
        self.f = self.s.makefile("rb")
        self.f.readline()  # greeting

    def call(self, cmd, args=None):
        req = {"execute": cmd}
        if args:
            req["arguments"] = args
        self.s.sendall(json.dumps(req).encode() + b"\n")
        r = json.loads(self.f.readline())
        if "error" in r:
            raise RuntimeError("%s: %s" % (cmd, r["error"]))
        return r["return"]

    def mcast_port(self, hub_port):
        for p in self.call("query-ports"):
            if p["transport"] == "mcast" and \
                    ":%d" % hub_port in p["peer"]:
                return p
        return None

    def close(self):
        self.s.close()


class Member:
    """A hub member as QEMU makes one."""

    def __init__(self, port, localaddr=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
        s.bind((GROUP, port))
        la = socket.inet_aton(localaddr or "0.0.0.0")
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     socket.inet_aton(GROUP) + la)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        if localaddr:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, la)
        s.setblocking(False)
        self.s, self.port, self.got = s, port, []

    def send(self, data):
        self.s.sendto(data, (GROUP, self.port))

    def drain(self):
        while True:
            try:
                d, _ = self.s.recvfrom(70000)
            except BlockingIOError:
                return
            self.got.append(d)

    def tags(self, prefix):
        return [tag_of(d) for d in self.got if tag_of(d).startswith(prefix)]


class Client:
    """A stream client on the switch (4-byte length, as QEMU's stream)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.setblocking(False)
        self.buf, self.got = b"", []

    def send(self, f):
        self.s.setblocking(True)
        self.s.sendall(struct.pack(">I", len(f)) + f)
        self.s.setblocking(False)

    def drain(self):
        while True:
            try:
                d = self.s.recv(65536)
            except BlockingIOError:
                break
            if not d:
                raise RuntimeError("the switch closed the stream client")
            self.buf += d
        while len(self.buf) >= 4:
            n = struct.unpack(">I", self.buf[:4])[0]
            if len(self.buf) < 4 + n:
                break
            self.got.append(self.buf[4:4 + n])
            self.buf = self.buf[4 + n:]

    def tags(self, prefix):
        return [tag_of(d) for d in self.got if tag_of(d).startswith(prefix)]


def pump(parties, seconds):
    end = time.monotonic() + seconds
    while True:
        for p in parties:
            p.drain()
        left = end - time.monotonic()
        if left <= 0:
            return
        select.select([p.s for p in parties], [], [], min(left, 0.05))


def wait_for(what, cond, log, timeout=20.0, parties=()):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        pump(parties, 0.05)
    fail("timed out waiting for " + what, log)


def write_config(path, sock, spec):
    with open(path, "w") as f:
        json.dump({"listen": ["unix:" + sock], "max_frame": MAX_FRAME,
                   "metrics": "unix:" + sock + ".metrics",
                   "uplinks": [spec]}, f)


def shows_counter(exe_ctl, ctlp, sock, log, port_id, echoes):
    """Step 4: the SIGUSR1 line was checked by the caller; metrics and
    sockswitchctl here."""
    line = 'sockswitch_port_mcast_echoes_total{port="%d",name="p%d",' \
        'transport="mcast"} %d' % (port_id, port_id, echoes)
    end = time.monotonic() + 5
    page = ""
    while time.monotonic() < end:
        page = scrape(sock + ".metrics")
        if line in page.splitlines():
            break
        time.sleep(0.2)
    else:
        fail("no `%s' in the metrics page:\n%s" % (
            line, "\n".join(l for l in page.splitlines() if "mcast" in l)),
            log)
    if "# TYPE sockswitch_port_mcast_echoes_total counter" not in page:
        fail("the metrics page has no TYPE line for mcast_echoes", log)
    if shutil.which("promtool"):
        r = subprocess.run(["promtool", "check", "metrics"],
                           input=page.encode(), capture_output=True)
        if r.returncode != 0:
            fail("promtool check metrics: %s" % r.stdout.decode() +
                 r.stderr.decode(), log)
    out = subprocess.run([exe_ctl, "-s", ctlp, "ports"],
                         capture_output=True, text=True)
    want = "counters on p%d: mcast_echoes %d" % (port_id, echoes)
    if out.returncode != 0 or want not in out.stdout:
        fail("sockswitchctl ports does not show `%s':\n%s%s" %
             (want, out.stdout, out.stderr), log)
    print("ok: mcast_echoes %d in the SIGUSR1 line, the metrics page%s and "
          "sockswitchctl ports" % (echoes, " (promtool ok)"
                                   if shutil.which("promtool") else ""))


def join_failure(ctl, log):
    """Step 1: lo down, no route: reported, retried, then joined."""
    wait_for("the join failure in the log",
             lambda: "cannot join multicast group %s" % GROUP in read(log),
             log, 10)
    text = read(log)
    for want in ("No such device", "localaddr=127.0.0.1", "retrying in"):
        if want not in text:
            fail("the join failure does not say `%s'" % want, log)
    p = ctl.mcast_port(PORT1)
    if not p or p["state"] != "retrying":
        fail("mcast port should be retrying while it cannot join: %s" % p,
             log)
    ip("link", "set", "lo", "up")
    ip("route", "add", "224.0.0.0/4", "dev", "lo")
    t0 = time.monotonic()
    wait_for("the mcast port to come up after lo came up",
             lambda: (ctl.mcast_port(PORT1) or {}).get("state") == "up",
             log, 40)
    print("ok: join failure reported with the localaddr=127.0.0.1 fix, "
          "retried, up %.1f s after lo came up" % (time.monotonic() - t0))


def counters(ctl, port):
    p = ctl.mcast_port(port)
    return p, p.get("transport_counters", {}).get("mcast_echoes")


def traffic(ctl, log, sock, port, localaddr, n_frames, label):
    """Step 2 (and 3 in short): frames both ways, exact counts."""
    m1, m2 = Member(port, localaddr), Member(port, localaddr)
    cl = Client(sock)
    parties = (m1, m2, cl)
    base, base_echoes = counters(ctl, port)
    base_tx, base_rx = base["tx"]["frames"], base["rx"]["frames"]

    # A member's guest speaks first: the switch learns it on the mcast port.
    m1.send(frame(BCAST, M1_MAC, b"M-hello"))
    wait_for("the member's frame at the stream client",
             lambda: cl.tags(b"M-hello"), log, 5, parties)
    pump(parties, 0.2)
    if len(cl.tags(b"M-hello")) != 1:
        fail("%s: the stream client got the member's frame %d times"
             % (label, len(cl.tags(b"M-hello"))), log)
    macs = ctl.call("query-macs")
    pid = ctl.mcast_port(port)["id"]
    if not any(m["mac"] == "02:00:00:00:01:01" and m["port"] == pid
               for m in macs):
        fail("%s: the member's mac is not learned on port %d: %s"
             % (label, pid, macs), log)

    # The LAN answers: unicast to the learned guest and broadcasts, all
    # unique; the hub must carry each exactly once to each member.
    sent = []
    for i in range(n_frames):
        dst = M1_MAC if i % 2 else BCAST
        tag = b"S-%d" % i
        cl.send(frame(dst, SW_MAC, tag))
        sent.append(tag)
        if i % 100 == 99:
            pump(parties, 0.02)
    wait_for("every frame at both members",
             lambda: len(m1.tags(b"S-")) >= n_frames and
             len(m2.tags(b"S-")) >= n_frames, log, 20, parties)
    pump(parties, 0.3)
    for name, m in (("member 1", m1), ("member 2", m2)):
        got = m.tags(b"S-")
        if sorted(got) != sorted(sent):
            fail("%s: %s got %d frames from the switch (%d distinct), "
                 "expected each of %d once" % (label, name, len(got),
                                               len(set(got)), n_frames), log)
    if cl.tags(b"S-"):
        fail("%s: %d of the stream client's own frames came back (a loop)"
             % (label, len(cl.tags(b"S-"))), log)

    # A member's guest sends a frame byte-identical to one the switch has
    # just sent: it is not an echo, so the LAN gets it.
    dup = frame(BCAST, SW_MAC, b"S-dup")
    cl.send(dup)
    wait_for("the switch's copy of S-dup at member 2",
             lambda: m2.tags(b"S-dup"), log, 5, parties)
    m1.send(dup)
    wait_for("the member's identical frame at the stream client",
             lambda: cl.tags(b"S-dup"), log, 5, parties)

    # Malformed datagrams: counted on the mcast port, which stays up.
    before, _ = counters(ctl, port)
    m1.send(b"")
    m1.send(b"0123456789")
    m1.send(b"\xff" * (MAX_FRAME + 500))
    wait_for("rx_runt and rx_oversize to count the bad datagrams",
             lambda: (lambda p: p["drops"]["rx_runt"] ==
                      before["drops"]["rx_runt"] + 2 and
                      p["drops"]["rx_oversize"] ==
                      before["drops"]["rx_oversize"] + 1)(
                 ctl.mcast_port(port)), log, 5, parties)
    m2.send(frame(BCAST, M1_MAC, b"M-after"))
    wait_for("a frame after the bad datagrams",
             lambda: cl.tags(b"M-after"), log, 5, parties)

    # Settle, then the books must balance exactly.
    pump(parties, 0.5)
    p, echoes = counters(ctl, port)
    tx = p["tx"]["frames"] - base_tx
    if p["state"] != "up":
        fail("%s: the mcast port is %s after bad datagrams" %
             (label, p["state"]), log)
    if tx != n_frames + 1:
        fail("%s: the mcast port sent %d frames, expected %d" %
             (label, tx, n_frames + 1), log)
    if echoes is None or echoes - base_echoes != tx:
        fail("%s: mcast_echoes grew by %s, the port sent %d" %
             (label, None if echoes is None else echoes - base_echoes, tx),
             log)
    # Received: M-hello, S-dup (from m1), 3 bad ones, M-after.
    rx = p["rx"]["frames"] - base_rx
    if rx != 6:
        fail("%s: the mcast port received %d frames, expected 6 (echoes "
             "must not count)" % (label, rx), log)
    want_cl = [b"M-hello", b"S-dup", b"M-after"]
    if sorted(tag_of(f) for f in cl.got) != sorted(want_cl):
        fail("%s: the stream client got %s, expected %s" %
             (label, sorted(tag_of(f) for f in cl.got), want_cl), log)
    print("ok: %s: %d frames to the hub, each once at both members; "
          "mcast_echoes %d = tx_frames %d; nothing looped; identical frame "
          "delivered; runt x2 and oversize x1 counted" %
          (label, n_frames, echoes - base_echoes, tx))
    for x in (m1, m2, cl):
        x.s.close()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    exe, exe_ctl = sys.argv[1], sys.argv[2]
    enter_netns()
    with tempfile.TemporaryDirectory(prefix="ss-mcast-") as tmp:
        os.chmod(tmp, 0o700)
        sock, ctlp = os.path.join(tmp, "sw.sock"), os.path.join(tmp, "c")
        cfg, log = os.path.join(tmp, "sw.json"), os.path.join(tmp, "sw.log")
        write_config(cfg, sock, "mcast:%s:%d" % (GROUP, PORT1))
        with open(log, "wb") as lf:
            sw = subprocess.Popen([exe, "--foreground", "-c", cfg,
                                   "--control", ctlp, "-v"],
                                  stdin=subprocess.DEVNULL, stdout=lf,
                                  stderr=subprocess.STDOUT)
        ctl = None
        try:
            wait_for("ready", lambda: "\nready pid=" in "\n" + read(log),
                     log, 10)
            ctl = Ctl(ctlp)
            join_failure(ctl, log)
            traffic(ctl, log, sock, PORT1, None, N_FRAMES, "no localaddr")

            # Reload: another hub port, joined on loopback as QEMU's users
            # do. The old port closes, the new one comes up.
            write_config(cfg, sock, "mcast:%s:%d,localaddr=127.0.0.1"
                         % (GROUP, PORT2))
            old_id = ctl.mcast_port(PORT1)["id"]
            sw.send_signal(signal.SIGHUP)
            wait_for("the reload to swap the mcast uplinks",
                     lambda: ctl.mcast_port(PORT1) is None and
                     (ctl.mcast_port(PORT2) or {}).get("state") == "up",
                     log, 15)
            if "uplink mcast %s:%d removed from the config" % (
                    GROUP, PORT1) not in read(log):
                fail("the reload did not log the removed uplink", log)
            print("ok: reload closed port %d and started port %d "
                  "(localaddr=127.0.0.1)"
                  % (old_id, ctl.mcast_port(PORT2)["id"]))
            traffic(ctl, log, sock, PORT2, "127.0.0.1", 200, "localaddr")

            # The SIGUSR1 line, metrics and sockswitchctl show the counter.
            pid2 = ctl.mcast_port(PORT2)["id"]
            sw.send_signal(signal.SIGUSR1)
            wait_for("the stats line with mcast_echoes",
                     lambda: any(l.startswith("sockswitch: info: stats "
                                              "port=%d " % pid2) and
                                 l.endswith(" mcast_echoes=201 "
                                            "mcast_rx_overruns=0")
                                 for l in read(log).splitlines()), log, 5)
            shows_counter(exe_ctl, ctlp, sock, log, pid2, 201)
        finally:
            if ctl:
                ctl.close()
            sw.terminate()
            try:
                rc = sw.wait(timeout=10)
            except subprocess.TimeoutExpired:
                sw.kill()
                rc = sw.wait()
        if rc != 0:
            fail("the switch exited with status %d on SIGTERM" % rc, log)
        if " final port=" not in read(log) or "mcast_echoes=" not in \
                read(log):
            fail("no final counters of the mcast port at exit", log)
    print("ok: mcast uplink")


if __name__ == "__main__":
    main()
