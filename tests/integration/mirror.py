#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mirror.py SOCKSWITCH SOCKSWITCHCTL - port mirroring (SPAN), end to end

Stream clients A (p1), B (p2) and a monitor C (p3) on a real switch;
sockswitchctl sets up mirror sessions and A and B exchange numbered
unicast frames. Each case checks what C receives frame by frame:

  both     mirror add p1 p3: C gets exactly one copy of each frame A
           receives and sends (A->B and B->A), none of its own frames
           back (C->A), and frames A sends to C (or floods) only once;
           p3 counts them as tx.mirrored; mirror list shows the session
  rx, tx   only A->B, or only B->A
  stall    a monitor M that never reads: B still gets every one of
           5,000 frames at once, and M's copies + tx_mirror drops = the
           frames A received (tx_mirror > 0)
  errors   unknown port, a port to itself, a duplicate, a bad direction,
           removing a session that does not exist, 8 sessions per
           source and 64 in all: exit 1 (2 for
           usage) with the reason
  removal  closing a session's destination, then a source, ends its
           sessions (list, the log line, the MIRROR_REMOVED event)
"""
import json
import struct
import subprocess
import sys
import tempfile
import threading
import time

from impair import BCAST, MAC_A, MAC_B, Client, Switch
from sstest import fail

MAC_C = bytes([2, 0, 0, 0, 0, 0xc])
MAC_M = bytes([2, 0, 0, 0, 0, 0xd])


def tagged(frames):
    """Frames of a case as (sender tag, number), in arrival order."""
    return [(f[14:15], struct.unpack(">I", f[15:19])[0]) for _, f in frames
            if len(f) >= 19]


def send_n(c, dst, tag, n):
    for i in range(n):
        c.send(dst, tag + struct.pack(">I", i))
        if i % 100 == 99:
            time.sleep(0.005)


def exchange(a, b, n):
    """A sends @n frames to B (tag a), B @n to A (tag b); both drain."""
    send_n(a, MAC_B, b"a", n)
    send_n(b, MAC_A, b"b", n)
    gb, ga = b.recv_all(0.3), a.recv_all(0.3)
    if len(gb) != n or len(ga) != n:
        fail("exchange: B got %d, A got %d of %d" % (len(gb), len(ga), n))


def expect(sw, c, want, what):
    got = tagged(c.recv_all(0.4))
    if sorted(got) != sorted(want):
        extra = sorted(set(got) - set(want))[:5]
        missing = sorted(set(want) - set(got))[:5]
        fail("%s: monitor got %d frames, expected %d (extra %s, missing "
             "%s, duplicates %d)" % (what, len(got), len(want), extra,
                                     missing, len(got) - len(set(got))),
             sw.log())


def mirrors(sw):
    return json.loads(sw.ctl_run("--json", "mirror", "list").stdout)


def case_both(sw, a, b, c):
    r = sw.ctl_run("mirror", "add", "p1", "p3")
    if "mirror 1 (p1) -> 3 (p3) both added" not in r.stdout:
        fail("mirror add printed %r" % r.stdout)
    lst = sw.ctl_run("mirror", "list").stdout
    if lst.strip() != "mirror 1 (p1) -> 3 (p3) both":
        fail("mirror list printed %r" % lst)
    before = sw.port("p3")["tx"]["mirrored"]
    exchange(a, b, 300)
    want = [(b"a", i) for i in range(300)] + [(b"b", i) for i in range(300)]
    expect(sw, c, want, "both")
    if sw.port("p3")["tx"]["mirrored"] - before != 600:
        fail("both: p3 tx.mirrored %d, expected 600 more than %d" %
             (sw.port("p3")["tx"]["mirrored"], before))
    # C's own frames to A come back to C never; A's to C arrive once; a
    # broadcast from B (A sends it, C gets the flood) once.
    send_n(c, MAC_A, b"c", 50)
    send_n(a, MAC_C, b"d", 50)
    b.send(BCAST, b"e" + struct.pack(">I", 0))
    a.recv_all(0.3)
    b.recv_all(0.3)
    expect(sw, c, [(b"d", i) for i in range(50)] + [(b"e", 0)],
           "own frames")
    print("ok both: 600 copies of A's frames, none of C's own, none twice")


def case_dir(sw, a, b, c, d):
    sw.ctl_run("mirror", "remove", "p1", "p3")
    sw.ctl_run("mirror", "add", "1", "p3", d)
    exchange(a, b, 200)
    tag = b"a" if d == "rx" else b"b"
    expect(sw, c, [(tag, i) for i in range(200)], d)
    if mirrors(sw)[0]["direction"] != d:
        fail("%s: list shows %r" % (d, mirrors(sw)))
    print("ok %s: only A's %s frames copied" % (d, d))


def case_stall(sw, a, b, c):
    """A monitor that never reads: B gets everything at once."""
    n = 5000
    sw.ctl_run("mirror", "remove", "p1", "p3")
    m = Client(sw.sock, MAC_M)  # p4, never reads
    time.sleep(0.2)
    sw.ctl_run("mirror", "add", "p1", "p4", "rx")
    st0 = sw.port("p4")
    got = []
    t = threading.Thread(target=lambda: got.extend(b.recv_all(1.0, 60)))
    t.start()
    pad = b"\0" * 1000
    for i in range(n):
        a.send(MAC_B, b"a" + struct.pack(">I", i) + pad)
        if i % 200 == 199:
            time.sleep(0.005)  # not to outrun B's own queue
    t.join()
    st = sw.port("p4")
    copies = st["tx"]["mirrored"] - st0["tx"]["mirrored"]
    dropped = st["drops"]["tx_mirror"] - st0["drops"]["tx_mirror"]
    if len(got) != n:
        fail("stall: B got %d of %d frames beside a stalled monitor" %
             (len(got), n), sw.log())
    if copies + dropped != n or dropped == 0:
        fail("stall: %d copies + %d tx_mirror drops, expected %d with "
             "drops" % (copies, dropped, n), sw.log())
    if sw.port("p1")["throttle"]["timeouts"]:
        fail("stall: A was held up by the monitor", sw.log())
    print("ok stall: B got all %d; monitor %d copies, %d tx_mirror drops" %
          (n, copies, dropped))
    return m


def ctl_err(sw, args, want, rc=1):
    """sockswitchctl ARGS exits @rc (1: the switch said no, 2: usage)."""
    r = sw.ctl_run(*args, check=False)
    if r.returncode != rc or want not in r.stdout + r.stderr:
        fail("%s: rc %d, output %r, expected %r" %
             (" ".join(args), r.returncode, r.stdout + r.stderr, want),
             sw.log())


def case_errors(sw):
    ctl_err(sw, ["mirror", "add", "p1", "nosuch"], "no port named `nosuch'")
    ctl_err(sw, ["mirror", "add", "99", "p1"], "no port 99")
    ctl_err(sw, ["mirror", "add", "p2", "p2"], "cannot mirror to itself")
    ctl_err(sw, ["mirror", "add", "p1", "p4"], "already mirrors to port p4")
    ctl_err(sw, ["mirror", "add", "p1", "p3", "sideways"],
            "`sideways' is not rx, tx or both", rc=2)
    ctl_err(sw, ["raw", json.dumps({
        "execute": "mirror-add", "arguments": {
            "source": "p1", "destination": "p3", "direction": "up"}})],
        "must be rx, tx or both")
    ctl_err(sw, ["mirror", "remove", "p2", "p3"],
            "port p2 does not mirror to port p3")
    extra = [Client(sw.sock, bytes([2, 0, 0, 0, 1, i])) for i in range(6)]
    time.sleep(0.3)
    names = ["p%d" % i for i in range(1, 11)]  # A, B, C, M and 6 more
    for dst in names[2:10]:
        if dst != "p4":
            sw.ctl_run("mirror", "add", "p1", dst)
    ctl_err(sw, ["mirror", "add", "p1", "p2"],
            "port p1 already has 8 mirror sessions")
    for src in names[1:]:
        for dst in [x for x in names if x != src][:8]:
            if len(mirrors(sw)) < 64:
                sw.ctl_run("mirror", "add", src, dst)
    if len(mirrors(sw)) != 64:
        fail("expected 64 sessions, have %d" % len(mirrors(sw)))
    ctl_err(sw, ["mirror", "add", "p10", "p9"],
            "the switch already has 64 mirror sessions")
    for x in mirrors(sw)[8:]:
        sw.ctl_run("mirror", "remove", x["source"]["name"],
                   x["destination"]["name"])
    for e in extra:
        e.s.close()
    print("ok errors: unknown port, itself, duplicate, direction, 8 per "
          "source, 64 in all")


def case_removal(sw, a, b, m):
    """Closing a destination, then a source, ends their sessions."""
    end = time.monotonic() + 5
    while len(mirrors(sw)) > 2:  # the extra clients' ports go
        if time.monotonic() > end:
            fail("removal: sessions of closed ports stay: %r" % mirrors(sw))
        time.sleep(0.05)
    sw.ctl_run("mirror", "add", "p2", "p1", "tx")
    ev = subprocess.Popen([sw.ctl_exe, "-s", sw.ctl, "events", "-n", "2"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True)
    time.sleep(0.5)  # subscribed
    m.s.close()
    try:
        out = ev.communicate(timeout=10)[0]
    except subprocess.TimeoutExpired:
        ev.kill()
        ev.wait()
        fail("removal: no 2 events within 10 s", sw.log())
    if "MIRROR_REMOVED" not in out or "removed=4(p4)" not in out:
        fail("removal: events %r, expected MIRROR_REMOVED for p4" % out)
    end = time.monotonic() + 5
    while any(x["destination"]["name"] == "p4" for x in mirrors(sw)):
        if time.monotonic() > end:
            fail("removal: session to p4 outlived its port", sw.log())
        time.sleep(0.05)
    b.s.close()
    while any(x["source"]["name"] == "p2" for x in mirrors(sw)):
        if time.monotonic() > end:
            fail("removal: session from p2 outlived its port", sw.log())
        time.sleep(0.05)
    log = sw.log()
    for want in ("mirror 1 (p1) -> 4 (p4) ended: port 4 is removed",
                 "mirror 2 (p2) -> 1 (p1) ended: port 2 is removed"):
        if want not in log:
            fail("removal: no log line %r" % want, log)
    print("ok removal: closing a destination or a source ends its sessions")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    exe, ctl_exe = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="ss-mirror-") as tmp:
        sw = Switch(exe, ctl_exe, tmp)
        try:
            a = Client(sw.sock, MAC_A)
            b = Client(sw.sock, MAC_B)
            time.sleep(0.1)
            c = Client(sw.sock, MAC_C)
            for x in (a, b, c):  # every address learned
                x.send(BCAST, b"h" + struct.pack(">I", 0))
                time.sleep(0.05)
            for x in (a, b, c):
                x.recv_all(0.3)
            case_both(sw, a, b, c)
            case_dir(sw, a, b, c, "rx")
            case_dir(sw, a, b, c, "tx")
            m = case_stall(sw, a, b, c)
            case_errors(sw)
            case_removal(sw, a, b, m)
        finally:
            sw.stop()


if __name__ == "__main__":
    main()
