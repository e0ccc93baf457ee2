#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vxlan_ovs.py SOCKSWITCH SOCKSWITCHCTL - a vxlan uplink against Open
vSwitch's own VXLAN port (type=vxlan), with OVS's userspace datapath
(datapath_type=netdev), so no openvswitch kernel module is needed.

Two network namespaces made here, joined by a veth pair (the underlay):
  S  10.79.0.1  sockswitch --uplink vxlan,vni=42,remote=10.79.0.2;
                a stream client on its unix listener is 192.168.79.100
  O  10.79.0.2  a private ovsdb-server and ovs-vswitchd (their own run,
                db and log directories in a temp dir):
                br-phy: the veth and the underlay address (the userspace
                        datapath routes tunnels through an OVS bridge)
                br-int: vx0 type=vxlan remote_ip=10.79.0.1 key=42, and
                        the internal port br-int, 192.168.79.2

1. The client's ARP for 192.168.79.2 is answered by O's kernel behind
   br-int, through OVS's tunnel, and its ping too (also one whose inner
   frame is 1464 bytes, the most a 1500-byte underlay carries).
2. O pings the client: OVS starts the exchange, the client answers.
3. OVS learned the client's MAC on vx0; sockswitch's vxlan port counted
   exactly the frames the client sent and received, with no drops,
   refusals or strangers.

The userspace datapath reads the veth with AF_PACKET, which sees the
UDP checksum a veth leaves to "hardware" still unfinished, and OVS drops
such datagrams (datapath_drop_tunnel_pop_error): S's veth has its TX
checksum offload turned off (ethtool -K tx off, by ioctl here). A real
NIC fills in the checksum, so no real deployment needs that.

