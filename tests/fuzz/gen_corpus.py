#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed corpus under tests/fuzz/corpus/ (docs/fuzzing.md). Seeds
# are named seed-*; inputs that libFuzzer found and that are worth keeping
# (crash reproducers, new coverage) sit next to them under other names and
# are not touched here. Run from anywhere: python3 tests/fuzz/gen_corpus.py
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---- stream_rx: [max_frame - 14 (be16)] [N] [N chunk sizes] [stream] ----

def frame(n, fill=0x41):
    return struct.pack(">I", n) + bytes([fill]) * n


def rx(max_frame, sizes, stream):
    return (struct.pack(">H", max_frame - 14) + bytes([len(sizes)]) +
            bytes(sizes) + stream)


put("stream_rx", "one-frame", rx(1514, [], frame(60)))
put("stream_rx", "split-length-prefix",
    rx(1514, [2, 3, 1, 61], frame(60) + frame(60, 0x42)))
put("stream_rx", "byte-by-byte", rx(1514, [1], frame(14) + frame(20)))
put("stream_rx", "runts-and-empty",
    rx(1514, [7], frame(0) + frame(1) + frame(13) + frame(14)))
put("stream_rx", "oversize-length",
    rx(1514, [10], frame(60) + struct.pack(">I", 0xffff) + b"x" * 8))
put("stream_rx", "length-max-plus-one",
    rx(100, [200], frame(100) + frame(101)))
put("stream_rx", "zero-size-reads", rx(1514, [0, 5, 0], frame(30) * 3))
put("stream_rx", "big-chunks",
    rx(9000, [0xf0, 3], frame(3000) + frame(5000, 0x43) + frame(60)))
put("stream_rx", "truncated-tail", rx(1514, [], frame(60) + frame(60)[:30]))

# ---- fwd: 4 parameter bytes, then opcodes with operands ----
# params a: table 1+(a&7), bit 0x80 hub, 0x40 three ports, (a>>3&7) bytes
# b: txq frames 1+(b&15), max_frame 14+(b>>4)*128
# c: ageing 1+(c&7) s, hold-down (c>>3&3)*500 ms; d: hash secret
# opcodes (byte % 17) and operands:
#   0, 1 HOST x y        frame between hosts, see host() below
#   2 RAW port len16 ... frame of raw bytes (zeros past the end)
#   3 FLUSH              end of receive batch: sw_flush(), frames freed
#   4 BUDGET b           port b&3 peer takes (b>>2)*7 bytes per flush,
#                        0 = stalled, 63 = everything
#   5 ATTACH x           remove port x&3, or add it back as number x>>2&7
#   6 ENABLE x           port x&3: toggle administrative state (x>>2&3
#                        0), toggle carrier (1), mark closing (2), storm
#                        control (3): at most x>>4 flooded frames a
#                        second, 0 = no limit
#   7 TIME n             clock += n * 64 ms
#   8 EXPIRE             sw_expire()
#   9 WRITABLE port      peer became writable: flush that port
#   10 PARAMS a b        sw_set_params() with a, b as below
#   11 HOUSEKEEP         FLUSH then EXPIRE
#   12 DROP x len        fwd_drop() on port x&3 (framing if x&4, else
#                        oversize)
#   13 IMPAIR x f ...    sw_port_impair() on port x&3 (normal jitter if
#                        x&4, Gilbert-Elliott loss if x&8: 4 bytes p r
#                        bad good); f says which bytes follow, in order:
#                        1 loss, 2 delay*16 ms + reorder, 4 jitter*8 ms,
#                        8 duplicate, 16 corrupt, 32 rate 8000*(1+16n)
#                        bit/s, 64 mtu*8; then the seed. Probabilities:
#                        n*3922 ppm, 255 = always. Nothing set: off
#   14 RELEASE n         clock += n * 8 ms, sw_impair_release(), flush
#   15 VLAN x            port x&3 gets mode x>>2&3 (none, access, trunk,
#                        trunk with native VLAN a) with VLANs a = x>>4&3,
#                        b = x>>6&3 (0 reads as 1; a trunk carries a..b)
#   16 MIRROR x          mirror session from port x&3 to port x>>2&3:
#                        x>>4&3 = 0 ends it, else starts it with that
#                        direction (1 rx, 2 tx, 3 both)
# (opcodes below 13 mean the same as before 13-16 existed: byte % 17 now)
HOST, RAW, FLUSH, BUDGET, ATTACH, ENABLE, TIME, EXPIRE, WRITABLE, PARAMS, \
    HOUSEKEEP, DROP, IMPAIR, RELEASE, VLAN, MIRROR = 0, 2, 3, 4, 5, 6, 7, 8, 9, \
    10, 11, 12, 13, 14, 15, 16
