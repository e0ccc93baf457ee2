#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vxlan.py SOCKSWITCH SOCKSWITCHCTL - vxlan uplinks against the Linux
kernel's own vxlan devices and against another sockswitch, in network
namespaces made here.

An underlay bridge in namespace S (10.77.0.1/24, fd77::1/64) joins:
  K1 10.77.0.2  vx0 id 42 dstport 4789              overlay 192.168.77.2
  K2 10.77.0.3  vx0 id 42 dstport 4789              overlay 192.168.77.3
  K3 10.77.0.4  vx0 id 42, no dstport (Linux: 8472) overlay 192.168.77.4
  K6 fd77::6    vx0 id 42 dstport 4789 over IPv6    overlay 192.168.77.6
  T  10.77.0.5  a second sockswitch, vxlan to S
Each kernel VTEP knows only S (remote 10.77.0.1 / fd77::1). The switch in
S has one vxlan port per remote; a stream client on its unix listener is
192.168.77.100 on the overlay.

1. The client's ARP for 192.168.77.2 is answered by K1's kernel, and its
   ping too; the same for K3 on port 8472.
2. K1 pings K2 and K3 through the switch (a star: the switch relays).
3. A client on T and the client on S exchange frames (two sockswitch
   instances joined over VXLAN).
4. Bad datagrams from K1's address (empty, short, an inner runt, wrong
   flags, a reserved bit, a wrong VNI) and one from a stranger address
   are dropped and counted (rx_runt, rx_encap_bad, rx_encap_vni,
   vxlan_strangers); the tunnel still works.
5. MTU: a 1514-byte frame does not fit a 1500 underlay (it would need
   1550): dropped, tx_too_big, and the log names 1464 as the largest
   inner frame that fits; a 1464-byte frame goes through.
6. Reload: K6 (IPv6 underlay) added as an object, K2 removed: K1's port
   keeps its number, K2's closes, K6's comes up; K1 pings K6, and an IPv6
   datagram with a zero UDP checksum is counted (vxlan_udp6_csum_errors).
7. VLAN mapping: VNI 43 to K2 is VLAN 20 (vlan=20): a client of a VLAN-20
   listener ARPs K2's second device, the untagged client sees that
   broadcast tagged 20, and its own untagged ARP does not reach VNI 43.
8. sockswitchctl ports shows each port's VNI and remote.

Needs root (ip netns, vxlan devices); exits 77 (skip) without them.
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
from nslab import Lab, arp, icmp_echo  # noqa: E402

CLIENT_MAC = bytes.fromhex("020000770064")
CLIENT_IP = "192.168.77.100"
T_MAC = bytes.fromhex("020000770065")
lab = Lab("ssvx")
run, mac_of = lab.run, lab.mac_of


def preflight():
    if os.geteuid() != 0:
        skip("needs root for network namespaces and kernel vxlan devices")
    if not shutil.which("ip") or not shutil.which("ping"):
        skip("needs ip (iproute2) and ping")
    n = lab.prefix + "-probe"
    if subprocess.run(["ip", "netns", "add", n],
                      capture_output=True).returncode != 0:
        skip("ip netns add does not work here")
    r = subprocess.run(["ip", "netns", "exec", n, "ip", "link", "add", "vx0",
                        "type", "vxlan", "id", "1", "dstport", "4789",
                        "remote", "192.0.2.1"], capture_output=True,
                       text=True)
    subprocess.run(["ip", "netns", "del", n], capture_output=True)
    if r.returncode != 0:
        skip("the kernel cannot make vxlan devices: " + r.stderr.strip())


