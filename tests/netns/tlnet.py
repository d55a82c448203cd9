#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Small network tools for the netns tests, so they need no ping, socat or
tcpdump. Every operation is bounded in time and count.

  tlnet.py ping ADDR [-c N] [-W SECS] [-i SECS]      ICMP/ICMPv6 echo; exit 0 if
                                                     at least --min replies came
  tlnet.py bad HOST PORT KIND [-n N]                 send malformed datagrams
  tlnet.py capture IFACE DSTIP PORTS OUT [-W SECS] [--type T]
                                                     save the UDP payload of the
                                                     first small WireGuard message
                                                     of type T (default 4, data;
                                                     1: initiation), > 32 bytes
  tlnet.py replay HOST PORT FILE [-n N]              resend a captured payload
  tlnet.py uapi SOCKPATH REQUEST [-W SECS]           raw UAPI exchange; prints reply
  tlnet.py jget EXPR [FILE]                          print eval(EXPR) over JSON `d`
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def cmd_ping(a):
    fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
    if fam == socket.AF_INET:
        sk = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        req_type, rep_type = 8, 0
    else:
        sk = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        req_type, rep_type = 128, 129
    ident = (os.getpid() ^ random.getrandbits(16)) & 0xFFFF
    got = set()
    sent = 0
    deadline = time.monotonic() + a.deadline
    next_send = time.monotonic()
    payload = bytes(a.size)
    while time.monotonic() < deadline:
        now = time.monotonic()
        if sent < a.count and now >= next_send:
            hdr = struct.pack("!BBHHH", req_type, 0, 0, ident, sent)
            pkt = hdr + payload
            if fam == socket.AF_INET:
                pkt = struct.pack("!BBHHH", req_type, 0, csum(pkt), ident, sent) + payload
            try:
                sk.sendto(pkt, (a.addr, 0))
            except OSError as e:
                print("ping: send: %s" % e, file=sys.stderr)
            sent += 1
            next_send = now + a.interval
        if len(got) >= a.count or (len(got) >= a.min and a.stop_early):
            break
        if sent >= a.count and len(got) == sent:
            break
        wait = max(0.0, min(deadline, next_send if sent < a.count else deadline) - time.monotonic())
        r, _, _ = select.select([sk], [], [], min(wait, 0.2))
        if not r:
            continue
        buf, _ = sk.recvfrom(65535)
        if fam == socket.AF_INET:
            buf = buf[(buf[0] & 0xF) * 4:]
        if len(buf) < 8:
            continue
        t, _, _, rid, seq = struct.unpack("!BBHHH", buf[:8])
        if t == rep_type and rid == ident:
            got.add(seq)
    print("ping %s: %d sent, %d received" % (a.addr, sent, len(got)))
    return 0 if len(got) >= a.min else 1


def udp_sock(host):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.socket(fam, socket.SOCK_DGRAM)


def cmd_bad(a):
    sk = udp_sock(a.host)
    rnd = random.Random(a.seed)
    n = 0
    for i in range(a.n):
        k = a.kind
        if k == "short":
            # Shorter than any message: 1..3 bytes, then a 4-byte type 1
            # header alone, then a data header without its tag.
            choices = [bytes([1]), b"\x01\x00", b"\x04\x00\x00",
                       struct.pack("<I", 1), struct.pack("<I", 4) + bytes(8),
                       struct.pack("<I", 2) + bytes(40)]
            pkt = choices[i % len(choices)]
        elif k == "oversize":
            # Handshake types with the wrong (too big) length, and a huge
            # datagram of random bytes.
            choices = [struct.pack("<I", 1) + rnd.randbytes(300),
                       struct.pack("<I", 2) + rnd.randbytes(200),
                       struct.pack("<I", 3) + rnd.randbytes(100),
                       rnd.randbytes(60000)]
            pkt = choices[i % len(choices)]
        elif k == "badtype":
            # Unknown type values, and known types with reserved bytes set.
            t = [0, 5, 0x7f, 0xff, 0x0104, 0x01000001][i % 6]
            pkt = struct.pack("<I", t) + rnd.randbytes(144)
        elif k == "forged":
            # Valid-looking data header with a random receiver index.
            pkt = (struct.pack("<IIQ", 4, rnd.getrandbits(32), i) +
                   rnd.randbytes(16 * (1 + i % 8) + 16))
        elif k == "badmac":
            # Right-size initiation with random contents: mac1 cannot verify.
            pkt = struct.pack("<I", 1) + rnd.randbytes(144)
        else:
            print("bad: unknown kind %s" % k, file=sys.stderr)
            return 2
        try:
            sk.sendto(pkt, (a.host, a.port))
            n += 1
        except OSError as e:
            print("bad: send %d bytes: %s" % (len(pkt), e), file=sys.stderr)
        time.sleep(0.002)
    print("bad %s: sent %d datagrams to %s:%d" % (a.kind, n, a.host, a.port))
    return 0