BCAST, MCAST, ZERO = 7, 6, 5
STALL, ALL = 0, 63


def host(port, dst, src, tagged=False, vid=0, extra=0):
    return bytes([HOST, port | dst << 2 | (0x20 if tagged else 0),
                  src | vid << 3 | extra << 5])


def raw(port, data):
    n = len(data)
    return bytes([RAW, port, n >> 8, n & 0xff]) + data


def budget(port, b):
    return bytes([BUDGET, port | b << 2])


def fwd(a, b, c, ops):
    return bytes([a, b, c, 7]) + b"".join(ops)


P = 0x17  # table 8, queue bytes 3 frames
Q = 0xc7  # 8 frames, max_frame 1550
put("fwd", "broadcast-floods",
    fwd(P, Q, 0, [host(k, BCAST, k) for k in range(4)] + [bytes([FLUSH])]))
put("fwd", "full-mac-table",
    fwd(0x00, Q, 0, [host(k % 4, BCAST, k) for k in range(5)] +
        [bytes([FLUSH])] + [host(0, k, 0) for k in range(1, 5)] +
        [bytes([FLUSH])]))
put("fwd", "stalled-queue-full",
    fwd(P, 0xc3, 0, [budget(1, STALL)] +
        [host(0, BCAST, 0, extra=2) for _ in range(12)] +
        [bytes([FLUSH]), budget(1, ALL), bytes([WRITABLE, 1])]))
put("fwd", "partial-writes",
    fwd(P, Q, 0, [budget(2, 3)] + [host(0, 2, 1)] * 3 +
        [bytes([FLUSH])] + [bytes([WRITABLE, 2])] * 12))
put("fwd", "remove-readd-with-queue",
    fwd(P, Q, 0, [budget(2, STALL), host(2, BCAST, 2), host(0, 2, 0),
                  bytes([ATTACH, 2]), bytes([FLUSH]), host(0, 2, 0),
                  bytes([ATTACH, 2]), host(2, 0, 2), bytes([FLUSH])]))
put("fwd", "ageing",
    fwd(P, Q, 1, [host(0, BCAST, 1), host(1, 1, 2), bytes([FLUSH]),
                  bytes([TIME, 255]), bytes([EXPIRE]), host(1, 1, 2),
                  bytes([HOUSEKEEP])]))
put("fwd", "runt-oversize-tagged",
    fwd(P, 0x17, 0, [raw(0, b"\xff" * 10), raw(1, b"\xff" * 150),
                     raw(2, b"\xff" * 6 + b"\x02" + b"\x00" * 5 +
                         b"\x81\x00\x00\x05\x08\x00" + b"\x00" * 40),
                     host(3, BCAST, 3, tagged=True, vid=2),
                     host(0, MCAST, ZERO), bytes([FLUSH])]))
put("fwd", "lower-queue-bound",
    fwd(P, Q, 0, [budget(3, STALL)] + [host(0, BCAST, 0)] * 8 +
        [bytes([FLUSH]), bytes([PARAMS, P, 0xc0]), host(0, BCAST, 0),
         bytes([FLUSH]), budget(3, ALL), bytes([WRITABLE, 3])]))
put("fwd", "hub",
    fwd(0x80 | P, Q, 0, [host(0, BCAST, 0), host(1, 0, 1),
                         bytes([FLUSH])]))
put("fwd", "hold-down-move",
    fwd(P, Q, 0x08, [host(0, BCAST, 1), host(3, BCAST, 1),
                     bytes([TIME, 20]), host(3, BCAST, 1), host(2, 1, 4),
                     bytes([FLUSH])]))
put("fwd", "disable-enable",
    fwd(P, Q, 0, [host(2, BCAST, 2), bytes([ENABLE, 2]),
                  host(0, 2, 0), host(2, BCAST, 2), bytes([ENABLE, 2]),
                  bytes([FLUSH])]))
