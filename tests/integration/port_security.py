#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""port_security.py SOCKSWITCH SOCKSWITCHCTL - per-port address limits,
MAC conflicts, port names and peer allow lists, on a real switch

  max_macs   a unix: listener with "max_macs": 2: a guest's third source
             address is dropped and counted (rx_mac_limit), its known ones
             still forward; once its entries age out a new one is
             learned; a reload raises the limit for the port attached; a
             reload with max_macs 0 fails and changes nothing
  conflict   two guests with one MAC on two ports, sending in turn: with
             a hold-down (the address stays on the first port) and
             without (it moves back and forth), one MAC_CONFLICT event
             names the MAC, the VLAN and both ports (ids and names), and
             one warning is logged; more of the same within the minute
             adds neither
  names      a vde_plug client's description names its port; sockswitchctl
             name renames a stream port: PORT_RENAMED, query-ports, the
             ports table, a running capture's listing, later events,
             commands by the new name and the metrics' name label follow; bad names (spaces, a number,
             another port's name or default, too long) are refused with
             the reason and change nothing
  peers      (root only, to run clients as other users) unix: listeners
             with "allow_uids" and "allow_gids" and a vde: listener with
             "allow_uids": [] let in root, the users listed and members
             (primary or supplementary group) of the groups listed, and
             close anyone else at once: counted per listener (status,
             metrics), logged; a unix: listener without lists lets in
             whoever can open the file; a reload changes the lists
"""
import json
import os
import select
import shutil
import struct
import socket
import subprocess
import sys
import tempfile
import time

from sstest import ctl_run, fail, skip, stop_switch
from sstest import metrics_get as metrics

BCAST = b"\xff" * 6
ETH = b"\x88\xb5"
NOBODY = NOGROUP = 65534
OTHER = 65533  # a uid and gid no group lists


def mac(n):
    return bytes([2, 0, 0, 0, 0, n])


class Client:
    """A guest on a unix: stream listener (4-byte length framing)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""

    def send(self, src, dst=BCAST, tag=0):
        f = dst + mac(src) + ETH + bytes([tag]) * 46
        self.s.sendall(struct.pack(">I", len(f)) + f)

    def sources(self, quiet_s=0.3):
        """Source numbers (last MAC byte) of the frames that arrive until
        nothing comes for @quiet_s."""
        out = []
        end = time.monotonic() + 10
        while time.monotonic() < end:
            r, _, _ = select.select([self.s], [], [], quiet_s)
            if not r:
                break
            d = self.s.recv(1 << 16)
            if not d:
                break
            self.buf += d
            while len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) < 4 + n:
                    break
                out.append(self.buf[4 + 11])
                self.buf = self.buf[4 + n:]
        return out

    def close(self):
        self.s.close()


class Switch:
    """The daemon on a config in @tmp, with a control socket."""

    def __init__(self, exe, ctl_exe, tmp, conf):
        self.ctl = os.path.join(tmp, "ctl.sock")
        self.ctl_exe = ctl_exe
        self.cfg = os.path.join(tmp, "sw.json")
        self.logpath = os.path.join(tmp, "sw.log")
        self.write(conf)
        with open(self.logpath, "wb") as log:
            self.p = subprocess.Popen(
                [exe, "--control", self.ctl, "--config", self.cfg],
                stdout=log, stderr=subprocess.STDOUT)
        self.wait_log("ready pid=")

    def write(self, conf):
        with open(self.cfg + ".tmp", "w") as f:
            json.dump(conf, f)
        os.rename(self.cfg + ".tmp", self.cfg)

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def wait_log(self, text, count=1):
        end = time.monotonic() + 10
        while self.log().count(text) < count:
            if time.monotonic() > end or self.p.poll() is not None:
                fail("the switch did not log %r" % text, self.log())
            time.sleep(0.02)

    def run(self, *args, check=True):
        return ctl_run(self.ctl_exe, self.ctl, args, check, self.log)

    def ports(self):
        return json.loads(self.run("--json", "ports").stdout)

    def port(self, pid):
        for p in self.ports():
            if p["id"] == pid:
                return p
        fail("no port %d" % pid, self.log())

    def wait_ports(self, n):
        end = time.monotonic() + 10
        while len(self.ports()) < n:
            if time.monotonic() > end:
                fail("expected %d ports" % n, self.log())
            time.sleep(0.02)

    def stop(self):
        stop_switch(self.p, self.log)


