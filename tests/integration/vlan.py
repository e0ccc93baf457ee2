#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vlan.py SOCKSWITCH SOCKSWITCHCTL - port VLAN modes between stream clients

A real switch with listeners of each mode (config keys "vlan", "trunk",
"native"), one stream client on each, and an outbound connection (an
uplink spec with ,vlan=10) to a peer the test listens for:

  A10, B10  access ports of VLAN 10    C20  access port of VLAN 20
  T         trunk 10,20-21             N    trunk 10,20 native 20
  X         no mode (every VLAN as it is)
  U         the --connect uplink, access 10

  flood      a broadcast from A10 reaches B10 and U untagged, T and N and
             X tagged 10, not C20; one from C20 reaches N untagged (its
             native VLAN), T and X tagged 20, no port of VLAN 10
  unicast    T sends to A's address tagged 10: only A10 gets it, untagged;
             tagged 21: only X (N does not carry 21)
  bad        tagged on an access port, untagged or of another VLAN on a
             trunk, VID 4095, double-tagged, a cut tag, multicast and
             all-zero sources: nobody gets them, each counted under its
             reason on the port it came in on
  runtime    sockswitchctl vlan moves B10 to VLAN 20 (ports shows it, the
             flood follows); bad modes are refused, the mode kept
  reload     the config changes C20's listener to 21: the attached port
             follows
  object     a reload adds a connect object {"url", "trunk", "native"}
             (W, trunk 20-21 native 21): its port shows the mode, a
             broadcast tagged 21 reaches it untagged, its untagged one is
             VLAN 21; the --connect string uplink U is kept as it was
  conserve   on every port rx.frames = rx.forwarded + rx.dropped, and no
             frame was queued that was not sent