put("fwd", "carrier-closing",
    fwd(P, Q, 0, [bytes([ENABLE, 1 | 1 << 2]), host(0, BCAST, 0),
                  bytes([ENABLE, 1]), bytes([ENABLE, 1 | 1 << 2]),
                  host(0, BCAST, 0), bytes([ENABLE, 1]),
                  host(2, BCAST, 2), bytes([ENABLE, 3 | 2 << 2]),
                  host(0, BCAST, 0), host(3, BCAST, 3), bytes([FLUSH]),
                  bytes([ATTACH, 3]), bytes([ATTACH, 3]),
                  host(0, BCAST, 0), bytes([FLUSH])]))
put("fwd", "port-numbers-and-framing-drops",
    fwd(P, Q, 0, [bytes([ATTACH, 1]), bytes([ATTACH, 1 | 3 << 2]),
                  bytes([ATTACH, 2]), bytes([ATTACH, 2 | 3 << 2]),
                  bytes([DROP, 1 | 4, 9]), bytes([DROP, 0, 200]),
                  host(1, BCAST, 1), bytes([FLUSH])]))
put("fwd", "three-ports",
    fwd(0x40 | P, Q, 0, [bytes([ATTACH, 3]), bytes([ATTACH, 0]),
                         bytes([ATTACH, 3]), host(3, BCAST, 3),
                         bytes([FLUSH])]))


def impair(port, f, values, seed=1, normal=False, ge=None):
    x = port | (4 if normal else 0) | (8 if ge else 0)
    return bytes([IMPAIR, x, f]) + bytes(ge or []) + bytes(values) + \
        bytes([seed])


# Port 1 delays by 32 ms with jitter, 10 % loss and some duplicates; time
# passes in steps, then the impairment goes off with frames still held.
put("fwd", "impair-delay-loss-off",
    fwd(P, Q, 0, [impair(1, 1 | 2 | 4 | 8, [26, 2, 0, 2, 40]),
                  host(0, BCAST, 0), host(0, 1, 2), host(2, 1, 0),
                  bytes([FLUSH, RELEASE, 3, RELEASE, 2]),
                  host(0, BCAST, 0), host(3, 1, 1),
                  bytes([FLUSH, IMPAIR, 1, 0, 0, RELEASE, 0])]))
# Gilbert-Elliott loss, normal jitter, a slow shaped link (rate drops),
# an mtu and corruption on port 2; the port is removed while holding.
put("fwd", "impair-rate-mtu-remove",
    fwd(P, 0xf7, 0, [impair(2, 2 | 4 | 16 | 32 | 64,
                            [4, 128, 3, 255, 0, 100], normal=True,
                            ge=[60, 60, 200, 10])] +
        [host(0, BCAST, 0, extra=k % 8) for k in range(12)] +
        [bytes([FLUSH, RELEASE, 40, ATTACH, 2, ATTACH, 2, RELEASE, 255])]))


def vlan(port, mode, a, b=0):
    return bytes([VLAN, port | mode << 2 | a << 4 | b << 6])


# port 0 access 1, port 1 access 2, port 2 trunk 1-2, port 3 trunk 1-3
# native 1; untagged, tagged and priority-tagged frames across them,
# then modes changed while frames are queued and ports go down
put("fwd", "vlan-modes",
    fwd(P, Q, 0, [vlan(0, 1, 1), vlan(1, 1, 2), vlan(2, 2, 1, 2),
                  vlan(3, 3, 1, 3), host(0, BCAST, 0), host(1, BCAST, 1),
                  host(2, BCAST, 2, tagged=True, vid=2),
                  host(2, BCAST, 2), host(3, BCAST, 3),
                  host(3, 0, 3, tagged=True, vid=0),
                  host(3, 1, 3, tagged=True, vid=2),
                  host(0, 3, 0), budget(2, STALL),
                  host(0, BCAST, 0, extra=2), vlan(2, 0, 0),
                  host(1, BCAST, 1), bytes([FLUSH]), budget(2, ALL),
                  bytes([ENABLE, 3]), host(2, BCAST, 2, tagged=True, vid=1),
                  bytes([ENABLE, 3]), bytes([ATTACH, 1]),
                  host(3, BCAST, 3), vlan(0, 0, 0), bytes([FLUSH])]))

def mirror(src, dst, direction):
    return bytes([MIRROR, src | dst << 2 | direction << 4])


