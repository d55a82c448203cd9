#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hashed transfers for the offload tests (40, 41, through lib-xfer.sh): TCP
streams of deterministic pseudo-random data whose sha256 is compared end to
end, and UDP datagrams of known content, each checked. Every socket
operation has a timeout."""
import argparse, hashlib, json, random, select, socket, struct, sys, threading, time

CH = 65536                      # a chunk of the stream
SPAN = 4 << 20                  # the seeded random base chunks are cut from
MAGIC = b"TLx1"


class Gen:
    """Stream i, chunk k: a 16-byte header (magic, i, k) and a window of a
    seeded random base at an offset depending on (i, k): deterministic, and
    no two chunks alike, so a misplaced segment changes the hash."""

    def __init__(self, seed):
        self.base = random.Random(seed).randbytes(SPAN + CH)

    def chunk(self, i, k):
        off = (k * 2654435761 + i * 97531) % SPAN
        return struct.pack("<4sIQ", MAGIC, i, k) + self.base[off:off + CH - 16]


def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        r = c.recv(n - len(b))
        if not r:
            break
        b += r
    return b


def tcp_recv(a):
    ls = socket.socket(fam(a.bind), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(64)
    open(a.ready, "w").close()
    gen, res, lock, ths = Gen(a.seed), {}, threading.Lock(), []

    def serve(c, n_conn):
        r = {"bytes": 0, "sha256": None, "first_bad": None, "error": None}
        key = "conn%d" % n_conn
        try:
            c.settimeout(a.idle)
            h = recv_exact(c, 16)
            if len(h) != 16 or h[:4] != MAGIC:
                raise ValueError("bad stream header %r" % h)
            _, idx, r["declared"] = struct.unpack("<4sIQ", h)
            key = str(idx)
            sha, buf = hashlib.sha256(), bytearray(1 << 18)
            mv, got, ck, cb = memoryview(buf), 0, -1, b""
            while True:
                n = c.recv_into(buf)
                if n == 0:
                    break
                sha.update(mv[:n])
                # Compare with the expected stream too, to say where it broke.
                p, q = got, got + n
                while r["first_bad"] is None and p < q:
                    k, o = divmod(p, CH)
                    if k != ck:
                        ck, cb = k, gen.chunk(idx, k)
                    m = min(CH - o, q - p)
                    seg = bytes(mv[p - got:p - got + m])
                    if seg != cb[o:o + m]:
                        j = next(x for x in range(m) if seg[x] != cb[o + x])
                        r["first_bad"] = p + j
                        r["got"], r["want"] = seg[j:j + 16].hex(), cb[o + j:o + j + 16].hex()
                    p += m
                got += n
            r["bytes"], r["sha256"] = got, sha.hexdigest()
            c.sendall(struct.pack("<Q", got) + sha.digest())
        except Exception as ex:
            r["error"] = "%s: %s" % (type(ex).__name__, ex)
        finally:
            c.close()
        with lock:
            res[key] = r

    deadline = time.monotonic() + a.timeout
    try:
        for n in range(a.conns):
            ls.settimeout(max(0.1, deadline - time.monotonic()))
            c, _ = ls.accept()
            t = threading.Thread(target=serve, args=(c, n), daemon=True)
            t.start()
            ths.append(t)
    except socket.timeout:
        res["accept"] = "only %d of %d connections came" % (len(ths), a.conns)
    for t in ths:
        t.join(max(0.1, deadline - time.monotonic()))
    with lock:
        json.dump(res, open(a.out, "w"), indent=1)
    return 0


def tcp_send(a):
    gen, res, lock = Gen(a.seed), {}, threading.Lock()

    def run(i):
        r = {"bytes": 0, "sha256": None, "error": None}
        try:
            c = socket.create_connection((a.addr, a.port), timeout=a.idle)
            c.sendall(struct.pack("<4sIQ", MAGIC, i, a.bytes))
            sha, sent, k = hashlib.sha256(), 0, 0
            while sent < a.bytes:
                d = gen.chunk(i, k)[:a.bytes - sent]
                sha.update(d)
                if a.corrupt and i == 0 and k == 7:
                    d = bytearray(d)        # self-test: one bit flipped on the wire
                    d[1000] ^= 0x10
                c.sendall(d)
                sent, k = sent + len(d), k + 1
            c.shutdown(socket.SHUT_WR)
            back = recv_exact(c, 40)        # the receiver's count and digest
            c.close()
            r["bytes"], r["sha256"] = sent, sha.hexdigest()
            if len(back) == 40:
                r["peer_bytes"], r["peer_sha256"] = struct.unpack("<Q", back[:8])[0], back[8:].hex()
        except Exception as ex:
            r["error"] = "%s: %s" % (type(ex).__name__, ex)
        with lock:
            res[str(i)] = r

    ths = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(a.conns)]
    t0 = time.monotonic()
    for t in ths:
        t.start()
    for t in ths:
        t.join(max(0.1, t0 + a.timeout - time.monotonic()))
    with lock:
        res["seconds"] = time.monotonic() - t0
        json.dump(res, open(a.out, "w"), indent=1)
    return 0


def tcp_check(a):
    def load(f):
        try:
            return json.load(open(f))
        except (OSError, ValueError):
            return {}
    s, r = load(a.sent), load(a.recv)
    bad, total = [], 0
    if not r:
        bad.append("the receiver wrote no result (still waiting?)")
    for i in map(str, range(a.conns)):
        si, ri = s.get(i), r.get(i)
        if not si or not ri:
            bad.append("stream %s: no result from the %s" % (i, "sender" if not si else "receiver"))
            continue
        for who, x in (("sender", si), ("receiver", ri)):
            if x.get("error"):
                bad.append("stream %s: %s: %s" % (i, who, x["error"]))
        if si["bytes"] != a.bytes:
            bad.append("stream %s: the sender wrote %s of %d bytes" % (i, si["bytes"], a.bytes))
        if ri["bytes"] != si["bytes"] or ri["sha256"] != si["sha256"]:
            fb = ri.get("first_bad")
            bad.append("stream %s: CORRUPT: sent %s bytes sha256 %s, received %s bytes sha256 %s%s" % (
                i, si["bytes"], si["sha256"], ri["bytes"], ri["sha256"],
                "; first wrong byte at stream offset %d: got %s, want %s" % (fb, ri["got"], ri["want"])
                if fb is not None else ""))
        elif si.get("peer_sha256") != si["sha256"]:
            bad.append("stream %s: no matching digest came back from the receiver" % i)
        total += ri["bytes"] or 0
    bad += ["receiver: %s: %s" % (k, v.get("error")) for k, v in r.items()
            if k.startswith("conn") and isinstance(v, dict)]
    if "accept" in r:
        bad.append("receiver: " + r["accept"])
    for b in bad:
        print(b)
    if not bad:
        secs = s.get("seconds") or 1
        print("%d streams, %d bytes, every sha256 equal, %.1f s, %.0f Mbit/s"
              % (a.conns, total, secs, total * 8 / secs / 1e6))
    return 1 if bad else 0


# ---- UDP -----------------------------------------------------------------

def udp_plan(a):
    """The datagrams to send, grouped by send call. Without --gso: one each,
    sizes 1..1400 in a scrambled order, then random sizes. With --gso: sends
    of 2..40 equal segments (the last one may be shorter) for UDP_SEGMENT.
    The first bytes (up to 4) are the datagram's number, the rest random."""
    rnd, out, j = random.Random(a.seed), [], 0
    while j < a.count:
        if a.gso:
            g, nseg = rnd.choice([64, 333, 500, 1000, 1200, a.max_gso]), rnd.randint(2, 40)
            sizes = [g] * (nseg - 1) + [rnd.randint(1, g)]
        else:
            sizes = [1 + (j * 661) % 1400 if j < 1400 else rnd.randint(1, 1400)]
        grp = []
        for size in sizes:
            grp.append(struct.pack("<I", j)[:size] + rnd.randbytes(max(0, size - 4)))
            j += 1
        out.append(grp)
    return out


