#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""path_race.py SOCKSWITCH - a local user cannot aim the switch at another
user's socket by swapping paths.

Two confused-deputy attacks, each raced for a few seconds by an
unprivileged attacker (uid 65534) against a victim's datagram socket that
the attacker cannot reach (in a root-owned 0700 directory) but the switch,
running as root here, could:

  unixgram: the attacker's guest socket closes and its path (or a
            directory in it) is replaced by a symlink to the victim's
            socket, so the switch's reconnect would follow it;
  vde:      the attacker's VDE request names its own data socket, and the
            path is swapped with a symlink to the victim's socket while
            the switch checks and connects it.

A station on a unix stream port broadcasts all the while, so every port
the attacker holds gets frames. The victim must receive nothing, and the
switch's log must show that it refused (the attack reached the check).
Needs root (to run the attacker as another user); exit 77 = skipped.
"""
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from sstest import fail, skip

NOBODY = 65534
RACE_S = 3.0




def frame(dst, src, tag):
    return dst + src + b"\x88\xb5" + bytes([tag]) * 46


def mac(n):
    return bytes([2, 0, 0, 0, 0, n])


BCAST = b"\xff" * 6


def become_nobody():
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def attacker_unixgram(sw_sock, att_dir, victim_dir, victim_name):
    """Bind, send (so the switch knows the path), close, swap the path or
    its directory for a symlink into the victim's directory; repeat."""
    become_nobody()
    path = os.path.join(att_dir, "a.sock")
    sub = os.path.join(att_dir, "d")
    sub_path = os.path.join(sub, victim_name)
    victim = os.path.join(victim_dir, victim_name)
    end = time.monotonic() + RACE_S
    n = 0
    while time.monotonic() < end:
        use_dir = n % 2 == 1
        n += 1
        target = sub_path if use_dir else path
        for p in (path, sub_path):
            try:
                os.unlink(p)
            except OSError:
                pass
        try:
            os.unlink(sub)
        except IsADirectoryError:
            pass
        except OSError:
            pass
        if use_dir and not os.path.isdir(sub):
            os.mkdir(sub, 0o700)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(target)
        try:
            s.sendto(frame(BCAST, mac(66), 1), sw_sock)
        except OSError:
            pass
        time.sleep(0.01)
        s.close()
        if use_dir:
            os.unlink(sub_path)
            os.rmdir(sub)
            os.symlink(victim_dir, sub)
        else:
            os.unlink(path)
            os.symlink(victim, path)
        time.sleep(0.02)
    os._exit(0)


def vde_request(path, descr=b"attacker"):
    sun = struct.pack("=H", socket.AF_UNIX) + path.encode()
    sun = sun.ljust(110, b"\0")
    return struct.pack("=III", 0xFEEDFACE, 3, 1) + sun + descr


def attacker_vde(ctl, att_dir, victim):
    """VDE handshakes naming a path that flips between the attacker's own
    socket and a symlink to the victim's."""
    become_nobody()
    real = os.path.join(att_dir, "real.sock")
    path = os.path.join(att_dir, "vd.sock")
    own = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    own.bind(real)
    stop = time.monotonic() + RACE_S

    def swapper():
        k = 0
        while time.monotonic() < stop:
            tmp = os.path.join(att_dir, "tmp%d" % (k % 2))
            try:
                os.unlink(tmp)
            except OSError:
                pass
            if k % 2:
                os.symlink(victim, tmp)
            else:
                os.link(real, tmp)
            os.rename(tmp, path)
            k += 1

    t = threading.Thread(target=swapper)
    t.start()
    while time.monotonic() < stop:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect(ctl)
            c.sendall(vde_request(path))
            c.settimeout(1.0)
            c.recv(200)
            time.sleep(0.005)  # the station's broadcasts go out now
        except OSError:
            pass
        c.close()
        try:
            while True:
                own.recv(2000, socket.MSG_DONTWAIT)
        except OSError:
            pass
    t.join()
    os._exit(0)