"""
import json
import os
import socket
import struct
import sys
import tempfile
import time

from sstest import Client, Switch, fail

BCAST = b"\xff" * 6
ETH = b"\x88\xb5"


def mac(n):
    return bytes([2, 0, 0, 0, 0, n])


def tag(vid, pcp=0):
    return b"\x81\x00" + struct.pack(">H", pcp << 13 | vid)


def frame(dst, src, vid=None, payload=b"vlan-test"):
    f = dst + src + (tag(vid) if vid is not None else b"") + ETH + payload
    return f + b"\0" * max(0, 60 - len(f))


def vid_of(f):
    """-1 for an untagged frame, else its VLAN."""
    if f[12:14] != b"\x81\x00":
        return -1
    return struct.unpack(">H", f[14:16])[0] & 0xfff


class Peer:
    """The far end of the --connect uplink: a unix stream socket the
    switch dials."""

    def __init__(self, path):
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ls.bind(path)
        self.ls.listen(1)
        self.path = path
        self.c = None

    def accept(self, sw):
        self.ls.settimeout(10)
        try:
            s, _ = self.ls.accept()
        except socket.timeout:
            fail("the uplink did not connect", sw.log())
        cl = Client.__new__(Client)
        cl.s, cl.mac, cl.buf = s, mac(0x55), b""
        return cl


def ports_by_id(sw):
    return {p["id"]: p for p in
            json.loads(sw.ctl_run("--json", "ports").stdout)}


def connect(sw, path, n, want):
    """A client on @path with address mac(@n); waits until the switch has
    @want ports, so port numbers follow the order of connection."""
    c = Client(path, mac(n))
    end = time.monotonic() + 10
    while len(ports_by_id(sw)) < want:
        if time.monotonic() > end:
            fail("port %d did not appear" % want, sw.log())
        time.sleep(0.02)
    return c


def expect(sw, clients, want, what):
    """Each client gets what @want says: a VLAN (-1 untagged) per frame,
    or nothing (absent)."""
    got = {}
    for name, c in clients.items():
        got[name] = [vid_of(f) for _, f in c.recv_all(0.25)]
    for name in clients:
        w = want.get(name, [])
        if got[name] != w:
            fail("%s: %s got %s, want %s (all: %s)" % (
                what, name, got[name], w, got), sw.log())


def drops(sw, pid):
    return ports_by_id(sw)[pid]["drops"]


def case_flood(sw, cl):
    cl["A10"].send_raw(frame(BCAST, mac(0xa)))
    expect(sw, cl, {"B10": [-1], "U": [-1], "T": [10], "N": [10],
                    "X": [10]}, "broadcast from A10")
    cl["C20"].send_raw(frame(BCAST, mac(0xc)))
    expect(sw, cl, {"T": [20], "N": [-1], "X": [20]},
           "broadcast from C20")
    # the native trunk's untagged frame is VLAN 20
    cl["N"].send_raw(frame(BCAST, mac(0xe)))
    expect(sw, cl, {"C20": [-1], "T": [20], "X": [20]},
           "untagged broadcast from N")
    # the uplink is in VLAN 10
    cl["U"].send_raw(frame(BCAST, mac(0x55)))
    expect(sw, cl, {"A10": [-1], "B10": [-1], "T": [10], "N": [10],
                    "X": [10]}, "broadcast from the uplink")


def case_unicast(sw, cl):
    cl["T"].send_raw(frame(mac(0xa), mac(0xd), vid=10))
    expect(sw, cl, {"A10": [-1]}, "unicast to A in VLAN 10")
    cl["T"].send_raw(frame(BCAST, mac(0xd), vid=21))
    expect(sw, cl, {"X": [21]}, "broadcast tagged 21")
    # A port without a mode sends tagged 20: C20 gets it untagged.
    cl["X"].send_raw(frame(BCAST, mac(0xf), vid=20))
    expect(sw, cl, {"C20": [-1], "T": [20], "N": [-1]},
           "broadcast tagged 20 from X")


def case_bad(sw, cl, ids):
    bad = [
        ("A10", frame(BCAST, mac(0xa), vid=10), "rx_vlan_tagged"),
        ("T", frame(BCAST, mac(0xd)), "rx_vlan_untagged"),
        ("T", frame(BCAST, mac(0xd), vid=0), "rx_vlan_untagged"),
        ("T", frame(BCAST, mac(0xd), vid=30), "rx_vlan_not_allowed"),
        ("N", frame(BCAST, mac(0xe), vid=21), "rx_vlan_not_allowed"),
        ("T", frame(BCAST, mac(0xd), vid=4095), "rx_vlan_bad"),
        ("T", BCAST + mac(0xd) + tag(10) + tag(20) + ETH + b"\0" * 40,
         "rx_vlan_bad"),
        ("T", BCAST + mac(0xd) + b"\x88\xa8" + struct.pack(">H", 10) +
         tag(20) + ETH + b"\0" * 40, "rx_vlan_bad"),
        ("T", BCAST + mac(0xd) + b"\x81\x00", "rx_vlan_bad"),
        ("N", BCAST + mac(0xe) + b"\x81\x00\x00", "rx_vlan_bad"),
        ("A10", frame(BCAST, b"\x03\0\0\0\0\x0a"), "rx_bad_src"),
        ("T", frame(BCAST, b"\0" * 6, vid=10), "rx_bad_src"),
    ]
    before = {n: drops(sw, ids[n]) for n in ("A10", "T", "N")}
    want = {}
    for name, f, reason in bad:
        cl[name].send_raw(f)
        want[(name, reason)] = want.get((name, reason), 0) + 1
    expect(sw, cl, {}, "bad frames")
    for (name, reason), n in want.items():
        got = drops(sw, ids[name])[reason] - before[name][reason]
        if got != n:
            fail("%s: %s counted %d, want %d" % (name, reason, got, n),
                 sw.log())


def case_runtime(sw, cl, ids):
    b = ids["B10"]
    r = sw.ctl_run("vlan", str(b), "access", "20")
    if "VLAN mode: access 20" not in r.stdout:
        fail("vlan reply: " + r.stdout, sw.log())
    if "vlan p%d: access 20" % b not in sw.ctl_run("ports").stdout:
        fail("ports does not show the new mode", sw.log())
    cl["A10"].send_raw(frame(BCAST, mac(0xa)))
    expect(sw, cl, {"U": [-1], "T": [10], "N": [10], "X": [10]},
           "broadcast from A10 after B moved")
    cl["C20"].send_raw(frame(BCAST, mac(0xc)))
    expect(sw, cl, {"B10": [-1], "T": [20], "N": [-1], "X": [20]},
           "broadcast from C20 after B moved")
    for args, msg in ((["access", "5000"], "is not a VLAN 1-4094"),
                      (["trunk", "20-10"], "range is reversed"),
                      (["trunk", "10,20", "native", "30"],
                       "native VLAN 30 is not in the trunk's list"),
                      (["trunk"], "expected `access N'")):
        r = sw.ctl_run("vlan", str(b), *args, check=False)
        if r.returncode != 1 or msg not in r.stderr + r.stdout:
            fail("vlan %s: rc %d, %r" % (" ".join(args), r.returncode,
                                         r.stderr + r.stdout), sw.log())
    v = ports_by_id(sw)[b]["vlan"]
    if v != {"mode": "access", "vlan": 20, "text": "access 20"}:
        fail("B's mode changed by a refused command: %s" % v, sw.log())
    sw.ctl_run("vlan", str(b), "trunk", "10,20-29", "native", "25")
    v = ports_by_id(sw)[b]["vlan"]
    if v != {"mode": "trunk", "vlans": "10,20-29", "native": 25,
             "text": "trunk 10,20-29 native 25"}:
        fail("trunk mode shown as %s" % v, sw.log())
    sw.ctl_run("vlan", str(b), "access", "10")


def case_reload(sw, cl, ids, conf):
    conf["listen"][2]["vlan"] = 21
    with open(sw.cfg, "w") as f:
        json.dump(conf, f)
    r = sw.ctl_run("reload")
    if "VLAN mode access 21" not in r.stdout:
        fail("reload summary: " + r.stdout, sw.log())
    if ports_by_id(sw)[ids["C20"]]["vlan"]["text"] != "access 21":
        fail("reload did not move the attached port", sw.log())
    cl["T"].send_raw(frame(BCAST, mac(0xd), vid=21))
    expect(sw, cl, {"C20": [-1], "X": [21]}, "broadcast tagged 21")


def case_object_uplink(sw, cl, ids, conf, peer):
    conf["connect"].append({"url": "unix:" + peer.path,
                            "trunk": [20, 21], "native": 21})
    with open(sw.cfg, "w") as f:
        json.dump(conf, f)
    r = sw.ctl_run("reload")
    if r.returncode != 0:
        fail("reload with a connect object: " + r.stdout + r.stderr,
             sw.log())
    cl["W"] = peer.accept(sw)
    end = time.monotonic() + 10
    while True:
        new = [p for p in ports_by_id(sw).values()
               if p["id"] not in ids.values()]
        if new:
            break
        if time.monotonic() > end:
            fail("the connect object's port did not appear", sw.log())
        time.sleep(0.02)
    ids["W"] = new[0]["id"]
    if new[0]["vlan"]["text"] != "trunk 20-21 native 21":
        fail("connect object mode: %s" % new[0]["vlan"], sw.log())
    if ports_by_id(sw)[ids["U"]]["vlan"]["text"] != "access 10":
        fail("the string uplink changed: %s" % ports_by_id(sw)[ids["U"]],
             sw.log())
    cl["T"].send_raw(frame(BCAST, mac(0xd), vid=21))
    expect(sw, cl, {"C20": [-1], "X": [21], "W": [-1]},
           "broadcast tagged 21 with W")
    cl["W"].send_raw(frame(BCAST, mac(0x57)))
    expect(sw, cl, {"C20": [-1], "X": [21], "T": [21]},
           "untagged broadcast from W (native 21)")


def case_conserve(sw):
    for p in ports_by_id(sw).values():
        rx, tx, q = p["rx"], p["tx"], p["queue"]
        if rx["frames"] != rx["forwarded"] + rx["dropped"]:
            fail("port %s: rx %s" % (p["name"], rx), sw.log())
        if q["frames"] != 0 or tx["dropped"] != 0:
            fail("port %s: tx %s queue %s" % (p["name"], tx, q), sw.log())


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    exe, ctl_exe = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="ss-vlan-") as tmp:
        def sock(n):
            return os.path.join(tmp, n + ".sock")
        peer = Peer(sock("peer"))
        peer2 = Peer(sock("peer2"))
        conf = {"listen": [
            {"url": "unix:" + sock("a10"), "vlan": 10},
            {"url": "unix:" + sock("b10"), "vlan": 10},
            {"url": "unix:" + sock("c20"), "vlan": 20},
            {"url": "unix:" + sock("t"), "trunk": [10, "20-21"]},
            {"url": "unix:" + sock("n"), "trunk": [10, 20], "native": 20},
            "unix:" + sock("x")],
            "connect": ["unix:" + sock("peer") + ",vlan=10"]}
        sw = Switch(exe, ctl_exe, tmp, conf)
        try:
            cl = {"U": peer.accept(sw)}
            ids = {"U": 1}
            for i, (name, s, n) in enumerate(
                    (("A10", "a10", 0xa), ("B10", "b10", 0xb),
                     ("C20", "c20", 0xc), ("T", "t", 0xd),
                     ("N", "n", 0xe), ("X", "x", 0xf))):
                cl[name] = connect(sw, sock(s), n, i + 2)
                ids[name] = i + 2
            if ports_by_id(sw)[1]["vlan"]["text"] != "access 10":
                fail("uplink mode: %s" % ports_by_id(sw)[1]["vlan"],
                     sw.log())
            case_flood(sw, cl)
            case_unicast(sw, cl)
            case_bad(sw, cl, ids)
            case_runtime(sw, cl, ids)
            case_reload(sw, cl, ids, conf)
            case_object_uplink(sw, cl, ids, conf, peer2)
            case_conserve(sw)
        finally:
            sw.stop()
            peer.ls.close()
            peer2.ls.close()


if __name__ == "__main__":
    main()