def topology():
    for k in ("S", "K1", "K2", "K3", "K6", "T"):
        lab.add_ns(k)
    run("ip", "link", "add", "ul", "type", "bridge", ns="S")
    run("ip", "addr", "add", "10.77.0.1/24", "dev", "ul", ns="S")
    run("ip", "addr", "add", "fd77::1/64", "dev", "ul", "nodad", ns="S")
    run("ip", "link", "set", "ul", "up", ns="S")
    addrs = {"K1": "10.77.0.2", "K2": "10.77.0.3", "K3": "10.77.0.4",
             "K6": "fd77::6", "T": "10.77.0.5"}
    for k, a in addrs.items():
        run("ip", "link", "add", "s-" + k, "netns", lab.ns["S"], "type",
            "veth", "peer", "name", "eth0", "netns", lab.ns[k])
        run("ip", "link", "set", "s-" + k, "master", "ul", "up", ns="S")
        if ":" in a:
            run("ip", "addr", "add", a + "/64", "dev", "eth0", "nodad",
                ns=k)
        else:
            run("ip", "addr", "add", a + "/24", "dev", "eth0", ns=k)
        run("ip", "link", "set", "eth0", "up", ns=k)
    # K2 also has VNI 43 (overlay 192.168.78.0/24), which the switch
    # maps to VLAN 20.
    run("ip", "link", "add", "vx1", "type", "vxlan", "id", "43", "dev",
        "eth0", "local", addrs["K2"], "remote", "10.77.0.1", "dstport",
        "4789", ns="K2")
    run("ip", "addr", "add", "192.168.78.3/24", "dev", "vx1", ns="K2")
    run("ip", "link", "set", "vx1", "up", ns="K2")
    for k, ov in (("K1", 2), ("K2", 3), ("K3", 4), ("K6", 6)):
        args = ["ip", "link", "add", "vx0", "type", "vxlan", "id", "42",
                "dev", "eth0"]
        if k == "K6":
            args += ["local", "fd77::6", "remote", "fd77::1",
                     "dstport", "4789"]
        else:
            args += ["local", addrs[k], "remote", "10.77.0.1"]
            if k != "K3":
                args += ["dstport", "4789"]  # K3: Linux's default, 8472
        run(*args, ns=k)
        run("ip", "addr", "add", "192.168.77.%d/24" % ov, "dev", "vx0",
            ns=k)
        run("ip", "link", "set", "vx0", "up", ns=k)


def ask_arp(c, ip, log, mac=CLIENT_MAC, src=CLIENT_IP, tries=3):
    """ARP for @ip from the client; return the answering MAC."""
    for _ in range(tries):
        c.send_raw(arp(1, mac, src, None, ip))
        for _, f in c.recv_all(0.5, 3):
            if f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02" and \
                    f[28:32] == socket.inet_aton(ip):
                return f[22:28]
    if tries == 1:
        return None
    fail("no ARP reply for %s" % ip, log())


def ping_from_client(c, mac, ip, ident, log, size=56):
    for _ in range(3):
        c.send_raw(icmp_echo(CLIENT_MAC, mac, CLIENT_IP, ip, ident, size))
        for _, f in c.recv_all(0.5, 3):
            if f[12:14] == b"\x08\x00" and f[23] == 1 and f[34] == 0 and \
                    f[26:30] == socket.inet_aton(ip):
                return
    fail("no echo reply from %s" % ip, log())


def kping(ns, ip, log):
    r = run("ping", "-c", "3", "-i", "0.2", "-w", "6", ip, ns=ns,
            check=False)
    if r.returncode != 0:
        fail("%s cannot ping %s through the switch:\n%s" % (ns, ip, r.stdout),
             log())


def port_by_remote(sw, remote, vni=42):
    for p in json.loads(sw.ctl("--json", "ports").stdout):
        vx = p.get("vxlan", {})
        if vx.get("remote") == remote and vx.get("vni") == vni:
            return p
    return None