def main():
    if len(sys.argv) != 2:
        print("usage: path_race.py SOCKSWITCH")
        sys.exit(2)
    if os.geteuid() != 0:
        skip("needs root to run the attacker as uid %d" % NOBODY)
    binary = os.path.abspath(sys.argv[1])
    top = tempfile.mkdtemp(prefix="sspathrace.")
    os.chmod(top, 0o755)
    sw_dir = os.path.join(top, "sw")
    att_dir = os.path.join(top, "att")
    victim_dir = os.path.join(top, "victim")
    for d in (sw_dir, att_dir, victim_dir):
        os.mkdir(d)
    os.chmod(sw_dir, 0o755)
    os.chmod(victim_dir, 0o700)
    os.chown(att_dir, NOBODY, NOBODY)
    os.chmod(att_dir, 0o700)
    victim_path = os.path.join(victim_dir, "v.sock")
    victim = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    victim.bind(victim_path)
    victim.setblocking(False)

    g_sock = os.path.join(sw_dir, "g.sock")
    a_sock = os.path.join(sw_dir, "a.sock")
    vde_dir = os.path.join(sw_dir, "vde")
    log_path = os.path.join(top, "sw.log")
    logf = open(log_path, "w")
    sw = subprocess.Popen(
        [binary, "--listen", "unix:" + a_sock, "--listen",
         "unixgram:" + g_sock, "--listen", "vde:" + vde_dir,
         "--socket-mode", "0666", "--control", "none"],
        stdout=logf, stderr=subprocess.STDOUT)
    pids = []
    try:
        deadline = time.monotonic() + 10
        while "ready pid=" not in open(log_path).read():
            if time.monotonic() > deadline or sw.poll() is not None:
                fail("the switch did not start", open(log_path).read())
            time.sleep(0.05)
        os.chmod(vde_dir, 0o777)  # the attacker may use DIR/ctl
        st = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        st.connect(a_sock)

        got = 0

        def drain():
            nonlocal got
            while True:
                try:
                    victim.recv(2000)
                    got += 1
                except BlockingIOError:
                    return

        for name, fn, args in (
                ("unixgram", attacker_unixgram,
                 (g_sock, att_dir, victim_dir, "v.sock")),
                ("vde", attacker_vde,
                 (os.path.join(vde_dir, "ctl"), att_dir, victim_path))):
            pid = os.fork()
            if pid == 0:
                try:
                    fn(*args)
                except Exception as e:  # noqa: BLE001 - report and exit
                    print("attacker %s: %r" % (name, e))
                    os._exit(3)
            pids.append(pid)
            tag = 0
            while True:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    break
                f = frame(BCAST, mac(1), tag & 0xFF)
                st.sendall(struct.pack(">I", len(f)) + f)
                tag += 1
                select.select([victim], [], [], 0.002)
                drain()
            pids.remove(pid)
            if os.WEXITSTATUS(status) != 0:
                fail("the %s attacker failed (status %d)" %
                     (name, os.WEXITSTATUS(status)), open(log_path).read())
            time.sleep(0.2)
            drain()
            print("%s: %d broadcasts sent while the attacker raced; "
                  "the victim received %d datagrams" % (name, tag, got))
            if got:
                fail("%s: %d frames reached the victim's socket" %
                     (name, got), open(log_path).read())
        log = open(log_path).read()
        refused_dgram = log.count("not sending to ")
        refused_vde = log.count("belongs to uid") + \
            log.count("is not a socket")
        vde_ok = log.count("connected on vde:")
        print("switch refused: %d unixgram reconnects, %d VDE handshakes; "
              "%d VDE handshakes to the attacker's own socket" %
              (refused_dgram, refused_vde, vde_ok))
        if refused_dgram == 0:
            fail("no unixgram refusal logged: the race never reached the "
                 "check", log)
        if refused_vde == 0 or vde_ok == 0:
            fail("the VDE race did not exercise both outcomes", log)
        if sw.poll() is not None:
            fail("the switch died", log)
        print("ok: no frame reached the victim")
    finally:
        for pid in pids:
            try:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            except OSError:
                pass
        if sw.poll() is None:
            sw.terminate()
            try:
                sw.wait(10)
            except subprocess.TimeoutExpired:
                sw.kill()
                sw.wait()
        logf.close()
        subprocess.run(["rm", "-rf", top], check=False)


if __name__ == "__main__":
    main()