# Port 2 mirrors port 0 both ways: unicast both ways, the monitor's own
# frames, frames to it and floods; then rx only, tx only, and the end.
put("fwd", "mirror-both-rx-tx",
    fwd(P, Q, 0, [host(k, BCAST, k) for k in range(4)] +
        [bytes([FLUSH]), mirror(0, 2, 3), host(0, 1, 0), host(1, 0, 1),
         host(2, 0, 2), host(0, 2, 0), host(1, BCAST, 1), host(0, 0, 0),
         bytes([FLUSH]), mirror(0, 2, 0), mirror(0, 2, 1), host(0, 1, 0),
         host(1, 0, 1), mirror(0, 2, 0), mirror(0, 2, 2), host(0, 1, 0),
         host(1, 0, 1), mirror(0, 0, 3), mirror(0, 2, 3), mirror(3, 1, 0),
         bytes([FLUSH])]))
# A monitor that never reads (port 3) behind a small budget, a mirrored
# port that is impaired, sessions both ways, the monitor removed and
# added back.
put("fwd", "mirror-stalled-impaired-removed",
    fwd(P, 0xc3, 0, [host(k, BCAST, k) for k in range(4)] +
        [budget(3, STALL), mirror(0, 3, 1), mirror(1, 3, 3),
         mirror(3, 1, 2), impair(1, 2, [2, 0])] +
        [host(0, 1, 0)] * 6 + [host(1, 0, 1)] * 3 +
        [bytes([FLUSH, RELEASE, 10]), host(2, 3, 2), host(2, 1, 2),
         bytes([ATTACH, 3, FLUSH]), host(0, 1, 0), bytes([ATTACH, 3]),
         mirror(0, 3, 3), bytes([ENABLE, 3]), host(0, 1, 0),
         bytes([ATTACH, 0, FLUSH])]))


def storm(port, fps):
    return bytes([ENABLE, port | 3 << 2 | fps << 4])


# Storm control: port 0 may have 2 frames a second flooded (broadcast,
# unknown unicast), port 1 mirrors what it receives to port 2 (so the
# drops are copied too); the bucket refills with time; known unicast is
# never limited; the limit is lifted.
put("fwd", "storm-control",
    fwd(P, Q, 0, [host(1, BCAST, 1), storm(0, 2), mirror(0, 2, 1)] +
        [host(0, BCAST, 0)] * 4 + [host(0, 3, 0)] * 2 +
        [host(0, 1, 0)] * 3 + [bytes([FLUSH, TIME, 8])] +
        [host(0, BCAST, 0)] * 3 + [storm(0, 0)] +
        [host(0, BCAST, 0)] * 2 + [bytes([FLUSH])]))

# ---- config: a JSON file; with a NUL, "path\0text" for config_locate ----
put("config", "minimal", b'{"listen": ["unix:/tmp/s.sock"]}')
put("config", "full", b"""{
  "listen": [
    { "url": "unix:/tmp/a.sock", "mode": "0660", "group": 0 },
    "tcp:127.0.0.1:7000", "tcp:[::1]:0"
  ],
  "hub": false, "mac_table_size": 64, "ageing": 120,
  "mac_hold_down_ms": 1000, "max_ports": 16, "max_frame": 1514,
  "tx_queue_frames": 8, "tx_queue_bytes": 65536, "socket_mode": "0600",
  "log_level": "debug", "pidfile": "/tmp/p.pid", "daemon": false
}""")
put("config", "unknown-key-deep",
    b'{"listen": [{"url": "unix:/x", "\\u00e9t\\u00e9": 1}]}')
put("config", "wrong-type", b'{"listen": "tcp:1.2.3.4:5"}')
put("config", "range", b'{"ageing": 0, "max_frame": 13}')
put("config", "queue-smaller-than-frame",
    b'{"max_frame": 9000, "tx_queue_bytes": 100}')
put("config", "syntax", b'{"listen": [\n  "unix:/a",\n]}')
put("config", "duplicate-key", b'{"hub": true, "hub": false}')
put("config", "tcp-with-mode",
    b'{"listen": [{"url": "tcp:127.0.0.1:1", "mode": "0600"}]}')
put("config", "group-name", b'{"listen": [{"url": "unix:/a", '
    b'"group": "nosuchgroup-fuzz"}]}')
