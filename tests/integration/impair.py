#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""impair.py SOCKSWITCH SOCKSWITCHCTL - per-port egress impairment, measured

Two stream clients, A and B, on a real switch; sockswitchctl impairs the
port of B (frames leaving the switch towards B) and A sends numbered
unicast frames to B. Each case measures what B receives against what the
switch counted, with tolerances wide enough for a loaded machine:

  loss       loss=20% over 5,000 frames: 20 % +- 2.5 %; received + the
             impair_loss counter = sent, exactly
  burst      loss=ge:2%:25%: losses come in runs (mean run > 2)
  seed       loss=30% seed=77 twice over the same 2,000 frames: the same
             frames arrive both times; seed=78 gives another set
  delay      delay=60ms: median one-way delay 55-110 ms
  jitter     delay=60ms jitter=20ms: delays spread over more than 20 ms
  reorder    delay=40ms reorder=50%: frames arrive out of order, none lost
  duplicate  duplicate=10%: 10 % +- 2.5 % extra copies (the port's
             "duplicated" counter); received + counted drops = sent +
             duplicated
  corrupt    corrupt=100%: every frame differs from what was sent in
             exactly one bit
  rate       rate=2mbit: 1,000-byte frames arrive at 2 Mbit/s +- 20 %;
             the excess is dropped and counted (impair_rate)
  mtu        mtu=500: 600-byte payloads dropped (impair_mtu), 400 pass
  off        impair B off: frames pass at once; settings say "off"
  errors     loss=200%, reorder without delay, an unknown key: exit 1
             with the reason; the port keeps its settings
  config     a listener's "impair" object applies to each port it
             accepts (query-ports shows it); a reload changes it for
             the port attached
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time

from sstest import Client, Switch, fail

BCAST = b"\xff" * 6
MAC_A = bytes([2, 0, 0, 0, 0, 0xa])
MAC_B = bytes([2, 0, 0, 0, 0, 0xb])
ETH = b"\x88\xb5"



def seq_of(f):
    return struct.unpack(">I", f[14:18])[0]


def attach(sw):
    a = Client(sw.sock, MAC_A)
    b = Client(sw.sock, MAC_B)
    a.send(BCAST, b"hello-a")
    b.send(BCAST, b"hello-b")
    b.recv_all(0.3)
    a.recv_all(0.3)
    return a, b


def blast(a, n, size=64, gap_s=0.0, burst=200):
    """A sends @n numbered frames of @size bytes to B, @gap_s apart (or
    in bursts of @burst with a short pause, not to outrun the switch's
    queues); returns send times by number."""
    sent = {}
    pad = b"\0" * max(0, size - 18)
    for i in range(n):
        sent[i] = time.monotonic()
        a.send(MAC_B, struct.pack(">I", i) + pad)
        if gap_s:
            time.sleep(gap_s)
        elif i % burst == burst - 1:
            time.sleep(0.005 if burst >= 200 else 0.03)
    return sent


def drops(sw, reason):
    return sw.port("p2")["drops"][reason]


def case_loss(sw, a, b):
    sw.ctl_run("impair", "p2", "loss=20%", "seed=1")
    before = drops(sw, "impair_loss")
    blast(a, 5000)
    got = b.recv_all(0.5)
    lost = drops(sw, "impair_loss") - before
    if len(got) + lost != 5000:
        fail("loss: received %d + counted %d != 5000" % (len(got), lost))
    if not 0.175 <= lost / 5000 <= 0.225:
        fail("loss: %.1f %% lost, expected 20 %% +- 2.5" % (lost / 50))
    print("ok loss: %d of 5000 lost (%.1f %%), all counted" %
          (lost, lost / 50))


def case_burst(sw, a, b):
    sw.ctl_run("impair", "p2", "loss=ge:2%:25%", "seed=2")
    blast(a, 5000)
    got = sorted(seq_of(f) for _, f in b.recv_all(0.5))
    have = set(got)
    runs, run, lost = [], 0, 0
    for i in range(5000):
        if i in have:
            if run:
                runs.append(run)
            run = 0
        else:
            run += 1
            lost += 1
    if run:
        runs.append(run)
    mean = lost / len(runs) if runs else 0
    if lost == 0 or mean <= 2.0:
        fail("burst: %d lost in %d runs (mean %.2f), expected runs > 2" %
             (lost, len(runs), mean))
    print("ok burst: %d lost in %d runs, mean run %.2f" %
          (lost, len(runs), mean))


def delivered(sw, a, b, seed):
    sw.ctl_run("impair", "p2", "loss=30%", "seed=%d" % seed)
    blast(a, 2000)
    return sorted(seq_of(f) for _, f in b.recv_all(0.5))


