#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tcp_uid.py SOCKSWITCH - a tcp: listener on loopback lets in only the
users it allows.

The switch runs as root with these listeners (ports picked by the kernel):

  127.0.0.1  the default: the switch's own uid (root) only
  127.0.0.2  "allow_uids": [65534]
  127.0.0.3  "allow_any_uid": true
  [::1]      the default (when the host has IPv6 on loopback)

A client running as uid 65534 (nobody; a forked child that setuid()s)
must be refused on the default listeners (connection closed, a refusal
naming uid 65534 and the fix in the log) and served on the others; a
client as root is served everywhere. "Served" means frames go both ways
with an observer on a unix socket. Then a reload swaps the lists of
127.0.0.1 and 127.0.0.2, and new connections follow the new lists.
Needs root (to run a client as another user); exit 77 = skipped.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from sstest import fail, skip

NOBODY = 65534
ROOT = 0
BCAST = b"\xff" * 6
SERVED, REFUSED, SILENT = 0, 10, 11




def frame(src, tag):
    return BCAST + bytes([2, 0, 0, 0, 0, src]) + b"\x88\xb5" + \
        bytes([tag]) * 46


def framed(f):
    return struct.pack(">I", len(f)) + f


def have_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def client(family, addr, uid, src):
    """Child: connect as @uid, send a broadcast, wait for one from the
    observer. Exit SERVED, REFUSED (closed by the switch) or SILENT."""
    if uid != ROOT:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(3.0)
    try:
        s.connect(addr)
        s.sendall(framed(frame(src, 1)))
        end = time.monotonic() + 3.0
        while time.monotonic() < end:
            data = s.recv(4096)
            if not data:
                os._exit(REFUSED)
            # a frame from the observer (src 1) came through
            if b"\x02\x00\x00\x00\x00\x01" in data:
                os._exit(SERVED)
    except (ConnectionResetError, BrokenPipeError):
        os._exit(REFUSED)
    except socket.timeout:
        os._exit(SILENT)
    os._exit(SILENT)