put("config", "locate-index", b'$.a[1].b\0{"a": [0, {"b": "\\"]["}]}')
put("config", "locate-quoted-key",
    b'$["k\\ud83d\\ude00"]\0{"x": [[{}]], "k\xf0\x9f\x98\x80": 1}')
put("config", "impair-mcast-uplink", b"""{
  "listen": [
    "unix:/tmp/lan.sock",
    {"url": "unix:/tmp/wan.sock",
     "impair": {"delay": "40ms", "jitter": "5ms", "loss": "1%",
                "rate": "10mbit"}}
  ],
  "uplinks": [{"type": "mcast", "group": "230.0.0.1", "port": 1234,
               "localaddr": "127.0.0.1", "ttl": 1, "loop": false}],
  "mac_table_size": 1024
}""")
put("config", "vlan-uplink-objects", b"""{
  "listen": [{"url": "unix:/tmp/t.sock", "trunk": [10, "20-29"],
              "native": 10}],
  "uplinks": [{"type": "tap", "name": "t0", "vlan": 10},
              {"type": "slirp", "trunk": [5, "7-9"], "native": 7},
              {"type": "mcast", "group": "230.0.0.1", "port": 9,
               "trunk": ["30-29"]}],
  "connect": [{"url": "unix:/tmp/p.sock", "vlan": 4095, "native": 3}]
}""")
put("config", "locate-bad-text", b'$.a[3]\0{"a": [1, "unterminated')


# ---- virtq: [log2 num] [gpa0 le32] [gpa1 le32] [flags] [16 KiB memory] ----
# The memory: descriptor table at 0, avail ring at 4096, used ring at 5120
# (all in region 0, guest physical GPA0..GPA0+8K); buffers in region 1
# (GPA1..GPA1+8K). See fuzz_virtq.c.

VQ_GPA0, VQ_GPA1 = 0x10000000, 0x20000000
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def virtq(log2num, descs, heads, avail_idx=None, flags=0):
    mem = bytearray(16 * 1024)
    for i, (addr, length, fl, nxt) in enumerate(descs):
        struct.pack_into("<QIHH", mem, 16 * i, addr, length, fl, nxt)
    struct.pack_into("<HH", mem, 4096, 0,
                     len(heads) if avail_idx is None else avail_idx)
    for i, h in enumerate(heads):
        struct.pack_into("<H", mem, 4096 + 4 + 2 * i, h)
    for i in range(8192, 16384):
        mem[i] = i & 0xff
    return (bytes([log2num]) + struct.pack("<II", VQ_GPA0, VQ_GPA1) +
            bytes([flags]) + bytes(mem))


def buf(off):
    return VQ_GPA1 + off


good = [(buf(0), 72, 0, 0),                      # header and frame in one
        (buf(100), 12, F_NEXT, 2), (buf(200), 60, 0, 0),   # header apart
        (buf(300), 12, F_NEXT, 4), (buf(400), 30, F_NEXT, 5),
        (buf(500), 30, 0, 0)]                    # frame in two pieces
put("virtq", "tx-three-layouts", virtq(3, good, [0, 1, 3]))
put("virtq", "rx-writable",
    virtq(3, [(a, n, f | F_WRITE, x) for a, n, f, x in good], [0, 1, 3]))
put("virtq", "chain-loop",
    virtq(3, [(buf(0), 12, F_NEXT, 1), (buf(64), 60, F_NEXT, 0)], [0]))
put("virtq", "outside-memory",
    virtq(3, [(buf(8000), 400, 0, 0), (0x30000000, 64, 0, 0)], [0, 1]))
put("virtq", "indirect", virtq(3, [(buf(0), 64, F_INDIRECT, 0)], [0]))
put("virtq", "head-out-of-table", virtq(3, [(buf(0), 64, 0, 0)], [200]))
put("virtq", "avail-far-ahead", virtq(3, [(buf(0), 64, 0, 0)], [0],
                                      avail_idx=100))
put("virtq", "across-regions",
    virtq(3, [(VQ_GPA0 + 8192 - 16, 64, 0, 0)], [0]))
put("virtq", "next-out-of-table",
    virtq(3, [(buf(0), 12, F_NEXT, 9), (buf(64), 60, 0, 0)], [0]))
put("virtq", "ring-256-wraps",
    virtq(8, [(buf(16 * i), 16, 0, 0) for i in range(256)],
          list(range(256)), flags=1))
