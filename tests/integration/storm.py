#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""storm.py SOCKSWITCH SOCKSWITCHCTL - storm control ("broadcast_limit")
on a real switch

A unix: listener with "broadcast_limit": 100 and one without. A guest on
the limited one blasts 2,000 broadcasts at once: the observer on the other
gets at least the bucket (100) and at most 100 + 100 a second of the
time the switch took, plus a little slack; rx_storm counts exactly the
rest (received + rx_storm == sent); the guest's address is learned all
the same. Then 300 unicast frames from it to the observer's (known)
address, sent at once with the bucket empty, all arrive. query-ports,
sockswitchctl ports and the log show the limit and the drops; a reload
changes the limit of the port attached, takes it away, and one with 0
fails and changes nothing.
"""
import json
import os
import sys
import tempfile
import time

from sstest import ETH, Client, Switch, fail

BCAST = b"\xff" * 6
SENT = 2000
LIMIT = 100
SLACK = 10
UNICAST = 300


def mac(n):
    return bytes([2, 0, 0, 0, 0, n])


def frame(dst, src, n):
    f = dst + mac(src) + ETH + n.to_bytes(4, "big") + b"\0" * 42
    return len(f).to_bytes(4, "big") + f


def from_guest(frames):
    return [f for _, f in frames if f[6:12] == mac(1)]


def reload(sw, conf, check=True):
    with open(sw.cfg + ".tmp", "w") as f:
        json.dump(conf, f)
    os.rename(sw.cfg + ".tmp", sw.cfg)
    return sw.ctl_run("reload", check=check)


def case_storm(exe, ctl_exe, tmp):
    lim = {"url": "unix:" + os.path.join(tmp, "lim.sock"),
           "broadcast_limit": LIMIT}
    conf = {"listen": ["unix:" + os.path.join(tmp, "obs.sock"), lim]}
    sw = Switch(exe, ctl_exe, tmp, conf)
    try:
        obs = Client(os.path.join(tmp, "obs.sock"), mac(2))
        sw.wait_ports("observer attached", lambda p: "p1" in p)
        obs.send(BCAST, b"hello")  # the observer's address is learned
        g = Client(os.path.join(tmp, "lim.sock"), mac(1))
        got = sw.wait_ports("guest attached", lambda p: "p2" in p)
        if got["p2"]["broadcast_limit"] != LIMIT or \
                got["p1"]["broadcast_limit"] != 0:
            fail("query-ports broadcast_limit: %r" % got, sw.log())

        blast = b"".join(frame(BCAST, 1, i) for i in range(SENT))
        t0 = time.monotonic()
        g.s.sendall(blast)
        got = sw.wait_ports("the blast counted",
                            lambda p: p["p2"]["rx"]["frames"] >= SENT)
        elapsed = time.monotonic() - t0
        received = len(from_guest(obs.recv_all(0.5)))
        p2 = sw.ports()["p2"]
        storm = p2["drops"]["rx_storm"]
        bound = LIMIT + LIMIT * elapsed + SLACK
        print("# %d of %d broadcasts in %.3f s passed (bound %.0f), "
              "rx_storm %d" % (received, SENT, elapsed, bound, storm))
        if not LIMIT <= received <= bound:
            fail("%d broadcasts passed in %.3f s, expected %d to %.0f" %
                 (received, elapsed, LIMIT, bound), sw.log())
        if received + storm != SENT:
            fail("received %d + rx_storm %d != sent %d" %
                 (received, storm, SENT), sw.log())
        if p2["rx"]["dropped"] != storm or \
                p2["rx"]["forwarded"] != received:
            fail("rx counters do not add up: %r" % p2["rx"], sw.log())
        if p2["mac"]["learned"] != 1 or p2["mac"]["count"] != 1:
            fail("the guest was not learned: %r" % p2["mac"], sw.log())

        # Known unicast, at once, with the bucket empty: never limited.
        g.s.sendall(b"".join(frame(mac(2), 1, i) for i in range(UNICAST)))
        uni = from_guest(obs.recv_all(0.5))
        if len(uni) != UNICAST:
            fail("%d of %d unicast frames arrived" % (len(uni), UNICAST),
                 sw.log())
        if sw.ports()["p2"]["drops"]["rx_storm"] != storm:
            fail("unicast counted as rx_storm", sw.log())

        text = sw.ctl_run("ports").stdout
        for want in ("broadcast_limit p2: 100 frames/s",
                     "rx_storm %d" % storm):
            if want not in text:
                fail("sockswitchctl ports lacks %r:\n%s" % (want, text))
        end = time.monotonic() + 5
        while "storm control dropped" not in sw.log():
            if time.monotonic() > end:
                fail("no storm control warning in the log", sw.log())
            time.sleep(0.05)
        if "port 2 " not in sw.log().split("storm control dropped")[0] \
                .splitlines()[-1]:
            fail("the warning does not name port 2", sw.log())
        print("ok storm: %d of %d broadcasts passed, the rest rx_storm, "
              "known unicast unlimited, shown and logged" %
              (received, SENT))

        lim["broadcast_limit"] = 1000
        reload(sw, conf)
        if "broadcast_limit 1000/s for its ports" not in sw.log() or \
                sw.ports()["p2"]["broadcast_limit"] != 1000:
            fail("the reload to 1000 did not reach port 2", sw.log())
        lim["broadcast_limit"] = 0
        r = reload(sw, conf, check=False)
        if r.returncode == 0 or "broadcast_limit `0' is not 1-10000000" \
                not in r.stderr:
            fail("a reload with broadcast_limit 0 did not fail: %r" %
                 (r.stdout + r.stderr), sw.log())
        if sw.ports()["p2"]["broadcast_limit"] != 1000:
            fail("a failed reload changed the limit", sw.log())
        del lim["broadcast_limit"]
        reload(sw, conf)
        if "no broadcast_limit for its ports" not in sw.log() or \
                sw.ports()["p2"]["broadcast_limit"] != 0:
            fail("the reload without the key kept the limit", sw.log())
        g.s.sendall(b"".join(frame(BCAST, 1, i) for i in range(500)))
        if len(from_guest(obs.recv_all(0.5))) != 500:
            fail("without a limit broadcasts were still dropped", sw.log())
        print("ok storm reload: 1000, 0 refused, key removed")
        g.s.close()
        obs.s.close()
    finally:
        sw.stop()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    with tempfile.TemporaryDirectory(prefix="ss-storm-") as tmp:
        case_storm(sys.argv[1], sys.argv[2], tmp)


if __name__ == "__main__":
    main()
