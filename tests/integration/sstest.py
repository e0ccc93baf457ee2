# SPDX-License-Identifier: MIT
"""sstest.py - what the Python integration tests share: how they skip and
how they fail (exit 77 and 1, as ctest expects), how they run
sockswitchctl and stop the switch, a stream client speaking QEMU's
framing, and a switch started for a test."""
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

ETH = b"\x88\xb5"


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def fail(why, log=None, logs=()):
    """Print FAIL: WHY, then the switch's log (@log) or several named logs
    (@logs: (name, text) pairs), and exit 1."""
    print("FAIL: " + why)
    if log:
        print("---- switch log")
        print(log)
    for name, text in logs:
        print("---- " + name)
        print(text)
    sys.exit(1)


def start_switch(args, logpath, limit_s=10.0):
    """Start the switch (@args: its command line) with its output in
    @logpath, and wait until it logs "ready pid=". Return the Popen;
    FAIL with the log if it exits or is not ready within @limit_s."""
    with open(logpath, "wb") as log:
        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    end = time.monotonic() + limit_s
    text = ""
    while time.monotonic() < end:
        with open(logpath, errors="replace") as f:
            text = f.read()
        if "\nready pid=" in "\n" + text:
            return p
        if p.poll() is not None:
            break
        time.sleep(0.02)
    if p.poll() is None:
        p.kill()
        p.wait()
    fail("switch did not start", text)


def ctl_run(ctl_exe, sock, args, check=True, log=None):
    """Run sockswitchctl -s @sock ARGS; fail (with @log(), the switch's
    log) unless it exits 0, when @check."""
    r = subprocess.run([ctl_exe, "-s", sock] + list(args),
                       capture_output=True, text=True, timeout=10)
    if check and r.returncode != 0:
        fail("sockswitchctl %s: rc %d: %s%s" % (
            " ".join(args), r.returncode, r.stdout, r.stderr),
            log() if log else None)
    return r


def stop_switch(proc, log):
    """SIGTERM the switch @proc (killed after 10 s); fail, with @log(),
    unless it exits 0."""
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        fail("switch did not stop on SIGTERM", log())
    if rc != 0:
        fail("switch exited %d" % rc, log())


class Client:
    def __init__(self, path, mac):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.mac = mac
        self.buf = b""

    def send(self, dst, payload):
        f = dst + self.mac + ETH + payload
        if len(f) < 60:
            f += b"\0" * (60 - len(f))
        self.s.sendall(struct.pack(">I", len(f)) + f)

    def send_raw(self, frame):
        """One frame exactly as given: no padding, no addresses added."""
        self.s.sendall(struct.pack(">I", len(frame)) + frame)

    def recv_all(self, quiet_s, limit_s=30.0):
        """Frames until nothing arrives for @quiet_s: [(time, frame)]."""
        out = []
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            r, _, _ = select.select([self.s], [], [], quiet_s)
            if not r:
                break
            d = self.s.recv(1 << 20)
            if not d:
                break
            now = time.monotonic()
            self.buf += d
            while len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) < 4 + n:
                    break
                out.append((now, self.buf[4:4 + n]))
                self.buf = self.buf[4 + n:]
        return out


class Switch:
    def __init__(self, exe, ctl_exe, tmp, config=None):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "sw.sock")
        self.ctl = os.path.join(tmp, "ctl.sock")
        self.ctl_exe = ctl_exe
        self.logpath = os.path.join(tmp, "sw.log")
        args = [exe, "--control", self.ctl]
        if config:
            self.cfg = os.path.join(tmp, "sw.json")
            with open(self.cfg, "w") as f:
                json.dump(config, f)
            args += ["--config", self.cfg]
        else:
            args += ["--listen", "unix:" + self.sock]
        self.p = start_switch(args, self.logpath)

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def ctl_run(self, *args, check=True):
        return ctl_run(self.ctl_exe, self.ctl, args, check, self.log)

    def ports(self):
        """The port table (sockswitchctl --json ports) by port name."""
        return {p["name"]: p for p in
                json.loads(self.ctl_run("--json", "ports").stdout)}

    def wait_ports(self, what, cond, limit_s=10):
        """Poll ports() until @cond(ports) is true; return them. FAIL,
        naming @what, with the table and the log after @limit_s."""
        end = time.monotonic() + limit_s
        while True:
            got = self.ports()
            if cond(got):
                return got
            if time.monotonic() > end:
                fail("%s: ports show %r" % (what, got), self.log())
            time.sleep(0.01)

    def port(self, name):
        ports = json.loads(self.ctl_run("--json", "ports").stdout)
        for p in ports:
            if p["name"] == name:
                return p
        fail("no port " + name, self.log())

    def stop(self):
        stop_switch(self.p, self.log)


def metrics_get(path):
    """GET /metrics over a unix metrics socket; the body, as text."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    return data.split(b"\r\n\r\n", 1)[1].decode()