def expect_sources(sw, obs, want, what):
    got = sorted(set(obs.sources()))
    if got != sorted(want):
        fail("%s: the observer got frames from %s, expected %s" %
             (what, got, sorted(want)), sw.log())


def case_max_macs(exe, ctl_exe, tmp):
    lim = {"url": "unix:" + os.path.join(tmp, "lim.sock"), "max_macs": 2}
    conf = {"ageing": 2, "listen": [
        "unix:" + os.path.join(tmp, "obs.sock"), lim]}
    sw = Switch(exe, ctl_exe, tmp, conf)
    try:
        obs = Client(os.path.join(tmp, "obs.sock"))
        sw.wait_ports(1)
        g = Client(os.path.join(tmp, "lim.sock"))
        sw.wait_ports(2)
        for src in (1, 2, 3):
            g.send(src)
        expect_sources(sw, obs, [1, 2], "max_macs 2")
        p = sw.port(2)
        if p["drops"]["rx_mac_limit"] != 1 or p["mac"]["max_macs"] != 2 \
                or p["mac"]["count"] != 2:
            fail("max_macs: port 2 shows %r" % p, sw.log())
        if "rx_mac_limit 1" not in sw.run("ports").stdout:
            fail("sockswitchctl ports does not show the drop")
        g.send(1, tag=7)
        expect_sources(sw, obs, [1], "a known source")
        # Entries age out (ageing 2 s, swept every second): room again.
        end = time.monotonic() + 10
        while sw.port(2)["mac"]["count"]:
            if time.monotonic() > end:
                fail("max_macs: the entries did not age out", sw.log())
            time.sleep(0.2)
        g.send(3)
        expect_sources(sw, obs, [3], "after ageing")
        lim["max_macs"] = 3
        sw.write(conf)
        sw.run("reload")
        if "max_macs 3 for its ports" not in sw.log():
            fail("the reload does not say max_macs changed", sw.log())
        for src in (4, 5, 6):
            g.send(src)
        expect_sources(sw, obs, [4, 5], "after a reload to 3")
        lim["max_macs"] = 0
        sw.write(conf)
        r = sw.run("reload", check=False)
        if r.returncode == 0 or "max_macs `0' is not 1-" not in r.stderr:
            fail("a reload with max_macs 0 did not fail: %r" %
                 (r.stdout + r.stderr), sw.log())
        p = sw.port(2)
        if p["mac"]["max_macs"] != 3 or p["drops"]["rx_mac_limit"] != 2:
            fail("max_macs: after a failed reload port 2 shows %r" % p,
                 sw.log())
        print("ok max_macs: third source dropped and counted, known ones "
              "forward, ageing makes room, reload raises it, 0 refused")
        g.close()
        obs.close()
    finally:
        sw.stop()