Needs root (ip netns, /dev/net/tun) and Open vSwitch (Debian
openvswitch-switch); exits 77 (skip) without them or when the userspace
datapath does not start. Every process is stopped by its recorded pid.
"""
import ctypes
import fcntl
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
from nslab import Lab, arp, icmp, ipv4, is_arp_reply_from  # noqa: E402

S_IP, O_IP = "10.79.0.1", "10.79.0.2"
CLIENT_MAC = bytes.fromhex("020000790064")
CLIENT_IP = "192.168.79.100"
OVS_IP = "192.168.79.2"
VNI = 42
TOOLS = ("ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl",
         "ovs-appctl")
ovs = {}  # tool -> path; "env": the environment of every OVS command


def which(tool):
    path = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin"
    return shutil.which(tool, path=path)


def ovs_logs():
    out = []
    for name in ("ovsdb-server", "ovs-vswitchd"):
        p = os.path.join(ovs.get("dir", "/nonexistent"), name + ".log")
        if os.path.exists(p):
            with open(p, errors="replace") as f:
                out.append((name + " log", f.read()[-6000:]))
    return out


lab = Lab("ssvo", logs=ovs_logs)
run, mac_of = lab.run, lab.mac_of


def vsctl(*args, check=True):
    return run(ovs["ovs-vsctl"], "--db=unix:" + ovs["db"], "--timeout=20",
               *args, check=check, env=ovs["env"])


def appctl(*args, check=True):
    return run(ovs["ovs-appctl"], "-t", ovs["vswitchd.ctl"], *args,
               check=check, env=ovs["env"])


def preflight():
    if os.geteuid() != 0:
        skip("needs root for network namespaces and OVS's tap devices")
    if not shutil.which("ip") or not shutil.which("ping"):
        skip("needs ip (iproute2) and ping")
    for t in TOOLS:
        ovs[t] = which(t)
        if not ovs[t]:
            skip("needs Open vSwitch (%s not found; Debian: "
                 "openvswitch-switch)" % t)
    for d in (os.environ.get("OVS_PKGDATADIR"), "/usr/share/openvswitch",
              "/usr/local/share/openvswitch"):
        if d and os.path.exists(os.path.join(d, "vswitch.ovsschema")):
            ovs["schema"] = os.path.join(d, "vswitch.ovsschema")
            break
    else:
        skip("Open vSwitch's vswitch.ovsschema not found")
    if not os.path.exists("/dev/net/tun"):
        skip("OVS's userspace datapath needs /dev/net/tun")
    n = lab.prefix + "-probe"
    if subprocess.run(["ip", "netns", "add", n],
                      capture_output=True).returncode != 0:
        skip("ip netns add does not work here")
    subprocess.run(["ip", "netns", "del", n], capture_output=True)


def ethtool_tx_csum_off(dev):
    """ethtool -K @dev tx off, in the calling namespace (SIOCETHTOOL,
    ETHTOOL_STXCSUM)."""
    ev = ctypes.create_string_buffer(struct.pack("II", 0x17, 0), 8)
    ifr = struct.pack("16sP", dev.encode(), ctypes.addressof(ev))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        fcntl.ioctl(s.fileno(), 0x8946, ifr + b"\0" * (40 - len(ifr)))
    finally:
        s.close()


def topology():
    for k in ("S", "O"):
        lab.add_ns(k)
    # No IPv6 in O: its kernel would send router solicitations and MLD
    # reports into the tunnel, and the frame counts are checked exactly.
    for key in ("all", "default"):
        run("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % key,
            ns="O")
    run("ip", "link", "add", "s-o", "netns", lab.ns["S"], "type",
        "veth", "peer", "name", "eth0", "netns", lab.ns["O"])
    run("ip", "addr", "add", S_IP + "/24", "dev", "s-o", ns="S")
    run("ip", "link", "set", "s-o", "up", ns="S")
    run("ip", "link", "set", "eth0", "up", ns="O")
    run(sys.executable, "-c",
        "import sys; sys.path.insert(0, %r); import vxlan_ovs; "
        "vxlan_ovs.ethtool_tx_csum_off('s-o')" %
        os.path.dirname(os.path.abspath(__file__)), ns="S")


def start_daemon(name, args, tmp):
    logpath = os.path.join(tmp, name + ".out")
    with open(logpath, "wb") as log:
        p = subprocess.Popen(["ip", "netns", "exec", lab.ns["O"]] + args,
                             stdout=log, stderr=subprocess.STDOUT,
                             env=ovs["env"])
    return lab.own(p)


def start_ovs(tmp):
    d = os.path.join(tmp, "ovs")
    os.mkdir(d)
    ovs["dir"] = d
    ovs["db"] = os.path.join(d, "db.sock")
    ovs["vswitchd.ctl"] = os.path.join(d, "ovs-vswitchd.ctl")
    env = dict(os.environ)
    for v in ("OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR", "OVS_SYSCONFDIR"):
        env[v] = d
    ovs["env"] = env
    conf = os.path.join(d, "conf.db")
    run(ovs["ovsdb-tool"], "create", conf, ovs["schema"], env=env)
    db = start_daemon("ovsdb-server", [
        ovs["ovsdb-server"], conf, "--remote=punix:" + ovs["db"],
        "--unixctl=" + os.path.join(d, "ovsdb-server.ctl"),
        "--log-file=" + os.path.join(d, "ovsdb-server.log"),
        "-vconsole:off", "--no-chdir"], tmp)
    end = time.monotonic() + 10
    while not os.path.exists(ovs["db"]):
        if db.poll() is not None or time.monotonic() > end:
            skip("ovsdb-server did not start: " + open(
                os.path.join(tmp, "ovsdb-server.out")).read()[-2000:])
        time.sleep(0.05)
    run(ovs["ovs-vsctl"], "--db=unix:" + ovs["db"], "--no-wait", "init",
        env=env)
    # --disable-system: only the userspace datapath, no kernel module.
    sw = start_daemon("ovs-vswitchd", [
        ovs["ovs-vswitchd"], "unix:" + ovs["db"], "--disable-system",
        "--unixctl=" + ovs["vswitchd.ctl"],
        "--log-file=" + os.path.join(d, "ovs-vswitchd.log"),
        "-vconsole:off", "--no-chdir"], tmp)
    # add-br waits until ovs-vswitchd has applied it.
    r = vsctl("add-br", "br-phy", "--", "set", "bridge", "br-phy",
              "datapath_type=netdev", check=False)
    ofport = vsctl("get", "interface", "br-phy", "ofport",
                   check=False).stdout.strip()
    if r.returncode != 0 or sw.poll() is not None or ofport != "65534":
        err = vsctl("get", "interface", "br-phy", "error",
                    check=False).stdout.strip()
        print("".join("---- %s\n%s\n" % l for l in ovs_logs()))
        skip("OVS's userspace datapath did not start (add-br rc %d, "
             "ofport %s, error %s)" % (r.returncode, ofport or "?", err))
    vsctl("add-port", "br-phy", "eth0")
    run("ip", "addr", "add", O_IP + "/24", "dev", "br-phy", ns="O")
    run("ip", "link", "set", "br-phy", "up", ns="O")
    vsctl("add-br", "br-int", "--", "set", "bridge", "br-int",
          "datapath_type=netdev")
    vsctl("add-port", "br-int", "vx0", "--", "set", "interface", "vx0",
          "type=vxlan", "options:remote_ip=" + S_IP,
          "options:key=%d" % VNI)
    run("ip", "addr", "add", OVS_IP + "/24", "dev", "br-int", ns="O")
    run("ip", "link", "set", "br-int", "up", ns="O")
    return sw


def fmt_mac(m):
    return ":".join("%02x" % b for b in m)


class CountingClient(Client):
    """A stream client that counts the frames it sends and receives."""

    def __init__(self, path, mac):
        super().__init__(path, mac)
        self.sent = self.received = 0

    def send_raw(self, frame):
        super().send_raw(frame)
        self.sent += 1

    def recv_all(self, quiet_s, limit_s=30.0):
        out = super().recv_all(quiet_s, limit_s)
        self.received += len(out)
        return out


def ask_arp(c, ip, log):
    for _ in range(3):
        c.send_raw(arp(1, CLIENT_MAC, CLIENT_IP, None, ip))
        for _, f in c.recv_all(0.5, 3):
            if is_arp_reply_from(f, ip):
                return f[22:28]
    fail("no ARP reply from %s through OVS's tunnel" % ip, log(),
         ovs_logs())


def ping_from_client(c, mac, ip, ident, size, log):
    data = bytes(range(256)) * (size // 256 + 1)
    for seq in range(1, 4):
        c.send_raw(mac + CLIENT_MAC + b"\x08\x00" +
                   ipv4(CLIENT_IP, ip, ident,
                        icmp(8, ident, seq, data[:size])))
        for _, f in c.recv_all(0.5, 3):
            if f[12:14] == b"\x08\x00" and f[23] == 1 and f[34] == 0 and \
                    f[26:30] == socket.inet_aton(ip) and \
                    struct.unpack("!H", f[38:40])[0] == ident and \
                    f[42:] == data[:size]:
                return
    fail("no echo reply (%d data bytes) from %s through OVS's tunnel" %
         (size, ip), log(), ovs_logs())


def answer(c, f):
    """Answer an ARP request or an ICMP echo request for CLIENT_IP in @f;
    return "arp", "echo" or None."""
    me = socket.inet_aton(CLIENT_IP)
    if f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x01" and \
            f[38:42] == me:
        c.send_raw(arp(2, CLIENT_MAC, CLIENT_IP, f[22:28],
                       socket.inet_ntoa(f[28:32])))
        return "arp"
    if f[12:14] == b"\x08\x00" and f[23] == 1 and f[30:34] == me and \
            f[34] == 8:
        ihl = (f[14] & 0xf) * 4
        tot = struct.unpack("!H", f[16:18])[0]
        req = f[14 + ihl:14 + tot]
        ident, seq = struct.unpack("!HH", req[4:8])
        c.send_raw(f[6:12] + CLIENT_MAC + b"\x08\x00" +
                   ipv4(CLIENT_IP, socket.inet_ntoa(f[26:30]), seq,
                        icmp(0, ident, seq, req[8:])))
        return "echo"
    return None


def vxlan_port(ctl):
    for p in json.loads(ctl("--json", "ports").stdout):
        if p["transport"] == "vxlan":
            return p
    return None


def main():
    if len(sys.argv) != 3:
        print("usage: vxlan_ovs.py SOCKSWITCH SOCKSWITCHCTL")
        return 2
    exe, ctl_exe = sys.argv[1], sys.argv[2]
    preflight()
    t0 = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="ssvo.")
    os.chmod(tmp, 0o755)
    try:
        topology()
        start_ovs(tmp)
        # The underlay through br-phy, and OVS's tunnel neighbor entry
        # for S (it would otherwise ARP itself and drop the first frame).
        r = run("ping", "-c", "1", "-W", "3", O_IP, ns="S", check=False)
        if r.returncode != 0:
            fail("S cannot ping OVS's br-phy (%s) on the underlay:\n%s" %
                 (O_IP, r.stdout), logs=ovs_logs())
        appctl("tnl/arp/set", "br-phy", S_IP, fmt_mac(mac_of("S", "s-o")))

        sock = os.path.join(tmp, "s.sock")
        ctlp = os.path.join(tmp, "s.ctl")
        logpath = os.path.join(tmp, "s.log")
        p = start_switch(["ip", "netns", "exec", lab.ns["S"], exe,
                          "--listen", "unix:" + sock, "--control", ctlp,
                          "--uplink", "vxlan,vni=%d,remote=%s,local=%s" %
                          (VNI, O_IP, S_IP)], logpath)
        lab.own(p)

        def log():
            with open(logpath, errors="replace") as f:
                return f.read()

        def ctl(*args):
            return ctl_run(ctl_exe, ctlp, args, True, log)

        end = time.monotonic() + 10
        while not (vxlan_port(ctl) or {}).get("state") == "up":
            if time.monotonic() > end:
                fail("the vxlan port is not up", log())
            time.sleep(0.1)
        base = vxlan_port(ctl)
        c = CountingClient(sock, CLIENT_MAC)

        # 1. ARP and ping OVS's internal port through its tunnel.
        brint = mac_of("O", "br-int")
        got = ask_arp(c, OVS_IP, log)
        if got != brint:
            fail("ARP reply from %s, OVS's br-int is %s" %
                 (got.hex(), brint.hex()))
        ping_from_client(c, brint, OVS_IP, 1, 56, log)
        ping_from_client(c, brint, OVS_IP, 2, 1464 - 14 - 20 - 8, log)
        print("ok 1 - a switch client ARPs and pings (56 and 1422 data "
              "bytes) OVS's br-int through OVS's vxlan port")

        # 2. OVS's side starts: O pings the client, which answers.
        pinger = subprocess.Popen(
            ["ip", "netns", "exec", lab.ns["O"], "ping", "-c", "3", "-i", "0.2",
             "-W", "2", CLIENT_IP], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        lab.own(pinger)
        echoes = 0
        end = time.monotonic() + 15
        while pinger.poll() is None and time.monotonic() < end:
            for _, f in c.recv_all(0.05, 0.5):
                echoes += answer(c, f) == "echo"
        out = pinger.communicate(timeout=10)[0]
        if pinger.returncode != 0 or echoes < 3:
            fail("O's ping of the client through OVS's tunnel: rc %s, %d "
                 "echo requests seen:\n%s" % (pinger.returncode, echoes,
                                              out), log(), ovs_logs())
        print("ok 2 - OVS's side pings the switch client (%d echo "
              "requests answered)" % echoes)

        # 3. Both ends counted it.
        fdb = appctl("fdb/show", "br-int").stdout
        vx0 = vsctl("get", "interface", "vx0", "ofport").stdout.strip()
        if not any(ln.split()[:3] == [vx0, "0", fmt_mac(CLIENT_MAC)]
                   for ln in fdb.splitlines()):
            fail("OVS did not learn the client's MAC on vx0 (port %s):\n%s"
                 % (vx0, fdb), logs=ovs_logs())
        for _, f in c.recv_all(0.5, 5):  # straggling frames, if any
            answer(c, f)
        c.recv_all(0.3, 2)
        time.sleep(0.2)
        now = vxlan_port(ctl)
        rx = now["rx"]["frames"] - base["rx"]["frames"]
        tx = now["tx"]["frames"] - base["tx"]["frames"]
        if rx != c.received or tx != c.sent:
            fail("the vxlan port counted rx %d tx %d; the client received "
                 "%d and sent %d" % (rx, tx, c.received, c.sent), log())
        bad = {k: v for k, v in now["drops"].items() if v}
        bad.update({k: v for k, v in now["transport_counters"].items()
                    if v})
        if bad or now["rx"]["dropped"] or now["tx"]["dropped"]:
            fail("the vxlan port dropped or refused frames: %s" % bad,
                 log())
        vx = now["vxlan"]
        if (vx["vni"], vx["remote"], vx["port"]) != (VNI, O_IP, 4789):
            fail("query-ports vxlan: %s" % vx)
        print("ok 3 - OVS learned the client on vx0; the vxlan port "
              "counted rx %d tx %d frames, as the client saw, no drops" %
              (rx, tx))
        print("# %.1f s" % (time.monotonic() - t0))
    finally:
        lab.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