class Sw:
    def __init__(self, exe, ctl_exe, tmp, name, ns, cfg):
        self.tmp, self.ctl_exe = tmp, ctl_exe
        self.sock = os.path.join(tmp, name + ".sock")
        self.ctlp = os.path.join(tmp, name + ".ctl")
        self.cfg = os.path.join(tmp, name + ".json")
        self.logpath = os.path.join(tmp, name + ".log")
        self.sock20 = os.path.join(tmp, name + "-v20.sock")
        cfg["listen"] = ["unix:" + self.sock,
                         {"url": "unix:" + self.sock20, "vlan": 20}]
        self.write(cfg)
        self.p = lab.own(start_switch(["ip", "netns", "exec", lab.ns[ns],
                                       exe, "--config", self.cfg,
                                       "--control", self.ctlp],
                                      self.logpath))

    def write(self, cfg):
        with open(self.cfg, "w") as f:
            json.dump(cfg, f)

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def ctl(self, *args, check=True):
        return ctl_run(self.ctl_exe, self.ctlp, args, check, self.log)

    def wait_up(self, n, limit_s=10):
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            ports = json.loads(self.ctl("--json", "ports").stdout)
            up = [p for p in ports if p["transport"] == "vxlan" and
                  p["state"] == "up"]
            if len(up) == n:
                return ports
            time.sleep(0.1)
        fail("%d vxlan ports not up" % n, self.log())


def send_from(ns, src, dst, port, datagrams, v6=False, no_csum=False):
    """Send @datagrams (hex strings) from @src in namespace @ns."""
    code = """
import socket, sys
fam = socket.AF_INET6 if %r else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if %r:
    s.setsockopt(socket.IPPROTO_UDP, 101, 1)  # UDP_NO_CHECK6_TX
s.bind((%r, 0))
for h in %r:
    s.sendto(bytes.fromhex(h), (%r, %d))
""" % (v6, no_csum, src, [d.hex() for d in datagrams], dst, port)
    run(sys.executable, "-c", code, ns=ns)


def vxlan_hdr(vni, flags=0x08, reserved=0):
    return bytes([flags, 0, 0, 0]) + vni.to_bytes(3, "big") + \
        bytes([reserved])


def counters_of(sw, remote):
    p = port_by_remote(sw, remote)
    if not p:
        fail("no port for remote " + remote, sw.log())
    return p


def wait_counter(sw, remote, get, want, what):
    end = time.monotonic() + 5
    while time.monotonic() < end:
        v = get(counters_of(sw, remote))
        if v >= want:
            return v
        time.sleep(0.1)
    fail("%s: %d, expected at least %d" % (what, v, want), sw.log())