def cmd_capture(a):
    ETH_P_ALL = 3
    sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sk.bind((a.iface, 0))
    ports = set()
    for p in a.ports.split(","):
        if "-" in p:
            lo, hi = p.split("-")
            ports.update(range(int(lo), int(hi) + 1))
        else:
            ports.add(int(p))
    dst = socket.inet_aton(a.dstip)
    # Tell the caller we are listening.
    if a.ready:
        open(a.ready, "w").close()
    deadline = time.monotonic() + a.deadline
    while time.monotonic() < deadline:
        r, _, _ = select.select([sk], [], [], 0.2)
        if not r:
            continue
        frame = sk.recv(65535)
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0xF) * 4
        if ip[9] != 17 or ip[16:20] != dst:
            continue
        udp = ip[ihl:]
        dport = struct.unpack("!H", udp[2:4])[0]
        ulen = struct.unpack("!H", udp[4:6])[0]
        payload = udp[8:ulen]
        if dport not in ports or len(payload) <= 32 or len(payload) > 400:
            continue
        if struct.unpack("<I", payload[:4])[0] != a.type:
            continue
        with open(a.out, "wb") as f:
            f.write(payload)
        print("captured %d-byte message of type %d to port %d" % (len(payload), a.type, dport))
        return 0
    print("capture: no message of type %d seen in %.0fs" % (a.type, a.deadline), file=sys.stderr)
    return 1


def cmd_replay(a):
    data = open(a.file, "rb").read()
    sk = udp_sock(a.host)
    for _ in range(a.n):
        sk.sendto(data, (a.host, a.port))
        time.sleep(0.005)
    print("replayed %d-byte packet %d times to %s:%d" % (len(data), a.n, a.host, a.port))
    return 0


def cmd_uapi(a):
    req = a.request.encode().decode("unicode_escape").encode("latin-1")
    sk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sk.settimeout(a.deadline)
    sk.connect(a.sock)
    sk.sendall(req)
    out = b""
    try:
        while not out.endswith(b"\n\n"):
            chunk = sk.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        print("uapi: no complete reply within %.0fs" % a.deadline, file=sys.stderr)
        sys.stdout.write(out.decode(errors="replace"))
        return 1
    sys.stdout.write(out.decode(errors="replace"))
    return 0


def cmd_jget(a):
    src = open(a.file) if a.file else sys.stdin
    d = json.load(src)
    v = eval(a.expr, {"d": d, "sum": sum, "len": len, "max": max, "min": min})
    if isinstance(v, (dict, list)):
        print(json.dumps(v))
    elif isinstance(v, bool):
        print(int(v))
    else:
        print(v)
    return 0


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    s = sp.add_parser("ping")
    s.add_argument("addr")
    s.add_argument("-c", "--count", type=int, default=3)
    s.add_argument("-W", "--deadline", type=float, default=5.0)
    s.add_argument("-i", "--interval", type=float, default=0.2)
    s.add_argument("-s", "--size", type=int, default=56)
    s.add_argument("--min", type=int, default=1)
    s.add_argument("--stop-early", action="store_true")
    s.set_defaults(fn=cmd_ping)
    s = sp.add_parser("bad")
    s.add_argument("host")
    s.add_argument("port", type=int)
    s.add_argument("kind")
    s.add_argument("-n", type=int, default=6)
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(fn=cmd_bad)
    s = sp.add_parser("capture")
    s.add_argument("iface")
    s.add_argument("dstip")
    s.add_argument("ports")
    s.add_argument("out")
    s.add_argument("-W", "--deadline", type=float, default=10.0)
    s.add_argument("--ready")
    s.add_argument("--type", type=int, default=4,
                   help="WireGuard message type (4 data, 1 initiation)")
    s.set_defaults(fn=cmd_capture)
    s = sp.add_parser("replay")
    s.add_argument("host")
    s.add_argument("port", type=int)
    s.add_argument("file")
    s.add_argument("-n", type=int, default=3)
    s.set_defaults(fn=cmd_replay)
    s = sp.add_parser("uapi")
    s.add_argument("sock")
    s.add_argument("request")
    s.add_argument("-W", "--deadline", type=float, default=5.0)
    s.set_defaults(fn=cmd_uapi)
    s = sp.add_parser("jget")
    s.add_argument("expr")
    s.add_argument("file", nargs="?")
    s.set_defaults(fn=cmd_jget)
    a = p.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