class Events:
    """sockswitchctl --json events, read line by line."""

    def __init__(self, sw):
        self.p = subprocess.Popen(
            [sw.ctl_exe, "-s", sw.ctl, "--json", "events"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = b""
        self.seen = []

    def poll(self, wait_s=0.0):
        """Read what has come; return the events seen so far."""
        end = time.monotonic() + wait_s
        while True:
            left = max(0.0, end - time.monotonic())
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if not r:
                return self.seen
            d = os.read(self.p.stdout.fileno(), 1 << 16)
            if not d:
                return self.seen
            self.buf += d
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                self.seen.append(json.loads(line))

    def named(self, name):
        return [e for e in self.seen if e["event"] == name]

    def close(self):
        self.p.terminate()
        self.p.wait(5)
        self.p.stdout.close()


def conflict_run(exe, ctl_exe, tmp, hold_ms, how):
    conf = {"mac_hold_down_ms": hold_ms,
            "listen": ["unix:" + os.path.join(tmp, "g.sock")]}
    sw = Switch(exe, ctl_exe, tmp, conf)
    ev = None
    try:
        ev = Events(sw)
        a = Client(os.path.join(tmp, "g.sock"))
        sw.wait_ports(1)
        b = Client(os.path.join(tmp, "g.sock"))
        sw.wait_ports(2)
        end = time.monotonic() + 20
        n = 0
        while not ev.named("MAC_CONFLICT"):
            if time.monotonic() > end:
                fail("%s: no MAC_CONFLICT after 20 s of one MAC on two "
                     "ports" % how, sw.log())
            (b if n % 2 else a).send(7, dst=mac(99))
            n += 1
            ev.poll(0.05)
        # The same for 3 s more: no second event, no second warning.
        end = time.monotonic() + 3
        while time.monotonic() < end:
            (b if n % 2 else a).send(7, dst=mac(99))
            n += 1
            ev.poll(0.05)
        got = ev.named("MAC_CONFLICT")
        warns = [ln for ln in sw.log().splitlines()
                 if "two guests with the same mac=" in ln]
        if len(got) != 1 or len(warns) != 1:
            fail("%s: %d MAC_CONFLICT events and %d warnings, expected "
                 "one each: %r" % (how, len(got), len(warns), got), sw.log())
        d = got[0]["data"]
        ids = sorted([d["on"]["port"], d["also"]["port"]])
        names = sorted([d["on"]["name"], d["also"]["name"]])
        if d["mac"] != "02:00:00:00:00:07" or d["vlan"] != 0 or \
                ids != [1, 2] or names != ["p1", "p2"] or d["how"] != how:
            fail("%s: MAC_CONFLICT data %r" % (how, d), sw.log())
        if how == "held" and d["on"]["port"] != 1:
            fail("held: the address should stay on port 1: %r" % d)
        if "port 1 (p1: unix pid=" not in warns[0]:
            fail("%s: the warning does not name the ports: %s" %
                 (how, warns[0]))
        print("ok conflict (%s): one MAC_CONFLICT %s, one warning" %
              (how, json.dumps(d)))
        a.close()
        b.close()
    finally:
        if ev:
            ev.close()
        sw.stop()


def case_conflict(exe, ctl_exe, tmp):
    conflict_run(exe, ctl_exe, tmp, 500, "held")
    conflict_run(exe, ctl_exe, tmp, 0, "moving")


def vde_plug(dirpath, descr, **kw):
    """vde_plug -D DESCR vde:///DIR, its stdin and stdout pipes kept."""
    if not shutil.which("vde_plug"):
        skip("needs vde_plug (Debian's vde2)")
    return subprocess.Popen(["vde_plug", "-D", descr, "vde://" + dirpath],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)


def end_proc(p):
    if p.poll() is None:
        p.terminate()
    p.wait(5)
    for f in (p.stdin, p.stdout, p.stderr):
        if f:
            f.close()


def expect_refused(sw, args, why):
    r = sw.run(*args, check=False)
    if r.returncode != 1 or why not in r.stderr:
        fail("sockswitchctl %s: expected exit 1 with %r, got %d: %s%s" %
             (" ".join(args), why, r.returncode, r.stdout, r.stderr),
             sw.log())


def case_names(exe, ctl_exe, tmp):
    vdir = os.path.join(tmp, "vde")
    conf = {"listen": ["unix:" + os.path.join(tmp, "g.sock"), "vde:" + vdir],
            "metrics": "unix:" + os.path.join(tmp, "metrics.sock")}
    sw = Switch(exe, ctl_exe, tmp, conf)
    ev = plug = None
    try:
        ev = Events(sw)
        plug = vde_plug(vdir, "lab web1")
        sw.wait_ports(1)
        vname = sw.port(1)["name"]
        if not vname.startswith("lab_web1_user=") or " " in vname:
            fail("names: the VDE port is called %r" % vname, sw.log())
        g = Client(os.path.join(tmp, "g.sock"))
        sw.wait_ports(2)
        cap = sw.run("capture", "start", "port=2",
                     "file=" + os.path.join(tmp, "p2.pcap"), check=False)
        r = sw.run("name", "2", "db-1")
        if r.stdout.strip() != "port 2 renamed p2 -> db-1":
            fail("names: sockswitchctl name said %r" % r.stdout)
        got = ev.poll(1.0) and ev.named("PORT_RENAMED")
        if not got or got[0]["data"] != {"port": 2, "name": "db-1",
                                          "old": "p2", "transport": "unix"}:
            fail("names: PORT_RENAMED %r" % got, sw.log())
        table = sw.run("ports").stdout
        if " db-1 " not in table or " " + vname + " " not in table:
            fail("names: the ports table lacks a name:\n" + table)
        for args, why in ((["name", "2", "a b"], "only letters"),
                          (["name", "2", "42"], "must not be a number"),
                          (["name", "2", vname], "port 1 has that name"),
                          (["name", "2", "p1"], "default names"),
                          (["name", "2", "x" * 32], "at most 31 bytes"),
                          (["name", "9", "web"], "no port 9")):
            expect_refused(sw, args, why)
        if sw.port(2)["name"] != "db-1":
            fail("names: a refused name changed the port")
        g.send(5)
        ev.poll(0.5)
        learned = [e for e in ev.named("MAC_LEARNED")
                   if e["data"]["mac"] == "02:00:00:00:00:05"]
        if not learned or learned[0]["data"]["to"] != {"port": 2,
                                                       "name": "db-1"}:
            fail("names: MAC_LEARNED %r" % learned, sw.log())
        m = metrics(os.path.join(tmp, "metrics.sock"))
        if 'port="2",name="db-1"' not in m or \
                'port="1",name="%s"' % vname not in m:
            fail("names: the metrics lack the names:\n" + m[:3000])
        if cap.returncode == 0:
            caps = json.loads(sw.run("--json", "raw",
                                     '{"execute": "query-captures"}')
                              .stdout)["return"]
            if [c["name"] for c in caps] != ["db-1"]:
                fail("names: query-captures shows %r" % caps, sw.log())
        else:
            print("# names: no capture (%s): query-captures not checked"
                  % cap.stderr.strip())
        sw.run("disable", "db-1")
        if sw.port(2)["state"] != "disabled":
            fail("names: disable by the new name did not work")
        print("ok names: VDE description %s, renamed p2 -> db-1 in the "
              "event, listings, MAC events and metrics; bad names "
              "refused" % vname)
        g.close()
    finally:
        if plug:
            end_proc(plug)
        if ev:
            ev.close()
        sw.stop()


SERVED, REFUSED, SILENT = 0, 10, 11


def peer_child(path, uid, gid, groups, src):
    """Child: become @uid/@gid with @groups, connect to @path, send one
    frame from @src; exit REFUSED if the switch closes the connection,
    SERVED if it stays open for a second."""
    os.setgroups(groups)
    os.setgid(gid)
    os.setuid(uid)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1.0)
    try:
        s.connect(path)
        f = BCAST + mac(src) + ETH + bytes(46)
        s.sendall(struct.pack(">I", len(f)) + f)
        while True:
            if not s.recv(4096):
                os._exit(REFUSED)
    except (ConnectionResetError, BrokenPipeError):
        os._exit(REFUSED)
    except socket.timeout:
        os._exit(SERVED)
    os._exit(SILENT)


def attach_as(sw, obs, path, uid, gid, groups, src, want):
    pid = os.fork()
    if pid == 0:
        try:
            peer_child(path, uid, gid, groups, src)
        except Exception as e:  # noqa: BLE001 - report and exit
            print("client: %r" % e)
        os._exit(3)
    _, status = os.waitpid(pid, 0)
    got = os.WEXITSTATUS(status)
    seen = src in obs.sources(0.2)
    what = "uid %d gid %d groups %s on %s" % (uid, gid, groups,
                                              os.path.basename(path))
    if want == SERVED and (got != SERVED or not seen):
        fail("peers: %s: expected to be served, got %d (frame seen: %s)" %
             (what, got, seen), sw.log())
    if want == REFUSED and (got != REFUSED or seen):
        fail("peers: %s: expected to be refused, got %d (frame seen: %s)"
             % (what, got, seen), sw.log())


def refused_counts(sw):
    st = json.loads(sw.run("--json", "status").stdout)
    return {os.path.basename(x["url"]): x["peers_refused"]
            for x in st["listener_stats"]}


def vde_as(sw, vdir, uid):
    """vde_plug as @uid: True if it attached (is still running)."""
    plug = vde_plug(vdir, "peer-test", user=uid, group=uid,
                    extra_groups=[])
    try:
        try:
            plug.wait(1.5)
            return False
        except subprocess.TimeoutExpired:
            return True
    finally:
        end_proc(plug)


def case_peers(exe, ctl_exe, tmp):
    if os.geteuid() != 0:
        print("# peers: not root, cannot run clients as other users: "
              "skipped")
        return
    os.chmod(tmp, 0o755)
    u = {name: os.path.join(tmp, name + ".sock")
         for name in ("obs", "none", "uids", "gids", "open")}
    vdir = os.path.join(tmp, "vde")
    conf = {"socket_mode": "0666", "listen": [
        "unix:" + u["obs"],
        {"url": "unix:" + u["none"], "allow_uids": []},
        {"url": "unix:" + u["uids"], "allow_uids": ["nobody"]},
        {"url": "unix:" + u["gids"], "allow_gids": [NOGROUP]},
        "unix:" + u["open"],
        {"url": "vde:" + vdir, "allow_uids": []}],
        "metrics": "unix:" + os.path.join(tmp, "metrics.sock")}
    sw = Switch(exe, ctl_exe, tmp, conf)
    try:
        obs = Client(u["obs"])
        sw.wait_ports(1)
        cases = [("none", NOBODY, NOBODY, [], REFUSED),
                 ("none", 0, 0, [], SERVED),
                 ("uids", NOBODY, NOBODY, [], SERVED),
                 ("uids", OTHER, OTHER, [], REFUSED),
                 ("gids", OTHER, NOGROUP, [], SERVED),
                 ("gids", OTHER, OTHER, [NOGROUP], SERVED),
                 ("gids", OTHER, OTHER, [], REFUSED),
                 ("open", OTHER, OTHER, [], SERVED)]
        for src, (name, uid, gid, groups, want) in enumerate(cases, 10):
            attach_as(sw, obs, u[name], uid, gid, groups, src, want)
        if vde_as(sw, vdir, NOBODY) or not vde_as(sw, vdir, 0):
            fail("peers: the vde: listener should refuse uid %d and let "
                 "root in" % NOBODY, sw.log())
        n = refused_counts(sw)
        want = {"obs.sock": 0, "none.sock": 1, "uids.sock": 1,
                "gids.sock": 1, "open.sock": 0, "vde": 1}
        if n != want:
            fail("peers: peers_refused %r, expected %r" % (n, want),
                 sw.log())
        m = metrics(os.path.join(tmp, "metrics.sock"))
        if 'sockswitch_listener_peers_refused_total{listener="unix:%s"} 1'\
                % u["none"] not in m:
            fail("peers: metrics lack the refusal:\n" + m[:2000])
        log = sw.log()
        if "uid %d gid %d may not attach" % (NOBODY, NOBODY) not in log \
                or '"allow_uids": [%d]' % NOBODY not in log:
            fail("peers: the refusal is not logged with the fix", log)
        if "refused:    1 peer on unix:" + u["none"] not in \
                sw.run("status").stdout:
            fail("peers: sockswitchctl status does not show refusals")
        conf["listen"][1]["allow_uids"] = [NOBODY]
        sw.write(conf)
        sw.run("reload")
        if "none.sock allow_uids [%d]" % NOBODY not in sw.log():
            fail("peers: the reload summary lacks the new list", sw.log())
        attach_as(sw, obs, u["none"], NOBODY, NOBODY, [], 30, SERVED)
        print("ok peers: allow_uids/allow_gids (primary and supplementary "
              "groups) on unix: and vde:, refusals counted and logged, "
              "reload applies")
        obs.close()
    finally:
        sw.stop()


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    exe, ctl_exe = sys.argv[1], sys.argv[2]
    for case in (case_max_macs, case_conflict, case_names, case_peers):
        with tempfile.TemporaryDirectory(prefix="ss-portsec-") as tmp:
            case(exe, ctl_exe, tmp)


if __name__ == "__main__":
    main()