def main():
    if len(sys.argv) != 3:
        print("usage: vxlan.py SOCKSWITCH SOCKSWITCHCTL")
        return 2
    exe, ctl_exe = sys.argv[1], sys.argv[2]
    preflight()
    tmp = tempfile.mkdtemp(prefix="ssvx.")
    os.chmod(tmp, 0o755)
    try:
        topology()
        s_cfg = {"uplinks": [
            "vxlan,vni=42,remote=10.77.0.2,remote=10.77.0.3,"
            "remote=10.77.0.5,local=10.77.0.1",
            {"type": "vxlan", "vni": 42, "remote": "10.77.0.4",
             "port": 8472},
            "vxlan,vni=43,remote=10.77.0.3,local=10.77.0.1,vlan=20"]}
        sw = Sw(exe, ctl_exe, tmp, "s", "S", s_cfg)
        sw.wait_up(5)
        t = Sw(exe, ctl_exe, tmp, "t", "T",
               {"uplinks": ["vxlan,vni=42,remote=10.77.0.1"]})
        t.wait_up(1)
        c = Client(sw.sock, CLIENT_MAC)

        # 1. The kernel's vxlan devices answer a switch client.
        k1mac = mac_of("K1", "vx0")
        got = ask_arp(c, "192.168.77.2", sw.log)
        if got != k1mac:
            fail("ARP reply from %s, K1's vx0 is %s" % (got.hex(),
                                                        k1mac.hex()))
        ping_from_client(c, k1mac, "192.168.77.2", 1, sw.log)
        k3mac = ask_arp(c, "192.168.77.4", sw.log)
        ping_from_client(c, k3mac, "192.168.77.4", 2, sw.log)
        print("ok 1 - a switch client ARPs and pings kernel VTEPs "
              "on 4789 and 8472")

        # 2. A star: kernel VTEPs that only know the switch.
        kping("K1", "192.168.77.3", sw.log)
        kping("K2", "192.168.77.4", sw.log)
        print("ok 2 - K1 pings K2, K2 pings K3 (port 8472) "
              "through the switch")

        # 3. Two sockswitch instances over VXLAN. T accepts its client
        # in its own time (slow under ASan): wait for the port first.
        tc = Client(t.sock, T_MAC)
        end = time.monotonic() + 10
        while len(json.loads(t.ctl("--json", "ports").stdout)) < 2:
            if time.monotonic() > end:
                fail("T did not attach its client", t.log())
            time.sleep(0.1)
        c.send(b"\xff" * 6, b"from-s")
        if not any(f[6:12] == CLIENT_MAC and b"from-s" in f
                   for _, f in tc.recv_all(1.0, 5)):
            fail("T's client did not get S's broadcast", t.log())
        tc.send(CLIENT_MAC, b"from-t")
        if not any(f[6:12] == T_MAC and b"from-t" in f
                   for _, f in c.recv_all(0.5, 5)):
            fail("S's client did not get T's frame", sw.log())
        print("ok 3 - two sockswitch instances exchange frames over VXLAN")

        # 4. Bad datagrams, from K1's address and from a stranger.
        before = counters_of(sw, "10.77.0.2")
        inner = arp(1, bytes.fromhex("020000770099"), "192.168.77.99",
                    None, "192.168.77.2")
        bad = [b"", b"\x08\x00\x00", vxlan_hdr(42) + b"\x01" * 10,
               vxlan_hdr(42, flags=0x0c) + inner,
               vxlan_hdr(42, reserved=1) + inner,
               vxlan_hdr(99) + inner]
        send_from("K1", "10.77.0.2", "10.77.0.1", 4789, bad)
        run("ip", "addr", "add", "10.77.0.99/24", "dev", "eth0", ns="K1")
        send_from("K1", "10.77.0.99", "10.77.0.1", 4789,
                  [vxlan_hdr(42) + inner])
        d0 = before["drops"]
        wait_counter(sw, "10.77.0.2", lambda p: p["drops"]["rx_runt"],
                     d0["rx_runt"] + 3, "rx_runt")
        wait_counter(sw, "10.77.0.2", lambda p: p["drops"]["rx_encap_bad"],
                     d0["rx_encap_bad"] + 2, "rx_encap_bad")
        wait_counter(sw, "10.77.0.2", lambda p: p["drops"]["rx_encap_vni"],
                     d0["rx_encap_vni"] + 1, "rx_encap_vni")
        wait_counter(sw, "10.77.0.2",
                     lambda p: p["transport_counters"]["vxlan_strangers"],
                     before["transport_counters"]["vxlan_strangers"] + 1,
                     "vxlan_strangers")
        if "add remote=10.77.0.99" not in sw.log():
            fail("the stranger was not logged", sw.log())
        after = counters_of(sw, "10.77.0.2")
        if after["drops"]["rx_encap_bad"] != d0["rx_encap_bad"] + 2 or \
                after["drops"]["rx_encap_vni"] != d0["rx_encap_vni"] + 1:
            fail("bad datagrams counted wrong: %s" % after["drops"],
                 sw.log())
        kping("K1", "192.168.77.3", sw.log)
        print("ok 4 - empty, short, runt, wrong-flag, reserved-bit, "
              "wrong-VNI and stranger datagrams counted; tunnel works")

        # 5. MTU: never fragment; the log says what fits.
        p0 = counters_of(sw, "10.77.0.2")
        c.send_raw(k1mac + CLIENT_MAC + b"\x88\xb5" + b"\x55" * 1500)
        wait_counter(sw, "10.77.0.2", lambda p: p["drops"]["tx_too_big"],
                     p0["drops"]["tx_too_big"] + 1, "tx_too_big")
        if "largest inner frame that fits is 1464 bytes" not in sw.log():
            fail("the log does not name 1464 as the largest inner frame",
                 sw.log())
        ping_from_client(c, k1mac, "192.168.77.2", 3, sw.log,
                         size=1464 - 14 - 20 - 8)
        p1 = counters_of(sw, "10.77.0.2")
        if p1["drops"]["tx_too_big"] != p0["drops"]["tx_too_big"] + 1:
            fail("a frame that fits was dropped as too big", sw.log())
        print("ok 5 - a 1514-byte frame is dropped (tx_too_big, 1464 "
              "logged), a 1464-byte one is answered")

        # 6. Reload: add K6 over IPv6, remove K2.
        k1id = counters_of(sw, "10.77.0.2")["id"]
        s_cfg["uplinks"] = [
            "vxlan,vni=42,remote=10.77.0.2,remote=10.77.0.5,"
            "local=10.77.0.1",
            {"type": "vxlan", "vni": 42, "remote": "10.77.0.4",
             "port": 8472},
            {"type": "vxlan", "vni": 42, "remote": ["fd77::6"]},
            "vxlan,vni=43,remote=10.77.0.3,local=10.77.0.1,vlan=20"]
        sw.write(s_cfg)
        sw.ctl("reload")
        ports = sw.wait_up(5)
        if counters_of(sw, "10.77.0.2")["id"] != k1id:
            fail("reload renumbered K1's port", sw.log())
        if port_by_remote(sw, "10.77.0.3"):
            fail("K2's port is still there after reload", sw.log())
        kping("K1", "192.168.77.6", sw.log)
        send_from("K6", "fd77::6", "fd77::1", 4789,
                  [vxlan_hdr(42) + inner], v6=True, no_csum=True)
        wait_counter(sw, "fd77::6", lambda p:
                     p["transport_counters"]["vxlan_udp6_csum_errors"], 1,
                     "vxlan_udp6_csum_errors")
        kping("K1", "192.168.77.6", sw.log)
        print("ok 6 - reload keeps K1's port %d, removes K2, adds K6 over "
              "IPv6; a zero-checksum datagram is counted" % k1id)

        # 7. VLAN mapping: VNI 43 is VLAN 20 on this switch.
        c20 = Client(sw.sock20, bytes.fromhex("020000780064"))
        k2vx1 = mac_of("K2", "vx1")
        got = ask_arp(c20, "192.168.78.3", sw.log,
                      mac=bytes.fromhex("020000780064"),
                      src="192.168.78.100")
        if got != k2vx1:
            fail("VLAN 20's ARP answered by %s, not K2's vx1" % got.hex())
        seen = [f for _, f in c.recv_all(0.5, 3)
                if f[12:14] == b"\x81\x00" and f[6:12] ==
                bytes.fromhex("020000780064")]
        if not seen or (struct.unpack("!H", seen[0][14:16])[0] & 0xfff) != 20:
            fail("the untagged client did not see VLAN 20's broadcast "
                 "tagged 20", sw.log())
        if ask_arp(c, "192.168.78.3", sw.log, src="192.168.78.101",
                   tries=1):
            fail("an untagged frame reached VNI 43 (VLAN 20)", sw.log())
        print("ok 7 - vlan=20 maps VNI 43 to VLAN 20: an access client "
              "reaches K2's vx1, untagged frames do not")

        # 8. sockswitchctl shows VNI and remote.
        out = sw.ctl("ports").stdout
        for want in ("vni 42 remote 10.77.0.2 port 4789 local 10.77.0.1",
                     "vni 42 remote 10.77.0.4 port 8472 local any",
                     "vni 42 remote fd77::6 port 4789"):
            if want not in out:
                fail("sockswitchctl ports lacks '%s':\n%s" % (want, out))
        print("ok 8 - sockswitchctl ports shows VNI and remote (%d ports)" %
              len(ports))
    finally:
        lab.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
