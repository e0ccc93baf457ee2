# SPDX-License-Identifier: MIT
"""nslab.py - what the tests that build networks of namespaces share
(vxlan.py, vxlan_ovs.py): a Lab that makes network namespaces, runs
commands in them and removes them with every process it started (by
recorded pid), and builders of the ARP, IPv4 and ICMP frames a stream
client sends to the kernels in them."""
import os
import signal
import socket
import struct
import subprocess

from sstest import fail


class Lab:
    """Namespaces named PREFIX<pid>-KEY, made by add_ns(); processes
    registered with own() are stopped (SIGTERM, then SIGKILL after 10 s)
    in reverse order by cleanup(), which then deletes the namespaces.
    @logs: a function returning (name, text) pairs printed on failure."""

    def __init__(self, prefix, logs=None):
        self.prefix = "%s%d" % (prefix, os.getpid())
        self.ns = {}
        self.procs = []
        self.logs = logs or (lambda: [])

    def add_ns(self, key):
        name = "%s-%s" % (self.prefix, key)
        self.run("ip", "netns", "add", name)
        self.ns[key] = name
        self.run("ip", "link", "set", "lo", "up", ns=key)
        return name

    def run(self, *args, check=True, ns=None, env=None, timeout=30):
        """Run ARGS (in namespace @ns, a key); FAIL unless it exits 0,
        when @check."""
        cmd = (["ip", "netns", "exec", self.ns[ns]] if ns else []) + \
            list(args)
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout, env=env)
        if check and r.returncode != 0:
            fail("%s: rc %d: %s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                       r.stderr), logs=self.logs())
        return r

    def own(self, proc):
        self.procs.append(proc)
        return proc

    def mac_of(self, ns, dev):
        return bytes.fromhex(self.run(
            "cat", "/sys/class/net/%s/address" % dev,
            ns=ns).stdout.strip().replace(":", ""))

    def cleanup(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                os.kill(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.kill(p.pid, signal.SIGKILL)
                    p.wait()
        for name in self.ns.values():
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def csum(b):
    """The Internet checksum of @b."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def arp(op, src_mac, src_ip, dst_mac, dst_ip):
    """An ARP request (@op 1, broadcast; @dst_mac unused) or reply (2)."""
    eth_dst = b"\xff" * 6 if op == 1 else dst_mac
    return (eth_dst + src_mac + b"\x08\x06" +
            struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + src_mac +
            socket.inet_aton(src_ip) + (b"\0" * 6 if op == 1 else dst_mac)
            + socket.inet_aton(dst_ip) + b"\0" * 18)


def ipv4(src_ip, dst_ip, ident, payload, proto=1):
    """An IPv4 header (TTL 64, checksum filled in) and @payload."""
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                      0, 64, proto, 0, socket.inet_aton(src_ip),
                      socket.inet_aton(dst_ip))
    return iph[:10] + struct.pack("!H", csum(iph)) + iph[12:] + payload


def icmp(typ, ident, seq, data):
    """An ICMP echo request (@typ 8) or reply (0), checksum filled in."""
    m = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def icmp_echo(src_mac, dst_mac, src_ip, dst_ip, ident, size=56):
    """A whole Ethernet frame: an echo request with @size data bytes."""
    data = (bytes(range(256)) * (size // 256 + 1))[:size]
    return dst_mac + src_mac + b"\x08\x00" + \
        ipv4(src_ip, dst_ip, ident, icmp(8, ident, 1, data))


def is_arp_reply_from(f, ip):
    return f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02" and \
        f[28:32] == socket.inet_aton(ip)
