#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""stp.py SOCKSWITCH SOCKSWITCHCTL switches|bridge - spanning tree (issue 16)

switches (no root needed): two sockswitch instances cabled twice. A
listens on two TCP ports ("edge": false), B dials both (--connect ports
are never edge ports); A has the lower priority. Timers: hello 1 s, max
age 6 s, forward delay 4 s.
  1. After convergence B's root is A, one of B's two cables forwards (the
     root port) and the other blocks; a broadcast from a guest of A
     reaches B's guest exactly once and does not come back to A's other
     guest twice.
  2. The active cable is unplugged (disabled on B): the other takes over
     within max_age + 2 x forward_delay (+1 s), and the broadcast gets
     through again, once.
  3. A guest that sends malformed BPDUs (short, wrong LLC, max age 200 s)
     and a BPDU claiming a better root with nonsense timers gets them
     counted as refused (rx_bad); the tree does not change.
  4. A guest port of a listener with "bpdu_guard": true that sends a BPDU
     is disabled (BPDU_GUARD event, state disabled), and `sockswitchctl
     enable` brings it back.
  5. With STP off a BPDU from a guest is flooded to the other guests.

bridge (root, network namespaces): a Linux bridge br0 with stp_state 1 and
two taps that are both sockswitch uplinks (a loop through the kernel),
and a host H on br0 (a veth into its own namespace, 10.78.0.2).
  1. After convergence the kernel reports sockswitch as its root (the
     switch's priority 4096 is lower), and one of the four ports of the
     loop blocks.
  2. A switch guest's ARP for H is answered and its ping too.
  3. A broadcast from a switch guest reaches the other switch guest once.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sstest import Client, fail, skip, start_switch, ctl_run  # noqa: E402
from nslab import Lab, arp, icmp_echo, is_arp_reply_from  # noqa: E402

TIMERS = {"hello_time": 1, "max_age": 6, "forward_delay": 4}
BCAST = b"\xff" * 6
GROUP = bytes.fromhex("0180c2000000")


class Sw:
    def __init__(self, exe, ctl_exe, tmp, name, cfg, netns=None):
        self.tmp, self.ctl_exe, self.name = tmp, ctl_exe, name
        self.ctlp = os.path.join(tmp, name + ".ctl")
        self.cfg = os.path.join(tmp, name + ".json")
        self.logpath = os.path.join(tmp, name + ".log")
        with open(self.cfg, "w") as f:
            json.dump(cfg, f)
        args = [exe, "--config", self.cfg, "--control", self.ctlp]
        if netns:
            args = ["ip", "netns", "exec", netns] + args
        self.p = start_switch(args, self.logpath)

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def ctl(self, *args, check=True):
        return ctl_run(self.ctl_exe, self.ctlp, args, check, self.log)

    def ports(self):
        return json.loads(self.ctl("--json", "ports").stdout)

    def status(self):
        return json.loads(self.ctl("--json", "status").stdout)

    def port(self, name):
        for p in self.ports():
            if p["name"] == name:
                return p
        fail("%s: no port %s" % (self.name, name), self.log())

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def frame(dst, src, tag):
    f = dst + src + b"\x88\xb5" + tag
    return f + b"\0" * (60 - len(f))


def attached(sw, n, what):
    """Wait until @sw has @n ports of unix clients (it accepts in its own
    time: slowly under ASan on a loaded machine)."""
    wait_for(what, lambda: len([p for p in sw.ports()
                                if p["transport"] == "unix"]) >= n,
             10, sw.log)


def copies(c, tag, quiet=0.7):
    return sum(1 for _, f in c.recv_all(quiet, 5) if tag in f[14:])


def wait_for(what, cond, limit, log):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    fail("timed out waiting for " + what, log())


def bpdu(root_prio=0x1000, max_age=20, hello=2, fwd=15, llc=b"\x42\x42\x03",
         proto=0, length=None):
    b = struct.pack("!HBBB", proto, 0, 0, 0)
    b += struct.pack("!HIHI", root_prio, 0x02000000, 0x0001, 0)  # root
    b = b[:5] + struct.pack("!Q", (root_prio << 48) | 0x0200000000ee)
    b += struct.pack("!I", 0)
    b += struct.pack("!Q", (root_prio << 48) | 0x0200000000ee)
    b += struct.pack("!H", 0x8001)
    b += struct.pack("!HHHH", 0, max_age * 256, hello * 256, fwd * 256)
    body = llc + b
    ln = len(body) if length is None else length
    f = GROUP + bytes.fromhex("0200000000ee") + struct.pack("!H", ln) + body
    return f + b"\0" * max(0, 60 - len(f))


def stp_of(sw, name):
    return sw.port(name).get("stp") or {}


def switches(exe, ctl_exe, tmp):
    a = b = None
    try:
        pa, pb = 47100 + os.getpid() % 400, 47600 + os.getpid() % 400
        a = Sw(exe, ctl_exe, tmp, "a", {
            "listen": ["unix:" + os.path.join(tmp, "a.sock"),
                       {"url": "tcp:127.0.0.1:%d" % pa, "edge": False},
                       {"url": "tcp:127.0.0.1:%d" % pb, "edge": False},
                       {"url": "unix:" + os.path.join(tmp, "g.sock"),
                        "bpdu_guard": True}],
            "stp": dict(TIMERS, priority=4096)})
        b = Sw(exe, ctl_exe, tmp, "b", {
            "listen": ["unix:" + os.path.join(tmp, "b.sock")],
            "connect": ["tcp:127.0.0.1:%d" % pa, "tcp:127.0.0.1:%d" % pb],
            "stp": dict(TIMERS)})
        ga = Client(os.path.join(tmp, "a.sock"), bytes.fromhex("02000000aa01"))
        ga2 = Client(os.path.join(tmp, "a.sock"),
                     bytes.fromhex("02000000aa02"))
        gb = Client(os.path.join(tmp, "b.sock"), bytes.fromhex("02000000bb01"))
        attached(a, 2, "A's guests")
        attached(b, 1, "B's guest")

        # 1. Convergence: B's root port forwards, its other cable blocks.
        def converged():
            s = b.status()["stp"]
            st = sorted(stp_of(b, n).get("state") for n in ("p1", "p2"))
            return s["root_port"] and st == ["blocking", "forwarding"] and s
        s = wait_for("convergence", converged, 30, b.log)
        if s["root_id"] != a.status()["stp"]["bridge_id"]:
            fail("B's root is %s, not A (%s)" % (
                s["root_id"], a.status()["stp"]["bridge_id"]), b.log())
        active = s["root_port"]
        other = "p2" if active == "p1" else "p1"
        ga.send_raw(frame(BCAST, ga.mac, b"one"))
        n_b, n_a2 = copies(gb, b"one"), copies(ga2, b"one")
        if n_b != 1 or n_a2 != 1:
            fail("broadcast arrived %d times on B's guest and %d times on "
                 "A's other guest, expected once each" % (n_b, n_a2),
                 b.log())
        print("ok 1 - B's root is A through %s, %s blocks, a broadcast "
              "arrives once" % (active, other))

        # 2. Unplug the active cable: the other takes over.
        t0 = time.monotonic()
        b.ctl("disable", active)
        wait_for("failover", lambda: stp_of(b, other).get("state") ==
                 "forwarding", 6 + 2 * 4 + 1, b.log)
        took = time.monotonic() - t0
        gb.recv_all(0.3, 1)
        ga.send_raw(frame(BCAST, ga.mac, b"two"))
        n = copies(gb, b"two")
        if n != 1:
            fail("after failover the broadcast arrived %d times" % n,
                 b.log())
        print("ok 2 - %s forwards %.1f s after %s was unplugged (limit "
              "max_age + 2 x forward_delay = 14 s)" % (other, took, active))

        # 3. Malformed BPDUs from a guest are refused and change nothing.
        before = stp_of(a, "p1").get("rx_bad", 0)
        root = b.status()["stp"]["root_id"]
        bad = [bpdu()[:20], bpdu(llc=b"\xaa\xaa\x03"), bpdu(max_age=200),
               bpdu(root_prio=0, fwd=1), bpdu(proto=7)]
        gp = [p for p in a.ports() if p["transport"] == "unix" and
              p.get("stp", {}).get("edge")]
        for f in bad:
            ga.send_raw(f)
        time.sleep(0.5)
        refused = sum(p.get("stp", {}).get("rx_bad", 0)
                      for p in a.ports())
        if refused < len(bad):
            fail("%d of %d malformed BPDUs counted as refused" % (
                refused, len(bad)), a.log())
        if b.status()["stp"]["root_id"] != root or \
                a.status()["stp"]["root"] is not True:
            fail("a malformed BPDU changed the tree", a.log())
        del before, gp
        print("ok 3 - %d malformed BPDUs refused (rx_bad), the tree is "
              "unchanged" % len(bad))

        # 4. BPDU guard.
        g = Client(os.path.join(tmp, "g.sock"), bytes.fromhex("02000000cc01"))
        attached(a, 3, "the guarded guest")
        gport = [p for p in a.ports() if p.get("bpdu_guard")]
        if len(gport) != 1:
            fail("no guarded port", a.log())
        g.send_raw(bpdu(root_prio=0xf000))
        gname = gport[0]["name"]
        wait_for("the guard", lambda: a.port(gname)["state"] == "disabled",
                 3, a.log)
        if a.port(gname)["bpdu_guard_trips"] != 1:
            fail("bpdu_guard_trips not 1", a.log())
        if "bpdu_guard" not in a.log():
            fail("the guard was not logged", a.log())
        a.ctl("enable", gname)
        if a.port(gname)["state"] == "disabled":
            fail("enable did not bring the guarded port back", a.log())
        print("ok 4 - a BPDU on a bpdu_guard port disables it; "
              "sockswitchctl enable brings it back")
        for s in (ga, ga2, gb, g):
            s.s.close()
    finally:
        for s in (a, b):
            if s:
                s.stop()

    # 5. STP off: BPDUs are flooded as the Linux bridge floods them.
    c = None
    try:
        c = Sw(exe, ctl_exe, tmp, "c", {
            "listen": ["unix:" + os.path.join(tmp, "c.sock")]})
        g1 = Client(os.path.join(tmp, "c.sock"), bytes.fromhex("02000000dd01"))
        g2 = Client(os.path.join(tmp, "c.sock"), bytes.fromhex("02000000dd02"))
        attached(c, 2, "C's guests")
        g1.send_raw(bpdu())
        got = [f for _, f in g2.recv_all(0.5, 3) if f[:6] == GROUP]
        if len(got) != 1:
            fail("STP off: the BPDU reached the other guest %d times" %
                 len(got), c.log())
        print("ok 5 - with STP off a BPDU is flooded")
    finally:
        if c:
            c.stop()


def bridge(exe, ctl_exe, tmp):
    if os.geteuid() != 0:
        skip("needs root for network namespaces, taps and a Linux bridge")
    if not os.path.exists("/dev/net/tun") or not shutil.which("ip"):
        skip("needs /dev/net/tun and ip (iproute2)")
    lab = Lab("ssstp")
    sw = None
    try:
        lab.add_ns("S")
        lab.add_ns("H")
        run = lab.run
        run("ip", "link", "add", "br0", "type", "bridge", "stp_state", "1",
            "forward_delay", "400", "hello_time", "100", "max_age", "600",
            "priority", "32768", ns="S")
        for t in ("tap0", "tap1"):
            run("ip", "tuntap", "add", "dev", t, "mode", "tap", ns="S")
            run("ip", "link", "set", t, "master", "br0", "up", ns="S")
        run("ip", "link", "add", "vh", "netns", lab.ns["S"], "type", "veth",
            "peer", "name", "eth0", "netns", lab.ns["H"])
        run("ip", "link", "set", "vh", "master", "br0", "up", ns="S")
        run("ip", "link", "set", "br0", "up", ns="S")
        run("ip", "addr", "add", "10.78.0.2/24", "dev", "eth0", ns="H")
        run("ip", "link", "set", "eth0", "up", ns="H")
        sw = Sw(exe, ctl_exe, tmp, "s", {
            "listen": ["unix:" + os.path.join(tmp, "s.sock")],
            "uplinks": ["tap:tap0", "tap:tap1"],
            "stp": dict(TIMERS, priority=4096)}, netns=lab.ns["S"])
        lab.own(sw.p)
        mine = wait_for("the switch's bridge id",
                        lambda: sw.status()["stp"].get("bridge_id"), 5,
                        sw.log)

        def kernel_root():
            return run("cat", "/sys/class/net/br0/bridge/root_id",
                       ns="S").stdout.strip()

        def kernel_states():
            return {t: run("cat", "/sys/class/net/br0/brif/%s/state" % t,
                           ns="S").stdout.strip()
                    for t in ("tap0", "tap1", "vh")}

        def converged():
            if kernel_root() != mine:
                return None
            ks = kernel_states()
            ss = {n: stp_of(sw, n).get("state") for n in ("p1", "p2")}
            # 3 = forwarding, 4 = blocking (br_private.h BR_STATE_*)
            blocked = [t for t in ("tap0", "tap1") if ks[t] == "4"] + \
                [n for n, v in ss.items() if v == "blocking"]
            fwd_k = [t for t in ks if ks[t] == "3"]
            fwd_s = [n for n, v in ss.items() if v == "forwarding"]
            if len(blocked) == 1 and len(fwd_k) + len(fwd_s) == 4:
                return (blocked, ks, ss)
            return None
        blocked, ks, ss = wait_for("the kernel bridge to converge",
                                   converged, 25, sw.log)
        print("ok 1 - the Linux bridge reports sockswitch (%s) as its "
              "root; blocked: %s (kernel %s, switch %s)" %
              (mine, blocked[0], ks, ss))

        c = Client(os.path.join(tmp, "s.sock"), bytes.fromhex("020000780064"))
        c2 = Client(os.path.join(tmp, "s.sock"),
                    bytes.fromhex("020000780065"))
        attached(sw, 2, "the switch's guests")
        hmac = None
        for _ in range(5):
            c.send_raw(arp(1, c.mac, "10.78.0.100", None, "10.78.0.2"))
            for _, f in c.recv_all(0.5, 3):
                if is_arp_reply_from(f, "10.78.0.2"):
                    hmac = f[22:28]
            if hmac:
                break
        if not hmac:
            fail("no ARP reply from the host on the bridge", sw.log())
        ok = False
        for _ in range(3):
            c.send_raw(icmp_echo(c.mac, hmac, "10.78.0.100", "10.78.0.2",
                                 7))
            ok = any(f[12:14] == b"\x08\x00" and f[34] == 0
                     for _, f in c.recv_all(0.5, 3))
            if ok:
                break
        if not ok:
            fail("no echo reply from the host on the bridge", sw.log())
        print("ok 2 - a switch guest gets ARP and ping answers from a host "
              "on the Linux bridge")
        c2.recv_all(0.3, 1)
        c.send_raw(frame(BCAST, c.mac, b"loop"))
        n = copies(c2, b"loop", 1.0)
        back = copies(c, b"loop", 0.3)
        if n != 1 or back:
            fail("the broadcast reached the other guest %d times and came "
                 "back %d times" % (n, back), sw.log())
        print("ok 3 - a broadcast arrives once and does not come back")
    finally:
        if sw:
            sw.stop()
        lab.cleanup()


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("switches", "bridge"):
        print("usage: stp.py SOCKSWITCH SOCKSWITCHCTL switches|bridge")
        return 2
    tmp = tempfile.mkdtemp(prefix="ssstp.")
    os.chmod(tmp, 0o755)
    try:
        if sys.argv[3] == "switches":
            switches(sys.argv[1], sys.argv[2], tmp)
        else:
            bridge(sys.argv[1], sys.argv[2], tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