def udp_send(a):
    sk = socket.socket(fam(a.addr), socket.SOCK_DGRAM)
    n = 0
    for x, grp in enumerate(udp_plan(a)):
        if a.gso:
            sk.setsockopt(socket.IPPROTO_UDP, 103, len(grp[0]))  # UDP_SEGMENT
        d = b"".join(grp)
        if a.corrupt and x == 5:
            d = d[:-1] + bytes([d[-1] ^ 0x10])  # self-test: one bit flipped
        sk.sendto(d, (a.addr, a.port))
        n += len(grp)
        if a.gso or x % 20 == 19:
            time.sleep(0.003)           # paced: loss here would be our own
    print("udp-send: %d datagrams in %d sends" % (n, x + 1))
    return 0


def udp_recv(a):
    want = {}
    for grp in udp_plan(a):
        for d in grp:
            want[d] = want.get(d, 0) + 1
    expected = sum(want.values())
    sk = socket.socket(fam(a.bind), socket.SOCK_DGRAM)
    try:
        sk.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
    except OSError:
        pass
    sk.bind((a.bind, a.port))
    open(a.ready, "w").close()
    good = corrupt = dup = 0
    samples, last = [], None
    deadline = time.monotonic() + a.timeout
    while good < expected and time.monotonic() < deadline:
        if last is not None and time.monotonic() - last > a.idle:
            break
        if not select.select([sk], [], [], 0.2)[0]:
            continue
        d = sk.recv(65536)
        last = time.monotonic()
        c = want.get(d)
        if c is None:
            corrupt += 1
            if len(samples) < 5:
                samples.append("%d bytes %s" % (len(d), d[:20].hex()))
        elif c == 0:
            dup += 1
        else:
            want[d] = c - 1
            good += 1
    missing, j = [], 0
    for grp in udp_plan(a):
        for d in grp:
            if want.get(d, 0) > 0 and len(missing) < 12:
                missing.append("#%d:%dB" % (j, len(d)))
            j += 1
    json.dump({"expected": expected, "good": good, "corrupt": corrupt, "dup": dup,
               "samples": samples, "missing": missing}, open(a.out, "w"))
    return 0


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    s = sp.add_parser("tcp-recv")
    for x in ("bind", "port", "conns", "out", "ready"):
        s.add_argument(x, type=int if x in ("port", "conns") else str)
    s = sp.add_parser("tcp-send")
    for x in ("addr", "port", "conns", "bytes", "out"):
        s.add_argument(x, type=int if x in ("port", "conns", "bytes") else str)
    s.add_argument("--corrupt", action="store_true")
    for s in sp.choices.values():
        s.add_argument("--seed", type=int, default=1)
        s.add_argument("--timeout", type=float, default=150)
        s.add_argument("--idle", type=float, default=30)
    s = sp.add_parser("tcp-check")
    s.add_argument("sent"); s.add_argument("recv")
    s.add_argument("conns", type=int); s.add_argument("bytes", type=int)
    for name in ("udp-send", "udp-recv"):
        s = sp.add_parser(name)
        s.add_argument("addr" if name == "udp-send" else "bind")
        s.add_argument("port", type=int); s.add_argument("count", type=int)
        s.add_argument("--seed", type=int, default=1); s.add_argument("--gso", action="store_true")
        s.add_argument("--max-gso", type=int, default=1392)
        if name == "udp-send":
            s.add_argument("--corrupt", action="store_true")
        else:
            s.add_argument("out"); s.add_argument("ready")
            s.add_argument("--timeout", type=float, default=40); s.add_argument("--idle", type=float, default=4)
    a = p.parse_args()
    return globals()[a.cmd.replace("-", "_")](a)


sys.exit(main())