def case_seed(sw, a, b):
    one = delivered(sw, a, b, 77)
    two = delivered(sw, a, b, 77)
    other = delivered(sw, a, b, 78)
    if one != two:
        fail("seed: the same seed delivered different frames")
    if one == other:
        fail("seed: another seed delivered the same frames")
    print("ok seed: seed=77 twice delivered the same %d frames; seed=78 "
          "another set" % len(one))


def blast_timed(a, b, n, gap_s, **kw):
    """blast() while B receives in a thread, so arrival times are real."""
    got = []
    rx = threading.Thread(target=lambda: got.extend(b.recv_all(1.0)))
    rx.start()
    sent = blast(a, n, gap_s=gap_s, **kw)
    rx.join()
    return sent, got


def delays(sw, a, b, n, *settings):
    sw.ctl_run("impair", "p2", *settings)
    sent, got = blast_timed(a, b, n, 0.01)
    return sorted((t - sent[seq_of(f)]) * 1000 for t, f in got), got


def case_delay(sw, a, b):
    d, _ = delays(sw, a, b, 60, "delay=60ms")
    med = d[len(d) // 2]
    if len(d) != 60 or not 55 <= med <= 110:
        fail("delay: %d frames, median %.1f ms, expected 60 ms" %
             (len(d), med))
    d2, _ = delays(sw, a, b, 100, "delay=60ms", "jitter=20ms")
    spread = d2[int(len(d2) * 0.9)] - d2[int(len(d2) * 0.1)]
    if spread < 20:
        fail("jitter: 10-90 %% spread %.1f ms, expected > 20 ms" % spread)
    print("ok delay: median %.1f ms for delay=60ms; jitter=20ms spreads "
          "10-90 %% over %.1f ms" % (med, spread))


def case_reorder(sw, a, b):
    sw.ctl_run("impair", "p2", "delay=40ms", "reorder=50%", "seed=4")
    blast(a, 400, gap_s=0.002)
    seqs = [seq_of(f) for _, f in b.recv_all(0.5)]
    inv = sum(1 for x, y in zip(seqs, seqs[1:]) if y < x)
    if len(seqs) != 400 or inv == 0:
        fail("reorder: %d of 400 frames, %d inversions" % (len(seqs), inv))
    print("ok reorder: 400 of 400 frames, %d out of order" % inv)


def out_drops(sw):
    """Frames meant for p2 and dropped, by reason (tx_* and impair_*)."""
    return {k: v for k, v in sw.port("p2")["drops"].items()
            if k.startswith(("tx_", "impair_"))}


def case_duplicate(sw, a, b):
    sw.ctl_run("impair", "p2", "duplicate=10%", "seed=5")
    before = out_drops(sw)
    # B reads while A sends, so a busy machine's pause is not taken for
    # the end of the stream and B's queue never has to hold it all.
    _, got = blast_timed(a, b, 3000, 0.0)
    dup = sw.port("p2")["impair"]["duplicated"]
    after = out_drops(sw)
    dropped = {k: after[k] - before.get(k, 0) for k in after
               if after[k] != before.get(k, 0)}
    if len(got) + sum(dropped.values()) != 3000 + dup or \
            not 225 <= dup <= 375:
        fail("duplicate: %d received of 3000, counter %d, dropped %s" %
             (len(got), dup, dropped or "none"), sw.log())
    print("ok duplicate: %d extra copies of 3000 frames, as counted%s" %
          (dup, ", dropped %s" % dropped if dropped else ""))


def case_corrupt(sw, a, b):
    sw.ctl_run("impair", "p2", "corrupt=100%", "seed=6")
    pad = bytes(range(46))
    for i in range(200):
        a.send(MAC_B, struct.pack(">I", i) + pad)
    got = b.recv_all(0.5)
    if len(got) != 200:
        fail("corrupt: %d of 200 frames" % len(got))
    for _, f in got:
        want_tail = pad
        bits = sum(bin(x ^ y).count("1") for x, y in zip(f[18:], want_tail))
        head = MAC_B + MAC_A + ETH
        bits += sum(bin(x ^ y).count("1") for x, y in zip(f[:14], head))
        if bits > 1:
            fail("corrupt: a frame has %d bits flipped outside its "
                 "number" % bits)
    print("ok corrupt: 200 of 200 frames arrived with one bit flipped")


def case_rate(sw, a, b):
    sw.ctl_run("impair", "p2", "rate=2mbit")
    before = drops(sw, "impair_rate")
    # 1,000-byte frames, 100 every 30 ms (about 27 Mbit/s): far above
    # the rate, so the shaper's queue fills and sheds the excess.
    sent, got = blast_timed(a, b, 1500, 0.0, size=1000, burst=100)
    shed = drops(sw, "impair_rate") - before
    if len(got) + shed != 1500 or len(got) < 50:
        fail("rate: received %d + counted %d != 1500" % (len(got), shed))
    span = got[-1][0] - got[0][0]
    mbps = (len(got) - 1) * 1000 * 8 / span / 1e6
    if not 1.6 <= mbps <= 2.4:
        fail("rate: %.2f Mbit/s, expected 2 +- 20 %%" % mbps)
    print("ok rate: %d frames at %.2f Mbit/s over %.2f s, %d dropped and "
          "counted" % (len(got), mbps, span, shed))


def case_mtu(sw, a, b):
    sw.ctl_run("impair", "p2", "mtu=500")
    before = drops(sw, "impair_mtu")
    a.send(MAC_B, struct.pack(">I", 1) + b"\0" * 596)
    a.send(MAC_B, struct.pack(">I", 2) + b"\0" * 396)
    got = b.recv_all(0.3)
    if [seq_of(f) for _, f in got] != [2] or \
            drops(sw, "impair_mtu") - before != 1:
        fail("mtu: got %s" % [seq_of(f) for _, f in got])
    print("ok mtu: a 600-byte payload dropped and counted, 400 passed")


def case_off(sw, a, b):
    sw.ctl_run("impair", "p2", "delay=200ms")
    r = sw.ctl_run("impair", "p2", "off")
    if "off" not in r.stdout:
        fail("off: sockswitchctl said %r" % r.stdout)
    sent, got = blast_timed(a, b, 20, 0.005)
    worst = max((t - sent[seq_of(f)]) * 1000 for t, f in got)
    if len(got) != 20 or worst > 100:
        fail("off: %d of 20 frames, slowest %.1f ms" % (len(got), worst))
    if sw.port("p2")["impair"]["settings"] != "off":
        fail("off: query-ports still shows settings")
    print("ok off: 20 of 20 frames at once (slowest %.1f ms)" % worst)


def case_errors(sw, a, b):
    sw.ctl_run("impair", "p2", "loss=5%", "seed=9")
    for args, want in ((["loss=200%"], "percentage"),
                       (["reorder=10%"], "needs a delay"),
                       (["latency=5ms"], "unknown impairment")):
        r = sw.ctl_run("impair", "p2", *args, check=False)
        if r.returncode != 1 or want not in r.stderr + r.stdout:
            fail("errors: impair %s: rc %d, %r" % (
                args, r.returncode, r.stderr + r.stdout))
    if sw.port("p2")["impair"]["settings"] != "loss=5% seed=9":
        fail("errors: settings changed: %r" %
             sw.port("p2")["impair"]["settings"])
    r = subprocess.run([sw.ctl_exe, "-s", sw.ctl, "ports"],
                       capture_output=True, text=True, timeout=10)
    if "impaired p2: loss=5% seed=9" not in r.stdout:
        fail("errors: sockswitchctl ports does not show it: %r" % r.stdout)
    sw.ctl_run("impair", "p2", "off")
    print("ok errors: bad settings refused with the reason, old ones kept")


def case_config(exe, ctl_exe, tmp):
    conf = {"listen": [{"url": "unix:" + os.path.join(tmp, "sw.sock"),
                        "impair": {"loss": 50, "seed": 3,
                                   "delay": "10ms"}}]}
    sw = Switch(exe, ctl_exe, tmp, conf)
    try:
        a, b = attach(sw)
        got = sw.port("p2")["impair"]["settings"]
        if got != "loss=50% delay=10ms seed=3":
            fail("config: p2 impairment %r" % got, sw.log())
        conf["listen"][0]["impair"] = {"delay": "30ms", "seed": 4}
        with open(sw.cfg, "w") as f:
            json.dump(conf, f)
        sw.ctl_run("reload")
        got = sw.port("p1")["impair"]["settings"]
        if got != "delay=30ms seed=4":
            fail("config: after the reload p1 has %r" % got, sw.log())
        conf["listen"][0]["impair"] = {"reorder": "5%"}
        with open(sw.cfg, "w") as f:
            json.dump(conf, f)
        r = sw.ctl_run("reload", check=False)
        if r.returncode == 0 or "needs a delay" not in r.stdout + r.stderr:
            fail("config: a bad impair reloaded: %r" % (r.stdout + r.stderr))
        if sw.port("p1")["impair"]["settings"] != "delay=30ms seed=4":
            fail("config: a failed reload changed the settings")
        print("ok config: listener impair applied, changed by a reload, "
              "a bad one refused")
    finally:
        sw.stop()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    exe, ctl_exe = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="ss-impair-") as tmp:
        sw = Switch(exe, ctl_exe, tmp)
        try:
            a, b = attach(sw)
            for case in (case_loss, case_burst, case_seed, case_delay,
                         case_reorder, case_duplicate, case_corrupt,
                         case_rate, case_mtu, case_off, case_errors):
                case(sw, a, b)
        finally:
            sw.stop()
    with tempfile.TemporaryDirectory(prefix="ss-impair-") as tmp:
        case_config(exe, ctl_exe, tmp)


if __name__ == "__main__":
    main()