class Switch:
    def __init__(self, binary, top):
        self.top = top
        self.cfg = os.path.join(top, "sw.json")
        self.obs_path = os.path.join(top, "obs.sock")
        self.log_path = os.path.join(top, "sw.log")
        self.binary = binary
        self.proc = None
        self.obs = None
        self.ports = {}

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def write_config(self, lists, v6):
        listen = ["unix:" + self.obs_path]
        for host, extra in lists:
            listen.append(dict({"url": "tcp:%s:0" % host}, **extra))
        if v6:
            listen.append("tcp:[::1]:0")
        with open(self.cfg + ".tmp", "w") as f:
            json.dump({"listen": listen}, f)
        os.rename(self.cfg + ".tmp", self.cfg)

    def start(self):
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [self.binary, "-c", self.cfg, "--control", "none"],
            stdout=self.logf, stderr=subprocess.STDOUT)
        self.wait_for("ready pid=")
        for line in self.log().splitlines():
            if line.startswith("listening on tcp:"):
                url = line.split()[2]
                host, port = url[4:].rsplit(":", 1)
                self.ports[host.strip("[]")] = int(port)
        self.obs = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.obs.connect(self.obs_path)
        self.obs.setblocking(False)

    def wait_for(self, text, count=1):
        deadline = time.monotonic() + 10
        while self.log().count(text) < count:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                fail("the switch did not log %r" % text, self.log())
            time.sleep(0.02)

    def drain_obs(self, src):
        """Read the observer's socket; True if a frame from @src came."""
        seen = False
        try:
            while True:
                data = self.obs.recv(65536)
                if not data:
                    fail("the observer was disconnected", self.log())
                if bytes([2, 0, 0, 0, 0, src]) in data:
                    seen = True
        except BlockingIOError:
            pass
        return seen

    def attach(self, host, uid, src):
        """Fork a client as @uid to @host; return (status, its frame
        reached the observer)."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        addr = (host, self.ports[host])
        pid = os.fork()
        if pid == 0:
            try:
                client(family, addr, uid, src)
            except Exception as e:  # noqa: BLE001 - report and exit
                print("client: %r" % e)
                os._exit(3)
        seen = False
        tag = 0
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            try:
                self.obs.sendall(framed(frame(1, tag & 0xFF)))
            except BlockingIOError:
                pass
            tag += 1
            seen |= self.drain_obs(src)
            time.sleep(0.02)
        time.sleep(0.05)
        seen |= self.drain_obs(src)
        return os.WEXITSTATUS(status), seen

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def expect(sw, host, uid, want, src):
    status, seen = sw.attach(host, uid, src)
    name = "uid %d on %s" % (uid, host)
    if want == SERVED:
        if status != SERVED or not seen:
            fail("%s: expected to be served, got status %d, frame to the "
                 "observer %s" % (name, status, seen), sw.log())
    elif status != REFUSED or seen:
        fail("%s: expected to be refused, got status %d, frame to the "
             "observer %s" % (name, status, seen), sw.log())
    print("ok - %s %s" % (name, "served" if want == SERVED else "refused"))


def main():
    if len(sys.argv) != 2:
        print("usage: tcp_uid.py SOCKSWITCH")
        sys.exit(2)
    if os.geteuid() != 0:
        skip("needs root to run a client as uid %d" % NOBODY)
    top = tempfile.mkdtemp(prefix="sstcpuid.")
    v6 = have_ipv6_loopback()
    sw = Switch(os.path.abspath(sys.argv[1]), top)
    try:
        sw.write_config([("127.0.0.1", {}),
                         ("127.0.0.2", {"allow_uids": [NOBODY]}),
                         ("127.0.0.3", {"allow_any_uid": True})], v6)
        sw.start()
        src = 10
        cases = [("127.0.0.1", NOBODY, REFUSED), ("127.0.0.1", ROOT, SERVED),
                 ("127.0.0.2", NOBODY, SERVED), ("127.0.0.2", ROOT, SERVED),
                 ("127.0.0.3", NOBODY, SERVED)]
        if v6:
            cases += [("::1", NOBODY, REFUSED), ("::1", ROOT, SERVED)]
        else:
            print("# no IPv6 on loopback: [::1] not tested")
        for host, uid, want in cases:
            expect(sw, host, uid, want, src)
            src += 1
        log = sw.log()
        refusals = [ln for ln in log.splitlines()
                    if "uid %d may not attach" % NOBODY in ln]
        if len(refusals) != (2 if v6 else 1):
            fail("expected a refusal line per refused client, got %d" %
                 len(refusals), log)
        if '"allow_uids": [%d]' % NOBODY not in refusals[0] or \
                '"allow_any_uid": true' not in refusals[0]:
            fail("the refusal does not name the fix", log)
        print("ok - refusals logged with the uid and the fix")

        # Reload: the lists of .1 and .2 swap; new connections follow.
        sw.write_config([("127.0.0.1", {"allow_uids": ["nobody"]}),
                         ("127.0.0.2", {}),
                         ("127.0.0.3", {"allow_any_uid": True})], v6)
        sw.proc.send_signal(signal.SIGHUP)
        sw.wait_for("reload (")
        if "allow_uids [%d]" % NOBODY not in sw.log():
            fail("the reload summary does not name the new list", sw.log())
        for host, uid, want in (("127.0.0.1", NOBODY, SERVED),
                                ("127.0.0.2", NOBODY, REFUSED),
                                ("127.0.0.2", ROOT, SERVED)):
            expect(sw, host, uid, want, src)
            src += 1
        if sw.proc.poll() is not None:
            fail("the switch died", sw.log())
        print("ok: tcp: listeners admit only the users they allow")
    finally:
        sw.stop()
        subprocess.run(["rm", "-rf", top], check=False)


if __name__ == "__main__":
    main()
